//! Help now: who is online, requests that ring a provider, the line behind them, and the
//! live events (over each person's WebSocket) that tell everyone what happened.
//!
//! Architecture invariant: one `Hub` per process, behind one mutex; every change to a
//! request happens under it, so a request is accepted, expired or left exactly once.
//! It lives in memory: a restart drops waiting requests (buyers are told to ask again),
//! and several nodes need a shared channel, which comes with the scale-out work.

use jiff::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Requests one provider's line may hold.
pub const LINE_MAX: usize = 20;
/// Events buffered per person before a slow socket misses some.
const EVENTS_BUFFER: usize = 32;

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
    pub ringing_since: Option<Instant>,
    pub booking_id: Option<i64>,
}

#[derive(Default)]
struct Hub {
    online: HashMap<i64, usize>,
    requests: HashMap<i64, Request>,
    lines: HashMap<i64, VecDeque<i64>>,
    channels: HashMap<i64, broadcast::Sender<String>>,
    next_id: i64,
}

pub struct HelpNow {
    hub: Mutex<Hub>,
    ring_for: Duration,
}

/// Why a help-now request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AskError {
    Offline,
    LineFull,
    AlreadyWaiting,
}

impl HelpNow {
    pub fn new(ring_for: Duration) -> HelpNow {
        HelpNow {
            hub: Mutex::new(Hub::default()),
            ring_for,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.hub
            .lock()
            .expect("the help-now lock is never poisoned")
    }

    pub fn ring_for(&self) -> Duration {
        self.ring_for
    }

    /// A person's event stream; created on first use.
    pub fn subscribe(&self, account_id: i64) -> broadcast::Receiver<String> {
        let mut hub = self.lock();
        hub.channels
            .entry(account_id)
            .or_insert_with(|| broadcast::channel(EVENTS_BUFFER).0)
            .subscribe()
    }

    pub fn go_online(&self, provider_id: i64) {
        *self.lock().online.entry(provider_id).or_insert(0) += 1;
    }

    pub fn go_offline(&self, provider_id: i64) {
        let mut hub = self.lock();
        if let Some(n) = hub.online.get_mut(&provider_id) {
            *n -= 1;
            if *n == 0 {
                hub.online.remove(&provider_id);
            }
        }
    }

    /// Providers online right now.
    pub fn online_providers(&self) -> Vec<i64> {
        self.lock().online.keys().copied().collect()
    }

    pub fn is_online(&self, provider_id: i64) -> bool {
        self.lock().online.contains_key(&provider_id)
    }

    /// Puts a request in the provider's line.
    pub fn ask(
        &self,
        provider_id: i64,
        listing_id: i64,
        buyer_id: i64,
        buyer_name: &str,
        title: &str,
    ) -> Result<Request, AskError> {
        let mut hub = self.lock();
        if !hub.online.contains_key(&provider_id) {
            return Err(AskError::Offline);
        }
        let line = hub.lines.get(&provider_id).cloned().unwrap_or_default();
        if line
            .iter()
            .any(|id| hub.requests.get(id).is_some_and(|r| r.buyer_id == buyer_id))
        {
            return Err(AskError::AlreadyWaiting);
        }
        if line.len() >= LINE_MAX {
            return Err(AskError::LineFull);
        }
        hub.next_id += 1;
        let id = hub.next_id;
        let request = Request {
            id,
            provider_id,
            listing_id,
            buyer_id,
            buyer_name: buyer_name.to_string(),
            title: title.to_string(),
            state: RequestState::Waiting,
            ringing_since: None,
            booking_id: None,
        };
        hub.requests.insert(id, request.clone());
        hub.lines.entry(provider_id).or_default().push_back(id);
        hub.notify_line(provider_id);
        Ok(request)
    }

    pub fn request(&self, id: i64) -> Option<(Request, usize)> {
        let hub = self.lock();
        let r = hub.requests.get(&id)?.clone();
        let place = hub.place(&r);
        Some((r, place))
    }

    /// The ringing request a provider may accept, taken out of the line. The caller books
    /// and then calls `accepted` (or `put_back` if booking failed).
    pub fn take_ringing(&self, provider_id: i64, id: i64) -> Option<Request> {
        let mut hub = self.lock();
        let r = hub.requests.get(&id)?;
        if r.provider_id != provider_id || r.state != RequestState::Ringing {
            return None;
        }
        let r = r.clone();
        if let Some(line) = hub.lines.get_mut(&provider_id) {
            line.retain(|x| *x != id);
        }
        Some(r)
    }

    pub fn accepted(&self, id: i64, booking_id: i64) {
        let mut hub = self.lock();
        let Some(r) = hub.requests.get_mut(&id) else {
            return;
        };
        r.state = RequestState::Accepted;
        r.booking_id = Some(booking_id);
        let (buyer, provider) = (r.buyer_id, r.provider_id);
        hub.send(buyer, serde_json::json!({"type": "help_now", "request": id, "state": "accepted", "booking": booking_id}));
        hub.notify_line(provider);
    }

    /// Puts a taken request back at the head of the line, still ringing.
    pub fn put_back(&self, r: Request) {
        let mut hub = self.lock();
        hub.lines.entry(r.provider_id).or_default().push_front(r.id);
    }

    /// The buyer leaves the line.
    pub fn leave(&self, buyer_id: i64, id: i64) -> bool {
        let mut hub = self.lock();
        let Some(r) = hub.requests.get_mut(&id) else {
            return false;
        };
        if r.buyer_id != buyer_id
            || !matches!(r.state, RequestState::Waiting | RequestState::Ringing)
        {
            return false;
        }
        r.state = RequestState::Left;
        let provider = r.provider_id;
        if let Some(line) = hub.lines.get_mut(&provider) {
            line.retain(|x| *x != id);
        }
        hub.notify_line(provider);
        true
    }

    /// Advances every line: expires rings older than `ring_for`, and rings the head of
    /// each line whose provider is online and not in a session (`busy`).
    /// Returns the requests whose ring expired unanswered.
    pub fn tick(&self, busy: impl Fn(i64) -> bool) -> Vec<Request> {
        let mut hub = self.lock();
        let mut missed = Vec::new();
        let providers: Vec<i64> = hub.lines.keys().copied().collect();
        for provider in providers {
            let head = hub.lines.get(&provider).and_then(|l| l.front().copied());
            let Some(head) = head else { continue };
            let (state, since) = match hub.requests.get(&head) {
                Some(r) => (r.state, r.ringing_since),
                None => continue,
            };
            match state {
                RequestState::Ringing if since.is_some_and(|s| s.elapsed() >= self.ring_for) => {
                    let r = hub.requests.get_mut(&head).expect("head exists");
                    r.state = RequestState::Expired;
                    missed.push(r.clone());
                    let buyer = r.buyer_id;
                    hub.lines
                        .get_mut(&provider)
                        .expect("line exists")
                        .pop_front();
                    hub.send(buyer, serde_json::json!({"type": "help_now", "request": head, "state": "expired"}));
                    hub.send(
                        provider,
                        serde_json::json!({"type": "ring_over", "request": head}),
                    );
                    hub.notify_line(provider);
                }
                RequestState::Waiting if hub.online.contains_key(&provider) && !busy(provider) => {
                    let r = hub.requests.get_mut(&head).expect("head exists");
                    r.state = RequestState::Ringing;
                    r.ringing_since = Some(Instant::now());
                    let ring = serde_json::json!({"type": "ring", "request": head, "buyer": r.buyer_name, "title": r.title,
                        "seconds": self.ring_for.as_secs()});
                    hub.send(provider, ring);
                    hub.notify_line(provider);
                }
                _ => {}
            }
        }
        missed
    }

    /// Sends an event to every open socket of `account_id` (a notification, say).
    pub fn push(&self, account_id: i64, event: serde_json::Value) {
        self.lock().send(account_id, event);
    }

    /// Providers with someone in line, for the ticker to check who is in a session.
    pub fn providers_with_lines(&self) -> Vec<i64> {
        self.lock()
            .lines
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(p, _)| *p)
            .collect()
    }
}

impl Hub {
    fn place(&self, r: &Request) -> usize {
        self.lines
            .get(&r.provider_id)
            .and_then(|l| l.iter().position(|x| *x == r.id))
            .map(|p| p + 1)
            .unwrap_or(0)
    }

    fn send(&self, account_id: i64, event: serde_json::Value) {
        if let Some(tx) = self.channels.get(&account_id) {
            let _ = tx.send(event.to_string());
        }
    }

    /// Tells everyone in a provider's line their place.
    fn notify_line(&self, provider_id: i64) {
        let Some(line) = self.lines.get(&provider_id) else {
            return;
        };
        for (i, id) in line.iter().enumerate() {
            if let Some(r) = self.requests.get(id) {
                self.send(r.buyer_id, serde_json::json!({"type": "help_now", "request": id, "state": r.state, "place": i + 1}));
            }
        }
        self.send(
            provider_id,
            serde_json::json!({"type": "line", "waiting": line.len()}),
        );
    }
}

/// When a help-now session booked at `now` starts: now, on a whole minute for tidiness.
pub fn session_start(now: Timestamp) -> Timestamp {
    Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_rings_in_order_and_expires() {
        let h = HelpNow::new(Duration::from_millis(0));
        assert_eq!(
            h.ask(7, 1, 100, "Bea", "Guitar").unwrap_err(),
            AskError::Offline
        );
        h.go_online(7);
        let a = h.ask(7, 1, 100, "Bea", "Guitar").unwrap();
        let b = h.ask(7, 1, 101, "Cid", "Guitar").unwrap();
        assert_eq!(
            h.ask(7, 1, 100, "Bea", "Guitar").unwrap_err(),
            AskError::AlreadyWaiting
        );
        assert_eq!(h.request(b.id).unwrap().1, 2, "second in line");
        h.tick(|_| false);
        assert_eq!(h.request(a.id).unwrap().0.state, RequestState::Ringing);
        assert!(
            h.take_ringing(7, b.id).is_none(),
            "only the ringing one can be taken"
        );
        h.tick(|_| false);
        assert_eq!(h.request(a.id).unwrap().0.state, RequestState::Expired);
        assert_eq!(h.request(b.id).unwrap().1, 1);
        h.tick(|_| true);
        assert_eq!(
            h.request(b.id).unwrap().0.state,
            RequestState::Waiting,
            "a provider in a session is not rung"
        );
        assert!(h.leave(101, b.id));
        assert!(!h.leave(101, b.id), "leaving happens once");
        h.go_offline(7);
        assert!(!h.is_online(7));
    }
}
