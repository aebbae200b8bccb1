//! Onhand's domain: the types, rules and validation every other crate builds on.
//!
//! Architecture invariant: this crate does no IO and never reads the clock. It knows
//! nothing of HTTP, SQL or async; callers pass time and data in.

pub mod account;
pub mod booking;
pub mod catalog;
pub mod contact;
pub mod invalid;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod org;
pub mod payments;
pub mod provider;
pub mod reputation;
pub mod schedule;

pub use invalid::{FieldError, Invalid};
