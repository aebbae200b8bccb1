//! Availability and bookings. A slot is sold once: the check and the insert run in one
//! write transaction (`BEGIN IMMEDIATE`), so no other writer can slip in between.

use crate::model::{Booking, NewBooking, Page, Paged};
use crate::{Result, Store, StoreError, ms, ts};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use onhand_core::booking::{BookingEvent, BookingState};
use onhand_core::schedule::{Availability, Busy, DateOverride, SlotQuery, Span, is_bookable};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Availability as stored: spans as JSON, the zone by name.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredOverride {
    date: String,
    spans: Vec<Span>,
}

pub(crate) const BOOKING_COLUMNS: &str = "b.id, b.listing_id, b.provider_id, b.buyer_id, b.start_ms, b.end_ms, b.seats, b.state, \
     b.title, b.price_model, b.price_minor, b.minimum_minutes, b.currency, b.cancellation_policy, b.cancel_reason, \
     b.cancel_fee_minor, b.rescheduled_to, b.proposed_start_ms, b.created_at_ms, b.commission_bps, b.hold_id, \
     b.charged_minor, b.commission_minor, b.refunded_minor, b.started_at_ms, b.settled_at_ms, pa.display_name AS provider_name, ba.display_name AS buyer_name";

pub(crate) const BOOKING_FROM: &str = "FROM bookings b JOIN accounts pa ON pa.id = b.provider_id JOIN accounts ba ON ba.id = b.buyer_id";

pub(crate) fn booking(row: &AnyRow) -> Booking {
    Booking {
        id: row.get("id"),
        listing_id: row.get("listing_id"),
        provider_id: row.get("provider_id"),
        provider_name: row.get("provider_name"),
        buyer_id: row.get("buyer_id"),
        buyer_name: row.get("buyer_name"),
        start: ts(row.get("start_ms")),
        end: ts(row.get("end_ms")),
        seats: row.get::<i64, _>("seats") as u32,
        state: BookingState::parse(row.get("state")).unwrap_or(BookingState::Confirmed),
        title: row.get("title"),
        price_model: row.get("price_model"),
        price_minor: row.get("price_minor"),
        minimum_minutes: row.get("minimum_minutes"),
        currency: row.get("currency"),
        cancellation_policy: row.get("cancellation_policy"),
        cancel_reason: row.get("cancel_reason"),
        cancel_fee_minor: row.get("cancel_fee_minor"),
        rescheduled_to: row.get("rescheduled_to"),
        proposed_start: row.get::<Option<i64>, _>("proposed_start_ms").map(ts),
        created_at: ts(row.get("created_at_ms")),
        commission_bps: row.get::<i64, _>("commission_bps") as u32,
        hold_id: row.get("hold_id"),
        charged_minor: row.get("charged_minor"),
        commission_minor: row.get("commission_minor"),
        refunded_minor: row.get("refunded_minor"),
        started_at: row.get::<Option<i64>, _>("started_at_ms").map(ts),
        settled_at: row.get::<Option<i64>, _>("settled_at_ms").map(ts),
    }
}

/// Why a booking could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The slot is taken, outside the hours, too soon or too far ahead.
    #[error("that time is no longer available")]
    SlotGone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BookError {
    fn from(e: sqlx::Error) -> Self {
        BookError::Store(e.into())
    }
}

/// The weekly hours a provider starts with: weekdays 09:00–17:00.
pub fn default_weekly() -> [Vec<Span>; 7] {
    let day = vec![Span {
        start_min: 9 * 60,
        end_min: 17 * 60,
    }];
    [
        day.clone(),
        day.clone(),
        day.clone(),
        day.clone(),
        day,
        vec![],
        vec![],
    ]
}

impl Store {
    /// The provider's availability, or the default hours in their zone if never set.
    pub async fn availability(&self, provider_id: i64) -> Result<Availability> {
        let mut conn = self.pool.acquire().await?;
        load_availability(&mut conn, provider_id, None).await
    }

    /// The availability that applies to one listing: the provider's, with the listing's
    /// own hours in place of the weekly hours and overrides when it has them.
    pub async fn listing_availability(
        &self,
        provider_id: i64,
        listing_id: i64,
    ) -> Result<Availability> {
        let mut conn = self.pool.acquire().await?;
        load_availability(&mut conn, provider_id, Some(listing_id)).await
    }

    /// Sets a listing's own hours, or with `None` returns it to the provider's hours.
    pub async fn set_listing_hours(
        &self,
        listing_id: i64,
        hours: Option<(&[Vec<Span>; 7], &[DateOverride])>,
        now: Timestamp,
    ) -> Result<()> {
        match hours {
            Some((weekly, overrides)) => {
                let stored: Vec<StoredOverride> = overrides
                    .iter()
                    .map(|o| StoredOverride {
                        date: o.date.to_string(),
                        spans: o.spans.clone(),
                    })
                    .collect();
                sqlx::query(
                    "INSERT INTO listing_hours (listing_id, weekly, overrides, updated_at_ms) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (listing_id) DO UPDATE SET weekly = excluded.weekly, overrides = excluded.overrides, \
                     updated_at_ms = excluded.updated_at_ms",
                )
                .bind(listing_id)
                .bind(serde_json::to_string(weekly).expect("spans serialize"))
                .bind(serde_json::to_string(&stored).expect("overrides serialize"))
                .bind(ms(now))
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM listing_hours WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether the listing has hours of its own.
    pub async fn has_listing_hours(&self, listing_id: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM listing_hours WHERE listing_id = $1")
                .bind(listing_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn set_availability(
        &self,
        provider_id: i64,
        a: &Availability,
        now: Timestamp,
    ) -> Result<()> {
        let weekly = serde_json::to_string(&a.weekly).expect("spans serialize");
        let overrides: Vec<StoredOverride> = a
            .overrides
            .iter()
            .map(|o| StoredOverride {
                date: o.date.to_string(),
                spans: o.spans.clone(),
            })
            .collect();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO availability (provider_id, weekly, overrides, buffer_before_min, buffer_after_min, notice_min, horizon_days, step_min, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (provider_id) DO UPDATE SET weekly = excluded.weekly, \
             overrides = excluded.overrides, buffer_before_min = excluded.buffer_before_min, buffer_after_min = excluded.buffer_after_min, \
             notice_min = excluded.notice_min, horizon_days = excluded.horizon_days, step_min = excluded.step_min, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(provider_id)
        .bind(weekly)
        .bind(serde_json::to_string(&overrides).expect("overrides serialize"))
        .bind(i64::from(a.buffer_before_min))
        .bind(i64::from(a.buffer_after_min))
        .bind(i64::from(a.notice_min))
        .bind(i64::from(a.horizon_days))
        .bind(i64::from(a.step_min))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        // The zone lives with the provider profile, so hours and profile never disagree.
        sqlx::query("UPDATE providers SET time_zone = $1 WHERE account_id = $2")
            .bind(a.time_zone.iana_name().unwrap_or("UTC"))
            .bind(provider_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider's bookings that hold time between `from` and `to`.
    pub async fn busy(
        &self,
        provider_id: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Busy>> {
        let mut conn = self.pool.acquire().await?;
        load_busy(&mut conn, provider_id, from, to).await
    }

    /// Books `new.start` if, inside this write transaction, it is still a free slot with
    /// enough seats. Exactly one of any number of racing requests for the last seat wins.
    /// A paid booking holds its price from the buyer's wallet in the same transaction,
    /// and `seal` records the response to the request's idempotency key there too.
    pub async fn book(
        &self,
        new: &NewBooking<'_>,
        seal: Option<&crate::Seal<'_, Booking>>,
        now: Timestamp,
    ) -> Result<Booking, BookError> {
        let mut tx = self.write().await?;
        let booking_id = insert_if_free(&mut tx, new, now).await?;
        let b = crate::money::booking_on(&mut tx, booking_id).await?;
        crate::money::seal_on(&mut tx, seal, &b).await?;
        tx.commit().await?;
        Ok(b)
    }

    /// Moves a confirmed booking to `start`: the old one becomes `rescheduled`, pointing
    /// at the new one, in one transaction.
    pub async fn reschedule(
        &self,
        old_id: i64,
        new: &NewBooking<'_>,
        now: Timestamp,
    ) -> Result<Booking, BookError> {
        let mut tx = self.write().await?;
        let state: String = sqlx::query_scalar("SELECT state FROM bookings WHERE id = $1")
            .bind(old_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = BookingState::parse(&state).unwrap_or(BookingState::Completed);
        current
            .apply(BookingEvent::Reschedule)
            .map_err(|e| StoreError::WrongState(e.to_string()))?;
        // The old booking stops holding its time first, so the new time may overlap it.
        sqlx::query("UPDATE bookings SET state = 'rescheduled', proposed_start_ms = NULL, updated_at_ms = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(old_id)
            .execute(&mut *tx)
            .await?;
        let new_id = insert_if_free(&mut tx, new, now).await?;
        sqlx::query("UPDATE bookings SET rescheduled_to = $1 WHERE id = $2")
            .bind(new_id)
            .bind(old_id)
            .execute(&mut *tx)
            .await?;
        // The money stays where it is: the new booking takes over the old one's hold.
        sqlx::query(
            "UPDATE bookings SET (hold_id, commission_bps) = (SELECT hold_id, commission_bps FROM bookings WHERE id = $1) WHERE id = $2",
        )
        .bind(old_id)
        .bind(new_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(self.booking(new_id).await?)
    }

    /// Records (or, with `None`, withdraws) a provider's proposed new start for a
    /// confirmed booking.
    pub async fn propose_start(
        &self,
        id: i64,
        start: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Booking> {
        let done = sqlx::query(
            "UPDATE bookings SET proposed_start_ms = $1, updated_at_ms = $2 WHERE id = $3 AND state = 'confirmed'",
        )
        .bind(start.map(ms))
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.booking(id).await?;
            return Err(StoreError::WrongState(
                "only a confirmed booking can get a new time".into(),
            ));
        }
        self.booking(id).await
    }

    /// Sets the account's calendar feed token (replacing any earlier one, whose URL stops
    /// working), or with `None` turns the feed off.
    pub async fn set_calendar_feed(
        &self,
        account_id: i64,
        token_hash: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<()> {
        match token_hash {
            Some(hash) => {
                sqlx::query(
                    "INSERT INTO calendar_feeds (account_id, token_hash, created_at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, created_at_ms = excluded.created_at_ms",
                )
                .bind(account_id)
                .bind(hash)
                .bind(ms(now))
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM calendar_feeds WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// When the account's feed was made, if it has one.
    pub async fn calendar_feed_since(&self, account_id: i64) -> Result<Option<Timestamp>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT created_at_ms FROM calendar_feeds WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(at.map(ts))
    }

    /// The account whose feed token has this hash.
    pub async fn calendar_feed_owner(&self, token_hash: &[u8]) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT f.account_id FROM calendar_feeds f JOIN accounts a ON a.id = f.account_id \
             WHERE f.token_hash = $1 AND a.suspended_at_ms IS NULL",
        )
        .bind(token_hash)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Bookings of the account that end after `since`, soonest first, at most `limit`.
    pub async fn bookings_since(
        &self,
        account_id: i64,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<Booking>> {
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE (b.buyer_id = $1 OR b.provider_id = $1) AND b.end_ms > $2 \
             ORDER BY b.start_ms LIMIT $3"
        )))
        .bind(account_id)
        .bind(ms(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(booking).collect())
    }

    /// Whether the provider has a session going on at `now`.
    pub async fn in_session(&self, provider_id: i64, now: Timestamp) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM bookings WHERE provider_id = $1 AND state IN ('confirmed', 'in_progress') AND start_ms <= $2 AND end_ms > $3 LIMIT 1",
        )
        .bind(provider_id)
        .bind(ms(now))
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Books a help-now session starting at `new.start`, outside the provider's weekly
    /// hours, as long as it overlaps none of their other bookings. Same transaction rule
    /// as `book`: checked and written under one write lock.
    pub async fn book_now(
        &self,
        new: &NewBooking<'_>,
        now: Timestamp,
    ) -> Result<Booking, BookError> {
        let mut tx = self.write().await?;
        let end = new.start + jiff::SignedDuration::from_mins(i64::from(new.session_minutes));
        let busy = load_busy(&mut tx, new.provider_id, new.start, end).await?;
        if busy.iter().any(|b| b.start < end && new.start < b.end) {
            return Err(BookError::SlotGone);
        }
        let id = insert(&mut tx, new, end, now).await?;
        tx.commit().await?;
        Ok(self.booking(id).await?)
    }

    pub async fn booking(&self, id: i64) -> Result<Booking> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(booking(&row))
    }

    /// Bookings where `account_id` is the buyer or the provider, soonest first.
    pub async fn bookings_of(&self, account_id: i64, page: Page) -> Result<Paged<Booking>> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM bookings WHERE buyer_id = $1 OR provider_id = $1",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.buyer_id = $1 OR b.provider_id = $1 ORDER BY b.start_ms, b.id LIMIT $2 OFFSET $3"
        )))
        .bind(account_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(booking).collect(),
            total,
        })
    }

    /// Applies a state-machine event, exactly once, and settles the booking's money in
    /// the same transaction: the update only lands if the state is still the one the
    /// caller computed the transition (and the settlement) from.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_booking(
        &self,
        id: i64,
        from: BookingState,
        event: BookingEvent,
        reason: Option<&str>,
        fee_minor: Option<i64>,
        settle: crate::Settle,
        now: Timestamp,
    ) -> Result<Booking> {
        let mut tx = self.write().await?;
        let done = transition_on(&mut tx, id, from, event, reason, fee_minor, settle, now).await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// Moves booking `id` from `from` by `event` and settles its money, inside the caller's
/// transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn transition_on(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    from: BookingState,
    event: BookingEvent,
    reason: Option<&str>,
    fee_minor: Option<i64>,
    settle: crate::Settle,
    now: Timestamp,
) -> Result<Booking> {
    let next = from
        .apply(event)
        .map_err(|e| StoreError::WrongState(e.to_string()))?;
    let current = crate::money::booking_on(conn, id).await?;
    if current.state != from {
        return Err(StoreError::WrongState(
            "the booking changed meanwhile; reload and try again".into(),
        ));
    }
    sqlx::query(
        "UPDATE bookings SET state = $1, cancel_reason = COALESCE($2, cancel_reason), \
         cancel_fee_minor = COALESCE($3, cancel_fee_minor), proposed_start_ms = NULL, updated_at_ms = $4 \
         WHERE id = $5",
    )
    .bind(next.as_str())
    .bind(reason)
    .bind(fee_minor)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    crate::money::settle_booking(conn, &current, settle, now).await?;
    crate::money::booking_on(conn, id).await
}

async fn load_availability(
    conn: &mut sqlx::AnyConnection,
    provider_id: i64,
    listing_id: Option<i64>,
) -> Result<Availability> {
    let mut a = load_provider_availability(conn, provider_id).await?;
    if let Some(listing_id) = listing_id {
        let row = sqlx::query("SELECT weekly, overrides FROM listing_hours WHERE listing_id = $1")
            .bind(listing_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            a.weekly = serde_json::from_str(row.get("weekly")).unwrap_or_else(|_| default_weekly());
            let stored: Vec<StoredOverride> =
                serde_json::from_str(row.get("overrides")).unwrap_or_default();
            a.overrides = stored
                .into_iter()
                .filter_map(|o| {
                    Some(DateOverride {
                        date: o.date.parse().ok()?,
                        spans: o.spans,
                    })
                })
                .collect();
        }
    }
    Ok(a)
}

async fn load_provider_availability(
    conn: &mut sqlx::AnyConnection,
    provider_id: i64,
) -> Result<Availability> {
    let zone: Option<String> =
        sqlx::query_scalar("SELECT time_zone FROM providers WHERE account_id = $1")
            .bind(provider_id)
            .fetch_optional(&mut *conn)
            .await?;
    let time_zone = TimeZone::get(zone.as_deref().unwrap_or("UTC")).unwrap_or(TimeZone::UTC);
    let row = sqlx::query(
        "SELECT weekly, overrides, buffer_before_min, buffer_after_min, notice_min, horizon_days, step_min FROM availability WHERE provider_id = $1",
    )
    .bind(provider_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Availability {
            time_zone,
            weekly: default_weekly(),
            overrides: Vec::new(),
            buffer_before_min: 0,
            buffer_after_min: 10,
            notice_min: 12 * 60,
            horizon_days: 60,
            step_min: 30,
        });
    };
    let weekly: [Vec<Span>; 7] =
        serde_json::from_str(row.get("weekly")).unwrap_or_else(|_| default_weekly());
    let stored: Vec<StoredOverride> =
        serde_json::from_str(row.get("overrides")).unwrap_or_default();
    Ok(Availability {
        time_zone,
        weekly,
        overrides: stored
            .into_iter()
            .filter_map(|o| {
                Some(DateOverride {
                    date: o.date.parse().ok()?,
                    spans: o.spans,
                })
            })
            .collect(),
        buffer_before_min: row.get::<i64, _>("buffer_before_min") as u16,
        buffer_after_min: row.get::<i64, _>("buffer_after_min") as u16,
        notice_min: row.get::<i64, _>("notice_min") as u32,
        horizon_days: row.get::<i64, _>("horizon_days") as u16,
        step_min: row.get::<i64, _>("step_min") as u16,
    })
}

/// Bookings that hold time and touch `[from, to)`, widened by a day for buffers.
async fn load_busy(
    conn: &mut sqlx::AnyConnection,
    provider_id: i64,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Busy>> {
    let day = 24 * 3600 * 1000;
    let rows = sqlx::query(
        "SELECT listing_id, start_ms, end_ms, seats FROM bookings \
         WHERE provider_id = $1 AND state IN ('confirmed', 'in_progress') AND end_ms > $2 AND start_ms < $3",
    )
    .bind(provider_id)
    .bind(ms(from) - day)
    .bind(ms(to) + day)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Busy {
            listing_id: r.get("listing_id"),
            start: ts(r.get("start_ms")),
            end: ts(r.get("end_ms")),
            seats: r.get::<i64, _>("seats") as u32,
        })
        .collect())
}

async fn insert_if_free(
    tx: &mut sqlx::AnyConnection,
    new: &NewBooking<'_>,
    now: Timestamp,
) -> Result<i64, BookError> {
    let availability = load_availability(tx, new.provider_id, Some(new.listing_id)).await?;
    let end = new.start + jiff::SignedDuration::from_mins(i64::from(new.session_minutes));
    let busy = load_busy(tx, new.provider_id, new.start, end).await?;
    let query = SlotQuery {
        listing_id: new.listing_id,
        session_min: new.session_minutes,
        group_size: new.group_size,
        from: new.start,
        to: end,
        now,
    };
    if !is_bookable(&availability, &busy, &query, new.start, new.seats) {
        return Err(BookError::SlotGone);
    }
    insert(tx, new, end, now).await
}

async fn insert(
    tx: &mut sqlx::AnyConnection,
    new: &NewBooking<'_>,
    end: Timestamp,
    now: Timestamp,
) -> Result<i64, BookError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (listing_id, provider_id, buyer_id, start_ms, end_ms, seats, state, title, price_model, \
             price_minor, minimum_minutes, currency, cancellation_policy, commission_bps, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 'confirmed', $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(new.listing_id)
    .bind(new.provider_id)
    .bind(new.buyer_id)
    .bind(ms(new.start))
    .bind(ms(end))
    .bind(i64::from(new.seats))
    .bind(new.title)
    .bind(new.price_model)
    .bind(new.price_minor)
    .bind(new.minimum_minutes)
    .bind(new.currency)
    .bind(new.cancellation_policy)
    .bind(i64::from(new.commission_bps))
    .bind(ms(now))
    .bind(ms(now))
    .fetch_one(&mut *tx)
    .await?;
    crate::money::hold_for_booking(tx, id, new, now).await?;
    Ok(id)
}
