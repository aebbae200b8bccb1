//! Crash safety of money: `kill -9` the server while clients top up and book at once,
//! restart it, and check that every acknowledged operation is there, that retrying
//! every unanswered one (same idempotency key) applies it exactly once, and that the
//! ledger's invariants hold.

mod support;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::start;

const PASSWORD: &str = "correct horse battery staple";
const BUYERS: usize = 6;

#[derive(Clone, Debug)]
struct Attempt {
    token: String,
    key: String,
    path: String,
    body: Value,
    /// What the client saw: a status, or nothing (the connection died).
    answer: Option<(u16, Value)>,
}

async fn send(client: &reqwest::Client, base: &str, a: &Attempt) -> Option<(u16, Value, bool)> {
    let res = client
        .post(format!("{base}{}", a.path))
        .bearer_auth(&a.token)
        .header("Idempotency-Key", &a.key)
        .json(&a.body)
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    let body = res.json::<Value>().await.ok()?;
    Some((status, body, replayed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_money_loses_nothing_acknowledged_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let server = start(dir.path(), true);
    let base = server.base.clone();

    // Buyers, each with a token; demo listings to book.
    let mut tokens = Vec::new();
    for i in 0..BUYERS {
        let email = format!("crash{i}@example.com");
        let r = client
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({"email": email, "password": PASSWORD, "display_name": format!("Crash {i}"), "time_zone": "UTC"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let t: Value = client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(t["token"].as_str().unwrap().to_string());
    }
    let listings: Value = client
        .get(format!("{base}/api/v1/listings?per_page=10"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut slots = Vec::new();
    for l in listings["items"].as_array().unwrap() {
        let id = l["id"].as_i64().unwrap();
        let s: Value = client
            .get(format!("{base}/api/v1/listings/{id}/slots"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for slot in s["slots"].as_array().unwrap().iter().take(6) {
            slots.push((id, slot["start"].as_str().unwrap().to_string()));
        }
    }
    assert!(slots.len() > 10, "demo listings have slots");

    // Everyone tops up and books as fast as they can; the server dies mid-flight.
    let attempts = Arc::new(tokio::sync::Mutex::new(Vec::<Attempt>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let (client, base, token, attempts, stop, slots) = (
            client.clone(),
            base.clone(),
            token.clone(),
            attempts.clone(),
            stop.clone(),
            slots.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let (path, body) = if n.is_multiple_of(3) {
                    let (listing, start) = &slots[(i * 7 + n) % slots.len()];
                    ("/api/v1/bookings".to_string(), json!({"listing_id": listing, "start": start}))
                } else {
                    (
                        "/api/v1/wallet/topups".to_string(),
                        json!({"amount_minor": 100 + (n as i64 % 50) * 10, "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
                    )
                };
                let mut a = Attempt {
                    token: token.clone(),
                    key: format!("crash-{i}-{n}"),
                    path,
                    body,
                    answer: None,
                };
                let answer = send(&client, &base, &a).await;
                a.answer = answer.map(|(s, b, _)| (s, b));
                let died = a.answer.is_none();
                attempts.lock().await.push(a);
                if died {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    drop(server);
    let attempts = attempts.lock().await.clone();
    let acknowledged = attempts.iter().filter(|a| a.answer.is_some()).count();
    assert!(
        acknowledged > 20,
        "the load ran before the kill ({acknowledged} answers)"
    );
    let unanswered = attempts.len() - acknowledged;
    eprintln!("crash test: {acknowledged} answered, {unanswered} cut off by kill -9");

    // After the crash, the ledger is sound.
    {
        let store = onhand_store::Store::open_sqlite(dir.path()).await.unwrap();
        store
            .verify_ledger()
            .await
            .unwrap()
            .expect("the ledger survived the crash");
        store.close().await;
    }

    let server = start(dir.path(), false);
    let base = server.base.clone();
    // Every answered request replays its answer; every cut-off one completes now, once.
    let mut topped: HashMap<String, i64> = HashMap::new();
    let mut booked: HashMap<String, Vec<i64>> = HashMap::new();
    for a in &attempts {
        let (status, body, replayed) = send(&client, &base, a).await.expect("the server answers");
        match &a.answer {
            Some((first_status, first_body)) if *first_status < 500 => {
                assert!(
                    replayed || *first_status >= 400,
                    "{} was answered {first_status}; now {status} not replayed",
                    a.key
                );
                if *first_status < 400 {
                    assert_eq!(
                        (status, &body),
                        (*first_status, first_body),
                        "{} replays its first answer",
                        a.key
                    );
                }
            }
            _ => assert!(status < 500, "{} after restart: {status} {body}", a.key),
        }
        if status == 201 && a.path.ends_with("topups") {
            *topped.entry(a.token.clone()).or_default() += body["amount_minor"].as_i64().unwrap();
        }
        if status == 201 && a.path.ends_with("bookings") {
            booked
                .entry(a.token.clone())
                .or_default()
                .push(body["id"].as_i64().unwrap());
        }
    }
    for token in &tokens {
        let w: Value = client
            .get(format!("{base}/api/v1/wallet"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let top_ups = topped.get(token).copied().unwrap_or(0);
        let bookings = booked.get(token).cloned().unwrap_or_default();
        let mut held = 0;
        for id in &bookings {
            let b: Value = client
                .get(format!("{base}/api/v1/bookings/{id}/receipt"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            held += b["held_minor"].as_i64().unwrap();
        }
        assert_eq!(
            w["wallet"]["balance_minor"].as_i64().unwrap(),
            top_ups,
            "each top-up landed exactly once"
        );
        assert_eq!(
            w["wallet"]["held_minor"].as_i64().unwrap(),
            held,
            "each booking holds exactly once"
        );
    }
    drop(server);
    let store = onhand_store::Store::open_sqlite(dir.path()).await.unwrap();
    store
        .verify_ledger()
        .await
        .unwrap()
        .expect("the ledger is sound after the retries");
}
