//! Help now: who is online, requests that ring a provider, the line behind them, and the
//! live events (over each person's WebSocket) that tell everyone what happened.
//!
//! The lines and who is online live in the database (`onhand_store::helpnow`), so every
//! node sharing it sees the same ones; the store changes each request in one write
//! transaction, so it is accepted, expired or left exactly once however many nodes tick.
//! Events reach a person's sockets on whatever node they are connected to through
//! `cluster::push`. This module keeps only this node's sockets.

use crate::state::AppState;
use jiff::Timestamp;
use onhand_store::{AskRefusal, HelpRequest, LineChange, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::broadcast;

pub use onhand_store::LINE_MAX;
/// Events buffered per person before a slow socket misses some.
const EVENTS_BUFFER: usize = 32;
/// A node refreshes its providers' presence this often...
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// ...and presence not refreshed for this long (a node that died) no longer counts.
pub const PRESENCE_STALE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// In line behind another request or a session in progress.
    Waiting,
    /// The provider's dashboard is ringing.
    Ringing,
    Accepted,
    Expired,
    Left,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub provider_id: i64,
    pub listing_id: i64,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub title: String,
    pub state: RequestState,
    pub ringing_since: Option<Timestamp>,
    pub booking_id: Option<i64>,
}

impl From<HelpRequest> for Request {
    fn from(r: HelpRequest) -> Request {
        let state = match r.state.as_str() {
            "waiting" => RequestState::Waiting,
            // Being accepted is still ringing to the buyer: the booking may yet fail.
            "ringing" | "accepting" => RequestState::Ringing,
            "accepted" => RequestState::Accepted,
            "expired" => RequestState::Expired,
            _ => RequestState::Left,
        };
        Request {
            id: r.id,
            provider_id: r.provider_id,
            listing_id: r.listing_id,
            buyer_id: r.buyer_id,
            buyer_name: r.buyer_name,
            title: r.title,
            state,
            ringing_since: r.ringing_since,
            booking_id: r.booking_id,
        }
    }
}

/// Why a help-now request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AskError {
    Offline,
    LineFull,
    AlreadyWaiting,
}

/// This node's sockets: one broadcast channel per person connected here.
pub struct HelpNow {
    channels: Mutex<HashMap<i64, broadcast::Sender<String>>>,
    ring_for: Duration,
}

impl HelpNow {
    pub fn new(ring_for: Duration) -> HelpNow {
        HelpNow {
            channels: Mutex::new(HashMap::new()),
            ring_for,
        }
    }

    pub fn ring_for(&self) -> Duration {
        self.ring_for
    }

    /// A person's event stream on this node; created on first use.
    pub fn subscribe(&self, account_id: i64) -> broadcast::Receiver<String> {
        self.channels
            .lock()
            .expect("the socket map lock is never poisoned")
            .entry(account_id)
            .or_insert_with(|| broadcast::channel(EVENTS_BUFFER).0)
            .subscribe()
    }

    /// Hands an event to `account_id`'s sockets on this node, if any.
    pub fn deliver(&self, account_id: i64, text: String) {
        let mut channels = self
            .channels
            .lock()
            .expect("the socket map lock is never poisoned");
        if let Some(tx) = channels.get(&account_id) {
            if tx.receiver_count() == 0 {
                channels.remove(&account_id);
            } else {
                let _ = tx.send(text);
            }
        }
    }
}

fn online_since() -> Timestamp {
    crate::auth::now() - PRESENCE_STALE
}

pub async fn go_online(state: &AppState, provider_id: i64) -> Result<(), StoreError> {
    state
        .store
        .help_now_socket(provider_id, &state.instance, 1, crate::auth::now())
        .await
}

pub async fn go_offline(state: &AppState, provider_id: i64) -> Result<(), StoreError> {
    state
        .store
        .help_now_socket(provider_id, &state.instance, -1, crate::auth::now())
        .await
}

/// Providers online right now, on any node.
pub async fn online_providers(state: &AppState) -> Result<Vec<i64>, StoreError> {
    state.store.help_now_online(online_since()).await
}

pub async fn is_online(state: &AppState, provider_id: i64) -> Result<bool, StoreError> {
    state
        .store
        .help_now_is_online(provider_id, online_since())
        .await
}

/// Puts a request in the provider's line.
pub async fn ask(
    state: &AppState,
    provider_id: i64,
    listing_id: i64,
    buyer_id: i64,
    buyer_name: &str,
    title: &str,
) -> Result<Result<Request, AskError>, StoreError> {
    let asked = state
        .store
        .help_now_ask(
            provider_id,
            listing_id,
            buyer_id,
            buyer_name,
            title,
            online_since(),
            crate::auth::now(),
        )
        .await?;
    Ok(match asked {
        Ok(r) => {
            notify_line(state, provider_id).await;
            Ok(r.into())
        }
        Err(AskRefusal::Offline) => Err(AskError::Offline),
        Err(AskRefusal::LineFull) => Err(AskError::LineFull),
        Err(AskRefusal::AlreadyWaiting) => Err(AskError::AlreadyWaiting),
    })
}

/// A request and its place in line (0 once out of it).
pub async fn request(state: &AppState, id: i64) -> Result<Option<(Request, usize)>, StoreError> {
    match state.store.help_now_request(id).await {
        Ok((r, place)) => Ok(Some((r.into(), place))),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The ringing request a provider may accept, taken out of the line. The caller books
/// and then calls `accepted` (or `put_back` if booking failed, `dropped` if it never can).
pub async fn take_ringing(
    state: &AppState,
    provider_id: i64,
    id: i64,
) -> Result<Option<Request>, StoreError> {
    Ok(state
        .store
        .help_now_take(provider_id, id)
        .await?
        .map(Request::from))
}

pub async fn accepted(state: &AppState, r: &Request, booking_id: i64) {
    if let Err(e) = state.store.help_now_accepted(r.id, booking_id).await {
        tracing::warn!(error = ?e, request = r.id, "could not record an accepted request");
    }
    crate::cluster::push(
        state,
        r.buyer_id,
        serde_json::json!({"type": "help_now", "request": r.id, "state": "accepted", "booking": booking_id}),
    );
    notify_line(state, r.provider_id).await;
}

/// Puts a taken request back at the head of the line, still ringing.
pub async fn put_back(state: &AppState, r: &Request) {
    if let Err(e) = state.store.help_now_put_back(r.id).await {
        tracing::warn!(error = ?e, request = r.id, "could not put a request back");
    }
}

/// Ends a taken request that can never be booked (the buyer can no longer pay).
pub async fn dropped(state: &AppState, r: &Request) {
    if let Err(e) = state.store.help_now_drop(r.id).await {
        tracing::warn!(error = ?e, request = r.id, "could not drop a request");
    }
    crate::cluster::push(
        state,
        r.buyer_id,
        serde_json::json!({"type": "help_now", "request": r.id, "state": "expired"}),
    );
    notify_line(state, r.provider_id).await;
}

/// The buyer leaves the line; false when the request was not theirs or not waiting.
pub async fn leave(state: &AppState, buyer_id: i64, id: i64) -> Result<bool, StoreError> {
    let Some(r) = state.store.help_now_leave(buyer_id, id).await? else {
        return Ok(false);
    };
    notify_line(state, r.provider_id).await;
    Ok(true)
}

/// Advances every line: expires rings older than `ring_for`, and rings the head of
/// each line whose provider is online and not in a session. Returns the requests whose
/// ring expired unanswered.
pub async fn tick(state: &AppState) -> Result<Vec<Request>, StoreError> {
    let t = crate::auth::now();
    let lines = state.store.help_now_providers_with_lines().await?;
    if lines.is_empty() {
        // Nobody waits anywhere: no write transaction, on any node.
        return Ok(Vec::new());
    }
    let mut busy = Vec::new();
    for provider in lines {
        if state.store.in_session(provider, t).await? {
            busy.push(provider);
        }
    }
    let ring_for = jiff::SignedDuration::try_from(state.help_now.ring_for).unwrap_or_default();
    let changes = state
        .store
        .help_now_tick(ring_for, online_since(), &busy, t)
        .await?;
    let mut missed = Vec::new();
    for change in changes {
        match change {
            LineChange::Expired(r) => {
                let r = Request::from(r);
                crate::cluster::push(
                    state,
                    r.buyer_id,
                    serde_json::json!({"type": "help_now", "request": r.id, "state": "expired"}),
                );
                crate::cluster::push(
                    state,
                    r.provider_id,
                    serde_json::json!({"type": "ring_over", "request": r.id}),
                );
                notify_line(state, r.provider_id).await;
                missed.push(r);
            }
            LineChange::Rang(r) => {
                crate::cluster::push(
                    state,
                    r.provider_id,
                    serde_json::json!({"type": "ring", "request": r.id, "buyer": r.buyer_name, "title": r.title,
                        "seconds": state.help_now.ring_for.as_secs()}),
                );
                notify_line(state, r.provider_id).await;
            }
        }
    }
    Ok(missed)
}

/// Tells everyone in a provider's line their place, and the provider the line's length.
async fn notify_line(state: &AppState, provider_id: i64) {
    let line = match state.store.help_now_line(provider_id).await {
        Ok(line) => line,
        Err(e) => {
            tracing::warn!(error = ?e, "could not read a help-now line");
            return;
        }
    };
    for (i, r) in line.iter().enumerate() {
        let r = Request::from(r.clone());
        crate::cluster::push(
            state,
            r.buyer_id,
            serde_json::json!({"type": "help_now", "request": r.id, "state": r.state, "place": i + 1}),
        );
    }
    crate::cluster::push(
        state,
        provider_id,
        serde_json::json!({"type": "line", "waiting": line.len()}),
    );
}

/// When a help-now session booked at `now` starts: now, on a whole minute for tidiness.
pub fn session_start(now: Timestamp) -> Timestamp {
    Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60)).unwrap_or(now)
}
