//! The PostgreSQL schema (`migrations/postgres`) against the SQLite one: it applies to a
//! real server, and every table has the same columns in the same order, so the two can't
//! drift apart as migrations are added. Its constraints that SQLite enforces in triggers
//! (the append-only ledger) and the booking exclusion constraint are exercised too.
//!
//! Needs `ONHAND_TEST_POSTGRES_URL` (CI: postgres://postgres@127.0.0.1:5432/test); says
//! loudly when it is skipped. Each run works in a schema of its own and drops it.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::str::FromStr;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

fn postgres_url() -> Option<String> {
    let url = std::env::var("ONHAND_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        eprintln!(
            "\n*** SKIPPED PostgreSQL schema test: set ONHAND_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n"
        );
    }
    url
}

/// Table name -> its columns in order, from the SQLite store as the migrations leave it.
async fn sqlite_tables() -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    onhand_store::Store::open_sqlite(dir.path())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.path().join(onhand_store::SQLITE_FILE).display()
    ))
    .await
    .unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut tables = BTreeMap::new();
    for name in names {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        tables.insert(name, columns);
    }
    tables
}

#[tokio::test]
async fn the_postgres_schema_matches_sqlite_and_keeps_its_rules() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schema = format!("onhand_schema_test_{}", std::process::id());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&admin)
            .await
            .unwrap();
    }
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let result = async {
        POSTGRES_MIGRATIONS.run(&pool).await.expect("the PostgreSQL migrations apply");

        // Same tables, same columns, same order.
        let rows = sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name <> '_sqlx_migrations' ORDER BY table_name, ordinal_position",
        )
        .bind(&schema)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut postgres: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in rows {
            postgres.entry(r.get("t")).or_default().push(r.get("c"));
        }
        let sqlite = sqlite_tables().await;
        assert_eq!(
            postgres.keys().collect::<Vec<_>>(),
            sqlite.keys().collect::<Vec<_>>(),
            "the same tables on both backends"
        );
        for (table, columns) in &sqlite {
            assert_eq!(&postgres[table], columns, "columns of {table}");
        }

        // The ledger is append-only, as SQLite's triggers make it.
        let account = |email: &str| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO accounts (email, password_hash, display_name, time_zone, created_at_ms) \
                 VALUES ($1, 'x', $1, 'UTC', 0) RETURNING id",
            )
            .bind(email.to_string())
        };
        let gus = account("gus@example.com").fetch_one(&pool).await.unwrap();
        let bea = account("bea@example.com").fetch_one(&pool).await.unwrap();
        let transfer: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_transfers (kind, debit, credit, currency, amount_minor, purpose, created_at_ms) \
             VALUES ('posted', 'Gateway:USD', $1, 'USD', 500, 'top_up', 0) RETURNING id",
        )
        .bind(format!("Wallet:{bea}:USD"))
        .fetch_one(&pool)
        .await
        .unwrap();
        for statement in [
            "UPDATE ledger_transfers SET amount_minor = 1 WHERE id = $1",
            "DELETE FROM ledger_transfers WHERE id = $1",
        ] {
            let refused = sqlx::query(statement).bind(transfer).execute(&pool).await;
            let message = refused.expect_err(statement).to_string();
            assert!(message.contains("ledger transfers are"), "{statement}: {message}");
        }

        // Two time-holding bookings of one provider may not overlap (unless they are the
        // same listing at the same start: a group session's seats).
        let listing: i64 = sqlx::query_scalar(
            "INSERT INTO listings (provider_id, review_status, created_at_ms) VALUES ($1, 'approved', 0) RETURNING id",
        )
        .bind(gus)
        .fetch_one(&pool)
        .await
        .unwrap();
        let other: i64 = sqlx::query_scalar(
            "INSERT INTO listings (provider_id, review_status, created_at_ms) VALUES ($1, 'approved', 0) RETURNING id",
        )
        .bind(gus)
        .fetch_one(&pool)
        .await
        .unwrap();
        let book = |listing: i64, start: i64, end: i64| {
            sqlx::query(
                "INSERT INTO bookings (listing_id, provider_id, buyer_id, start_ms, end_ms, seats, state, title, \
                 price_model, price_minor, currency, cancellation_policy, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, 1, 'confirmed', 't', 'fixed', 0, 'USD', 'flexible', 0, 0)",
            )
            .bind(listing)
            .bind(gus)
            .bind(bea)
            .bind(start)
            .bind(end)
        };
        book(listing, 0, 3_600_000).execute(&pool).await.expect("a first booking");
        book(listing, 0, 3_600_000).execute(&pool).await.expect("a second seat of the same slot");
        book(listing, 3_600_000, 7_200_000).execute(&pool).await.expect("back to back");
        let overlap = book(other, 1_800_000, 5_400_000).execute(&pool).await;
        assert!(
            overlap.expect_err("an overlapping booking of another listing").to_string().contains("bookings_no_overlap"),
        );
    }
    .await;
    pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
    result
}
