//! The session room's door: only the booking's buyer and provider, only from 10 minutes
//! before the start, only while the booking holds; and the signaling protocol's errors.

use crate::common::*;
use crate::money::setup;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Opens the room socket as `token`, or returns the HTTP status it was refused with.
async fn open(
    app: &TestApp,
    booking: i64,
    token: Option<&str>,
) -> Result<crate::helpnow::Socket, u16> {
    let url = format!(
        "{}/bookings/{booking}/room/ws",
        app.base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn next(ws: &mut crate::helpnow::Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a message")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test]
async fn only_the_bookings_people_get_in_and_only_when_it_is_time() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let stranger = app.quick_user("eve@example.com").await;
    let now_booking = crate::money::session_now(&app, &gus, &bea, listing).await;

    assert_eq!(
        open(&app, now_booking, None).await.err(),
        Some(303),
        "sent to sign in"
    );
    assert_eq!(
        open(&app, now_booking, Some(&stranger)).await.err(),
        Some(404)
    );
    assert!(open(&app, now_booking, Some(&bea)).await.is_ok());
    assert!(open(&app, now_booking, Some(&gus)).await.is_ok());

    // Too early: a booking days ahead.
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let later = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_string())
        .find(|s| {
            s.parse::<jiff::Timestamp>().unwrap()
                > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)
        })
        .unwrap();
    let (status, b) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": later}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let early = b["id"].as_i64().unwrap();
    assert_eq!(open(&app, early, Some(&bea)).await.err(), Some(403));

    // Cancelled: closed.
    app.post_json(
        &format!("/api/v1/bookings/{now_booking}/cancel"),
        Some(&gus),
        json!({"reason": "Something came up."}),
    )
    .await;
    assert_eq!(open(&app, now_booking, Some(&bea)).await.err(), Some(409));
}

#[tokio::test]
async fn the_protocol_names_what_is_wrong_and_keeps_the_socket() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let id = crate::money::session_now(&app, &gus, &bea, listing).await;
    let mut ws = open(&app, id, Some(&bea)).await.unwrap();
    // Anything but a join first is refused, and the socket closes.
    ws.send(Message::Text(r#"{"v":1,"type":"chat","text":"hi"}"#.into()))
        .await
        .unwrap();
    let e = next(&mut ws).await;
    assert_eq!(e["type"], "error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("first message must be a join")
    );

    let mut ws = open(&app, id, Some(&bea)).await.unwrap();
    ws.send(Message::Text(r#"{"v":9,"type":"join","sdp":"v=0"}"#.into()))
        .await
        .unwrap();
    let e = next(&mut ws).await;
    assert!(e["message"].as_str().unwrap().contains("version 9"), "{e}");

    let mut ws = open(&app, id, Some(&bea)).await.unwrap();
    ws.send(Message::Text(
        r#"{"v":1,"type":"join","sdp":"v=0\r\nbroken"}"#.into(),
    ))
    .await
    .unwrap();
    let e = next(&mut ws).await;
    assert_eq!(e["type"], "error");
    assert!(e["message"].as_str().unwrap().contains("offer"), "{e}");
}

/// A session that started `minutes_ago` and nobody began.
async fn unbegun(app: &TestApp, listing: i64, provider: i64, buyer: i64, minutes_ago: i64) -> i64 {
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago);
    app.store
        .book_now(
            &onhand_store::NewBooking {
                listing_id: listing,
                provider_id: provider,
                buyer_id: buyer,
                start,
                seats: 1,
                session_minutes: 30,
                group_size: 1,
                title: "Guitar emergencies",
                price_model: "fixed",
                price_minor: 2500,
                minimum_minutes: None,
                currency: "USD",
                cancellation_policy: "moderate",
                hold_minor: 2500,
                commission_bps: 2000,
            },
            start,
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn sessions_nobody_began_are_no_shows_of_whoever_never_joined_the_room() {
    let app = spawn_app_with(|c| c.no_show_every = std::time::Duration::from_millis(100)).await;
    let (gus, gus_id, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let bea_id = app.get_json("/api/v1/me", Some(&bea)).await.1["id"]
        .as_i64()
        .unwrap();
    let before = crate::money::available(&app, &bea).await;

    // Nobody came: the provider is the no-show, the buyer gets everything back.
    let nobody = unbegun(&app, listing, gus_id, bea_id, 15).await;
    // Only the provider came: the buyer is the no-show and pays the moderate policy's fee.
    let provider_only = unbegun(&app, listing, gus_id, bea_id, 50).await;
    let b = app.store.booking(provider_only).await.unwrap();
    app.store
        .mark_present(b.listing_id, b.start, gus_id, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut states = (Value::Null, Value::Null);
    for _ in 0..100 {
        let a = app
            .get_json(&format!("/api/v1/bookings/{nobody}"), Some(&bea))
            .await
            .1;
        let c = app
            .get_json(&format!("/api/v1/bookings/{provider_only}"), Some(&gus))
            .await
            .1;
        states = (a["state"].clone(), c["state"].clone());
        if states.0 != "confirmed" && states.1 != "confirmed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(states, (json!("no_show_provider"), json!("no_show_buyer")));
    let fee = app
        .get_json(&format!("/api/v1/bookings/{provider_only}"), Some(&bea))
        .await
        .1["cancel_fee_minor"]
        .as_i64()
        .unwrap();
    assert!(fee > 0);
    assert_eq!(crate::money::available(&app, &bea).await, before - fee);
    app.assert_ledger_sound().await;
}

#[tokio::test]
async fn a_chat_line_can_be_reported_hidden_from_the_transcript_and_restored() {
    use crate::pages::{page, signed_in};
    let app = spawn_app().await;
    let (gus, gus_id, listing, op) = setup(&app).await;
    let bea = app.user("bea@example.com", "Bea").await;
    let id = crate::money::session_now(&app, &gus, &bea, listing).await;
    let b = app.store.booking(id).await.unwrap();
    let line = app
        .store
        .add_room_message(
            listing,
            b.start,
            gus_id,
            "Pay me on the side, it's cheaper",
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    // The buyer sees a report form next to the provider's line on the booking page.
    let client = signed_in(&app, "bea@example.com").await;
    let (_, html) = page(&client, &app.url(&format!("/bookings/{id}"))).await;
    assert!(
        html.contains(&format!("name=\"target_id\" value=\"{}\"", line.id)),
        "{html}"
    );
    let (status, report) = app
        .post_json(
            "/api/v1/reports",
            Some(&bea),
            json!({"target": "message", "target_id": line.id, "reason": "Asks to pay outside Onhand"}),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let (_, queue) = app.get_json("/api/v1/admin/reports", Some(&op)).await;
    let context = &queue["items"][0]["context"];
    assert!(
        context["summary"].as_str().unwrap().contains("Chat line"),
        "{queue}"
    );
    assert_eq!(context["text"], "Pay me on the side, it's cheaper");
    assert_eq!(context["account_name"], "Gus");

    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/reports/{}/hide", report["id"]),
            Some(&op),
            json!({"reason": "Off-platform payment"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, transcript) = app
        .get_json(&format!("/api/v1/bookings/{id}/transcript"), Some(&bea))
        .await;
    assert_eq!(transcript, json!([]), "hidden from the transcript");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/messages/{}/restore", line.id),
            Some(&op),
            json!({"reason": "Reviewed with the provider"}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, transcript) = app
        .get_json(&format!("/api/v1/bookings/{id}/transcript"), Some(&bea))
        .await;
    assert_eq!(transcript[0]["text"], "Pay me on the side, it's cheaper");
}
