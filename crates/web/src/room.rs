//! The session room: who may enter and when, the signaling WebSocket between a room page
//! and the media server, the chat and its transcript, the live cost meter with the
//! buyer's cap, and ending the session, which bills connected time.
//!
//! A room is one listing's slot (`room_id`): a group session's buyers share it. Only the
//! booking's buyer and provider get in, from 10 minutes before the start until 30 minutes
//! after the planned end, while the booking is confirmed or in progress.
//!
//! Architecture invariant: a paid minute is a minute in which the provider and that buyer
//! were both connected (`onhand_media::presence::billable`); a session that never had both
//! connected bills nothing.

use crate::auth::{MaybeApiCaller, Viewer, now};
use crate::error::{Failure, PageError};
use crate::schedule::{planned_minutes, terms_of};
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use onhand_core::booking::{BookingEvent, BookingState, Party};
use onhand_core::catalog::PriceModel;
use onhand_core::payments;
use onhand_media::presence::billable;
use onhand_media::signal::{self, ClientMessage, Participant, ServerMessage};
use onhand_media::{Attendance, Role, RoomId};
use onhand_store::{Account, Booking, Settle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::broadcast;

/// The room opens this long before the start.
pub const OPENS_BEFORE: SignedDuration = SignedDuration::from_mins(10);
/// And closes this long after the planned end, for sessions that run over.
pub const CLOSES_AFTER: SignedDuration = SignedDuration::from_mins(30);
/// A socket that has not sent its join offer by then is closed.
const JOIN_WITHIN: Duration = Duration::from_secs(30);
/// How often the cost meter is sent.
const METER_EVERY: Duration = Duration::from_secs(2);

/// The room of a booking's slot.
pub fn room_id(b: &Booking) -> RoomId {
    b.listing_id * ROOM_ID_LISTING + b.start.as_second()
}

const ROOM_ID_LISTING: i64 = 10_000_000_000;

/// The listing and start of a room (the inverse of `room_id`).
fn room_slot(room: RoomId) -> (i64, Timestamp) {
    let start = Timestamp::from_second(room % ROOM_ID_LISTING).unwrap_or(Timestamp::UNIX_EPOCH);
    (room / ROOM_ID_LISTING, start)
}

/// A room's node keeps it while it says so this often (`heartbeat`); a room whose node
/// has been silent for `ROOM_NODE_STALE` goes to the next node a participant opens it on.
pub const ROOM_NODE_STALE: SignedDuration = SignedDuration::from_secs(60);

/// Where the room page opens its signaling socket. Every participant of a room must
/// reach the one node whose media server hosts it: the first node to show the room
/// claims it (`node_url` in the configuration). On that node the page uses its own
/// origin (`None`); elsewhere it gets the hosting node's socket address with a pass,
/// since the session cookie does not travel to another origin.
pub async fn signal_url(
    state: &AppState,
    account: &Account,
    b: &Booking,
) -> Result<Option<String>, Failure> {
    let host = hosting_node(state, b).await?;
    if host == state.config.node_url {
        return Ok(None);
    }
    let token = crate::auth::random_token();
    state
        .store
        .create_room_ticket(
            &ticket_hash(&token),
            account.id,
            b.listing_id,
            b.start,
            b.end + CLOSES_AFTER,
        )
        .await?;
    let ws = if let Some(rest) = host.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", host.strip_prefix("http://").unwrap_or(&host))
    };
    Ok(Some(format!(
        "{ws}/bookings/{}/room/ws?ticket={token}",
        b.id
    )))
}

/// The base URL of the node hosting `b`'s room, which is this node if the room was
/// free or its node went quiet.
async fn hosting_node(state: &AppState, b: &Booking) -> Result<String, Failure> {
    let t = now();
    Ok(state
        .store
        .claim_room_node(
            b.listing_id,
            b.start,
            &state.config.node_url,
            t,
            t - ROOM_NODE_STALE,
        )
        .await?)
}

fn ticket_hash(token: &str) -> String {
    crate::auth::hex(&crate::auth::hash_token(token))
}

/// Keeps this node's claim on the rooms it hosts.
pub async fn heartbeat(state: &AppState, now: Timestamp) {
    let rooms: Vec<(i64, Timestamp)> = state.rooms.open().into_iter().map(room_slot).collect();
    if rooms.is_empty() {
        return;
    }
    if let Err(e) = state
        .store
        .refresh_room_nodes(&state.config.node_url, &rooms, now)
        .await
    {
        tracing::warn!(error = ?e, "could not refresh this node's rooms");
    }
}

#[derive(Default)]
struct RoomState {
    events: Option<broadcast::Sender<String>>,
    /// account -> (name, role, connected)
    present: HashMap<i64, (String, Role, bool)>,
    cap_minor: HashMap<i64, i64>,
}

/// Who is in which room, and each room's broadcast channel.
#[derive(Default)]
pub struct Rooms {
    inner: Mutex<HashMap<RoomId, RoomState>>,
}

impl Rooms {
    /// Rooms with someone in them, and the people in them.
    pub fn counts(&self) -> (usize, usize) {
        let rooms = self.lock();
        let people = rooms.values().map(|r| r.present.len()).sum();
        let open = rooms.values().filter(|r| !r.present.is_empty()).count();
        (open, people)
    }

    /// The rooms with someone in them on this node.
    pub fn open(&self) -> Vec<RoomId> {
        self.lock()
            .iter()
            .filter(|(_, r)| !r.present.is_empty())
            .map(|(id, _)| *id)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, RoomState>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enter(
        &self,
        room: RoomId,
        account: i64,
        name: &str,
        role: Role,
    ) -> broadcast::Receiver<String> {
        let mut rooms = self.lock();
        let r = rooms.entry(room).or_default();
        r.present.insert(account, (name.to_string(), role, false));
        r.events
            .get_or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    fn set_connected(&self, room: RoomId, account: i64, connected: bool) {
        if let Some((_, _, c)) = self
            .lock()
            .get_mut(&room)
            .and_then(|r| r.present.get_mut(&account))
        {
            *c = connected;
        }
    }

    fn leave(&self, room: RoomId, account: i64) {
        let mut rooms = self.lock();
        if let Some(r) = rooms.get_mut(&room) {
            r.present.remove(&account);
            if r.present.is_empty() {
                rooms.remove(&room);
            }
        }
    }

    fn set_cap(&self, room: RoomId, account: i64, cap: i64) {
        self.lock()
            .entry(room)
            .or_default()
            .cap_minor
            .insert(account, cap);
    }

    fn cap(&self, room: RoomId, account: i64) -> Option<i64> {
        self.lock()
            .get(&room)
            .and_then(|r| r.cap_minor.get(&account).copied())
    }

    fn participants(&self, room: RoomId) -> Vec<Participant> {
        let rooms = self.lock();
        let mut v: Vec<Participant> = rooms
            .get(&room)
            .map(|r| {
                r.present
                    .values()
                    .map(|(name, role, connected)| Participant {
                        name: name.clone(),
                        role: match role {
                            Role::Provider => "provider".into(),
                            Role::Buyer => "buyer".into(),
                        },
                        connected: *connected,
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| b.role.cmp(&a.role).then(a.name.cmp(&b.name)));
        v
    }

    fn both_connected(&self, room: RoomId) -> bool {
        self.lock().get(&room).is_some_and(|r| {
            let provider = r
                .present
                .values()
                .any(|(_, role, c)| *role == Role::Provider && *c);
            let buyer = r
                .present
                .values()
                .any(|(_, role, c)| *role == Role::Buyer && *c);
            provider && buyer
        })
    }

    fn broadcast(&self, room: RoomId, message: &ServerMessage) {
        if let Some(tx) = self.lock().get(&room).and_then(|r| r.events.clone()) {
            let _ = tx.send(message.to_frame());
        }
    }
}

/// The booking, if `account` may enter its room now.
pub async fn access(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<(Booking, Party), Failure> {
    let (b, party) = crate::schedule::own_booking(state, account, id).await?;
    if !matches!(b.state, BookingState::Confirmed | BookingState::InProgress) {
        return Err(Failure::Conflict(format!(
            "this session is {}; its room is closed",
            b.state.as_str().replace('_', " ")
        )));
    }
    let t = now();
    if t < b.start - OPENS_BEFORE {
        return Err(Failure::Forbidden(format!(
            "the room opens 10 minutes before the start, at {}",
            b.start - OPENS_BEFORE
        )));
    }
    if t > b.end + CLOSES_AFTER {
        return Err(Failure::Conflict("the session's time is over".into()));
    }
    Ok((b, party))
}

#[derive(serde::Deserialize, Default)]
pub struct SocketQuery {
    /// A pass from another node's room page (`signal_url`).
    ticket: Option<String>,
}

/// `GET /bookings/{id}/room/ws`: the signaling socket.
pub async fn socket(
    State(state): State<AppState>,
    viewer: Viewer,
    caller: MaybeApiCaller,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SocketQuery>,
    headers: axum::http::HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, PageError> {
    let id = crate::pages::path_id(&id, "booking")?;
    let account = if let Some(ticket) = &q.ticket {
        // A pass is a credential of its own, not an ambient cookie, so a page of any
        // node may use it: the origin check guards cookies only.
        let Some((account_id, listing_id, start)) =
            state.store.room_ticket(&ticket_hash(ticket), now()).await?
        else {
            return Err(Failure::Forbidden(
                "this room pass is unknown or expired; reload the room page".into(),
            )
            .into());
        };
        let account = state.store.account(account_id).await?;
        let b = state.store.booking(id).await?;
        if b.listing_id != listing_id || b.start != start {
            return Err(Failure::Forbidden("this room pass is for another session".into()).into());
        }
        account
    } else {
        if !crate::auth::same_origin(&headers) {
            return Err(
                Failure::Forbidden("this socket was opened from another site".into()).into(),
            );
        }
        match (viewer.account, caller.0) {
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => return Err(Failure::Unauthorized("sign in first".into()).into()),
        }
    };
    if account.is_suspended() {
        return Err(Failure::Forbidden("this account is suspended".into()).into());
    }
    let (b, party) = access(&state, &account, id).await?;
    // The room's node may have changed since the page was shown (it went quiet while
    // the page sat in the lobby): join only where the room is hosted now.
    if hosting_node(&state, &b).await? != state.config.node_url {
        return Err(Failure::Conflict(
            "this session's room is now hosted by another server; reload the page to join it"
                .into(),
        )
        .into());
    }
    Ok(upgrade
        .max_message_size(signal::FRAME_MAX)
        .on_upgrade(move |ws| run(state, account, b, party, ws))
        .into_response())
}

async fn send(ws: &mut WebSocket, m: &ServerMessage) -> bool {
    ws.send(Message::Text(m.to_frame().into())).await.is_ok()
}

async fn run(state: AppState, account: Account, b: Booking, party: Party, mut ws: WebSocket) {
    let room = room_id(&b);
    let role = match party {
        Party::Provider => Role::Provider,
        Party::Buyer => Role::Buyer,
    };
    // The first message is the join offer.
    let offer = match tokio::time::timeout(JOIN_WITHIN, next_message(&mut ws)).await {
        Ok(Some(Ok(ClientMessage::Join { sdp }))) => sdp,
        Ok(Some(Ok(_))) => {
            send(&mut ws, &error("the first message must be a join")).await;
            return;
        }
        Ok(Some(Err(e))) => {
            send(&mut ws, &error(&e.0)).await;
            return;
        }
        Ok(None) | Err(_) => return,
    };
    let mut joined = match state.media.join(room, account.id, role, offer).await {
        Ok(j) => j,
        Err(e) => {
            send(&mut ws, &error(&e.to_string())).await;
            return;
        }
    };
    if !send(
        &mut ws,
        &ServerMessage::Answer {
            sdp: joined.answer.clone(),
        },
    )
    .await
    {
        state.media.leave(joined.peer);
        return;
    }
    let mut events = state
        .rooms
        .enter(room, account.id, &account.display_name, role);
    state.rooms.broadcast(
        room,
        &ServerMessage::Joined {
            participants: state.rooms.participants(room),
        },
    );
    for m in transcript(&state, &b).await {
        if !send(&mut ws, &m).await {
            break;
        }
    }
    let health = is_health(&state, &b).await;
    let per_minute = matches!(terms_of(&b).1, PriceModel::PerMinute { .. });
    let mut meter = tokio::time::interval(METER_EVERY);
    tracing::info!(
        booking = b.id,
        account = account.id,
        ?role,
        "entered the room"
    );
    loop {
        tokio::select! {
            incoming = next_message(&mut ws) => {
                let Some(incoming) = incoming else { break };
                let message = match incoming {
                    Ok(m) => m,
                    Err(e) => {
                        send(&mut ws, &error(&e.0)).await;
                        continue;
                    }
                };
                match message {
                    ClientMessage::Join { .. } => {
                        send(&mut ws, &error("already joined; leave and join again to reconnect")).await;
                    }
                    ClientMessage::Answer { sdp } => {
                        if let Err(e) = state.media.answer(joined.peer, sdp).await {
                            send(&mut ws, &error(&e.to_string())).await;
                        }
                    }
                    ClientMessage::Chat { text } => {
                        let at = now();
                        if !health
                            && let Err(e) = state
                                .store
                                .add_room_message(b.listing_id, b.start, account.id, &text, at)
                                .await
                        {
                            tracing::warn!(error = ?e, "chat line not kept");
                        }
                        state.rooms.broadcast(
                            room,
                            &ServerMessage::Chat {
                                from: account.display_name.clone(),
                                text,
                                at: at.to_string(),
                            },
                        );
                    }
                    ClientMessage::Cap { minor } => {
                        if role == Role::Buyer {
                            state.rooms.set_cap(room, account.id, minor);
                        } else {
                            send(&mut ws, &error("only the buyer sets a spending cap")).await;
                        }
                    }
                    ClientMessage::Leave => break,
                    ClientMessage::End => {
                        if role == Role::Provider {
                            finish(&state, &b, "the provider ended the session").await;
                            break;
                        }
                        send(&mut ws, &error("only the provider ends the session")).await;
                    }
                }
            }
            event = joined.events.recv() => match event {
                Some(onhand_media::driver::PeerEvent::Offer(sdp)) => {
                    if !send(&mut ws, &ServerMessage::Offer { sdp }).await {
                        break;
                    }
                }
                Some(onhand_media::driver::PeerEvent::Connected) => {
                    state.rooms.set_connected(room, account.id, true);
                    if let Err(e) = state.store.mark_present(b.listing_id, b.start, account.id, now()).await {
                        tracing::warn!(error = ?e, "room presence not recorded");
                    }
                    state.rooms.broadcast(room, &ServerMessage::Joined { participants: state.rooms.participants(room) });
                    if state.rooms.both_connected(room) {
                        begin(&state, &b).await;
                    }
                }
                Some(onhand_media::driver::PeerEvent::Gone) | None => {
                    // Closing a room ends every peer right after telling the room why:
                    // pass on what the room said first, so "ended" is never lost to
                    // the race between the two.
                    while let Ok(frame) = events.try_recv() {
                        if ws.send(Message::Text(frame.into())).await.is_err() {
                            break;
                        }
                    }
                    break;
                }
            },
            relayed = events.recv() => match relayed {
                Ok(frame) => {
                    let ended = frame.contains("\"type\":\"ended\"");
                    if ws.send(Message::Text(frame.into())).await.is_err() || ended {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            _ = meter.tick(), if per_minute => {
                let (seconds, cost) = meter_reading(&state, &b).await;
                let cap = state.rooms.cap(room, b.buyer_id);
                if !send(&mut ws, &ServerMessage::Meter { seconds, cost_minor: cost, cap_minor: cap }).await {
                    break;
                }
                if cap.is_some_and(|c| cost >= c) && role == Role::Buyer {
                    finish(&state, &b, "the buyer's spending cap was reached").await;
                    break;
                }
            }
        }
    }
    state.media.leave(joined.peer);
    state.rooms.leave(room, account.id);
    state.rooms.broadcast(
        room,
        &ServerMessage::Joined {
            participants: state.rooms.participants(room),
        },
    );
    tracing::info!(booking = b.id, account = account.id, "left the room");
}

async fn next_message(ws: &mut WebSocket) -> Option<Result<ClientMessage, signal::SignalError>> {
    loop {
        match ws.recv().await? {
            Ok(Message::Text(t)) => return Some(signal::parse(t.as_str())),
            Ok(Message::Binary(_)) => {
                return Some(Err(signal::SignalError(
                    "send text frames of protocol JSON".into(),
                )));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn error(message: &str) -> ServerMessage {
    ServerMessage::Error {
        message: message.to_string(),
    }
}

async fn transcript(state: &AppState, b: &Booking) -> Vec<ServerMessage> {
    state
        .store
        .room_messages(b.listing_id, b.start, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| ServerMessage::Chat {
            from: m.name,
            text: m.text,
            at: m.at.to_string(),
        })
        .collect()
}

/// Whether the session is a Health one (never recorded).
pub(crate) async fn is_health(state: &AppState, b: &Booking) -> bool {
    match state.store.listing(b.listing_id).await {
        Ok(l) => {
            l.published.as_ref().unwrap_or(&l.working).category
                == payments::COMMISSION_FREE_CATEGORY
        }
        Err(_) => false,
    }
}

/// What `b`'s buyer has been connected together with the provider.
fn connected_time(b: &Booking, attendance: &[Attendance]) -> Duration {
    let provider: Vec<_> = attendance
        .iter()
        .filter(|a| a.role == Role::Provider)
        .flat_map(|a| a.intervals.iter().copied())
        .collect();
    let buyer: Vec<_> = attendance
        .iter()
        .filter(|a| a.account == b.buyer_id)
        .flat_map(|a| a.intervals.iter().copied())
        .collect();
    billable(&provider, &buyer)
}

/// What the session would cost if it ended now: connected time billed per minute.
pub fn charge_for(b: &Booking, connected: Duration) -> i64 {
    if connected.is_zero() {
        return 0;
    }
    let origin = Timestamp::UNIX_EPOCH;
    let connected = SignedDuration::try_from(connected).unwrap_or(SignedDuration::ZERO);
    payments::completed_charge_minor(
        terms_of(b).1,
        b.seats,
        planned_minutes(b),
        origin,
        origin + connected,
    )
}

async fn meter_reading(state: &AppState, b: &Booking) -> (u64, i64) {
    let (_, attendance) = state.media.attendance(room_id(b)).await;
    let connected = connected_time(b, &attendance);
    (connected.as_secs(), charge_for(b, connected))
}

/// Both sides are in: the session begins (once).
async fn begin(state: &AppState, b: &Booking) {
    let Ok(current) = state.store.booking(b.id).await else {
        return;
    };
    if current.state != BookingState::Confirmed {
        return;
    }
    match state
        .store
        .transition_booking(
            b.id,
            BookingState::Confirmed,
            BookingEvent::Start,
            None,
            None,
            Settle::Started,
            now(),
        )
        .await
    {
        Ok(_) => tracing::info!(booking = b.id, "session began: both sides connected"),
        Err(e) => tracing::debug!(booking = b.id, error = ?e, "session already begun"),
    }
}

/// Ends the room: everyone is disconnected, and every booking of the slot is completed
/// and billed on its buyer's connected time with the provider (nothing, if never both).
pub async fn finish(state: &AppState, b: &Booking, reason: &str) {
    let room = room_id(b);
    state.rooms.broadcast(
        room,
        &ServerMessage::Ended {
            reason: reason.to_string(),
        },
    );
    let (_, attendance) = state.media.close_room(room).await;
    let bookings = state
        .store
        .bookings_in_room(b.listing_id, b.start)
        .await
        .unwrap_or_else(|_| vec![b.clone()]);
    for booking in bookings {
        let connected = connected_time(&booking, &attendance);
        if let Err(e) = settle(state, &booking, connected).await {
            tracing::warn!(booking = booking.id, error = ?e, "could not settle the session");
        }
    }
}

async fn settle(state: &AppState, b: &Booking, connected: Duration) -> Result<(), Failure> {
    let t = now();
    let mut current = state.store.booking(b.id).await?;
    if current.state == BookingState::Confirmed {
        current = state
            .store
            .transition_booking(
                b.id,
                BookingState::Confirmed,
                BookingEvent::Start,
                None,
                None,
                Settle::Started,
                t,
            )
            .await?;
    }
    if current.state != BookingState::InProgress {
        return Ok(());
    }
    let charge = charge_for(&current, connected);
    let settle = if charge > 0 {
        // Per-minute billing stops at the planned minutes, which is what was held.
        Settle::Post {
            amount_minor: charge,
        }
    } else {
        Settle::Void
    };
    let done = state
        .store
        .transition_booking(
            b.id,
            BookingState::InProgress,
            BookingEvent::Complete,
            None,
            None,
            settle,
            t,
        )
        .await?;
    tracing::info!(
        booking = b.id,
        connected_secs = connected.as_secs(),
        charged_minor = done.charged_minor,
        "session ended"
    );
    Ok(())
}

/// How long TURN credentials handed to a browser stay valid.
pub const TURN_TTL: Duration = Duration::from_secs(600);

/// The ICE servers a room page uses: none (the media server is reachable directly), or
/// the configured TURN server with short-lived credentials in coturn's REST scheme
/// (username `expiry:account`, password base64(HMAC-SHA1(secret, username))).
pub fn ice_servers(state: &AppState, account_id: i64, now: Timestamp) -> serde_json::Value {
    let (Some(secret), false) = (&state.config.turn_secret, state.config.turn_urls.is_empty())
    else {
        return serde_json::json!([]);
    };
    let (username, credential) = turn_credentials(
        secret,
        account_id,
        now + SignedDuration::try_from(TURN_TTL).unwrap_or_default(),
    );
    serde_json::json!([{"urls": state.config.turn_urls, "username": username, "credential": credential}])
}

pub fn turn_credentials(secret: &str, account_id: i64, expires: Timestamp) -> (String, String) {
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let username = format!("{}:{account_id}", expires.as_second());
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, credential)
}

#[cfg(test)]
mod tests {
    #[test]
    fn turn_credentials_follow_coturns_rest_scheme() {
        // Computed independently: printf '1800000600:42' | openssl dgst -sha1 -hmac secret -binary | base64
        let (u, c) = super::turn_credentials(
            "secret",
            42,
            jiff::Timestamp::from_second(1_800_000_600).unwrap(),
        );
        assert_eq!(u, "1800000600:42");
        assert_eq!(c, "bO26ZLEGPu77GoT4zl13KvKGTY8=");
    }
}
