//! Help now: presence over the WebSocket, rings, acceptance, expiry and the line.

use crate::common::*;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn socket(app: &TestApp, token: &str, online: bool) -> Socket {
    let url = format!(
        "{}/ws{}",
        app.base.replace("http://", "ws://"),
        if online { "?online=1" } else { "" }
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the socket opens");
    ws
}

/// The next event of `kind` on the socket, within a few seconds.
pub async fn next_event(ws: &mut Socket, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} event"))
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    }
}

async fn setup(app: &TestApp) -> (String, i64, i64) {
    let op = app.operator("op@example.com").await;
    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let listing = app.live_listing(&gus, &op, "Guitar emergencies").await;
    (gus, gus_id, listing)
}

async fn wait_for_state(app: &TestApp, token: &str, id: i64, state: &str) -> Value {
    for _ in 0..50 {
        let (_, body) = app
            .get_json(&format!("/api/v1/help-now/{id}"), Some(token))
            .await;
        if body["state"] == state {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("request {id} never became {state}");
}

#[tokio::test]
async fn an_online_provider_is_rung_and_accepting_books_a_session_now() {
    let app = spawn_app().await;
    let (gus, gus_id, listing) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "offline: {body}");
    let mut req = format!("{}/ws?online=1", app.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {bea}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 403, "buyers do not go online")
        }
        other => panic!("a buyer went online: {:?}", other.map(|_| ())),
    }

    let mut foreign = format!("{}/ws?online=1", app.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    foreign
        .headers_mut()
        .insert("authorization", format!("Bearer {gus}").parse().unwrap());
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(foreign).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 403, "a foreign origin is refused")
        }
        other => panic!("a foreign page opened the socket: {:?}", other.map(|_| ())),
    }
    let mut provider = socket(&app, &gus, true).await;
    let mut buyer = socket(&app, &bea, false).await;
    let (status, asked) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(asked["provider_id"], gus_id);
    let id = asked["id"].as_i64().unwrap();
    let ring = next_event(&mut provider, "ring").await;
    assert_eq!(ring["request"], id);
    assert_eq!(ring["seconds"], 60);

    let (status, booking) = app
        .post_json(
            &format!("/api/v1/help-now/{id}/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let start: jiff::Timestamp = booking["start"].as_str().unwrap().parse().unwrap();
    assert!(
        jiff::Timestamp::now().duration_since(start) < jiff::SignedDuration::from_secs(120),
        "it starts now"
    );
    let mut told = next_event(&mut buyer, "help_now").await;
    while told["state"] != "accepted" {
        told = next_event(&mut buyer, "help_now").await;
    }
    assert_eq!(told["booking"], booking["id"]);
    let status = wait_for_state(&app, &bea, id, "accepted").await;
    assert_eq!(status["booking_id"], booking["id"]);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/help-now/{id}/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "accepted once");
}

#[tokio::test]
async fn an_unanswered_ring_expires_and_closing_the_dashboard_goes_offline() {
    let app = spawn_app_with(|c| c.help_now_ring = Duration::from_millis(800)).await;
    let (gus, _, listing) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let mut provider = socket(&app, &gus, true).await;
    let (_, asked) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    let id = asked["id"].as_i64().unwrap();
    next_event(&mut provider, "ring").await;
    wait_for_state(&app, &bea, id, "expired").await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/help-now/{id}/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "too late");
    provider.close(None).await.unwrap();
    drop(provider);
    for _ in 0..50 {
        let (status, _) = app
            .post_json(
                &format!("/api/v1/listings/{listing}/help-now"),
                Some(&bea),
                json!({}),
            )
            .await;
        if status == 409 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the provider stayed online after closing the dashboard");
}

#[tokio::test]
async fn a_busy_provider_has_a_line_with_places_and_buyers_can_leave_it() {
    let app = spawn_app().await;
    let (gus, _, listing) = setup(&app).await;
    let (bea, cid) = (
        app.quick_user("bea@example.com").await,
        app.quick_user("cid@example.com").await,
    );
    let mut provider = socket(&app, &gus, true).await;
    let (_, first) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    let (_, second) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&cid),
            json!({}),
        )
        .await;
    let (first, second) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/help-now/{second}"), Some(&cid))
            .await
            .1["place"],
        2
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&cid),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "one place per buyer");
    assert_eq!(
        app.get_json(&format!("/api/v1/help-now/{first}"), Some(&cid))
            .await
            .0,
        404,
        "not theirs"
    );

    next_event(&mut provider, "ring").await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/help-now/{first}/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    // The provider is now in a session: the next buyer waits, first in line, unrung.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let waiting = app
        .get_json(&format!("/api/v1/help-now/{second}"), Some(&cid))
        .await
        .1;
    assert_eq!(
        (waiting["state"].as_str(), waiting["place"].as_u64()),
        (Some("waiting"), Some(1)),
        "{waiting}"
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/v1/help-now/{second}"),
            Some(&cid),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/help-now/{second}"), Some(&cid))
            .await
            .1["state"],
        "left"
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/v1/help-now/{second}"),
            Some(&cid),
            None
        )
        .await
        .0,
        409
    );
}

#[tokio::test]
async fn a_help_now_session_starts_completes_and_is_final() {
    let app = spawn_app().await;
    let (gus, _, listing) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let mut provider = socket(&app, &gus, true).await;
    let (_, asked) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    let id = asked["id"].as_i64().unwrap();
    next_event(&mut provider, "ring").await;
    let (_, booking) = app
        .post_json(
            &format!("/api/v1/help-now/{id}/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    let b = booking["id"].as_i64().unwrap();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/bookings/{b}/complete"),
            Some(&gus),
            json!({})
        )
        .await
        .0,
        409,
        "not started yet"
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/bookings/{b}/no-show"),
            Some(&bea),
            json!({})
        )
        .await
        .0,
        409,
        "too early to call a no-show"
    );
    let (status, started) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/start"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, started["state"].as_str()),
        (200, Some("in_progress"))
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/bookings/{b}/complete"),
            Some(&bea),
            json!({})
        )
        .await
        .0,
        403,
        "the provider completes"
    );
    let (status, done) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/complete"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!((status, done["state"].as_str()), (200, Some("completed")));
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/cancel"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["error"]["message"],
        "a completed booking cannot be cancelled by the buyer"
    );
}
