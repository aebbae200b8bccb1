//! Search over the API: the same index, filters, facets and ranking as the search page.

use super::{ApiQuery, ListingBody};
use crate::error::{ApiError, ErrorBody};
use crate::search::{self, SearchParams};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    /// A category slug, language code or price model.
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub languages: Vec<FacetCount>,
    pub price_models: Vec<FacetCount>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    /// Best first, by the requested sort.
    pub items: Vec<ListingBody>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// Counts over everything that matched, for narrowing further.
    pub facets: Facets,
}

fn counts(v: &[(String, u64)]) -> Vec<FacetCount> {
    v.iter()
        .map(|(value, count)| FacetCount {
            value: value.clone(),
            count: *count,
        })
        .collect()
}

/// Typo-tolerant search of public listings with filters, facet counts and sorting.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    let online = params.online(&state).await?;
    let q = params.parse(&state, &online)?;
    let (offset, per_page) = (q.offset, q.limit);
    let found = search::search(&state, q).await?;
    let mut items = Vec::with_capacity(found.hits.len());
    for hit in &found.hits {
        // A listing may have left the catalog since the index last heard; skip it.
        if let Ok(l) = state.store.listing(hit.listing_id as i64).await
            && let Some(body) = ListingBody::public(&l)
        {
            items.push(body);
        }
    }
    Ok(Json(SearchPage {
        items,
        total: found.total,
        page: offset / per_page + 1,
        per_page,
        facets: Facets {
            categories: counts(&found.categories),
            languages: counts(&found.languages),
            price_models: counts(&found.price_models),
        },
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// What has been typed so far.
    pub q: String,
}

#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    /// Listing titles that complete it, best first (at most 8).
    pub items: Vec<String>,
}

/// Autocomplete: listing titles for what has been typed so far.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "catalog", params(SuggestParams),
    responses((status = 200, body = Suggestions)))]
pub async fn suggest(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> Result<Json<Suggestions>, ApiError> {
    let typed: String = params
        .q
        .chars()
        .take(onhand_search::query::QUERY_CHARS_MAX)
        .collect();
    Ok(Json(Suggestions {
        items: search::suggest(&state, &typed).await?,
    }))
}
