//! The provider side: applying, listings, organizations.

use super::dto::*;
use super::{ApiJson, ApiQuery, IdPath, Paging};
use crate::actions::{self, ListingOwner};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onhand_core::provider::ApplicationInput;

/// The caller's provider application and where it stands.
#[utoipa::path(get, path = "/api/v1/me/provider", tag = "provide", security(("bearer" = [])),
    responses((status = 200, body = ProviderBody), (status = 404, body = ErrorBody)))]
pub async fn my_application(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ProviderBody>, ApiError> {
    let p = actions::provider_of(&state, caller.0.id)
        .await?
        .ok_or_else(|| Failure::NotFound("you have not applied to become a provider".into()))?;
    Ok(Json(ProviderBody::from(&p)))
}

/// Applies (or reapplies, or updates the profile) to become a provider.
#[utoipa::path(put, path = "/api/v1/me/provider", tag = "provide", security(("bearer" = [])), request_body = ApplicationRequest,
    responses((status = 200, body = ProviderBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<ApplicationRequest>,
) -> Result<Json<ProviderBody>, ApiError> {
    let input = ApplicationInput {
        headline: req.headline,
        bio: req.bio,
        languages: req.languages,
        time_zone: req.time_zone,
        country: req.country,
        experience: req.experience,
        licence_number: req.licence_number.unwrap_or_default(),
        licence_authority: req.licence_authority.unwrap_or_default(),
    };
    let p = actions::apply_as_provider(&state, &caller.0, &input, req.health).await?;
    Ok(Json(ProviderBody::from(&p)))
}

/// Listings the caller delivers or whose organization they own, in every state.
#[utoipa::path(get, path = "/api/v1/me/listings", tag = "provide", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = ManagedListingPage)))]
pub async fn my_listings(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<ManagedListingPage>, ApiError> {
    let (window, page, per_page) = paging.window()?;
    let found = state.store.listings_managed_by(caller.0.id, window).await?;
    Ok(Json(ManagedListingPage {
        items: found.items.iter().map(ManagedListingBody::from).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// Creates a listing (a draft, or submitted for review with `submit`).
#[utoipa::path(post, path = "/api/v1/listings", tag = "provide", security(("bearer" = [])), request_body = ListingRequest,
    responses((status = 201, body = ManagedListingBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<ListingRequest>,
) -> Result<(StatusCode, Json<ManagedListingBody>), ApiError> {
    let owner = ListingOwner {
        organization_slug: req.organization.clone(),
        delivered_by: req.delivered_by,
    };
    let listing =
        actions::create_listing(&state, &caller.0, &req.input(), &owner, req.submit).await?;
    Ok((
        StatusCode::CREATED,
        Json(ManagedListingBody::from(&listing)),
    ))
}

/// Replaces a listing's working copy. An approved version stays public until the edit is approved.
#[utoipa::path(patch, path = "/api/v1/listings/{id}", tag = "provide", security(("bearer" = [])), request_body = ListingRequest,
    params(("id" = i64, Path)), responses((status = 200, body = ManagedListingBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ListingRequest>,
) -> Result<Json<ManagedListingBody>, ApiError> {
    if req.organization.is_some() || req.delivered_by.is_some() {
        return Err(Failure::BadRequest(
            "organization and delivered_by can only be set when creating a listing".into(),
        )
        .into());
    }
    let listing = actions::update_listing(&state, &caller.0, id, &req.input(), req.submit).await?;
    Ok(Json(ManagedListingBody::from(&listing)))
}

/// Sends a draft or rejected listing for review.
#[utoipa::path(post, path = "/api/v1/listings/{id}/submit", tag = "provide", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ManagedListingBody), (status = 409, body = ErrorBody)))]
pub async fn submit_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ManagedListingBody>, ApiError> {
    let listing = actions::submit_listing(&state, &caller.0, id).await?;
    Ok(Json(ManagedListingBody::from(&listing)))
}

/// Hides a listing from the public until unpaused.
#[utoipa::path(post, path = "/api/v1/listings/{id}/pause", tag = "provide", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ManagedListingBody), (status = 404, body = ErrorBody)))]
pub async fn pause_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ManagedListingBody>, ApiError> {
    Ok(Json(ManagedListingBody::from(
        &actions::pause_listing(&state, &caller.0, id, true).await?,
    )))
}

/// Shows a paused listing again.
#[utoipa::path(post, path = "/api/v1/listings/{id}/unpause", tag = "provide", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ManagedListingBody), (status = 404, body = ErrorBody)))]
pub async fn unpause_listing(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ManagedListingBody>, ApiError> {
    Ok(Json(ManagedListingBody::from(
        &actions::pause_listing(&state, &caller.0, id, false).await?,
    )))
}

/// Creates an organization owned by the caller (an approved provider).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "provide", security(("bearer" = [])), request_body = OrganizationRequest,
    responses((status = 201, body = OrganizationBody), (status = 422, body = ErrorBody)))]
pub async fn create_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<OrganizationRequest>,
) -> Result<(StatusCode, Json<OrganizationBody>), ApiError> {
    let org = actions::create_organization(&state, &caller.0, &req.name, &req.description).await?;
    let members = state.store.members(org.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(OrganizationBody::new(&org, &members)),
    ))
}

/// Adds an approved provider to the caller's organization.
#[utoipa::path(post, path = "/api/v1/organizations/{slug}/members", tag = "provide", security(("bearer" = [])),
    request_body = MemberRequest, params(("slug" = String, Path)),
    responses((status = 200, body = OrganizationBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> Result<Json<OrganizationBody>, ApiError> {
    let org = actions::add_member(&state, &caller.0, &slug, &req.email).await?;
    let members = state.store.members(org.id).await?;
    Ok(Json(OrganizationBody::new(&org, &members)))
}
