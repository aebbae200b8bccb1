//! The durable job queue, in-app notifications, email preferences and unsubscribe tokens.
//!
//! Architecture invariant: a job runs at least once. Claiming one sets a lease; a job
//! whose lease passed (its process died) is claimed again. A failure is retried with
//! backoff until `max_attempts`, then kept as `failed` with its error for the operator.
//! Handlers are idempotent: a notification is written once per job and person (a unique
//! index), and an email is sent only while its notification has no `emailed_at`.

use crate::model::{Job, JobCounts, Notification, Page, Paged};
use crate::{Result, Store, StoreError, dynamic, ms, ts, unique_as};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

const JOB_COLUMNS: &str = "id, kind, payload, dedupe_key, state, run_at_ms, attempts, max_attempts, \
     last_error, created_at_ms, finished_at_ms";

fn job(row: &AnyRow) -> Job {
    Job {
        id: row.get("id"),
        kind: row.get("kind"),
        payload: row.get("payload"),
        dedupe_key: row.get("dedupe_key"),
        state: row.get("state"),
        run_at: ts(row.get("run_at_ms")),
        attempts: row.get("attempts"),
        max_attempts: row.get("max_attempts"),
        last_error: row.get("last_error"),
        created_at: ts(row.get("created_at_ms")),
        finished_at: row.get::<Option<i64>, _>("finished_at_ms").map(ts),
    }
}

const NOTIFICATION_COLUMNS: &str =
    "id, account_id, kind, title, body, link, job_id, created_at_ms, read_at_ms, emailed_at_ms";

fn notification(row: &AnyRow) -> Notification {
    Notification {
        id: row.get("id"),
        account_id: row.get("account_id"),
        kind: row.get("kind"),
        title: row.get("title"),
        body: row.get("body"),
        link: row.get("link"),
        job_id: row.get("job_id"),
        created_at: ts(row.get("created_at_ms")),
        read_at: row.get::<Option<i64>, _>("read_at_ms").map(ts),
        emailed_at: row.get::<Option<i64>, _>("emailed_at_ms").map(ts),
    }
}

/// The wait before retry `attempt` (1-based): 30 s doubling, at most 6 hours.
pub fn backoff(attempt: i64) -> SignedDuration {
    let secs = 30i64.saturating_mul(1i64 << attempt.clamp(1, 20).saturating_sub(1));
    SignedDuration::from_secs(secs.min(6 * 3600))
}

impl Store {
    /// Schedules a job. With a `dedupe_key` already used, nothing is added and the
    /// existing job is returned.
    pub async fn enqueue(
        &self,
        kind: &str,
        payload: &str,
        dedupe_key: Option<&str>,
        run_at: Timestamp,
        max_attempts: i64,
        now: Timestamp,
    ) -> Result<Job> {
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at_ms, max_attempts, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(kind)
        .bind(payload)
        .bind(dedupe_key)
        .bind(ms(run_at))
        .bind(max_attempts.max(1))
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as(e, "job"));
        let id = match (inserted, dedupe_key) {
            (Ok(id), _) => id,
            (Err(StoreError::Conflict(_)), Some(key)) => {
                sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
                    .bind(key)
                    .fetch_one(&self.pool)
                    .await?
            }
            (Err(e), _) => return Err(e),
        };
        self.job(id).await
    }

    /// Cancels pending jobs whose dedupe key starts with `prefix` (a booking's reminders
    /// when it is cancelled or moved). Returns how many.
    pub async fn cancel_jobs(&self, prefix: &str, now: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at_ms = $1, dedupe_key = NULL \
             WHERE state = 'pending' AND dedupe_key LIKE $2 ESCAPE '\\'",
        )
        .bind(ms(now))
        .bind(format!("{}%", crate::accounts::like_escape(prefix)))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn job(&self, id: i64) -> Result<Job> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(job(&row))
    }

    /// Takes the next due job (or one whose lease passed), leasing it for `lease`.
    /// Runs under the write lock, so two nodes sharing a PostgreSQL database never take
    /// the same job: the second claimant's query runs after the first one committed.
    pub async fn claim_job(&self, lease: SignedDuration, now: Timestamp) -> Result<Option<Job>> {
        let mut tx = self.write().await?;
        let row = sqlx::query(dynamic(format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until_ms = $1 \
             WHERE id = (SELECT id FROM jobs WHERE (state = 'pending' AND run_at_ms <= $2) \
                OR (state = 'running' AND locked_until_ms < $2) ORDER BY run_at_ms, id LIMIT 1) \
             RETURNING {JOB_COLUMNS}"
        )))
        .bind(ms(now + lease))
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.as_ref().map(job))
    }

    pub async fn finish_job(&self, id: i64, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at_ms = $1, locked_until_ms = NULL, last_error = NULL \
             WHERE id = $2 AND state = 'running'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed run: retried after `backoff` until its attempts run out, then
    /// kept as failed with the error.
    pub async fn fail_job(&self, id: i64, error: &str, now: Timestamp) -> Result<Job> {
        let j = self.job(id).await?;
        let error: String = error.chars().take(2000).collect();
        if j.attempts >= j.max_attempts {
            sqlx::query(
                "UPDATE jobs SET state = 'failed', last_error = $1, finished_at_ms = $2, locked_until_ms = NULL \
                 WHERE id = $3 AND state = 'running'",
            )
            .bind(&error)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        } else {
            sqlx::query(
                "UPDATE jobs SET state = 'pending', last_error = $1, run_at_ms = $2, locked_until_ms = NULL \
                 WHERE id = $3 AND state = 'running'",
            )
            .bind(&error)
            .bind(ms(now + backoff(j.attempts)))
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        self.job(id).await
    }

    /// Puts a failed job back in line, now.
    pub async fn retry_job(&self, id: i64, now: Timestamp) -> Result<Job> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'pending', run_at_ms = $1, attempts = 0, finished_at_ms = NULL \
             WHERE id = $2 AND state = 'failed'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.job(id).await?;
            return Err(StoreError::WrongState(
                "only failed jobs are retried".into(),
            ));
        }
        self.job(id).await
    }

    /// Jobs in a state, soonest (pending) or newest (others) first.
    pub async fn jobs(&self, state: &str, page: Page) -> Result<Paged<Job>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = $1")
            .bind(state)
            .fetch_one(&self.pool)
            .await?;
        let order = if state == "pending" {
            "run_at_ms, id"
        } else {
            "id DESC"
        };
        let rows = sqlx::query(dynamic(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state = $1 ORDER BY {order} LIMIT $2 OFFSET $3"
        )))
        .bind(state)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(job).collect(),
            total,
        })
    }

    pub async fn job_counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        let get = |s: &str| rows.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        Ok(JobCounts {
            pending: get("pending"),
            running: get("running"),
            done: get("done"),
            failed: get("failed"),
            cancelled: get("cancelled"),
        })
    }

    /// Writes a person's notification for a job, once: a second call returns the first.
    #[allow(clippy::too_many_arguments)]
    pub async fn notify(
        &self,
        account_id: i64,
        kind: &str,
        title: &str,
        body: &str,
        link: &str,
        job_id: Option<i64>,
        now: Timestamp,
    ) -> Result<(Notification, bool)> {
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO notifications (account_id, kind, title, body, link, job_id, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(account_id)
        .bind(kind)
        .bind(title)
        .bind(body)
        .bind(link)
        .bind(job_id)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as(e, "notification"));
        let (id, fresh) = match inserted {
            Ok(id) => (id, true),
            Err(StoreError::Conflict(_)) => (
                sqlx::query_scalar(
                    "SELECT id FROM notifications WHERE job_id = $1 AND account_id = $2",
                )
                .bind(job_id)
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?,
                false,
            ),
            Err(e) => return Err(e),
        };
        Ok((self.notification(id).await?, fresh))
    }

    pub async fn notification(&self, id: i64) -> Result<Notification> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(notification(&row))
    }

    pub async fn mark_emailed(&self, id: i64, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE notifications SET emailed_at_ms = $1 WHERE id = $2 AND emailed_at_ms IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A person's notifications, newest first.
    pub async fn notifications(&self, account_id: i64, page: Page) -> Result<Paged<Notification>> {
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?;
        let rows = sqlx::query(dynamic(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE account_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(account_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(notification).collect(),
            total,
        })
    }

    pub async fn unread_count(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at_ms IS NULL",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks one notification (or, with `None`, all) of the account read. Returns how many
    /// changed; `NotFound` for someone else's notification.
    pub async fn mark_read(&self, account_id: i64, id: Option<i64>, now: Timestamp) -> Result<u64> {
        let done = match id {
            Some(id) => {
                let owner: Option<i64> =
                    sqlx::query_scalar("SELECT account_id FROM notifications WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                if owner != Some(account_id) {
                    return Err(StoreError::NotFound);
                }
                sqlx::query(
                    "UPDATE notifications SET read_at_ms = $1 WHERE id = $2 AND read_at_ms IS NULL",
                )
                .bind(ms(now))
                .bind(id)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE notifications SET read_at_ms = $1 WHERE account_id = $2 AND read_at_ms IS NULL",
                )
                .bind(ms(now))
                .bind(account_id)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(done.rows_affected())
    }

    /// Whether the account wants email of this kind (yes unless turned off).
    pub async fn email_enabled(&self, account_id: i64, kind: &str) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT enabled FROM email_preferences WHERE account_id = $1 AND kind = $2",
        )
        .bind(account_id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(v.is_none_or(|enabled| enabled != 0))
    }

    /// The kinds the account turned email off for.
    pub async fn emails_off(&self, account_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT kind FROM email_preferences WHERE account_id = $1 AND enabled = 0 ORDER BY kind",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn set_email(&self, account_id: i64, kind: &str, enabled: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO email_preferences (account_id, kind, enabled) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, kind) DO UPDATE SET enabled = excluded.enabled",
        )
        .bind(account_id)
        .bind(kind)
        .bind(i64::from(enabled))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The account's unsubscribe token, made with `fresh` the first time.
    pub async fn unsubscribe_token(&self, account_id: i64, fresh: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO unsubscribe_tokens (account_id, token) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account_id)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT token FROM unsubscribe_tokens WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn account_by_unsubscribe_token(&self, token: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT account_id FROM unsubscribe_tokens WHERE token = $1")
                .bind(token)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Confirmed bookings starting in `[from, to)`, for the reminder sweep.
    pub async fn bookings_starting(&self, from: Timestamp, to: Timestamp) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM bookings WHERE state = 'confirmed' AND start_ms >= $1 AND start_ms < $2 ORDER BY start_ms",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use jiff::SignedDuration;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff(1), SignedDuration::from_secs(30));
        assert_eq!(backoff(2), SignedDuration::from_secs(60));
        assert_eq!(backoff(5), SignedDuration::from_secs(480));
        assert_eq!(backoff(30), SignedDuration::from_hours(6));
    }
}
