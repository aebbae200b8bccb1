//! The ledger on SQLite: durable transfers per second under concurrent load, and what it
//! costs to read a wallet that has 100,000 transfers.
//! Run: `cargo bench -p onhand-store --bench ledger`

use jiff::Timestamp;
use onhand_core::ledger::LedgerAccount;
use onhand_store::{ChargeOutcome, NewAccount, Page, Store};
use std::time::{Duration, Instant};

const WRITERS: usize = 16;
const SPREAD_TRANSFERS: usize = 20_000;
const HOT_TRANSFERS: usize = 100_000;

async fn account(store: &Store, email: &str) -> i64 {
    store
        .create_account(
            &NewAccount {
                email,
                password_hash: "x",
                display_name: "bench",
                time_zone: "UTC",
                languages: &[],
                country: None,
                is_operator: false,
            },
            Timestamp::now(),
        )
        .await
        .unwrap()
        .id
}

/// `total` top-ups (one posted transfer each, with its record) by `WRITERS` concurrent
/// writers into `wallets` (round robin). Returns transfers per second.
async fn top_ups(store: &Store, wallets: &[i64], total: usize) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, wallets) = (store.clone(), wallets.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                store
                    .record_top_up(
                        wallets[i % wallets.len()],
                        100 + (i as i64 % 1000),
                        "USD",
                        "sandbox",
                        "4242",
                        &ChargeOutcome::Succeeded {
                            gateway_ref: format!("bench-{i}"),
                        },
                        None,
                        Timestamp::now(),
                    )
                    .await
                    .unwrap();
                i += WRITERS;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(dir.path()).await.unwrap();
    let mut wallets = Vec::new();
    for i in 0..64 {
        wallets.push(account(&store, &format!("buyer{i}@bench.test")).await);
    }
    let spread = top_ups(&store, &wallets, SPREAD_TRANSFERS).await;
    println!(
        "{SPREAD_TRANSFERS} transfers by {WRITERS} writers over 64 wallets: {spread:.0} durable transfers/s"
    );

    let hot = account(&store, "hot@bench.test").await;
    let rate = top_ups(&store, &[hot], HOT_TRANSFERS).await;
    println!(
        "{HOT_TRANSFERS} transfers by {WRITERS} writers into one wallet: {rate:.0} durable transfers/s"
    );

    let mut times = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let w = store.wallet(hot, "USD").await.unwrap();
        times.push(t.elapsed());
        assert!(w.available_minor() > 0);
    }
    times.sort();
    println!(
        "balance of a wallet with {HOT_TRANSFERS} transfers: p50 {:?}, p99 {:?} (kept beside the transfers, read in one row)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    let t = Instant::now();
    let last = store
        .ledger_history(
            LedgerAccount::Wallet(hot),
            "USD",
            Page {
                offset: 1000,
                limit: 25,
            },
        )
        .await
        .unwrap();
    println!("history page 41 (entries 1000..1025): {:?}", t.elapsed());
    assert_eq!(last.items.len(), 25);

    let t = Instant::now();
    let page = store
        .ledger_history(
            LedgerAccount::Wallet(hot),
            "USD",
            Page {
                offset: 0,
                limit: 25,
            },
        )
        .await
        .unwrap();
    println!(
        "first history page with running balance over {} transfers: {:?}",
        page.total,
        t.elapsed()
    );

    let t = Instant::now();
    let recomputed = store
        .recompute_balance(LedgerAccount::Wallet(hot), "USD")
        .await
        .unwrap();
    println!(
        "recomputing that balance from its {HOT_TRANSFERS} transfers (the audit path): {:?}",
        t.elapsed()
    );
    assert_eq!(
        recomputed,
        store
            .ledger_balance(LedgerAccount::Wallet(hot), "USD")
            .await
            .unwrap()
    );

    let t = Instant::now();
    store.verify_ledger().await.unwrap().unwrap();
    println!(
        "replaying all {} transfers through the reference ledger: {:?}",
        SPREAD_TRANSFERS + HOT_TRANSFERS,
        t.elapsed()
    );
}
