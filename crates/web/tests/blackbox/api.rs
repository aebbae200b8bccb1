//! The JSON API: accounts, tokens, vetting, listings, organizations, suspension.

use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn signup_token_me_and_revocation() {
    let app = spawn_app().await;
    let token = app.user("ana@example.com", "Ana").await;
    let (status, me) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["time_zone"], "Europe/Paris");

    let (status, body) = app
        .post_json(
            "/api/v1/auth/signup",
            None,
            json!({"email": "ANA@example.com", "password": PASSWORD, "display_name": "Ana 2"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "email");

    let (status, body) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            json!({"email": "ana@example.com", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");

    let (_, tokens) = app.get_json("/api/v1/me/tokens", Some(&token)).await;
    let id = tokens[0]["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 401, "a revoked token no longer works");
    let (status, _) = app
        .get_json("/api/v1/me", Some("onhand_not-a-real-token"))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn provider_vetting_needs_an_operator_and_a_reason_to_reject() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let token = app.user("gus@example.com", "Gus").await;

    let mut bad = application();
    bad["headline"] = json!("Hi");
    bad["country"] = json!("XX");
    let (status, body) = app
        .send(Method::PUT, "/api/v1/me/provider", Some(&token), Some(bad))
        .await;
    assert_eq!(status, 422);
    let fields: Vec<_> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["headline", "country"]);

    let mut health = application();
    health["health"] = json!(true);
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/provider",
            Some(&token),
            Some(health),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "licence_number");

    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/provider",
            Some(&token),
            Some(application()),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("submitted")));
    let id = body["account_id"].as_i64().unwrap();

    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/providers/{id}/approve"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "only operators approve");
    let (_, queue) = app.get_json("/api/v1/admin/providers", Some(&op)).await;
    assert_eq!(queue["total"], 1);

    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/providers/{id}/reject"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "reason");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/providers/{id}/reject"),
            Some(&op),
            json!({"reason": "Please describe your teaching experience in more detail."}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, mine) = app.get_json("/api/v1/me/provider", Some(&token)).await;
    assert_eq!(mine["status"], "rejected");
    assert_eq!(
        mine["decision_reason"],
        "Please describe your teaching experience in more detail."
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/providers/{id}/approve"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "a decided application cannot be decided again");

    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/provider",
            Some(&token),
            Some(application()),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("submitted")),
        "reapplying goes back to the queue"
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/providers/{id}/approve"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("approved")));
}

#[tokio::test]
async fn listing_lifecycle_and_who_sees_what() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let buyer = app.user("bea@example.com", "Bea").await;
    let (status, _) = app
        .post_json("/api/v1/listings", Some(&buyer), listing())
        .await;
    assert_eq!(status, 403, "buyers cannot list before approval");

    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let (other, _) = app.provider("oda@example.com", "Oda", &op).await;
    let (status, created) = app
        .post_json("/api/v1/listings", Some(&gus), listing())
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["review_status"], "draft");
    let id = created["id"].as_i64().unwrap();

    // Unapproved listings are invisible to everyone but their owner and operators.
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), Some(&buyer))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), Some(&gus))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), Some(&op))
            .await
            .0,
        200
    );
    assert_eq!(app.get_json("/api/v1/listings", None).await.1["total"], 0);

    // Another provider cannot touch it.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/listings/{id}"),
            Some(&other),
            Some(listing()),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.post_json(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&other),
            json!({})
        )
        .await
        .0,
        404
    );

    let (status, body) = app
        .post_json(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["review_status"].as_str()),
        (200, Some("submitted"))
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&gus),
            json!({})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/admin/listings/{id}/approve"),
            Some(&gus),
            json!({})
        )
        .await
        .0,
        403
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/listings/{id}/approve"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["is_public"].as_bool()),
        (200, Some(true)),
        "{body}"
    );

    let (_, page) = app
        .get_json("/api/v1/listings?category=art-music", None)
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["title"], "Your first three guitar chords");
    assert_eq!(page["items"][0]["price"]["display"], "$25.00 per session");
    assert_eq!(page["items"][0]["provider_id"], gus_id);

    // An edit goes back to review while the approved version stays public.
    let mut edit = listing();
    edit["title"] = json!("Three guitar chords in thirty minutes");
    edit["submit"] = json!(true);
    let (status, body) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/listings/{id}"),
            Some(&gus),
            Some(edit),
        )
        .await;
    assert_eq!(
        (status, body["review_status"].as_str()),
        (200, Some("submitted")),
        "{body}"
    );
    let (_, public) = app.get_json(&format!("/api/v1/listings/{id}"), None).await;
    assert_eq!(public["title"], "Your first three guitar chords");
    app.post_json(
        &format!("/api/v1/admin/listings/{id}/approve"),
        Some(&op),
        json!({}),
    )
    .await;
    let (_, public) = app.get_json(&format!("/api/v1/listings/{id}"), None).await;
    assert_eq!(public["title"], "Three guitar chords in thirty minutes");

    // Pausing hides it; unpausing shows it again.
    assert_eq!(
        app.post_json(
            &format!("/api/v1/listings/{id}/pause"),
            Some(&gus),
            json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(app.get_json("/api/v1/listings", None).await.1["total"], 0);
    assert_eq!(
        app.post_json(
            &format!("/api/v1/listings/{id}/unpause"),
            Some(&gus),
            json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(app.get_json("/api/v1/listings", None).await.1["total"], 1);
}

#[tokio::test]
async fn listing_rules_are_enforced_with_named_fields() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;

    let mut contact = listing();
    contact["description"] = json!(
        "Lessons for all levels. Message me at gus dot guitar at gmail dot com and we can sort out a cheaper price."
    );
    let (status, body) = app.post_json("/api/v1/listings", Some(&gus), contact).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "description");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email address"),
        "{body}"
    );

    let mut bad = listing();
    bad["group_size"] = json!(13);
    bad["price_minor"] = json!(5);
    let (status, body) = app.post_json("/api/v1/listings", Some(&gus), bad).await;
    assert_eq!(status, 422);
    let messages: Vec<_> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages.contains(&"price_minor 5 is not in 100..=1000000".to_string()),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"group_size 13 is not in 1..=12".to_string()),
        "{messages:?}"
    );

    let mut health = listing();
    health["category"] = json!("health");
    health["subcategory"] = json!("counseling");
    let (status, body) = app.post_json("/api/v1/listings", Some(&gus), health).await;
    assert_eq!(status, 422, "health needs a licence: {body}");
    assert_eq!(body["error"]["fields"][0]["field"], "category");
}

#[tokio::test]
async fn suspended_accounts_lose_access_and_their_listings() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let id = app
        .live_listing(&gus, &op, "Fingerstyle basics for beginners")
        .await;
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), None)
            .await
            .0,
        200
    );

    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/accounts/{gus_id}/suspend"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "a reason is required: {body}");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/accounts/{gus_id}/suspend"),
            Some(&op),
            json!({"reason": "Asked buyers to pay outside Onhand."}),
        )
        .await;
    assert_eq!(status, 204);

    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(app.get_json("/api/v1/listings", None).await.1["total"], 0);
    assert_eq!(
        app.get_json(&format!("/api/v1/providers/{gus_id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json("/api/v1/me", Some(&gus)).await.0,
        403,
        "tokens stop working"
    );
    let (status, _) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            json!({"email": "gus@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 403, "a suspended account cannot sign in");

    assert_eq!(
        app.post_json(
            &format!("/api/v1/admin/accounts/{gus_id}/unsuspend"),
            Some(&op),
            json!({})
        )
        .await
        .0,
        204
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{id}"), None)
            .await
            .0,
        200,
        "lifting the suspension restores the listing"
    );
}

#[tokio::test]
async fn organizations_have_an_owner_and_member_providers() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (owner, _) = app.provider("marcus@example.com", "Marcus", &op).await;
    let (member, member_id) = app.provider("rosa@example.com", "Rosa", &op).await;
    let buyer = app.user("bea@example.com", "Bea").await;

    let (status, body) = app
        .post_json(
            "/api/v1/organizations",
            Some(&buyer),
            json!({"name": "Buyer Co", "description": "Not a provider, so no."}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, org) = app.post_json("/api/v1/organizations", Some(&owner), json!({"name": "FixIt Repair Co.", "description": "Laptop and phone repair over video."})).await;
    assert_eq!(status, 201, "{org}");
    assert_eq!(org["slug"], "fixit-repair-co");

    let (status, body) = app
        .post_json(
            "/api/v1/organizations/fixit-repair-co/members",
            Some(&owner),
            json!({"email": "bea@example.com"}),
        )
        .await;
    assert_eq!(status, 422, "only approved providers join: {body}");
    let (status, _) = app
        .post_json(
            "/api/v1/organizations/fixit-repair-co/members",
            Some(&member),
            json!({"email": "rosa@example.com"}),
        )
        .await;
    assert_eq!(status, 403, "only the owner adds members");
    let (status, body) = app
        .post_json(
            "/api/v1/organizations/fixit-repair-co/members",
            Some(&owner),
            json!({"email": "rosa@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 2);

    // The owner lists a service that the member delivers.
    let mut body = listing();
    body["category"] = json!("computers-electronics");
    body["subcategory"] = json!("laptop-repair");
    body["title"] = json!("Replace a noisy laptop fan");
    body["organization"] = json!("fixit-repair-co");
    body["delivered_by"] = json!(member_id);
    let (status, created) = app
        .post_json("/api/v1/listings", Some(&owner), body.clone())
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["provider_id"], member_id);
    assert_eq!(created["organization"], "fixit-repair-co");
    // The member may not name someone else.
    body["delivered_by"] = json!(created["provider_id"].as_i64().unwrap() - 1);
    assert_eq!(
        app.post_json("/api/v1/listings", Some(&member), body)
            .await
            .0,
        403
    );
    // Both the owner and the deliverer manage it.
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&member),
            json!({})
        )
        .await
        .0,
        200
    );
    let (_, public) = app
        .get_json("/api/v1/organizations/fixit-repair-co", None)
        .await;
    assert_eq!(public["name"], "FixIt Repair Co.");
}

#[tokio::test]
async fn lists_are_paged_with_a_maximum() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    for i in 0..3 {
        app.live_listing(&gus, &op, &format!("Guitar lesson number {i}"))
            .await;
    }
    let (status, page) = app
        .get_json("/api/v1/listings?per_page=2&sort=title", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"][0]["title"], "Guitar lesson number 0");
    let (_, page2) = app
        .get_json("/api/v1/listings?per_page=2&page=2&sort=title", None)
        .await;
    assert_eq!(page2["items"][0]["title"], "Guitar lesson number 2");
    let (status, body) = app.get_json("/api/v1/listings?per_page=1000", None).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"][0]["message"],
        "per_page 1000 is not in 1..=100"
    );
    let (_, search) = app.get_json("/api/v1/listings?q=number%201", None).await;
    assert_eq!(search["total"], 1);
}

#[tokio::test]
async fn health_checks_and_openapi() {
    let app = spawn_app().await;
    assert_eq!(
        app.api
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.api
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, doc) = app.get_json("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/token",
        "/api/v1/listings",
        "/api/v1/admin/providers/{id}/approve",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    let (_, cats) = app.get_json("/api/v1/categories", None).await;
    assert_eq!(cats.as_array().unwrap().len(), 8);
}
