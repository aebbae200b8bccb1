//! Throw-away PostgreSQL databases for tests: each test run gets a database of its own,
//! created from the server named by `ONHAND_TEST_POSTGRES_URL` and dropped when the
//! handle goes (also by the next run if a crash left one behind).

use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the PostgreSQL server tests may use.
pub const TEST_URL_VAR: &str = "ONHAND_TEST_POSTGRES_URL";

const PREFIX: &str = "onhand_scratch_";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A database that exists until this value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// Where to connect to it.
    pub url: String,
    name: String,
    admin_url: String,
}

/// The server URL from `ONHAND_TEST_POSTGRES_URL`, or `None` after saying loudly on
/// stderr that `what` is skipped.
pub fn test_server(what: &str) -> Option<String> {
    match std::env::var(TEST_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "\n*** SKIPPED on PostgreSQL: {what}. Set {TEST_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n"
            );
            None
        }
    }
}

impl ScratchDatabase {
    /// Creates an empty database on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase, sqlx::Error> {
        let mut admin = PgConnection::connect(admin_url).await?;
        let pid = std::process::id();
        if NEXT.load(Ordering::Relaxed) == 0 {
            drop_leftovers(&mut admin, pid).await?;
        }
        let name = format!("{PREFIX}{pid}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        admin.close().await?;
        Ok(ScratchDatabase {
            url: with_database(admin_url, &name),
            name,
            admin_url: admin_url.to_string(),
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside async tests; a thread of its own may block on its own runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: scratch database {} was not dropped", self.name);
        }
    }
}

/// Drops scratch databases of processes that no longer run.
async fn drop_leftovers(admin: &mut PgConnection, own_pid: u32) -> Result<(), sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'onhand\\_scratch\\_%'",
    )
    .fetch_all(&mut *admin)
    .await?;
    for name in names {
        let pid: Option<u32> = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse().ok());
        let alive = pid
            .is_some_and(|p| p == own_pid || std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await?;
        }
    }
    Ok(())
}

/// `url` with its database (the path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_in_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
