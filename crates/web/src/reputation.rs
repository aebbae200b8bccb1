//! Reputation and trust, once for both doors: reviews and replies, helpful votes, the
//! provider's private rating of buyers, blocks, reports and the operator's moderation.
//!
//! Architecture invariant: who may review, reply, rate, block, report or moderate is
//! decided here and nowhere else; pages and the API only parse and render.

use crate::auth::now;
use crate::error::Failure;
use crate::search::Touch;
use crate::state::AppState;
use onhand_core::booking::Party;
use onhand_core::reputation::{
    self, Moderation, ReportTarget, ReviewInput, Stars, buyer_rating_refusal, editable,
    review_refusal,
};
use onhand_store::{
    Account, Booking, Listing, Report, ResponseStats, Review, ReviewSubject, StoreError,
};

/// Response stats look back this far.
pub const STATS_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

/// A blocked buyer is told only that the provider is unavailable.
pub async fn refuse_if_blocked(
    state: &AppState,
    listing: &Listing,
    buyer: &Account,
) -> Result<(), Failure> {
    if state
        .store
        .is_blocked(listing.provider_id, buyer.id)
        .await?
    {
        return Err(Failure::Conflict(format!(
            "{} is unavailable",
            listing.provider_name
        )));
    }
    Ok(())
}

async fn buyers_booking(state: &AppState, buyer: &Account, id: i64) -> Result<Booking, Failure> {
    let (b, party) = crate::schedule::own_booking(state, buyer, id).await?;
    if party != Party::Buyer {
        return Err(Failure::Forbidden(
            "only the buyer reviews a session".into(),
        ));
    }
    Ok(b)
}

fn review_not_found(e: StoreError) -> Failure {
    match e {
        StoreError::NotFound => Failure::not_found("review"),
        e => e.into(),
    }
}

/// The buyer reviews a completed session, once.
pub async fn review(
    state: &AppState,
    buyer: &Account,
    booking_id: i64,
    stars: i64,
    body: &str,
) -> Result<Review, Failure> {
    let b = buyers_booking(state, buyer, booking_id).await?;
    if let Some(why) = review_refusal(b.state) {
        return Err(Failure::Conflict(why));
    }
    let input = ReviewInput::parse(stars, body)?;
    let r = state
        .store
        .create_review(&b, &input, now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => Failure::Conflict(
                "this session has a review already; edit it within 7 days of writing it".into(),
            ),
            e => e.into(),
        })?;
    tracing::info!(review_id = r.id, booking_id, stars, "review written");
    crate::notify::emit(state, crate::notify::Event::NewReview { review: r.id }).await;
    crate::cluster::touch(state, Touch::Listing(b.listing_id));
    Ok(r)
}

/// The buyer edits their review while the 7-day window is open.
pub async fn edit_review(
    state: &AppState,
    buyer: &Account,
    booking_id: i64,
    stars: i64,
    body: &str,
) -> Result<Review, Failure> {
    let b = buyers_booking(state, buyer, booking_id).await?;
    let Some(existing) = state.store.review_of_booking(b.id).await? else {
        return Err(Failure::NotFound(
            "this session has no review yet; write one first".into(),
        ));
    };
    if !editable(existing.created_at, now()) {
        return Err(Failure::Conflict(
            "reviews can be edited for 7 days after they are written; this one no longer can"
                .into(),
        ));
    }
    let input = ReviewInput::parse(stars, body)?;
    let r = state
        .store
        .edit_review(existing.id, &input, now())
        .await
        .map_err(review_not_found)?;
    crate::cluster::touch(state, Touch::Listing(b.listing_id));
    Ok(r)
}

/// The provider replies to a review of their session, once.
pub async fn reply(
    state: &AppState,
    provider: &Account,
    review_id: i64,
    body: &str,
) -> Result<Review, Failure> {
    let r = state
        .store
        .review(review_id)
        .await
        .map_err(review_not_found)?;
    if r.provider_id != provider.id {
        return Err(Failure::Forbidden(
            "only the provider of the session replies to its review".into(),
        ));
    }
    let body = reputation::parse_reply(body)?;
    state
        .store
        .reply_to_review(review_id, &body, now())
        .await
        .map_err(review_not_found)
}

/// A visible review, or 404 (hidden reviews are gone for everyone but the operator).
async fn visible_review(state: &AppState, id: i64) -> Result<Review, Failure> {
    let r = state.store.review(id).await.map_err(review_not_found)?;
    if r.hidden_at.is_some() {
        return Err(Failure::not_found("review"));
    }
    Ok(r)
}

/// Marks a review helpful (one vote per account, not on one's own review) or takes the
/// vote back. Returns the new count.
pub async fn vote(
    state: &AppState,
    account: &Account,
    review_id: i64,
    helpful: bool,
) -> Result<i64, Failure> {
    let r = visible_review(state, review_id).await?;
    if r.buyer_id == account.id || r.provider_id == account.id {
        return Err(Failure::Forbidden(
            "reviews are voted on by others, not by the people in the session".into(),
        ));
    }
    if helpful {
        state
            .store
            .vote_helpful(review_id, account.id, now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    Failure::Conflict("you marked this review helpful already".into())
                }
                e => e.into(),
            })
    } else {
        state
            .store
            .unvote_helpful(review_id, account.id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    Failure::NotFound("you had not marked this review helpful".into())
                }
                e => e.into(),
            })
    }
}

/// The provider's private rating of a session's buyer, once per booking.
pub async fn rate_buyer(
    state: &AppState,
    provider: &Account,
    booking_id: i64,
    stars: i64,
    note: &str,
) -> Result<Booking, Failure> {
    let (b, party) = crate::schedule::own_booking(state, provider, booking_id).await?;
    if party != Party::Provider {
        return Err(Failure::Forbidden(
            "only the provider rates the buyer".into(),
        ));
    }
    if let Some(why) = buyer_rating_refusal(b.state) {
        return Err(Failure::Conflict(why));
    }
    let mut errors = onhand_core::Invalid::default();
    let stars = errors.take(reputation::parse_stars("stars", stars));
    let note = errors.take(reputation::parse_note(note));
    let (stars, note) = errors.finish(|| (stars.expect("checked"), note.expect("checked")))?;
    state
        .store
        .rate_buyer(&b, stars, &note, now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                Failure::Conflict("you rated this session's buyer already".into())
            }
            e => e.into(),
        })?;
    Ok(b)
}

/// A provider blocks (or unblocks) a buyer they have had a booking with.
pub async fn set_blocked(
    state: &AppState,
    provider: &Account,
    buyer_id: i64,
    blocked: bool,
) -> Result<(), Failure> {
    if buyer_id == provider.id {
        return Err(Failure::Forbidden("you cannot block yourself".into()));
    }
    if blocked {
        if !state.store.has_booked_with(provider.id, buyer_id).await? {
            return Err(Failure::NotFound(
                "no buyer with that id has booked with you".into(),
            ));
        }
        state.store.block(provider.id, buyer_id, now()).await?;
        tracing::info!(provider = provider.id, buyer_id, "buyer blocked");
        Ok(())
    } else {
        state
            .store
            .unblock(provider.id, buyer_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => Failure::NotFound("that buyer is not blocked".into()),
                e => e.into(),
            })
    }
}

/// Anyone signed in reports a listing, review or account.
pub async fn report(
    state: &AppState,
    reporter: &Account,
    target: &str,
    target_id: i64,
    reason: &str,
) -> Result<Report, Failure> {
    let mut errors = onhand_core::Invalid::default();
    let target = errors.take(ReportTarget::parse(target));
    let reason = errors.take(reputation::parse_reason(reason));
    let (target, reason) =
        errors.finish(|| (target.expect("checked"), reason.expect("checked")))?;
    if target == ReportTarget::Account && target_id == reporter.id {
        return Err(Failure::Forbidden("you cannot report yourself".into()));
    }
    let r = state
        .store
        .create_report(reporter.id, target, target_id, &reason, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::NotFound(format!(
                "there is no {} {target_id} to report",
                target.as_str()
            )),
            StoreError::Conflict(_) => Failure::Conflict(format!(
                "you reported this {} already; the operator will look at it",
                target.as_str()
            )),
            e => e.into(),
        })?;
    tracing::warn!(
        report_id = r.id,
        target = target.as_str(),
        target_id,
        "report filed"
    );
    Ok(r)
}

/// The operator acts on a report: dismiss it, hide the item, or suspend the account
/// responsible (its future bookings are cancelled with full refunds).
pub async fn moderate(
    state: &AppState,
    operator: &Account,
    report_id: i64,
    action: &str,
    reason: &str,
) -> Result<Report, Failure> {
    let Some(action) = Moderation::parse(action) else {
        return Err(Failure::NotFound(format!(
            "{action:?} is not one of dismiss, hide, suspend"
        )));
    };
    let reason = onhand_core::provider::reason(reason)?;
    let report = state.store.report(report_id).await.map_err(|e| match e {
        StoreError::NotFound => Failure::not_found("report"),
        e => e.into(),
    })?;
    if !action.applies_to(report.target) {
        return Err(Failure::Conflict(
            "an account cannot be hidden; suspend it or dismiss the report".into(),
        ));
    }
    if action == Moderation::Suspend {
        let account = state
            .store
            .responsible_account(report.target, report.target_id)
            .await?;
        if account == operator.id {
            return Err(Failure::Conflict(
                "operators cannot suspend themselves".into(),
            ));
        }
    }
    let (cancelled, suspended) = state
        .store
        .moderate(report_id, operator.id, action, &reason, now())
        .await?;
    tracing::warn!(
        report_id,
        action = action.as_str(),
        operator = operator.id,
        cancelled = cancelled.len(),
        "report decided"
    );
    after_cancellations(state, &cancelled).await;
    if let Some(account) = suspended {
        crate::cluster::touch(state, Touch::Provider(account));
    }
    touch_listing_of(state, report.target, report.target_id).await;
    Ok(state.store.report(report_id).await?)
}

/// The operator brings a hidden listing, review or chat line back.
pub async fn restore(
    state: &AppState,
    operator: &Account,
    target: &str,
    target_id: i64,
    reason: &str,
) -> Result<(), Failure> {
    let mut errors = onhand_core::Invalid::default();
    let target = errors.take(ReportTarget::parse(target));
    let reason = errors.take(onhand_core::provider::reason(reason));
    let (target, reason) =
        errors.finish(|| (target.expect("checked"), reason.expect("checked")))?;
    state
        .store
        .restore(target, target_id, operator.id, &reason, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                Failure::NotFound(format!("there is no {} {target_id}", target.as_str()))
            }
            e => e.into(),
        })?;
    touch_listing_of(state, target, target_id).await;
    Ok(())
}

/// A hidden or restored listing or review changes what search shows for its listing.
async fn touch_listing_of(state: &AppState, target: ReportTarget, id: i64) {
    match target {
        ReportTarget::Listing => crate::cluster::touch(state, Touch::Listing(id)),
        ReportTarget::Review => {
            if let Ok(r) = state.store.review(id).await {
                crate::cluster::touch(state, Touch::Listing(r.listing_id));
            }
        }
        ReportTarget::Account | ReportTarget::Message => {}
    }
}

/// Bookings a suspension cancelled free their listings' slots, and both sides hear.
pub async fn after_cancellations(state: &AppState, cancelled: &[Booking]) {
    for b in cancelled {
        crate::cluster::touch(state, Touch::Listing(b.listing_id));
        crate::notify::cancelled(state, b).await;
    }
}

/// A subject's rating, with its star distribution.
pub async fn stars(state: &AppState, subject: ReviewSubject) -> Result<Stars, Failure> {
    Ok(state.store.stars(subject).await?)
}

/// A provider's response stats over the last `STATS_WINDOW` (sessions: all time).
pub async fn response_stats(state: &AppState, provider_id: i64) -> Result<ResponseStats, Failure> {
    Ok(state
        .store
        .response_stats(provider_id, now() - STATS_WINDOW)
        .await?)
}

/// A report status as asked for in a query: open (the default), dismissed or actioned.
pub fn report_status(raw: Option<&str>) -> Result<&'static str, Failure> {
    match raw.unwrap_or("open") {
        "open" => Ok("open"),
        "dismissed" => Ok("dismissed"),
        "actioned" => Ok("actioned"),
        other => Err(onhand_core::Invalid::one(
            "status",
            format!("{other:?} is not one of open, dismissed, actioned"),
        )
        .into()),
    }
}

/// "about 2 minutes" for a typical reply time.
pub fn describe_wait(ms: i64) -> String {
    let secs = (ms + 500) / 1000;
    match secs {
        0..=59 => format!("{} seconds", secs.max(1)),
        60..=3599 => {
            let m = (secs + 30) / 60;
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
        _ => {
            let h = (secs + 1800) / 3600;
            format!("{h} hour{}", if h == 1 { "" } else { "s" })
        }
    }
}

/// What the operator needs beside a report: the item as it is now, whose it is, and
/// where to look.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportContext {
    /// A line naming the item ("Listing 12: Piano for adults").
    pub summary: String,
    /// The reported text, as it stands (review body, listing description).
    pub text: String,
    /// The account responsible, and whether it is suspended.
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub account_suspended: bool,
    /// Whether the item is hidden already.
    pub hidden: bool,
    /// The page to open.
    pub link: String,
}

pub async fn context(state: &AppState, r: &Report) -> Result<ReportContext, Failure> {
    let gone = |what: &str| ReportContext {
        summary: format!("{what} {} no longer exists", r.target_id),
        text: String::new(),
        account_id: None,
        account_name: None,
        account_suspended: false,
        hidden: false,
        link: String::new(),
    };
    let (mut ctx, account) = match r.target {
        ReportTarget::Listing => match state.store.listing(r.target_id).await {
            Ok(l) => {
                let v = l.published.as_ref().unwrap_or(&l.working);
                (
                    ReportContext {
                        summary: format!("Listing {}: {}", l.id, v.title),
                        text: v.description.clone(),
                        account_id: None,
                        account_name: None,
                        account_suspended: false,
                        hidden: l.hidden_reason.is_some(),
                        link: format!("/listings/{}", l.id),
                    },
                    Some(l.provider_id),
                )
            }
            Err(StoreError::NotFound) => (gone("listing"), None),
            Err(e) => return Err(e.into()),
        },
        ReportTarget::Review => match state.store.review(r.target_id).await {
            Ok(v) => (
                ReportContext {
                    summary: format!(
                        "Review {} ({} stars) of {} by {}",
                        v.id, v.stars, v.listing_title, v.buyer_name
                    ),
                    text: v.body.clone(),
                    account_id: None,
                    account_name: None,
                    account_suspended: false,
                    hidden: v.hidden_at.is_some(),
                    link: format!("/listings/{}#review-{}", v.listing_id, v.id),
                },
                Some(v.buyer_id),
            ),
            Err(StoreError::NotFound) => (gone("review"), None),
            Err(e) => return Err(e.into()),
        },
        ReportTarget::Message => match state.store.room_message(r.target_id).await {
            Ok((m, hidden)) => (
                ReportContext {
                    summary: format!("Chat line {} in a session room, by {}", m.id, m.name),
                    text: m.text.clone(),
                    account_id: None,
                    account_name: None,
                    account_suspended: false,
                    hidden,
                    link: String::new(),
                },
                Some(m.account_id),
            ),
            Err(StoreError::NotFound) => (gone("message"), None),
            Err(e) => return Err(e.into()),
        },
        ReportTarget::Account => (
            ReportContext {
                summary: format!("Account {}", r.target_id),
                text: String::new(),
                account_id: None,
                account_name: None,
                account_suspended: false,
                hidden: false,
                link: format!("/providers/{}", r.target_id),
            },
            Some(r.target_id),
        ),
    };
    if let Some(id) = account {
        match state.store.account(id).await {
            Ok(a) => {
                ctx.account_id = Some(a.id);
                ctx.account_suspended = a.is_suspended();
                if r.target == ReportTarget::Account {
                    ctx.summary = format!("Account {}: {} <{}>", a.id, a.display_name, a.email);
                }
                ctx.account_name = Some(a.display_name);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ctx)
}
