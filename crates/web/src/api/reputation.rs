//! Reviews, ratings, blocks, reports and moderation over the API.

use super::{ApiJson, ApiQuery, IdPath, Paging};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::reputation::{self, ReportContext};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onhand_core::Invalid;
use onhand_core::reputation::{PRIOR_MEAN, PRIOR_REVIEWS, Stars};
use onhand_store::{Report, ResponseStats, Review, ReviewSort, ReviewSubject, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ReviewBody {
    pub id: i64,
    pub booking_id: i64,
    pub listing_id: i64,
    pub listing_title: String,
    pub provider_id: i64,
    pub provider_name: String,
    /// The author's display name.
    pub buyer_name: String,
    pub stars: u8,
    pub body: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    /// "Helpful" votes.
    pub helpful: i64,
}

impl From<&Review> for ReviewBody {
    fn from(r: &Review) -> Self {
        ReviewBody {
            id: r.id,
            booking_id: r.booking_id,
            listing_id: r.listing_id,
            listing_title: r.listing_title.clone(),
            provider_id: r.provider_id,
            provider_name: r.provider_name.clone(),
            buyer_name: r.buyer_name.clone(),
            stars: r.stars,
            body: r.body.clone(),
            created_at: r.created_at.to_string(),
            edited_at: r.edited_at.map(|t| t.to_string()),
            reply: r.reply.clone(),
            replied_at: r.replied_at.map(|t| t.to_string()),
            helpful: r.helpful,
        }
    }
}

/// A rating: the Bayesian average shown and ranked by, the plain mean, the count and
/// the distribution.
#[derive(Serialize, ToSchema)]
pub struct RatingBody {
    /// (prior_reviews · prior_mean + Σ stars) / (prior_reviews + count), 1–5.
    pub rating: f64,
    /// The plain mean, absent without reviews.
    pub mean: Option<f64>,
    pub count: u64,
    /// Reviews giving 1, 2, 3, 4 and 5 stars.
    pub distribution: [u64; 5],
    pub prior_mean: f64,
    pub prior_reviews: f64,
}

impl From<Stars> for RatingBody {
    fn from(s: Stars) -> Self {
        RatingBody {
            rating: (s.rating() * 100.0).round() / 100.0,
            mean: s.mean().map(|m| (m * 100.0).round() / 100.0),
            count: s.count(),
            distribution: s.counts,
            prior_mean: PRIOR_MEAN,
            prior_reviews: PRIOR_REVIEWS,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewPage {
    pub rating: RatingBody,
    pub items: Vec<ReviewBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewsQuery {
    /// newest (default) or helpful.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub fn review_sort(raw: Option<&str>) -> Result<ReviewSort, Failure> {
    match raw.unwrap_or("newest") {
        "newest" => Ok(ReviewSort::Newest),
        "helpful" => Ok(ReviewSort::Helpful),
        other => {
            Err(Invalid::one("sort", format!("{other:?} is not one of newest, helpful")).into())
        }
    }
}

async fn review_page(
    state: &AppState,
    subject: ReviewSubject,
    q: &ReviewsQuery,
) -> Result<ReviewPage, Failure> {
    let sort = review_sort(q.sort.as_deref())?;
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let found = state.store.reviews(subject, sort, window).await?;
    let stars = reputation::stars(state, subject).await?;
    Ok(ReviewPage {
        rating: RatingBody::from(stars),
        items: found.items.iter().map(ReviewBody::from).collect(),
        page,
        per_page,
        total: found.total,
    })
}

/// A public listing's reviews and rating.
#[utoipa::path(get, path = "/api/v1/listings/{id}/reviews", tag = "reputation", params(("id" = i64, Path), ReviewsQuery),
    responses((status = 200, body = ReviewPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn listing_reviews(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ReviewsQuery>,
) -> Result<Json<ReviewPage>, ApiError> {
    match state.store.listing(id).await {
        Ok(l) if l.is_public => {}
        Ok(_) | Err(StoreError::NotFound) => return Err(Failure::not_found("listing").into()),
        Err(e) => return Err(Failure::from(e).into()),
    }
    Ok(Json(
        review_page(&state, ReviewSubject::Listing(id), &q).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct StatsBody {
    /// Help-now rings in the last 90 days, and how many were answered.
    pub rings: i64,
    pub answered: i64,
    /// The median seconds from ring to answer.
    pub typical_reply_seconds: Option<i64>,
    /// Sessions delivered (all time).
    pub sessions_delivered: i64,
    /// Delivered among delivered plus those the provider cancelled or missed, in percent.
    pub completion_percent: Option<i64>,
}

impl From<ResponseStats> for StatsBody {
    fn from(s: ResponseStats) -> Self {
        StatsBody {
            rings: s.rings,
            answered: s.answered,
            typical_reply_seconds: s.median_answer_ms.map(|m| (m + 500) / 1000),
            sessions_delivered: s.sessions_completed,
            completion_percent: s.completion_percent(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProviderReputation {
    pub rating: RatingBody,
    pub stats: StatsBody,
    pub reviews: ReviewPage,
}

async fn public_provider(state: &AppState, id: i64) -> Result<(), Failure> {
    match state.store.provider(id).await {
        Ok(p) if p.is_approved() => Ok(()),
        Ok(_) | Err(StoreError::NotFound) => Err(Failure::not_found("provider")),
        Err(e) => Err(e.into()),
    }
}

/// A provider's rating over all their listings, response stats, and reviews.
#[utoipa::path(get, path = "/api/v1/providers/{id}/reputation", tag = "reputation", params(("id" = i64, Path), ReviewsQuery),
    responses((status = 200, body = ProviderReputation), (status = 404, body = ErrorBody)))]
pub async fn provider_reputation(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ReviewsQuery>,
) -> Result<Json<ProviderReputation>, ApiError> {
    public_provider(&state, id).await?;
    let reviews = review_page(&state, ReviewSubject::Provider(id), &q).await?;
    let stats = reputation::response_stats(&state, id).await?;
    Ok(Json(ProviderReputation {
        rating: RatingBody::from(reputation::stars(&state, ReviewSubject::Provider(id)).await?),
        stats: StatsBody::from(stats),
        reviews,
    }))
}

/// An organization's rating over its listings, and their reviews.
#[utoipa::path(get, path = "/api/v1/organizations/{slug}/reviews", tag = "reputation", params(("slug" = String, Path), ReviewsQuery),
    responses((status = 200, body = ReviewPage), (status = 404, body = ErrorBody)))]
pub async fn organization_reviews(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ReviewsQuery>,
) -> Result<Json<ReviewPage>, ApiError> {
    let org = state
        .store
        .organization_by_slug(&slug)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("organization"),
            e => e.into(),
        })?;
    Ok(Json(
        review_page(&state, ReviewSubject::Organization(org.id), &q).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5.
    pub stars: i64,
    /// Up to 2,000 characters, no contact details; may be empty.
    #[serde(default)]
    pub body: String,
}

/// The buyer reviews a completed session (once per booking).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/review", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReviewRequest,
    responses((status = 201, body = ReviewBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, Json<ReviewBody>), ApiError> {
    let r = reputation::review(&state, &caller.0, id, req.stars, &req.body).await?;
    Ok((StatusCode::CREATED, Json(ReviewBody::from(&r))))
}

/// The buyer edits their review, within 7 days of writing it.
#[utoipa::path(patch, path = "/api/v1/bookings/{id}/review", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReviewRequest,
    responses((status = 200, body = ReviewBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<Json<ReviewBody>, ApiError> {
    let r = reputation::edit_review(&state, &caller.0, id, req.stars, &req.body).await?;
    Ok(Json(ReviewBody::from(&r)))
}

/// A booking's review, for its buyer and provider.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/review", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ReviewBody), (status = 404, body = ErrorBody)))]
pub async fn booking_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ReviewBody>, ApiError> {
    crate::schedule::own_booking(&state, &caller.0, id).await?;
    match state
        .store
        .review_of_booking(id)
        .await
        .map_err(Failure::from)?
    {
        Some(r) => Ok(Json(ReviewBody::from(&r))),
        None => Err(Failure::NotFound("this session has no review".into()).into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub body: String,
}

/// The provider replies to a review of their session, once.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReplyRequest,
    responses((status = 200, body = ReviewBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> Result<Json<ReviewBody>, ApiError> {
    let r = reputation::reply(&state, &caller.0, id, &req.body).await?;
    Ok(Json(ReviewBody::from(&r)))
}

#[derive(Serialize, ToSchema)]
pub struct HelpfulBody {
    pub helpful: i64,
}

/// Marks a review helpful; one vote per account.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/helpful", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = HelpfulBody), (status = 409, body = ErrorBody)))]
pub async fn vote(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<HelpfulBody>, ApiError> {
    let helpful = reputation::vote(&state, &caller.0, id, true).await?;
    Ok(Json(HelpfulBody { helpful }))
}

/// Takes a "helpful" vote back.
#[utoipa::path(delete, path = "/api/v1/reviews/{id}/helpful", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = HelpfulBody), (status = 404, body = ErrorBody)))]
pub async fn unvote(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<HelpfulBody>, ApiError> {
    let helpful = reputation::vote(&state, &caller.0, id, false).await?;
    Ok(Json(HelpfulBody { helpful }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerRatingRequest {
    pub stars: i64,
    /// A private note, up to 1,000 characters.
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct BuyerRatingBody {
    pub booking_id: i64,
    pub stars: u8,
    pub note: String,
}

/// The provider's private rating of a session's buyer; the buyer never sees it.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/buyer-rating", tag = "reputation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = BuyerRatingRequest,
    responses((status = 201, body = BuyerRatingBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rate_buyer(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<BuyerRatingRequest>,
) -> Result<(StatusCode, Json<BuyerRatingBody>), ApiError> {
    reputation::rate_buyer(&state, &caller.0, id, req.stars, &req.note).await?;
    let (stars, note) = state
        .store
        .buyer_rating(id)
        .await
        .map_err(Failure::from)?
        .ok_or_else(|| Failure::not_found("buyer rating"))?;
    Ok((
        StatusCode::CREATED,
        Json(BuyerRatingBody {
            booking_id: id,
            stars,
            note,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BlockedBody {
    pub buyer_id: i64,
    pub name: String,
    pub blocked_at: String,
}

/// The buyers the caller has blocked.
#[utoipa::path(get, path = "/api/v1/me/blocks", tag = "reputation", security(("bearer" = [])),
    responses((status = 200, body = [BlockedBody])))]
pub async fn blocks(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<BlockedBody>>, ApiError> {
    let list = state
        .store
        .blocked_buyers(caller.0.id)
        .await
        .map_err(Failure::from)?;
    Ok(Json(
        list.into_iter()
            .map(|b| BlockedBody {
                buyer_id: b.buyer_id,
                name: b.name,
                blocked_at: b.blocked_at.to_string(),
            })
            .collect(),
    ))
}

/// Blocks a buyer who has booked with the caller: they can no longer book or ask for
/// help now, and are told only that the provider is unavailable.
#[utoipa::path(put, path = "/api/v1/me/blocks/{buyer_id}", tag = "reputation", security(("bearer" = [])),
    params(("buyer_id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn block(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(buyer_id): IdPath,
) -> Result<StatusCode, ApiError> {
    reputation::set_blocked(&state, &caller.0, buyer_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblocks a buyer.
#[utoipa::path(delete, path = "/api/v1/me/blocks/{buyer_id}", tag = "reputation", security(("bearer" = [])),
    params(("buyer_id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unblock(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(buyer_id): IdPath,
) -> Result<StatusCode, ApiError> {
    reputation::set_blocked(&state, &caller.0, buyer_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// listing, review, account or message (a line of a session room's chat).
    pub target: String,
    pub target_id: i64,
    /// What is wrong, 3 to 1,000 characters.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    pub id: i64,
    pub target: String,
    pub target_id: i64,
    pub reason: String,
    /// open, dismissed or actioned.
    pub status: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    /// Set in the operator's queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_on_target: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ReportContext>,
}

impl ReportBody {
    fn of(r: &Report) -> Self {
        ReportBody {
            id: r.id,
            target: r.target.as_str().into(),
            target_id: r.target_id,
            reason: r.reason.clone(),
            status: r.status.clone(),
            created_at: r.created_at.to_string(),
            decided_at: r.decided_at.map(|t| t.to_string()),
            reporter_name: None,
            open_on_target: None,
            context: None,
        }
    }
}

/// Reports a listing, review or account to the operator.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reputation", security(("bearer" = [])), request_body = ReportRequest,
    responses((status = 201, body = ReportBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportBody>), ApiError> {
    let r = reputation::report(&state, &caller.0, &req.target, req.target_id, &req.reason).await?;
    Ok((StatusCode::CREATED, Json(ReportBody::of(&r))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// open (default), dismissed or actioned.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportPage {
    pub items: Vec<ReportBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// The operator's report queue, with each item's context.
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "admin", security(("bearer" = [])), params(ReportsQuery),
    responses((status = 200, body = ReportPage), (status = 403, body = ErrorBody)))]
pub async fn reports(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<ReportsQuery>,
) -> Result<Json<ReportPage>, ApiError> {
    caller.require_operator()?;
    let status = reputation::report_status(q.status.as_deref())?;
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let found = state
        .store
        .reports(status, window)
        .await
        .map_err(Failure::from)?;
    let mut items = Vec::with_capacity(found.items.len());
    for r in &found.items {
        let mut body = ReportBody::of(r);
        body.reporter_name = Some(r.reporter_name.clone());
        body.open_on_target = Some(r.open_on_target);
        body.context = Some(reputation::context(&state, r).await?);
        items.push(body);
    }
    Ok(Json(ReportPage {
        items,
        page,
        per_page,
        total: found.total,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// Why, kept in the audit log.
    pub reason: String,
}

/// Acts on a report: `dismiss`, `hide` (listing or review) or `suspend` (the account
/// responsible; its future bookings are cancelled with full refunds). Every open report
/// of the same item is closed with it, and the action is logged.
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/{action}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path), ("action" = String, Path)), request_body = ModerationRequest,
    responses((status = 200, body = ReportBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn moderate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, action)): Path<(String, String)>,
    ApiJson(req): ApiJson<ModerationRequest>,
) -> Result<Json<ReportBody>, ApiError> {
    let op = caller.require_operator()?;
    let id = crate::pages::path_id(&id, "report")?;
    let r = reputation::moderate(&state, op, id, &action, &req.reason).await?;
    Ok(Json(ReportBody::of(&r)))
}

/// Brings a hidden listing back into the catalog (logged).
#[utoipa::path(post, path = "/api/v1/admin/listings/{id}/restore", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ModerationRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restore_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ModerationRequest>,
) -> Result<StatusCode, ApiError> {
    let op = caller.require_operator()?;
    reputation::restore(&state, op, "listing", id, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a hidden review back into view (logged).
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/restore", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ModerationRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restore_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ModerationRequest>,
) -> Result<StatusCode, ApiError> {
    let op = caller.require_operator()?;
    reputation::restore(&state, op, "review", id, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a hidden chat line back into the session's transcript (logged).
#[utoipa::path(post, path = "/api/v1/admin/messages/{id}/restore", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ModerationRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restore_message(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ModerationRequest>,
) -> Result<StatusCode, ApiError> {
    let op = caller.require_operator()?;
    reputation::restore(&state, op, "message", id, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryBody {
    pub id: i64,
    pub operator_id: i64,
    pub operator_name: String,
    /// suspend, unsuspend, hide, restore or dismiss.
    pub action: String,
    pub target: String,
    pub target_id: i64,
    pub report_id: Option<i64>,
    pub reason: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// The append-only moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<AuditPage>, ApiError> {
    caller.require_operator()?;
    let (window, page, per_page) = q.window()?;
    let found = state
        .store
        .moderation_log(window)
        .await
        .map_err(Failure::from)?;
    Ok(Json(AuditPage {
        items: found
            .items
            .into_iter()
            .map(|e| AuditEntryBody {
                id: e.id,
                operator_id: e.operator_id,
                operator_name: e.operator_name,
                action: e.action,
                target: e.target_kind,
                target_id: e.target_id,
                report_id: e.report_id,
                reason: e.reason,
                at: e.at.to_string(),
            })
            .collect(),
        page,
        per_page,
        total: found.total,
    }))
}
