//! The media server over real loopback UDP, with str0m peers in the client role: what
//! each peer sends arrives at the others, and connected time follows what the peers did,
//! including a drop and a rejoin.

use onhand_media::driver::{MediaServer, PeerEvent};
use onhand_media::presence::billable;
use onhand_media::{Limits, PeerId, Role};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc;

/// A browser stand-in: sends synthetic audio (Opus-sized) and video (VP8 keyframes), and
/// counts what it receives by kind.
struct Peer {
    name: String,
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    /// ICE-TCP instead of UDP: the stream, its address, and bytes read so far.
    tcp: Option<(TcpStream, SocketAddr, Vec<u8>)>,
    audio: Mid,
    video: Mid,
    id: PeerId,
    events: mpsc::UnboundedReceiver<PeerEvent>,
    kinds: HashMap<Mid, MediaKind>,
    received: HashMap<MediaKind, usize>,
    connected: bool,
    started: Instant,
    last_audio: Option<Instant>,
    last_video: Option<Instant>,
}

impl Peer {
    async fn join(server: &MediaServer, room: i64, account: i64, role: Role, name: &str) -> Peer {
        Peer::join_over(server, room, account, role, name, false).await
    }

    async fn join_over(
        server: &MediaServer,
        room: i64,
        account: i64,
        role: Role,
        name: &str,
        over_tcp: bool,
    ) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let local = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder().build(Instant::now());
        let tcp = if over_tcp {
            let stream = TcpStream::connect(server.advertised_addr()).unwrap();
            stream.set_nonblocking(true).unwrap();
            stream.set_nodelay(true).unwrap();
            let addr = stream.local_addr().unwrap();
            let c = Candidate::builder()
                .tcp()
                .host(addr)
                .tcptype(TcpType::Active)
                .build()
                .unwrap();
            rtc.add_local_candidate(c);
            Some((stream, addr, Vec::new()))
        } else {
            rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
            None
        };
        let mut change = rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        let joined = server
            .join(room, account, role, offer.to_sdp_string())
            .await
            .unwrap_or_else(|e| panic!("{name} could not join: {e}"));
        rtc.sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&joined.answer).unwrap())
            .unwrap();
        Peer {
            name: name.into(),
            rtc,
            socket,
            local,
            tcp,
            audio,
            video,
            id: joined.peer,
            events: joined.events,
            kinds: HashMap::new(),
            received: HashMap::new(),
            connected: false,
            started: Instant::now(),
            last_audio: None,
            last_video: None,
        }
    }

    /// Reads what arrived, answers server offers, sends media on schedule, drains.
    async fn step(&mut self, server: &MediaServer, send: bool) {
        while let Ok(event) = self.events.try_recv() {
            if let PeerEvent::Offer(sdp) = event {
                let answer = self
                    .rtc
                    .sdp_api()
                    .accept_offer(SdpOffer::from_sdp_string(&sdp).unwrap())
                    .unwrap();
                self.drain();
                server
                    .answer(self.id, answer.to_sdp_string())
                    .await
                    .unwrap_or_else(|e| panic!("{}: answer refused: {e}", self.name));
            }
        }
        let mut frames = Vec::new();
        if let Some((stream, addr, pending)) = &mut self.tcp {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&chunk[..n]);
            }
            while pending.len() >= 2 {
                let n = u16::from_be_bytes([pending[0], pending[1]]) as usize;
                if pending.len() < 2 + n {
                    break;
                }
                frames.push((pending[2..2 + n].to_vec(), *addr));
                pending.drain(..2 + n);
            }
        }
        for (frame, addr) in frames {
            let input = Input::Receive(
                Instant::now(),
                Receive::new(Protocol::Tcp, server.advertised_addr(), addr, &frame).unwrap(),
            );
            self.rtc.handle_input(input).unwrap();
            self.drain();
        }
        let mut buf = [0u8; 2048];
        while let Ok((n, source)) = self.socket.recv_from(&mut buf) {
            let input = Input::Receive(
                Instant::now(),
                Receive::new(Protocol::Udp, source, self.local, &buf[..n]).unwrap(),
            );
            self.rtc.handle_input(input).unwrap();
            self.drain();
        }
        self.rtc
            .handle_input(Input::Timeout(Instant::now()))
            .unwrap();
        self.drain();
        if send && self.connected {
            self.send_media();
        }
    }

    fn send_media(&mut self) {
        let now = Instant::now();
        let elapsed = now - self.started;
        if self
            .last_audio
            .is_none_or(|t| now - t >= Duration::from_millis(20))
        {
            self.last_audio = Some(now);
            let w = self.rtc.writer(self.audio).unwrap();
            let pt = w
                .payload_params()
                .find(|p| p.spec().codec == Codec::Opus)
                .unwrap()
                .pt();
            w.write(pt, now, MediaTime::from(elapsed), vec![7u8; 80])
                .unwrap();
            self.drain();
        }
        if self
            .last_video
            .is_none_or(|t| now - t >= Duration::from_millis(33))
        {
            self.last_video = Some(now);
            let w = self.rtc.writer(self.video).unwrap();
            let pt = w
                .payload_params()
                .find(|p| p.spec().codec == Codec::Vp8)
                .unwrap()
                .pt();
            // A VP8 payload whose first byte says "keyframe"; ~125 kB/s like a small camera.
            let mut frame = vec![0x5au8; 4000];
            frame[0] = 0x10;
            w.write(pt, now, MediaTime::from(elapsed), frame).unwrap();
            self.drain();
        }
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(_) => break,
                Output::Transmit(t) => match (&mut self.tcp, t.proto) {
                    (Some((stream, _, _)), Protocol::Tcp) => {
                        let mut frame = (t.contents.len() as u16).to_be_bytes().to_vec();
                        frame.extend_from_slice(&t.contents);
                        let _ = write_fully(stream, &frame);
                    }
                    _ => {
                        let _ = self.socket.send_to(&t.contents, t.destination);
                    }
                },
                Output::Event(e) => match e {
                    Event::Connected => self.connected = true,
                    Event::MediaAdded(m) => {
                        self.kinds.insert(m.mid, m.kind);
                    }
                    Event::MediaData(d) => {
                        let kind = self.kinds.get(&d.mid).copied().unwrap_or(MediaKind::Audio);
                        *self.received.entry(kind).or_default() += 1;
                    }
                    _ => {}
                },
            }
        }
    }

    fn got(&self, kind: MediaKind) -> usize {
        self.received.get(&kind).copied().unwrap_or(0)
    }
}

/// Writes all of `data` to a non-blocking stream, waiting out `WouldBlock`.
fn write_fully(stream: &mut TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn run_for(server: &MediaServer, peers: &mut [Peer], how_long: Duration) {
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        for p in peers.iter_mut() {
            p.step(server, true).await;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn server() -> MediaServer {
    MediaServer::start("127.0.0.1:0".parse().unwrap(), None, Limits::default())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_receive_each_others_audio_and_video_and_connected_time_is_their_overlap() {
    let server = server().await;
    let room = 41;
    let mut peers = vec![
        Peer::join(&server, room, 1, Role::Provider, "provider").await,
        Peer::join(&server, room, 2, Role::Buyer, "buyer").await,
    ];
    run_for(&server, &mut peers, Duration::from_secs(3)).await;
    for p in &peers {
        assert!(p.connected, "{} connected", p.name);
        assert!(
            p.got(MediaKind::Audio) > 30,
            "{} got {:?}",
            p.name,
            p.received
        );
        assert!(
            p.got(MediaKind::Video) > 15,
            "{} got {:?}",
            p.name,
            p.received
        );
    }

    // The buyer drops (leaves over signaling), then rejoins on a new connection.
    let buyer = peers.pop().unwrap();
    server.leave(buyer.id);
    drop(buyer);
    run_for(&server, &mut peers, Duration::from_millis(1500)).await;
    peers.push(Peer::join(&server, room, 2, Role::Buyer, "buyer again").await);
    run_for(&server, &mut peers, Duration::from_secs(2)).await;
    assert!(
        peers[1].got(MediaKind::Video) > 5,
        "the rejoined buyer sees the provider: {:?}",
        peers[1].received
    );

    let (_, attendance) = server.close_room(room).await;
    let provider = attendance.iter().find(|a| a.account == 1).unwrap();
    let buyer = attendance.iter().find(|a| a.account == 2).unwrap();
    assert_eq!(buyer.intervals.len(), 2, "{attendance:?}");
    let both = billable(&provider.intervals, &buyer.intervals);
    // About 3 s before the drop and 2 s after the rejoin (minus connection set-up).
    assert!(
        both > Duration::from_millis(3500) && both < Duration::from_millis(5200),
        "billable {both:?}: {attendance:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_peers_each_receive_the_other_four() {
    let server = server().await;
    let mut peers = Vec::new();
    for i in 0..5 {
        let role = if i == 0 { Role::Provider } else { Role::Buyer };
        peers.push(Peer::join(&server, 7, 100 + i, role, &format!("peer {i}")).await);
    }
    run_for(&server, &mut peers, Duration::from_secs(4)).await;
    for p in &peers {
        // Four senders each: at least a few dozen frames from all of them.
        assert!(
            p.got(MediaKind::Audio) > 4 * 20,
            "{} got {:?}",
            p.name,
            p.received
        );
        assert!(
            p.got(MediaKind::Video) > 4 * 10,
            "{} got {:?}",
            p.name,
            p.received
        );
        assert_eq!(
            p.kinds.values().filter(|k| **k == MediaKind::Video).count(),
            4,
            "{} has one video track per other peer",
            p.name
        );
    }
}

#[tokio::test]
async fn rooms_refuse_participants_beyond_their_limit_and_garbage_offers() {
    let server = MediaServer::start(
        "127.0.0.1:0".parse().unwrap(),
        None,
        Limits {
            rooms: 1,
            participants_per_room: 2,
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let _a = Peer::join(&server, 1, 1, Role::Provider, "a").await;
    let garbage = server
        .join(1, 3, Role::Buyer, "v=0\r\nnot sdp".into())
        .await;
    assert!(
        matches!(garbage, Err(onhand_media::JoinError::BadOffer(_))),
        "{:?}",
        garbage.err()
    );
    let _b = Peer::join(&server, 1, 2, Role::Buyer, "b").await;
    let rtc_offer = || {
        let mut rtc = Rtc::builder().build(Instant::now());
        let mut change = rtc.sdp_api();
        change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        change.apply().unwrap().0.to_sdp_string()
    };
    let full = server.join(1, 3, Role::Buyer, rtc_offer()).await;
    assert!(matches!(full, Err(onhand_media::JoinError::RoomFull(2))));
    let other_room = server.join(2, 3, Role::Buyer, rtc_offer()).await;
    assert!(matches!(
        other_room,
        Err(onhand_media::JoinError::TooManyRooms(1))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_on_ice_tcp_exchanges_media_with_a_peer_on_udp() {
    let server = server().await;
    let mut peers = vec![
        Peer::join_over(&server, 9, 1, Role::Provider, "udp provider", false).await,
        Peer::join_over(&server, 9, 2, Role::Buyer, "tcp buyer", true).await,
    ];
    run_for(&server, &mut peers, Duration::from_secs(3)).await;
    for p in &peers {
        assert!(p.connected, "{} connected", p.name);
        assert!(
            p.got(MediaKind::Video) > 15,
            "{} got {:?}",
            p.name,
            p.received
        );
        assert!(
            p.got(MediaKind::Audio) > 30,
            "{} got {:?}",
            p.name,
            p.received
        );
    }
}
