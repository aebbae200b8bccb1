//! The sans-IO core of the media server: rooms, participants and their tracks, over one
//! `str0m::Rtc` per participant. Datagrams and time go in; datagrams to send, offers to
//! relay over signaling, and room events come out. It owns no socket and reads no clock,
//! so tests drive it with simulated time.
//!
//! Forwarding: every track a participant publishes (audio, camera, screen) is offered to
//! every other participant of the room as a send-only m-line, renegotiated by the server
//! (one offer in flight per participant); media is forwarded frame by frame, each
//! subscriber's payload type matched to what it negotiated. A new subscriber, or a
//! receiver's keyframe request, asks the publisher for a keyframe.
//!
//! Architecture invariant: after every mutation of an `Rtc` its output is drained before
//! the next one (str0m's rule), and media reaches only participants of the same room.

use crate::presence::Presence;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::bwe::Bitrate;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, IceConnectionState, Input, Output as RtcOutput, Rtc};

/// A room is a booking.
pub type RoomId = i64;

/// One connection of one participant (a rejoin is a new peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Provider,
    Buyer,
}

/// Each limit, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rooms open at once on this server.
    pub rooms: usize,
    /// Participants in one room: 12 seats and the provider.
    pub participants_per_room: usize,
    /// What each participant may send, asked of their browser (REMB), in bits per second.
    pub bitrate_per_participant_bps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rooms: 1000,
            participants_per_room: 13,
            bitrate_per_participant_bps: 2_500_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoinError {
    #[error("this server already has {0} rooms open; try again shortly")]
    TooManyRooms(usize),
    #[error("this session already has {0} participants, the most a room holds")]
    RoomFull(usize),
    #[error("the offer is not usable: {0}")]
    BadOffer(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("no such participant")]
    UnknownPeer,
    #[error("there is no offer waiting for an answer")]
    NothingPending,
    #[error("the answer is not usable: {0}")]
    BadAnswer(String),
}

/// What the core asks its driver to do, or tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Transmit {
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        data: Vec<u8>,
    },
    /// A new offer the participant must answer (tracks were added or removed).
    Offer { peer: PeerId, sdp: String },
    /// Media from this participant is flowing (DTLS up).
    Connected { room: RoomId, peer: PeerId },
    /// The participant left or dropped; their connection is gone.
    Gone {
        room: RoomId,
        peer: PeerId,
        account: i64,
    },
}

struct TrackIn {
    mid: Mid,
    kind: MediaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
}

struct TrackOut {
    origin: PeerId,
    origin_mid: Mid,
    kind: MediaKind,
    state: OutState,
}

struct Peer {
    id: PeerId,
    room: RoomId,
    account: i64,
    rtc: Rtc,
    tracks_in: Vec<TrackIn>,
    tracks_out: Vec<TrackOut>,
    pending: Option<SdpPendingOffer>,
    /// Out tracks whose origin left, to stop in the next negotiation.
    to_stop: Vec<Mid>,
    connected: bool,
    last_keyframe_request: Option<Instant>,
    timeout: Instant,
}

struct Room {
    opened: Instant,
    peers: Vec<PeerId>,
    /// Per account, so a drop and rejoin continue one record.
    presence: HashMap<i64, (Role, Presence)>,
}

/// Something one participant's events mean for others.
enum Prop {
    TrackOpen {
        origin: PeerId,
        mid: Mid,
        kind: MediaKind,
    },
    Media {
        origin: PeerId,
        data: Box<MediaData>,
    },
    Keyframe {
        origin: PeerId,
        mid: Mid,
        kind: KeyframeRequestKind,
    },
    Gone(PeerId),
}

/// A presence record for billing: who, in which role, and their intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub account: i64,
    pub role: Role,
    pub intervals: Vec<crate::presence::Interval>,
}

pub struct Sfu {
    limits: Limits,
    /// The addresses the server tells browsers to reach it at (one per socket).
    candidates: Vec<SocketAddr>,
    /// Whether the same addresses also take ICE-TCP (RFC 4571 framing, passive).
    tcp: bool,
    rooms: HashMap<RoomId, Room>,
    peers: Vec<Peer>,
    /// Which participant a remote address last belonged to, so a packet finds its
    /// connection without asking every participant's (a check still confirms it).
    by_source: HashMap<(Protocol, SocketAddr), PeerId>,
    next_peer: u64,
    out: VecDeque<Output>,
}

/// Keyframe requests to one publisher are at most this frequent.
const KEYFRAME_EVERY: Duration = Duration::from_secs(1);

impl Sfu {
    pub fn new(limits: Limits, candidates: Vec<SocketAddr>) -> Sfu {
        Sfu {
            limits,
            candidates,
            tcp: false,
            rooms: HashMap::new(),
            peers: Vec::new(),
            by_source: HashMap::new(),
            next_peer: 1,
            out: VecDeque::new(),
        }
    }

    /// Also offers each address as a passive ICE-TCP candidate, for networks that block
    /// UDP; the driver must listen on TCP there.
    pub fn with_tcp(mut self) -> Sfu {
        self.tcp = true;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn rooms_open(&self) -> usize {
        self.rooms.len()
    }

    pub fn participants(&self, room: RoomId) -> usize {
        self.rooms.get(&room).map_or(0, |r| r.peers.len())
    }

    /// A participant joins `room` with their browser's offer; the answer goes back over
    /// signaling. Tracks already published in the room follow in a server offer.
    pub fn join(
        &mut self,
        room: RoomId,
        account: i64,
        role: Role,
        offer_sdp: &str,
        now: Instant,
    ) -> Result<(PeerId, String), JoinError> {
        if !self.rooms.contains_key(&room) && self.rooms.len() >= self.limits.rooms {
            return Err(JoinError::TooManyRooms(self.limits.rooms));
        }
        if self.participants(room) >= self.limits.participants_per_room {
            return Err(JoinError::RoomFull(self.limits.participants_per_room));
        }
        let offer =
            SdpOffer::from_sdp_string(offer_sdp).map_err(|e| JoinError::BadOffer(e.to_string()))?;
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .set_stats_interval(Some(Duration::from_secs(1)))
            .build(now);
        for addr in &self.candidates {
            let c =
                Candidate::host(*addr, "udp").map_err(|e| JoinError::BadOffer(e.to_string()))?;
            rtc.add_local_candidate(c);
            if self.tcp {
                let c = Candidate::builder()
                    .tcp()
                    .host(*addr)
                    .tcptype(TcpType::Passive)
                    .build()
                    .map_err(|e| JoinError::BadOffer(e.to_string()))?;
                rtc.add_local_candidate(c);
            }
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| JoinError::BadOffer(e.to_string()))?;
        let id = PeerId(self.next_peer);
        self.next_peer += 1;
        let r = self.rooms.entry(room).or_insert_with(|| Room {
            opened: now,
            peers: Vec::new(),
            presence: HashMap::new(),
        });
        r.peers.push(id);
        r.presence
            .entry(account)
            .or_insert_with(|| (role, Presence::default()));
        // Everything already published in the room is offered to the newcomer.
        let mut tracks_out = Vec::new();
        for p in self.peers.iter().filter(|p| p.room == room) {
            for t in &p.tracks_in {
                tracks_out.push(TrackOut {
                    origin: p.id,
                    origin_mid: t.mid,
                    kind: t.kind,
                    state: OutState::ToOpen,
                });
            }
        }
        self.peers.push(Peer {
            id,
            room,
            account,
            rtc,
            tracks_in: Vec::new(),
            tracks_out,
            pending: None,
            to_stop: Vec::new(),
            connected: false,
            last_keyframe_request: None,
            timeout: now,
        });
        tracing::info!(room, peer = id.0, account, ?role, "participant joined");
        let idx = self.peers.len() - 1;
        let mut props = self.drain(idx, now);
        // Offer the tracks already in the room; the answer above goes out first.
        self.negotiate(idx);
        props.extend(self.drain(idx, now));
        self.propagate(props, now);
        Ok((id, answer.to_sdp_string()))
    }

    /// The participant's answer to the server's last offer.
    pub fn answer(&mut self, peer: PeerId, sdp: &str, now: Instant) -> Result<(), AnswerError> {
        let idx = self.index(peer).ok_or(AnswerError::UnknownPeer)?;
        let answer =
            SdpAnswer::from_sdp_string(sdp).map_err(|e| AnswerError::BadAnswer(e.to_string()))?;
        let p = &mut self.peers[idx];
        let pending = p.pending.take().ok_or(AnswerError::NothingPending)?;
        p.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| AnswerError::BadAnswer(e.to_string()))?;
        let mut opened = Vec::new();
        for t in &mut p.tracks_out {
            if let OutState::Negotiating(m) = t.state {
                t.state = OutState::Open(m);
                if t.kind == MediaKind::Video {
                    opened.push(Prop::Keyframe {
                        origin: t.origin,
                        mid: t.origin_mid,
                        kind: KeyframeRequestKind::Fir,
                    });
                }
            }
        }
        let mut props = self.drain(idx, now);
        props.extend(opened);
        // Anything that queued up while this offer was out goes now.
        self.negotiate(idx);
        props.extend(self.drain(idx, now));
        self.propagate(props, now);
        Ok(())
    }

    /// The participant leaves (the page closed, or "leave" over signaling).
    pub fn leave(&mut self, peer: PeerId, now: Instant) {
        if let Some(idx) = self.index(peer) {
            self.peers[idx].rtc.disconnect();
            let props = self.remove(idx, now);
            self.propagate(props, now);
        }
    }

    /// A datagram arrived on one of our sockets. Returns whether a participant took it.
    pub fn receive(
        &mut self,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
        now: Instant,
    ) -> bool {
        let Ok(receive) = Receive::new(proto, source, destination, data) else {
            return false;
        };
        let input = Input::Receive(now, receive);
        let known = self
            .by_source
            .get(&(proto, source))
            .and_then(|id| self.index(*id))
            .filter(|i| self.peers[*i].rtc.accepts(&input));
        let Some(idx) = known.or_else(|| self.peers.iter().position(|p| p.rtc.accepts(&input)))
        else {
            return false;
        };
        if known.is_none() {
            self.by_source.insert((proto, source), self.peers[idx].id);
        }
        if let Err(e) = self.peers[idx].rtc.handle_input(input) {
            tracing::debug!(peer = self.peers[idx].id.0, error = %e, "input refused; dropping the participant");
            self.peers[idx].rtc.disconnect();
        }
        let props = self.drain(idx, now);
        self.propagate(props, now);
        true
    }

    /// Time passes: every participant's timers, and presence silences.
    pub fn tick(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.peers.len() {
            if self.peers[i].timeout <= now {
                if let Err(e) = self.peers[i].rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(error = %e, "timeout refused");
                    self.peers[i].rtc.disconnect();
                }
                let props = self.drain(i, now);
                self.propagate(props, now);
            }
            i += 1;
        }
        for room in self.rooms.values_mut() {
            let t = now.saturating_duration_since(room.opened);
            for (_, p) in room.presence.values_mut() {
                p.tick(t);
            }
        }
    }

    /// When `tick` is next needed.
    pub fn next_timeout(&self, now: Instant) -> Instant {
        let soonest = self.peers.iter().map(|p| p.timeout).min();
        let presence = now + Duration::from_secs(1);
        soonest.map_or(presence, |t| t.min(presence)).max(now)
    }

    pub fn poll(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Who was present in `room` and when, for billing.
    pub fn attendance(&self, room: RoomId) -> Vec<Attendance> {
        let Some(r) = self.rooms.get(&room) else {
            return Vec::new();
        };
        let mut v: Vec<Attendance> = r
            .presence
            .iter()
            .map(|(account, (role, p))| Attendance {
                account: *account,
                role: *role,
                intervals: p.intervals(),
            })
            .collect();
        v.sort_by_key(|a| a.account);
        v
    }

    /// When `room` opened (the origin of its attendance intervals).
    pub fn opened(&self, room: RoomId) -> Option<Instant> {
        self.rooms.get(&room).map(|r| r.opened)
    }

    /// Closes a room: everyone is disconnected and its record dropped. Returns the final
    /// attendance.
    pub fn close_room(&mut self, room: RoomId, now: Instant) -> Vec<Attendance> {
        let ids: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|p| p.room == room)
            .map(|p| p.id)
            .collect();
        for id in ids {
            self.leave(id, now);
        }
        let a = self.attendance(room);
        self.rooms.remove(&room);
        a
    }

    fn index(&self, peer: PeerId) -> Option<usize> {
        self.peers.iter().position(|p| p.id == peer)
    }

    /// Drains one participant's output into ours, turning events into propagations.
    fn drain(&mut self, idx: usize, now: Instant) -> Vec<Prop> {
        let mut props = Vec::new();
        let bitrate = self.limits.bitrate_per_participant_bps;
        loop {
            let p = &mut self.peers[idx];
            if !p.rtc.is_alive() {
                props.push(Prop::Gone(p.id));
                break;
            }
            let output = match p.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(peer = p.id.0, error = %e, "participant failed");
                    p.rtc.disconnect();
                    props.push(Prop::Gone(p.id));
                    break;
                }
            };
            match output {
                RtcOutput::Timeout(t) => {
                    p.timeout = t;
                    break;
                }
                RtcOutput::Transmit(t) => self.out.push_back(Output::Transmit {
                    proto: t.proto,
                    source: t.source,
                    destination: t.destination,
                    data: t.contents.into(),
                }),
                RtcOutput::Event(e) => match e {
                    Event::Connected => {
                        p.connected = true;
                        self.out.push_back(Output::Connected {
                            room: p.room,
                            peer: p.id,
                        });
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected)
                    | Event::Closed => {
                        p.rtc.disconnect();
                        props.push(Prop::Gone(p.id));
                        break;
                    }
                    Event::MediaAdded(m) => {
                        if matches!(m.direction, Direction::RecvOnly | Direction::SendRecv) {
                            p.tracks_in.push(TrackIn {
                                mid: m.mid,
                                kind: m.kind,
                            });
                            if let Some(rx) = p.rtc.direct_api().stream_rx_by_mid(m.mid, None) {
                                rx.request_remb(Bitrate::bps(bitrate));
                            }
                            props.push(Prop::TrackOpen {
                                origin: p.id,
                                mid: m.mid,
                                kind: m.kind,
                            });
                        }
                    }
                    Event::MediaData(data) => {
                        let (origin, room, account) = (p.id, p.room, p.account);
                        if !data.contiguous {
                            request_keyframe(p, data.mid, KeyframeRequestKind::Fir, now);
                        }
                        if let Some(r) = self.rooms.get_mut(&room)
                            && let Some((_, presence)) = r.presence.get_mut(&account)
                        {
                            presence.media(now.saturating_duration_since(r.opened));
                        }
                        props.push(Prop::Media {
                            origin,
                            data: Box::new(data),
                        });
                    }
                    Event::KeyframeRequest(req) => {
                        let found = p
                            .tracks_out
                            .iter()
                            .find(|t| t.state == OutState::Open(req.mid));
                        if let Some(t) = found {
                            props.push(Prop::Keyframe {
                                origin: t.origin,
                                mid: t.origin_mid,
                                kind: req.kind,
                            });
                        }
                    }
                    _ => {}
                },
            }
        }
        props
    }

    /// Applies what one participant's events mean for the others, until nothing is left.
    fn propagate(&mut self, props: Vec<Prop>, now: Instant) {
        let mut queue: VecDeque<Prop> = props.into();
        while let Some(prop) = queue.pop_front() {
            match prop {
                Prop::TrackOpen { origin, mid, kind } => {
                    let Some(room) = self.index(origin).map(|i| self.peers[i].room) else {
                        continue;
                    };
                    for i in 0..self.peers.len() {
                        if self.peers[i].room == room && self.peers[i].id != origin {
                            self.peers[i].tracks_out.push(TrackOut {
                                origin,
                                origin_mid: mid,
                                kind,
                                state: OutState::ToOpen,
                            });
                            self.negotiate(i);
                            queue.extend(self.drain(i, now));
                        }
                    }
                }
                Prop::Media { origin, data } => {
                    let Some(room) = self.index(origin).map(|i| self.peers[i].room) else {
                        continue;
                    };
                    let others: Vec<PeerId> = self.rooms.get(&room).map_or(Vec::new(), |r| {
                        r.peers.iter().copied().filter(|p| *p != origin).collect()
                    });
                    for other in others {
                        let Some(i) = self.index(other) else {
                            continue;
                        };
                        let p = &mut self.peers[i];
                        if !p.connected {
                            continue;
                        }
                        let Some(out_mid) = p.tracks_out.iter().find_map(|t| match t.state {
                            OutState::Open(m) if t.origin == origin && t.origin_mid == data.mid => {
                                Some(m)
                            }
                            _ => None,
                        }) else {
                            continue;
                        };
                        let Some(writer) = p.rtc.writer(out_mid) else {
                            continue;
                        };
                        let Some(pt) = writer.match_params(data.params) else {
                            continue;
                        };
                        if let Err(e) =
                            writer.write(pt, data.network_time, data.time, data.data.clone())
                        {
                            tracing::debug!(peer = p.id.0, error = %e, "forwarding failed");
                            p.rtc.disconnect();
                        }
                        queue.extend(self.drain(i, now));
                    }
                }
                Prop::Keyframe { origin, mid, kind } => {
                    if let Some(i) = self.index(origin) {
                        request_keyframe(&mut self.peers[i], mid, kind, now);
                        queue.extend(self.drain(i, now));
                    }
                }
                Prop::Gone(peer) => {
                    if let Some(i) = self.index(peer) {
                        queue.extend(self.remove(i, now));
                    }
                }
            }
        }
    }

    /// Offers the participant the tracks waiting for them, if no offer is out already.
    fn negotiate(&mut self, idx: usize) {
        let p = &mut self.peers[idx];
        if p.pending.is_some() || !p.rtc.is_alive() {
            return;
        }
        let waiting: Vec<usize> = (0..p.tracks_out.len())
            .filter(|i| p.tracks_out[*i].state == OutState::ToOpen)
            .collect();
        if waiting.is_empty() && p.to_stop.is_empty() {
            return;
        }
        let mut change = p.rtc.sdp_api();
        let mut mids = Vec::new();
        for i in &waiting {
            let t = &p.tracks_out[*i];
            mids.push((
                *i,
                change.add_media(
                    t.kind,
                    Direction::SendOnly,
                    Some(format!("p{}", t.origin.0)),
                    None,
                    None,
                ),
            ));
        }
        for mid in p.to_stop.drain(..) {
            change.stop_media(mid);
        }
        let Some((offer, pending)) = change.apply() else {
            return;
        };
        for (i, mid) in mids {
            p.tracks_out[i].state = OutState::Negotiating(mid);
        }
        p.pending = Some(pending);
        self.out.push_back(Output::Offer {
            peer: p.id,
            sdp: offer.to_sdp_string(),
        });
    }

    /// Takes a participant out: their presence interval ends, others stop receiving
    /// their tracks. Returns what the others' renegotiation produced.
    fn remove(&mut self, idx: usize, now: Instant) -> Vec<Prop> {
        let p = self.peers.remove(idx);
        self.by_source.retain(|_, id| *id != p.id);
        let mut props = Vec::new();
        if let Some(r) = self.rooms.get_mut(&p.room) {
            r.peers.retain(|x| *x != p.id);
            if let Some((_, presence)) = r.presence.get_mut(&p.account) {
                presence.leave(now.saturating_duration_since(r.opened));
            }
        }
        for i in 0..self.peers.len() {
            let other = &mut self.peers[i];
            let mut stop = Vec::new();
            other.tracks_out.retain(|t| {
                if t.origin != p.id {
                    return true;
                }
                match t.state {
                    OutState::Open(m) | OutState::Negotiating(m) => stop.push(m),
                    OutState::ToOpen => {}
                }
                false
            });
            if !stop.is_empty() {
                other.to_stop.extend(stop);
                self.negotiate(i);
                props.extend(self.drain(i, now));
            }
        }
        tracing::info!(
            room = p.room,
            peer = p.id.0,
            account = p.account,
            "participant gone"
        );
        self.out.push_back(Output::Gone {
            room: p.room,
            peer: p.id,
            account: p.account,
        });
        props
    }
}

fn request_keyframe(p: &mut Peer, mid: Mid, kind: KeyframeRequestKind, now: Instant) {
    if p.last_keyframe_request
        .is_some_and(|t| now.saturating_duration_since(t) < KEYFRAME_EVERY)
    {
        return;
    }
    if let Some(mut w) = p.rtc.writer(mid)
        && w.is_request_keyframe_possible(kind)
        && w.request_keyframe(None, kind).is_ok()
    {
        p.last_keyframe_request = Some(now);
    }
}
