//! Moving an installation from SQLite to PostgreSQL (`onhand migrate-to`): every row of
//! every table, ids kept, in one PostgreSQL transaction, then checked.

use crate::{Backend, Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

/// Rows per INSERT statement.
const BATCH_ROWS: usize = 200;

/// What a copy moved: rows per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(String, i64)>,
}

impl CopyReport {
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bytes,
}

impl Store {
    /// Copies this SQLite store into `target`, an empty PostgreSQL store (migrated, no
    /// rows), in one transaction: nothing is written unless everything is. Afterwards
    /// the row counts of both sides must match table by table and the target's ledger
    /// must replay to its stored balances; otherwise the error says what differs.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport> {
        if self.backend != Backend::Sqlite || target.backend != Backend::Postgres {
            return Err(StoreError::WrongState(
                "migrate-to copies a SQLite installation into PostgreSQL".into(),
            ));
        }
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name <> '_sqlx_migrations' ORDER BY rowid",
        )
        .fetch_all(&self.pool)
        .await?;
        for table in &tables {
            let n: i64 =
                sqlx::query_scalar(crate::dynamic(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&target.pool)
                    .await?;
            if n > 0 {
                return Err(StoreError::WrongState(format!(
                    "the target database is not empty: {table} has {n} rows"
                )));
            }
        }
        let mut tx = target.write().await?;
        tx.execute("SET CONSTRAINTS ALL DEFERRED").await?;
        let mut report = CopyReport { tables: Vec::new() };
        for table in &tables {
            let columns: Vec<(String, String)> = sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *tx)
            .await?;
            if columns.is_empty() {
                return Err(StoreError::WrongState(format!(
                    "the target database has no table {table}"
                )));
            }
            let kinds: Vec<Kind> = columns
                .iter()
                .map(|(_, t)| match t.as_str() {
                    "bigint" | "integer" | "smallint" => Kind::Int,
                    "bytea" => Kind::Bytes,
                    _ => Kind::Text,
                })
                .collect();
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            let list = names.join(", ");
            let rows = sqlx::query(crate::dynamic(format!("SELECT {list} FROM {table}")))
                .fetch_all(&self.pool)
                .await?;
            for batch in rows.chunks(BATCH_ROWS) {
                insert_batch(&mut tx, table, &list, &kinds, batch).await?;
            }
            report.tables.push((table.clone(), rows.len() as i64));
            if names.first() == Some(&"id") && matches!(kinds[0], Kind::Int) {
                // Identity columns go on from the highest copied id.
                sqlx::query(crate::dynamic(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false) \
                     WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
                )))
                .fetch_optional(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        for (table, n) in &report.tables {
            let copied: i64 =
                sqlx::query_scalar(crate::dynamic(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&target.pool)
                    .await?;
            if copied != *n {
                return Err(StoreError::WrongState(format!(
                    "{table}: {n} rows in SQLite, {copied} in PostgreSQL"
                )));
            }
        }
        if let Err(e) = target.verify_ledger().await? {
            return Err(StoreError::WrongState(format!(
                "the copied ledger does not replay: {e}"
            )));
        }
        Ok(report)
    }
}

async fn insert_batch(
    tx: &mut sqlx::AnyConnection,
    table: &str,
    list: &str,
    kinds: &[Kind],
    rows: &[AnyRow],
) -> Result<()> {
    let width = kinds.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let sql = format!("INSERT INTO {table} ({list}) VALUES {}", tuples.join(", "));
    let mut query = sqlx::query(crate::dynamic(sql));
    for row in rows {
        for (i, kind) in kinds.iter().enumerate() {
            query = match kind {
                Kind::Int => query.bind(row.try_get::<Option<i64>, _>(i)?),
                Kind::Text => query.bind(row.try_get::<Option<String>, _>(i)?),
                Kind::Bytes => query.bind(row.try_get::<Option<Vec<u8>>, _>(i)?),
            };
        }
    }
    query.execute(&mut *tx).await?;
    Ok(())
}
