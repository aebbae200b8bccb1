//! Search over 100,000 listings: index time, and p50/p99 latency of a fixed mix of
//! filtered queries sent at a fixed rate (200 per second, open loop: latency counts from
//! when a query was due, so a slow query delays the ones behind it). The same data and
//! queries run against a SQLite FTS5 baseline in the same process.
//! Run: `cargo bench -p onhand-search --bench search`
//! (`ONHAND_BENCH_LISTINGS`, `ONHAND_BENCH_QPS`, `ONHAND_BENCH_SECONDS` change the size.)

use onhand_search::{ListingDoc, SearchIndex, SearchQuery, Sort};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NOW: i64 = 1_800_000_000_000;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fixed mix: text with typos and prefixes, filters, facets, sorts.
fn mix() -> Vec<SearchQuery> {
    let q = |text: &str| SearchQuery {
        text: text.into(),
        limit: 20,
        now_ms: NOW,
        ..Default::default()
    };
    vec![
        q("sourdough starter"),
        q("spanish conversation"),
        q("laptop battery repair"),
        q("gitar chords"),
        q("pyth"),
        SearchQuery {
            language: Some("es".into()),
            ..q("conversation")
        },
        SearchQuery {
            category: Some("cooking".into()),
            max_price_minor: Some(5000),
            ..q("pasta")
        },
        SearchQuery {
            price_model: Some("free".into()),
            ..q("yoga")
        },
        SearchQuery {
            min_rating: Some(4.0),
            sort: Sort::Rating,
            ..q("piano")
        },
        SearchQuery {
            free_before_ms: Some(NOW + 2 * 86_400_000),
            sort: Sort::Soonest,
            ..q("wifi router")
        },
        SearchQuery {
            group: Some(true),
            ..q("calculus")
        },
        SearchQuery {
            category: Some("computers-electronics".into()),
            subcategory: Some("programming".into()),
            sort: Sort::PriceLow,
            ..q("")
        },
    ]
}

async fn fts5(docs: &[ListingDoc], dir: &std::path::Path) -> sqlx::SqlitePool {
    std::fs::create_dir_all(dir).unwrap();
    let options = SqliteConnectOptions::from_str("sqlite://")
        .unwrap()
        .filename(dir.join("fts.sqlite3"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        // Open loop: when the baseline falls behind, queries wait in line.
        .acquire_timeout(Duration::from_secs(3600))
        .connect_with(options)
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE l (id INTEGER PRIMARY KEY, category TEXT, sub TEXT, price_model TEXT, price INTEGER, rating REAL, reviews INTEGER, next_free INTEGER, group_size INTEGER)",
        "CREATE TABLE lang (id INTEGER, code TEXT)",
        "CREATE INDEX lang_code ON lang(code, id)",
        "CREATE INDEX lang_id ON lang(id)",
        "CREATE VIRTUAL TABLE fts USING fts5(title, tags, people, body)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    for d in docs {
        sqlx::query("INSERT INTO l VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(d.listing_id as i64)
            .bind(&d.category)
            .bind(&d.subcategory)
            .bind(&d.price_model)
            .bind(d.price_minor as i64)
            .bind(d.rating)
            .bind(d.review_count as i64)
            .bind(d.next_free_ms.unwrap_or(i64::MAX))
            .bind(d.group_size as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        for code in &d.languages {
            sqlx::query("INSERT INTO lang VALUES (?, ?)")
                .bind(d.listing_id as i64)
                .bind(code)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO fts (rowid, title, tags, people, body) VALUES (?, ?, ?, ?, ?)")
            .bind(d.listing_id as i64)
            .bind(&d.title)
            .bind(d.tags.join(" "))
            .bind(&d.provider_name)
            .bind(format!(
                "{} {} {}",
                d.description, d.category_name, d.subcategory_name
            ))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    pool
}

/// The same search against FTS5: matching rows with the same filters, bm25 ranking, a
/// page, the total and the three facet counts. FTS5 has no typo tolerance; the words are
/// ORed and the last is a prefix, as in the index. The values come from the fixed mix
/// above, never from users, so they are written into the SQL.
async fn fts5_search(pool: &sqlx::SqlitePool, q: &SearchQuery) -> usize {
    let parsed = onhand_search::parse_text(&q.text);
    let mut conditions = vec!["1 = 1".to_string()];
    let mut from = "l".to_string();
    if !parsed.words.is_empty() {
        let terms: Vec<String> = parsed
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i + 1 == parsed.words.len() && parsed.last_is_prefix {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect();
        from = "fts JOIN l ON l.id = fts.rowid".into();
        conditions.push(format!("fts MATCH '{}'", terms.join(" OR ")));
    }
    if let Some(c) = &q.category {
        conditions.push(format!("l.category = '{c}'"));
    }
    if let Some(s) = &q.subcategory {
        conditions.push(format!("l.sub = '{s}'"));
    }
    if let Some(code) = &q.language {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM lang g WHERE g.id = l.id AND g.code = '{code}')"
        ));
    }
    if let Some(p) = &q.price_model {
        conditions.push(format!("l.price_model = '{p}'"));
    }
    if let Some(m) = q.max_price_minor {
        conditions.push(format!("l.price <= {m}"));
    }
    if let Some(r) = q.min_rating {
        conditions.push(format!("l.rating >= {r}"));
    }
    if let Some(b) = q.free_before_ms {
        conditions.push(format!("l.next_free < {b}"));
    }
    match q.group {
        Some(true) => conditions.push("l.group_size > 1".into()),
        Some(false) => conditions.push("l.group_size = 1".into()),
        None => {}
    }
    let filter = format!("FROM {from} WHERE {}", conditions.join(" AND "));
    let (rank, order) = match (q.sort, parsed.words.is_empty()) {
        (Sort::Relevance, false) => ("bm25(fts)", "r"),
        (Sort::Relevance, true) => ("l.id", "r"),
        (Sort::Rating, _) => ("l.rating", "r DESC"),
        (Sort::PriceLow, _) => ("l.price", "r"),
        (Sort::PriceHigh, _) => ("l.price", "r DESC"),
        (Sort::Soonest, _) => ("l.next_free", "r"),
    };
    // One statement: the match runs once into a materialized set, and the page, the
    // total and the three facet counts are read from it.
    let sql = format!(
        "WITH m AS MATERIALIZED (SELECT l.id, l.category, l.price_model, {rank} AS r {filter}) \
         SELECT * FROM (SELECT 'page' AS kind, CAST(id AS TEXT) AS value, 0 AS n FROM m ORDER BY {order} LIMIT {} OFFSET {}) \
         UNION ALL SELECT 'total', NULL, COUNT(*) FROM m \
         UNION ALL SELECT 'category', category, COUNT(*) FROM m GROUP BY category \
         UNION ALL SELECT 'price', price_model, COUNT(*) FROM m GROUP BY price_model \
         UNION ALL SELECT 'language', g.code, COUNT(*) FROM m JOIN lang g ON g.id = m.id GROUP BY g.code",
        q.limit, q.offset
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .unwrap();
    rows.iter()
        .find(|r| r.get::<String, _>("kind") == "total")
        .map(|r| r.get::<i64, _>("n") as usize)
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Sends query `i` at `start + i / qps` for `seconds`, open loop; returns sorted
/// latencies measured from when each query was due.
async fn run<F, Fut>(qps: u64, seconds: u64, search: F) -> Vec<Duration>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let search = Arc::new(search);
    let total = (qps * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / qps as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due).await;
        let search = search.clone();
        tasks.push(tokio::spawn(async move {
            search(i).await;
            tokio::time::Instant::now() - due
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    latencies.sort();
    latencies
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env("ONHAND_BENCH_LISTINGS", 100_000) as usize;
    let qps = env("ONHAND_BENCH_QPS", 200);
    let seconds = env("ONHAND_BENCH_SECONDS", 15);
    let docs = onhand_search::synthetic::catalog(n, 2013, NOW);
    let dir = std::env::temp_dir().join(format!("onhand-search-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let started = Instant::now();
    let (index, _) = SearchIndex::open(&dir.join("tantivy")).unwrap();
    for chunk in docs.chunks(10_000) {
        index.upsert(chunk).unwrap();
    }
    index.commit().unwrap();
    println!("tantivy: indexed {n} listings in {:.2?}", started.elapsed());

    let started = Instant::now();
    let pool = fts5(&docs, &dir.join("fts5")).await;
    println!("fts5: loaded {n} listings in {:.2?}", started.elapsed());

    let queries = Arc::new(mix());
    let (mut ours_alone, mut theirs_alone) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for q in queries.iter() {
            let t = Instant::now();
            let ours = index.search(q).unwrap().total;
            ours_alone.push(t.elapsed());
            let t = Instant::now();
            let theirs = fts5_search(&pool, q).await;
            theirs_alone.push(t.elapsed());
            if theirs_alone.len() <= queries.len() {
                println!(
                    "  {:?}: tantivy {ours} matches in {:.2?}, fts5 {theirs} in {:.2?}",
                    q.text,
                    ours_alone.last().unwrap(),
                    theirs_alone.last().unwrap()
                );
            }
            assert!(ours >= theirs, "typo tolerance only ever finds more");
        }
    }
    ours_alone.sort();
    theirs_alone.sort();
    println!(
        "one query at a time: tantivy p50 {:.2?}, fts5 p50 {:.2?}",
        percentile(&ours_alone, 0.5),
        percentile(&theirs_alone, 0.5)
    );

    let index = Arc::new(index);
    let (ix, qs) = (index.clone(), queries.clone());
    let ours = run(qps, seconds, move |i| {
        let (ix, qs) = (ix.clone(), qs.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                ix.search(&qs[i % qs.len()]).unwrap();
            })
            .await
            .unwrap();
        }
    })
    .await;
    let (o50, o99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    println!(
        "tantivy at {qps} q/s for {seconds}s ({} queries): p50 {o50:.2?}, p99 {o99:.2?}",
        ours.len()
    );
    let (p, qs) = (pool.clone(), queries.clone());
    let theirs = run(qps, seconds, move |i| {
        let (p, qs) = (p.clone(), qs.clone());
        async move {
            fts5_search(&p, &qs[i % qs.len()]).await;
        }
    })
    .await;
    let (t50, t99) = (percentile(&theirs, 0.5), percentile(&theirs, 0.99));
    println!(
        "fts5    at {qps} q/s for {seconds}s ({} queries): p50 {t50:.2?}, p99 {t99:.2?}",
        theirs.len()
    );
    println!(
        "tantivy is {:.1}x faster at p50 and {:.1}x at p99",
        t50.as_secs_f64() / o50.as_secs_f64(),
        t99.as_secs_f64() / o99.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
