//! The public catalog: categories, listings, providers and organizations.

use super::dto::*;
use super::{ApiQuery, IdPath, Paging};
use crate::actions;
use crate::auth::MaybeApiCaller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use onhand_core::catalog::{CATEGORIES, ListingSort};
use onhand_store::{ListingFilter, StoreError};

/// The eight categories and their subcategories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", responses((status = 200, body = Vec<CategoryBody>)))]
pub async fn categories() -> Json<Vec<CategoryBody>> {
    Json(
        CATEGORIES
            .iter()
            .map(|c| CategoryBody {
                slug: c.slug.into(),
                name: c.name.into(),
                needs_licence: c.needs_licence(),
                subcategories: c
                    .subcategories
                    .iter()
                    .map(|s| SubcategoryBody {
                        slug: s.slug.into(),
                        name: s.name.into(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListingsQuery {
    pub category: Option<String>,
    pub subcategory: Option<String>,
    /// Words that must all appear.
    pub q: Option<String>,
    /// newest, price_low, price_high or title.
    pub sort: Option<String>,
    pub provider: Option<i64>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Public listings, filtered and sorted.
#[utoipa::path(get, path = "/api/v1/listings", tag = "catalog", params(ListingsQuery),
    responses((status = 200, body = ListingPage), (status = 422, body = ErrorBody)))]
pub async fn listings(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListingsQuery>,
) -> Result<Json<ListingPage>, ApiError> {
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let filter = crate::views::filter(
        q.category.as_deref(),
        q.subcategory.as_deref(),
        q.q.as_deref(),
    )?;
    let filter = ListingFilter {
        provider_id: q.provider,
        ..filter
    };
    let sort = ListingSort::parse(q.sort.as_deref().unwrap_or(""))?;
    let found = state
        .store
        .public_listings(&filter, crate::views::sort_order(sort), window)
        .await?;
    Ok(Json(ListingPage {
        items: found.items.iter().filter_map(ListingBody::public).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// One listing: public ones for everyone; unpublished ones for who manages them.
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = ManagedListingBody), (status = 404, body = ErrorBody)))]
pub async fn listing(
    State(state): State<AppState>,
    caller: MaybeApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    let listing = actions::visible_listing(&state, caller.0.as_ref(), id).await?;
    let manages = match &caller.0 {
        Some(a) => a.is_operator || actions::may_manage(&state, a, &listing).await?,
        None => false,
    };
    let body = if manages {
        serde_json::to_value(ManagedListingBody::from(&listing))
    } else {
        serde_json::to_value(
            ListingBody::public(&listing).ok_or_else(|| Failure::not_found("listing"))?,
        )
    };
    Ok(Json(body.map_err(anyhow::Error::from)?))
}

/// An approved provider's public profile.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = ProviderBody), (status = 404, body = ErrorBody)))]
pub async fn provider(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<ProviderBody>, ApiError> {
    match state.store.provider(id).await {
        Ok(p) if p.is_approved() => Ok(Json(ProviderBody::from(&p))),
        Ok(_) | Err(StoreError::NotFound) => Err(Failure::not_found("provider").into()),
        Err(e) => Err(e.into()),
    }
}

/// An organization and its members.
#[utoipa::path(get, path = "/api/v1/organizations/{slug}", tag = "catalog", params(("slug" = String, Path)),
    responses((status = 200, body = OrganizationBody), (status = 404, body = ErrorBody)))]
pub async fn organization(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<OrganizationBody>, ApiError> {
    let org = state
        .store
        .organization_by_slug(&slug)
        .await
        .map_err(|_| Failure::not_found("organization"))?;
    let members = state.store.members(org.id).await?;
    Ok(Json(OrganizationBody::new(&org, &members)))
}
