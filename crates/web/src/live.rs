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
    Ok(upgrade
        .max_message_size(4096)
        .on_upgrade(move |ws| run(state, account.id, online, ws))
        .into_response())
}

async fn run(state: AppState, account_id: i64, online: bool, mut ws: WebSocket) {
    let mut events = state.help_now.subscribe(account_id);
    if online {
        state.help_now.go_online(account_id);
        tracing::info!(provider = account_id, "provider online");
    }
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
    if online {
        state.help_now.go_offline(account_id);
        tracing::info!(provider = account_id, "provider offline");
    }
}

/// Advances help-now lines forever: rings the next buyer when a provider is free, and
/// expires rings nobody answered.
pub async fn ticker(state: AppState) {
    let mut tick = tokio::time::interval(TICK);
    let mut last_purge = std::time::Instant::now();
    let mut last_money = std::time::Instant::now();
    let mut last_judged = std::time::Instant::now();
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
        let mut busy = Vec::new();
        for provider in state.help_now.providers_with_lines() {
            match state
                .store
                .in_session(provider, jiff::Timestamp::now())
                .await
            {
                Ok(true) => busy.push(provider),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = ?e, "help-now ticker could not read sessions");
                    busy.push(provider);
                }
            }
        }
        for missed in state.help_now.tick(|p| busy.contains(&p)) {
            let rang = missed
                .ringing_since
                .map_or(jiff::SignedDuration::ZERO, |s| {
                    jiff::SignedDuration::try_from(s.elapsed()).unwrap_or_default()
                });
            let rang_at = jiff::Timestamp::now() - rang;
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
}
