//! Starting an app for one test, and the clients and steps tests share.

use onhand_store::{NewAccount, Store};
use onhand_web::{Application, Config};
use serde_json::{Value, json};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";
/// What every test user's wallet starts with: 500.00.
pub const STARTING_WALLET_MINOR: i64 = 50_000;

/// A new idempotency key, unique in this test run.
pub fn fresh_key() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub api: reqwest::Client,
    _dir: std::sync::Arc<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("a temporary directory"));
    start(dir, tweak).await
}

async fn start(dir: std::sync::Arc<tempfile::TempDir>, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let store = Store::open_sqlite(dir.path())
        .await
        .expect("the store opens");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config.mail.outbox = dir.path().join("outbox");
    config.media_listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    let app = Application::build(config, store.clone())
        .await
        .expect("the app binds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        store,
        api: api_client(),
        _dir: dir,
        _stop: stop,
    }
}

impl TestApp {
    /// A server already running at `base` (an `onhand serve` process, say), with a
    /// handle on its database for the steps that go through the store. Used by the
    /// binary's multi-node test, which includes this file.
    #[allow(dead_code)]
    pub fn attach(base: String, store: Store) -> TestApp {
        TestApp {
            base,
            store,
            api: api_client(),
            _dir: std::sync::Arc::new(tempfile::tempdir().expect("a temporary directory")),
            _stop: tokio::sync::oneshot::channel().0,
        }
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The API client tests use: no cookies, no redirects followed.
fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// What it takes to start an app again on the same data after the first one is gone.
pub struct Restart(std::sync::Arc<tempfile::TempDir>);

impl Restart {
    pub async fn start(self) -> TestApp {
        start(self.0, |_| {}).await
    }
}

impl TestApp {
    /// Keeps the data folder so the app can be dropped (stopped) and started again.
    pub fn restart_later(&self) -> Restart {
        Restart(self._dir.clone())
    }

    /// Another app process on the same database, as after a restart.
    pub async fn restart(&self) -> TestApp {
        start(self._dir.clone(), |_| {}).await
    }

    /// The data folder (the database, the mail outbox).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// POSTs JSON with a fresh `Idempotency-Key`, as a well-behaved client does.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self
            .api
            .post(self.url(path))
            .header("Idempotency-Key", fresh_key())
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.api.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    /// Signs up over the API and returns a bearer token.
    pub async fn user(&self, email: &str, name: &str) -> String {
        let (status, body) = self
            .post_json("/api/v1/auth/signup", None, json!({"email": email, "password": PASSWORD, "display_name": name, "time_zone": "Europe/Paris"}))
            .await;
        assert_eq!(status, 201, "signup {email}: {body}");
        let token = self.token(email).await;
        self.fund(&token, STARTING_WALLET_MINOR).await;
        token
    }

    /// Tops up the wallet with the sandbox's good test card.
    pub async fn fund(&self, token: &str, amount_minor: i64) {
        let (status, body) = self
            .post_json(
                "/api/v1/wallet/topups",
                Some(token),
                json!({"amount_minor": amount_minor, "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
            )
            .await;
        assert_eq!(status, 201, "top-up: {body}");
    }

    /// The caller's wallet and earnings.
    pub async fn wallet(&self, token: &str) -> Value {
        let (status, body) = self.get_json("/api/v1/wallet", Some(token)).await;
        assert_eq!(status, 200, "wallet: {body}");
        body
    }

    /// The ledger's invariants, replayed from every transfer.
    pub async fn assert_ledger_sound(&self) {
        self.store
            .verify_ledger()
            .await
            .unwrap()
            .expect("the ledger is sound");
    }

    pub async fn token(&self, email: &str) -> String {
        let (status, body) = self
            .post_json(
                "/api/v1/auth/token",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 201, "token {email}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// An operator account, made the way `onhand admin create` makes one.
    pub async fn operator(&self, email: &str) -> String {
        let hash = onhand_web::auth::hash_password(PASSWORD).await.unwrap();
        self.store
            .create_account(
                &NewAccount {
                    email,
                    password_hash: &hash,
                    display_name: "Olivia Operator",
                    time_zone: "UTC",
                    languages: &[],
                    country: None,
                    is_operator: true,
                },
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        self.token(email).await
    }

    /// A new account that applied as a provider and was approved by `operator`.
    pub async fn provider(&self, email: &str, name: &str, operator: &str) -> (String, i64) {
        let token = self.user(email, name).await;
        let (status, body) = self
            .send(
                reqwest::Method::PUT,
                "/api/v1/me/provider",
                Some(&token),
                Some(application()),
            )
            .await;
        assert_eq!(status, 200, "apply: {body}");
        let id = body["account_id"].as_i64().unwrap();
        let (status, body) = self
            .post_json(
                &format!("/api/v1/admin/providers/{id}/approve"),
                Some(operator),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "approve: {body}");
        (token, id)
    }

    /// Creates a listing, submits it, and has `operator` approve it.
    pub async fn live_listing(&self, provider: &str, operator: &str, title: &str) -> i64 {
        let mut body = listing();
        body["title"] = json!(title);
        body["submit"] = json!(true);
        let (status, created) = self
            .post_json("/api/v1/listings", Some(provider), body)
            .await;
        assert_eq!(status, 201, "create listing: {created}");
        let id = created["id"].as_i64().unwrap();
        let (status, body) = self
            .post_json(
                &format!("/api/v1/admin/listings/{id}/approve"),
                Some(operator),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "approve listing: {body}");
        id
    }

    /// A buyer made straight in the store with a ready API token: for tests that need many.
    pub async fn quick_user(&self, email: &str) -> String {
        let account = self
            .store
            .create_account(
                &NewAccount {
                    email,
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash",
                    display_name: email,
                    time_zone: "UTC",
                    languages: &[],
                    country: None,
                    is_operator: false,
                },
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        self.store
            .record_top_up(
                account.id,
                STARTING_WALLET_MINOR,
                "USD",
                "sandbox",
                "4242",
                &onhand_store::ChargeOutcome::Succeeded {
                    gateway_ref: format!("test_{}", account.id),
                },
                None,
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        let token = format!("onhand_test_{}", account.id);
        self.store
            .create_api_token(
                account.id,
                "test",
                &onhand_web::auth::hash_token(&token),
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        token
    }

    pub async fn counts(&self) -> Vec<(String, i64)> {
        self.store.row_counts().await.unwrap()
    }
}

/// Every buyer asks for the same slot at once, through the apps in turn (several nodes,
/// say); the status codes they got.
pub async fn race(apps: &[&TestApp], buyers: &[String], listing: i64, start: &str) -> Vec<u16> {
    let mut tasks = Vec::new();
    for (i, token) in buyers.iter().enumerate() {
        let app = apps[i % apps.len()];
        let (client, url, token) = (app.api.clone(), app.url("/api/v1/bookings"), token.clone());
        let body = json!({"listing_id": listing, "start": start});
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", fresh_key())
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes
}

/// Exactly one racer got the slot (201) and every other was told it is gone (409).
pub fn assert_sold_once(codes: &[u16], start: &str) {
    let sold = codes.iter().filter(|c| **c == 201).count();
    let refused = codes.iter().filter(|c| **c == 409).count();
    assert_eq!((sold, refused), (1, codes.len() - 1), "{start}: {codes:?}");
}

/// A listing's open slots.
pub async fn slots(app: &TestApp, listing: i64, query: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots?{query}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["slots"].as_array().unwrap().clone()
}

pub fn application() -> Value {
    json!({
        "headline": "Guitar teacher for adult beginners",
        "bio": "I have taught guitar to adults for fifteen years, in person and online, from first chords to fingerstyle.",
        "languages": ["en", "fr"],
        "time_zone": "Europe/Paris",
        "country": "FR",
        "experience": "Fifteen years of teaching; conservatory diploma."
    })
}

pub fn listing() -> Value {
    json!({
        "title": "Your first three guitar chords",
        "description": "In thirty minutes you will play G, C and D cleanly and switch between them in time with a simple strumming pattern.",
        "category": "art-music",
        "subcategory": "guitar",
        "tags": ["guitar", "beginners"],
        "languages": ["en"],
        "price_model": "fixed",
        "price_minor": 2500,
        "session_minutes": 30,
        "group_size": 1,
        "cancellation_policy": "moderate"
    })
}

/// The value of the first `name="csrf"` hidden field in an HTML page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}
