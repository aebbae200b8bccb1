//! Reputation over the API: who may review what and when, replies, helpful votes,
//! ratings, blocks, the provider's private rating of buyers, reports and moderation.

use crate::common::*;
use crate::money::{available, session_now, setup, step};
use reqwest::Method;
use serde_json::{Value, json};

async fn completed_session(app: &TestApp, provider: &str, buyer: &str, listing: i64) -> i64 {
    let b = session_now(app, provider, buyer, listing).await;
    step(app, buyer, b, "start").await;
    step(app, provider, b, "complete").await;
    b
}

async fn account_id(app: &TestApp, token: &str) -> i64 {
    app.get_json("/api/v1/me", Some(token)).await.1["id"]
        .as_i64()
        .unwrap()
}

async fn report(app: &TestApp, target: &str, id: i64, who: &str) -> (u16, Value) {
    let body = json!({"target": target, "target_id": id, "reason": "Looks like a scam to me"});
    app.post_json("/api/v1/reports", Some(who), body).await
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn reviews_follow_completed_sessions_once_and_edits_close_after_seven_days() {
    let app = spawn_app().await;
    let (gus, gus_id, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let cy = app.quick_user("cy@example.com").await;
    let review = |b: i64| format!("/api/v1/bookings/{b}/review");

    // Not before the session is over; only the buyer; nobody else sees the booking.
    let b = session_now(&app, &gus, &bea, listing).await;
    let (status, body) = app
        .post_json(&review(b), Some(&bea), json!({"stars": 5}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(message(&body).contains("only completed sessions"), "{body}");
    step(&app, &bea, b, "start").await;
    step(&app, &gus, b, "complete").await;
    let (status, body) = app
        .post_json(&review(b), Some(&gus), json!({"stars": 5}))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = app
        .post_json(&review(b), Some(&cy), json!({"stars": 5}))
        .await;
    assert_eq!(status, 404);

    // Bad input is named, and nothing is written.
    let before = app.counts().await;
    let (status, body) = app
        .post_json(
            &review(b),
            Some(&bea),
            json!({"stars": 6, "body": "write me at gus@example.com"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["stars", "body"], "{body}");
    assert_eq!(app.counts().await, before);

    let (status, written) = app
        .post_json(
            &review(b),
            Some(&bea),
            json!({"stars": 5, "body": "Fixed my buzzing string in ten minutes."}),
        )
        .await;
    assert_eq!(status, 201, "{written}");
    let id = written["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(&review(b), Some(&bea), json!({"stars": 1}))
        .await;
    assert_eq!(status, 409, "one review per booking: {body}");

    let (status, page) = app
        .get_json(&format!("/api/v1/listings/{listing}/reviews"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["rating"]["count"], 1);
    assert_eq!(page["rating"]["distribution"], json!([0, 0, 0, 0, 1]));
    assert_eq!(
        page["rating"]["rating"], 3.75,
        "one review counts for little"
    );
    assert_eq!(page["items"][0]["buyer_name"], "bea@example.com");

    // Edits inside the window; one reply, by the provider.
    let (status, body) = app
        .send(
            Method::PATCH,
            &review(b),
            Some(&bea),
            Some(json!({"stars": 4, "body": "Fixed it; a bit rushed."})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stars"], 4);
    assert!(body["edited_at"].is_string());
    let reply = format!("/api/v1/reviews/{id}/reply");
    let (status, body) = app
        .post_json(&reply, Some(&bea), json!({"body": "Me again"}))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app
        .post_json(&reply, Some(&gus), json!({"body": "Thanks, Bea!"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "Thanks, Bea!");
    let (status, body) = app
        .post_json(&reply, Some(&gus), json!({"body": "And again"}))
        .await;
    assert_eq!(status, 409, "{body}");

    // Helpful votes: one per account, not by the people in the session, can be taken back.
    let helpful = format!("/api/v1/reviews/{id}/helpful");
    let (status, body) = app.post_json(&helpful, Some(&cy), json!({})).await;
    assert_eq!((status, body["helpful"].as_i64()), (200, Some(1)), "{body}");
    let (status, _) = app.post_json(&helpful, Some(&cy), json!({})).await;
    assert_eq!(status, 409);
    let (status, _) = app.post_json(&helpful, Some(&bea), json!({})).await;
    assert_eq!(status, 403);
    let (status, body) = app.send(Method::DELETE, &helpful, Some(&cy), None).await;
    assert_eq!((status, body["helpful"].as_i64()), (200, Some(0)));
    let (status, _) = app.send(Method::DELETE, &helpful, Some(&cy), None).await;
    assert_eq!(status, 404);
    app.post_json(&helpful, Some(&cy), json!({})).await;

    // A review written more than 7 days ago can no longer be edited.
    let old = completed_session(&app, &gus, &bea, listing).await;
    let booking = app.store.booking(old).await.unwrap();
    app.store
        .create_review(
            &booking,
            &onhand_core::reputation::ReviewInput::parse(2, "Slow").unwrap(),
            jiff::Timestamp::now() - jiff::SignedDuration::from_hours(8 * 24),
        )
        .await
        .unwrap();
    let (status, body) = app
        .send(
            Method::PATCH,
            &review(old),
            Some(&bea),
            Some(json!({"stars": 5})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(message(&body).contains("7 days"), "{body}");

    // A cancelled session cannot be reviewed.
    let cancelled = session_now(&app, &gus, &bea, listing).await;
    app.post_json(
        &format!("/api/v1/bookings/{cancelled}/cancel"),
        Some(&gus),
        json!({"reason": "Sorry, an emergency."}),
    )
    .await;
    let (status, body) = app
        .post_json(&review(cancelled), Some(&bea), json!({"stars": 1}))
        .await;
    assert_eq!(status, 409, "{body}");

    // Sorted by helpful votes, then newest; the provider's page sums it all up.
    let (_, helpful_first) = app
        .get_json(
            &format!("/api/v1/listings/{listing}/reviews?sort=helpful"),
            None,
        )
        .await;
    assert_eq!(helpful_first["items"][0]["id"], id);
    let (_, newest) = app
        .get_json(&format!("/api/v1/listings/{listing}/reviews"), None)
        .await;
    assert_eq!(newest["items"][0]["id"], id, "the old review is older");
    let (status, body) = app
        .get_json(
            &format!("/api/v1/listings/{listing}/reviews?sort=best"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, rep) = app
        .get_json(&format!("/api/v1/providers/{gus_id}/reputation"), None)
        .await;
    assert_eq!(status, 200, "{rep}");
    assert_eq!(rep["rating"]["distribution"], json!([0, 1, 0, 1, 0]));
    assert_eq!(rep["stats"]["sessions_delivered"], 2);
    assert_eq!(
        rep["stats"]["completion_percent"], 67,
        "one provider cancellation"
    );
    assert_eq!(rep["stats"]["rings"], 3);
    assert_eq!(rep["stats"]["answered"], 3);
    assert!(rep["stats"]["typical_reply_seconds"].is_i64(), "{rep}");
}

#[tokio::test]
async fn search_ranks_and_filters_by_the_rating_reviews_give() {
    let app = spawn_app().await;
    let (gus, _, listing, op) = setup(&app).await;
    let other = app.live_listing(&gus, &op, "Guitar setups").await;
    let bea = app.quick_user("bea@example.com").await;
    let b = completed_session(&app, &gus, &bea, listing).await;
    app.post_json(
        &format!("/api/v1/bookings/{b}/review"),
        Some(&bea),
        json!({"stars": 5, "body": "Excellent"}),
    )
    .await;
    // The index follows within moments.
    let mut found = Value::Null;
    for _ in 0..100 {
        found = app
            .get_json("/api/v1/search?q=guitar&min_rating=4", None)
            .await
            .1;
        if found["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], listing);
    let (_, by_rating) = app
        .get_json("/api/v1/search?q=guitar&sort=rating", None)
        .await;
    let ids: Vec<i64> = by_rating["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [listing, other]);
}

#[tokio::test]
async fn blocked_buyers_are_told_only_that_the_provider_is_unavailable() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let stranger = app.quick_user("cy@example.com").await;
    let bea_id = account_id(&app, &bea).await;
    let b = completed_session(&app, &gus, &bea, listing).await;

    // The private rating of the buyer: once, by the provider, never shown to the buyer.
    let rate = format!("/api/v1/bookings/{b}/buyer-rating");
    let (status, _) = app.post_json(&rate, Some(&bea), json!({"stars": 5})).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .post_json(&rate, Some(&gus), json!({"stars": 0, "note": "x"}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .post_json(
            &rate,
            Some(&gus),
            json!({"stars": 2, "note": "Late and rude"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.post_json(&rate, Some(&gus), json!({"stars": 3})).await;
    assert_eq!(status, 409);
    let (_, seen) = app
        .get_json(&format!("/api/v1/bookings/{b}"), Some(&bea))
        .await;
    assert!(!seen.to_string().contains("Late and rude"), "{seen}");

    // Only buyers one has met can be blocked.
    let stranger_id = account_id(&app, &stranger).await;
    let (status, body) = app
        .send(
            Method::PUT,
            &format!("/api/v1/me/blocks/{stranger_id}"),
            Some(&gus),
            None,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app
        .send(
            Method::PUT,
            &format!("/api/v1/me/blocks/{bea_id}"),
            Some(&gus),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = app.get_json("/api/v1/me/blocks", Some(&gus)).await;
    assert_eq!(list[0]["buyer_id"], bea_id);

    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][2]["start"].as_str().unwrap().to_string();
    let before = app.counts().await;
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(message(&body), "Gus is unavailable");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(message(&body), "Gus is unavailable");
    assert_eq!(app.counts().await, before, "nothing written");
    // Others still book.
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&stranger),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/me/blocks/{bea_id}"),
            Some(&gus),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][0]["start"].as_str().unwrap().to_string();
    let (status, body) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 201, "unblocked: {body}");
}

#[tokio::test]
async fn reports_reach_the_operator_whose_actions_are_logged_and_suspension_refunds() {
    let app = spawn_app().await;
    let (gus, gus_id, listing, op) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let cy = app.quick_user("cy@example.com").await;

    // A review to report later, and a future booking the suspension must refund.
    let done = completed_session(&app, &gus, &bea, listing).await;
    let (_, review) = app
        .post_json(
            &format!("/api/v1/bookings/{done}/review"),
            Some(&bea),
            json!({"stars": 1, "body": "Terrible, and so is his hair."}),
        )
        .await;
    let paid_before_future = available(&app, &bea).await;
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][2]["start"].as_str().unwrap().to_string();
    let (status, future) = app
        .post_json(
            "/api/v1/bookings",
            Some(&bea),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 201, "{future}");
    assert_eq!(available(&app, &bea).await, paid_before_future - 2500);

    // Reports are checked and one per person and item stays open.
    for (body, code) in [
        (
            json!({"target": "listing", "target_id": listing, "reason": ""}),
            422,
        ),
        (
            json!({"target": "chat", "target_id": 1, "reason": "spam"}),
            422,
        ),
        (
            json!({"target": "listing", "target_id": 99999, "reason": "spam"}),
            404,
        ),
        (json!({"target": "listing", "target_id": listing}), 400),
    ] {
        let (status, answer) = app
            .post_json("/api/v1/reports", Some(&cy), body.clone())
            .await;
        assert_eq!(status, code, "{body} -> {answer}");
    }
    let (status, listing_report) = report(&app, "listing", listing, &cy).await;
    assert_eq!(status, 201, "{listing_report}");
    assert_eq!(report(&app, "listing", listing, &cy).await.0, 409);

    // The queue is the operator's, with context.
    assert_eq!(
        app.get_json("/api/v1/admin/reports", Some(&cy)).await.0,
        403
    );
    let (status, queue) = app.get_json("/api/v1/admin/reports", Some(&op)).await;
    assert_eq!(status, 200, "{queue}");
    let item = &queue["items"][0];
    assert_eq!(item["reporter_name"], "cy@example.com");
    assert_eq!(item["context"]["account_name"], "Gus");
    assert!(
        item["context"]["summary"]
            .as_str()
            .unwrap()
            .contains("Guitar emergencies"),
        "{item}"
    );

    // Hide the listing: out of the catalog; restore it: back.
    let id = listing_report["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/reports/{id}/hide"),
            Some(&op),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(status, 422, "a reason is required: {body}");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/reports/{id}/hide"),
            Some(&op),
            json!({"reason": "Misleading claims"}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("actioned")),
        "{body}"
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{listing}"), None)
            .await
            .0,
        404
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/reports/{id}/dismiss"),
            Some(&op),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(status, 409, "decided once: {body}");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/listings/{listing}/restore"),
            Some(&op),
            json!({"reason": "Provider fixed the description"}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{listing}"), None)
            .await
            .0,
        200
    );

    // Hide a review: it leaves the listing's reviews and rating.
    let (_, review_report) = report(&app, "review", review["id"].as_i64().unwrap(), &gus).await;
    app.post_json(
        &format!("/api/v1/admin/reports/{}/hide", review_report["id"]),
        Some(&op),
        json!({"reason": "Personal attack"}),
    )
    .await;
    let (_, reviews) = app
        .get_json(&format!("/api/v1/listings/{listing}/reviews"), None)
        .await;
    assert_eq!(
        (
            reviews["total"].as_i64(),
            reviews["rating"]["count"].as_i64()
        ),
        (Some(0), Some(0))
    );

    // An account cannot be hidden, and the operator cannot suspend themselves.
    let (_, gus_report) = report(&app, "account", gus_id, &bea).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/reports/{}/hide", gus_report["id"]),
            Some(&op),
            json!({"reason": "Accounts cannot be hidden"}),
        )
        .await;
    assert_eq!(status, 409);
    let op_id = account_id(&app, &op).await;
    let (_, op_report) = report(&app, "account", op_id, &cy).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/reports/{}/suspend", op_report["id"]),
            Some(&op),
            json!({"reason": "testing"}),
        )
        .await;
    assert_eq!(status, 409);

    // Suspend the provider: the future booking is cancelled and fully refunded.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/reports/{}/suspend", gus_report["id"]),
            Some(&op),
            json!({"reason": "Repeated scams"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, booking) = app
        .get_json(&format!("/api/v1/bookings/{}", future["id"]), Some(&bea))
        .await;
    assert_eq!(booking["state"], "cancelled_by_provider", "{booking}");
    assert_eq!(available(&app, &bea).await, paid_before_future);
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{listing}"), None)
            .await
            .0,
        404
    );
    app.assert_ledger_sound().await;

    // Everything is in the log, newest first.
    let (status, log) = app.get_json("/api/v1/admin/audit", Some(&op)).await;
    assert_eq!(status, 200, "{log}");
    let actions: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("suspend", "account"),
            ("hide", "review"),
            ("restore", "listing"),
            ("hide", "listing")
        ]
    );
    assert_eq!(log["items"][0]["reason"], "Repeated scams");
    assert_eq!(app.get_json("/api/v1/admin/audit", Some(&bea)).await.0, 403);
}

#[tokio::test]
async fn the_pages_carry_reviews_votes_blocks_reports_and_moderation() {
    use crate::pages::{page, post_form, signed_in};
    let app = spawn_app().await;
    let (gus, _, listing, op) = setup(&app).await;
    let _ = op;
    let bea_token = app.user("bea@example.com", "Bea").await;
    let id = completed_session(&app, &gus, &bea_token, listing).await;
    let bea = signed_in(&app, "bea@example.com").await;
    let (_, html) = page(&bea, &app.url(&format!("/bookings/{id}"))).await;
    assert!(html.contains("How was your session?"), "{html}");
    let csrf = csrf_of(&html);
    let review_url = app.url(&format!("/bookings/{id}/review"));

    let res = post_form(
        &bea,
        &review_url,
        &[("csrf", &csrf), ("stars", "9"), ("body", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("9 is not a whole number of stars")
    );
    let res = post_form(
        &bea,
        &review_url,
        &[
            ("csrf", &csrf),
            ("stars", "4"),
            ("body", "Patient and clear."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    // The same form again edits, inside the window.
    let res = post_form(
        &bea,
        &review_url,
        &[
            ("csrf", &csrf),
            ("stars", "3"),
            ("body", "Patient, a bit slow."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, review) = app
        .get_json(&format!("/api/v1/bookings/{id}/review"), Some(&bea_token))
        .await;
    assert_eq!(
        (review["stars"].as_i64(), review["body"].as_str()),
        (Some(3), Some("Patient, a bit slow."))
    );
    let review_id = review["id"].as_i64().unwrap();

    // Another person finds it helpful, once however often the form is sent.
    app.user("cy@example.com", "Cy").await;
    let cy = signed_in(&app, "cy@example.com").await;
    let (_, html) = page(&cy, &app.url(&format!("/listings/{listing}"))).await;
    assert!(
        html.contains(&format!("/reviews/{review_id}/helpful")),
        "{html}"
    );
    let csrf_cy = csrf_of(&html);
    for _ in 0..2 {
        let res = post_form(
            &cy,
            &app.url(&format!("/reviews/{review_id}/helpful")),
            &[("csrf", &csrf_cy), ("vote", "1")],
        )
        .await;
        assert_eq!(res.status(), 303);
    }
    let (_, reviews) = app
        .get_json(&format!("/api/v1/listings/{listing}/reviews"), None)
        .await;
    assert_eq!(reviews["items"][0]["helpful"], 1);

    // Reports from the page.
    let report_url = app.url("/reports");
    let rid = review_id.to_string();
    let res = post_form(
        &cy,
        &report_url,
        &[
            ("csrf", &csrf_cy),
            ("target", "review"),
            ("target_id", &rid),
            ("reason", ""),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let form = [
        ("csrf", csrf_cy.as_str()),
        ("target", "review"),
        ("target_id", rid.as_str()),
        ("reason", "Off-topic rant"),
        ("next", "https://evil.example/"),
    ];
    let res = post_form(&cy, &report_url, &form).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Thank you"), "{html}");
    assert!(
        !html.contains("evil.example"),
        "only local paths are followed back"
    );
    let res = post_form(&cy, &report_url, &form).await;
    assert!(res.text().await.unwrap().contains("Already reported"));

    // The provider blocks the buyer from the booking page.
    let gus_page = signed_in(&app, "gus@example.com").await;
    let (_, html) = page(&gus_page, &app.url(&format!("/bookings/{id}"))).await;
    assert!(html.contains("Block Bea"), "{html}");
    assert!(html.contains("No provider has rated Bea yet."), "{html}");
    let csrf_gus = csrf_of(&html);
    let res = post_form(
        &gus_page,
        &app.url(&format!("/bookings/{id}/block")),
        &[("csrf", &csrf_gus)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (status, body) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea_token),
            json!({}),
        )
        .await;
    assert_eq!((status, message(&body)), (409, "Gus is unavailable"));
    let (_, html) = page(&bea, &app.url(&format!("/bookings/{id}"))).await;
    assert!(!html.contains("Block"), "the buyer sees nothing of it");

    // The operator's queue shows the report with context; hiding takes the review down.
    let (status, _) = page(&cy, &app.url("/admin/reports")).await;
    assert_eq!(status, 403);
    let op_page = signed_in(&app, "op@example.com").await;
    let (status, html) = page(&op_page, &app.url("/admin/reports")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Patient, a bit slow."), "{html}");
    assert!(html.contains("Off-topic rant"), "{html}");
    let csrf_op = csrf_of(&html);
    let report_id = app.get_json("/api/v1/admin/reports", Some(&op)).await.1["items"][0]["id"]
        .as_i64()
        .unwrap();
    let res = post_form(
        &op_page,
        &app.url(&format!("/admin/reports/{report_id}/hide")),
        &[("csrf", &csrf_op), ("reason", "Not about the session")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = page(&op_page, &app.url("/admin/audit")).await;
    assert!(html.contains("Not about the session"), "{html}");
    let (_, html) = page(&cy, &app.url(&format!("/listings/{listing}"))).await;
    assert!(!html.contains("Patient, a bit slow."));
    assert!(html.contains("no reviews yet"));
}
