//! Who is asking: passwords, sessions, API tokens, CSRF and sign-in throttling.
//!
//! Architecture invariant: only hashes of session and API tokens are stored; a database
//! leak yields no usable token. Cookies are HttpOnly and SameSite=Lax, Secure over https.
//! Every state-changing form carries a CSRF token that the handler checks.

use crate::error::Failure;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use onhand_store::{Account, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "onhand_session";
pub const CSRF_COOKIE: &str = "onhand_csrf";
/// Bytes of randomness in session, CSRF and API tokens (256 bits).
pub const TOKEN_BYTES: usize = 32;
/// API tokens start with this, so a leaked one is easy to recognize and scan for.
pub const API_TOKEN_PREFIX: &str = "onhand_";
/// A session's last-seen time is written at most this often.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Argon2id cost: OWASP's minimum (19 MiB, 2 passes, 1 lane).
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;

pub fn now() -> Timestamp {
    Timestamp::now()
}

pub fn random_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex of `bytes` (digests kept as text).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn argon2() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None)
        .expect("constant argon2 parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password with Argon2id off the async threads.
pub async fn hash_password(password: &str) -> Result<String, Failure> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        use argon2::PasswordHasher;
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
    .map_err(Failure::Internal)
}

/// Checks a password against a stored hash, off the async threads.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool, Failure> {
    let password = password.to_string();
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || {
        use argon2::PasswordVerifier;
        let Ok(parsed) = argon2::PasswordHash::new(&hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| Failure::Internal(anyhow::anyhow!("verify task failed: {e}")))
}

/// A hash to verify against when the email is unknown, so that answering "no such
/// account" takes as long as answering "wrong password".
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    use argon2::PasswordHasher;
    argon2()
        .hash_password(b"not a real password, only for timing")
        .expect("hashing a constant works")
        .to_string()
});

/// Signs in with email and password, applying the throttle. The error never says
/// whether the email exists.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: &str,
    ip: IpAddr,
) -> Result<Account, Failure> {
    let email_key = email.trim().to_lowercase();
    if let Err(wait) = state.throttle.check(&email_key, ip) {
        return Err(Failure::TooMany {
            retry_after_secs: wait.as_secs().max(1),
            message: format!(
                "too many failed sign-ins; try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            ),
        });
    }
    let found = match state.store.credentials(&email_key).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let ok = verify_password(password, &hash).await?;
    match found {
        Some((account, _)) if ok => {
            if account.is_suspended() {
                return Err(Failure::Forbidden(
                    "this account is suspended; contact the operator".into(),
                ));
            }
            state.throttle.succeed(&email_key);
            Ok(account)
        }
        _ => {
            state.throttle.fail(&email_key, ip);
            Err(Failure::Unauthorized(
                "the email or password is wrong".into(),
            ))
        }
    }
}

/// Starts a session for `account`; returns the Set-Cookie value.
pub async fn start_session(state: &AppState, account_id: i64) -> Result<HeaderValue, Failure> {
    let token = random_token();
    state
        .store
        .create_session(&hash_token(&token), account_id, &random_token(), now())
        .await?;
    Ok(session_cookie(
        state,
        &token,
        state.config.session_max.as_secs(),
    ))
}

fn session_cookie(state: &AppState, token: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
    .parse()
    .expect("a token of url-safe base64 makes a valid header")
}

pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    session_cookie(state, "", 0)
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The anonymous CSRF token minted by `csrf_cookie` for this request.
#[derive(Clone)]
struct FreshCsrf(String);

/// Gives every browser a CSRF cookie before it sees a form, and refuses cross-site
/// form posts by their Origin header (a second line behind the tokens).
pub async fn csrf_cookie(mut request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !is_api && !same_origin(request.headers()) {
        return crate::error::PageError(Failure::Forbidden(
            "this form was sent from another site".into(),
        ))
        .into_response();
    }
    let fresh = if is_api || cookie(request.headers(), CSRF_COOKIE).is_some() {
        None
    } else {
        let token = random_token();
        request.extensions_mut().insert(FreshCsrf(token.clone()));
        Some(token)
    };
    let mut response = next.run(request).await;
    if let Some(token) = fresh {
        let value = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
        response.headers_mut().append(
            header::SET_COOKIE,
            value.parse().expect("url-safe base64 makes a valid header"),
        );
    }
    response
}

/// False when an `Origin` header names another host than `Host`.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    origin_host == host
}

/// The person behind a page request: signed in or not, with the CSRF token their forms carry.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub account: Option<Account>,
    pub csrf: String,
    /// Unread notifications, for the bell.
    pub unread: i64,
    session_hash: Option<[u8; 32]>,
}

impl Viewer {
    pub fn require(&self) -> Result<&Account, Failure> {
        self.account
            .as_ref()
            .ok_or_else(|| Failure::Unauthorized("sign in first".into()))
    }

    pub fn require_operator(&self) -> Result<&Account, Failure> {
        let account = self.require()?;
        if !account.is_operator {
            return Err(Failure::Forbidden("only operators may do this".into()));
        }
        Ok(account)
    }

    /// Refuses a form whose token is not this viewer's.
    pub fn check_csrf(&self, token: &str) -> Result<(), Failure> {
        use subtle_eq as eq;
        if !self.csrf.is_empty() && eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(Failure::Forbidden(
                "the form's security token is missing or stale; reload the page and try again"
                    .into(),
            ))
        }
    }

    pub fn session_hash(&self) -> Option<&[u8]> {
        self.session_hash.as_ref().map(|h| h.as_slice())
    }
}

/// Compares in time independent of where the inputs differ.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an offered secret (a token) is the configured one, in constant time.
pub(crate) fn same_secret(offered: &[u8], expected: &[u8]) -> bool {
    subtle_eq(offered, expected)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = crate::error::PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let anonymous_csrf = parts
            .extensions
            .get::<FreshCsrf>()
            .map(|f| f.0.clone())
            .or_else(|| cookie(&parts.headers, CSRF_COOKIE).map(str::to_string))
            .unwrap_or_default();
        let anonymous = Viewer {
            account: None,
            unread: 0,
            csrf: anonymous_csrf,
            session_hash: None,
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(anonymous);
        };
        let hash = hash_token(token);
        let session = match state.store.session(&hash).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Ok(anonymous),
            Err(e) => return Err(Failure::from(e).into()),
        };
        let now = now();
        let idle = now.duration_since(session.last_seen_at).unsigned_abs();
        let age = now.duration_since(session.created_at).unsigned_abs();
        if idle > state.config.session_idle
            || age > state.config.session_max
            || session.account.is_suspended()
        {
            state
                .store
                .delete_session(&hash)
                .await
                .map_err(Failure::from)?;
            return Ok(anonymous);
        }
        if idle > TOUCH_EVERY {
            state
                .store
                .touch_session(&hash, now)
                .await
                .map_err(Failure::from)?;
        }
        let unread = state
            .store
            .unread_count(session.account.id)
            .await
            .map_err(Failure::from)?;
        Ok(Viewer {
            unread,
            account: Some(session.account),
            csrf: session.csrf_token,
            session_hash: Some(hash),
        })
    }
}

/// The client's address, as the socket saw it.
pub fn client_ip(parts_extensions: &axum::http::Extensions) -> IpAddr {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// The client address as an extractor.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}

/// The account behind an API request's bearer token.
pub struct ApiCaller(pub Account);

/// An API caller when a token was given, nobody otherwise.
pub struct MaybeApiCaller(pub Option<Account>);

async fn bearer_account(parts: &Parts, state: &AppState) -> Result<Option<Account>, Failure> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(API_TOKEN_PREFIX))
        .ok_or_else(|| {
            Failure::Unauthorized(format!(
                "the Authorization header must be \"Bearer {API_TOKEN_PREFIX}...\""
            ))
        })?;
    match state
        .store
        .account_by_api_token(&hash_token(token), now())
        .await
    {
        Ok(account) if account.is_suspended() => {
            Err(Failure::Forbidden("this account is suspended".into()))
        }
        Ok(account) => Ok(Some(account)),
        Err(StoreError::NotFound) => Err(Failure::Unauthorized(
            "the API token is unknown or revoked".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer_account(parts, state).await? {
            Some(a) => Ok(ApiCaller(a)),
            None => Err(Failure::Unauthorized(
                "this needs an API token: send \"Authorization: Bearer <token>\"".into(),
            )
            .into()),
        }
    }
}

impl FromRequestParts<AppState> for MaybeApiCaller {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeApiCaller(bearer_account(parts, state).await?))
    }
}

impl ApiCaller {
    pub fn require_operator(&self) -> Result<&Account, Failure> {
        if self.0.is_operator {
            Ok(&self.0)
        } else {
            Err(Failure::Forbidden("only operators may do this".into()))
        }
    }
}

/// Counts failed sign-ins per account and per client address in a sliding window.
/// In memory: a restart forgets, which only ever helps a legitimate user.
pub struct Throttle {
    per_account: u32,
    per_ip: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Keys kept before expired entries are swept, bounding memory under a flood.
const THROTTLE_KEYS_MAX: usize = 100_000;

impl Throttle {
    pub fn new(per_account: u32, per_ip: u32, window: Duration) -> Throttle {
        Throttle {
            per_account,
            per_ip,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when either the account or the address has failed too often.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self
            .failures
            .lock()
            .expect("throttle lock is never poisoned");
        let mut wait = Duration::ZERO;
        for (key, limit) in [
            (format!("a:{email}"), self.per_account),
            (format!("i:{ip}"), self.per_ip),
        ] {
            if let Some(times) = map.get(&key) {
                let recent: Vec<_> = times
                    .iter()
                    .filter(|t| now.duration_since(**t) < self.window)
                    .collect();
                if recent.len() >= limit as usize {
                    let oldest = recent.iter().min().expect("non-empty");
                    wait = wait.max(self.window.saturating_sub(now.duration_since(**oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    pub fn fail(&self, email: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self
            .failures
            .lock()
            .expect("throttle lock is never poisoned");
        if map.len() >= THROTTLE_KEYS_MAX {
            let window = self.window;
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
        for key in [format!("a:{email}"), format!("i:{ip}")] {
            let times = map.entry(key).or_default();
            times.retain(|t| now.duration_since(*t) < self.window);
            times.push(now);
        }
    }

    pub fn succeed(&self, email: &str) {
        let mut map = self
            .failures
            .lock()
            .expect("throttle lock is never poisoned");
        map.remove(&format!("a:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_per_account_and_per_ip() {
        let t = Throttle::new(2, 3, Duration::from_secs(60));
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(t.check("a@x.com", ip).is_ok());
        t.fail("a@x.com", ip);
        t.fail("a@x.com", ip);
        assert!(t.check("a@x.com", ip).is_err());
        assert!(t.check("b@x.com", IpAddr::from([10, 0, 0, 2])).is_ok());
        t.fail("b@x.com", ip);
        assert!(t.check("c@x.com", ip).is_err(), "the address hit its limit");
        t.succeed("a@x.com");
        assert!(t.check("a@x.com", IpAddr::from([10, 0, 0, 3])).is_ok());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert!(a.len() >= 43);
        assert_ne!(a, random_token());
        assert!(
            subtle_eq(b"abc", b"abc") && !subtle_eq(b"abc", b"abd") && !subtle_eq(b"ab", b"abc")
        );
    }
}
