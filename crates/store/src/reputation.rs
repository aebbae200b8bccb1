//! Reviews and helpful votes, the provider's private rating of buyers, blocks, help-now
//! rings and response stats, reports, and the operator's moderation with its
//! append-only log.
//!
//! Architecture invariant: a moderation action, what it changes (a hidden item, a
//! suspended account and its cancelled, refunded bookings, the reports it closes) and
//! its log entry are one transaction; the log refuses UPDATE and DELETE.

use crate::model::{
    BlockedBuyer, Booking, ModerationEntry, Page, Paged, Report, ResponseStats, Review, ReviewSort,
    ReviewSubject,
};
use crate::{Result, Settle, Store, StoreError, dynamic, ms, ts, unique_as};
use jiff::Timestamp;
use onhand_core::booking::{BookingEvent, BookingState, Party};
use onhand_core::reputation::{EDIT_WINDOW, Moderation, ReportTarget, ReviewInput, Stars};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const REVIEW_SELECT: &str = "SELECT r.id, r.booking_id, r.listing_id, b.title AS listing_title, \
     r.provider_id, pa.display_name AS provider_name, r.buyer_id, ba.display_name AS buyer_name, \
     r.stars, r.body, r.created_at_ms, r.edited_at_ms, r.reply, r.replied_at_ms, r.hidden_at_ms, \
     r.hidden_reason, (SELECT COUNT(*) FROM review_votes v WHERE v.review_id = r.id) AS helpful \
     FROM reviews r JOIN bookings b ON b.id = r.booking_id \
     JOIN accounts pa ON pa.id = r.provider_id JOIN accounts ba ON ba.id = r.buyer_id";

fn review(row: &AnyRow) -> Review {
    Review {
        id: row.get("id"),
        booking_id: row.get("booking_id"),
        listing_id: row.get("listing_id"),
        listing_title: row.get("listing_title"),
        provider_id: row.get("provider_id"),
        provider_name: row.get("provider_name"),
        buyer_id: row.get("buyer_id"),
        buyer_name: row.get("buyer_name"),
        stars: row.get::<i64, _>("stars") as u8,
        body: row.get("body"),
        created_at: ts(row.get("created_at_ms")),
        edited_at: row.get::<Option<i64>, _>("edited_at_ms").map(ts),
        reply: row.get("reply"),
        replied_at: row.get::<Option<i64>, _>("replied_at_ms").map(ts),
        helpful: row.get("helpful"),
        hidden_at: row.get::<Option<i64>, _>("hidden_at_ms").map(ts),
        hidden_reason: row.get("hidden_reason"),
    }
}

/// The WHERE clause and bind value choosing a subject's visible reviews.
fn subject_filter(subject: ReviewSubject) -> (&'static str, i64) {
    match subject {
        ReviewSubject::Listing(id) => ("r.listing_id = $1", id),
        ReviewSubject::Provider(id) => ("r.provider_id = $1", id),
        ReviewSubject::Organization(id) => (
            "r.listing_id IN (SELECT id FROM listings WHERE organization_id = $1)",
            id,
        ),
    }
}

const REPORT_SELECT: &str = "SELECT p.id, p.reporter_id, a.display_name AS reporter_name, \
     p.target_kind, p.target_id, p.reason, p.status, p.created_at_ms, p.decided_at_ms, p.decided_by, \
     (SELECT COUNT(*) FROM reports o WHERE o.target_kind = p.target_kind AND o.target_id = p.target_id \
      AND o.status = 'open') AS open_on_target \
     FROM reports p JOIN accounts a ON a.id = p.reporter_id";

fn report(row: &AnyRow) -> Report {
    Report {
        id: row.get("id"),
        reporter_id: row.get("reporter_id"),
        reporter_name: row.get("reporter_name"),
        target: ReportTarget::parse(row.get("target_kind")).expect("the CHECK keeps kinds valid"),
        target_id: row.get("target_id"),
        reason: row.get("reason"),
        status: row.get("status"),
        created_at: ts(row.get("created_at_ms")),
        decided_at: row.get::<Option<i64>, _>("decided_at_ms").map(ts),
        decided_by: row.get("decided_by"),
        open_on_target: row.get("open_on_target"),
    }
}

impl Store {
    /// The buyer's review of a booking; the caller has checked the booking may be
    /// reviewed. `Conflict("review")` when it already has one.
    pub async fn create_review(
        &self,
        booking: &Booking,
        input: &ReviewInput,
        now: Timestamp,
    ) -> Result<Review> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reviews (booking_id, listing_id, provider_id, buyer_id, stars, body, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(booking.id)
        .bind(booking.listing_id)
        .bind(booking.provider_id)
        .bind(booking.buyer_id)
        .bind(i64::from(input.stars))
        .bind(&input.body)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as(e, "review"))?;
        self.review(id).await
    }

    /// Rewrites a review while its edit window is open; `WrongState` after.
    pub async fn edit_review(
        &self,
        id: i64,
        input: &ReviewInput,
        now: Timestamp,
    ) -> Result<Review> {
        let done = sqlx::query(
            "UPDATE reviews SET stars = $1, body = $2, edited_at_ms = $3 WHERE id = $4 AND created_at_ms > $5",
        )
        .bind(i64::from(input.stars))
        .bind(&input.body)
        .bind(ms(now))
        .bind(id)
        .bind(ms(now - EDIT_WINDOW))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.review(id).await?;
            return Err(StoreError::WrongState(
                "reviews can be edited for 7 days after they are written; this one no longer can"
                    .into(),
            ));
        }
        self.review(id).await
    }

    /// The provider's one reply; `WrongState` when there already is one.
    pub async fn reply_to_review(&self, id: i64, body: &str, now: Timestamp) -> Result<Review> {
        let done = sqlx::query(
            "UPDATE reviews SET reply = $1, replied_at_ms = $2 WHERE id = $3 AND reply IS NULL",
        )
        .bind(body)
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.review(id).await?;
            return Err(StoreError::WrongState(
                "this review already has your reply; a review gets one reply".into(),
            ));
        }
        self.review(id).await
    }

    pub async fn review(&self, id: i64) -> Result<Review> {
        let row = sqlx::query(dynamic(format!("{REVIEW_SELECT} WHERE r.id = $1")))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(review(&row))
    }

    pub async fn review_of_booking(&self, booking_id: i64) -> Result<Option<Review>> {
        let row = sqlx::query(dynamic(format!("{REVIEW_SELECT} WHERE r.booking_id = $1")))
            .bind(booking_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(review))
    }

    /// A subject's visible reviews (hidden ones are left out), in `sort` order.
    pub async fn reviews(
        &self,
        subject: ReviewSubject,
        sort: ReviewSort,
        page: Page,
    ) -> Result<Paged<Review>> {
        let (filter, id) = subject_filter(subject);
        let total: i64 = sqlx::query_scalar(dynamic(format!(
            "SELECT COUNT(*) FROM reviews r WHERE {filter} AND r.hidden_at_ms IS NULL"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let order = match sort {
            ReviewSort::Newest => "r.created_at_ms DESC, r.id DESC",
            ReviewSort::Helpful => "helpful DESC, r.created_at_ms DESC, r.id DESC",
        };
        let rows = sqlx::query(dynamic(format!(
            "{REVIEW_SELECT} WHERE {filter} AND r.hidden_at_ms IS NULL ORDER BY {order} LIMIT $2 OFFSET $3"
        )))
        .bind(id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(review).collect(),
            total,
        })
    }

    /// How many visible reviews gave each number of stars.
    pub async fn stars(&self, subject: ReviewSubject) -> Result<Stars> {
        let (filter, id) = subject_filter(subject);
        let rows: Vec<(i64, i64)> = sqlx::query_as(dynamic(format!(
            "SELECT r.stars, COUNT(*) FROM reviews r WHERE {filter} AND r.hidden_at_ms IS NULL GROUP BY r.stars"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(stars_from(rows))
    }

    /// One "helpful" vote per account and review; `Conflict("vote")` for a second.
    pub async fn vote_helpful(
        &self,
        review_id: i64,
        account_id: i64,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query(
            "INSERT INTO review_votes (review_id, account_id, created_at_ms) VALUES ($1, $2, $3)",
        )
        .bind(review_id)
        .bind(account_id)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_as(e, "vote"))?;
        Ok(self.review(review_id).await?.helpful)
    }

    /// Takes a vote back; `NotFound` when there was none.
    pub async fn unvote_helpful(&self, review_id: i64, account_id: i64) -> Result<i64> {
        let done = sqlx::query("DELETE FROM review_votes WHERE review_id = $1 AND account_id = $2")
            .bind(review_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(self.review(review_id).await?.helpful)
    }

    /// The reviews among `ids` that `account_id` found helpful, in one query.
    pub async fn helpful_votes_of(&self, account_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT review_id FROM review_votes WHERE account_id = $1 AND review_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar(dynamic(sql)).bind(account_id);
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// The provider's private rating of a booking's buyer; `Conflict("buyer rating")`
    /// when it was given already.
    pub async fn rate_buyer(
        &self,
        booking: &Booking,
        stars: u8,
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO buyer_ratings (booking_id, provider_id, buyer_id, stars, note, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(booking.id)
        .bind(booking.provider_id)
        .bind(booking.buyer_id)
        .bind(i64::from(stars))
        .bind(note)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_as(e, "buyer rating"))?;
        Ok(())
    }

    /// The stars and note the provider gave this booking's buyer.
    pub async fn buyer_rating(&self, booking_id: i64) -> Result<Option<(u8, String)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT stars, note FROM buyer_ratings WHERE booking_id = $1")
                .bind(booking_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(s, n)| (s as u8, n)))
    }

    /// What providers have privately said of a buyer, as a star count.
    pub async fn buyer_stars(&self, buyer_id: i64) -> Result<Stars> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT stars, COUNT(*) FROM buyer_ratings WHERE buyer_id = $1 GROUP BY stars",
        )
        .bind(buyer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(stars_from(rows))
    }

    /// Blocks a buyer from booking or asking this provider for help; blocking twice is
    /// harmless.
    pub async fn block(&self, provider_id: i64, buyer_id: i64, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO blocks (provider_id, buyer_id, created_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (provider_id, buyer_id) DO NOTHING",
        )
        .bind(provider_id)
        .bind(buyer_id)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `NotFound` when the buyer was not blocked.
    pub async fn unblock(&self, provider_id: i64, buyer_id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM blocks WHERE provider_id = $1 AND buyer_id = $2")
            .bind(provider_id)
            .bind(buyer_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether `buyer_id` ever booked with `provider_id` (providers block only buyers
    /// they have met).
    pub async fn has_booked_with(&self, provider_id: i64, buyer_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM bookings WHERE provider_id = $1 AND buyer_id = $2 LIMIT 1",
        )
        .bind(provider_id)
        .bind(buyer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn is_blocked(&self, provider_id: i64, buyer_id: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM blocks WHERE provider_id = $1 AND buyer_id = $2")
                .bind(provider_id)
                .bind(buyer_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn blocked_buyers(&self, provider_id: i64) -> Result<Vec<BlockedBuyer>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT k.buyer_id, a.display_name, k.created_at_ms FROM blocks k \
             JOIN accounts a ON a.id = k.buyer_id WHERE k.provider_id = $1 ORDER BY k.created_at_ms DESC",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(buyer_id, name, at)| BlockedBuyer {
                buyer_id,
                name,
                blocked_at: ts(at),
            })
            .collect())
    }

    /// One ring of a provider's dashboard: answered after `answer_ms`, or missed (None).
    pub async fn record_ring(
        &self,
        provider_id: i64,
        rang_at: Timestamp,
        answer_ms: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO help_now_rings (provider_id, rang_at_ms, answer_ms) VALUES ($1, $2, $3)",
        )
        .bind(provider_id)
        .bind(ms(rang_at))
        .bind(answer_ms.map(|m| m.max(0)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Rings answered and missed since `since`, the median answer time, and the
    /// provider's sessions by how they ended.
    pub async fn response_stats(
        &self,
        provider_id: i64,
        since: Timestamp,
    ) -> Result<ResponseStats> {
        let answers: Vec<Option<i64>> = sqlx::query_scalar(
            "SELECT answer_ms FROM help_now_rings WHERE provider_id = $1 AND rang_at_ms >= $2 ORDER BY answer_ms",
        )
        .bind(provider_id)
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        let answered: Vec<i64> = answers.iter().flatten().copied().collect();
        let median_answer_ms = (!answered.is_empty()).then(|| answered[(answered.len() - 1) / 2]);
        let (completed, failed): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(CAST(SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END) AS BIGINT), 0), \
             COALESCE(CAST(SUM(CASE WHEN state IN ('cancelled_by_provider', 'no_show_provider') THEN 1 ELSE 0 END) AS BIGINT), 0) \
             FROM bookings WHERE provider_id = $1",
        )
        .bind(provider_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(ResponseStats {
            rings: answers.len() as i64,
            answered: answered.len() as i64,
            median_answer_ms,
            sessions_completed: completed,
            sessions_failed: failed,
        })
    }

    /// Someone reports an item; `Conflict("report")` while their earlier report of the
    /// same item is open, `NotFound` when the item does not exist.
    pub async fn create_report(
        &self,
        reporter_id: i64,
        target: ReportTarget,
        target_id: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<Report> {
        let mut tx = self.write().await?;
        if !target_exists(&mut tx, target, target_id).await? {
            return Err(StoreError::NotFound);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (reporter_id, target_kind, target_id, reason, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(reporter_id)
        .bind(target.as_str())
        .bind(target_id)
        .bind(reason)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as(e, "report"))?;
        tx.commit().await?;
        self.report(id).await
    }

    pub async fn report(&self, id: i64) -> Result<Report> {
        let row = sqlx::query(dynamic(format!("{REPORT_SELECT} WHERE p.id = $1")))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(report(&row))
    }

    /// Reports by status ("open", "dismissed", "actioned"), oldest open first, newest
    /// decided first.
    pub async fn reports(&self, status: &str, page: Page) -> Result<Paged<Report>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports WHERE status = $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await?;
        let order = if status == "open" {
            "p.created_at_ms, p.id"
        } else {
            "p.decided_at_ms DESC, p.id DESC"
        };
        let rows = sqlx::query(dynamic(format!(
            "{REPORT_SELECT} WHERE p.status = $1 ORDER BY {order} LIMIT $2 OFFSET $3"
        )))
        .bind(status)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(report).collect(),
            total,
        })
    }

    /// The account a report's item belongs to: the listing's provider, the review's
    /// author, or the account itself.
    pub async fn responsible_account(&self, target: ReportTarget, target_id: i64) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        responsible_on(&mut conn, target, target_id).await
    }

    /// The operator acts on an open report. Every open report of the same item is closed
    /// with it ("dismissed" or "actioned"), the action is logged, and for a suspension
    /// the account's future bookings are cancelled with full refunds — all in one
    /// transaction. Returns the cancelled bookings and the suspended account.
    pub async fn moderate(
        &self,
        report_id: i64,
        operator_id: i64,
        action: Moderation,
        reason: &str,
        now: Timestamp,
    ) -> Result<(Vec<Booking>, Option<i64>)> {
        let mut tx = self.write().await?;
        let (kind, target_id, status): (String, i64, String) =
            sqlx::query_as("SELECT target_kind, target_id, status FROM reports WHERE id = $1")
                .bind(report_id)
                .fetch_one(&mut *tx)
                .await?;
        if status != "open" {
            return Err(StoreError::WrongState(format!(
                "this report was {status} already"
            )));
        }
        let target = ReportTarget::parse(&kind).expect("the CHECK keeps kinds valid");
        let mut cancelled = Vec::new();
        let mut suspended = None;
        match action {
            Moderation::Dismiss => {}
            Moderation::Hide => {
                if target == ReportTarget::Account {
                    return Err(StoreError::WrongState(
                        "an account cannot be hidden; suspend it or dismiss the report".into(),
                    ));
                }
                let table = table_of(target);
                sqlx::query(dynamic(format!(
                    "UPDATE {table} SET hidden_at_ms = $1, hidden_reason = $2 WHERE id = $3 AND hidden_at_ms IS NULL"
                )))
                .bind(ms(now))
                .bind(reason)
                .bind(target_id)
                .execute(&mut *tx)
                .await?;
            }
            Moderation::Suspend => {
                let account = responsible_on(&mut tx, target, target_id).await?;
                cancelled = suspend_on(&mut tx, account, reason, now).await?;
                log_on(
                    &mut tx,
                    operator_id,
                    "suspend",
                    "account",
                    account,
                    Some(report_id),
                    reason,
                    now,
                )
                .await?;
                suspended = Some(account);
            }
        }
        let closed = if action == Moderation::Dismiss {
            "dismissed"
        } else {
            "actioned"
        };
        sqlx::query(
            "UPDATE reports SET status = $1, decided_at_ms = $2, decided_by = $3 \
             WHERE target_kind = $4 AND target_id = $5 AND status = 'open'",
        )
        .bind(closed)
        .bind(ms(now))
        .bind(operator_id)
        .bind(target.as_str())
        .bind(target_id)
        .execute(&mut *tx)
        .await?;
        if action != Moderation::Suspend {
            log_on(
                &mut tx,
                operator_id,
                action.as_str(),
                target.as_str(),
                target_id,
                Some(report_id),
                reason,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((cancelled, suspended))
    }

    /// Brings a hidden listing or review back into view, logged.
    pub async fn restore(
        &self,
        target: ReportTarget,
        target_id: i64,
        operator_id: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<()> {
        if target == ReportTarget::Account {
            return Err(StoreError::WrongState(
                "accounts are unsuspended, not restored".into(),
            ));
        }
        let table = table_of(target);
        let mut tx = self.write().await?;
        let done = sqlx::query(dynamic(format!(
            "UPDATE {table} SET hidden_at_ms = NULL, hidden_reason = NULL WHERE id = $1 AND hidden_at_ms IS NOT NULL"
        )))
        .bind(target_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(if target_exists(&mut tx, target, target_id).await? {
                StoreError::WrongState(format!("this {} is not hidden", target.as_str()))
            } else {
                StoreError::NotFound
            });
        }
        log_on(
            &mut tx,
            operator_id,
            "restore",
            target.as_str(),
            target_id,
            None,
            reason,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Suspends an account: its sign-in sessions end, its listings leave the catalog, and
    /// its future bookings (as buyer or provider) are cancelled with full refunds — in
    /// one transaction with the log entry. Returns the cancelled bookings.
    pub async fn suspend(
        &self,
        account_id: i64,
        operator_id: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<Booking>> {
        let mut tx = self.write().await?;
        let cancelled = suspend_on(&mut tx, account_id, reason, now).await?;
        log_on(
            &mut tx,
            operator_id,
            "suspend",
            "account",
            account_id,
            None,
            reason,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(cancelled)
    }

    pub async fn unsuspend(&self, account_id: i64, operator_id: i64, now: Timestamp) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE accounts SET suspended_at_ms = NULL, suspended_reason = NULL WHERE id = $1 AND suspended_at_ms IS NOT NULL",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(
                account_unchanged(&mut tx, account_id, "the account is not suspended").await,
            );
        }
        log_on(
            &mut tx,
            operator_id,
            "unsuspend",
            "account",
            account_id,
            None,
            "unsuspended",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The moderation log, newest first.
    pub async fn moderation_log(&self, page: Page) -> Result<Paged<ModerationEntry>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM moderation_log")
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT m.id, m.operator_id, a.display_name, m.action, m.target_kind, m.target_id, \
             m.report_id, m.reason, m.at_ms FROM moderation_log m JOIN accounts a ON a.id = m.operator_id \
             ORDER BY m.id DESC LIMIT $1 OFFSET $2",
        )
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows
                .iter()
                .map(|r| ModerationEntry {
                    id: r.get("id"),
                    operator_id: r.get("operator_id"),
                    operator_name: r.get("display_name"),
                    action: r.get("action"),
                    target_kind: r.get("target_kind"),
                    target_id: r.get("target_id"),
                    report_id: r.get("report_id"),
                    reason: r.get("reason"),
                    at: ts(r.get("at_ms")),
                })
                .collect(),
            total,
        })
    }
}

/// Counts per star from `(stars, count)` rows.
fn stars_from(rows: Vec<(i64, i64)>) -> Stars {
    let mut s = Stars::default();
    for (stars, n) in rows {
        if (1..=5).contains(&stars) {
            s.counts[stars as usize - 1] = n as u64;
        }
    }
    s
}

/// Why a conditional update of an account changed nothing: it does not exist, or it is
/// not in the state the update needs.
async fn account_unchanged(conn: &mut AnyConnection, account_id: i64, state: &str) -> StoreError {
    match target_exists(conn, ReportTarget::Account, account_id).await {
        Ok(true) => StoreError::WrongState(state.into()),
        Ok(false) => StoreError::NotFound,
        Err(e) => e,
    }
}

/// The table a report target lives in.
fn table_of(target: ReportTarget) -> &'static str {
    match target {
        ReportTarget::Listing => "listings",
        ReportTarget::Review => "reviews",
        ReportTarget::Account => "accounts",
        ReportTarget::Message => "room_messages",
    }
}

async fn target_exists(conn: &mut AnyConnection, target: ReportTarget, id: i64) -> Result<bool> {
    let table = table_of(target);
    let found: Option<i64> =
        sqlx::query_scalar(dynamic(format!("SELECT id FROM {table} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

async fn responsible_on(conn: &mut AnyConnection, target: ReportTarget, id: i64) -> Result<i64> {
    let sql = match target {
        ReportTarget::Listing => "SELECT provider_id FROM listings WHERE id = $1",
        ReportTarget::Review => "SELECT buyer_id FROM reviews WHERE id = $1",
        ReportTarget::Account => "SELECT id FROM accounts WHERE id = $1",
        ReportTarget::Message => "SELECT account_id FROM room_messages WHERE id = $1",
    };
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?)
}

#[allow(clippy::too_many_arguments)]
async fn log_on(
    conn: &mut AnyConnection,
    operator_id: i64,
    action: &str,
    target_kind: &str,
    target_id: i64,
    report_id: Option<i64>,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO moderation_log (operator_id, action, target_kind, target_id, report_id, reason, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(operator_id)
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(report_id)
    .bind(reason)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the account suspended, ends its sign-in sessions and cancels every booking it
/// has that has not started yet, voiding the holds (a full refund). A provider's
/// bookings are cancelled as by the provider; a buyer's as by the buyer, without a fee.
async fn suspend_on(
    conn: &mut AnyConnection,
    account_id: i64,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Booking>> {
    let done = sqlx::query(
        "UPDATE accounts SET suspended_at_ms = $1, suspended_reason = $2 WHERE id = $3 AND suspended_at_ms IS NULL",
    )
    .bind(ms(now))
    .bind(reason)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(account_unchanged(conn, account_id, "the account is already suspended").await);
    }
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    let future: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, provider_id FROM bookings WHERE state = 'confirmed' AND (provider_id = $1 OR buyer_id = $1) ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let why =
        "cancelled by Onhand: an account taking part was suspended; the full price is refunded";
    let mut cancelled = Vec::with_capacity(future.len());
    for (id, provider_id) in future {
        let party = if provider_id == account_id {
            Party::Provider
        } else {
            Party::Buyer
        };
        cancelled.push(
            crate::bookings::transition_on(
                conn,
                id,
                BookingState::Confirmed,
                BookingEvent::Cancel(party),
                Some(why),
                Some(0),
                Settle::Void,
                now,
            )
            .await?,
        );
    }
    Ok(cancelled)
}
