//! Provider applications and the operator's decisions on them.

use crate::model::{Page, Paged, Provider};
use crate::{Result, Store, StoreError, json_list, ms, parse_list, ts};
use jiff::Timestamp;
use onhand_core::provider::Application;
use sqlx::Row;
use sqlx::any::AnyRow;

const PROVIDER_COLUMNS: &str = "p.account_id, a.display_name, p.headline, p.bio, p.languages, p.time_zone, p.country, \
     p.experience, p.licence_number, p.licence_authority, p.status, p.decision_reason, p.submitted_at_ms, \
     p.decided_at_ms, a.suspended_at_ms";

fn provider(row: &AnyRow) -> Provider {
    Provider {
        account_id: row.get("account_id"),
        display_name: row.get("display_name"),
        headline: row.get("headline"),
        bio: row.get("bio"),
        languages: parse_list(row.get("languages")),
        time_zone: row.get("time_zone"),
        country: row.get("country"),
        experience: row.get("experience"),
        licence_number: row.get("licence_number"),
        licence_authority: row.get("licence_authority"),
        status: row.get("status"),
        decision_reason: row.get("decision_reason"),
        submitted_at: ts(row.get("submitted_at_ms")),
        decided_at: row.get::<Option<i64>, _>("decided_at_ms").map(ts),
        suspended: row.get::<Option<i64>, _>("suspended_at_ms").is_some(),
    }
}

impl Store {
    /// Files (or refiles after a rejection) an application. An approved provider's
    /// application is their public profile; changing it sends it back to review only
    /// when the licence changes, since a licence is what the operator verified.
    pub async fn apply_as_provider(
        &self,
        account_id: i64,
        app: &Application,
        now: Timestamp,
    ) -> Result<Provider> {
        let (number, authority) = match &app.licence {
            Some(l) => (Some(l.number.as_str()), Some(l.authority.as_str())),
            None => (None, None),
        };
        let mut tx = self.write().await?;
        let existing: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT status, licence_number, licence_authority FROM providers WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
        let keep_approval = matches!(&existing, Some((status, n, a))
            if status == "approved" && n.as_deref() == number && a.as_deref() == authority);
        if keep_approval {
            sqlx::query(
                "UPDATE providers SET headline = $1, bio = $2, languages = $3, time_zone = $4, country = $5, experience = $6 WHERE account_id = $7",
            )
            .bind(&app.headline)
            .bind(&app.bio)
            .bind(json_list(&app.languages))
            .bind(app.time_zone.as_str())
            .bind(&app.country)
            .bind(&app.experience)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO providers (account_id, headline, bio, languages, time_zone, country, experience, \
                     licence_number, licence_authority, status, submitted_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10) \
                 ON CONFLICT (account_id) DO UPDATE SET headline = excluded.headline, bio = excluded.bio, \
                     languages = excluded.languages, time_zone = excluded.time_zone, country = excluded.country, \
                     experience = excluded.experience, licence_number = excluded.licence_number, \
                     licence_authority = excluded.licence_authority, status = 'submitted', \
                     decision_reason = NULL, decided_at_ms = NULL, decided_by = NULL, \
                     submitted_at_ms = excluded.submitted_at_ms",
            )
            .bind(account_id)
            .bind(&app.headline)
            .bind(&app.bio)
            .bind(json_list(&app.languages))
            .bind(app.time_zone.as_str())
            .bind(&app.country)
            .bind(&app.experience)
            .bind(number)
            .bind(authority)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.provider(account_id).await
    }

    pub async fn provider(&self, account_id: i64) -> Result<Provider> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {PROVIDER_COLUMNS} FROM providers p JOIN accounts a ON a.id = p.account_id WHERE p.account_id = $1"
        )))
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(provider(&row))
    }

    /// Applications in `status`, oldest first (the operator's queue order).
    pub async fn provider_applications(&self, status: &str, page: Page) -> Result<Paged<Provider>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM providers WHERE status = $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {PROVIDER_COLUMNS} FROM providers p JOIN accounts a ON a.id = p.account_id \
             WHERE p.status = $1 ORDER BY p.submitted_at_ms, p.account_id LIMIT $2 OFFSET $3"
        )))
        .bind(status)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(provider).collect(),
            total,
        })
    }

    /// Approves or rejects a submitted application, exactly once.
    pub async fn decide_provider(
        &self,
        account_id: i64,
        approve: bool,
        reason: Option<&str>,
        operator_id: i64,
        now: Timestamp,
    ) -> Result<Provider> {
        let done = sqlx::query(
            "UPDATE providers SET status = $1, decision_reason = $2, decided_at_ms = $3, decided_by = $4 \
             WHERE account_id = $5 AND status = 'submitted'",
        )
        .bind(if approve { "approved" } else { "rejected" })
        .bind(reason)
        .bind(ms(now))
        .bind(operator_id)
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let p = self.provider(account_id).await?;
            return Err(StoreError::WrongState(format!(
                "the application is {}, not submitted",
                p.status
            )));
        }
        self.provider(account_id).await
    }
}
