//! `/metrics` in the OpenMetrics text format Prometheus scrapes: every request counted and
//! timed by route template (never by raw path, so ids don't multiply the series), and, read
//! at scrape time, open rooms and their participants, jobs by state and ledger totals.
//!
//! The endpoint is off unless an operator sets `metrics_token`; Prometheus then sends it as
//! a bearer token (`authorization: {credentials: ...}` in its scrape config). Ledger totals
//! are the business's numbers, not for the public.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LedgerLabels {
    total: String,
    currency: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s, doubling.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The process's metrics. Request series grow with routes × methods × statuses only.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    rooms: Gauge,
    participants: Gauge,
    jobs: Family<StateLabels, Gauge>,
    ledger: Family<LedgerLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("onhand");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        let rooms = Gauge::default();
        registry.register(
            "rooms_open",
            "Session rooms with someone in them",
            rooms.clone(),
        );
        let participants = Gauge::default();
        registry.register(
            "room_participants",
            "People in session rooms",
            participants.clone(),
        );
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register("jobs", "Jobs in the queue, by state", jobs.clone());
        let ledger = Family::<LedgerLabels, Gauge>::default();
        registry.register(
            "ledger_minor",
            "Ledger totals in minor units of the currency: volume (posted booking payments), \
             revenue, wallets, earnings, open holds, refunded, gateway clearing",
            ledger.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rooms,
            participants,
            jobs,
            ledger,
        }
    }
}

/// Counts and times every request (the route is its template, "unmatched" otherwise).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`, for a scraper holding the configured token.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off; set metrics_token (--metrics-token) to turn them on\n",
        )
            .into_response();
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !offered.is_some_and(|o| crate::auth::same_secret(o.as_bytes(), token.as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token set as metrics_token\n",
        )
            .into_response();
    }
    let metrics = &state.metrics;
    let (rooms, participants) = state.rooms.counts();
    metrics.rooms.set(rooms as i64);
    metrics.participants.set(participants as i64);
    let now = crate::auth::now();
    let read = async {
        let jobs = state.store.job_counts().await?;
        let finance = state.store.finance(state.config.currency.code, now).await?;
        Ok::<_, onhand_store::StoreError>((jobs, finance))
    };
    let (jobs, finance) = match read.await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = ?e, "metrics could not read the database");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    };
    for (name, n) in [
        ("pending", jobs.pending),
        ("running", jobs.running),
        ("done", jobs.done),
        ("failed", jobs.failed),
        ("cancelled", jobs.cancelled),
    ] {
        metrics
            .jobs
            .get_or_create(&StateLabels { state: name.into() })
            .set(n);
    }
    for (name, minor) in [
        ("volume", finance.volume_minor),
        ("revenue", finance.revenue_minor),
        ("wallets", finance.wallets_minor),
        ("earnings", finance.earnings_minor),
        ("open_holds", finance.open_holds_minor),
        ("refunded", finance.refunded_minor),
        ("clearing", finance.clearing_minor),
    ] {
        metrics
            .ledger
            .get_or_create(&LedgerLabels {
                total: name.into(),
                currency: finance.currency.clone(),
            })
            .set(minor);
    }
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &metrics.registry) {
        tracing::error!(error = ?e, "metrics could not be encoded");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
