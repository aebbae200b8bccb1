//! Durable bookings per second under concurrent load: 16 writers racing to book 2,000
//! distinct slots (and, in a second round, all for the same few slots), on SQLite and,
//! when `ONHAND_TEST_POSTGRES_URL` names a server, on PostgreSQL (a scratch database).
//! Run: `cargo bench -p onhand-store --bench bookings`

use jiff::{SignedDuration, Timestamp};
use onhand_core::catalog::{ListingContent, ListingInput};
use onhand_core::money::Currency;
use onhand_core::provider::{Application, ApplicationInput};
use onhand_core::schedule::{Availability, Span};
use onhand_store::{BookError, NewAccount, NewBooking, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const WRITERS: usize = 16;
const BOOKINGS: usize = 2000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    measure("SQLite", Store::open_sqlite(dir.path()).await.unwrap()).await;
    if let Some(server) = onhand_store::scratch::test_server("the bookings benchmark") {
        let database = onhand_store::scratch::ScratchDatabase::create(&server)
            .await
            .unwrap();
        let store = Store::open_postgres(&database.url).await.unwrap();
        measure("PostgreSQL", store.clone()).await;
        store.close().await;
    }
}

async fn measure(engine: &str, store: Store) {
    let now = Timestamp::now();
    let account = |email: String| async {
        let e = email;
        store
            .create_account(
                &NewAccount {
                    email: &e,
                    password_hash: "x",
                    display_name: "bench",
                    time_zone: "UTC",
                    languages: &[],
                    country: None,
                    is_operator: false,
                },
                now,
            )
            .await
            .unwrap()
            .id
    };
    let provider = account("provider@bench.test".into()).await;
    let app = Application::parse(
        &ApplicationInput {
            headline: "Bench provider with long hours".into(),
            bio: "Available around the clock for the purpose of measuring the booking path.".into(),
            languages: vec!["en".into()],
            time_zone: "UTC".into(),
            country: "US".into(),
            experience: "Plenty of it.".into(),
            ..Default::default()
        },
        false,
    )
    .unwrap();
    store.apply_as_provider(provider, &app, now).await.unwrap();
    store
        .decide_provider(provider, true, None, provider, now)
        .await
        .unwrap();
    let all_day = vec![Span {
        start_min: 0,
        end_min: 24 * 60,
    }];
    store
        .set_availability(
            provider,
            &Availability {
                time_zone: jiff::tz::TimeZone::UTC,
                weekly: std::array::from_fn(|_| all_day.clone()),
                overrides: vec![],
                buffer_before_min: 0,
                buffer_after_min: 0,
                notice_min: 0,
                horizon_days: 365,
                step_min: 15,
            },
            now,
        )
        .await
        .unwrap();
    let content = ListingContent::parse(&ListingInput {
        title: "Benchmark lesson".into(),
        description:
            "A listing that exists so the benchmark has something to book, again and again.".into(),
        category: "education-careers".into(),
        subcategory: "writing".into(),
        languages: vec!["en".into()],
        price_model: "free".into(),
        session_minutes: Some(15),
        group_size: Some(1),
        cancellation_policy: "flexible".into(),
        ..Default::default()
    })
    .unwrap();
    let listing = store
        .create_listing(provider, None, &content, Currency::usd(), now)
        .await
        .unwrap()
        .id;
    let buyer = account("buyer@bench.test".into()).await;
    let first = Timestamp::from_second((now.as_second() / 900 + 8) * 900).unwrap();

    let run = |distinct: bool| {
        let store = store.clone();
        async move {
            let next = Arc::new(AtomicUsize::new(0));
            let booked = Arc::new(AtomicUsize::new(0));
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..WRITERS {
                let (store, next, booked) = (store.clone(), next.clone(), booked.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= BOOKINGS {
                            break;
                        }
                        let slot = if distinct { i } else { BOOKINGS + i % 10 };
                        let new = NewBooking {
                            listing_id: listing,
                            provider_id: provider,
                            buyer_id: buyer,
                            start: first + SignedDuration::from_mins(15 * slot as i64),
                            seats: 1,
                            session_minutes: 15,
                            group_size: 1,
                            title: "Benchmark lesson",
                            price_model: "free",
                            price_minor: 0,
                            minimum_minutes: None,
                            currency: "USD",
                            cancellation_policy: "flexible",
                            hold_minor: 0,
                            commission_bps: 0,
                        };
                        match store.book(&new, None, Timestamp::now()).await {
                            Ok(_) => {
                                booked.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(BookError::SlotGone) => {}
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            (started.elapsed(), booked.load(Ordering::Relaxed))
        }
    };
    let (elapsed, booked) = run(true).await;
    println!(
        "{engine}: {WRITERS} writers, {BOOKINGS} distinct slots: {booked} booked in {:.2?} = {:.0} durable bookings/s",
        elapsed,
        booked as f64 / elapsed.as_secs_f64()
    );
    let (elapsed, booked) = run(false).await;
    println!(
        "{engine}: {WRITERS} writers, {BOOKINGS} attempts on 10 slots: {booked} booked, {} refused, in {:.2?} = {:.0} decisions/s",
        BOOKINGS - booked,
        elapsed,
        BOOKINGS as f64 / elapsed.as_secs_f64()
    );
}
