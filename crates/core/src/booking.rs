//! Bookings: the state machine every booking follows, and what cancelling costs.
//!
//! Architecture invariant: a transition not in `BookingState::apply` is an error, never a
//! silent no-op; callers persist only the state this returns.

use crate::catalog::{CancellationPolicy, PriceModel};
use jiff::{SignedDuration, Timestamp};
use std::fmt;

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    Buyer,
    Provider,
}

impl Party {
    pub fn as_str(&self) -> &'static str {
        match self {
            Party::Buyer => "buyer",
            Party::Provider => "provider",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingState {
    Confirmed,
    InProgress,
    Completed,
    CancelledByBuyer,
    CancelledByProvider,
    /// Moved to another time; the new booking carries on.
    Rescheduled,
    NoShowBuyer,
    NoShowProvider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingEvent {
    Start,
    Complete,
    Cancel(Party),
    Reschedule,
    NoShow(Party),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: BookingState,
    pub event: BookingEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} booking cannot be {}",
            self.from.as_str().replace('_', " "),
            self.event.verb()
        )
    }
}

impl std::error::Error for IllegalTransition {}

impl BookingEvent {
    fn verb(&self) -> String {
        match self {
            BookingEvent::Start => "started".into(),
            BookingEvent::Complete => "completed".into(),
            BookingEvent::Cancel(p) => format!("cancelled by the {}", p.as_str()),
            BookingEvent::Reschedule => "rescheduled".into(),
            BookingEvent::NoShow(p) => format!("marked as a {} no-show", p.as_str()),
        }
    }
}

impl BookingState {
    pub const ALL: [BookingState; 8] = [
        BookingState::Confirmed,
        BookingState::InProgress,
        BookingState::Completed,
        BookingState::CancelledByBuyer,
        BookingState::CancelledByProvider,
        BookingState::Rescheduled,
        BookingState::NoShowBuyer,
        BookingState::NoShowProvider,
    ];

    /// The only legal moves.
    pub fn apply(self, event: BookingEvent) -> Result<BookingState, IllegalTransition> {
        use BookingEvent as E;
        use BookingState as S;
        match (self, event) {
            (S::Confirmed, E::Start) => Ok(S::InProgress),
            (S::Confirmed, E::Cancel(Party::Buyer)) => Ok(S::CancelledByBuyer),
            (S::Confirmed, E::Cancel(Party::Provider)) => Ok(S::CancelledByProvider),
            (S::Confirmed, E::Reschedule) => Ok(S::Rescheduled),
            (S::Confirmed | S::InProgress, E::NoShow(Party::Buyer)) => Ok(S::NoShowBuyer),
            (S::Confirmed | S::InProgress, E::NoShow(Party::Provider)) => Ok(S::NoShowProvider),
            (S::InProgress, E::Complete) => Ok(S::Completed),
            (from, event) => Err(IllegalTransition { from, event }),
        }
    }

    /// Whether the booking still holds its time on the provider's calendar.
    pub fn holds_time(&self) -> bool {
        matches!(self, BookingState::Confirmed | BookingState::InProgress)
    }

    pub fn is_final(&self) -> bool {
        !self.holds_time()
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            BookingState::Confirmed => "confirmed",
            BookingState::InProgress => "in_progress",
            BookingState::Completed => "completed",
            BookingState::CancelledByBuyer => "cancelled_by_buyer",
            BookingState::CancelledByProvider => "cancelled_by_provider",
            BookingState::Rescheduled => "rescheduled",
            BookingState::NoShowBuyer => "no_show_buyer",
            BookingState::NoShowProvider => "no_show_provider",
        }
    }

    pub fn parse(s: &str) -> Option<BookingState> {
        BookingState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl CancellationPolicy {
    /// How long before the start a buyer may cancel or reschedule for free.
    pub fn free_window(&self) -> SignedDuration {
        SignedDuration::from_hours(match self {
            CancellationPolicy::Flexible => 1,
            CancellationPolicy::Moderate => 24,
            CancellationPolicy::Strict => 72,
        })
    }

    /// The late-cancellation fee, in minor units, for a booking at `price`.
    /// Flexible: a quarter of a fixed price or two minutes; moderate (as Helpouts): half
    /// or five minutes; strict: all of it or the minimum minutes.
    pub fn late_fee_minor(&self, price: PriceModel) -> i64 {
        match (self, price) {
            (_, PriceModel::Free) => 0,
            (CancellationPolicy::Flexible, PriceModel::Fixed { price_minor }) => price_minor / 4,
            (CancellationPolicy::Moderate, PriceModel::Fixed { price_minor }) => price_minor / 2,
            (CancellationPolicy::Strict, PriceModel::Fixed { price_minor }) => price_minor,
            (CancellationPolicy::Flexible, PriceModel::PerMinute { rate_minor, .. }) => {
                rate_minor * 2
            }
            (CancellationPolicy::Moderate, PriceModel::PerMinute { rate_minor, .. }) => {
                rate_minor * 5
            }
            (
                CancellationPolicy::Strict,
                PriceModel::PerMinute {
                    rate_minor,
                    minimum_minutes,
                },
            ) => rate_minor * i64::from(minimum_minutes),
        }
    }
}

/// What a cancellation costs the buyer, decided at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancellationTerms {
    /// The last instant a buyer may cancel or reschedule for free.
    pub free_until: Timestamp,
    pub fee_minor: i64,
}

pub fn cancellation_terms(
    policy: CancellationPolicy,
    price: PriceModel,
    start: Timestamp,
    now: Timestamp,
    by: Party,
) -> CancellationTerms {
    let free_until = start - policy.free_window();
    let fee_minor = match by {
        Party::Provider => 0,
        Party::Buyer if now <= free_until => 0,
        Party::Buyer => policy.late_fee_minor(price),
    };
    CancellationTerms {
        free_until,
        fee_minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_not_listed_is_refused() {
        use BookingEvent as E;
        let events = [
            E::Start,
            E::Complete,
            E::Cancel(Party::Buyer),
            E::Cancel(Party::Provider),
            E::Reschedule,
            E::NoShow(Party::Buyer),
            E::NoShow(Party::Provider),
        ];
        let mut legal = 0;
        for from in BookingState::ALL {
            for event in events {
                match from.apply(event) {
                    Ok(to) => {
                        legal += 1;
                        assert!(from.holds_time(), "{from:?} is final yet moved to {to:?}");
                    }
                    Err(e) => assert_eq!(e, IllegalTransition { from, event }),
                }
            }
        }
        assert_eq!(legal, 9, "confirmed has 6 moves, in progress 3");
        assert_eq!(
            BookingState::Completed
                .apply(E::Cancel(Party::Buyer))
                .unwrap_err()
                .to_string(),
            "a completed booking cannot be cancelled by the buyer"
        );
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in BookingState::ALL {
            assert_eq!(BookingState::parse(s.as_str()), Some(s));
        }
        assert_eq!(BookingState::parse("pending"), None);
    }

    #[test]
    fn cancellation_fees_follow_the_policy() {
        let start: Timestamp = "2026-05-10T12:00:00Z".parse().unwrap();
        let fixed = PriceModel::Fixed { price_minor: 4000 };
        let per_minute = PriceModel::PerMinute {
            rate_minor: 150,
            minimum_minutes: 10,
        };
        let at = |hours_before: i64| start - SignedDuration::from_hours(hours_before);
        let m = CancellationPolicy::Moderate;
        assert_eq!(
            cancellation_terms(m, fixed, start, at(25), Party::Buyer).fee_minor,
            0
        );
        assert_eq!(
            cancellation_terms(m, fixed, start, at(24), Party::Buyer).fee_minor,
            0,
            "the boundary is still free"
        );
        assert_eq!(
            cancellation_terms(m, fixed, start, at(23), Party::Buyer).fee_minor,
            2000
        );
        assert_eq!(
            cancellation_terms(m, per_minute, start, at(2), Party::Buyer).fee_minor,
            750
        );
        assert_eq!(
            cancellation_terms(m, fixed, start, at(1), Party::Provider).fee_minor,
            0,
            "a provider cancelling is free for the buyer"
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Flexible,
                fixed,
                start,
                at(2),
                Party::Buyer
            )
            .fee_minor,
            0
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Flexible,
                fixed,
                start,
                at(0),
                Party::Buyer
            )
            .fee_minor,
            1000
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Strict,
                fixed,
                start,
                at(48),
                Party::Buyer
            )
            .fee_minor,
            4000
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Strict,
                per_minute,
                start,
                at(48),
                Party::Buyer
            )
            .fee_minor,
            1500
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Strict,
                PriceModel::Free,
                start,
                at(0),
                Party::Buyer
            )
            .fee_minor,
            0
        );
        assert_eq!(
            cancellation_terms(
                CancellationPolicy::Strict,
                fixed,
                start,
                at(0),
                Party::Buyer
            )
            .free_until,
            at(72)
        );
    }
}
