//! What a booking costs, when: the amounts the ledger moves for each step of a booking,
//! the commission, the satisfaction guarantee and payouts.
//!
//! Architecture invariant: every amount the store posts comes from a function here, so
//! the simulation tests and the store agree on the rules. Amounts are integer minor
//! units; rounding always favours the buyer first and the provider second.

use crate::booking::{BookingEvent, Party};
use crate::catalog::PriceModel;
use crate::ledger::{CommissionBps, split};
use jiff::{SignedDuration, Timestamp};

/// The platform's default commission: 20 %, as Helpouts took.
pub const DEFAULT_COMMISSION_BPS: CommissionBps = 2000;
/// How long after a session ends the buyer may ask for their money back.
pub const GUARANTEE_WINDOW: SignedDuration = SignedDuration::from_hours(72);
/// The smallest payout by default, in minor units.
pub const DEFAULT_PAYOUT_MINIMUM_MINOR: i64 = 1000;
/// The largest single top-up, in minor units.
pub const TOP_UP_MAX_MINOR: i64 = 1_000_000;
/// The smallest top-up, in minor units.
pub const TOP_UP_MIN_MINOR: i64 = 100;

/// The category whose sessions never pay commission.
pub const COMMISSION_FREE_CATEGORY: &str = "health";

/// The commission a booking is made under: none for free sessions and Health.
pub fn commission_for(price: PriceModel, category: &str, default: CommissionBps) -> CommissionBps {
    if price == PriceModel::Free || category == COMMISSION_FREE_CATEGORY {
        0
    } else {
        default
    }
}

/// What booking reserves from the buyer's wallet: the price per seat, or the rate for
/// every planned minute per seat. Zero for free sessions: no hold is made.
pub fn hold_minor(price: PriceModel, seats: u32, session_minutes: u32) -> i64 {
    let seats = i64::from(seats);
    match price {
        PriceModel::Free => 0,
        PriceModel::Fixed { price_minor } => price_minor * seats,
        PriceModel::PerMinute { rate_minor, .. } => rate_minor * i64::from(session_minutes) * seats,
    }
}

/// Minutes billed for a per-minute session that ran from `started` to `ended`: every
/// begun minute counts, at least the listing's minimum, at most what was planned (and
/// held).
pub fn billed_minutes(
    started: Timestamp,
    ended: Timestamp,
    minimum_minutes: u32,
    planned_minutes: u32,
) -> u32 {
    let secs = ended.duration_since(started).as_secs().max(0) as u64;
    let begun = secs.div_ceil(60);
    let billed = begun.max(u64::from(minimum_minutes));
    billed.min(u64::from(planned_minutes)) as u32
}

/// What a completed session costs: the fixed price, or the billed minutes at the rate.
/// Never more than the hold.
pub fn completed_charge_minor(
    price: PriceModel,
    seats: u32,
    planned_minutes: u32,
    started: Timestamp,
    ended: Timestamp,
) -> i64 {
    match price {
        PriceModel::Free => 0,
        PriceModel::Fixed { .. } => hold_minor(price, seats, planned_minutes),
        PriceModel::PerMinute {
            rate_minor,
            minimum_minutes,
        } => {
            rate_minor
                * i64::from(billed_minutes(
                    started,
                    ended,
                    minimum_minutes,
                    planned_minutes,
                ))
                * i64::from(seats)
        }
    }
}

/// What happens to a booking's hold when an event lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The hold stays (the booking started, or moved to another time).
    Keep,
    /// The whole hold goes back to the buyer.
    Void,
    /// `amount_minor` of the hold is paid (the rest released), then split.
    Post { amount_minor: i64 },
}

/// The settlement for `event`, given the cancellation fee the policy charges (for a
/// buyer's late cancellation or no-show) and what the session cost if it completed.
/// A provider's cancellation or no-show always voids.
pub fn settlement(event: BookingEvent, fee_minor: i64, charge_minor: i64) -> Settlement {
    let post = |amount_minor: i64| {
        if amount_minor > 0 {
            Settlement::Post { amount_minor }
        } else {
            Settlement::Void
        }
    };
    match event {
        BookingEvent::Start | BookingEvent::Reschedule => Settlement::Keep,
        BookingEvent::Complete => post(charge_minor),
        BookingEvent::Cancel(Party::Buyer) | BookingEvent::NoShow(Party::Buyer) => post(fee_minor),
        BookingEvent::Cancel(Party::Provider) | BookingEvent::NoShow(Party::Provider) => {
            Settlement::Void
        }
    }
}

/// A posted payment split into what the provider earns and the platform keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub provider_minor: i64,
    pub commission_minor: i64,
}

pub fn split_payment(amount_minor: i64, commission_bps: CommissionBps) -> Split {
    let (provider_minor, commission_minor) = split(amount_minor, commission_bps);
    Split {
        provider_minor,
        commission_minor,
    }
}

/// A refund of `refund_minor` after `refunded_before_minor` was already refunded of a
/// payment of `charged_minor` that earned `commission_minor`: how much comes back from
/// the provider's earnings and how much from the platform's revenue. Computed on the
/// running totals, so many partial refunds return exactly the commission one full refund
/// would.
pub fn refund_split(
    refund_minor: i64,
    refunded_before_minor: i64,
    charged_minor: i64,
    commission_minor: i64,
) -> Split {
    let platform_back = |refunded: i64| {
        if charged_minor <= 0 {
            0
        } else {
            ((i128::from(refunded) * i128::from(commission_minor)) / i128::from(charged_minor))
                as i64
        }
    };
    let commission_back =
        platform_back(refunded_before_minor + refund_minor) - platform_back(refunded_before_minor);
    Split {
        provider_minor: refund_minor - commission_back,
        commission_minor: commission_back,
    }
}

/// Whether a refund may still be asked for: the session was paid, ended at `ended_at`
/// at most `GUARANTEE_WINDOW` ago, and not all of it was refunded.
pub fn refund_window_open(ended_at: Timestamp, now: Timestamp) -> bool {
    now >= ended_at && now <= ended_at + GUARANTEE_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn per_minute_bills_begun_minutes_within_minimum_and_plan() {
        let start = t("2026-03-01T10:00:00Z");
        assert_eq!(billed_minutes(start, t("2026-03-01T10:12:01Z"), 10, 30), 13);
        assert_eq!(
            billed_minutes(start, t("2026-03-01T10:03:00Z"), 10, 30),
            10,
            "the minimum applies"
        );
        assert_eq!(
            billed_minutes(start, t("2026-03-01T11:30:00Z"), 10, 30),
            30,
            "never more than was held"
        );
        let price = PriceModel::PerMinute {
            rate_minor: 120,
            minimum_minutes: 10,
        };
        assert_eq!(hold_minor(price, 1, 30), 3600);
        assert_eq!(
            completed_charge_minor(price, 1, 30, start, t("2026-03-01T10:20:00Z")),
            2400
        );
    }

    #[test]
    fn providers_cancelling_always_void() {
        for fee in [0, 500] {
            assert_eq!(
                settlement(BookingEvent::Cancel(Party::Provider), fee, 0),
                Settlement::Void
            );
            assert_eq!(
                settlement(BookingEvent::NoShow(Party::Provider), fee, 0),
                Settlement::Void
            );
        }
        assert_eq!(
            settlement(BookingEvent::Cancel(Party::Buyer), 0, 0),
            Settlement::Void
        );
        assert_eq!(
            settlement(BookingEvent::Cancel(Party::Buyer), 700, 0),
            Settlement::Post { amount_minor: 700 }
        );
        assert_eq!(
            settlement(BookingEvent::Reschedule, 700, 0),
            Settlement::Keep
        );
    }

    #[test]
    fn health_and_free_sessions_pay_no_commission() {
        let paid = PriceModel::Fixed { price_minor: 2500 };
        assert_eq!(commission_for(paid, "health", 2000), 0);
        assert_eq!(commission_for(paid, "cooking", 2000), 2000);
        assert_eq!(commission_for(PriceModel::Free, "cooking", 2000), 0);
    }

    proptest! {
        /// Partial refunds, in any number, return the commission one full refund would,
        /// and each part sums to the refund.
        #[test]
        fn partial_refunds_return_commission_in_proportion(
            charged in 1i64..100_000,
            bps in 0u32..=10_000,
            cuts in prop::collection::vec(1i64..10_000, 1..8),
        ) {
            let commission = split(charged, bps).1;
            let mut refunded = 0;
            let mut commission_back = 0;
            for cut in cuts {
                let r = cut.min(charged - refunded);
                if r <= 0 { break; }
                let s = refund_split(r, refunded, charged, commission);
                prop_assert_eq!(s.provider_minor + s.commission_minor, r);
                prop_assert!(s.provider_minor >= 0 && s.commission_minor >= 0);
                refunded += r;
                commission_back += s.commission_minor;
            }
            prop_assert!(commission_back <= commission);
            if refunded == charged {
                prop_assert_eq!(commission_back, commission, "a full refund returns all commission");
            }
        }
    }
}
