//! The sans-IO core on a simulated network and clock: str0m peers and the `Sfu` exchange
//! datagrams in memory while time advances in 5 ms steps. No sockets, no sleeps.

use onhand_media::presence::{Interval, billable};
use onhand_media::{Limits, Output as SfuOutput, PeerId, Role, Sfu};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

const SERVER: &str = "10.0.0.1:5000";

struct Peer {
    addr: SocketAddr,
    rtc: Rtc,
    id: PeerId,
    audio: Mid,
    video: Mid,
    kinds: HashMap<Mid, MediaKind>,
    frames: HashMap<MediaKind, usize>,
    connected: bool,
    sending: bool,
}

struct World {
    sfu: Sfu,
    now: Instant,
    start: Instant,
    peers: Vec<Peer>,
    next_port: u16,
}

impl World {
    fn new(limits: Limits) -> World {
        let now = Instant::now();
        World {
            sfu: Sfu::new(limits, vec![SERVER.parse().unwrap()]),
            now,
            start: now,
            peers: Vec::new(),
            next_port: 40000,
        }
    }

    fn join(
        &mut self,
        room: i64,
        account: i64,
        role: Role,
    ) -> Result<usize, onhand_media::JoinError> {
        let addr: SocketAddr = format!("10.0.0.2:{}", self.next_port).parse().unwrap();
        self.next_port += 1;
        let mut rtc = Rtc::builder().build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut change = rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        let (id, answer) = self
            .sfu
            .join(room, account, role, &offer.to_sdp_string(), self.now)?;
        rtc.sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        self.peers.push(Peer {
            addr,
            rtc,
            id,
            audio,
            video,
            kinds: HashMap::new(),
            frames: HashMap::new(),
            connected: false,
            sending: true,
        });
        Ok(self.peers.len() - 1)
    }

    /// One 5 ms step: peers send, everything in flight is delivered, timers run.
    fn step(&mut self) {
        self.now += Duration::from_millis(5);
        let now = self.now;
        let elapsed = now - self.start;
        for p in &mut self.peers {
            p.rtc.handle_input(Input::Timeout(now)).unwrap();
            if p.connected && p.sending {
                let ms = elapsed.as_millis();
                if ms.is_multiple_of(20) {
                    let w = p.rtc.writer(p.audio).unwrap();
                    let pt = w
                        .payload_params()
                        .find(|x| x.spec().codec == Codec::Opus)
                        .unwrap()
                        .pt();
                    w.write(pt, now, MediaTime::from(elapsed), vec![3u8; 60])
                        .unwrap();
                }
                if ms.is_multiple_of(40) {
                    let w = p.rtc.writer(p.video).unwrap();
                    let pt = w
                        .payload_params()
                        .find(|x| x.spec().codec == Codec::Vp8)
                        .unwrap()
                        .pt();
                    let mut frame = vec![9u8; 1500];
                    frame[0] = 0x10;
                    w.write(pt, now, MediaTime::from(elapsed), frame).unwrap();
                }
            }
        }
        self.sfu.tick(now);
        self.settle();
    }

    /// Delivers datagrams and signaling until nothing moves.
    fn settle(&mut self) {
        let server: SocketAddr = SERVER.parse().unwrap();
        for _ in 0..50 {
            let mut moved = false;
            for i in 0..self.peers.len() {
                loop {
                    let out = self.peers[i].rtc.poll_output().unwrap();
                    match out {
                        Output::Timeout(_) => break,
                        Output::Transmit(t) => {
                            moved = true;
                            self.sfu.receive(
                                Protocol::Udp,
                                t.source,
                                t.destination,
                                &t.contents,
                                self.now,
                            );
                        }
                        Output::Event(e) => {
                            let p = &mut self.peers[i];
                            match e {
                                Event::Connected => p.connected = true,
                                Event::MediaAdded(m) => {
                                    p.kinds.insert(m.mid, m.kind);
                                }
                                Event::MediaData(d) => {
                                    let k =
                                        p.kinds.get(&d.mid).copied().unwrap_or(MediaKind::Audio);
                                    *p.frames.entry(k).or_default() += 1;
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            while let Some(o) = self.sfu.poll() {
                moved = true;
                match o {
                    SfuOutput::Transmit {
                        destination, data, ..
                    } => {
                        if let Some(p) = self.peers.iter_mut().find(|p| p.addr == destination) {
                            let r =
                                Receive::new(Protocol::Udp, server, destination, &data).unwrap();
                            p.rtc.handle_input(Input::Receive(self.now, r)).unwrap();
                        }
                    }
                    SfuOutput::Offer { peer, sdp } => {
                        if let Some(p) = self.peers.iter_mut().find(|p| p.id == peer) {
                            let answer = p
                                .rtc
                                .sdp_api()
                                .accept_offer(SdpOffer::from_sdp_string(&sdp).unwrap())
                                .unwrap();
                            self.sfu
                                .answer(peer, &answer.to_sdp_string(), self.now)
                                .unwrap();
                        }
                    }
                    _ => {}
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn run(&mut self, d: Duration) {
        let until = self.now + d;
        while self.now < until {
            self.step();
        }
    }

    fn secs(&self) -> Duration {
        self.now - self.start
    }
}

#[test]
fn peers_join_forward_leave_and_rejoin_in_simulated_time() {
    let mut w = World::new(Limits::default());
    let provider = w.join(1, 10, Role::Provider).unwrap();
    let buyer = w.join(1, 20, Role::Buyer).unwrap();
    w.run(Duration::from_secs(3));
    for i in [provider, buyer] {
        let p = &w.peers[i];
        assert!(p.connected);
        assert!(
            p.frames.get(&MediaKind::Audio).copied().unwrap_or(0) > 100,
            "{:?}",
            p.frames
        );
        assert!(
            p.frames.get(&MediaKind::Video).copied().unwrap_or(0) > 50,
            "{:?}",
            p.frames
        );
    }
    // The buyer leaves at ~3 s; the provider keeps sending alone for 6 s.
    let left_at = w.secs();
    let gone = w.peers.remove(buyer).id;
    w.sfu.leave(gone, w.now);
    w.run(Duration::from_secs(6));
    let rejoin_at = w.secs();
    let again = w.join(1, 20, Role::Buyer).unwrap();
    w.run(Duration::from_secs(3));
    assert!(
        w.peers[again]
            .frames
            .get(&MediaKind::Video)
            .copied()
            .unwrap_or(0)
            > 30
    );

    let attendance = w.sfu.attendance(1);
    let p = attendance.iter().find(|a| a.account == 10).unwrap();
    let b = attendance.iter().find(|a| a.account == 20).unwrap();
    assert_eq!(b.intervals.len(), 2, "{attendance:?}");
    let first: Interval = b.intervals[0];
    assert!(
        first.end <= left_at,
        "{first:?} ends by the leave at {left_at:?}"
    );
    assert!(b.intervals[1].start >= rejoin_at);
    let both = billable(&p.intervals, &b.intervals);
    // ~3 s before the leave, ~3 s after the rejoin, less connection set-up.
    assert!(
        both > Duration::from_millis(5000) && both <= Duration::from_secs(6),
        "{both:?}"
    );
    // The provider was present the whole time, alone in the middle.
    assert!(p.intervals.iter().map(Interval::len).sum::<Duration>() > Duration::from_secs(11));
}

#[test]
fn a_room_where_only_one_side_connects_bills_nothing() {
    let mut w = World::new(Limits::default());
    let provider = w.join(5, 10, Role::Provider).unwrap();
    w.run(Duration::from_secs(2));
    assert!(w.peers[provider].connected);
    let attendance = w.sfu.close_room(5, w.now);
    let p = attendance.iter().find(|a| a.account == 10).unwrap();
    assert!(!p.intervals.is_empty());
    assert_eq!(billable(&p.intervals, &[]), Duration::ZERO);
    assert_eq!(w.sfu.rooms_open(), 0);
}

#[test]
fn limits_are_enforced_in_the_core() {
    let mut w = World::new(Limits {
        rooms: 2,
        participants_per_room: 2,
        bitrate_per_participant_bps: 500_000,
    });
    w.join(1, 1, Role::Provider).unwrap();
    w.join(1, 2, Role::Buyer).unwrap();
    assert_eq!(
        w.join(1, 3, Role::Buyer).err(),
        Some(onhand_media::JoinError::RoomFull(2))
    );
    w.join(2, 4, Role::Provider).unwrap();
    assert_eq!(
        w.join(3, 5, Role::Provider).err(),
        Some(onhand_media::JoinError::TooManyRooms(2))
    );
    // A participant who leaves frees the seat.
    let gone = w.peers[1].id;
    w.sfu.leave(gone, w.now);
    w.join(1, 3, Role::Buyer).unwrap();
}
