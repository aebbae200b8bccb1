//! Session rooms: the chat transcript, and the bookings that share a room.

use crate::bookings::{BOOKING_COLUMNS, BOOKING_FROM, booking};
use crate::model::{Booking, RoomMessage};
use crate::{Result, Store, dynamic, ms, ts};
use jiff::Timestamp;

impl Store {
    pub async fn add_room_message(
        &self,
        listing_id: i64,
        start: Timestamp,
        account_id: i64,
        text: &str,
        now: Timestamp,
    ) -> Result<RoomMessage> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO room_messages (listing_id, start_ms, account_id, text, at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(listing_id)
        .bind(ms(start))
        .bind(account_id)
        .bind(text)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(self
            .room_messages(listing_id, start, Some(id))
            .await?
            .remove(0))
    }

    /// The room's transcript, oldest first (or one message, by id).
    pub async fn room_messages(
        &self,
        listing_id: i64,
        start: Timestamp,
        only: Option<i64>,
    ) -> Result<Vec<RoomMessage>> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT m.id, m.account_id, a.display_name, m.text, m.at_ms FROM room_messages m \
             JOIN accounts a ON a.id = m.account_id \
             WHERE m.listing_id = $1 AND m.start_ms = $2 AND m.hidden_at_ms IS NULL \
             AND ($3 IS NULL OR m.id = $3) ORDER BY m.id LIMIT 1000",
        )
        .bind(listing_id)
        .bind(ms(start))
        .bind(only)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, account_id, name, text, at)| RoomMessage {
                id,
                account_id,
                name,
                text,
                at: ts(at),
            })
            .collect())
    }

    /// The bookings that share a slot's room (a group session's buyers), not cancelled.
    pub async fn bookings_in_room(
        &self,
        listing_id: i64,
        start: Timestamp,
    ) -> Result<Vec<Booking>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.listing_id = $1 AND b.start_ms = $2 \
             AND b.state IN ('confirmed', 'in_progress', 'completed') ORDER BY b.id"
        )))
        .bind(listing_id)
        .bind(ms(start))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(booking).collect())
    }

    /// Records that `account_id` connected to the slot's room (the first time counts).
    pub async fn mark_present(
        &self,
        listing_id: i64,
        start: Timestamp,
        account_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO room_presence (listing_id, start_ms, account_id, first_connected_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(listing_id)
        .bind(ms(start))
        .bind(account_id)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everyone who ever connected to the slot's room.
    pub async fn present_in_room(&self, listing_id: i64, start: Timestamp) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT account_id FROM room_presence WHERE listing_id = $1 AND start_ms = $2 ORDER BY account_id",
        )
        .bind(listing_id)
        .bind(ms(start))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Confirmed bookings that started at least `after` ago and ended less than a week
    /// ago: nobody began them, so the no-show rules decide.
    pub async fn unbegun_bookings(
        &self,
        after: jiff::SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<Booking>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.state = 'confirmed' AND b.start_ms <= $1 \
             AND b.end_ms >= $2 ORDER BY b.start_ms LIMIT 500"
        )))
        .bind(ms(now - after))
        .bind(ms(now - jiff::SignedDuration::from_hours(7 * 24)))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(booking).collect())
    }

    /// One chat line by id, hidden or not, and whether it is hidden.
    pub async fn room_message(&self, id: i64) -> Result<(RoomMessage, bool)> {
        let (id, account_id, name, text, at, hidden): (i64, i64, String, String, i64, Option<i64>) =
            sqlx::query_as(
                "SELECT m.id, m.account_id, a.display_name, m.text, m.at_ms, m.hidden_at_ms \
                 FROM room_messages m JOIN accounts a ON a.id = m.account_id WHERE m.id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok((
            RoomMessage {
                id,
                account_id,
                name,
                text,
                at: ts(at),
            },
            hidden.is_some(),
        ))
    }
}

/// Which node hosts each session room's media, and passes into a room on another node.
impl Store {
    /// The base URL of the node hosting the room of (`listing_id`, `start`): the room's
    /// current node if it was seen since `stale_before`, else `node_url`, which claims it.
    pub async fn claim_room_node(
        &self,
        listing_id: i64,
        start: Timestamp,
        node_url: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<String> {
        let mut tx = self.write().await?;
        let holder: Option<(String, i64)> = sqlx::query_as(
            "SELECT node_url, seen_at_ms FROM room_nodes WHERE listing_id = $1 AND start_ms = $2",
        )
        .bind(listing_id)
        .bind(ms(start))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((url, seen)) = holder
            && url != node_url
            && seen >= ms(stale_before)
        {
            return Ok(url);
        }
        sqlx::query(
            "INSERT INTO room_nodes (listing_id, start_ms, node_url, seen_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (listing_id, start_ms) DO UPDATE SET node_url = excluded.node_url, seen_at_ms = excluded.seen_at_ms",
        )
        .bind(listing_id)
        .bind(ms(start))
        .bind(node_url)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(node_url.to_string())
    }

    /// Marks every room `node_url` hosts as still hosted (`rooms`: listing and start).
    pub async fn refresh_room_nodes(
        &self,
        node_url: &str,
        rooms: &[(i64, Timestamp)],
        now: Timestamp,
    ) -> Result<()> {
        for (listing_id, start) in rooms {
            sqlx::query(
                "UPDATE room_nodes SET seen_at_ms = $1 WHERE listing_id = $2 AND start_ms = $3 AND node_url = $4",
            )
            .bind(ms(now))
            .bind(listing_id)
            .bind(ms(*start))
            .bind(node_url)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Stores a pass into a room's signaling socket; only the token's hash is kept.
    pub async fn create_room_ticket(
        &self,
        token_hash: &str,
        account_id: i64,
        listing_id: i64,
        start: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO room_tickets (token_hash, account_id, listing_id, start_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(listing_id)
        .bind(ms(start))
        .bind(ms(expires))
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM room_tickets WHERE expires_at_ms < $1")
            .bind(ms(start) - 86_400_000)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account, listing and start a pass admits, if it exists and has not expired.
    pub async fn room_ticket(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, i64, Timestamp)>> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT account_id, listing_id, start_ms FROM room_tickets \
             WHERE token_hash = $1 AND expires_at_ms >= $2",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(a, l, s)| (a, l, ts(s))))
    }
}
