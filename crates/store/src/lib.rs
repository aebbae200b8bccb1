//! Onhand's storage: one async API over the database, whatever the backend.
//!
//! Architecture invariant: nothing outside this crate sees SQL, a pool or a row. Callers
//! get plain structs from `model` and errors from `StoreError`, so a PostgreSQL backend
//! can be added here without touching `core` or `web`.
//! Architecture invariant: the store never reads the clock; every write takes `now`.

mod accounts;
mod bookings;
mod jobs;
mod listings;
pub mod model;
mod money;
mod orgs;
mod providers;
mod reputation;
mod rooms;

pub use bookings::{BookError, default_weekly};
pub use jobs::backoff;
pub use model::*;
pub use money::Settle;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "onhand.sqlite3";
/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections in the pool; SQLite serializes writers anyway.
pub const MAX_CONNECTIONS: u32 = 8;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// What went wrong in the store, split by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule would break; the string names what is taken ("email").
    #[error("{0} is already taken")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// The thing exists but is not in a state that allows this change.
    #[error("{0}")]
    WrongState(String),
    /// A wallet or earnings account cannot cover a debit.
    #[error("{available_minor} is available; {needed_minor} is needed")]
    InsufficientFunds {
        available_minor: i64,
        needed_minor: i64,
    },
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound;
        }
        StoreError::Backend(Box::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Maps a unique-constraint failure to `Conflict(what)`; everything else passes through.
fn unique_as(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::from(e),
    }
}

/// The database. Cheap to clone: clones share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `data_dir` and applies every
    /// embedded migration.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let path = data_dir.join(SQLITE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies migrations that have not run yet. Safe to call on every start.
    pub async fn migrate(&self) -> Result<()> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// True when no account exists yet: demo data may be seeded.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

fn ts(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("a list of strings always serializes")
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Marks a query string built from constants in this crate (column lists, fixed ORDER BY
/// clauses) as audited: user input only ever reaches SQL through bind parameters.
fn dynamic(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

impl Store {
    /// Rows in each table, by table name. Tests use it to prove a refused request wrote nothing.
    pub async fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for table in [
            "accounts",
            "sessions",
            "api_tokens",
            "providers",
            "organizations",
            "organization_members",
            "listings",
            "listing_versions",
            "bookings",
            "ledger_transfers",
            "top_ups",
            "payouts",
            "refund_requests",
            "reviews",
            "review_votes",
            "buyer_ratings",
            "blocks",
            "reports",
            "moderation_log",
            // Notifications are written by the job runner after the request that
            // enqueued their job, so they are counted through `jobs`.
            "jobs",
        ] {
            let n: i64 = sqlx::query_scalar(dynamic(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&self.pool)
                .await?;
            out.push((table.to_string(), n));
        }
        Ok(out)
    }
}
