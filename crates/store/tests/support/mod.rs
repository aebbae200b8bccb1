//! Helpers the store's test binaries share: fresh stores per backend, accounts,
//! approved providers and live listings.
#![allow(dead_code)]

use jiff::Timestamp;
use onhand_core::catalog::{ListingContent, ListingInput};
use onhand_core::money::Currency;
use onhand_core::provider::{Application, ApplicationInput};
use onhand_store::scratch::{self, ScratchDatabase};
use onhand_store::{NewAccount, Store};

pub struct Backend {
    pub name: &'static str,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    _database: Option<ScratchDatabase>,
}

/// A fresh store on every backend this machine has: SQLite always, PostgreSQL when
/// `ONHAND_TEST_POSTGRES_URL` names a server (a database of its own per call).
pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        store: Store::open_sqlite(dir.path()).await.unwrap(),
        _dir: Some(dir),
        _database: None,
    }];
    if let Some(server) = scratch::test_server("the storage suite runs on SQLite only") {
        let database = ScratchDatabase::create(&server).await.unwrap();
        out.push(Backend {
            name: "postgres",
            store: Store::open_postgres(&database.url).await.unwrap(),
            _dir: None,
            _database: Some(database),
        });
    }
    out
}

impl Backend {
    /// Another handle on the same database, as a second node would have.
    pub async fn second_node(&self) -> Store {
        match (&self._dir, &self._database) {
            (Some(dir), _) => Store::open_sqlite(dir.path()).await.unwrap(),
            (None, Some(db)) => Store::open_postgres(&db.url).await.unwrap(),
            (None, None) => unreachable!("every backend has a place"),
        }
    }
}

pub fn t0() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

pub async fn account(store: &Store, email: &str) -> i64 {
    store
        .create_account(
            &NewAccount {
                email,
                password_hash: "$argon2id$fake",
                display_name: email,
                time_zone: "UTC",
                languages: &["en".to_string()],
                country: None,
                is_operator: false,
            },
            t0(),
        )
        .await
        .unwrap()
        .id
}

pub async fn approved_provider(store: &Store, email: &str) -> i64 {
    let id = account(store, email).await;
    let app = Application::parse(
        &ApplicationInput {
            headline: "Patient piano teacher for adults".into(),
            bio: "Twenty years at the piano and ten teaching adults who always wanted to play."
                .into(),
            languages: vec!["en".into()],
            time_zone: "Europe/Vienna".into(),
            country: "AT".into(),
            experience: "Conservatory graduate.".into(),
            ..Default::default()
        },
        false,
    )
    .unwrap();
    store.apply_as_provider(id, &app, t0()).await.unwrap();
    store
        .decide_provider(id, true, None, id, t0())
        .await
        .unwrap();
    id
}

pub fn content(title: &str, price_minor: i64) -> ListingContent {
    ListingContent::parse(&ListingInput {
        title: title.into(),
        description:
            "A relaxed first lesson: posture, the C major scale and a tune you can play by the end."
                .into(),
        category: "art-music".into(),
        subcategory: "piano".into(),
        languages: vec!["en".into()],
        price_model: "fixed".into(),
        price_minor: Some(price_minor),
        session_minutes: Some(45),
        group_size: Some(1),
        cancellation_policy: "flexible".into(),
        ..Default::default()
    })
    .unwrap()
}

pub async fn live(
    store: &Store,
    provider: i64,
    title: &str,
    price_minor: i64,
    at: Timestamp,
) -> i64 {
    let l = store
        .create_listing(
            provider,
            None,
            &content(title, price_minor),
            Currency::usd(),
            at,
        )
        .await
        .unwrap();
    store.submit_listing(l.id, at).await.unwrap();
    store.decide_listing(l.id, true, None, at).await.unwrap();
    l.id
}
