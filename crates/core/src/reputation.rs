//! Reputation and trust: what a review may say and when, the rating aggregate, reports
//! and the operator's moderation actions.
//!
//! The rating shown for a listing, a provider or an organization is a Bayesian average:
//! every subject starts as if it had `PRIOR_REVIEWS` reviews of `PRIOR_MEAN` stars,
//!
//! ```text
//! rating = (PRIOR_REVIEWS · PRIOR_MEAN + Σ stars) / (PRIOR_REVIEWS + n)
//! ```
//!
//! so one five-star review moves a newcomer from 3.5 to 3.75, not to 5.0, and a long
//! record converges to its plain mean. It is monotone in every vote (raising any one
//! review's stars never lowers it), stays inside 1–5, and search ranks by the same
//! formula.

use crate::booking::BookingState;
use crate::contact::find_contact;
use crate::invalid::{Invalid, text};
use jiff::{SignedDuration, Timestamp};

/// The prior: subjects start as if they had `PRIOR_REVIEWS` reviews of `PRIOR_MEAN`.
pub const PRIOR_MEAN: f64 = 3.5;
pub const PRIOR_REVIEWS: f64 = 5.0;
/// How long after writing it the buyer may edit a review.
pub const EDIT_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);
pub const REVIEW_CHARS: std::ops::RangeInclusive<usize> = 0..=2000;
pub const REPLY_CHARS: std::ops::RangeInclusive<usize> = 1..=2000;
pub const NOTE_CHARS: std::ops::RangeInclusive<usize> = 0..=1000;
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=1000;
pub const STARS: std::ops::RangeInclusive<i64> = 1..=5;

/// The Bayesian average of `count` reviews whose plain mean is `mean`, in 1–5.
pub fn bayesian_rating(mean: f64, count: u64) -> f64 {
    let n = count as f64;
    (PRIOR_REVIEWS * PRIOR_MEAN + mean * n) / (PRIOR_REVIEWS + n)
}

/// How many reviews gave each number of stars; `counts[0]` is one star.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stars {
    pub counts: [u64; 5],
}

impl Stars {
    pub fn from_votes(votes: impl IntoIterator<Item = u8>) -> Stars {
        let mut s = Stars::default();
        for v in votes {
            s.add(v);
        }
        s
    }

    /// Counts one review of `stars` (1–5; others are ignored).
    pub fn add(&mut self, stars: u8) {
        if (1..=5).contains(&stars) {
            self.counts[usize::from(stars - 1)] += 1;
        }
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn sum(&self) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64 + 1) * n)
            .sum()
    }

    /// The plain mean, or `None` with no reviews.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.sum() as f64 / n as f64)
    }

    /// The rating shown and ranked by: the Bayesian average.
    pub fn rating(&self) -> f64 {
        bayesian_rating(self.mean().unwrap_or(0.0), self.count())
    }

    /// The share of reviews giving `stars`, in whole percent (for the distribution bars).
    pub fn percent(&self, stars: u8) -> u64 {
        let n = self.count();
        if n == 0 || !(1..=5).contains(&stars) {
            return 0;
        }
        (self.counts[usize::from(stars - 1)] * 100 + n / 2) / n
    }
}

/// A buyer's review as typed: stars and optional text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewInput {
    pub stars: u8,
    pub body: String,
}

impl ReviewInput {
    pub fn parse(stars: i64, body: &str) -> Result<ReviewInput, Invalid> {
        let mut errors = Invalid::default();
        let stars = errors.take(parse_stars("stars", stars));
        let body = errors.take(clean_text("body", body, REVIEW_CHARS));
        errors.finish(|| ReviewInput {
            stars: stars.expect("checked"),
            body: body.expect("checked"),
        })
    }
}

/// Stars are a whole number from 1 to 5.
pub fn parse_stars(field: &'static str, stars: i64) -> Result<u8, Invalid> {
    if STARS.contains(&stars) {
        Ok(stars as u8)
    } else {
        Err(Invalid::one(
            field,
            format!("{stars} is not a whole number of stars from 1 to 5"),
        ))
    }
}

/// The provider's public reply to a review.
pub fn parse_reply(body: &str) -> Result<String, Invalid> {
    clean_text("body", body, REPLY_CHARS)
}

/// The provider's private note on a buyer.
pub fn parse_note(note: &str) -> Result<String, Invalid> {
    text("note", note, NOTE_CHARS)
}

/// Why someone reports something, or why the operator acted.
pub fn parse_reason(reason: &str) -> Result<String, Invalid> {
    text("reason", reason, REASON_CHARS)
}

/// Public text: within its length and free of contact details, so deals stay where the
/// guarantee covers them.
fn clean_text(
    field: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<String, Invalid> {
    let value = text(field, value, range)?;
    if let Some(found) = find_contact(&value) {
        return Err(Invalid::one(
            field,
            format!(
                "contains {} ({:?}); reviews and replies stay on Onhand",
                found.kind.describe(),
                found.excerpt
            ),
        ));
    }
    Ok(value)
}

/// Why a buyer may not review a booking, or `None` when they may.
pub fn review_refusal(state: BookingState) -> Option<String> {
    match state {
        BookingState::Completed => None,
        BookingState::NoShowProvider => Some(
            "the provider did not show up and the session was refunded; there is nothing to review"
                .into(),
        ),
        s => Some(format!(
            "only completed sessions can be reviewed; this one is {}",
            s.as_str().replace('_', " ")
        )),
    }
}

/// Whether a review written at `created` may still be edited at `now`.
pub fn editable(created: Timestamp, now: Timestamp) -> bool {
    now < created + EDIT_WINDOW
}

/// Why a provider may not rate the buyer of a booking in `state`, or `None`.
pub fn buyer_rating_refusal(state: BookingState) -> Option<String> {
    match state {
        BookingState::Completed | BookingState::NoShowBuyer => None,
        s => Some(format!(
            "buyers are rated after a completed session or a buyer no-show; this one is {}",
            s.as_str().replace('_', " ")
        )),
    }
}

/// What can be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportTarget {
    Listing,
    Review,
    Account,
    /// A line of a session room's chat.
    Message,
}

impl ReportTarget {
    pub const ALL: [ReportTarget; 4] = [
        ReportTarget::Listing,
        ReportTarget::Review,
        ReportTarget::Account,
        ReportTarget::Message,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ReportTarget::Listing => "listing",
            ReportTarget::Review => "review",
            ReportTarget::Account => "account",
            ReportTarget::Message => "message",
        }
    }

    pub fn parse(s: &str) -> Result<ReportTarget, Invalid> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Invalid::one(
                    "target",
                    format!("{s:?} is not one of listing, review, account, message"),
                )
            })
    }
}

/// What the operator does with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moderation {
    /// Nothing wrong; the report is closed.
    Dismiss,
    /// The listing or review is taken out of public view.
    Hide,
    /// The account responsible (the listing's provider, the review's author, the
    /// account itself) is suspended, and its future bookings cancelled with full refunds.
    Suspend,
}

impl Moderation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Moderation::Dismiss => "dismiss",
            Moderation::Hide => "hide",
            Moderation::Suspend => "suspend",
        }
    }

    pub fn parse(s: &str) -> Option<Moderation> {
        [Moderation::Dismiss, Moderation::Hide, Moderation::Suspend]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// Whether this action makes sense for `target` ("hide" an account does not).
    pub fn applies_to(&self, target: ReportTarget) -> bool {
        !(matches!(self, Moderation::Hide) && target == ReportTarget::Account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_newcomer_starts_at_the_prior_and_one_review_moves_it_a_little() {
        assert_eq!(Stars::default().rating(), PRIOR_MEAN);
        let one = Stars::from_votes([5]);
        assert!((one.rating() - 3.75).abs() < 1e-9);
        assert_eq!(one.percent(5), 100);
        assert_eq!(Stars::from_votes([1, 2, 2]).percent(2), 67);
    }

    #[test]
    fn reviews_are_parsed_with_every_error_named() {
        let e = ReviewInput::parse(6, "call me at 555 123 4567").unwrap_err();
        assert!(e.message_for("stars").unwrap().contains("6 is not"));
        assert!(e.message_for("body").unwrap().contains("phone"));
        assert_eq!(
            ReviewInput::parse(5, "  Five stars, a great fix for my sink.  ").unwrap(),
            ReviewInput {
                stars: 5,
                body: "Five stars, a great fix for my sink.".into()
            }
        );
        assert!(ReviewInput::parse(0, "").is_err());
        assert!(ReviewInput::parse(3, "").is_ok());
    }

    #[test]
    fn only_completed_sessions_are_reviewed_and_edits_close_after_seven_days() {
        for s in BookingState::ALL {
            assert_eq!(review_refusal(s).is_none(), s == BookingState::Completed);
        }
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(editable(t, t + SignedDuration::from_hours(7 * 24 - 1)));
        assert!(!editable(t, t + EDIT_WINDOW));
    }

    fn votes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(1u8..=5, 0..200)
    }

    proptest! {
        #[test]
        fn the_rating_stays_between_one_and_five(v in votes()) {
            let r = Stars::from_votes(v).rating();
            prop_assert!((1.0..=5.0).contains(&r), "{r}");
        }

        #[test]
        fn raising_any_one_vote_never_lowers_the_rating(v in votes(), pick in any::<prop::sample::Index>()) {
            prop_assume!(!v.is_empty());
            let i = pick.index(v.len());
            prop_assume!(v[i] < 5);
            let before = Stars::from_votes(v.iter().copied()).rating();
            let mut up = v.clone();
            up[i] += 1;
            let after = Stars::from_votes(up).rating();
            prop_assert!(after > before, "{before} -> {after}");
        }

        #[test]
        fn adding_a_vote_above_the_rating_raises_it_and_below_lowers_it(v in votes(), s in 1u8..=5) {
            let before = Stars::from_votes(v.iter().copied()).rating();
            let mut more = v.clone();
            more.push(s);
            let after = Stars::from_votes(more).rating();
            if f64::from(s) > before + 1e-9 {
                prop_assert!(after > before);
            } else if f64::from(s) < before - 1e-9 {
                prop_assert!(after < before);
            }
        }

        #[test]
        fn many_reviews_converge_to_their_mean(pattern in proptest::collection::vec(1u8..=5, 1..10)) {
            let many: Vec<u8> = pattern.iter().copied().cycle().take(pattern.len() * 2000).collect();
            let s = Stars::from_votes(many);
            let mean = s.mean().unwrap();
            prop_assert!((s.rating() - mean).abs() < 0.01, "{} vs {mean}", s.rating());
        }
    }
}
