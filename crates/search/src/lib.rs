//! Catalog search: a tantivy index of public listings, with typo tolerance, prefix
//! autocomplete, phrases, filters, facet counts and a ranking that blends text relevance
//! with rating and with how soon the provider can help.
//!
//! Architecture invariant: the index holds only what the public may see, and is a cache
//! of the database: it can be deleted at any time and is rebuilt from the store. Callers
//! keep it in step by upserting or removing listings after every change that affects
//! them; `commit` makes changes searchable at once.
//!
//! Ranking (`rank`): text score × (1 + 0.5·r) × (1 + 0.5·s), where r ∈ [0, 1] is the
//! Bayesian rating — (C·m + Σ stars) / (C + n) with prior mean m = 3.5 over C = 5
//! reviews, mapped from 1–5 stars to 0–1 — so a listing with few reviews counts for
//! little; and s ∈ (0, 1] is 1 / (1 + h/24) for the h hours until the next free slot
//! (0 when there is none in the next two weeks).

pub mod query;
pub mod synthetic;

pub use query::{ParsedText, parse_text};

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT,
    TantivyDocument, Value,
};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, Term};

/// What the index knows about a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDoc {
    pub listing_id: u64,
    pub provider_id: u64,
    pub title: String,
    pub description: String,
    pub provider_name: String,
    pub organization_name: Option<String>,
    pub category: String,
    pub category_name: String,
    pub subcategory: String,
    pub subcategory_name: String,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    /// free, fixed or per_minute.
    pub price_model: String,
    /// The session price or the rate per minute, in minor units.
    pub price_minor: u64,
    /// Average stars (1–5) and how many reviews it is over.
    pub rating: f64,
    pub review_count: u64,
    /// The next bookable start, in Unix milliseconds, if any within the look-ahead.
    pub next_free_ms: Option<i64>,
    pub group_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Rating,
    PriceLow,
    PriceHigh,
    Soonest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "" | "relevance" => Sort::Relevance,
            "rating" => Sort::Rating,
            "price_low" => Sort::PriceLow,
            "price_high" => Sort::PriceHigh,
            "soonest" => Sort::Soonest,
            _ => return None,
        })
    }
}

/// A search, already validated.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub language: Option<String>,
    pub price_model: Option<String>,
    pub max_price_minor: Option<u64>,
    pub min_rating: Option<f64>,
    /// Only listings of these providers (those online now, for "available now").
    pub providers: Option<Vec<u64>>,
    /// Only listings with a free slot before this instant (Unix ms).
    pub free_before_ms: Option<i64>,
    /// Some(true): group sessions only; Some(false): one-to-one only.
    pub group: Option<bool>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// "Now", for the soonness part of the ranking.
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub listing_id: u64,
    pub score: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub total: usize,
    /// Facet counts over the matching listings: (slug or code, count), most first.
    pub categories: Vec<(String, u64)>,
    pub languages: Vec<(String, u64)>,
    pub price_models: Vec<(String, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Open(#[from] tantivy::directory::error::OpenDirectoryError),
}

pub type Result<T> = std::result::Result<T, SearchError>;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    provider_id: Field,
    title: Field,
    title_stored: Field,
    tags: Field,
    people: Field,
    body: Field,
    facet: Field,
    price: Field,
    rating: Field,
    reviews: Field,
    next_free: Field,
    group_size: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST | STORED),
        provider_id: b.add_u64_field("provider_id", INDEXED | FAST),
        title: b.add_text_field("title", TEXT),
        title_stored: b.add_text_field("title_stored", STRING | STORED),
        tags: b.add_text_field("tags", TEXT),
        people: b.add_text_field("people", TEXT),
        body: b.add_text_field("body", TEXT),
        facet: b.add_facet_field("facet", FacetOptions::default()),
        price: b.add_u64_field("price", INDEXED | FAST),
        rating: b.add_f64_field("rating", INDEXED | FAST),
        reviews: b.add_u64_field("reviews", INDEXED | FAST),
        next_free: b.add_i64_field("next_free", INDEXED | FAST),
        group_size: b.add_u64_field("group_size", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// The rating everyone sees is the one search ranks by (`onhand_core::reputation`).
pub use onhand_core::reputation::{PRIOR_MEAN, PRIOR_REVIEWS, bayesian_rating};

/// The ranking blend; see the crate documentation.
pub fn rank(text_score: f64, mean: f64, count: u64, next_free_ms: i64, now_ms: i64) -> f64 {
    let r = ((bayesian_rating(mean, count) - 1.0) / 4.0).clamp(0.0, 1.0);
    let s = if next_free_ms == i64::MAX {
        0.0
    } else {
        let hours = ((next_free_ms - now_ms).max(0) as f64) / 3_600_000.0;
        1.0 / (1.0 + hours / 24.0)
    };
    text_score * (1.0 + 0.5 * r) * (1.0 + 0.5 * s)
}

/// The index and its one writer.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

/// Memory the writer may use before it flushes a segment.
const WRITER_HEAP_BYTES: usize = 50_000_000;

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index that cannot be
    /// opened (damaged, or from an older schema) is wiped and created empty; `is_fresh`
    /// then says it must be rebuilt.
    pub fn open(dir: &Path) -> Result<(SearchIndex, bool)> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let opened = tantivy::directory::MmapDirectory::open(dir)
            .map_err(SearchError::from)
            .and_then(|d| Index::open_or_create(d, schema.clone()).map_err(SearchError::from));
        let (index, fresh) = match opened {
            Ok(index) => {
                let empty = index
                    .load_metas()
                    .map(|m| m.segments.is_empty())
                    .unwrap_or(true);
                (index, empty)
            }
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "the search index is damaged or outdated; rebuilding it");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                let d = tantivy::directory::MmapDirectory::open(dir)?;
                (Index::open_or_create(d, schema)?, true)
            }
        };
        Ok((SearchIndex::with_index(index, fields)?, fresh))
    }

    /// An index in memory, for tests and benchmarks.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema();
        SearchIndex::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<SearchIndex> {
        let writer = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    /// Listings in the index (as of the last commit).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, d: &ListingDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.listing_id);
        doc.add_u64(f.provider_id, d.provider_id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_stored, &d.title);
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        doc.add_text(f.people, &d.provider_name);
        if let Some(o) = &d.organization_name {
            doc.add_text(f.people, o);
        }
        doc.add_text(f.body, &d.description);
        doc.add_text(f.body, &d.category_name);
        doc.add_text(f.body, &d.subcategory_name);
        doc.add_facet(
            f.facet,
            Facet::from_path(["category", d.category.as_str(), d.subcategory.as_str()]),
        );
        for l in &d.languages {
            doc.add_facet(f.facet, Facet::from_path(["language", l.as_str()]));
        }
        doc.add_facet(f.facet, Facet::from_path(["price", d.price_model.as_str()]));
        doc.add_u64(f.price, d.price_minor);
        doc.add_f64(f.rating, d.rating);
        doc.add_u64(f.reviews, d.review_count);
        doc.add_i64(f.next_free, d.next_free_ms.unwrap_or(i64::MAX));
        doc.add_u64(f.group_size, d.group_size);
        doc
    }

    /// Adds or replaces listings. Visible after `commit`.
    pub fn upsert(&self, docs: &[ListingDoc]) -> Result<()> {
        let writer = self.writer.lock().expect("search writer lock");
        for d in docs {
            writer.delete_term(Term::from_field_u64(self.fields.id, d.listing_id));
            writer.add_document(self.document(d))?;
        }
        Ok(())
    }

    /// Removes listings (paused, suspended, unpublished). Visible after `commit`.
    pub fn remove(&self, listing_ids: &[u64]) {
        let writer = self.writer.lock().expect("search writer lock");
        for id in listing_ids {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id));
        }
    }

    /// Removes everything (before a rebuild). Visible after `commit`.
    pub fn clear(&self) -> Result<()> {
        self.writer
            .lock()
            .expect("search writer lock")
            .delete_all_documents()?;
        Ok(())
    }

    /// Makes every change so far searchable.
    pub fn commit(&self) -> Result<()> {
        self.writer.lock().expect("search writer lock").commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Every listing id in the index.
    pub fn ids(&self) -> Result<HashSet<u64>> {
        let searcher = self.reader.searcher();
        let mut ids = HashSet::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("id")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_none_or(|a| a.is_alive(doc))
                    && let Some(id) = column.first(doc)
                {
                    ids.insert(id);
                }
            }
        }
        Ok(ids)
    }

    /// Listings whose next free slot is before `now_ms` (or that have none): the ones a
    /// periodic refresh must look at again as time passes.
    pub fn stale(&self, now_ms: i64) -> Result<Vec<u64>> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for segment in searcher.segment_readers() {
            let id = segment.fast_fields().u64("id")?;
            let next = segment.fast_fields().i64("next_free")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_none_or(|a| a.is_alive(doc))
                    && next.first(doc).is_none_or(|n| n < now_ms || n == i64::MAX)
                    && let Some(id) = id.first(doc)
                {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    fn text_query(&self, parsed: &ParsedText) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let weighted = [
            (f.title, 3.0),
            (f.tags, 2.0),
            (f.people, 2.0),
            (f.body, 1.0),
        ];
        let last = parsed.words.len().saturating_sub(1);
        for (i, word) in parsed.words.iter().enumerate() {
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in weighted {
                let term = Term::from_field_text(field, word);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        boost,
                    )),
                ));
                let distance = query::typo_distance(word);
                if distance > 0 {
                    alternatives.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(term.clone(), distance, true)),
                            boost * 0.4,
                        )),
                    ));
                }
                if i == last && parsed.last_is_prefix && word.chars().count() >= 2 {
                    alternatives.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                            boost * 0.5,
                        )),
                    ));
                }
            }
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
        }
        for phrase in &parsed.phrases {
            if phrase.len() == 1 {
                let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (field, _) in weighted {
                    any.push((
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, &phrase[0]),
                            IndexRecordOption::WithFreqs,
                        )),
                    ));
                }
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
                continue;
            }
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [(f.title, 3.0), (f.body, 1.0)] {
                let terms = phrase
                    .iter()
                    .map(|w| Term::from_field_text(field, w))
                    .collect();
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost)),
                ));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if clauses.is_empty() {
            None
        } else {
            Some(Box::new(BooleanQuery::new(clauses)))
        }
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let facet = |path: Vec<&str>| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(f.facet, &Facet::from_path(path)),
                IndexRecordOption::Basic,
            ))
        };
        match (&q.category, &q.subcategory) {
            (Some(c), Some(s)) => must.push((Occur::Must, facet(vec!["category", c, s]))),
            (Some(c), None) => must.push((Occur::Must, facet(vec!["category", c]))),
            _ => {}
        }
        if let Some(l) = &q.language {
            must.push((Occur::Must, facet(vec!["language", l])));
        }
        if let Some(p) = &q.price_model {
            must.push((Occur::Must, facet(vec!["price", p])));
        }
        if let Some(max) = q.max_price_minor {
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_u64(f.price, max)),
                )),
            ));
        }
        if let Some(min) = q.min_rating {
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_f64(f.rating, min)),
                    Bound::Unbounded,
                )),
            ));
        }
        if let Some(before) = q.free_before_ms {
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Excluded(Term::from_field_i64(f.next_free, before)),
                )),
            ));
        }
        match q.group {
            Some(true) => must.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.group_size, 2)),
                    Bound::Unbounded,
                )),
            )),
            Some(false) => must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.group_size, 1),
                    IndexRecordOption::Basic,
                )),
            )),
            None => {}
        }
        if let Some(providers) = &q.providers {
            let any: Vec<(Occur, Box<dyn Query>)> = providers
                .iter()
                .map(|p| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_u64(f.provider_id, *p),
                            IndexRecordOption::Basic,
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            // No provider online: nothing matches.
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        must
    }

    pub fn search(&self, q: &SearchQuery) -> Result<Results> {
        let parsed = parse_text(&q.text);
        let text = self.text_query(&parsed);
        let mut clauses = self.filters(q);
        let has_text = text.is_some();
        match text {
            Some(t) => clauses.push((Occur::Must, t)),
            None => clauses.push((Occur::Must, Box::new(AllQuery))),
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let mut facets = FacetCollector::for_field("facet");
        facets.add_facet("/category");
        facets.add_facet("/language");
        facets.add_facet("/price");
        let (sort, now) = (q.sort, q.now_ms);
        let top = TopDocs::with_limit(q.limit.max(1))
            .and_offset(q.offset)
            .tweak_score(move |segment: &SegmentReader| {
                let rating = segment.fast_fields().f64("rating").ok();
                let reviews = segment.fast_fields().u64("reviews").ok();
                let next_free = segment.fast_fields().i64("next_free").ok();
                let price = segment.fast_fields().u64("price").ok();
                move |doc: DocId, score: Score| {
                    let mean = rating.as_ref().and_then(|c| c.first(doc)).unwrap_or(0.0);
                    let n = reviews.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                    let next = next_free
                        .as_ref()
                        .and_then(|c| c.first(doc))
                        .unwrap_or(i64::MAX);
                    let price = price.as_ref().and_then(|c| c.first(doc)).unwrap_or(0) as f64;
                    let text = if has_text { f64::from(score) } else { 1.0 };
                    let relevance = rank(text, mean, n, next, now);
                    // Ties within a sort fall back to relevance.
                    let tie = relevance / 1e6;
                    match sort {
                        Sort::Relevance => relevance,
                        Sort::Rating => bayesian_rating(mean, n) * 1e3 + tie,
                        Sort::PriceLow => -price * 1e3 + tie,
                        Sort::PriceHigh => price * 1e3 + tie,
                        Sort::Soonest => -(next as f64) + tie,
                    }
                }
            });
        let (top, total, facet_counts) = searcher.search(&query, &(top, Count, facets))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_u64()) {
                hits.push(Hit {
                    listing_id: id,
                    score,
                });
            }
        }
        let counts = |root: &str| -> Vec<(String, u64)> {
            let mut v: Vec<(String, u64)> = facet_counts
                .get(root)
                .map(|(facet, n)| {
                    let path = facet.to_path();
                    (path.last().map(|s| s.to_string()).unwrap_or_default(), n)
                })
                .collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        Ok(Results {
            hits,
            total,
            categories: counts("/category"),
            languages: counts("/language"),
            price_models: counts("/price"),
        })
    }

    /// Listing titles that complete what was typed, best first, at most `limit`.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<String>> {
        let parsed = parse_text(typed);
        if parsed.words.is_empty() {
            return Ok(Vec::new());
        }
        let Some(query) = self.text_query(&ParsedText {
            last_is_prefix: true,
            ..parsed
        }) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit * 3).order_by_score())?;
        let mut titles = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(t) = doc
                .get_first(self.fields.title_stored)
                .and_then(|v| v.as_str())
                && !titles.iter().any(|x: &String| x == t)
            {
                titles.push(t.to_string());
            }
            if titles.len() == limit {
                break;
            }
        }
        Ok(titles)
    }
}
