//! Onhand's storage: one async API over the database, whatever the backend.
//!
//! Architecture invariant: nothing outside this crate sees SQL, a pool or a row. Callers
//! get plain structs from `model` and errors from `StoreError`; `core` and `web` do not
//! know whether SQLite or PostgreSQL runs underneath.
//! Architecture invariant: the store never reads the clock; every write takes `now`.

mod accounts;
mod bookings;
mod copy;
mod helpnow;
mod jobs;
mod listings;
pub mod model;
mod money;
mod orgs;
mod providers;
mod reputation;
mod rooms;
pub mod scratch;

pub use bookings::{BookError, default_weekly};
pub use copy::CopyReport;
pub use helpnow::{AskRefusal, HelpRequest, LINE_MAX, LineChange};
pub use jobs::backoff;
pub use model::*;
pub use money::Settle;

use sqlx::any::{Any, AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "onhand.sqlite3";
/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections in the pool for SQLite, which serializes writers anyway.
pub const MAX_CONNECTIONS: u32 = 8;
/// Connections per node for PostgreSQL.
pub const MAX_PG_CONNECTIONS: u32 = 16;
/// The advisory lock every PostgreSQL write transaction takes first (see `Store::write`).
const WRITE_LOCK: i64 = 0x6f6e_6861_6e64; // "onhand"

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL channel nodes tell each other about events on.
pub const EVENTS_CHANNEL: &str = "onhand_events";

/// Receives what every node publishes (see `Store::listen`).
pub struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// The next payload. After a lost connection it reconnects by itself; what was
    /// published meanwhile is missed, and `Ok(None)` says so.
    pub async fn recv(&mut self) -> Result<Option<String>> {
        Ok(self.0.try_recv().await?.map(|n| n.payload().to_string()))
    }
}

/// Which database engine a `Store` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

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
///
/// Every query is written once, in the SQL both engines speak (`$N` placeholders,
/// integers for flags, `CAST(SUM(..) AS BIGINT)`, `LOWER(..) LIKE` for case-blind
/// matching), and runs through sqlx's `Any` driver.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL URL, for the LISTEN connection (`Store::listen`).
    url: Option<std::sync::Arc<str>>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `data_dir` and applies every
    /// embedded migration.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(SQLITE_FILE))
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // WAL is a property of the file: set it once, with the engine's own driver.
        options
            .clone()
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await?
            .close()
            .await?;
        let any = AnyConnectOptions::from_url(&options.to_url_lossy())?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // A local file has no connection to lose: no round trip to check it first.
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Per connection (the URL the pool opens carries only the file).
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}",
                        BUSY_TIMEOUT.as_millis()
                    )))
                    .await?;
                    Ok(())
                })
            })
            .connect_with(any)
            .await?;
        let store = Store {
            pool,
            backend: Backend::Sqlite,
            url: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://...`) and applies every
    /// embedded migration. Several nodes may share one database.
    pub async fn open_postgres(url: &str) -> Result<Store> {
        let pool = Self::postgres_pool(url).await?;
        let store = Store {
            pool,
            backend: Backend::Postgres,
            url: Some(url.into()),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn postgres_pool(url: &str) -> Result<AnyPool> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url)?;
        Ok(AnyPoolOptions::new()
            .max_connections(MAX_PG_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?)
    }

    /// Tells every node listening on this database (PostgreSQL NOTIFY on
    /// `EVENTS_CHANNEL`, delivered after the sender's transaction, in commit order).
    /// Returns false on SQLite, where this process is the only node: the caller
    /// delivers locally.
    pub async fn publish(&self, payload: &str) -> Result<bool> {
        if self.backend != Backend::Postgres {
            return Ok(false);
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENTS_CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// A connection that receives every `publish` of every node, or `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<Listener>> {
        let Some(url) = &self.url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Some(Listener(listener)))
    }

    /// Applies migrations that have not run yet. Safe to call on every start, and from
    /// several nodes at once: sqlx takes a database lock while it migrates.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Begins a write transaction. Writers are serialized on both engines, so every
    /// check-then-write in this crate (a slot still free, a wallet still covering a
    /// hold) sees the last committed write: SQLite takes its write lock up front
    /// (`BEGIN IMMEDIATE`); PostgreSQL takes one transaction-scoped advisory lock, shared
    /// by every node. Reads never wait for it. Booking exclusivity is also a constraint
    /// in the PostgreSQL schema (`bookings_no_overlap`), a backstop this lock keeps from
    /// ever firing.
    async fn write(&self) -> Result<Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Begins a read-only transaction whose statements all see one snapshot.
    async fn snapshot(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        })
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
