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
            "INSERT INTO room_messages (listing_id, start_ms, account_id, text, at_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
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
             WHERE m.listing_id = ? AND m.start_ms = ? AND m.hidden_at_ms IS NULL \
             AND (?3 IS NULL OR m.id = ?3) ORDER BY m.id LIMIT 1000",
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
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.listing_id = ? AND b.start_ms = ? \
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
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
            "SELECT account_id FROM room_presence WHERE listing_id = ? AND start_ms = ? ORDER BY account_id",
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
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.state = 'confirmed' AND b.start_ms <= ? \
             AND b.end_ms >= ? ORDER BY b.start_ms LIMIT 500"
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
                 FROM room_messages m JOIN accounts a ON a.id = m.account_id WHERE m.id = ?",
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
