//! Several nodes as one. Events for a person (a ring, a place in line, a new
//! notification) and search-index touches are published through the database: on
//! PostgreSQL with NOTIFY, which every node LISTENs to, so they reach the node where the
//! person's socket is and every node's search index; on SQLite this process is the only
//! node and delivers them to itself.
//!
//! Invariant: everything goes out through one queue per node, in the order it was
//! queued, and every node (the sender too) delivers it only when it comes back from the
//! database, so all nodes see one order. A node that loses its LISTEN connection
//! reconnects and rebuilds its search index, since touches may have been missed.

use crate::search::Touch;
use crate::state::AppState;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// What crosses between nodes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An event for `to`'s open sockets.
    Push { to: i64, event: serde_json::Value },
    /// A listing, a provider's listings, or everything changed in search.
    Touch {
        listing: Option<i64>,
        provider: Option<i64>,
    },
}

impl Message {
    fn touch(t: Touch) -> Message {
        match t {
            Touch::Listing(id) => Message::Touch {
                listing: Some(id),
                provider: None,
            },
            Touch::Provider(id) => Message::Touch {
                listing: None,
                provider: Some(id),
            },
            Touch::Everything => Message::Touch {
                listing: None,
                provider: None,
            },
        }
    }
}

/// This node's outgoing queue.
pub struct Cluster {
    tx: mpsc::UnboundedSender<Message>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Message>>>,
}

impl Default for Cluster {
    fn default() -> Cluster {
        let (tx, rx) = mpsc::unbounded_channel();
        Cluster {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

/// Sends an event to every open socket of `account_id`, on whichever node.
pub fn push(state: &AppState, account_id: i64, event: serde_json::Value) {
    let _ = state.cluster.tx.send(Message::Push {
        to: account_id,
        event,
    });
}

/// Tells every node's search index that `t` changed.
pub fn touch(state: &AppState, t: Touch) {
    let _ = state.cluster.tx.send(Message::touch(t));
}

fn deliver(state: &AppState, m: Message) {
    match m {
        Message::Push { to, event } => state.help_now.deliver(to, event.to_string()),
        Message::Touch { listing, provider } => state.search.touch(match (listing, provider) {
            (Some(id), _) => Touch::Listing(id),
            (None, Some(id)) => Touch::Provider(id),
            (None, None) => Touch::Everything,
        }),
    }
}

/// Sends the queue out, in order: published on PostgreSQL, delivered here on SQLite
/// (or when publishing fails, so this node's own users still hear of it).
pub async fn send_queued(state: AppState) {
    let Some(mut rx) = state.cluster.rx.lock().expect("cluster rx").take() else {
        return;
    };
    while let Some(m) = rx.recv().await {
        let payload = serde_json::to_string(&m).expect("messages serialize");
        match state.store.publish(&payload).await {
            Ok(true) => {}
            Ok(false) => deliver(&state, m),
            Err(e) => {
                tracing::warn!(error = ?e, "could not publish to other nodes; delivering here only");
                deliver(&state, m);
            }
        }
    }
}

/// Receives what every node publishes (PostgreSQL only; returns at once on SQLite).
pub async fn listen(state: AppState) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut listener = match state.store.listen().await {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = ?e, "cannot LISTEN for other nodes; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        loop {
            match listener.recv().await {
                Ok(Some(payload)) => match serde_json::from_str::<Message>(&payload) {
                    Ok(m) => deliver(&state, m),
                    Err(e) => tracing::warn!(error = %e, "an unreadable message from another node"),
                },
                Ok(None) => {
                    tracing::warn!(
                        "the LISTEN connection dropped; what was sent meanwhile is missed"
                    );
                    state.search.touch(Touch::Everything);
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "the LISTEN connection failed; reconnecting");
                    state.search.touch(Touch::Everything);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_written() {
        for m in [
            Message::Push {
                to: 7,
                event: serde_json::json!({"type": "ring", "request": 3}),
            },
            Message::touch(Touch::Listing(5)),
            Message::touch(Touch::Provider(6)),
            Message::touch(Touch::Everything),
        ] {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Message>(&text).unwrap(), m);
        }
    }
}
