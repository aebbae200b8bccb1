//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document generated from this code.
//!
//! Architecture invariant: every error is `{"error": {"code", "message", "fields"}}`;
//! every list is paged with at most `PER_PAGE_MAX` items.

mod accounts;
mod admin;
mod bookings;
mod catalog;
mod dto;
pub mod money;
mod notifications;
mod provide;
mod reputation;
mod search;

pub use dto::*;

use crate::error::{ApiError, ErrorBody, Failure};
use crate::state::AppState;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

/// The most items one page of any list may hold.
pub const PER_PAGE_MAX: u32 = 100;
pub const PER_PAGE_DEFAULT: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(accounts::signup))
        .route("/auth/token", post(accounts::token))
        .route("/me", get(accounts::me).patch(accounts::update_me))
        .route("/me/password", post(accounts::change_password))
        .route(
            "/me/tokens",
            get(accounts::tokens).post(accounts::create_token),
        )
        .route("/me/tokens/{id}", delete(accounts::revoke_token))
        .route("/me/listings", get(provide::my_listings))
        .route(
            "/me/provider",
            get(provide::my_application).put(provide::apply),
        )
        .route("/categories", get(catalog::categories))
        .route(
            "/listings",
            get(catalog::listings).post(provide::create_listing),
        )
        .route(
            "/listings/{id}",
            get(catalog::listing).patch(provide::update_listing),
        )
        .route("/listings/{id}/submit", post(provide::submit_listing))
        .route("/listings/{id}/pause", post(provide::pause_listing))
        .route("/listings/{id}/unpause", post(provide::unpause_listing))
        .route("/providers/{id}", get(catalog::provider))
        .route("/organizations", post(provide::create_organization))
        .route("/organizations/{slug}", get(catalog::organization))
        .route("/organizations/{slug}/members", post(provide::add_member))
        .route("/admin/providers", get(admin::applications))
        .route(
            "/admin/providers/{id}/approve",
            post(admin::approve_provider),
        )
        .route("/admin/providers/{id}/reject", post(admin::reject_provider))
        .route("/admin/listings", get(admin::listings_in_review))
        .route("/admin/listings/{id}/approve", post(admin::approve_listing))
        .route("/admin/listings/{id}/reject", post(admin::reject_listing))
        .route("/admin/accounts", get(admin::accounts))
        .route("/admin/accounts/{id}/suspend", post(admin::suspend))
        .route("/admin/accounts/{id}/unsuspend", post(admin::unsuspend))
        .route(
            "/me/calendar-feed",
            post(bookings::create_feed).delete(bookings::delete_feed),
        )
        .route(
            "/me/availability",
            get(bookings::get_availability).put(bookings::put_availability),
        )
        .route("/listings/{id}/slots", get(bookings::slots))
        .route("/listings/{id}/help-now", post(bookings::ask_help_now))
        .route(
            "/listings/{id}/hours",
            get(bookings::get_hours)
                .put(bookings::put_hours)
                .delete(bookings::delete_hours),
        )
        .route(
            "/help-now/{id}",
            get(bookings::help_now_status).delete(bookings::leave_help_now),
        )
        .route("/help-now/{id}/accept", post(bookings::accept_help_now))
        .route("/bookings/{id}/start", post(bookings::start))
        .route("/bookings/{id}/complete", post(bookings::complete))
        .route("/bookings/{id}/no-show", post(bookings::no_show))
        .route("/bookings", get(bookings::list).post(bookings::create))
        .route("/bookings/{id}", get(bookings::get))
        .route("/bookings/{id}/cancel", post(bookings::cancel))
        .route("/bookings/{id}/reschedule", post(bookings::reschedule))
        .route(
            "/bookings/{id}/proposal/accept",
            post(bookings::accept_proposal),
        )
        .route(
            "/bookings/{id}/proposal/decline",
            post(bookings::decline_proposal),
        )
        .route("/listings/{id}/reviews", get(reputation::listing_reviews))
        .route(
            "/providers/{id}/reputation",
            get(reputation::provider_reputation),
        )
        .route(
            "/organizations/{slug}/reviews",
            get(reputation::organization_reviews),
        )
        .route(
            "/bookings/{id}/review",
            get(reputation::booking_review)
                .post(reputation::create_review)
                .patch(reputation::edit_review),
        )
        .route("/bookings/{id}/buyer-rating", post(reputation::rate_buyer))
        .route("/bookings/{id}/transcript", get(bookings::transcript))
        .route("/reviews/{id}/reply", post(reputation::reply))
        .route(
            "/reviews/{id}/helpful",
            post(reputation::vote).delete(reputation::unvote),
        )
        .route("/me/blocks", get(reputation::blocks))
        .route(
            "/me/blocks/{id}",
            axum::routing::put(reputation::block).delete(reputation::unblock),
        )
        .route("/reports", post(reputation::create_report))
        .route("/admin/reports", get(reputation::reports))
        .route("/admin/reports/{id}/{action}", post(reputation::moderate))
        .route(
            "/admin/listings/{id}/restore",
            post(reputation::restore_listing),
        )
        .route(
            "/admin/reviews/{id}/restore",
            post(reputation::restore_review),
        )
        .route(
            "/admin/messages/{id}/restore",
            post(reputation::restore_message),
        )
        .route("/admin/audit", get(reputation::audit))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read))
        .route(
            "/me/email-preferences",
            get(notifications::preferences).put(notifications::set_preferences),
        )
        .route("/admin/jobs", get(notifications::jobs))
        .route("/admin/jobs/{id}/retry", post(notifications::retry))
        .route("/search", get(search::search))
        .route("/search/suggest", get(search::suggest))
        .route("/wallet", get(money::wallet))
        .route("/wallet/history", get(money::wallet_history))
        .route("/wallet/topups", post(money::top_up))
        .route("/earnings/history", get(money::earnings_history))
        .route("/payouts", get(money::payouts).post(money::pay_out))
        .route("/bookings/{id}/receipt", get(money::receipt))
        .route(
            "/bookings/{id}/refund-requests",
            post(money::request_refund),
        )
        .route("/refund-requests", get(money::refunds))
        .route("/refund-requests/{id}/grant", post(money::grant_refund))
        .route("/refund-requests/{id}/decline", post(money::decline_refund))
        .route("/admin/disputes", get(money::disputes))
        .route("/admin/disputes/{id}/decide", post(money::decide_dispute))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Onhand API", description = "Live help over video: accounts, providers, organizations, the catalog, bookings, money, reviews and moderation. Requests that move money need an Idempotency-Key header."),
    paths(
        accounts::signup, accounts::token, accounts::me, accounts::update_me, accounts::change_password,
        accounts::tokens, accounts::create_token, accounts::revoke_token,
        provide::my_listings, provide::my_application, provide::apply, provide::create_listing,
        provide::update_listing, provide::submit_listing, provide::pause_listing, provide::unpause_listing,
        provide::create_organization, provide::add_member,
        catalog::categories, catalog::listings, catalog::listing, catalog::provider, catalog::organization,
        admin::applications, admin::approve_provider, admin::reject_provider, admin::listings_in_review,
        admin::approve_listing, admin::reject_listing, admin::accounts, admin::suspend, admin::unsuspend,
        bookings::get_availability, bookings::put_availability, bookings::slots, bookings::create,
        bookings::list, bookings::get, bookings::cancel, bookings::reschedule,
        bookings::accept_proposal, bookings::decline_proposal, bookings::create_feed, bookings::delete_feed,
        bookings::start, bookings::complete, bookings::no_show,
        bookings::get_hours, bookings::put_hours, bookings::delete_hours,
        bookings::ask_help_now, bookings::help_now_status, bookings::leave_help_now, bookings::accept_help_now,
        money::wallet, money::wallet_history, money::top_up, money::earnings_history, money::pay_out, money::payouts,
        money::receipt, money::request_refund, money::refunds, money::grant_refund, money::decline_refund,
        money::disputes, money::decide_dispute, search::search, search::suggest,
        reputation::listing_reviews, reputation::provider_reputation, reputation::organization_reviews,
        reputation::create_review, reputation::edit_review, reputation::booking_review, reputation::reply,
        reputation::vote, reputation::unvote, reputation::rate_buyer, reputation::blocks, reputation::block,
        reputation::unblock, reputation::create_report, reputation::reports, reputation::moderate,
        reputation::restore_listing, reputation::restore_review, reputation::restore_message, reputation::audit,
        notifications::list, notifications::read, notifications::read_all, notifications::preferences,
        notifications::set_preferences, notifications::jobs, notifications::retry,
        bookings::transcript,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// A JSON body whose rejections are our JSON errors, naming what was wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError(json_failure(rejection))),
        }
    }
}

fn json_failure(r: JsonRejection) -> Failure {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            Failure::BadRequest("send the body as JSON with Content-Type: application/json".into())
        }
        JsonRejection::JsonSyntaxError(e) => {
            Failure::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            Failure::BadRequest(format!("the JSON does not match: {}", e.body_text()))
        }
        JsonRejection::BytesRejection(_) => Failure::BadRequest(format!(
            "the body could not be read; it must be at most {} bytes",
            crate::BODY_LIMIT_BYTES
        )),
        other => Failure::BadRequest(other.body_text()),
    }
}

/// Query parameters whose rejections are our JSON errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError(
                Failure::BadRequest(format!("the query string is not valid: {}", e.body_text())),
            )),
            Err(e) => Err(ApiError(Failure::BadRequest(e.body_text()))),
        }
    }
}

/// A numeric id from the path, or a 404 that says it is not one.
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError(Failure::BadRequest(e.body_text())))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(IdPath)
            .ok_or_else(|| {
                ApiError(Failure::NotFound(format!(
                    "{raw:?} is not an id; ids are positive integers"
                )))
            })
    }
}

/// `?page=&per_page=` with bounds.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
}

impl Paging {
    pub fn window(&self) -> Result<(onhand_store::Page, u32, u32), Failure> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(PER_PAGE_DEFAULT);
        let mut errors = onhand_core::Invalid::default();
        if page == 0 || page > 100_000 {
            errors.push("page", format!("page {page} is not in 1..=100000"));
        }
        if per_page == 0 || per_page > PER_PAGE_MAX {
            errors.push(
                "per_page",
                format!("per_page {per_page} is not in 1..={PER_PAGE_MAX}"),
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        Ok((
            onhand_store::Page {
                offset: i64::from(page - 1) * i64::from(per_page),
                limit: i64::from(per_page),
            },
            page,
            per_page,
        ))
    }
}
