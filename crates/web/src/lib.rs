//! Onhand's HTTP surface: server-rendered pages, the JSON API under `/api/v1`, sessions.
//!
//! Architecture invariant: handlers parse input into `onhand_core` types, call the store,
//! and render. Business rules live in `core`; SQL lives in `store`; neither is written here.

mod actions;
pub mod api;
pub mod auth;
mod calendar;
pub mod cluster;
pub mod error;
pub mod gateway;
pub mod helpnow;
mod live;
pub mod mail;
mod metrics;
pub mod money;
pub mod notify;
pub mod pages;
mod reputation;
mod room;
mod schedule;
pub mod search;
mod state;
mod views;

pub use state::{AppState, Config};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use onhand_store::Store;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted anywhere, in bytes.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// How long one request may take before the server answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Every route of the application, with its middleware.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::router())
        .nest("/api/v1", api::router())
        .route("/api/openapi.json", axum::routing::get(api::openapi_json))
        .route("/ws", axum::routing::get(live::socket))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .route("/metrics", axum::routing::get(metrics::scrape))
        .fallback(error::fallback)
        .layer(axum::middleware::from_fn(auth::csrf_cookie))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "readiness check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

/// A bound, not yet serving, application. Tests and benches build the same thing `main` does.
pub struct Application {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    /// The background work (ticker, search, jobs); stopped when serving ends.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Binds `config.listen` (port 0 picks a free port) over an opened store.
    pub async fn build(config: Config, store: Store) -> std::io::Result<Application> {
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let (index, rebuild) = match &config.search_dir {
            Some(dir) => onhand_search::SearchIndex::open(dir).map_err(std::io::Error::other)?,
            None => (
                onhand_search::SearchIndex::in_memory().map_err(std::io::Error::other)?,
                true,
            ),
        };
        let mailer =
            std::sync::Arc::new(mail::Mailer::new(&config.mail).map_err(std::io::Error::other)?);
        let media = onhand_media::driver::MediaServer::start(
            config.media_listen,
            config.media_public,
            config.media_limits,
        )
        .await
        .map_err(std::io::Error::other)?;
        let state = AppState::new(config, store, search::Search::new(index), media);
        let tasks = vec![
            tokio::spawn(live::ticker(state.clone())),
            tokio::spawn(notify::run(state.clone(), mailer)),
            tokio::spawn(search::keep_in_step(state.clone(), rebuild)),
            tokio::spawn(cluster::send_queued(state.clone())),
            tokio::spawn(cluster::listen(state.clone())),
        ];
        Ok(Application {
            listener,
            router: router(state),
            local_addr,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and stops the
    /// background work. A job cut off mid-run is taken again when its lease passes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        for task in &self.tasks {
            task.abort();
        }
        served
    }
}
