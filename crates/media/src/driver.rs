//! The thin driver: one task owns the UDP socket, the clock and the `Sfu`; everyone else
//! talks to it through `MediaServer`, a cheap handle.

use crate::sfu::{AnswerError, Attendance, JoinError, Limits, Output, PeerId, Role, RoomId, Sfu};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;
use str0m::net::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};

/// What a participant's signaling connection hears from the media server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// Answer this offer (tracks were added or removed).
    Offer(String),
    /// Media is flowing.
    Connected,
    /// The connection is gone (dropped, or left).
    Gone,
}

/// A participant's place in a room.
pub struct Joined {
    pub peer: PeerId,
    pub answer: String,
    pub events: mpsc::UnboundedReceiver<PeerEvent>,
}

enum Command {
    Join {
        room: RoomId,
        account: i64,
        role: Role,
        offer: String,
        reply: oneshot::Sender<Result<Joined, JoinError>>,
    },
    Answer {
        peer: PeerId,
        sdp: String,
        reply: oneshot::Sender<Result<(), AnswerError>>,
    },
    Leave {
        peer: PeerId,
    },
    Attendance {
        room: RoomId,
        reply: oneshot::Sender<(Option<Instant>, Vec<Attendance>)>,
    },
    CloseRoom {
        room: RoomId,
        reply: oneshot::Sender<(Option<Instant>, Vec<Attendance>)>,
    },
}

/// The media server's handle; clones share one server.
#[derive(Clone)]
pub struct MediaServer {
    tx: mpsc::UnboundedSender<Command>,
    local: SocketAddr,
    advertised: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("binding the media port {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("the media server listens on {0}, which browsers cannot reach; set its public address")]
    Unspecified(SocketAddr),
}

impl MediaServer {
    /// Binds `bind` (UDP) and starts serving. Browsers are told to reach the server at
    /// `public` (for deployments behind NAT), else at the bound address.
    pub async fn start(
        bind: SocketAddr,
        public: Option<SocketAddr>,
        limits: Limits,
    ) -> Result<MediaServer, StartError> {
        let socket = UdpSocket::bind(bind)
            .await
            .map_err(|e| StartError::Bind(bind, e))?;
        let local = socket.local_addr().map_err(|e| StartError::Bind(bind, e))?;
        let advertised = match public {
            Some(p) if p.port() == 0 => SocketAddr::new(p.ip(), local.port()),
            Some(p) => p,
            None => local,
        };
        if advertised.ip().is_unspecified() {
            return Err(StartError::Unspecified(advertised));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        // ICE-TCP on the same port, for networks that block UDP.
        let (tcp_tx, tcp_rx) = mpsc::unbounded_channel();
        let mut sfu = Sfu::new(limits, vec![advertised]);
        match TcpListener::bind(local).await {
            Ok(listener) => {
                sfu = sfu.with_tcp();
                tokio::spawn(accept(listener, tcp_tx));
                tracing::info!(%local, %advertised, "media server listening (UDP and ICE-TCP)");
            }
            Err(e) => {
                tracing::warn!(%local, error = %e, "media server listening on UDP only: no ICE-TCP");
            }
        }
        tokio::spawn(run(socket, advertised, sfu, rx, tcp_rx));
        Ok(MediaServer {
            tx,
            local,
            advertised,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn advertised_addr(&self) -> SocketAddr {
        self.advertised
    }

    pub async fn join(
        &self,
        room: RoomId,
        account: i64,
        role: Role,
        offer: String,
    ) -> Result<Joined, JoinError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Join {
            room,
            account,
            role,
            offer,
            reply,
        });
        answer
            .await
            .unwrap_or_else(|_| Err(JoinError::BadOffer("the media server stopped".into())))
    }

    pub async fn answer(&self, peer: PeerId, sdp: String) -> Result<(), AnswerError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Answer { peer, sdp, reply });
        answer.await.unwrap_or(Err(AnswerError::UnknownPeer))
    }

    pub fn leave(&self, peer: PeerId) {
        self.send(Command::Leave { peer });
    }

    /// When the room opened and who was present when, so far.
    pub async fn attendance(&self, room: RoomId) -> (Option<Instant>, Vec<Attendance>) {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Attendance { room, reply });
        answer.await.unwrap_or_default()
    }

    /// Ends a room: everyone is disconnected; returns the final attendance.
    pub async fn close_room(&self, room: RoomId) -> (Option<Instant>, Vec<Attendance>) {
        let (reply, answer) = oneshot::channel();
        self.send(Command::CloseRoom { room, reply });
        answer.await.unwrap_or_default()
    }

    fn send(&self, c: Command) {
        // A stopped server drops the reply sender, which callers read as a failure.
        let _ = self.tx.send(c);
    }
}

/// What the ICE-TCP connections tell the main loop.
enum Tcp {
    Opened(SocketAddr, mpsc::UnboundedSender<Vec<u8>>),
    Frame(SocketAddr, Vec<u8>),
    Closed(SocketAddr),
}

/// ICE-TCP connections open at once; more are refused.
const TCP_CONNECTIONS_MAX: usize = 4096;

async fn accept(listener: TcpListener, events: mpsc::UnboundedSender<Tcp>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "ICE-TCP accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, peer, events.clone()));
    }
}

/// One ICE-TCP connection: RFC 4571 frames (a 16-bit big-endian length, then the
/// datagram) in both directions.
async fn connection(stream: TcpStream, peer: SocketAddr, events: mpsc::UnboundedSender<Tcp>) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut outgoing) = mpsc::unbounded_channel::<Vec<u8>>();
    if events.send(Tcp::Opened(peer, tx)).is_err() {
        return;
    }
    let write = tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            if writer.write_all(&frame).await.is_err() {
                break;
            }
        }
    });
    let mut len = [0u8; 2];
    loop {
        if reader.read_exact(&mut len).await.is_err() {
            break;
        }
        let n = u16::from_be_bytes(len) as usize;
        let mut buf = vec![0u8; n];
        if reader.read_exact(&mut buf).await.is_err() {
            break;
        }
        if events.send(Tcp::Frame(peer, buf)).is_err() {
            break;
        }
    }
    write.abort();
    let _ = events.send(Tcp::Closed(peer));
}

/// Datagrams read per wake-up beyond the first.
const RECEIVE_BATCH: usize = 64;

async fn run(
    socket: UdpSocket,
    advertised: SocketAddr,
    mut sfu: Sfu,
    mut rx: mpsc::UnboundedReceiver<Command>,
    mut tcp_rx: mpsc::UnboundedReceiver<Tcp>,
) {
    let mut peers: HashMap<PeerId, mpsc::UnboundedSender<PeerEvent>> = HashMap::new();
    let mut tcp: HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>> = HashMap::new();
    let mut buf = vec![0u8; 2048];
    loop {
        while let Some(o) = sfu.poll() {
            match o {
                Output::Transmit {
                    proto: Protocol::Tcp,
                    destination,
                    data,
                    ..
                } => {
                    if let Some(conn) = tcp.get(&destination) {
                        let mut frame = Vec::with_capacity(data.len() + 2);
                        frame.extend_from_slice(&(data.len() as u16).to_be_bytes());
                        frame.extend_from_slice(&data);
                        if conn.send(frame).is_err() {
                            tcp.remove(&destination);
                        }
                    }
                }
                Output::Transmit {
                    destination, data, ..
                } => {
                    if let Err(e) = socket.send_to(&data, destination).await {
                        tracing::debug!(%destination, error = %e, "media send failed");
                    }
                }
                Output::Offer { peer, sdp } => {
                    if let Some(tx) = peers.get(&peer) {
                        let _ = tx.send(PeerEvent::Offer(sdp));
                    }
                }
                Output::Connected { peer, .. } => {
                    if let Some(tx) = peers.get(&peer) {
                        let _ = tx.send(PeerEvent::Connected);
                    }
                }
                Output::Gone { peer, .. } => {
                    if let Some(tx) = peers.remove(&peer) {
                        let _ = tx.send(PeerEvent::Gone);
                    }
                }
            }
        }
        let deadline = sfu.next_timeout(Instant::now());
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                match received {
                    Ok((n, source)) => {
                        sfu.receive(Protocol::Udp, source, advertised, &buf[..n], Instant::now());
                        // Whatever else has arrived, without another trip through the
                        // scheduler (bounded, so commands and timers keep their turn).
                        for _ in 0..RECEIVE_BATCH {
                            let Ok((n, source)) = socket.try_recv_from(&mut buf) else {
                                break;
                            };
                            sfu.receive(Protocol::Udp, source, advertised, &buf[..n], Instant::now());
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "media receive failed"),
                }
            }
            command = rx.recv() => {
                let Some(command) = command else { break };
                let now = Instant::now();
                match command {
                    Command::Join { room, account, role, offer, reply } => {
                        let joined = sfu.join(room, account, role, &offer, now).map(|(peer, answer)| {
                            let (tx, events) = mpsc::unbounded_channel();
                            peers.insert(peer, tx);
                            Joined { peer, answer, events }
                        });
                        let _ = reply.send(joined);
                    }
                    Command::Answer { peer, sdp, reply } => {
                        let _ = reply.send(sfu.answer(peer, &sdp, now));
                    }
                    Command::Leave { peer } => sfu.leave(peer, now),
                    Command::Attendance { room, reply } => {
                        let _ = reply.send((sfu.opened(room), sfu.attendance(room)));
                    }
                    Command::CloseRoom { room, reply } => {
                        let opened = sfu.opened(room);
                        let _ = reply.send((opened, sfu.close_room(room, now)));
                    }
                }
            }
            Some(event) = tcp_rx.recv() => match event {
                Tcp::Opened(peer, conn) => {
                    if tcp.len() < TCP_CONNECTIONS_MAX {
                        tcp.insert(peer, conn);
                    }
                }
                Tcp::Frame(peer, data) => {
                    sfu.receive(Protocol::Tcp, peer, advertised, &data, Instant::now());
                }
                Tcp::Closed(peer) => {
                    tcp.remove(&peer);
                }
            },
            _ = tokio::time::sleep_until(deadline.into()) => {}
        }
        // After every wake-up, not only when the timer fires: the timer's millisecond
        // granularity would hold back packets the pacer releases a moment later.
        sfu.tick(Instant::now());
    }
}
