//! The application state every handler receives, and its configuration.

use crate::auth::Throttle;
use onhand_core::money::Currency;
use onhand_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What the web layer needs to know; built by the binary from flags, env and file.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Marks cookies `Secure`; set when Onhand is served over https.
    pub secure_cookies: bool,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_max: Duration,
    /// The platform currency every new listing is priced in.
    pub currency: Currency,
    /// Failed sign-ins allowed per account, and per client address, in `signin_window`.
    pub signin_failures_per_account: u32,
    pub signin_failures_per_ip: u32,
    pub signin_window: Duration,
    /// How long a help-now request rings before it expires.
    pub help_now_ring: Duration,
    /// The platform's commission on paid sessions, in basis points (2000 = 20 %).
    pub commission_bps: u32,
    /// The smallest payout, in minor units of `currency`.
    pub payout_minimum_minor: i64,
    /// Where the search index lives; `None` keeps it in memory (tests).
    pub search_dir: Option<std::path::PathBuf>,
    /// How people reach this installation, for links in emails and calendar files
    /// ("https://help.example.com", no trailing slash).
    pub public_url: String,
    /// How browsers reach this node itself, behind or beside the load balancer: a room
    /// this node hosts sends every participant here. One node: the public URL.
    pub node_url: String,
    /// Where email goes: an SMTP server, or the outbox folder.
    pub mail: crate::mail::MailConfig,
    /// The media server's UDP address (port 0 picks one), and the address browsers are
    /// told to reach it at when that differs (behind NAT).
    pub media_listen: std::net::SocketAddr,
    pub media_public: Option<std::net::SocketAddr>,
    pub media_limits: onhand_media::Limits,
    /// An external TURN server (coturn) for participants behind strict firewalls: its
    /// URLs and the shared secret of its REST API (`use-auth-secret`).
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    /// How often sessions nobody began are checked for no-shows.
    pub no_show_every: std::time::Duration,
    /// The bearer token `/metrics` asks for; without one, `/metrics` is off.
    pub metrics_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            session_idle: Duration::from_secs(3 * 24 * 3600),
            session_max: Duration::from_secs(30 * 24 * 3600),
            currency: Currency::usd(),
            signin_failures_per_account: 5,
            signin_failures_per_ip: 50,
            signin_window: Duration::from_secs(15 * 60),
            help_now_ring: Duration::from_secs(60),
            commission_bps: onhand_core::payments::DEFAULT_COMMISSION_BPS,
            payout_minimum_minor: onhand_core::payments::DEFAULT_PAYOUT_MINIMUM_MINOR,
            search_dir: None,
            public_url: "http://127.0.0.1:8080".into(),
            node_url: "http://127.0.0.1:8080".into(),
            mail: crate::mail::MailConfig::default(),
            media_listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8081)),
            media_public: None,
            media_limits: onhand_media::Limits::default(),
            turn_urls: Vec::new(),
            turn_secret: None,
            no_show_every: std::time::Duration::from_secs(30),
            metrics_token: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub throttle: Arc<Throttle>,
    pub help_now: Arc<crate::helpnow::HelpNow>,
    pub gateway: Arc<dyn crate::gateway::Gateway>,
    pub search: Arc<crate::search::Search>,
    /// Names this process in idempotency claims, so claims a dead process left behind
    /// can be taken over.
    pub instance: Arc<str>,
    /// Wakes the job runner when a job is added.
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// The media server, and who is in which session room.
    pub media: onhand_media::driver::MediaServer,
    pub rooms: Arc<crate::room::Rooms>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// This node's queue of events and touches for every node (`cluster`).
    pub cluster: Arc<crate::cluster::Cluster>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        search: crate::search::Search,
        media: onhand_media::driver::MediaServer,
    ) -> AppState {
        let throttle = Throttle::new(
            config.signin_failures_per_account,
            config.signin_failures_per_ip,
            config.signin_window,
        );
        AppState {
            store,
            help_now: Arc::new(crate::helpnow::HelpNow::new(config.help_now_ring)),
            config: Arc::new(config),
            throttle: Arc::new(throttle),
            gateway: Arc::new(crate::gateway::Sandbox::default()),
            search: Arc::new(search),
            instance: crate::auth::random_token().into(),
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            media,
            rooms: Arc::new(crate::room::Rooms::default()),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            cluster: Arc::new(crate::cluster::Cluster::default()),
        }
    }
}
