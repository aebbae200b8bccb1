//! Money over the API: top-ups through the sandbox, holds at booking, settlement by
//! policy, the guarantee, payouts, and idempotency keys.

use crate::common::*;
use crate::helpnow::{next_event, socket};
use serde_json::{Value, json};

const CARD_OK: &str = "4242424242424242";

fn card(number: &str, amount_minor: i64) -> Value {
    json!({"amount_minor": amount_minor, "card_number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"})
}

/// POSTs with an explicit idempotency key (or none); returns status, body and whether
/// the answer was a replay.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> (u16, Value, bool) {
    let mut req = app.api.post(app.url(path)).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (status, res.json().await.unwrap_or(Value::Null), replayed)
}

pub async fn available(app: &TestApp, token: &str) -> i64 {
    app.wallet(token).await["wallet"]["available_minor"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn top_ups_go_through_the_sandbox_and_say_so() {
    let app = spawn_app().await;
    let bea = app.quick_user("bea@example.com").await;
    let before = app.wallet(&bea).await;
    assert_eq!(
        before["wallet"]["sandbox"], true,
        "no one mistakes it for real money"
    );
    assert_eq!(before["wallet"]["available_minor"], STARTING_WALLET_MINOR);

    let (status, body) = app
        .post_json("/api/v1/wallet/topups", Some(&bea), card(CARD_OK, 2000))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["state"].as_str(), body["card_last4"].as_str()),
        (Some("succeeded"), Some("4242"))
    );
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR + 2000);

    for (number, message) in [
        ("4000000000000002", "the card was declined"),
        ("4000000000009995", "insufficient funds"),
    ] {
        let (status, body) = app
            .post_json("/api/v1/wallet/topups", Some(&bea), card(number, 2000))
            .await;
        assert_eq!(status, 402, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
    assert_eq!(
        available(&app, &bea).await,
        STARTING_WALLET_MINOR + 2000,
        "declines move nothing"
    );

    let (status, body) = app
        .post_json(
            "/api/v1/wallet/topups",
            Some(&bea),
            json!({"amount_minor": 50, "card_number": "4242424242424241", "exp_month": 13, "exp_year": 2040, "cvc": "1"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["amount_minor", "card_number", "exp_month", "cvc"]);

    // The "try again" card: 503 first, then the same key succeeds, once.
    let key = fresh_key();
    let retry = card("4000000000000119", 3000);
    let (status, body, _) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &bea,
        Some(&key),
        retry.clone(),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let (status, body, replayed) =
        post_keyed(&app, "/api/v1/wallet/topups", &bea, Some(&key), retry).await;
    assert_eq!((status, replayed), (201, false), "{body}");
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR + 5000);

    let (status, body, _) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &bea,
        None,
        card(CARD_OK, 2000),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "Idempotency-Key");
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn an_idempotency_key_replays_refuses_a_different_request_and_survives_a_restart() {
    let app = spawn_app().await;
    let bea = app.quick_user("bea@example.com").await;
    let key = fresh_key();
    let (status, first, replayed) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &bea,
        Some(&key),
        card(CARD_OK, 1500),
    )
    .await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, again, replayed) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &bea,
        Some(&key),
        card(CARD_OK, 1500),
    )
    .await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(again, first, "the first response, replayed");
    assert_eq!(
        available(&app, &bea).await,
        STARTING_WALLET_MINOR + 1500,
        "charged once"
    );

    let (status, body, _) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &bea,
        Some(&key),
        card(CARD_OK, 9900),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("different request")
    );

    // Keys are per account: another buyer's same key is a new operation.
    let cy = app.quick_user("cy@example.com").await;
    let (status, _, replayed) = post_keyed(
        &app,
        "/api/v1/wallet/topups",
        &cy,
        Some(&key),
        card(CARD_OK, 1500),
    )
    .await;
    assert_eq!((status, replayed), (201, false));

    // A new process on the same database still replays.
    let restarted = app.restart().await;
    let (status, after, replayed) = post_keyed(
        &restarted,
        "/api/v1/wallet/topups",
        &bea,
        Some(&key),
        card(CARD_OK, 1500),
    )
    .await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(after, first);
    assert_eq!(
        available(&restarted, &bea).await,
        STARTING_WALLET_MINOR + 1500
    );
    restarted.assert_ledger_sound().await;
}

#[tokio::test]
async fn concurrent_duplicates_move_money_once() {
    let app = spawn_app().await;
    let bea = app.quick_user("bea@example.com").await;
    let key = fresh_key();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (client, url, token, key) = (
            app.api.clone(),
            app.url("/api/v1/wallet/topups"),
            bea.clone(),
            key.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&card(CARD_OK, 700))
                .send()
                .await
                .unwrap();
            let replayed = res.headers().get("idempotent-replayed").is_some();
            (res.status().as_u16(), replayed)
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        match t.await.unwrap() {
            (201, false) => fresh += 1,
            (201, true) | (409, _) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(fresh, 1, "exactly one request did the work");
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR + 700);
    app.assert_ledger_sound().await;
}

pub async fn setup(app: &TestApp) -> (String, i64, i64, String) {
    let op = app.operator("op@example.com").await;
    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let listing = app.live_listing(&gus, &op, "Guitar emergencies").await;
    (gus, gus_id, listing, op)
}

/// A help-now session with `buyer`, accepted by the provider: a booking starting now.
pub async fn session_now(app: &TestApp, provider: &str, buyer: &str, listing: i64) -> i64 {
    let mut ws = socket(app, provider, true).await;
    let (status, asked) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(buyer),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{asked}");
    next_event(&mut ws, "ring").await;
    let (status, booking) = app
        .post_json(
            &format!("/api/v1/help-now/{}/accept", asked["id"]),
            Some(provider),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    booking["id"].as_i64().unwrap()
}

pub async fn step(app: &TestApp, token: &str, booking: i64, step: &str) -> Value {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{booking}/{step}"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{step}: {body}");
    body
}

#[tokio::test]
async fn a_completed_session_pays_the_provider_less_commission_and_the_guarantee_refunds() {
    let app = spawn_app().await;
    let (gus, _, listing, op) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let b = session_now(&app, &gus, &bea, listing).await;
    assert_eq!(
        available(&app, &bea).await,
        STARTING_WALLET_MINOR - 2500,
        "the price is held"
    );
    let receipt = app
        .get_json(&format!("/api/v1/bookings/{b}/receipt"), Some(&bea))
        .await
        .1;
    assert_eq!(receipt["held_minor"], 2500);

    // No refund before anything was charged.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/refund-requests"),
            Some(&bea),
            json!({"reason": "It has not even started yet."}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    step(&app, &gus, b, "start").await;
    let done = step(&app, &gus, b, "complete").await;
    assert_eq!(
        (
            done["charged_minor"].as_i64(),
            done["commission_minor"].as_i64()
        ),
        (Some(2500), Some(500))
    );
    let wallet = app.wallet(&gus).await;
    assert_eq!(wallet["earnings"]["balance_minor"], 2000);
    assert_eq!(
        wallet["earnings"]["locked_minor"], 2000,
        "inside the 72-hour window"
    );
    assert_eq!(wallet["earnings"]["available_minor"], 0);
    let (status, body) = app
        .post_json("/api/v1/payouts", Some(&gus), json!({"amount_minor": 1000}))
        .await;
    assert_eq!(status, 409, "locked earnings cannot be paid out: {body}");

    // Strangers cannot ask; the provider cannot ask their own refund.
    let cy = app.quick_user("cy@example.com").await;
    let path = format!("/api/v1/bookings/{b}/refund-requests");
    let (status, _) = app
        .post_json(
            &path,
            Some(&cy),
            json!({"reason": "Not mine but I want it."}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post_json(
            &path,
            Some(&gus),
            json!({"reason": "Refund myself please."}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .post_json(
            &path,
            Some(&bea),
            json!({"amount_minor": 2600, "reason": "The sound kept dropping."}),
        )
        .await;
    assert_eq!(status, 409, "more than was paid: {body}");
    let (status, body) = app
        .post_json(&path, Some(&bea), json!({"reason": "short"}))
        .await;
    assert_eq!(status, 422, "{body}");

    let (status, asked) = app
        .post_json(
            &path,
            Some(&bea),
            json!({"amount_minor": 1000, "reason": "The sound kept dropping for ten minutes."}),
        )
        .await;
    assert_eq!(status, 201, "{asked}");
    let r = asked["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/refund-requests/{r}/decline"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "declining needs a note: {body}");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/refund-requests/{r}/grant"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "only the provider answers: {body}");
    let (status, granted) = app
        .post_json(
            &format!("/api/v1/refund-requests/{r}/grant"),
            Some(&gus),
            json!({"note": "Sorry about that."}),
        )
        .await;
    assert_eq!(
        (status, granted["state"].as_str()),
        (200, Some("granted")),
        "{granted}"
    );
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR - 1500);
    let wallet = app.wallet(&gus).await;
    assert_eq!(
        wallet["earnings"]["balance_minor"], 1200,
        "the provider gives back 80% of it"
    );

    // A second request, declined: the operator decides.
    let (_, asked) = app
        .post_json(
            &path,
            Some(&bea),
            json!({"reason": "I would like the rest back as well."}),
        )
        .await;
    assert_eq!(asked["amount_minor"], 1500, "all that is left, by default");
    let r = asked["id"].as_i64().unwrap();
    let (status, declined) = app
        .post_json(
            &format!("/api/v1/refund-requests/{r}/decline"),
            Some(&gus),
            json!({"note": "The lesson was delivered in full."}),
        )
        .await;
    assert_eq!(
        (status, declined["state"].as_str()),
        (200, Some("disputed"))
    );
    let (status, _) = app.get_json("/api/v1/admin/disputes", Some(&gus)).await;
    assert_eq!(status, 403);
    let (_, queue) = app.get_json("/api/v1/admin/disputes", Some(&op)).await;
    assert_eq!(queue["items"][0]["id"], r);
    let decide = format!("/api/v1/admin/disputes/{r}/decide");
    let (status, decided) = app
        .post_json(
            &decide,
            Some(&op),
            json!({"uphold": false, "note": "The recording shows a full lesson."}),
        )
        .await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (200, Some("rejected")),
        "{decided}"
    );
    let (status, _) = app
        .post_json(
            &decide,
            Some(&op),
            json!({"uphold": true, "note": "Changed my mind."}),
        )
        .await;
    assert_eq!(status, 409, "decided once");
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR - 1500);

    let receipt = app
        .get_json(&format!("/api/v1/bookings/{b}/receipt"), Some(&bea))
        .await
        .1;
    assert_eq!(
        (
            receipt["charged_minor"].as_i64(),
            receipt["refunded_minor"].as_i64(),
            receipt["held_minor"].as_i64()
        ),
        (Some(2500), Some(1000), Some(0))
    );
    assert_eq!(receipt["refund_requests"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .get_json(&format!("/api/v1/bookings/{b}/receipt"), Some(&cy))
        .await;
    assert_eq!(status, 404);
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn cancelling_voids_or_charges_by_who_cancels_and_when() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    // Provider cancels a session: the hold is voided, whatever the policy says.
    let b = session_now(&app, &gus, &bea, listing).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/cancel"),
            Some(&gus),
            json!({"reason": "My amp just died."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["charged_minor"], 0);
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR);

    // The buyer cancels a session that starts now: inside the moderate policy's window,
    // half the price goes to the provider (less commission).
    let b = session_now(&app, &gus, &bea, listing).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/cancel"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["cancel_fee_minor"].as_i64(),
            body["charged_minor"].as_i64(),
            body["commission_minor"].as_i64()
        ),
        (Some(1250), Some(1250), Some(250))
    );
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR - 1250);
    assert_eq!(app.wallet(&gus).await["earnings"]["balance_minor"], 1000);
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn an_empty_wallet_books_nothing_and_is_told_to_top_up() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let (status, body) = app
        .post_json(
            "/api/v1/auth/signup",
            None,
            json!({"email": "dan@example.com", "password": PASSWORD, "display_name": "Dan", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dan = app.token("dan@example.com").await;
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][3]["start"].as_str().unwrap().to_string();
    let before = app.counts().await;
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&dan),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 402, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("$0.00 available")
            && message.contains("$25.00")
            && message.contains("/wallet"),
        "{message}"
    );
    assert_eq!(app.counts().await, before, "no booking, no hold");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&dan),
            json!({}),
        )
        .await;
    assert_eq!(status, 402, "help now needs the money too");

    app.fund(&dan, 2500).await;
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&dan),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(available(&app, &dan).await, 0);
    let _ = gus;
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn per_minute_sessions_bill_the_minimum_and_free_ones_move_nothing() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let mut body = listing();
    body["title"] = json!("Per-minute guitar rescue");
    body["price_model"] = json!("per_minute");
    body["price_minor"] = json!(150);
    body["minimum_minutes"] = json!(10);
    body["submit"] = json!(true);
    let (status, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
    assert_eq!(status, 201, "{created}");
    let per_minute = created["id"].as_i64().unwrap();
    app.post_json(
        &format!("/api/v1/admin/listings/{per_minute}/approve"),
        Some(&op),
        json!({}),
    )
    .await;
    let mut body = listing();
    body["title"] = json!("Free guitar check-up");
    body["price_model"] = json!("free");
    body.as_object_mut().unwrap().remove("price_minor");
    body["submit"] = json!(true);
    let (status, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
    assert_eq!(status, 201, "{created}");
    let free = created["id"].as_i64().unwrap();
    app.post_json(
        &format!("/api/v1/admin/listings/{free}/approve"),
        Some(&op),
        json!({}),
    )
    .await;

    let bea = app.quick_user("bea@example.com").await;
    let b = session_now(&app, &gus, &bea, per_minute).await;
    assert_eq!(
        available(&app, &bea).await,
        STARTING_WALLET_MINOR - 30 * 150,
        "every planned minute is held"
    );
    step(&app, &gus, b, "start").await;
    let done = step(&app, &gus, b, "complete").await;
    assert_eq!(
        done["charged_minor"],
        10 * 150,
        "a short session bills the minimum; the rest is released"
    );
    assert_eq!(available(&app, &bea).await, STARTING_WALLET_MINOR - 1500);

    let before = app.store.row_counts().await.unwrap();
    let b = session_now(&app, &gus, &bea, free).await;
    step(&app, &gus, b, "start").await;
    let done = step(&app, &gus, b, "complete").await;
    assert_eq!(
        (done["charged_minor"].as_i64(), done["hold_id"].as_i64()),
        (Some(0), None)
    );
    let transfers =
        |c: &[(String, i64)]| c.iter().find(|(t, _)| t == "ledger_transfers").unwrap().1;
    assert_eq!(
        transfers(&app.store.row_counts().await.unwrap()),
        transfers(&before),
        "free help moves no money"
    );
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn payouts_need_an_approved_provider_a_minimum_and_available_earnings() {
    let app = spawn_app().await;
    let bea = app.quick_user("bea@example.com").await;
    let (status, body) = app
        .post_json("/api/v1/payouts", Some(&bea), json!({"amount_minor": 1000}))
        .await;
    assert_eq!(status, 403, "{body}");
    let (gus, _, _, _) = setup(&app).await;
    let (status, body) = app
        .post_json("/api/v1/payouts", Some(&gus), json!({"amount_minor": 500}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least $10.00")
    );
    let (status, body) = app
        .post_json("/api/v1/payouts", Some(&gus), json!({"amount_minor": 1000}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, list) = app.get_json("/api/v1/payouts", Some(&gus)).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "a refused payout leaves nothing behind"
    );
}

/// The value of the first hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

#[tokio::test]
async fn wallet_forms_top_up_once_however_often_they_are_sent() {
    use crate::pages::{page, post_form, signed_up};
    let app = spawn_app().await;
    let ana = signed_up(&app, "ana@example.com").await;
    let (status, html) = page(&ana, &app.url("/wallet")).await;
    assert_eq!(status, 200);
    assert!(html.contains("sandbox") && html.contains("4242 4242 4242 4242"));
    let (csrf, key) = (csrf_of(&html), hidden(&html, "idempotency_key"));
    let form = |card: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("idempotency_key", key.clone()),
            ("amount", "40.00".to_string()),
            ("card_number", card.to_string()),
            ("exp_month", "12".to_string()),
            ("exp_year", "2040".to_string()),
            ("cvc", "123".to_string()),
            ("next", String::new()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let (ana, url) = (ana.clone(), app.url("/wallet/topups"));
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&ana, &url, &pairs).await
        }
    };
    // A typo is shown next to its field and moves nothing; the key stays usable.
    let res = send(form("4242424242424241")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("check digit"));
    // A double click: two submissions of one form, one top-up.
    for _ in 0..2 {
        let res = send(form("4242424242424242")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/wallet?notice=topped-up");
    }
    let (_, html) = page(&ana, &app.url("/wallet")).await;
    assert!(
        html.contains("id=\"wallet-available\">$40.00<"),
        "credited once"
    );
    assert!(html.contains("Top-up (sandbox card)"));
    // A declined card says so and charges nothing.
    let (csrf2, key2) = (csrf_of(&html), hidden(&html, "idempotency_key"));
    let res = post_form(
        &ana,
        &app.url("/wallet/topups"),
        &[
            ("csrf", &csrf2),
            ("idempotency_key", &key2),
            ("amount", "10"),
            ("card_number", "4000000000000002"),
            ("exp_month", "1"),
            ("exp_year", "2041"),
            ("cvc", "999"),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("the card was declined; nothing was charged")
    );
    let res = post_form(
        &ana,
        &app.url("/wallet/topups"),
        &[("csrf", &csrf2), ("amount", "10")],
    )
    .await;
    assert_eq!(res.status(), 422, "a form without its key is refused");
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn checkout_shows_the_hold_and_books_once() {
    use crate::pages::{page, post_form, signed_up};
    let app = spawn_app().await;
    let (_, _, listing, op) = setup(&app).await;
    let ana = signed_up(&app, "ana@example.com").await;
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][2]["start"].as_str().unwrap().to_string();
    let checkout = app.url(&format!("/listings/{listing}/checkout?start={start}"));
    let (status, html) = page(&ana, &checkout).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Your wallet does not cover the $25.00 hold"),
        "{html}"
    );
    assert!(html.contains("/wallet?need=2500&#38;next="), "{html}");

    // Top up through the link's form, which comes back to the checkout.
    let (_, wallet) = page(
        &ana,
        &app.url(&format!(
            "/wallet?need=2500&next=/listings/{listing}/checkout%3Fstart%3D{start}"
        )),
    )
    .await;
    assert!(
        wallet.contains("value=\"25.00\""),
        "the amount needed is suggested"
    );
    let next = hidden(&wallet, "next");
    let res = post_form(
        &ana,
        &app.url("/wallet/topups"),
        &[
            ("csrf", &csrf_of(&wallet)),
            ("idempotency_key", &hidden(&wallet, "idempotency_key")),
            ("amount", "25.00"),
            ("card_number", "4242424242424242"),
            ("exp_month", "12"),
            ("exp_year", "2040"),
            ("cvc", "123"),
            ("next", &next),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/listings/{listing}/checkout"))
    );

    let (_, html) = page(&ana, &checkout).await;
    assert!(
        html.contains("Book and hold $25.00") && html.contains("moderate"),
        "{html}"
    );
    let form = [
        ("csrf", csrf_of(&html)),
        ("idempotency_key", hidden(&html, "idempotency_key")),
        ("start", start.clone()),
    ];
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = post_form(&ana, &app.url(&format!("/listings/{listing}/book")), &pairs).await;
    assert_eq!(first.status(), 303);
    let again = post_form(&ana, &app.url(&format!("/listings/{listing}/book")), &pairs).await;
    assert_eq!(
        again.headers()["location"],
        first.headers()["location"],
        "a resubmitted checkout lands on the same booking"
    );
    let location = first.headers()["location"].to_str().unwrap().to_string();
    let (_, booking) = page(&ana, &app.url(&location)).await;
    assert!(booking.contains("id=\"receipt-held\">$25.00<"));
    let (_, mine) = page(&ana, &app.url("/bookings")).await;
    assert_eq!(mine.matches("Guitar emergencies").count(), 1, "booked once");

    // The operator's finance view counts the hold.
    let (status, _) = page(&ana, &app.url("/admin/finance")).await;
    assert_eq!(status, 403);
    let _ = op;
    let operator = crate::pages::signed_in(&app, "op@example.com").await;
    let (status, html) = page(&operator, &app.url("/admin/finance")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Outstanding holds") && html.contains("$25.00"),
        "{html}"
    );
}
