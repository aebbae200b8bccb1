//! The live channel: one WebSocket per open page, carrying a person's events (help-now
//! rings, their place in line) and, for a provider who opens it with `?online=1`, their
//! presence: online while at least one such socket is open.

use crate::auth::{MaybeApiCaller, Viewer};
use crate::error::Failure;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// How often lines are advanced (rings started and expired).
pub const TICK: Duration = Duration::from_millis(250);
/// How often ended sessions are deleted from the database.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// A socket that has said nothing for this long is pinged.
const PING_EVERY: Duration = Duration::from_secs(20);

#[derive(serde::Deserialize, Default)]
pub struct SocketQuery {
    #[serde(default)]
    online: Option<String>,
}

pub async fn socket(
    State(state): State<AppState>,
    viewer: Viewer,
    caller: MaybeApiCaller,
    Query(q): Query<SocketQuery>,
    headers: axum::http::HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, crate::error::PageError> {
    // Browsers send cookies with cross-site socket handshakes only under some cookie
    // rules; refusing a foreign Origin closes the door whatever those rules are.
    if !crate::auth::same_origin(&headers) {
        return Err(Failure::Forbidden("this socket was opened from another site".into()).into());
    }
    let account = match (viewer.account, caller.0) {
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(Failure::Unauthorized("sign in first".into()).into()),
    };
    let online = q.online.as_deref() == Some("1");
    if online {
        match crate::actions::provider_of(&state, account.id).await? {
            Some(p) if p.is_approved() => {}
            _ => return Err(Failure::Forbidden("only approved providers go online".into()).into()),
        }
    }
    // Listening and presence start before the handshake completes: once the client
    // sees its socket open, it is online and no event for it is missed.
    let events = state.help_now.subscribe(account.id);
    let presence = if online {
        crate::helpnow::go_online(&state, account.id).await?;
        tracing::info!(provider = account.id, "provider online");
        Some(Presence {
            state: state.clone(),
            provider_id: account.id,
        })
    } else {
        None
    };
    Ok(upgrade
        .max_message_size(4096)
        .on_upgrade(move |ws| run(events, presence, ws))
        .into_response())
}

/// A provider's open dashboard socket; dropping it (the socket closed, or the upgrade
/// never happened) takes the provider offline on this node.
struct Presence {
    state: AppState,
    provider_id: i64,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let (state, provider_id) = (self.state.clone(), self.provider_id);
        // Outside a runtime (the process is ending) the presence simply goes stale.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = crate::helpnow::go_offline(&state, provider_id).await {
                tracing::warn!(error = ?e, "could not mark a provider offline");
            }
            tracing::info!(provider = provider_id, "provider offline");
        });
    }
}

async fn run(
    mut events: tokio::sync::broadcast::Receiver<String>,
    presence: Option<Presence>,
    mut ws: WebSocket,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(text) => {
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            },
            incoming = ws.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(presence);
}

/// Advances help-now lines forever: rings the next buyer when a provider is free, and
/// expires rings nobody answered.
pub async fn ticker(state: AppState) {
    let mut tick = tokio::time::interval(TICK);
    let mut last_purge = std::time::Instant::now();
    let mut last_money = std::time::Instant::now();
    let mut last_judged = std::time::Instant::now();
    let mut last_heartbeat = std::time::Instant::now();
    heartbeat(&state).await;
    loop {
        tick.tick().await;
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = std::time::Instant::now();
            purge_sessions(&state).await;
            settle_stale_money(&state).await;
        }
        if last_judged.elapsed() >= state.config.no_show_every {
            last_judged = std::time::Instant::now();
            judge_no_shows(&state).await;
        }
        if last_money.elapsed() >= MONEY_EVERY {
            last_money = std::time::Instant::now();
            crate::money::retry_pending_payouts(&state).await;
        }
        if last_heartbeat.elapsed() >= crate::helpnow::HEARTBEAT_EVERY {
            last_heartbeat = std::time::Instant::now();
            heartbeat(&state).await;
        }
        let missed = match crate::helpnow::tick(&state).await {
            Ok(missed) => missed,
            Err(e) => {
                tracing::warn!(error = ?e, "help-now ticker could not advance the lines");
                Vec::new()
            }
        };
        for missed in missed {
            let rang_at = missed.ringing_since.unwrap_or_else(jiff::Timestamp::now);
            if let Err(e) = state
                .store
                .record_ring(missed.provider_id, rang_at, None)
                .await
            {
                tracing::warn!(error = ?e, "could not record a missed ring");
            }
            crate::notify::emit(
                &state,
                crate::notify::Event::HelpNowMissed {
                    provider: missed.provider_id,
                    buyer: missed.buyer_id,
                    listing: missed.listing_id,
                },
            )
            .await;
        }
    }
}

/// Tells every node this one is alive: its providers' presence and the rooms it hosts
/// stay fresh; presence a dead node left behind is dropped.
async fn heartbeat(state: &AppState) {
    let now = jiff::Timestamp::now();
    if let Err(e) = state
        .store
        .help_now_heartbeat(&state.instance, now, now - crate::helpnow::PRESENCE_STALE)
        .await
    {
        tracing::warn!(error = ?e, "could not refresh help-now presence");
    }
    crate::room::heartbeat(state, now).await;
}

/// How often pending payouts are retried with the gateway.
const MONEY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// A booking nobody started, cancelled or reported this long after its end gives the
/// buyer their money back.
pub const STALE_HOLD_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// Sessions nobody began 10 minutes after their start are judged by who joined the room.
async fn judge_no_shows(state: &AppState) {
    let now = jiff::Timestamp::now();
    match state
        .store
        .unbegun_bookings(crate::schedule::NO_SHOW_AFTER, now)
        .await
    {
        Ok(bookings) => {
            for b in bookings {
                if let Err(e) = crate::schedule::judge_no_show(state, &b).await {
                    tracing::warn!(booking_id = b.id, error = ?e, "no-show not judged");
                }
            }
        }
        Err(e) => tracing::warn!(error = ?e, "could not read unbegun sessions"),
    }
}

/// Expires holds of bookings that were left alone, and forgets old idempotency keys.
async fn settle_stale_money(state: &AppState) {
    let now = jiff::Timestamp::now();
    match state.store.expire_stale_holds(STALE_HOLD_AFTER, now).await {
        Ok(expired) if expired.is_empty() => {}
        Ok(expired) => tracing::info!(?expired, "expired holds of bookings left alone"),
        Err(e) => tracing::warn!(error = ?e, "could not expire stale holds"),
    }
    if let Err(e) = state.store.purge_idempotency(now).await {
        tracing::warn!(error = ?e, "could not purge idempotency keys");
    }
}

/// Deletes sessions past their idle or absolute timeout; they no longer work anyway.
async fn purge_sessions(state: &AppState) {
    let now = jiff::Timestamp::now();
    let idle = jiff::SignedDuration::try_from(state.config.session_idle)
        .unwrap_or(jiff::SignedDuration::MAX);
    let max = jiff::SignedDuration::try_from(state.config.session_max)
        .unwrap_or(jiff::SignedDuration::MAX);
    match state
        .store
        .purge_sessions(
            now.saturating_sub(idle).unwrap_or(now),
            now.saturating_sub(max).unwrap_or(now),
        )
        .await
    {
        Ok(n) if n > 0 => tracing::info!(sessions = n, "ended sessions purged"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "purging sessions failed"),
    }
    // Finished help-now requests matter only while their pages may still be open.
    if let Err(e) = state.store.purge_help_now(now - HELP_NOW_KEPT).await {
        tracing::warn!(error = ?e, "purging help-now requests failed");
    }
}

/// How long a finished help-now request is kept.
const HELP_NOW_KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
