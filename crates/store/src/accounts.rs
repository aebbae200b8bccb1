//! Accounts, their sign-in sessions and their API tokens.

use crate::model::{Account, ApiToken, NewAccount, Page, Paged, Session};
use crate::{Result, Store, StoreError, json_list, ms, parse_list, ts, unique_as};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.display_name, a.time_zone, a.languages, a.country, \
     a.is_operator, a.suspended_at_ms, a.suspended_reason, a.created_at_ms";

fn account(row: &AnyRow) -> Account {
    Account {
        id: row.get("id"),
        email: row.get("email"),
        display_name: row.get("display_name"),
        time_zone: row.get("time_zone"),
        languages: parse_list(row.get("languages")),
        country: row.get("country"),
        is_operator: row.get::<i64, _>("is_operator") != 0,
        suspended_at: row.get::<Option<i64>, _>("suspended_at_ms").map(ts),
        suspended_reason: row.get("suspended_reason"),
        created_at: ts(row.get("created_at_ms")),
    }
}

impl Store {
    /// Creates an account; `Conflict("email")` when the address is taken.
    pub async fn create_account(&self, new: &NewAccount<'_>, now: Timestamp) -> Result<Account> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (email, password_hash, display_name, time_zone, languages, country, is_operator, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.email)
        .bind(new.password_hash)
        .bind(new.display_name)
        .bind(new.time_zone)
        .bind(json_list(new.languages))
        .bind(new.country)
        .bind(i64::from(new.is_operator))
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_as(e, "email"))?;
        self.account(id).await
    }

    pub async fn account(&self, id: i64) -> Result<Account> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(account(&row))
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Account> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = $1"
        )))
        .bind(email)
        .fetch_one(&self.pool)
        .await?;
        Ok(account(&row))
    }

    /// The account and its password hash, for signing in.
    pub async fn credentials(&self, email: &str) -> Result<(Account, String)> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.email = $1"
        )))
        .bind(email)
        .fetch_one(&self.pool)
        .await?;
        Ok((account(&row), row.get("password_hash")))
    }

    pub async fn password_hash(&self, account_id: i64) -> Result<String> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn update_profile(
        &self,
        account_id: i64,
        display_name: &str,
        time_zone: &str,
        languages: &[String],
        country: Option<&str>,
    ) -> Result<Account> {
        let done = sqlx::query(
            "UPDATE accounts SET display_name = $1, time_zone = $2, languages = $3, country = $4 WHERE id = $5",
        )
        .bind(display_name)
        .bind(time_zone)
        .bind(json_list(languages))
        .bind(country)
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.account(account_id).await
    }

    /// Replaces the password hash and ends every session but `keep` (the one that asked).
    pub async fn set_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep: Option<&[u8]>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash IS NOT $2")
            .bind(account_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_operator(&self, account_id: i64, is_operator: bool) -> Result<()> {
        sqlx::query("UPDATE accounts SET is_operator = $1 WHERE id = $2")
            .bind(i64::from(is_operator))
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Accounts, newest first, optionally those whose email or name contains `query`.
    pub async fn accounts(&self, query: Option<&str>, page: Page) -> Result<Paged<Account>> {
        let pattern = query.map(|q| format!("%{}%", like_escape(&q.to_lowercase())));
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts a WHERE ($1 IS NULL OR LOWER(a.email) LIKE $1 ESCAPE '\\' OR LOWER(a.display_name) LIKE $1 ESCAPE '\\')",
        )
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a \
             WHERE ($1 IS NULL OR LOWER(a.email) LIKE $1 ESCAPE '\\' OR LOWER(a.display_name) LIKE $1 ESCAPE '\\') \
             ORDER BY a.id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(&pattern)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(account).collect(),
            total,
        })
    }

    // Sessions. Tokens arrive already hashed: the store never sees a usable token.

    pub async fn create_session(
        &self,
        token_hash: &[u8],
        account_id: i64,
        csrf_token: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at_ms, last_seen_at_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf_token)
        .bind(ms(now))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token hash and its account, whatever its age: the caller
    /// applies the timeouts.
    pub async fn session(&self, token_hash: &[u8]) -> Result<Session> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ACCOUNT_COLUMNS}, s.csrf_token, s.created_at_ms AS s_created, s.last_seen_at_ms \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_one(&self.pool)
        .await?;
        Ok(Session {
            account: account(&row),
            csrf_token: row.get("csrf_token"),
            created_at: ts(row.get("s_created")),
            last_seen_at: ts(row.get("last_seen_at_ms")),
        })
    }

    pub async fn touch_session(&self, token_hash: &[u8], now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at_ms = $1 WHERE token_hash = $2")
            .bind(ms(now))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes sessions idle since before `idle_before` or created before `created_before`.
    pub async fn purge_sessions(
        &self,
        idle_before: Timestamp,
        created_before: Timestamp,
    ) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE last_seen_at_ms < $1 OR created_at_ms < $2")
                .bind(ms(idle_before))
                .bind(ms(created_before))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    // API tokens.

    pub async fn create_api_token(
        &self,
        account_id: i64,
        name: &str,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<ApiToken> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (account_id, name, token_hash, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(account_id)
        .bind(name)
        .bind(token_hash)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(ApiToken {
            id,
            name: name.to_string(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// The account a live token belongs to; records the use.
    pub async fn account_by_api_token(&self, token_hash: &[u8], now: Timestamp) -> Result<Account> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at_ms = $1 WHERE token_hash = $2 AND revoked_at_ms IS NULL RETURNING account_id",
        )
        .bind(ms(now))
        .bind(token_hash)
        .fetch_one(&self.pool)
        .await?;
        self.account(row.get("account_id")).await
    }

    pub async fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at_ms, last_used_at_ms, revoked_at_ms FROM api_tokens WHERE account_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ApiToken {
                id: r.get("id"),
                name: r.get("name"),
                created_at: ts(r.get("created_at_ms")),
                last_used_at: r.get::<Option<i64>, _>("last_used_at_ms").map(ts),
                revoked_at: r.get::<Option<i64>, _>("revoked_at_ms").map(ts),
            })
            .collect())
    }

    pub async fn live_api_token_count(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE account_id = $1 AND revoked_at_ms IS NULL",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Revokes one of the account's tokens. `NotFound` when it is not theirs or already revoked.
    pub async fn revoke_api_token(
        &self,
        account_id: i64,
        token_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at_ms = $1 WHERE id = $2 AND account_id = $3 AND revoked_at_ms IS NULL",
        )
        .bind(ms(now))
        .bind(token_id)
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

/// Escapes LIKE's wildcards so user text matches literally.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
