//! Keeps the search index in step with the catalog, and answers searches for both doors.
//!
//! Architecture invariant: every change that can change what a listing shows in search
//! (review, edit, pause, suspension, provider decision, hours, bookings) calls `touch`;
//! a background task folds touches arriving within `BATCH_WINDOW` into one commit, so a
//! change is searchable well within a second. At start an index that is new, damaged or
//! out of step with the database is rebuilt from it, with progress in the log.

use crate::error::Failure;
use crate::state::AppState;
use jiff::{SignedDuration, Timestamp};
use onhand_core::Invalid;
use onhand_search::{ListingDoc, Results, SearchIndex, SearchQuery, Sort};
use onhand_store::{Listing, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Touches arriving within this window share one commit.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// How far ahead a listing's next free slot is looked for.
pub const LOOK_AHEAD_DAYS: i64 = 14;
/// Next free slots drift as time passes; listings whose slot has passed are refreshed
/// this often.
pub const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
/// The most results one page may hold, and suggestions one answer gives.
pub const PER_PAGE_MAX: usize = 50;
pub const SUGGESTIONS_MAX: usize = 8;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Touch {
    Listing(i64),
    Provider(i64),
    Everything,
}

pub struct Search {
    pub index: Arc<SearchIndex>,
    tx: mpsc::UnboundedSender<Touch>,
    rx: std::sync::Mutex<Option<mpsc::UnboundedReceiver<Touch>>>,
}

impl Search {
    pub fn new(index: SearchIndex) -> Search {
        let (tx, rx) = mpsc::unbounded_channel();
        Search {
            index: Arc::new(index),
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
        }
    }

    /// Queues a refresh of what `t` names.
    pub fn touch(&self, t: Touch) {
        let _ = self.tx.send(t);
    }
}

/// Runs the index's upkeep: an initial check (rebuilding when needed), then touches as
/// they come, and a periodic refresh.
pub async fn keep_in_step(state: AppState, rebuild: bool) {
    let Some(mut rx) = state.search.rx.lock().expect("search rx").take() else {
        return;
    };
    if rebuild || out_of_step(&state).await {
        rebuild_all(&state).await;
    }
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.tick().await;
    loop {
        let first = tokio::select! {
            t = rx.recv() => match t { Some(t) => t, None => return },
            _ = refresh.tick() => {
                refresh_stale(&state).await;
                continue;
            }
        };
        let mut batch = BTreeSet::from([first]);
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while let Ok(Some(t)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            batch.insert(t);
        }
        if batch.contains(&Touch::Everything) {
            rebuild_all(&state).await;
            continue;
        }
        let mut ids = BTreeSet::new();
        for t in batch {
            match t {
                Touch::Listing(id) => {
                    ids.insert(id);
                }
                Touch::Provider(p) => match state.store.listing_ids_of_provider(p).await {
                    Ok(found) => ids.extend(found),
                    Err(e) => tracing::warn!(error = ?e, "search: provider's listings unreadable"),
                },
                Touch::Everything => {}
            }
        }
        if let Err(e) = refresh_listings(&state, &ids.into_iter().collect::<Vec<_>>()).await {
            tracing::warn!(error = %e, "search index update failed");
        }
    }
}

/// Refreshes the listings whose next free slot has passed (or that had none): the only
/// ones time alone can change.
async fn refresh_stale(state: &AppState) {
    let now = Timestamp::now().as_millisecond();
    let stale = match state.search.index.stale(now) {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "search: could not read stale listings");
            return;
        }
    };
    for chunk in stale.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|id| *id as i64).collect();
        if let Err(e) = refresh_listings(state, &ids).await {
            tracing::warn!(error = %e, "search: refreshing next free slots failed");
            return;
        }
    }
}

async fn out_of_step(state: &AppState) -> bool {
    match (
        state.store.public_listing_ids().await,
        state.search.index.ids(),
    ) {
        (Ok(db), Ok(indexed)) => {
            let db: std::collections::HashSet<u64> = db.iter().map(|id| *id as u64).collect();
            db != indexed
        }
        _ => true,
    }
}

/// Rebuilds the whole index from the database, logging progress.
pub async fn rebuild_all(state: &AppState) {
    let started = std::time::Instant::now();
    let ids = match state.store.public_listing_ids().await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = ?e, "search rebuild: listings unreadable");
            return;
        }
    };
    if let Err(e) = state.search.index.clear() {
        tracing::error!(error = %e, "search rebuild: could not clear the index");
        return;
    }
    for (n, chunk) in ids.chunks(500).enumerate() {
        if let Err(e) = refresh_listings(state, chunk).await {
            tracing::error!(error = %e, "search rebuild failed");
            return;
        }
        if ids.len() > 500 {
            tracing::info!(
                done = (n + 1) * 500.min(chunk.len()),
                total = ids.len(),
                "rebuilding the search index"
            );
        }
    }
    tracing::info!(
        listings = ids.len(),
        ms = started.elapsed().as_millis() as u64,
        "search index ready"
    );
}

/// Reads the listings and puts the public ones in the index, takes the others out, and
/// commits.
async fn refresh_listings(state: &AppState, ids: &[i64]) -> Result<(), String> {
    let mut docs = Vec::new();
    let mut gone = Vec::new();
    for id in ids {
        match state.store.listing(*id).await {
            Ok(l) if l.is_public => docs.push(listing_doc(state, &l).await),
            Ok(_) | Err(StoreError::NotFound) => gone.push(*id as u64),
            Err(e) => return Err(format!("listing {id}: {e:?}")),
        }
    }
    let index = state.search.index.clone();
    tokio::task::spawn_blocking(move || {
        index.remove(&gone);
        index.upsert(&docs)?;
        index.commit()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}

async fn listing_doc(state: &AppState, l: &Listing) -> ListingDoc {
    let v = l.published.as_ref().expect("public listings are published");
    let category = onhand_core::catalog::category(&v.category);
    let now = Timestamp::now();
    let next_free = crate::schedule::slots(
        state,
        l.id,
        now,
        now + SignedDuration::from_hours(24 * LOOK_AHEAD_DAYS),
    )
    .await
    .ok()
    .and_then(|s| s.first().map(|s| s.start.as_millisecond()));
    let stars = state
        .store
        .stars(onhand_store::ReviewSubject::Listing(l.id))
        .await
        .unwrap_or_else(|e| {
            // The refresh every 15 minutes brings the rating back once the database answers.
            tracing::warn!(listing_id = l.id, error = ?e, "search: could not read the rating");
            Default::default()
        });
    ListingDoc {
        listing_id: l.id as u64,
        provider_id: l.provider_id as u64,
        title: v.title.clone(),
        description: v.description.clone(),
        provider_name: l.provider_name.clone(),
        organization_name: l.organization_name.clone(),
        category: v.category.clone(),
        category_name: category.map(|c| c.name).unwrap_or_default().to_string(),
        subcategory: v.subcategory.clone(),
        subcategory_name: category
            .and_then(|c| c.subcategory(&v.subcategory))
            .map(|s| s.name)
            .unwrap_or_default()
            .to_string(),
        tags: v.tags.clone(),
        languages: v.languages.clone(),
        price_model: v.price_model.clone(),
        price_minor: v.price_minor.max(0) as u64,
        rating: stars.mean().unwrap_or(0.0),
        review_count: stars.count(),
        next_free_ms: next_free,
        group_size: v.group_size.max(1) as u64,
    }
}

/// A search as people ask for it: every field optional and text, as in a URL.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to look for; typos are forgiven, "quotes" match a phrase.
    #[serde(default)]
    pub q: String,
    /// A category slug, and optionally one of its subcategories.
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub sub: String,
    /// An ISO 639-1 code the session is offered in.
    #[serde(default)]
    pub language: String,
    /// free, fixed or per_minute.
    #[serde(default)]
    pub price_model: String,
    /// The most a session (or a minute) may cost, like "25" or "12.50".
    #[serde(default)]
    pub max_price: String,
    /// "1": free sessions only.
    #[serde(default)]
    pub free: String,
    /// At least this many stars, 1–5.
    #[serde(default)]
    pub min_rating: String,
    /// "1": only providers online right now.
    #[serde(default)]
    pub now: String,
    /// Only listings with a free slot within this many days (1–14).
    #[serde(default)]
    pub within_days: String,
    /// "group" or "one".
    #[serde(default)]
    pub format: String,
    /// relevance, rating, price_low, price_high or soonest.
    #[serde(default)]
    pub sort: String,
    /// From 1.
    #[serde(default)]
    pub page: String,
    /// 1 to 50 (default 20).
    #[serde(default)]
    pub per_page: String,
}

fn flag(field: &'static str, raw: &str, errors: &mut Invalid) -> bool {
    match raw {
        "" | "0" | "false" => false,
        "1" | "true" | "on" => true,
        other => {
            errors.push(field, format!("{other:?} is not 1 or 0"));
            false
        }
    }
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    field: &'static str,
    raw: &str,
    range: std::ops::RangeInclusive<T>,
    errors: &mut Invalid,
) -> Option<T> {
    if raw.trim().is_empty() {
        return None;
    }
    match raw.trim().parse::<T>() {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            errors.push(
                field,
                format!(
                    "{raw:?} is not a number in {}..={}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

impl SearchParams {
    /// The providers online now, when the "available now" filter is asked for (one
    /// query then, none otherwise); pass the answer to `parse`.
    pub async fn online(&self, state: &AppState) -> Result<Vec<i64>, onhand_store::StoreError> {
        if self.now.is_empty() {
            return Ok(Vec::new());
        }
        crate::helpnow::online_providers(state).await
    }

    /// Checks every field, naming each that is wrong. `online`: the providers online
    /// now, for the "available now" filter.
    pub fn parse(&self, state: &AppState, online: &[i64]) -> Result<SearchQuery, Invalid> {
        let mut errors = Invalid::default();
        let category = match self.category.as_str() {
            "" => None,
            slug => match onhand_core::catalog::category(slug) {
                Some(c) => Some(c),
                None => {
                    errors.push("category", format!("{slug:?} is not a category"));
                    None
                }
            },
        };
        let sub = match (self.sub.as_str(), category) {
            ("", _) => None,
            (s, Some(c)) if c.subcategory(s).is_some() => Some(s.to_string()),
            (s, Some(c)) => {
                errors.push("sub", format!("{s:?} is not a subcategory of {}", c.slug));
                None
            }
            (_, None) => {
                errors.push("sub", "needs a category");
                None
            }
        };
        let language = match self.language.as_str() {
            "" => None,
            code if onhand_core::locale::LANGUAGES
                .iter()
                .any(|l| l.code == code) =>
            {
                Some(code.to_string())
            }
            other => {
                errors.push("language", format!("{other:?} is not a language code"));
                None
            }
        };
        let free = flag("free", &self.free, &mut errors);
        let price_model = match (self.price_model.as_str(), free) {
            (_, true) => Some("free".to_string()),
            ("", false) => None,
            (p @ ("free" | "fixed" | "per_minute"), false) => Some(p.to_string()),
            (other, false) => {
                errors.push(
                    "price_model",
                    format!("{other:?} is not one of free, fixed, per_minute"),
                );
                None
            }
        };
        let max_price = match self.max_price.trim() {
            "" => None,
            raw => errors
                .take(state.config.currency.parse_amount("max_price", raw))
                .map(|m| m.max(0) as u64),
        };
        let min_rating = number("min_rating", &self.min_rating, 1.0..=5.0, &mut errors);
        let now = flag("now", &self.now, &mut errors);
        let within = number(
            "within_days",
            &self.within_days,
            1..=LOOK_AHEAD_DAYS,
            &mut errors,
        );
        let group = match self.format.as_str() {
            "" => None,
            "group" => Some(true),
            "one" => Some(false),
            other => {
                errors.push("format", format!("{other:?} is not group or one"));
                None
            }
        };
        let sort = Sort::parse(&self.sort).unwrap_or_else(|| {
            errors.push(
                "sort",
                format!(
                    "{:?} is not one of relevance, rating, price_low, price_high, soonest",
                    self.sort
                ),
            );
            Sort::Relevance
        });
        let page = number("page", &self.page, 1..=1000usize, &mut errors).unwrap_or(1);
        let per_page =
            number("per_page", &self.per_page, 1..=PER_PAGE_MAX, &mut errors).unwrap_or(20);
        if self.q.chars().count() > onhand_search::query::QUERY_CHARS_MAX {
            errors.push(
                "q",
                format!(
                    "is longer than {} characters",
                    onhand_search::query::QUERY_CHARS_MAX
                ),
            );
        }
        let now_ms = Timestamp::now().as_millisecond();
        errors.finish(|| SearchQuery {
            text: self.q.clone(),
            category: category.map(|c| c.slug.to_string()),
            subcategory: sub,
            language,
            price_model,
            max_price_minor: max_price,
            min_rating,
            providers: now.then(|| online.iter().map(|p| *p as u64).collect()),
            free_before_ms: within.map(|d| now_ms + d * 24 * 3_600_000),
            group,
            sort,
            offset: (page - 1) * per_page,
            limit: per_page,
            now_ms,
        })
    }
}

/// Runs a search off the async threads.
pub async fn search(state: &AppState, q: SearchQuery) -> Result<Results, Failure> {
    let index = state.search.index.clone();
    tokio::task::spawn_blocking(move || index.search(&q))
        .await
        .map_err(|e| Failure::Internal(e.into()))?
        .map_err(|e| Failure::Internal(e.into()))
}

pub async fn suggest(state: &AppState, typed: &str) -> Result<Vec<String>, Failure> {
    let index = state.search.index.clone();
    let typed = typed.to_string();
    tokio::task::spawn_blocking(move || index.suggest(&typed, SUGGESTIONS_MAX))
        .await
        .map_err(|e| Failure::Internal(e.into()))?
        .map_err(|e| Failure::Internal(e.into()))
}
