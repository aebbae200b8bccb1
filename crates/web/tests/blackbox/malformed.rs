//! A table of malformed requests: each gets a 4xx that names the problem, never a 5xx,
//! and none of them writes anything.

use crate::common::*;
use serde_json::json;

struct Case {
    method: &'static str,
    path: String,
    token: Option<String>,
    content_type: &'static str,
    body: String,
}

fn case(
    method: &'static str,
    path: &str,
    token: Option<&str>,
    content_type: &'static str,
    body: impl Into<String>,
) -> Case {
    Case {
        method,
        path: path.to_string(),
        token: token.map(str::to_string),
        content_type,
        body: body.into(),
    }
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn listing_with(key: &str, value: serde_json::Value) -> String {
    let mut l = listing();
    l[key] = value;
    l.to_string()
}

fn signup_with(key: &str, value: serde_json::Value) -> String {
    let mut s = json!({"email": "new@example.com", "password": PASSWORD, "display_name": "New"});
    s[key] = value;
    s.to_string()
}

#[tokio::test]
async fn malformed_requests_get_a_4xx_and_write_nothing() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let buyer = app.user("bea@example.com", "Bea").await;
    let listing_id = app
        .live_listing(&gus, &op, "Guitar chords for beginners")
        .await;
    let (op, gus, buyer) = (Some(op.as_str()), Some(gus.as_str()), Some(buyer.as_str()));

    let cases = vec![
        case("POST", "/api/v1/auth/signup", None, "text/plain", "x"),
        case("POST", "/api/v1/auth/signup", None, JSON, "{"),
        case("POST", "/api/v1/auth/signup", None, JSON, "[1, 2]"),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            r#"{"email": "a@b.co", "display_name": "A"}"#,
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("password", json!(12345678901_u64)),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("is_operator", json!(true)),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("email", json!("nope")),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("password", json!("short")),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("display_name", json!("x".repeat(500))),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("display_name", json!("nul\u{0}byte")),
        ),
        case(
            "POST",
            "/api/v1/auth/signup",
            None,
            JSON,
            signup_with("display_name", json!("y".repeat(70_000))),
        ),
        case(
            "POST",
            "/api/v1/auth/token",
            None,
            JSON,
            json!({"email": "gus@example.com", "password": "wrong password"}).to_string(),
        ),
        case(
            "POST",
            "/api/v1/auth/token",
            None,
            JSON,
            json!({"email": "nobody@example.com", "password": PASSWORD}).to_string(),
        ),
        case("GET", "/api/v1/me", None, JSON, ""),
        case("GET", "/api/v1/me", Some("Basic abc"), JSON, ""),
        case(
            "POST",
            "/api/v1/listings",
            buyer,
            JSON,
            listing().to_string(),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("price_model", json!("barter")),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("price_minor", json!(-500)),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("session_minutes", json!(-5)),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("group_size", json!(0)),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("category", json!("astrology")),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("title", json!("Call me: 555 123 4567")),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("languages", json!(["klingon"])),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("intro_video_url", json!("javascript:alert(1)")),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with(
                "tags",
                json!(["a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "i9"]),
            ),
        ),
        case(
            "POST",
            "/api/v1/listings",
            gus,
            JSON,
            listing_with("organization", json!("no-such-org")),
        ),
        case(
            "PATCH",
            "/api/v1/listings/abc",
            gus,
            JSON,
            listing().to_string(),
        ),
        case(
            "PATCH",
            "/api/v1/listings/999999",
            gus,
            JSON,
            listing().to_string(),
        ),
        case(
            "PATCH",
            &format!("/api/v1/listings/{listing_id}"),
            buyer,
            JSON,
            listing().to_string(),
        ),
        case("POST", "/api/v1/listings/-1/submit", gus, JSON, ""),
        case("GET", "/api/v1/listings?page=0", None, JSON, ""),
        case("GET", "/api/v1/listings?per_page=abc", None, JSON, ""),
        case("GET", "/api/v1/listings?category=nope", None, JSON, ""),
        case("GET", "/api/v1/listings?sort=random", None, JSON, ""),
        case("GET", "/api/v1/listings?unknown=1", None, JSON, ""),
        case("POST", "/api/v1/admin/providers/1/approve", gus, JSON, ""),
        case(
            "POST",
            "/api/v1/admin/accounts/999/suspend",
            op,
            JSON,
            json!({"reason": "No such account here."}).to_string(),
        ),
        case(
            "POST",
            "/api/v1/organizations",
            gus,
            JSON,
            json!({"name": "!!!", "description": "Symbols only name."}).to_string(),
        ),
        case("PUT", "/api/v1/me/provider", buyer, JSON, {
            let mut a = application();
            a["country"] = json!("Narnia");
            a.to_string()
        }),
        case(
            "POST",
            "/api/v1/me/tokens",
            buyer,
            JSON,
            json!({"name": ""}).to_string(),
        ),
        case("POST", "/api/v1/wallet/topups", buyer, JSON, "{\"amount_minor\": \"lots\"}"),
        case(
            "POST",
            "/api/v1/wallet/topups",
            buyer,
            JSON,
            json!({"amount_minor": 500, "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}).to_string(),
        ),
        case("POST", "/api/v1/wallet/topups", None, JSON, "{}"),
        case("POST", "/api/v1/payouts", buyer, JSON, json!({"amount_minor": -5}).to_string()),
        case(
            "POST",
            "/api/v1/bookings",
            buyer,
            JSON,
            json!({"listing_id": listing_id, "start": "2030-01-01T10:00:00Z"}).to_string(),
        ),
        case(
            "POST",
            "/api/v1/bookings/abc/refund-requests",
            buyer,
            JSON,
            json!({"reason": "Nothing happened at all."}).to_string(),
        ),
        case("POST", "/api/v1/admin/disputes/1/decide", buyer, JSON, json!({"uphold": "yes"}).to_string()),
        case("GET", "/api/v1/bookings/999999/receipt", buyer, JSON, ""),
        case("GET", "/api/v1/wallet/history?per_page=1000", buyer, JSON, ""),
        case("GET", "/listings/abc/checkout?start=now", None, FORM, ""),
        case("GET", "/api/v1/nope", None, JSON, ""),
        case("DELETE", "/api/v1/listings", gus, JSON, ""),
        case(
            "POST",
            "/signup",
            None,
            FORM,
            format!("display_name=M&email=m%40example.com&password={PASSWORD}"),
        ),
        case(
            "POST",
            "/signin",
            None,
            JSON,
            json!({"email": "gus@example.com"}).to_string(),
        ),
        case("GET", "/c/astrology", None, FORM, ""),
        case("GET", "/c/art-music?page=abc", None, FORM, ""),
        case("GET", "/c/art-music?sort=cheapest", None, FORM, ""),
        case("GET", "/listings/abc", None, FORM, ""),
        case("GET", "/providers/999999", None, FORM, ""),
        // Reputation.
        case("POST", "/api/v1/bookings/1/review", buyer, JSON, r#"{"stars": "five"}"#),
        case("POST", "/api/v1/bookings/1/review", buyer, JSON, r#"{"stars": 5, "extra": 1}"#),
        case("POST", "/api/v1/bookings/abc/review", buyer, JSON, r#"{"stars": 5}"#),
        case("POST", "/api/v1/bookings/999999/review", buyer, JSON, r#"{"stars": 5}"#),
        case("PATCH", "/api/v1/bookings/999999/review", buyer, JSON, r#"{"stars": 5}"#),
        case("POST", "/api/v1/reviews/999999/reply", gus, JSON, r#"{"body": "thanks"}"#),
        case("POST", "/api/v1/reviews/0/helpful", buyer, JSON, "{}"),
        case("POST", "/api/v1/reviews/999999/helpful", buyer, JSON, "{}"),
        case("POST", "/api/v1/bookings/999999/buyer-rating", gus, JSON, r#"{"stars": 3}"#),
        case("PUT", "/api/v1/me/blocks/999999", gus, JSON, ""),
        case("PUT", "/api/v1/me/blocks/-1", gus, JSON, ""),
        case("DELETE", "/api/v1/me/blocks/999999", gus, JSON, ""),
        case("POST", "/api/v1/reports", buyer, JSON, r#"{"target": "listing", "target_id": "x", "reason": "spam"}"#),
        case("POST", "/api/v1/reports", buyer, JSON, r#"{"target": "chat", "target_id": 1, "reason": "x"}"#),
        case("POST", "/api/v1/reports", None, JSON, r#"{"target": "listing", "target_id": 1, "reason": "spam"}"#),
        case("GET", "/api/v1/admin/reports?status=closed", op, JSON, ""),
        case("GET", "/api/v1/admin/reports?page=0", op, JSON, ""),
        case("POST", "/api/v1/admin/reports/999999/hide", op, JSON, r#"{"reason": "because"}"#),
        case("POST", "/api/v1/admin/reports/1/ban", op, JSON, r#"{"reason": "because"}"#),
        case("POST", "/api/v1/admin/reports/1/hide", buyer, JSON, r#"{"reason": "because"}"#),
        case("POST", "/api/v1/admin/listings/999999/restore", op, JSON, r#"{"reason": "because"}"#),
        case("GET", "/api/v1/admin/audit?per_page=1000", op, JSON, ""),
        case("GET", "/api/v1/listings/999999/reviews", None, JSON, ""),
        case("GET", "/api/v1/providers/999999/reputation", None, JSON, ""),
        case("GET", "/api/v1/organizations/nope/reviews", None, JSON, ""),
        // Notifications.
        case("POST", "/api/v1/notifications/999999/read", buyer, JSON, "{}"),
        case("POST", "/api/v1/notifications/x/read", buyer, JSON, "{}"),
        case("GET", "/api/v1/notifications?per_page=0", buyer, JSON, ""),
        case("PUT", "/api/v1/me/email-preferences", buyer, JSON, r#"[{"kind": "all", "email": false}]"#),
        case("PUT", "/api/v1/me/email-preferences", buyer, JSON, r#"{"kind": "booking"}"#),
        case("PUT", "/api/v1/me/email-preferences", buyer, JSON, r#"[{"kind": "booking", "email": "no"}]"#),
        case("GET", "/api/v1/admin/jobs?state=stuck", op, JSON, ""),
        case("GET", "/api/v1/admin/jobs", buyer, JSON, ""),
        case("POST", "/api/v1/admin/jobs/999999/retry", op, JSON, "{}"),
        case("POST", "/unsubscribe/nope?kind=booking", None, FORM, ""),
        case("POST", "/unsubscribe/nope?kind=nothing", None, FORM, ""),
    ];
    assert!(cases.len() >= 30);

    let before = app.counts().await;
    for c in &cases {
        let mut req = app
            .api
            .request(c.method.parse().unwrap(), app.url(&c.path))
            .header("content-type", c.content_type)
            .body(c.body.clone());
        if let Some(t) = &c.token {
            req = if t.starts_with("Basic") {
                req.header("authorization", t)
            } else {
                req.bearer_auth(t)
            };
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let is_api = c.path.starts_with("/api/");
        let text = res.text().await.unwrap();
        assert!(
            (400..500).contains(&status),
            "{} {} answered {status}: {text}",
            c.method,
            c.path
        );
        if is_api && status != 405 {
            let body: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{} {}: not JSON: {text}", c.method, c.path));
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(
                !message.is_empty(),
                "{} {}: the error names the problem: {text}",
                c.method,
                c.path
            );
        }
    }
    assert_eq!(
        app.counts().await,
        before,
        "no malformed request wrote anything"
    );
}
