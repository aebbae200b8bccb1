//! Browsing the catalog: home, categories, search, listing, provider and organization pages.

use crate::actions;
use crate::auth::Viewer;
use crate::error::{Failure, PageError};
use crate::state::AppState;
use crate::views::{self, Card, Chrome, Pager};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use onhand_core::catalog::{CATEGORIES, CancellationPolicy, Category, ListingSort, category};
use onhand_core::money::Currency;
use onhand_store::{ListingFilter, Page, SortOrder, StoreError};

/// Listings per page on category and search pages.
pub const PER_PAGE: u32 = 24;
/// Cards in each shelf of the home page.
const SHELF: i64 = 8;
/// Pages beyond this are refused rather than scanned.
const PAGE_MAX: u32 = 1000;

pub struct CategoryTile {
    pub slug: &'static str,
    pub name: &'static str,
    pub blurb: &'static str,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    chrome: Chrome,
    categories: Vec<CategoryTile>,
    featured: Vec<Card>,
    newest: Vec<Card>,
    available_now: Vec<Card>,
    listing_total: i64,
    provider_total: usize,
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let counts = state.store.public_counts_by_category().await?;
    let shelf = Page {
        offset: 0,
        limit: SHELF,
    };
    let featured = state
        .store
        .public_listings(
            &ListingFilter {
                featured_only: true,
                ..Default::default()
            },
            SortOrder::Newest,
            shelf,
        )
        .await?;
    let newest = state
        .store
        .public_listings(&ListingFilter::default(), SortOrder::Newest, shelf)
        .await?;
    let listing_total = counts.iter().map(|(_, n)| n).sum();
    // The "available now" shelf: listings of providers online right now, best first.
    let online = crate::helpnow::online_providers(&state).await?;
    let mut available_now = Vec::new();
    if !online.is_empty() {
        let found = crate::search::search(
            &state,
            onhand_search::SearchQuery {
                providers: Some(online.iter().map(|p| *p as u64).collect()),
                limit: SHELF as usize,
                now_ms: jiff::Timestamp::now().as_millisecond(),
                ..Default::default()
            },
        )
        .await?;
        for hit in found.hits {
            if let Ok(l) = state.store.listing(hit.listing_id as i64).await
                && l.is_public
            {
                available_now.push(Card::new(&l));
            }
        }
    }
    let providers = state
        .store
        .provider_applications(
            "approved",
            Page {
                offset: 0,
                limit: 1,
            },
        )
        .await?;
    Ok(super::render(&Home {
        chrome: Chrome::new(&viewer),
        categories: CATEGORIES
            .iter()
            .map(|c| CategoryTile {
                slug: c.slug,
                name: c.name,
                blurb: c.blurb,
                count: counts
                    .iter()
                    .find(|(s, _)| s == c.slug)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            })
            .collect(),
        featured: featured.items.iter().map(Card::new).collect(),
        newest: newest.items.iter().map(Card::new).collect(),
        available_now,
        listing_total,
        provider_total: providers.total as usize,
    }))
}

#[derive(Template)]
#[template(path = "browse.html")]
pub struct Browse {
    chrome: Chrome,
    heading: String,
    blurb: String,
    category: Option<&'static Category>,
    sub: String,
    q: String,
    sort: String,
    sorts: Vec<(&'static str, &'static str)>,
    action: String,
    cards: Vec<Card>,
    pager: Pager,
}

#[derive(serde::Deserialize, Default)]
pub struct BrowseQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sub: String,
    #[serde(default)]
    sort: String,
    page: Option<String>,
}

fn page_number(raw: Option<&str>) -> Result<u32, Failure> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=PAGE_MAX).contains(p))
            .ok_or_else(|| {
                Failure::BadRequest(format!("page {s:?} is not a number in 1..={PAGE_MAX}"))
            }),
    }
}

const SORTS: &[(&str, &str)] = &[
    ("newest", "Newest"),
    ("price_low", "Price: low to high"),
    ("price_high", "Price: high to low"),
    ("title", "Title"),
];

async fn browse(
    state: &AppState,
    viewer: &Viewer,
    category: Option<&'static Category>,
    q: BrowseQuery,
) -> Result<Response, PageError> {
    let page = page_number(q.page.as_deref())?;
    let sort = ListingSort::parse(&q.sort).map_err(|e| Failure::BadRequest(e.to_string()))?;
    let filter: ListingFilter = views::filter(category.map(|c| c.slug), Some(&q.sub), Some(&q.q))
        .map_err(|f| match f {
        Failure::Invalid(inv) => Failure::BadRequest(inv.to_string()),
        other => other,
    })?;
    let found = state
        .store
        .public_listings(&filter, views::sort_order(sort), Page::nth(page, PER_PAGE))
        .await?;
    let (heading, blurb, action) = match category {
        Some(c) => {
            let sub_name = c.subcategory(&q.sub).map(|s| s.name);
            (
                sub_name
                    .map(|s| format!("{} · {s}", c.name))
                    .unwrap_or_else(|| c.name.to_string()),
                c.blurb.to_string(),
                format!("/c/{}", c.slug),
            )
        }
        None if q.q.trim().is_empty() => (
            "All helpouts".to_string(),
            String::new(),
            "/search".to_string(),
        ),
        None => (
            format!("Results for “{}”", q.q.trim()),
            String::new(),
            "/search".to_string(),
        ),
    };
    let mut base = format!("{action}?sort={}&", sort.as_str());
    if !q.sub.is_empty() {
        base.push_str(&format!("sub={}&", urlencode(&q.sub)));
    }
    if !q.q.is_empty() {
        base.push_str(&format!("q={}&", urlencode(&q.q)));
    }
    let mut chrome = Chrome::new(viewer);
    chrome.q = q.q.clone();
    Ok(super::render(&Browse {
        chrome,
        heading,
        blurb,
        category,
        sub: q.sub,
        q: q.q,
        sort: sort.as_str().to_string(),
        sorts: SORTS.to_vec(),
        action,
        cards: found.items.iter().map(Card::new).collect(),
        pager: Pager::new(page, PER_PAGE, found.total, base),
    }))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn category_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<BrowseQuery>,
) -> Result<Response, PageError> {
    let c = category(&slug)
        .ok_or_else(|| Failure::NotFound(format!("there is no category called {slug:?}")))?;
    browse(&state, &viewer, Some(c), q).await
}

/// One facet value as a filter link: its label, count, and the URL that applies it.
pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    chrome: Chrome,
    p: crate::search::SearchParams,
    total: usize,
    cards: Vec<Card>,
    categories: Vec<FacetLink>,
    languages: Vec<FacetLink>,
    price_models: Vec<FacetLink>,
    sorts: Vec<(&'static str, &'static str)>,
    errors: super::FormErrors,
    page: usize,
    pages: usize,
    base: String,
}

const SEARCH_SORTS: &[(&str, &str)] = &[
    ("relevance", "Best match"),
    ("soonest", "Soonest available"),
    ("rating", "Rating"),
    ("price_low", "Price: low to high"),
    ("price_high", "Price: high to low"),
];

/// The query string of `p`, with `key` replaced by `value` (removed when empty), and
/// without the page.
fn with(p: &crate::search::SearchParams, key: &str, value: &str) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("q", p.q.clone()),
        ("category", p.category.clone()),
        ("sub", p.sub.clone()),
        ("language", p.language.clone()),
        ("price_model", p.price_model.clone()),
        ("max_price", p.max_price.clone()),
        ("min_rating", p.min_rating.clone()),
        ("now", p.now.clone()),
        ("within_days", p.within_days.clone()),
        ("format", p.format.clone()),
        ("sort", p.sort.clone()),
    ];
    for f in fields.iter_mut() {
        if f.0 == key {
            f.1 = value.to_string();
        }
        if key == "category" && f.0 == "sub" {
            f.1 = String::new();
        }
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        if !v.is_empty() {
            out.append_pair(k, &v);
        }
    }
    format!("/search?{}", out.finish())
}

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<crate::search::SearchParams>,
) -> Result<Response, PageError> {
    let online = p.online(&state).await?;
    let (query, errors) = match p.parse(&state, &online) {
        Ok(q) => (q, onhand_core::Invalid::default()),
        // Show what can be shown, with what was wrong named above the results.
        Err(errors) => (
            crate::search::SearchParams {
                q: p.q.clone(),
                ..Default::default()
            }
            .parse(&state, &online)
            .unwrap_or_default(),
            errors,
        ),
    };
    let (offset, per_page) = (query.offset, query.limit.max(1));
    let found = crate::search::search(&state, query).await?;
    let mut cards = Vec::new();
    for hit in &found.hits {
        if let Ok(l) = state.store.listing(hit.listing_id as i64).await
            && l.is_public
        {
            cards.push(Card::new(&l));
        }
    }
    let link =
        |key: &str, values: &[(String, u64)], current: &str, label: &dyn Fn(&str) -> String| {
            values
                .iter()
                .map(|(v, n)| FacetLink {
                    label: label(v),
                    count: *n,
                    href: with(&p, key, if v == current { "" } else { v }),
                    active: v == current,
                })
                .collect::<Vec<_>>()
        };
    let categories = link("category", &found.categories, &p.category, &|v| {
        category(v)
            .map(|c| c.name.to_string())
            .unwrap_or_else(|| v.to_string())
    });
    let languages = link("language", &found.languages, &p.language, &|v| {
        onhand_core::locale::LANGUAGES
            .iter()
            .find(|l| l.code == v)
            .map(|l| l.name.to_string())
            .unwrap_or_else(|| v.to_string())
    });
    let price_models = link("price_model", &found.price_models, &p.price_model, &|v| {
        match v {
            "free" => "Free",
            "fixed" => "Per session",
            "per_minute" => "Per minute",
            other => other,
        }
        .to_string()
    });
    let mut chrome = Chrome::new(&viewer);
    chrome.q = p.q.clone();
    let base = format!("{}&", with(&p, "", ""));
    Ok(super::render_form(
        &SearchPage {
            chrome,
            total: found.total,
            cards,
            categories,
            languages,
            price_models,
            sorts: SEARCH_SORTS.to_vec(),
            errors: super::FormErrors(errors.clone()),
            page: offset / per_page + 1,
            pages: found.total.div_ceil(per_page).max(1),
            base,
            p,
        },
        &errors,
    ))
}

pub struct ListingView {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub category_slug: String,
    pub category_name: String,
    pub subcategory_slug: String,
    pub subcategory_name: String,
    pub tags: Vec<String>,
    pub languages: String,
    pub intro_video_url: Option<String>,
    pub price_display: String,
    pub currency: String,
    pub is_free: bool,
    pub session_minutes: i64,
    pub group_size: i64,
    pub policy_name: String,
    pub policy_summary: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_headline: String,
    pub organization_name: Option<String>,
    pub organization_slug: String,
    pub initials: String,
    pub hue: u32,
}

#[derive(Template)]
#[template(path = "listing.html")]
pub struct ListingPage {
    chrome: Chrome,
    l: ListingView,
    status_note: Option<String>,
    picker: Option<super::booking::Picker>,
    listing_id: i64,
    available_now: bool,
    rb: super::reputation::ReviewsBlock,
    show_listing: bool,
    report_next: String,
}

pub async fn listing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<super::booking::PickerQuery>,
) -> Result<Response, PageError> {
    let id = super::path_id(&id, "listing")?;
    let l = actions::visible_listing(&state, viewer.account.as_ref(), id).await?;
    // The public sees the published version; who manages it sees their working copy.
    let manages = match &viewer.account {
        Some(a) => actions::may_manage(&state, a, &l).await? || a.is_operator,
        None => false,
    };
    let v = if manages {
        &l.working
    } else {
        l.published.as_ref().unwrap_or(&l.working)
    };
    let status_note = (!l.is_public || l.review_status != "approved").then(|| {
        let state_text = match (l.is_public, l.paused, &l.hidden_reason) {
            (true, _, _) => "The public sees the approved version.".to_string(),
            (false, _, Some(why)) => format!("The operator took it out of the catalog: {why}"),
            (false, true, None) => "It is paused and hidden from the public.".to_string(),
            (false, false, None) => "It is not public.".to_string(),
        };
        format!(
            "You are seeing the working copy ({}). {state_text}",
            l.review_status
        )
    });
    let provider = state.store.provider(l.provider_id).await?;
    let cat = category(&v.category);
    let currency = Currency::parse(&v.currency).unwrap_or_else(|_| Currency::usd());
    let policy =
        CancellationPolicy::parse(&v.cancellation_policy).unwrap_or(CancellationPolicy::Moderate);
    Ok(super::render(&ListingPage {
        chrome: Chrome::new(&viewer),
        l: ListingView {
            title: v.title.clone(),
            paragraphs: v
                .description
                .split("\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            category_slug: v.category.clone(),
            category_name: cat.map(|c| c.name).unwrap_or("").to_string(),
            subcategory_slug: v.subcategory.clone(),
            subcategory_name: cat
                .and_then(|c| c.subcategory(&v.subcategory))
                .map(|s| s.name)
                .unwrap_or("")
                .to_string(),
            tags: v.tags.clone(),
            languages: views::language_names(&v.languages),
            intro_video_url: v.intro_video_url.clone(),
            price_display: views::price_model(v)
                .map(|m| m.describe(currency))
                .unwrap_or_default(),
            currency: currency.code.to_string(),
            is_free: v.price_model == "free",
            session_minutes: v.session_minutes,
            group_size: v.group_size,
            policy_name: crate::views::capitalize(policy.as_str()),
            policy_summary: policy.summary().to_string(),
            provider_id: l.provider_id,
            provider_name: l.provider_name.clone(),
            provider_headline: provider.headline,
            organization_name: l.organization_name.clone(),
            organization_slug: l.organization_slug.clone().unwrap_or_default(),
            initials: views::initials(&l.provider_name),
            hue: views::hue(l.provider_id),
        },
        status_note: if manages { status_note } else { None },
        picker: super::booking::picker(&state, &viewer, &l, &q).await?,
        rb: super::reputation::reviews_block(
            &state,
            viewer.account.as_ref(),
            onhand_store::ReviewSubject::Listing(l.id),
            q.reviews.as_deref(),
            q.rpage.as_deref(),
            format!("/listings/{}?", l.id),
        )
        .await?,
        show_listing: false,
        report_next: format!("/listings/{}", l.id),
        listing_id: l.id,
        available_now: l.is_public
            && crate::helpnow::is_online(&state, l.provider_id).await?
            && viewer
                .account
                .as_ref()
                .is_none_or(|a| a.id != l.provider_id),
    }))
}

#[derive(Template)]
#[template(path = "provider.html")]
pub struct ProviderPage {
    chrome: Chrome,
    p: onhand_store::Provider,
    initials: String,
    hue: u32,
    country: String,
    languages: String,
    orgs: Vec<onhand_store::Organization>,
    cards: Vec<Card>,
    rb: super::reputation::ReviewsBlock,
    stats: super::reputation::StatsView,
    show_listing: bool,
    report_next: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ReviewsQuery {
    pub reviews: Option<String>,
    pub rpage: Option<String>,
}

pub async fn provider(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ReviewsQuery>,
) -> Result<Response, PageError> {
    let id = super::path_id(&id, "provider")?;
    let p = match state.store.provider(id).await {
        Ok(p) if p.is_approved() => p,
        Ok(_) | Err(StoreError::NotFound) => return Err(Failure::not_found("provider").into()),
        Err(e) => return Err(e.into()),
    };
    let listings = state
        .store
        .public_listings(
            &ListingFilter {
                provider_id: Some(id),
                ..Default::default()
            },
            SortOrder::Newest,
            Page {
                offset: 0,
                limit: 60,
            },
        )
        .await?;
    Ok(super::render(&ProviderPage {
        chrome: Chrome::new(&viewer),
        initials: views::initials(&p.display_name),
        hue: views::hue(p.account_id),
        country: views::country_name(&p.country),
        languages: views::language_names(&p.languages),
        orgs: state.store.organizations_of(id).await?,
        cards: listings.items.iter().map(Card::new).collect(),
        rb: super::reputation::reviews_block(
            &state,
            viewer.account.as_ref(),
            onhand_store::ReviewSubject::Provider(id),
            q.reviews.as_deref(),
            q.rpage.as_deref(),
            format!("/providers/{id}?"),
        )
        .await?,
        stats: super::reputation::stats_view(&state, id).await?,
        show_listing: true,
        report_next: format!("/providers/{id}"),
        p,
    }))
}

#[derive(Template)]
#[template(path = "org.html")]
pub struct OrgPage {
    chrome: Chrome,
    org: onhand_store::Organization,
    initials: String,
    hue: u32,
    members: Vec<onhand_store::Member>,
    cards: Vec<Card>,
    rating: super::reputation::RatingView,
}

pub async fn organization(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let org = match state.store.organization_by_slug(&slug).await {
        Ok(o) => o,
        Err(StoreError::NotFound) => return Err(Failure::not_found("organization").into()),
        Err(e) => return Err(e.into()),
    };
    let listings = state
        .store
        .public_listings(
            &ListingFilter {
                organization_id: Some(org.id),
                ..Default::default()
            },
            SortOrder::Newest,
            Page {
                offset: 0,
                limit: 60,
            },
        )
        .await?;
    Ok(super::render(&OrgPage {
        chrome: Chrome::new(&viewer),
        initials: views::initials(&org.name),
        hue: views::hue(org.id + 7),
        members: state.store.members(org.id).await?,
        rating: super::reputation::RatingView::of(
            state
                .store
                .stars(onhand_store::ReviewSubject::Organization(org.id))
                .await?,
        ),
        cards: listings.items.iter().map(Card::new).collect(),
        org,
    }))
}
