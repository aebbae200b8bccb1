//! The operator's API: vetting providers and listings, suspending accounts.

use super::dto::*;
use super::{ApiJson, ApiQuery, IdPath, Paging};
use crate::actions;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use onhand_core::Invalid;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ApplicationsQuery {
    /// submitted (default), approved or rejected.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Provider applications by status, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/providers", tag = "admin", security(("bearer" = [])), params(ApplicationsQuery),
    responses((status = 200, body = ApplicationPage), (status = 403, body = ErrorBody)))]
pub async fn applications(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<ApplicationsQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    caller.require_operator()?;
    let status = q.status.as_deref().unwrap_or("submitted");
    if onhand_core::provider::ProviderStatus::parse(status).is_none() {
        return Err(Invalid::one(
            "status",
            format!("{status:?} is not one of submitted, approved, rejected"),
        )
        .into());
    }
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let found = state.store.provider_applications(status, window).await?;
    Ok(Json(ApplicationPage {
        items: found
            .items
            .iter()
            .map(|p| ApplicationBody {
                provider: ProviderBody::from(p),
                licence_number: p.licence_number.clone(),
                licence_authority: p.licence_authority.clone(),
            })
            .collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// Approves a submitted provider application.
#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ProviderBody), (status = 409, body = ErrorBody)))]
pub async fn approve_provider(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ProviderBody>, ApiError> {
    let op = caller.require_operator()?;
    let p = actions::decide_provider(&state, op, id, true, None).await?;
    Ok(Json(ProviderBody::from(&p)))
}

/// Rejects a submitted provider application with a reason the applicant sees.
#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = ProviderBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_provider(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<ProviderBody>, ApiError> {
    let op = caller.require_operator()?;
    let p = actions::decide_provider(&state, op, id, false, req.reason.as_deref()).await?;
    Ok(Json(ProviderBody::from(&p)))
}

/// Listings waiting for review, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/listings", tag = "admin", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = ManagedListingPage), (status = 403, body = ErrorBody)))]
pub async fn listings_in_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<ManagedListingPage>, ApiError> {
    caller.require_operator()?;
    let (window, page, per_page) = paging.window()?;
    let found = state.store.listings_in_review(window).await?;
    Ok(Json(ManagedListingPage {
        items: found.items.iter().map(ManagedListingBody::from).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// Approves a submitted listing: its working copy becomes the public version.
#[utoipa::path(post, path = "/api/v1/admin/listings/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ManagedListingBody), (status = 409, body = ErrorBody)))]
pub async fn approve_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ManagedListingBody>, ApiError> {
    let op = caller.require_operator()?;
    let l = actions::decide_listing(&state, op, id, true, None).await?;
    Ok(Json(ManagedListingBody::from(&l)))
}

/// Rejects a submitted listing with a reason its owner sees.
#[utoipa::path(post, path = "/api/v1/admin/listings/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = ManagedListingBody), (status = 422, body = ErrorBody)))]
pub async fn reject_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<ManagedListingBody>, ApiError> {
    let op = caller.require_operator()?;
    let l = actions::decide_listing(&state, op, id, false, req.reason.as_deref()).await?;
    Ok(Json(ManagedListingBody::from(&l)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    /// Part of an email or display name.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Accounts, newest first.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])), params(AccountsQuery),
    responses((status = 200, body = AccountPage), (status = 403, body = ErrorBody)))]
pub async fn accounts(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<AccountsQuery>,
) -> Result<Json<AccountPage>, ApiError> {
    caller.require_operator()?;
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let query = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let found = state.store.accounts(query, window).await?;
    Ok(Json(AccountPage {
        items: found.items.iter().map(AccountBody::from).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// Suspends an account: it cannot sign in and its listings disappear.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SuspendRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<SuspendRequest>,
) -> Result<StatusCode, ApiError> {
    let op = caller.require_operator()?;
    actions::suspend(&state, op, id, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a suspension.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unsuspend(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    let op = caller.require_operator()?;
    actions::unsuspend(&state, op, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
