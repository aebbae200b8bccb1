//! `/metrics`: off without a token, closed to anyone without it, and once open, counting
//! requests by route template and reporting jobs and ledger totals as they are.

use crate::common::*;

const TOKEN: &str = "scrape-me-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String, String) {
    let mut request = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// The value of the series whose line starts with `series` (name and labels).
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = spawn_app().await;
    let (status, _, body) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 404);
    assert!(body.contains("set metrics_token"), "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_report_jobs_and_the_ledger() {
    let app = spawn_app_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    for token in [None, Some("scrape-me-wrong-token")] {
        let (status, _, body) = scrape(&app, token).await;
        assert_eq!(status, 401, "{body}");
        assert!(!body.contains("onhand_"), "{body}");
    }

    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let listing = app.live_listing(&gus, &op, "Guitar basics").await;
    for _ in 0..3 {
        let (status, _) = app
            .get_json(&format!("/api/v1/listings/{listing}"), None)
            .await;
        assert_eq!(status, 200);
    }
    let (status, _) = app.get_json("/api/v1/listings/999999", None).await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/no/such/page", None).await;
    assert_eq!(status, 404);
    let bea = app.user("bea@example.com", "Bea").await;
    let wallet = app.wallet(&bea).await;

    let (status, kind, body) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    // Requests by template: the three good reads and the missing one are apart, and no
    // series names a raw id.
    let route = "route=\"/api/v1/listings/{id}\"";
    assert_eq!(
        value(
            &body,
            &format!("onhand_http_requests_total{{method=\"GET\",{route},status=\"200\"}}")
        ),
        Some(3.0),
        "{body}"
    );
    assert_eq!(
        value(
            &body,
            &format!("onhand_http_requests_total{{method=\"GET\",{route},status=\"404\"}}")
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(
            &body,
            "onhand_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ),
        Some(1.0),
        "{body}"
    );
    assert!(!body.contains(&format!("/listings/{listing}")), "{body}");
    assert_eq!(
        value(
            &body,
            &format!("onhand_http_request_duration_seconds_count{{method=\"GET\",{route}}}")
        ),
        Some(4.0),
        "{body}"
    );
    // Nobody spent anything: every top-up sits in a wallet, Bea's and Gus's among them.
    let wallets = value(
        &body,
        "onhand_ledger_minor{total=\"wallets\",currency=\"USD\"}",
    );
    let clearing = value(
        &body,
        "onhand_ledger_minor{total=\"clearing\",currency=\"USD\"}",
    );
    assert_eq!(wallets, clearing, "{body}");
    let gus_wallet = app.wallet(&gus).await;
    let topped_up = [&wallet, &gus_wallet]
        .iter()
        .map(|w| w["wallet"]["balance_minor"].as_i64().unwrap())
        .sum::<i64>();
    assert!(topped_up > 0, "{wallet}");
    assert_eq!(wallets, Some(topped_up as f64), "{body}");
    // Jobs: the approvals' notifications went through the queue.
    let jobs: f64 = ["pending", "running", "done", "failed", "cancelled"]
        .iter()
        .map(|s| value(&body, &format!("onhand_jobs{{state=\"{s}\"}}")).unwrap())
        .sum();
    assert!(jobs >= 1.0, "{body}");
    assert_eq!(value(&body, "onhand_rooms_open"), Some(0.0), "{body}");
    assert_eq!(
        value(&body, "onhand_room_participants"),
        Some(0.0),
        "{body}"
    );
}
