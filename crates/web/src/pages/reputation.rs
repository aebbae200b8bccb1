//! Reputation on pages: rating summaries and review lists, the review and reply forms,
//! helpful votes, the provider's buyer rating and block buttons, report forms, and the
//! operator's report queue and audit log.

use super::admin::when;
use super::{FormErrors, RawForm};
use crate::auth::Viewer;
use crate::error::{Failure, PageError};
use crate::reputation;
use crate::state::AppState;
use crate::views::{Chrome, Pager};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use onhand_core::Invalid;
use onhand_core::booking::{BookingState, Party};
use onhand_core::reputation::{Stars, editable};
use onhand_store::{Account, Booking, Page, QueueCounts, Review, ReviewSort, ReviewSubject};

/// Reviews shown per page on listing and provider pages.
pub const REVIEWS_PER_PAGE: u32 = 10;
const QUEUE_PER_PAGE: u32 = 25;

pub struct Bar {
    pub stars: u8,
    pub count: u64,
    pub percent: u64,
}

/// A rating as shown: "4.3", the count and the distribution bars, 5 stars first.
pub struct RatingView {
    pub rating: String,
    pub count: u64,
    pub stars_text: String,
    pub bars: Vec<Bar>,
}

impl RatingView {
    pub fn of(s: Stars) -> RatingView {
        RatingView {
            rating: format!("{:.1}", s.rating()),
            count: s.count(),
            stars_text: stars_text(s.rating().round() as u8),
            bars: (1..=5u8)
                .rev()
                .map(|stars| Bar {
                    stars,
                    count: s.counts[usize::from(stars - 1)],
                    percent: s.percent(stars),
                })
                .collect(),
        }
    }
}

fn stars_text(n: u8) -> String {
    let n = usize::from(n.min(5));
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

pub struct ReviewView {
    pub id: i64,
    pub stars: u8,
    pub stars_text: String,
    pub author: String,
    pub listing_id: i64,
    pub listing_title: String,
    pub date: String,
    pub paragraphs: Vec<String>,
    pub edited: bool,
    pub reply: Option<String>,
    pub provider_name: String,
    pub helpful: i64,
    /// The viewer marked it helpful.
    pub voted: bool,
    /// The viewer may vote (signed in, not in the session).
    pub can_vote: bool,
    /// The viewer is signed in and may report it.
    pub can_report: bool,
}

pub async fn review_views(
    state: &AppState,
    viewer: Option<&Account>,
    reviews: &[Review],
) -> Result<Vec<ReviewView>, Failure> {
    let ids: Vec<i64> = reviews.iter().map(|r| r.id).collect();
    let voted = match viewer {
        Some(a) => state.store.helpful_votes_of(a.id, &ids).await?,
        None => Vec::new(),
    };
    Ok(reviews
        .iter()
        .map(|r| {
            let outsider = viewer.is_some_and(|a| a.id != r.buyer_id && a.id != r.provider_id);
            ReviewView {
                id: r.id,
                stars: r.stars,
                stars_text: stars_text(r.stars),
                author: r.buyer_name.clone(),
                listing_id: r.listing_id,
                listing_title: r.listing_title.clone(),
                date: r.created_at.strftime("%B %-d, %Y").to_string(),
                paragraphs: r
                    .body
                    .split('\n')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect(),
                edited: r.edited_at.is_some(),
                reply: r.reply.clone(),
                provider_name: r.provider_name.clone(),
                helpful: r.helpful,
                voted: voted.contains(&r.id),
                can_vote: outsider,
                can_report: viewer.is_some_and(|a| a.id != r.buyer_id),
            }
        })
        .collect())
}

/// A subject's rating and one page of its reviews, for listing and provider pages.
pub struct ReviewsBlock {
    pub rating: RatingView,
    pub reviews: Vec<ReviewView>,
    pub sort: &'static str,
    pub pager: Pager,
    /// The page's URL with `reviews=` and `rpage=` to come, ending in `?` or `&`.
    pub base: String,
}

pub async fn reviews_block(
    state: &AppState,
    viewer: Option<&Account>,
    subject: ReviewSubject,
    sort: Option<&str>,
    page: Option<&str>,
    base: String,
) -> Result<ReviewsBlock, Failure> {
    let (sort, sort_name) = match sort {
        Some("helpful") => (ReviewSort::Helpful, "helpful"),
        _ => (ReviewSort::Newest, "newest"),
    };
    let page: u32 = page
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let found = state
        .store
        .reviews(subject, sort, Page::nth(page, REVIEWS_PER_PAGE))
        .await?;
    let stars = reputation::stars(state, subject).await?;
    Ok(ReviewsBlock {
        rating: RatingView::of(stars),
        reviews: review_views(state, viewer, &found.items).await?,
        sort: sort_name,
        pager: Pager::new(
            page,
            REVIEWS_PER_PAGE,
            found.total,
            format!("{base}reviews={sort_name}&rpage="),
        ),
        base,
    })
}

/// How a provider answers and delivers, in words.
pub struct StatsView {
    pub reply_time: Option<String>,
    pub answered: String,
    pub completion: Option<i64>,
    pub delivered: i64,
}

pub async fn stats_view(state: &AppState, provider_id: i64) -> Result<StatsView, Failure> {
    let s = reputation::response_stats(state, provider_id).await?;
    Ok(StatsView {
        reply_time: s.median_answer_ms.map(reputation::describe_wait),
        answered: if s.rings > 0 {
            format!("{} of {} help-now requests answered", s.answered, s.rings)
        } else {
            String::new()
        },
        completion: s.completion_percent(),
        delivered: s.sessions_completed,
    })
}

/// What a booking page shows and offers about reputation.
pub struct BookingReputation {
    pub review: Option<ReviewView>,
    pub can_review: bool,
    pub can_edit: bool,
    pub can_reply: bool,
    pub review_id: i64,
    pub stars_value: u8,
    pub body_value: String,
    /// Provider only: their private rating of this buyer, or whether they may give one.
    pub buyer_rating: Option<String>,
    pub can_rate_buyer: bool,
    pub buyer_blocked: bool,
    /// Provider only: what providers have privately said of this buyer.
    pub buyer_record: String,
}

pub async fn booking_panel(
    state: &AppState,
    viewer: &Account,
    b: &Booking,
    party: Party,
) -> Result<BookingReputation, Failure> {
    let review = state.store.review_of_booking(b.id).await?;
    let view = match &review {
        Some(r) => review_views(state, Some(viewer), std::slice::from_ref(r))
            .await?
            .pop(),
        None => None,
    };
    let now = jiff::Timestamp::now();
    let mut panel = BookingReputation {
        can_review: party == Party::Buyer && review.is_none() && b.state == BookingState::Completed,
        can_edit: party == Party::Buyer
            && review
                .as_ref()
                .is_some_and(|r| r.hidden_at.is_none() && editable(r.created_at, now)),
        can_reply: party == Party::Provider
            && review
                .as_ref()
                .is_some_and(|r| r.reply.is_none() && r.hidden_at.is_none()),
        review_id: review.as_ref().map_or(0, |r| r.id),
        stars_value: review.as_ref().map_or(5, |r| r.stars),
        body_value: review.as_ref().map(|r| r.body.clone()).unwrap_or_default(),
        review: view,
        buyer_rating: None,
        can_rate_buyer: false,
        buyer_blocked: false,
        buyer_record: String::new(),
    };
    if party == Party::Provider {
        panel.buyer_rating = state.store.buyer_rating(b.id).await?.map(|(stars, note)| {
            if note.is_empty() {
                stars_text(stars)
            } else {
                format!("{} — {note}", stars_text(stars))
            }
        });
        panel.can_rate_buyer = panel.buyer_rating.is_none()
            && matches!(b.state, BookingState::Completed | BookingState::NoShowBuyer);
        panel.buyer_blocked = state.store.is_blocked(b.provider_id, b.buyer_id).await?;
        let record = state.store.buyer_stars(b.buyer_id).await?;
        panel.buyer_record = match record.mean() {
            Some(mean) => format!(
                "Providers rated {} {mean:.1} of 5 over {} session{}.",
                b.buyer_name,
                record.count(),
                if record.count() == 1 { "" } else { "s" }
            ),
            None => format!("No provider has rated {} yet.", b.buyer_name),
        };
    }
    Ok(panel)
}

fn booking_id(raw: &str) -> Result<i64, Failure> {
    super::path_id(raw, "booking")
}

fn stars_field(form: &RawForm) -> i64 {
    // Anything that is not a number becomes 0, which the rule then names.
    form.get("stars").trim().parse().unwrap_or(0)
}

/// Writes the buyer's review, or edits it while the window is open.
pub async fn save_review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let stars = stars_field(&form);
    let exists = state.store.review_of_booking(id).await?.is_some();
    let result = if exists {
        reputation::edit_review(&state, account, id, stars, form.get("body")).await
    } else {
        reputation::review(&state, account, id, stars, form.get("body")).await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?notice=reviewed")).into_response()),
        Err(Failure::Invalid(errors)) => {
            super::booking::booking_page(&state, &viewer, id, "", errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "review")?;
    match reputation::reply(&state, account, id, form.get("body")).await {
        Ok(r) => {
            Ok(Redirect::to(&format!("/bookings/{}?notice=replied", r.booking_id)).into_response())
        }
        Err(Failure::Invalid(errors)) => {
            let booking = state.store.review(id).await?.booking_id;
            super::booking::booking_page(&state, &viewer, booking, "", errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks a review helpful, or takes the vote back (`vote=0`), and goes back to it.
pub async fn helpful(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "review")?;
    let up = form.get("vote") != "0";
    match reputation::vote(&state, account, id, up).await {
        // A double submit lands where the first did.
        Ok(_) | Err(Failure::Conflict(_)) => {}
        Err(Failure::NotFound(_)) if !up => {}
        Err(e) => return Err(e.into()),
    }
    let r = state.store.review(id).await?;
    Ok(Redirect::to(&format!("/listings/{}#review-{id}", r.listing_id)).into_response())
}

pub async fn rate_buyer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    match reputation::rate_buyer(&state, account, id, stars_field(&form), form.get("note")).await {
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?notice=rated")).into_response()),
        Err(Failure::Invalid(errors)) => {
            super::booking::booking_page(&state, &viewer, id, "", errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn block(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    set_blocked(state, viewer, id, form, true).await
}

pub async fn unblock(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    set_blocked(state, viewer, id, form, false).await
}

/// The provider blocks or unblocks the buyer of one of their bookings.
async fn set_blocked(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
    blocked: bool,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let action = if blocked { "block" } else { "unblock" };
    let (b, party) = crate::schedule::own_booking(&state, account, id).await?;
    if party != Party::Provider {
        return Err(Failure::Forbidden("only the provider blocks the buyer".into()).into());
    }
    match reputation::set_blocked(&state, account, b.buyer_id, blocked).await {
        Ok(()) | Err(Failure::NotFound(_)) if !blocked => {}
        Ok(()) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/bookings/{id}?notice={action}ed")).into_response())
}

#[derive(Template)]
#[template(path = "reported.html")]
pub struct Reported {
    chrome: Chrome,
    title: String,
    message: String,
    back: String,
    errors: FormErrors,
    target: String,
    target_id: String,
    reason: String,
}

/// Files a report from the form on a listing, review or provider.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let back = super::local_path(form.get("next"))
        .unwrap_or("/")
        .to_string();
    let target_id: i64 = form.get("target_id").trim().parse().unwrap_or(0);
    let page = |title: &str, message: String, errors: Invalid| Reported {
        chrome: Chrome::new(&viewer),
        title: title.into(),
        message,
        back: back.clone(),
        errors: FormErrors(errors),
        target: form.get("target").into(),
        target_id: form.get("target_id").into(),
        reason: form.get("reason").into(),
    };
    match reputation::report(
        &state,
        account,
        form.get("target"),
        target_id,
        form.get("reason"),
    )
    .await
    {
        Ok(_) => Ok(super::render(&page(
            "Thank you",
            "Your report reached the operator, who will look at it and act if something is wrong."
                .into(),
            Invalid::default(),
        ))),
        Err(Failure::Conflict(m)) => Ok(super::render(&page(
            "Already reported",
            m,
            Invalid::default(),
        ))),
        Err(Failure::Invalid(errors)) => Ok(super::render_invalid(&page(
            "Tell us what is wrong",
            "The report needs a reason.".into(),
            errors,
        ))),
        Err(e) => Err(e.into()),
    }
}

pub struct ReportRow {
    pub id: i64,
    pub target: &'static str,
    pub reporter: String,
    pub reason: String,
    pub at: String,
    pub open_on_target: i64,
    pub status: String,
    pub target_id: i64,
    pub ctx: reputation::ReportContext,
    pub can_hide: bool,
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
pub struct Reports {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    status: String,
    rows: Vec<ReportRow>,
    pager: Pager,
}

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub notice: String,
}

async fn reports_page(
    state: &AppState,
    viewer: &Viewer,
    q: QueueQuery,
    errors: Invalid,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let status = reputation::report_status(Some(if q.status.is_empty() {
        "open"
    } else {
        q.status.as_str()
    }))?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let found = state
        .store
        .reports(status, Page::nth(page, QUEUE_PER_PAGE))
        .await?;
    let mut rows = Vec::with_capacity(found.items.len());
    for r in &found.items {
        rows.push(ReportRow {
            id: r.id,
            target: r.target.as_str(),
            reporter: r.reporter_name.clone(),
            reason: r.reason.clone(),
            at: when(r.created_at),
            open_on_target: r.open_on_target,
            status: r.status.clone(),
            target_id: r.target_id,
            ctx: reputation::context(state, r).await?,
            can_hide: r.target != onhand_core::reputation::ReportTarget::Account,
        });
    }
    let notice = match q.notice.as_str() {
        "dismiss" => "Dismissed.",
        "hide" => "Hidden from the public.",
        "suspend" => "Account suspended; its future bookings were cancelled and refunded.",
        "restored" => "Back in view.",
        _ => "",
    };
    let page = Reports {
        chrome: Chrome::new(viewer),
        notice: notice.into(),
        errors: FormErrors(errors.clone()),
        tab: "reports",
        counts: state.store.queue_counts().await?,
        status: status.into(),
        pager: Pager::new(
            page,
            QUEUE_PER_PAGE,
            found.total,
            format!("/admin/reports?status={status}&"),
        ),
        rows,
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn reports(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    reports_page(&state, &viewer, q, Invalid::default()).await
}

pub async fn moderate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let op = viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "report")?;
    match reputation::moderate(&state, op, id, &action, form.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/reports?notice={action}")).into_response()),
        Err(Failure::Invalid(errors)) => {
            reports_page(&state, &viewer, QueueQuery::default(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn restore_listing(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    restore(state, viewer, id, form, "listing").await
}

pub async fn restore_review(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    restore(state, viewer, id, form, "review").await
}

pub async fn restore_message(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    restore(state, viewer, id, form, "message").await
}

/// Brings a hidden listing or review back.
async fn restore(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
    target: &str,
) -> Result<Response, PageError> {
    let op = viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, target)?;
    match reputation::restore(&state, op, target, id, form.get("reason")).await {
        Ok(()) => {
            Ok(Redirect::to("/admin/reports?status=actioned&notice=restored").into_response())
        }
        Err(Failure::Invalid(errors)) => {
            reports_page(&state, &viewer, QueueQuery::default(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct AuditRow {
    pub at: String,
    pub operator: String,
    pub action: String,
    pub target: String,
    pub link: String,
    pub report: Option<i64>,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct Audit {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    rows: Vec<AuditRow>,
    pager: Pager,
}

pub async fn audit(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let found = state
        .store
        .moderation_log(Page::nth(page, QUEUE_PER_PAGE))
        .await?;
    let rows = found
        .items
        .into_iter()
        .map(|e| AuditRow {
            at: when(e.at),
            operator: e.operator_name,
            action: e.action,
            link: match e.target_kind.as_str() {
                "listing" => format!("/listings/{}", e.target_id),
                "account" => "/admin/accounts".into(),
                _ => String::new(),
            },
            target: format!("{} {}", e.target_kind, e.target_id),
            report: e.report_id,
            reason: e.reason,
        })
        .collect();
    Ok(super::render(&Audit {
        chrome: Chrome::new(&viewer),
        notice: String::new(),
        errors: FormErrors(Invalid::default()),
        tab: "audit",
        counts: state.store.queue_counts().await?,
        rows,
        pager: Pager::new(page, QUEUE_PER_PAGE, found.total, "/admin/audit?".into()),
    }))
}
