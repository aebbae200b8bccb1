//! Help now, shared by every node on the database: who is online (dashboard sockets per
//! node, refreshed by a heartbeat) and each provider's line of requests.
//!
//! Invariant: every change to a request runs in one write transaction (`Store::write`),
//! so a request is rung, accepted, expired or left exactly once however many nodes tick.

use crate::{Result, Store, StoreError, ms, ts};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Requests one provider's line may hold.
pub const LINE_MAX: i64 = 20;

/// A request for help now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRequest {
    pub id: i64,
    pub provider_id: i64,
    pub listing_id: i64,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub title: String,
    /// waiting, ringing, accepting, accepted, expired or left.
    pub state: String,
    pub ringing_since: Option<Timestamp>,
    pub booking_id: Option<i64>,
}

/// Why a request could not join a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskRefusal {
    Offline,
    LineFull,
    AlreadyWaiting,
}

/// What one tick changed in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    /// The head's ring went unanswered for the whole ring time.
    Expired(HelpRequest),
    /// The head started ringing.
    Rang(HelpRequest),
}

const COLUMNS: &str =
    "id, provider_id, listing_id, buyer_id, buyer_name, title, state, ringing_since_ms, booking_id";
const IN_LINE: &str = "state IN ('waiting', 'ringing', 'accepting')";

/// Providers with a dashboard open on some node seen since `since`; `only` narrows it
/// to one provider.
async fn online_on(
    conn: &mut sqlx::AnyConnection,
    since: Timestamp,
    only: Option<i64>,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT provider_id FROM help_now_presence \
         WHERE seen_at_ms >= $1 AND ($2 IS NULL OR provider_id = $2) ORDER BY provider_id",
    )
    .bind(ms(since))
    .bind(only)
    .fetch_all(conn)
    .await?)
}

fn request(row: &AnyRow) -> HelpRequest {
    HelpRequest {
        id: row.get("id"),
        provider_id: row.get("provider_id"),
        listing_id: row.get("listing_id"),
        buyer_id: row.get("buyer_id"),
        buyer_name: row.get("buyer_name"),
        title: row.get("title"),
        state: row.get("state"),
        ringing_since: row.get::<Option<i64>, _>("ringing_since_ms").map(ts),
        booking_id: row.get("booking_id"),
    }
}

impl Store {
    /// Counts one more (`+1`) or one fewer (`-1`) dashboard socket of `provider_id` on
    /// `node`.
    pub async fn help_now_socket(
        &self,
        provider_id: i64,
        node: &str,
        delta: i64,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        if delta > 0 {
            sqlx::query(
                "INSERT INTO help_now_presence (provider_id, node, sockets, seen_at_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (provider_id, node) DO UPDATE \
                 SET sockets = help_now_presence.sockets + excluded.sockets, seen_at_ms = excluded.seen_at_ms",
            )
            .bind(provider_id)
            .bind(node)
            .bind(delta)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        } else {
            let kept = sqlx::query(
                "UPDATE help_now_presence SET sockets = sockets + $1 \
                 WHERE provider_id = $2 AND node = $3 AND sockets + $1 > 0",
            )
            .bind(delta)
            .bind(provider_id)
            .bind(node)
            .execute(&mut *tx)
            .await?;
            if kept.rows_affected() == 0 {
                sqlx::query("DELETE FROM help_now_presence WHERE provider_id = $1 AND node = $2")
                    .bind(provider_id)
                    .bind(node)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Keeps `node`'s presence rows fresh; drops rows of nodes silent since `stale_before`.
    pub async fn help_now_heartbeat(
        &self,
        node: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE help_now_presence SET seen_at_ms = $1 WHERE node = $2")
            .bind(ms(now))
            .bind(node)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM help_now_presence WHERE seen_at_ms < $1")
            .bind(ms(stale_before))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Providers with a dashboard open on some node seen since `since`.
    pub async fn help_now_online(&self, since: Timestamp) -> Result<Vec<i64>> {
        online_on(&mut *self.pool.acquire().await?, since, None).await
    }

    pub async fn help_now_is_online(&self, provider_id: i64, since: Timestamp) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(!online_on(&mut conn, since, Some(provider_id))
            .await?
            .is_empty())
    }

    /// Puts a request at the end of the provider's line.
    #[allow(clippy::too_many_arguments)]
    pub async fn help_now_ask(
        &self,
        provider_id: i64,
        listing_id: i64,
        buyer_id: i64,
        buyer_name: &str,
        title: &str,
        online_since: Timestamp,
        now: Timestamp,
    ) -> Result<std::result::Result<HelpRequest, AskRefusal>> {
        let mut tx = self.write().await?;
        if online_on(&mut tx, online_since, Some(provider_id))
            .await?
            .is_empty()
        {
            return Ok(Err(AskRefusal::Offline));
        }
        let (size, mine): (i64, i64) = sqlx::query_as(crate::dynamic(format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN buyer_id = $2 THEN 1 ELSE 0 END), 0) \
             FROM help_now_requests WHERE provider_id = $1 AND {IN_LINE}"
        )))
        .bind(provider_id)
        .bind(buyer_id)
        .fetch_one(&mut *tx)
        .await?;
        if mine > 0 {
            return Ok(Err(AskRefusal::AlreadyWaiting));
        }
        if size >= LINE_MAX {
            return Ok(Err(AskRefusal::LineFull));
        }
        let row = sqlx::query(crate::dynamic(format!(
            "INSERT INTO help_now_requests (provider_id, listing_id, buyer_id, buyer_name, title, state, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, 'waiting', $6) RETURNING {COLUMNS}"
        )))
        .bind(provider_id)
        .bind(listing_id)
        .bind(buyer_id)
        .bind(buyer_name)
        .bind(title)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(request(&row)))
    }

    /// A request and its place in line (1 is the head; 0 once it left the line).
    pub async fn help_now_request(&self, id: i64) -> Result<(HelpRequest, usize)> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {COLUMNS} FROM help_now_requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let r = request(&row);
        let place = if matches!(r.state.as_str(), "waiting" | "ringing") {
            let ahead: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM help_now_requests WHERE provider_id = $1 AND id < $2 \
                 AND state IN ('waiting', 'ringing')",
            )
            .bind(r.provider_id)
            .bind(r.id)
            .fetch_one(&self.pool)
            .await?;
            ahead as usize + 1
        } else {
            0
        };
        Ok((r, place))
    }

    /// A provider's line in order (waiting and ringing requests).
    pub async fn help_now_line(&self, provider_id: i64) -> Result<Vec<HelpRequest>> {
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {COLUMNS} FROM help_now_requests WHERE provider_id = $1 \
             AND state IN ('waiting', 'ringing') ORDER BY id"
        )))
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(request).collect())
    }

    /// Takes the ringing request `id` of `provider_id` out of the line for booking; the
    /// caller then calls `help_now_accepted`, or `help_now_put_back` if booking failed.
    pub async fn help_now_take(&self, provider_id: i64, id: i64) -> Result<Option<HelpRequest>> {
        let row = sqlx::query(crate::dynamic(format!(
            "UPDATE help_now_requests SET state = 'accepting' \
             WHERE id = $1 AND provider_id = $2 AND state = 'ringing' RETURNING {COLUMNS}"
        )))
        .bind(id)
        .bind(provider_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(request))
    }

    pub async fn help_now_accepted(&self, id: i64, booking_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE help_now_requests SET state = 'accepted', booking_id = $1 WHERE id = $2 AND state = 'accepting'",
        )
        .bind(booking_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Puts a taken request back at the head of its line, still ringing.
    pub async fn help_now_put_back(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE help_now_requests SET state = 'ringing' WHERE id = $1 AND state = 'accepting'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The buyer leaves the line; false when the request was not theirs or not in line.
    pub async fn help_now_leave(&self, buyer_id: i64, id: i64) -> Result<Option<HelpRequest>> {
        let row = sqlx::query(crate::dynamic(format!(
            "UPDATE help_now_requests SET state = 'left' \
             WHERE id = $1 AND buyer_id = $2 AND state IN ('waiting', 'ringing') RETURNING {COLUMNS}"
        )))
        .bind(id)
        .bind(buyer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(request))
    }

    /// Providers with someone in line.
    pub async fn help_now_providers_with_lines(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(crate::dynamic(format!(
            "SELECT DISTINCT provider_id FROM help_now_requests WHERE {IN_LINE} ORDER BY provider_id"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Advances every line once: expires a head that rang for `ring_for`, and rings a
    /// waiting head whose provider is online (seen since `online_since`) and not `busy`.
    pub async fn help_now_tick(
        &self,
        ring_for: SignedDuration,
        online_since: Timestamp,
        busy: &[i64],
        now: Timestamp,
    ) -> Result<Vec<LineChange>> {
        let mut tx = self.write().await?;
        let heads = sqlx::query(crate::dynamic(format!(
            "SELECT {COLUMNS} FROM help_now_requests r WHERE {IN_LINE} AND id = \
             (SELECT MIN(id) FROM help_now_requests h WHERE h.provider_id = r.provider_id AND h.{IN_LINE})"
        )))
        .fetch_all(&mut *tx)
        .await?;
        let online = online_on(&mut tx, online_since, None).await?;
        let mut changes = Vec::new();
        for head in heads.iter().map(request) {
            match head.state.as_str() {
                "ringing"
                    if head
                        .ringing_since
                        .is_some_and(|s| now.duration_since(s) >= ring_for) =>
                {
                    sqlx::query("UPDATE help_now_requests SET state = 'expired' WHERE id = $1")
                        .bind(head.id)
                        .execute(&mut *tx)
                        .await?;
                    changes.push(LineChange::Expired(HelpRequest {
                        state: "expired".into(),
                        ..head
                    }));
                }
                "waiting"
                    if online.contains(&head.provider_id) && !busy.contains(&head.provider_id) =>
                {
                    sqlx::query(
                        "UPDATE help_now_requests SET state = 'ringing', ringing_since_ms = $1 WHERE id = $2",
                    )
                    .bind(ms(now))
                    .bind(head.id)
                    .execute(&mut *tx)
                    .await?;
                    changes.push(LineChange::Rang(HelpRequest {
                        state: "ringing".into(),
                        ringing_since: Some(now),
                        ..head
                    }));
                }
                _ => {}
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    /// Forgets finished requests older than `before`.
    pub async fn purge_help_now(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query(crate::dynamic(format!(
            "DELETE FROM help_now_requests WHERE NOT {IN_LINE} AND created_at_ms < $1"
        )))
        .bind(ms(before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Ends a request taken for booking that can never be booked: it counts as expired.
    pub async fn help_now_drop(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE help_now_requests SET state = 'expired' WHERE id = $1 AND state = 'accepting'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
