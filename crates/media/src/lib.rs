//! Onhand's media server: a selective forwarding unit (SFU) on `str0m`.
//!
//! - `sfu`: the sans-IO core (rooms, participants, tracks; datagrams and time in,
//!   datagrams, offers and events out).
//! - `presence`: connected time per participant and the overlap billing uses.
//! - `driver`: the thin part that owns the UDP socket and the clock.
//! - `signal`: the versioned signaling protocol and its parser (fuzzed in `fuzz/`).
//!
//! Architecture invariant: only `driver` does IO or reads the clock.

pub mod driver;
pub mod presence;
pub mod sfu;
pub mod signal;

pub use sfu::{AnswerError, Attendance, JoinError, Limits, Output, PeerId, Role, RoomId, Sfu};
