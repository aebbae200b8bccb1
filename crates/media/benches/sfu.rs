//! The media server under load, against the floor of a plain UDP relay.
//!
//! `cargo bench -p onhand-media --bench sfu [-- --seconds 6 --max-rooms 256]`
//!
//! The server runs in a child process (this binary with `--serve`), so its CPU time is
//! its own (read from /proc). This process plays N rooms of two str0m peers; each peer
//! sends ~1 Mbps of video (30 frames/s of 4,166 bytes, a synthetic VP8 keyframe) and 50
//! audio frames/s, and receives the other's through the server. Each step doubles N until
//! the server passes 70 % of one core (its forwarding loop is one task) or loses frames.
//! Reported per step: forwarded streams, server CPU, packets/s forwarded, frame loss, and the
//! end-to-end delay of video frames (p50/p99; sender stamp to receiver, same clock).
//!
//! The floor: a child with `--relay` that forwards plain UDP datagrams between pairs (no
//! ICE, DTLS or SRTP), fed the same packet sizes and rates; the ratio of CPU per packet
//! is ours over the floor's.

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
    while rooms <= max_rooms {
        let step = sfu_step(rooms, seconds, ticks);
        print_step(&step);
        let ok = step.cpu <= CPU_LIMIT && step.loss < 0.02;
        if ok {
            best = Some(step);
        }
        if !ok {
            break;
        }
        rooms *= 2;
    }
    let floor_rooms = best.as_ref().map_or(1, |s| s.rooms);
    println!("\nFloor: plain UDP relay, same packets for {floor_rooms} rooms");
    let floor = relay_step(floor_rooms, seconds, ticks);
    print_step(&floor);
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
    }
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
    audio: Mid,
    video: Mid,
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

fn sfu_step(rooms: usize, seconds: Duration, ticks: f64) -> Step {
    let mut server = spawn("--serve");
    let epoch = Instant::now();
    let mut peers: Vec<Peer> = Vec::new();
    for room in 0..rooms {
        for side in 0..2 {
            let account = (room * 2 + side) as i64;
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.set_nonblocking(true).unwrap();
            let local = socket.local_addr().unwrap();
            let mut rtc = Rtc::builder()
                .set_stats_interval(Some(Duration::from_secs(1)))
                .build(Instant::now());
            rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
            let mut change = rtc.sdp_api();
            let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
            let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
            let (offer, pending) = change.apply().unwrap();
            writeln!(
                server.stdin,
                "{}",
                serde_json::json!({"op": "join", "room": room, "account": account, "sdp": offer.to_sdp_string()})
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
            rtc.sdp_api()
                .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
                .unwrap();
            let now = Instant::now();
            peers.push(Peer {
                account,
                rtc,
                socket,
                local,
                audio,
                video,
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
            });
        }
    }
    let pid = server.child.id();
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
        while let Ok(line) = server.lines.try_recv() {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            handle_offer(&mut peers, &mut server, &v);
        }
        let mut idle = true;
        for p in &mut peers {
            while let Ok((n, source)) = p.socket.recv_from(&mut buf) {
                idle = false;
                let r = Receive::new(Protocol::Udp, source, p.local, &buf[..n]).unwrap();
                p.rtc
                    .handle_input(Input::Receive(Instant::now(), r))
                    .unwrap();
                drain(p, epoch);
            }
            p.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
            drain(p, epoch);
            if p.connected {
                let now = Instant::now();
                if now >= p.next_audio {
                    p.next_audio += Duration::from_micros(1_000_000 / AUDIO_FPS);
                    let w = p.rtc.writer(p.audio).unwrap();
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
                    drain(p, epoch);
                }
                if now >= p.next_video {
                    p.next_video += Duration::from_micros(1_000_000 / VIDEO_FPS);
                    let w = p.rtc.writer(p.video).unwrap();
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
                    if p.measuring {
                        p.sent_video += 1;
                    }
                    drain(p, epoch);
                }
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
    let answer = p
        .rtc
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(v["sdp"].as_str().unwrap()).unwrap())
        .unwrap();
    writeln!(
        server.stdin,
        "{}",
        serde_json::json!({"op": "answer", "account": account, "sdp": answer.to_sdp_string()})
    )
    .unwrap();
}

fn drain(p: &mut Peer, epoch: Instant) {
    loop {
        match p.rtc.poll_output().unwrap() {
            Output::Timeout(_) => break,
            Output::Transmit(t) => {
                let _ = p.socket.send_to(&t.contents, t.destination);
            }
            Output::Event(e) => match e {
                Event::Connected => p.connected = true,
                Event::MediaAdded(m) => {
                    p.kinds.insert(m.mid, m.kind);
                }
                Event::MediaData(d)
                    if p.measuring
                        && p.kinds.get(&d.mid) == Some(&MediaKind::Video)
                        && d.data.len() > 9 =>
                {
                    p.got_video += 1;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&d.data[1..9]);
                    let sent = u64::from_be_bytes(b);
                    let now = (Instant::now() - epoch).as_micros() as u64;
                    p.delays_ms.push(now.saturating_sub(sent) as f64 / 1000.0);
                }
                Event::MediaIngressStats(s) => {
                    p.packets.insert(s.mid, s.packets);
                }
                _ => {}
            },
        }
    }
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
