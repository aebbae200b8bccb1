//! Search over the API: typos, facets and filters, freshness after catalog changes, and
//! refusals of bad parameters.

use crate::common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Polls a search until `done` holds, at most a second (the freshness promise).
async fn within_a_second(app: &TestApp, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = app.get_json(&format!("/api/v1/search?{query}"), None).await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not within a second: {query} -> {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn approved_listings_are_findable_within_a_second_and_leave_when_hidden() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let mut body = listing();
    body["title"] = json!("Sourdough starter rescue");
    body["category"] = json!("cooking");
    body["subcategory"] = json!("baking");
    body["submit"] = json!(true);
    let (_, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
    let id = created["id"].as_i64().unwrap();
    let (_, found) = app.get_json("/api/v1/search?q=sourdough", None).await;
    assert_eq!(found["total"], 0, "not public before approval");

    app.post_json(
        &format!("/api/v1/admin/listings/{id}/approve"),
        Some(&op),
        json!({}),
    )
    .await;
    let found = within_a_second(&app, "q=sourdogh", |b| b["total"] == 1).await;
    assert_eq!(
        titles(&found),
        ["Sourdough starter rescue"],
        "a typo still finds it"
    );

    app.post_json(
        &format!("/api/v1/listings/{id}/pause"),
        Some(&gus),
        json!({}),
    )
    .await;
    within_a_second(&app, "q=sourdough", |b| b["total"] == 0).await;
    app.post_json(
        &format!("/api/v1/listings/{id}/unpause"),
        Some(&gus),
        json!({}),
    )
    .await;
    within_a_second(&app, "q=sourdough", |b| b["total"] == 1).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/accounts/{gus_id}/suspend"),
            Some(&op),
            json!({"reason": "Testing suspension removes listings."}),
        )
        .await;
    assert_eq!(status, 204);
    within_a_second(&app, "q=sourdough", |b| b["total"] == 0).await;
}

#[tokio::test]
async fn filters_facets_sorts_and_suggestions() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let guitar = app
        .live_listing(&gus, &op, "Guitar chords for beginners")
        .await;
    let mut body = listing();
    body["title"] = json!("Conversación de guitarra en español");
    body["languages"] = json!(["es"]);
    body["price_model"] = json!("free");
    body.as_object_mut().unwrap().remove("price_minor");
    body["submit"] = json!(true);
    let (_, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
    let spanish = created["id"].as_i64().unwrap();
    app.post_json(
        &format!("/api/v1/admin/listings/{spanish}/approve"),
        Some(&op),
        json!({}),
    )
    .await;
    let all = within_a_second(&app, "q=guitar", |b| b["total"] == 2).await;
    assert_eq!(
        all["facets"]["categories"][0],
        json!({"value": "art-music", "count": 2})
    );
    let languages = all["facets"]["languages"].as_array().unwrap();
    assert!(
        languages.contains(&json!({"value": "es", "count": 1})),
        "{all}"
    );
    assert!(
        all["facets"]["price_models"]
            .as_array()
            .unwrap()
            .contains(&json!({"value": "free", "count": 1}))
    );

    let (_, es) = app
        .get_json("/api/v1/search?q=guitar&language=es", None)
        .await;
    assert_eq!(es["items"][0]["id"], spanish);
    let (_, free) = app.get_json("/api/v1/search?free=1", None).await;
    assert_eq!(free["total"], 1);
    let (_, cheap) = app.get_json("/api/v1/search?max_price=20", None).await;
    assert_eq!(cheap["total"], 1, "only the free one costs at most $20");
    let (_, priciest) = app.get_json("/api/v1/search?sort=price_high", None).await;
    assert_eq!(priciest["items"][0]["id"], guitar);
    let (_, none_online) = app.get_json("/api/v1/search?now=1", None).await;
    assert_eq!(none_online["total"], 0, "nobody is online");
    let (_, soon) = app.get_json("/api/v1/search?within_days=14", None).await;
    assert_eq!(soon["total"], 2, "the default hours have free slots");
    let (_, paged) = app.get_json("/api/v1/search?per_page=1&page=2", None).await;
    assert_eq!(
        (
            paged["items"].as_array().unwrap().len(),
            paged["page"].as_u64()
        ),
        (1, Some(2))
    );

    let (status, s) = app.get_json("/api/v1/search/suggest?q=guit", None).await;
    assert_eq!(status, 200);
    assert_eq!(s["items"].as_array().unwrap().len(), 2, "{s}");
    let (_, s) = app
        .get_json("/api/v1/search/suggest?q=conversac", None)
        .await;
    assert_eq!(s["items"][0], "Conversación de guitarra en español");
}

#[tokio::test]
async fn bad_search_parameters_are_named() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json(
            "/api/v1/search?category=astrology&language=xx&sort=random&per_page=500&min_rating=9&within_days=30&format=big&now=maybe",
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "category",
        "language",
        "sort",
        "per_page",
        "min_rating",
        "within_days",
        "format",
        "now",
    ] {
        assert!(fields.contains(&f), "{f} is named: {body}");
    }
    let (status, _) = app.get_json("/api/v1/search?sub=guitar", None).await;
    assert_eq!(status, 422, "a subcategory needs its category");
    let (status, _) = app.get_json("/api/v1/search?colour=blue", None).await;
    assert_eq!(status, 400, "unknown parameters are refused");
    let (status, body) = app
        .get_json(&format!("/api/v1/search?q={}", "a".repeat(300)), None)
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.get_json("/search?category=astrology", None).await;
    assert_eq!(status, 422, "the page names it too");
}
