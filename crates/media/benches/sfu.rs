//! The media server under load, against the floor of a plain UDP relay.
//!
//! `cargo bench -p onhand-media --bench sfu [-- --seconds 6 --max-rooms 256]`
//!
//! The server runs in a child process (this binary with `--serve`), so its CPU time is
//! its own (read from /proc). This process plays N rooms of two str0m peers; each peer
//! sends ~1 Mbps of video (30 frames/s of 4,166 bytes, a synthetic VP8 keyframe) and 50
//! audio frames/s, and receives the other's through the server. Each step doubles N until
//! the server passes 70 % of one core (its forwarding loop is one task) or loses 2 % of
//! frames; two halvings then narrow the largest load within that limit.
//! Reported per step: forwarded streams, server CPU, packets/s forwarded, frame loss, and the
//! end-to-end delay of video frames (p50/p99; sender stamp to receiver, same clock).
//!
//! The floor: a child with `--relay` that forwards plain UDP datagrams between pairs (no
//! ICE, DTLS or SRTP), fed the same packet sizes and rates; the ratio of CPU per packet
//! is ours over the floor's.
//!
//! The established peer: if Debian's `janus` is installed, the same rooms through Janus's
//! videoroom plugin (its own configuration in a temporary folder, one event loop, HTTP API
//! on loopback; each peer publishes on one connection and subscribes to the other's feed on
//! a second, as Janus works), with its whole process's CPU. `--no-janus` leaves it out.

use onhand_media::driver::{MediaServer, PeerEvent};
use onhand_media::{Limits, Role};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

const VIDEO_FRAME: usize = 4166;
const VIDEO_FPS: u64 = 30;
const AUDIO_FRAME: usize = 80;
const AUDIO_FPS: u64 = 50;
const WARM_UP: Duration = Duration::from_secs(3);
const CPU_LIMIT: f64 = 0.70;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    if args.iter().any(|a| a == "--relay") {
        relay();
        return;
    }
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = Duration::from_secs(flag("--seconds", 6));
    let max_rooms = flag("--max-rooms", 256) as usize;
    let ticks = clock_ticks();

    println!("Onhand SFU: rooms of 2 peers, ~1 Mbps video + audio each way; {seconds:?} per step");
    println!(
        "{:>6} {:>9} {:>9} {:>11} {:>8} {:>10} {:>10} {:>14}",
        "rooms", "streams", "cpu %", "pkts/s fwd", "loss %", "p50 ms", "p99 ms", "cpu µs/pkt"
    );
    let mut best: Option<Step> = None;
    let mut rooms = 1;
    let mut failed = None;
    let within = |s: &Step| s.cpu <= CPU_LIMIT && s.loss < 0.02;
    while rooms <= max_rooms {
        let step = sfu_step(rooms, seconds, ticks);
        print_step(&step);
        if !within(&step) {
            failed = Some(rooms);
            break;
        }
        best = Some(step);
        rooms *= 2;
    }
    // Between the last load within the limit and the first beyond it, two halvings.
    if let (Some(mut high), Some(mut low)) = (failed, best.as_ref().map(|b| b.rooms)) {
        for _ in 0..2 {
            let rooms = (low + high) / 2;
            if rooms == low {
                break;
            }
            let step = sfu_step(rooms, seconds, ticks);
            print_step(&step);
            if within(&step) {
                low = rooms;
                best = Some(step);
            } else {
                high = rooms;
            }
        }
    }
    let floor_rooms = best.as_ref().map_or(1, |s| s.rooms);
    println!("\nFloor: plain UDP relay, same packets for {floor_rooms} rooms");
    let floor = relay_step(floor_rooms, seconds, ticks);
    print_step(&floor);
    // Janus at half our largest load and at all of it (it may not keep up there).
    let janus = janus_comparison(&[floor_rooms / 2, floor_rooms], seconds, ticks, &args);
    if let Some(b) = best {
        println!(
            "\nAt ≤ {:.0} % of a core: {} forwarded streams ({} per core at that load), {:.0} packets/s forwarded; \
             CPU per packet {:.1}× the plain relay's.",
            CPU_LIMIT * 100.0,
            b.streams,
            (b.streams as f64 / b.cpu.max(0.01)).round(),
            b.pps,
            b.cpu_per_packet_us / floor.cpu_per_packet_us.max(0.001)
        );
        for j in janus {
            let ours = b.cpu / b.streams as f64;
            let theirs = j.cpu / j.streams as f64;
            println!(
                "Janus, {} rooms: {:.3} % of a core per forwarded stream, {:.1} µs per packet, {:.2} % loss; \
                 ours at {} rooms: {:.3} %, {:.1} µs: ours uses {:.2}× Janus's CPU per stream.",
                j.rooms,
                theirs * 100.0,
                j.cpu_per_packet_us,
                j.loss * 100.0,
                b.rooms,
                ours * 100.0,
                b.cpu_per_packet_us,
                ours / theirs.max(1e-9),
            );
        }
    }
}

/// Janus at these loads, if it is installed (Debian package `janus`); says so loudly if not.
fn janus_comparison(loads: &[usize], seconds: Duration, ticks: f64, args: &[String]) -> Vec<Step> {
    if args.iter().any(|a| a == "--no-janus") {
        return Vec::new();
    }
    let binary = std::path::PathBuf::from("/usr/bin/janus");
    if !binary.is_file() {
        println!("\n*** Janus skipped: /usr/bin/janus is missing (apt-get install janus) ***");
        return Vec::new();
    }
    let Some(ip) = outward_ip() else {
        println!(
            "\n*** Janus skipped: it never offers loopback candidates, and this machine has no other address ***"
        );
        return Vec::new();
    };
    println!("\nEstablished peer: Janus videoroom (one event loop), same packets, peers on {ip}");
    let mut steps = Vec::new();
    for &rooms in loads.iter().filter(|r| **r > 0) {
        let step = janus_step(&binary, ip, rooms, seconds, ticks);
        print_step(&step);
        steps.push(step);
    }
    steps
}

struct Step {
    rooms: usize,
    streams: usize,
    cpu: f64,
    pps: f64,
    loss: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_per_packet_us: f64,
}

fn print_step(s: &Step) {
    println!(
        "{:>6} {:>9} {:>9.1} {:>11.0} {:>8.2} {:>10.2} {:>10.2} {:>14.2}",
        s.rooms,
        s.streams,
        s.cpu * 100.0,
        s.pps,
        s.loss * 100.0,
        s.p50_ms,
        s.p99_ms,
        s.cpu_per_packet_us
    );
}

fn clock_ticks() -> f64 {
    // Linux reports process times in USER_HZ, 100 on every mainstream configuration.
    100.0
}

/// The child's user + system CPU time in seconds.
fn cpu_seconds(pid: u32, ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (n(11) + n(12)) / ticks
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

// ---------- the SFU, in a child process, driven over stdin/stdout lines ----------

fn serve() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let limits = Limits {
            rooms: 10_000,
            participants_per_room: 13,
            bitrate_per_participant_bps: 5_000_000,
        };
        let server = MediaServer::start("127.0.0.1:0".parse().unwrap(), None, limits)
            .await
            .unwrap();
        let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        println!("PORT {}", server.local_addr().port());
        tokio::spawn(async move {
            while let Some(line) = out_rx.recv().await {
                println!("{line}");
            }
        });
        let (line_tx, mut line_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut peers = HashMap::new();
        while let Some(line) = line_rx.recv().await {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let account = v["account"].as_i64().unwrap();
            match v["op"].as_str().unwrap() {
                "join" => {
                    let role = if account % 2 == 0 { Role::Provider } else { Role::Buyer };
                    let joined = server
                        .join(v["room"].as_i64().unwrap(), account, role, v["sdp"].as_str().unwrap().into())
                        .await
                        .unwrap();
                    peers.insert(account, joined.peer);
                    let _ = out_tx.send(
                        serde_json::json!({"op": "answer", "account": account, "sdp": joined.answer}).to_string(),
                    );
                    let tx = out_tx.clone();
                    let mut events = joined.events;
                    tokio::spawn(async move {
                        while let Some(e) = events.recv().await {
                            if let PeerEvent::Offer(sdp) = e {
                                let _ = tx.send(
                                    serde_json::json!({"op": "offer", "account": account, "sdp": sdp}).to_string(),
                                );
                            }
                        }
                    });
                }
                "answer" => {
                    if let Some(peer) = peers.get(&account)
                        && let Err(e) = server.answer(*peer, v["sdp"].as_str().unwrap().into()).await
                    {
                        eprintln!("answer refused: {e}");
                    }
                }
                _ => {}
            }
        }
    });
}

struct Child2 {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    port: u16,
}

impl Drop for Child2 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(mode: &str) -> Child2 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines.recv_timeout(Duration::from_secs(10)).unwrap();
    let port = first.strip_prefix("PORT ").unwrap().parse().unwrap();
    Child2 {
        child,
        stdin,
        lines,
        port,
    }
}

struct Peer {
    account: i64,
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    /// The audio and video mids this peer sends on; None for a receive-only connection
    /// (Janus subscribes over a second connection).
    sends: Option<(Mid, Mid)>,
    kinds: HashMap<Mid, MediaKind>,
    connected: bool,
    next_audio: Instant,
    next_video: Instant,
    sent_video: u64,
    got_video: u64,
    /// RTP packets received per mid, as the last stats said, and at the window's start.
    packets: HashMap<Mid, u64>,
    packets_at_start: u64,
    delays_ms: Vec<f64>,
    measuring: bool,
}

impl Peer {
    fn new(account: i64, ip: std::net::IpAddr) -> Peer {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).unwrap();
        socket.set_nonblocking(true).unwrap();
        let local = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder()
            .set_stats_interval(Some(Duration::from_secs(1)))
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
        let now = Instant::now();
        Peer {
            account,
            rtc,
            socket,
            local,
            sends: None,
            kinds: HashMap::new(),
            connected: false,
            next_audio: now,
            next_video: now,
            sent_video: 0,
            got_video: 0,
            packets: HashMap::new(),
            packets_at_start: 0,
            delays_ms: Vec::new(),
            measuring: false,
        }
    }

    /// An offer to send audio and video; the answer goes to `accept_answer`.
    fn offer(&mut self) -> (String, str0m::change::SdpPendingOffer) {
        let mut change = self.rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        self.sends = Some((audio, video));
        (offer.to_sdp_string(), pending)
    }

    fn accept_answer(&mut self, pending: str0m::change::SdpPendingOffer, sdp: &str) {
        self.rtc
            .sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(sdp).unwrap())
            .unwrap();
    }

    fn accept_offer(&mut self, sdp: &str) -> String {
        self.rtc
            .sdp_api()
            .accept_offer(SdpOffer::from_sdp_string(sdp).unwrap())
            .unwrap()
            .to_sdp_string()
    }

    /// Reads what arrived, lets time pass and sends what is due. True if anything arrived.
    fn step(&mut self, epoch: Instant, buf: &mut [u8]) -> bool {
        let mut busy = false;
        while let Ok((n, source)) = self.socket.recv_from(buf) {
            busy = true;
            let r = Receive::new(Protocol::Udp, source, self.local, &buf[..n]).unwrap();
            self.rtc
                .handle_input(Input::Receive(Instant::now(), r))
                .unwrap();
            self.drain(epoch);
        }
        self.rtc
            .handle_input(Input::Timeout(Instant::now()))
            .unwrap();
        self.drain(epoch);
        let Some((audio, video)) = self.sends.filter(|_| self.connected) else {
            return busy;
        };
        let now = Instant::now();
        if now >= self.next_audio {
            self.next_audio += Duration::from_micros(1_000_000 / AUDIO_FPS);
            let w = self.rtc.writer(audio).unwrap();
            let pt = w
                .payload_params()
                .find(|x| x.spec().codec == Codec::Opus)
                .unwrap()
                .pt();
            w.write(
                pt,
                now,
                MediaTime::from(now - epoch),
                vec![1u8; AUDIO_FRAME],
            )
            .unwrap();
            self.drain(epoch);
        }
        if now >= self.next_video {
            self.next_video += Duration::from_micros(1_000_000 / VIDEO_FPS);
            let w = self.rtc.writer(video).unwrap();
            let pt = w
                .payload_params()
                .find(|x| x.spec().codec == Codec::Vp8)
                .unwrap()
                .pt();
            let mut frame = vec![0x55u8; VIDEO_FRAME];
            frame[0] = 0x10;
            let stamp = (now - epoch).as_micros() as u64;
            frame[1..9].copy_from_slice(&stamp.to_be_bytes());
            w.write(pt, now, MediaTime::from(now - epoch), frame)
                .unwrap();
            if self.measuring {
                self.sent_video += 1;
            }
            self.drain(epoch);
        }
        busy
    }

    fn drain(&mut self, epoch: Instant) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(_) => break,
                Output::Transmit(t) => {
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(e) => match e {
                    Event::Connected => self.connected = true,
                    Event::MediaAdded(m) => {
                        self.kinds.insert(m.mid, m.kind);
                    }
                    Event::MediaData(d)
                        if self.measuring
                            && self.kinds.get(&d.mid) == Some(&MediaKind::Video)
                            && d.data.len() > 9 =>
                    {
                        self.got_video += 1;
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&d.data[1..9]);
                        let sent = u64::from_be_bytes(b);
                        let now = (Instant::now() - epoch).as_micros() as u64;
                        self.delays_ms
                            .push(now.saturating_sub(sent) as f64 / 1000.0);
                    }
                    Event::MediaIngressStats(s) => {
                        self.packets.insert(s.mid, s.packets);
                    }
                    _ => {}
                },
            }
        }
    }
}

fn sfu_step(rooms: usize, seconds: Duration, ticks: f64) -> Step {
    let mut server = spawn("--serve");
    let mut peers: Vec<Peer> = Vec::new();
    for room in 0..rooms {
        for side in 0..2 {
            let account = (room * 2 + side) as i64;
            let mut peer = Peer::new(account, [127, 0, 0, 1].into());
            let (offer, pending) = peer.offer();
            writeln!(
                server.stdin,
                "{}",
                serde_json::json!({"op": "join", "room": room, "account": account, "sdp": offer})
            )
            .unwrap();
            // Offers for other peers may arrive first; keep them for later.
            let answer = loop {
                let line = server.lines.recv_timeout(Duration::from_secs(10)).unwrap();
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                if v["op"] == "answer" && v["account"] == account {
                    break v["sdp"].as_str().unwrap().to_string();
                }
                handle_offer(&mut peers, &mut server, &v);
            };
            peer.accept_answer(pending, &answer);
            peers.push(peer);
        }
    }
    let pid = server.child.id();
    run_load(rooms, peers, pid, seconds, ticks, |peers| {
        while let Ok(line) = server.lines.try_recv() {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            handle_offer(peers, &mut server, &v);
        }
    })
}

/// Plays the peers for a warm-up and `seconds` of measurement, reading the server's CPU.
fn run_load(
    rooms: usize,
    mut peers: Vec<Peer>,
    pid: u32,
    seconds: Duration,
    ticks: f64,
    mut signal: impl FnMut(&mut Vec<Peer>),
) -> Step {
    let epoch = Instant::now();
    // Each sender on its own schedule, spread over the frame period, as real senders are.
    let n = peers.len() as u32;
    for (i, p) in peers.iter_mut().enumerate() {
        p.next_video = epoch + Duration::from_micros(1_000_000 / VIDEO_FPS) * i as u32 / n;
        p.next_audio = epoch + Duration::from_micros(1_000_000 / AUDIO_FPS) * i as u32 / n;
    }
    let warm_until = Instant::now() + WARM_UP;
    let mut cpu_start = 0.0;
    let mut measure_start = None;
    let end = warm_until + seconds;
    let mut buf = [0u8; 2048];
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if measure_start.is_none() && now >= warm_until {
            measure_start = Some(now);
            cpu_start = cpu_seconds(pid, ticks);
            for p in &mut peers {
                p.measuring = true;
                p.sent_video = 0;
                p.got_video = 0;
                p.packets_at_start = p.packets.values().sum();
                p.delays_ms.clear();
            }
        }
        signal(&mut peers);
        let mut idle = true;
        for p in &mut peers {
            if p.step(epoch, &mut buf) {
                idle = false;
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    let elapsed = measure_start.map_or(seconds, |s| s.elapsed());
    let cpu = (cpu_seconds(pid, ticks) - cpu_start) / elapsed.as_secs_f64();
    let sent: u64 = peers.iter().map(|p| p.sent_video).sum();
    let got: u64 = peers.iter().map(|p| p.got_video).sum();
    let packets: u64 = peers
        .iter()
        .map(|p| {
            p.packets
                .values()
                .sum::<u64>()
                .saturating_sub(p.packets_at_start)
        })
        .sum();
    let mut delays: Vec<f64> = peers
        .iter()
        .flat_map(|p| p.delays_ms.iter().copied())
        .collect();
    // Packets into the server equal those out of it for two-person rooms.
    let pps = packets as f64 / elapsed.as_secs_f64();
    Step {
        rooms,
        streams: rooms * 2 * 2,
        cpu,
        pps,
        loss: if sent == 0 {
            1.0
        } else {
            (1.0 - got as f64 / sent as f64).max(0.0)
        },
        p50_ms: percentile(&mut delays, 0.5),
        p99_ms: percentile(&mut delays, 0.99),
        cpu_per_packet_us: if packets == 0 {
            0.0
        } else {
            cpu * elapsed.as_secs_f64() * 1e6 / packets as f64
        },
    }
}

fn handle_offer(peers: &mut [Peer], server: &mut Child2, v: &serde_json::Value) {
    if v["op"] != "offer" {
        return;
    }
    let account = v["account"].as_i64().unwrap();
    let Some(p) = peers.iter_mut().find(|p| p.account == account) else {
        return;
    };
    let answer = p.accept_offer(v["sdp"].as_str().unwrap());
    writeln!(
        server.stdin,
        "{}",
        serde_json::json!({"op": "answer", "account": account, "sdp": answer})
    )
    .unwrap();
}

// ---------- the floor: a plain UDP relay ----------

fn relay() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    println!("PORT {}", socket.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let mut sides: HashMap<u32, [Option<SocketAddr>; 2]> = HashMap::new();
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        if n < 5 {
            continue;
        }
        let pair = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let side = (buf[4] & 1) as usize;
        let entry = sides.entry(pair).or_default();
        entry[side] = Some(from);
        if let Some(to) = entry[1 - side] {
            let _ = socket.send_to(&buf[..n], to);
        }
    }
}

fn relay_step(rooms: usize, seconds: Duration, ticks: f64) -> Step {
    let relay = spawn("--relay");
    let target: SocketAddr = format!("127.0.0.1:{}", relay.port).parse().unwrap();
    let pid = relay.child.id();
    let epoch = Instant::now();
    // The SFU's packets: a video frame is ~4 packets of up to ~1,100 bytes, audio one.
    let video_packets = VIDEO_FRAME.div_ceil(1100);
    let mut sockets = Vec::new();
    for pair in 0..rooms {
        for side in 0..2u8 {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_nonblocking(true).unwrap();
            let mut hello = (pair as u32).to_be_bytes().to_vec();
            hello.push(side);
            let _ = s.send_to(&hello, target);
            sockets.push((pair as u32, side, s));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let cpu_start = cpu_seconds(pid, ticks);
    let start = Instant::now();
    // Each sender on its own schedule, spread over the period, as real senders are.
    let video_every = Duration::from_micros(1_000_000 / VIDEO_FPS);
    let audio_every = Duration::from_micros(1_000_000 / AUDIO_FPS);
    let n = sockets.len() as u32;
    let mut next: Vec<(Instant, Instant)> = (0..n)
        .map(|i| (start + video_every * i / n, start + audio_every * i / n))
        .collect();
    let (mut sent, mut got) = (0u64, 0u64);
    let mut delays = Vec::new();
    let mut buf = [0u8; 2048];
    while start.elapsed() < seconds {
        let now = Instant::now();
        let stamp = (now - epoch).as_micros() as u64;
        for (k, (pair, side, s)) in sockets.iter().enumerate() {
            let packet = |size: usize| {
                let mut p = vec![0u8; size];
                p[..4].copy_from_slice(&pair.to_be_bytes());
                p[4] = *side;
                p[5..13].copy_from_slice(&stamp.to_be_bytes());
                p
            };
            if now >= next[k].0 {
                next[k].0 += video_every;
                for _ in 0..video_packets {
                    if s.send_to(&packet(1100), target).is_ok() {
                        sent += 1;
                    }
                }
            }
            if now >= next[k].1 {
                next[k].1 += audio_every;
                if s.send_to(&packet(AUDIO_FRAME + 40), target).is_ok() {
                    sent += 1;
                }
            }
        }
        let mut idle = true;
        for (_, _, s) in &sockets {
            while let Ok((n, _)) = s.recv_from(&mut buf) {
                idle = false;
                if n >= 13 {
                    got += 1;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&buf[5..13]);
                    let t = (Instant::now() - epoch).as_micros() as u64;
                    delays.push(t.saturating_sub(u64::from_be_bytes(b)) as f64 / 1000.0);
                }
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(pid, ticks) - cpu_start) / elapsed;
    Step {
        rooms,
        streams: rooms * 2 * 2,
        cpu,
        pps: sent as f64 / elapsed,
        loss: if sent == 0 {
            1.0
        } else {
            (1.0 - got as f64 / sent as f64).max(0.0)
        },
        p50_ms: percentile(&mut delays, 0.5),
        p99_ms: percentile(&mut delays, 0.99),
        cpu_per_packet_us: if sent == 0 {
            0.0
        } else {
            cpu * elapsed * 1e6 / sent as f64
        },
    }
}

// ---------- the established peer: Janus's videoroom, same load ----------

const JANUS_LIBS: &str = "/usr/lib/x86_64-linux-gnu/janus";

/// A Janus process with its own configuration, HTTP API on a free loopback port.
struct Janus {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Janus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The address the peers use with Janus: it never offers loopback candidates, so the
/// machine's outward address (routing lookup only; nothing is sent).
fn outward_ip() -> Option<std::net::IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.254:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

fn start_janus(binary: &std::path::Path) -> Janus {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("onhand-bench-janus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let others = |kind: &str, keep: &str| -> String {
        std::fs::read_dir(format!("{JANUS_LIBS}/{kind}"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".so") && n != keep)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    // One event loop: all handles on one thread, as our forwarding loop is one task.
    let general = format!(
        "general: {{\n configs_folder = \"{dir}\"\n plugins_folder = \"{JANUS_LIBS}/plugins\"\n \
         transports_folder = \"{JANUS_LIBS}/transports\"\n events_folder = \"{JANUS_LIBS}/events\"\n \
         loggers_folder = \"{JANUS_LIBS}/loggers\"\n debug_level = 2\n event_loops = 1\n}}\n\
         plugins: {{ disable = \"{}\" }}\ntransports: {{ disable = \"{}\" }}\n\
         events: {{ broadcast = false }}\nloggers: {{ disable = \"{}\" }}\n\
         media: {{ rtp_port_range = \"20000-60000\" }}\nnat: {{ }}\n",
        others("plugins", "libjanus_videoroom.so"),
        others("transports", "libjanus_http.so"),
        others("loggers", ""),
        dir = dir.display(),
    );
    std::fs::write(dir.join("janus.jcfg"), general).unwrap();
    std::fs::write(
        dir.join("janus.transport.http.jcfg"),
        format!(
            "general: {{ json = \"compact\"\n base_path = \"/janus\"\n http = true\n port = {port}\n ip = \"127.0.0.1\"\n https = false }}\n\
             admin: {{ admin_http = false }}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("janus.plugin.videoroom.jcfg"), "general: { }\n").unwrap();
    let child = Command::new(binary)
        .arg(format!("--config={}", dir.join("janus.jcfg").display()))
        .arg(format!("--configs-folder={}", dir.display()))
        .arg("--disable-colors")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("janus starts");
    let janus = Janus { child, port, dir };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return janus;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("janus did not open its HTTP API on {port}");
}

/// One request to Janus's HTTP API (HTTP/1.0, so the body ends with the connection).
fn janus_http(port: u16, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    try_janus_http(port, path, body).unwrap_or_else(|e| panic!("janus {path}: {e}"))
}

fn try_janus_http(
    port: u16,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, String> {
    use std::io::Read;
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let request = match &body {
        Some(b) => {
            let b = b.to_string();
            format!(
                "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            )
        }
        None => format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"),
    };
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).map_err(|e| format!("answered {response:?}: {e}"))
}

struct JanusApi {
    port: u16,
    session: u64,
    events: mpsc::Receiver<serde_json::Value>,
    /// Events read while waiting for another.
    pending: Vec<serde_json::Value>,
    next: u64,
}

impl JanusApi {
    fn connect(port: u16) -> JanusApi {
        let created = janus_http(
            port,
            "/janus",
            Some(serde_json::json!({"janus": "create", "transaction": "c"})),
        );
        let session = created["data"]["id"].as_u64().expect("a janus session");
        let (tx, events) = mpsc::channel();
        // The long poll: events (answers, offers) arrive here; it also keeps the session alive.
        std::thread::spawn(move || {
            // Ends when Janus does (at the end of the step).
            while let Ok(got) = try_janus_http(port, &format!("/janus/{session}?maxev=50"), None) {
                let list = match got {
                    serde_json::Value::Array(list) => list,
                    one => vec![one],
                };
                for e in list {
                    if tx.send(e).is_err() {
                        return;
                    }
                }
            }
        });
        JanusApi {
            port,
            session,
            events,
            pending: Vec::new(),
            next: 0,
        }
    }

    fn post(&mut self, path: &str, mut body: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        body["transaction"] = serde_json::json!(format!("t{}", self.next));
        janus_http(
            self.port,
            &format!("/janus/{}{path}", self.session),
            Some(body),
        )
    }

    fn attach(&mut self) -> u64 {
        let r = self.post(
            "",
            serde_json::json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
        );
        r["data"]["id"].as_u64().expect("a janus handle")
    }

    fn message(
        &mut self,
        handle: u64,
        body: serde_json::Value,
        jsep: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let mut m = serde_json::json!({"janus": "message", "body": body});
        if let Some(j) = jsep {
            m["jsep"] = j;
        }
        self.post(&format!("/{handle}"), m)
    }

    /// The next plugin event for `handle` (its `plugindata.data` and `jsep`).
    fn event(&mut self, handle: u64) -> (serde_json::Value, Option<serde_json::Value>) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(i) = self
                .pending
                .iter()
                .position(|e| e["sender"].as_u64() == Some(handle) && e["janus"] == "event")
            {
                let e = self.pending.remove(i);
                return (e["plugindata"]["data"].clone(), e.get("jsep").cloned());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let e = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no janus event for handle {handle}"));
            self.pending.push(e);
        }
    }
}

fn janus_step(
    binary: &std::path::Path,
    ip: std::net::IpAddr,
    rooms: usize,
    seconds: Duration,
    ticks: f64,
) -> Step {
    let janus = start_janus(binary);
    let mut api = JanusApi::connect(janus.port);
    let admin = api.attach();
    let mut peers: Vec<Peer> = Vec::new();
    let mut publishers: Vec<(u64, u64)> = Vec::new(); // (room, publisher id) per peer
    for room in 0..rooms {
        let room_id = 1000 + room as u64;
        let created = api.message(
            admin,
            serde_json::json!({"request": "create", "room": room_id, "publishers": 2, "bitrate": 0}),
            None,
        );
        assert_eq!(
            created["plugindata"]["data"]["videoroom"], "created",
            "{created}"
        );
        for side in 0..2 {
            let account = (room * 2 + side) as i64;
            let handle = api.attach();
            let mut peer = Peer::new(account, ip);
            let (offer, pending) = peer.offer();
            api.message(
                handle,
                serde_json::json!({"request": "joinandconfigure", "room": room_id, "ptype": "publisher", "audio": true, "video": true}),
                Some(serde_json::json!({"type": "offer", "sdp": offer, "trickle": false})),
            );
            // The "joined" event, then the answer (the same event or a later one).
            let (data, mut jsep) = api.event(handle);
            let id = data["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("janus refused the publisher: {data}"));
            while jsep.is_none() {
                jsep = api.event(handle).1;
            }
            peer.accept_answer(pending, jsep.unwrap()["sdp"].as_str().unwrap());
            publishers.push((room_id, id));
            peers.push(peer);
        }
    }
    // Publishers connect and send before anyone subscribes (else "No such feed").
    let epoch = Instant::now();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + Duration::from_secs(20);
    while peers.iter().any(|p| !p.connected) {
        assert!(
            Instant::now() < deadline,
            "publishers did not connect to janus"
        );
        for p in &mut peers {
            p.step(epoch, &mut buf);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    // Each peer receives the other's feed over a second connection.
    for k in 0..publishers.len() {
        let (room_id, _) = publishers[k];
        let other = publishers[k ^ 1].1;
        let handle = api.attach();
        let offer = loop {
            api.message(
                handle,
                serde_json::json!({"request": "join", "room": room_id, "ptype": "subscriber", "streams": [{"feed": other}]}),
                None,
            );
            let (data, jsep) = api.event(handle);
            if let Some(j) = jsep {
                break j["sdp"].as_str().unwrap().to_string();
            }
            assert_eq!(
                data["error_code"], 428,
                "janus refused the subscriber: {data}"
            );
            for p in &mut peers {
                p.step(epoch, &mut buf);
            }
        };
        let mut sub = Peer::new(peers[k].account, ip);
        let answer = sub.accept_offer(&offer);
        api.message(
            handle,
            serde_json::json!({"request": "start"}),
            Some(serde_json::json!({"type": "answer", "sdp": answer})),
        );
        peers.push(sub);
    }
    let pid = janus.child.id();
    run_load(rooms, peers, pid, seconds, ticks, |_| {})
}
