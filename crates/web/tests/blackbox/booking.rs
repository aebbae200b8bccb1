//! Availability, slots and bookings through the API: time zones, races, cancellation.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Every day, all day, no notice, 15-minute steps: any future quarter hour is bookable.
fn always_open(zone: &str) -> Value {
    let day = json!(["00:00-24:00"]);
    json!({
        "time_zone": zone,
        "weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day},
        "buffer_before_min": 0, "buffer_after_min": 0, "notice_min": 0, "horizon_days": 30, "step_min": 15
    })
}

async fn setup(app: &TestApp, group_size: u32) -> (String, i64) {
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/availability",
            Some(&gus),
            Some(always_open("Asia/Kathmandu")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut l = listing();
    l["group_size"] = json!(group_size);
    l["submit"] = json!(true);
    let (_, created) = app.post_json("/api/v1/listings", Some(&gus), l).await;
    let id = created["id"].as_i64().unwrap();
    app.post_json(
        &format!("/api/v1/admin/listings/{id}/approve"),
        Some(&op),
        json!({}),
    )
    .await;
    (gus, id)
}

/// Every buyer asks for `start` at once; the status codes they got.
#[tokio::test]
async fn slots_come_as_instants_and_local_times_in_the_viewers_zone() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let hours = json!({
        "time_zone": "Asia/Kolkata",
        "weekly": {"mon": ["09:00-10:00"]},
        "overrides": [{"date": "2030-01-08", "hours": ["18:00-19:00"]}],
        "buffer_before_min": 0, "buffer_after_min": 0, "notice_min": 0, "horizon_days": 365, "step_min": 30
    });
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/availability",
            Some(&gus),
            Some(hours),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weekly"]["mon"], json!(["09:00-10:00"]));
    let id = app.live_listing(&gus, &op, "Guitar in Kolkata").await;
    // Far enough ahead to be beyond "now" whenever the test runs, but inside no horizon:
    // the horizon is a year, so use next year's dates computed from now.
    let now = jiff::Timestamp::now();
    let from = now + jiff::SignedDuration::from_hours(24);
    let to = from + jiff::SignedDuration::from_hours(24 * 7);
    let got = slots(&app, id, &format!("from={from}&to={to}&tz=Asia/Tokyo")).await;
    assert!(!got.is_empty(), "one Monday a week has hours");
    for s in &got {
        let start: jiff::Timestamp = s["start"].as_str().unwrap().parse().unwrap();
        let kolkata = start.to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap());
        assert_eq!(
            kolkata
                .strftime("%a %H")
                .to_string()
                .split(' ')
                .next()
                .unwrap(),
            "Mon"
        );
        assert!(
            s["local_start"].as_str().unwrap().ends_with("+09:00"),
            "{s}"
        );
        // 09:00 in Kolkata (+05:30) is 12:30 in Tokyo (+09:00).
        assert!(
            s["local_start"].as_str().unwrap().contains("T12:30:00")
                || s["local_start"].as_str().unwrap().contains("T13:00:00"),
            "{s}"
        );
    }

    let bad = [
        ("from=yesterday", "from"),
        ("tz=Mars/Base", "tz"),
        (&format!("from={from}&to={from}") as &str, "to"),
    ];
    for (query, field) in bad {
        let (status, body) = app
            .get_json(&format!("/api/v1/listings/{id}/slots?{query}"), None)
            .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["error"]["fields"][0]["field"], field);
    }
    let (status, body) = app.send(Method::PUT, "/api/v1/me/availability", Some(&gus), Some(json!({
        "time_zone": "UTC", "weekly": {"mon": ["17:00-09:00"], "funday": []},
        "buffer_before_min": 0, "buffer_after_min": 0, "notice_min": 0, "horizon_days": 0, "step_min": 7
    }))).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"].as_array().unwrap().len() >= 4,
        "{body}"
    );
}

#[tokio::test]
async fn racing_buyers_get_exactly_one_booking_per_slot() {
    let app = spawn_app().await;
    let (_, listing) = setup(&app, 1).await;
    let mut buyers = Vec::new();
    for i in 0..64 {
        buyers.push(app.quick_user(&format!("b{i}@example.com")).await);
    }
    let open = slots(&app, listing, "").await;
    for slot in open.iter().skip(4).step_by(7).take(4) {
        let start = slot["start"].as_str().unwrap().to_string();
        let codes = race(&[&app], &buyers, listing, &start).await;
        assert_sold_once(&codes, &start);
        let after = slots(&app, listing, "").await;
        assert!(
            after.iter().all(|s| s["start"] != slot["start"]),
            "the sold slot is gone"
        );
    }
}

#[tokio::test]
async fn group_seats_sell_exactly_to_capacity() {
    let app = spawn_app().await;
    let (_, listing) = setup(&app, 5).await;
    let mut buyers = Vec::new();
    for i in 0..64 {
        buyers.push(app.quick_user(&format!("b{i}@example.com")).await);
    }
    let start = slots(&app, listing, "").await[8]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let codes = race(&[&app], &buyers, listing, &start).await;
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 5, "{codes:?}");

    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&buyers[0]),
            json!({"listing_id": listing, "start": start, "seats": 6}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn cancelling_costs_what_the_policy_says() {
    let app = spawn_app().await;
    let (gus, listing) = setup(&app, 1).await;
    let bea = app.quick_user("bea@example.com").await;
    let open = slots(&app, listing, "").await;
    // The listing is moderate and $25.00: free until 24 hours before, half after.
    let soon = open[4]["start"].as_str().unwrap();
    let later = open
        .iter()
        .find(|s| {
            let t: jiff::Timestamp = s["start"].as_str().unwrap().parse().unwrap();
            t > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)
        })
        .unwrap()["start"]
        .as_str()
        .unwrap();

    let (status, soon_booking) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": soon}),
        )
        .await;
    assert_eq!(status, 201, "{soon_booking}");
    assert_eq!(soon_booking["state"], "confirmed");
    assert_eq!(soon_booking["price_minor"], 2500);
    let (_, far_booking) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": later}),
        )
        .await;
    let (soon_id, far_id) = (
        soon_booking["id"].as_i64().unwrap(),
        far_booking["id"].as_i64().unwrap(),
    );

    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{soon_id}/reschedule"),
            Some(&bea),
            json!({"start": later}),
        )
        .await;
    assert_eq!(status, 409, "outside the free window: {body}");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{soon_id}/cancel"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["state"].as_str(),
            body["cancel_fee_minor"].as_i64()
        ),
        (200, Some("cancelled_by_buyer"), Some(1250)),
        "{body}"
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/bookings/{soon_id}/cancel"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "a cancelled booking cannot be cancelled again");

    // Inside the free window the buyer moves it, then the provider cancels it for free.
    let moved_to = open.iter().rev().nth(3).unwrap()["start"].as_str().unwrap();
    let (status, moved) = app
        .post_json(
            &format!("/api/v1/bookings/{far_id}/reschedule"),
            Some(&bea),
            json!({"start": moved_to}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let moved_id = moved["id"].as_i64().unwrap();
    assert_eq!(
        app.get_json(&format!("/api/v1/bookings/{far_id}"), Some(&bea))
            .await
            .1["state"],
        "rescheduled"
    );

    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{moved_id}/cancel"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "a provider gives a reason: {body}");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{moved_id}/cancel"),
            Some(&gus),
            json!({"reason": "I am ill, sorry."}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["state"].as_str(),
            body["cancel_fee_minor"].as_i64()
        ),
        (200, Some("cancelled_by_provider"), Some(0))
    );

    let stranger = app.quick_user("eve@example.com").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/bookings/{moved_id}"), Some(&stranger))
            .await
            .0,
        404
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/bookings/{moved_id}/cancel"),
            Some(&stranger),
            json!({})
        )
        .await
        .0,
        404
    );
    let (_, mine) = app.get_json("/api/v1/bookings", Some(&bea)).await;
    assert_eq!(mine["total"], 3);
    let (status, _) = app
        .post_json(
            "/api/v1/bookings",
            Some(&gus),
            json!({"listing_id": listing, "start": later}),
        )
        .await;
    assert_eq!(status, 403, "no booking your own listing");
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": "tomorrow at noon"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("start"))
    );
    let (status, _) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 409, "the past is never free");
}

#[tokio::test]
async fn providers_propose_new_times_that_buyers_accept_or_decline() {
    let app = spawn_app().await;
    let (gus, listing) = setup(&app, 1).await;
    let bea = app.quick_user("bea@example.com").await;
    let open = slots(&app, listing, "").await;
    let at = |i: usize| open[i]["start"].as_str().unwrap().to_string();
    let book = |start: String| {
        let (app, bea) = (&app, bea.clone());
        async move {
            let (status, b) = app
                .post_json(
                    "/api/v1/bookings",
                    Some(&bea),
                    json!({"listing_id": listing, "start": start}),
                )
                .await;
            assert_eq!(status, 201, "{b}");
            b["id"].as_i64().unwrap()
        }
    };
    let first = book(at(10)).await;
    let second = book(at(20)).await;

    let (status, _) = app
        .post_json(
            &format!("/api/v1/bookings/{first}/proposal/accept"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "nothing proposed yet");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{first}/reschedule"),
            Some(&gus),
            json!({"start": at(20)}),
        )
        .await;
    assert_eq!(
        status, 409,
        "the provider cannot propose a booked time: {body}"
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/bookings/{first}/reschedule"),
            Some(&gus),
            json!({"start": at(11)}),
        )
        .await;
    assert_eq!(
        (status, body["proposed_start"].as_str()),
        (200, Some(at(11).as_str())),
        "a shift overlapping itself is fine: {body}"
    );
    assert_eq!(
        body["state"], "confirmed",
        "nothing moves until the buyer says so"
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/bookings/{first}/proposal/accept"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "only the buyer answers");
    let (status, moved) = app
        .post_json(
            &format!("/api/v1/bookings/{first}/proposal/accept"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, moved["start"].as_str()),
        (200, Some(at(11).as_str())),
        "{moved}"
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/bookings/{first}"), Some(&bea))
            .await
            .1["state"],
        "rescheduled"
    );

    let (status, _) = app
        .post_json(
            &format!("/api/v1/bookings/{second}/reschedule"),
            Some(&gus),
            json!({"start": at(30)}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, declined) = app
        .post_json(
            &format!("/api/v1/bookings/{second}/proposal/decline"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(declined["state"], "cancelled_by_provider");
    assert_eq!(
        declined["cancel_fee_minor"], 0,
        "declining costs the buyer nothing"
    );
}

#[tokio::test]
async fn a_private_calendar_feed_lists_bookings_until_revoked() {
    let app = spawn_app().await;
    let (gus, listing) = setup(&app, 1).await;
    let bea = app.quick_user("bea@example.com").await;
    let start = slots(&app, listing, "").await[6]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, booking) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    let id = booking["id"].as_i64().unwrap();

    let (status, feed) = app
        .post_json("/api/v1/me/calendar-feed", Some(&gus), json!({}))
        .await;
    assert_eq!(status, 201, "{feed}");
    let url = feed["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&app.base) && url.ends_with(".ics"), "{url}");
    let res = app.api.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = res.text().await.unwrap();
    let start: jiff::Timestamp = start.parse().unwrap();
    assert!(ics.contains(&format!("UID:booking-{id}@onhand")), "{ics}");
    // The owner's zone (Gus signed up in Europe/Paris), with its VTIMEZONE.
    let paris = start.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
    assert!(
        ics.contains(&format!(
            "DTSTART;TZID=Europe/Paris:{}",
            paris.strftime("%Y%m%dT%H%M%S")
        )),
        "{ics}"
    );
    assert!(
        ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"),
        "{ics}"
    );
    assert!(ics.lines().all(|l| l.len() <= 75));

    let (_, again) = app
        .post_json("/api/v1/me/calendar-feed", Some(&gus), json!({}))
        .await;
    assert_eq!(
        app.api.get(&url).send().await.unwrap().status(),
        404,
        "a new address retires the old one"
    );
    let new_url = again["url"].as_str().unwrap();
    assert_eq!(app.api.get(new_url).send().await.unwrap().status(), 200);
    assert_eq!(
        app.send(Method::DELETE, "/api/v1/me/calendar-feed", Some(&gus), None)
            .await
            .0,
        204
    );
    assert_eq!(app.api.get(new_url).send().await.unwrap().status(), 404);
    assert_eq!(
        app.api
            .get(app.url("/calendar/feed_guess.ics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_listing_can_have_hours_of_its_own() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    app.send(
        Method::PUT,
        "/api/v1/me/availability",
        Some(&gus),
        Some(always_open("UTC")),
    )
    .await;
    let evenings = app.live_listing(&gus, &op, "Evening guitar circle").await;
    let anytime = app.live_listing(&gus, &op, "Guitar any time").await;
    let every_day = json!(["19:00-21:00"]);
    let hours = json!({"weekly": {"mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day, "fri": every_day, "sat": every_day, "sun": every_day}});
    let (status, body) = app
        .send(
            Method::PUT,
            &format!("/api/v1/listings/{evenings}/hours"),
            Some(&gus),
            Some(hours),
        )
        .await;
    assert_eq!((status, body["own"].as_bool()), (200, Some(true)), "{body}");
    let hour_of = |s: &Value| {
        s["start"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .hour()
    };
    let evening_slots = slots(&app, evenings, "").await;
    assert!(!evening_slots.is_empty());
    assert!(
        evening_slots.iter().all(|s| (19..21).contains(&hour_of(s))),
        "only its own hours"
    );
    assert!(
        slots(&app, anytime, "")
            .await
            .iter()
            .any(|s| hour_of(s) < 19),
        "the other listing keeps the provider's hours"
    );

    let stranger = app.quick_user("eve@example.com").await;
    assert_eq!(
        app.get_json(
            &format!("/api/v1/listings/{evenings}/hours"),
            Some(&stranger)
        )
        .await
        .0,
        404
    );
    let (status, body) = app
        .send(
            Method::PUT,
            &format!("/api/v1/listings/{evenings}/hours"),
            Some(&gus),
            Some(json!({"weekly": {"mon": ["21:00-19:00"]}})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/listings/{evenings}/hours"),
            Some(&gus),
            None,
        )
        .await;
    assert_eq!((status, body["own"].as_bool()), (200, Some(false)));
    assert!(
        slots(&app, evenings, "")
            .await
            .iter()
            .any(|s| hour_of(s) < 19),
        "back to the provider's hours"
    );
}
