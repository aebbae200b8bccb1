//! Money in the database: the ledger's transfers and balances, top-ups, payouts, booking
//! settlement, refund requests and idempotency keys.
//!
//! Architecture invariants:
//! - Every write that moves money runs in one `BEGIN IMMEDIATE` transaction with the
//!   record that explains it (booking, top-up, payout, refund) and, when the request
//!   carried an idempotency key, with the response to replay. It all lands or none does.
//! - Transfers are only ever inserted (triggers refuse UPDATE and DELETE); a hold is
//!   resolved at most once (a unique index); wallets and earnings never go below zero
//!   (checked here with a clear error, and by a CHECK constraint as the backstop).
//! - `verify_ledger` replays every transfer through `onhand_core::ledger::Ledger` and
//!   compares the result with the stored balances.

use crate::bookings::{BOOKING_COLUMNS, BOOKING_FROM, booking};
use crate::model::*;
use crate::{Result, Store, StoreError, dynamic, ms, ts};
use jiff::{SignedDuration, Timestamp};
use onhand_core::ledger::{Ledger, LedgerAccount, TransferKind};
use onhand_core::payments::{GUARANTEE_WINDOW, Split, refund_split, split_payment};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};

/// How long idempotency keys are kept.
pub const IDEMPOTENCY_KEEP: SignedDuration = SignedDuration::from_hours(24 * 8);

/// What to do with a booking's hold as its state changes; amounts come from
/// `onhand_core::payments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Keep,
    /// Records that the session began (for per-minute billing).
    Started,
    Void,
    Post {
        amount_minor: i64,
    },
}

/// Why money moved, as stored.
mod purpose {
    pub const TOP_UP: &str = "top_up";
    pub const BOOKING: &str = "booking";
    pub const COMMISSION: &str = "commission";
    pub const REFUND: &str = "refund";
    pub const PAYOUT: &str = "payout";
}

struct Memo<'a> {
    currency: &'a str,
    purpose: &'static str,
    booking_id: Option<i64>,
}

async fn balance_on(
    conn: &mut AnyConnection,
    account: LedgerAccount,
    currency: &str,
) -> Result<Balance> {
    let row = sqlx::query(
        "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_balances \
         WHERE account = $1 AND currency = $2",
    )
    .bind(account.key())
    .bind(currency)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| balance_of(&r)).unwrap_or_default())
}

fn balance_of(r: &AnyRow) -> Balance {
    Balance {
        debits_posted: r.get("debits_posted"),
        credits_posted: r.get("credits_posted"),
        debits_pending: r.get("debits_pending"),
        credits_pending: r.get("credits_pending"),
    }
}

/// Adds to an account's sums (negative deltas release pending amounts). An update first:
/// SQLite checks an upsert's proposed row against the CHECK constraints before it sees
/// the conflict, and a lone debit row would fail them.
async fn bump(
    conn: &mut AnyConnection,
    account: LedgerAccount,
    currency: &str,
    delta: Balance,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE ledger_balances SET debits_posted = debits_posted + $1, credits_posted = credits_posted + $2, \
         debits_pending = debits_pending + $3, credits_pending = credits_pending + $4 WHERE account = $5 AND currency = $6",
    )
    .bind(delta.debits_posted)
    .bind(delta.credits_posted)
    .bind(delta.debits_pending)
    .bind(delta.credits_pending)
    .bind(account.key())
    .bind(currency)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO ledger_balances (account, currency, debits_posted, credits_posted, debits_pending, credits_pending) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account.key())
        .bind(currency)
        .bind(delta.debits_posted)
        .bind(delta.credits_posted)
        .bind(delta.debits_pending)
        .bind(delta.credits_pending)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn check_funds(
    conn: &mut AnyConnection,
    debit: LedgerAccount,
    currency: &str,
    amount_minor: i64,
) -> Result<()> {
    if amount_minor <= 0 {
        return Err(StoreError::WrongState(format!(
            "amount_minor {amount_minor} must be positive"
        )));
    }
    if debit.never_negative() {
        let available = balance_on(conn, debit, currency).await?.available();
        if available < amount_minor {
            return Err(StoreError::InsufficientFunds {
                available_minor: available,
                needed_minor: amount_minor,
            });
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_transfer(
    conn: &mut AnyConnection,
    kind: TransferKind,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_minor: i64,
    memo: &Memo<'_>,
    now: Timestamp,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO ledger_transfers (kind, debit, credit, currency, amount_minor, hold_id, purpose, booking_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(debit.key())
    .bind(credit.key())
    .bind(memo.currency)
    .bind(amount_minor)
    .bind(kind.hold().map(|h| h as i64))
    .bind(memo.purpose)
    .bind(memo.booking_id)
    .bind(ms(now))
    .fetch_one(&mut *conn)
    .await?)
}

/// Moves money now.
async fn transfer(
    conn: &mut AnyConnection,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_minor: i64,
    memo: &Memo<'_>,
    now: Timestamp,
) -> Result<i64> {
    open_transfer(
        conn,
        TransferKind::Posted,
        debit,
        credit,
        amount_minor,
        memo,
        now,
    )
    .await
}

/// Reserves money for a later post.
async fn hold(
    conn: &mut AnyConnection,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_minor: i64,
    memo: &Memo<'_>,
    now: Timestamp,
) -> Result<i64> {
    open_transfer(
        conn,
        TransferKind::Pending,
        debit,
        credit,
        amount_minor,
        memo,
        now,
    )
    .await
}

/// A transfer that stands alone (posted now, or a hold): checked against the debit's
/// available funds, recorded, and added to both balances, posted or pending.
#[allow(clippy::too_many_arguments)]
async fn open_transfer(
    conn: &mut AnyConnection,
    kind: TransferKind,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_minor: i64,
    memo: &Memo<'_>,
    now: Timestamp,
) -> Result<i64> {
    check_funds(conn, debit, memo.currency, amount_minor).await?;
    let id = insert_transfer(conn, kind, debit, credit, amount_minor, memo, now).await?;
    let pending = kind == TransferKind::Pending;
    let (d, c) = if pending {
        (
            Balance {
                debits_pending: amount_minor,
                ..Balance::default()
            },
            Balance {
                credits_pending: amount_minor,
                ..Balance::default()
            },
        )
    } else {
        (
            Balance {
                debits_posted: amount_minor,
                ..Balance::default()
            },
            Balance {
                credits_posted: amount_minor,
                ..Balance::default()
            },
        )
    };
    bump(conn, debit, memo.currency, d).await?;
    bump(conn, credit, memo.currency, c).await?;
    Ok(id)
}

struct OpenHold {
    debit: LedgerAccount,
    credit: LedgerAccount,
    currency: String,
    amount_minor: i64,
}

async fn open_hold(conn: &mut AnyConnection, hold_id: i64) -> Result<OpenHold> {
    let row = sqlx::query(
        "SELECT t.debit, t.credit, t.currency, t.amount_minor, t.kind, \
         (SELECT r.id FROM ledger_transfers r WHERE r.hold_id = t.id) AS resolved_by \
         FROM ledger_transfers t WHERE t.id = $1",
    )
    .bind(hold_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    if row.get::<String, _>("kind") != "pending" {
        return Err(StoreError::WrongState(format!(
            "transfer {hold_id} is not a hold"
        )));
    }
    if let Some(by) = row.get::<Option<i64>, _>("resolved_by") {
        return Err(StoreError::WrongState(format!(
            "hold {hold_id} was already resolved by transfer {by}"
        )));
    }
    let account = |col: &str| {
        LedgerAccount::parse_key(row.get(col)).ok_or_else(|| {
            StoreError::WrongState(format!("hold {hold_id} names an unknown account"))
        })
    };
    Ok(OpenHold {
        debit: account("debit")?,
        credit: account("credit")?,
        currency: row.get("currency"),
        amount_minor: row.get("amount_minor"),
    })
}

/// Resolves a hold: posts `post_minor` of it (the rest released), or with `None`
/// releases all of it (a void, or an expiry when `expire`).
async fn resolve(
    conn: &mut AnyConnection,
    hold_id: i64,
    post_minor: Option<i64>,
    expire: bool,
    purpose: &'static str,
    booking_id: Option<i64>,
    now: Timestamp,
) -> Result<i64> {
    let h = open_hold(conn, hold_id).await?;
    let hold = hold_id as u64;
    let (kind, amount) = match post_minor {
        Some(a) if a <= 0 => {
            return Err(StoreError::WrongState(format!(
                "posting {a} of a hold moves nothing; void it instead"
            )));
        }
        Some(a) if a > h.amount_minor => {
            return Err(StoreError::WrongState(format!(
                "hold {hold_id} reserves {}; {a} cannot be posted",
                h.amount_minor
            )));
        }
        Some(a) => (TransferKind::PostPending { hold }, a),
        None if expire => (TransferKind::ExpirePending { hold }, h.amount_minor),
        None => (TransferKind::VoidPending { hold }, h.amount_minor),
    };
    let memo = Memo {
        currency: &h.currency,
        purpose,
        booking_id,
    };
    let id = insert_transfer(conn, kind, h.debit, h.credit, amount, &memo, now).await?;
    let posted = post_minor.unwrap_or(0);
    let d = Balance {
        debits_pending: -h.amount_minor,
        debits_posted: posted,
        ..Balance::default()
    };
    let c = Balance {
        credits_pending: -h.amount_minor,
        credits_posted: posted,
        ..Balance::default()
    };
    bump(conn, h.debit, &h.currency, d).await?;
    bump(conn, h.credit, &h.currency, c).await?;
    Ok(id)
}

pub(crate) async fn seal_on<T>(
    conn: &mut AnyConnection,
    seal: Option<&Seal<'_, T>>,
    value: &T,
) -> Result<()> {
    if let Some(s) = seal {
        let (status, body) = (s.respond)(value);
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE account_id = $3 AND key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(s.account_id)
        .bind(s.key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(crate) async fn booking_on(conn: &mut AnyConnection, id: i64) -> Result<Booking> {
    let row = sqlx::query(dynamic(format!(
        "SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(booking(&row))
}

/// Makes the hold a new booking's price asks for. Called inside the booking's
/// transaction, so no money means no booking.
pub(crate) async fn hold_for_booking(
    conn: &mut AnyConnection,
    booking_id: i64,
    new: &NewBooking<'_>,
    now: Timestamp,
) -> Result<()> {
    if new.hold_minor <= 0 {
        return Ok(());
    }
    let memo = Memo {
        currency: new.currency,
        purpose: purpose::BOOKING,
        booking_id: Some(booking_id),
    };
    let hold_id = hold(
        conn,
        LedgerAccount::Wallet(new.buyer_id),
        LedgerAccount::Earnings(new.provider_id),
        new.hold_minor,
        &memo,
        now,
    )
    .await?;
    sqlx::query("UPDATE bookings SET hold_id = $1 WHERE id = $2")
        .bind(hold_id)
        .bind(booking_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Settles a booking's money as its state changes, inside the transition's transaction.
pub(crate) async fn settle_booking(
    conn: &mut AnyConnection,
    b: &Booking,
    settle: Settle,
    now: Timestamp,
) -> Result<()> {
    let hold_expired = match b.hold_id {
        Some(h) => sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM ledger_transfers WHERE hold_id = $1 AND kind = 'expire_pending'",
        )
        .bind(h)
        .fetch_optional(&mut *conn)
        .await?
        .is_some(),
        None => false,
    };
    match settle {
        Settle::Keep => {}
        Settle::Started => {
            sqlx::query("UPDATE bookings SET started_at_ms = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(b.id)
                .execute(&mut *conn)
                .await?;
        }
        Settle::Void => {
            // A hold that expired (the booking was left alone) has nothing left to void.
            if let Some(hold_id) = b.hold_id.filter(|_| !hold_expired) {
                resolve(
                    conn,
                    hold_id,
                    None,
                    false,
                    purpose::BOOKING,
                    Some(b.id),
                    now,
                )
                .await?;
            }
            sqlx::query("UPDATE bookings SET settled_at_ms = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(b.id)
                .execute(&mut *conn)
                .await?;
        }
        Settle::Post { amount_minor } => {
            let Some(hold_id) = b.hold_id else {
                return Err(StoreError::WrongState(format!(
                    "booking {} has no hold to charge {amount_minor} from",
                    b.id
                )));
            };
            resolve(
                conn,
                hold_id,
                Some(amount_minor),
                false,
                purpose::BOOKING,
                Some(b.id),
                now,
            )
            .await?;
            let Split {
                commission_minor, ..
            } = split_payment(amount_minor, b.commission_bps);
            if commission_minor > 0 {
                let memo = Memo {
                    currency: &b.currency,
                    purpose: purpose::COMMISSION,
                    booking_id: Some(b.id),
                };
                transfer(
                    conn,
                    LedgerAccount::Earnings(b.provider_id),
                    LedgerAccount::Revenue,
                    commission_minor,
                    &memo,
                    now,
                )
                .await?;
            }
            sqlx::query(
                "UPDATE bookings SET charged_minor = $1, commission_minor = $2, settled_at_ms = $3 WHERE id = $4",
            )
            .bind(amount_minor)
            .bind(commission_minor)
            .bind(ms(now))
            .bind(b.id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

const REFUND_COLUMNS: &str = "r.id, r.booking_id, b.title AS booking_title, r.buyer_id, ba.display_name AS buyer_name, \
     r.provider_id, pa.display_name AS provider_name, r.amount_minor, r.currency, r.reason, r.state, r.provider_note, \
     r.operator_note, r.created_at_ms, r.answered_at_ms, r.decided_at_ms";
const REFUND_FROM: &str = "FROM refund_requests r JOIN bookings b ON b.id = r.booking_id \
     JOIN accounts ba ON ba.id = r.buyer_id JOIN accounts pa ON pa.id = r.provider_id";

fn refund_request(r: &AnyRow) -> RefundRequest {
    RefundRequest {
        id: r.get("id"),
        booking_id: r.get("booking_id"),
        booking_title: r.get("booking_title"),
        buyer_id: r.get("buyer_id"),
        buyer_name: r.get("buyer_name"),
        provider_id: r.get("provider_id"),
        provider_name: r.get("provider_name"),
        amount_minor: r.get("amount_minor"),
        currency: r.get("currency"),
        reason: r.get("reason"),
        state: r.get("state"),
        provider_note: r.get("provider_note"),
        operator_note: r.get("operator_note"),
        created_at: ts(r.get("created_at_ms")),
        answered_at: r.get::<Option<i64>, _>("answered_at_ms").map(ts),
        decided_at: r.get::<Option<i64>, _>("decided_at_ms").map(ts),
    }
}

async fn refund_request_on(conn: &mut AnyConnection, id: i64) -> Result<RefundRequest> {
    let row = sqlx::query(dynamic(format!(
        "SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(refund_request(&row))
}

/// One answer to a refund request: pay it or not, then record the new state, who said
/// what and when, and seal the response — the same for the provider and the operator.
struct RefundStep {
    pay: bool,
    state: &'static str,
    note_column: &'static str,
    time_column: &'static str,
}

impl RefundStep {
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        r: &RefundRequest,
        note: Option<&str>,
        seal: Option<&Seal<'_, RefundRequest>>,
        now: Timestamp,
    ) -> Result<RefundRequest> {
        if self.pay {
            pay_refund(conn, r, now).await?;
        }
        sqlx::query(dynamic(format!(
            "UPDATE refund_requests SET state = $1, {} = $2, {} = $3 WHERE id = $4",
            self.note_column, self.time_column
        )))
        .bind(self.state)
        .bind(note)
        .bind(ms(now))
        .bind(r.id)
        .execute(&mut *conn)
        .await?;
        let answered = refund_request_on(conn, r.id).await?;
        seal_on(conn, seal, &answered).await?;
        Ok(answered)
    }
}

/// Pays a granted refund back to the buyer: the provider's part from their earnings and
/// the commission's part from revenue, in proportion.
async fn pay_refund(conn: &mut AnyConnection, r: &RefundRequest, now: Timestamp) -> Result<()> {
    let b = booking_on(conn, r.booking_id).await?;
    if r.amount_minor > b.charged_minor - b.refunded_minor {
        return Err(StoreError::WrongState(format!(
            "only {} of this booking is left to refund",
            b.charged_minor - b.refunded_minor
        )));
    }
    let parts = refund_split(
        r.amount_minor,
        b.refunded_minor,
        b.charged_minor,
        b.commission_minor,
    );
    let memo = Memo {
        currency: &b.currency,
        purpose: purpose::REFUND,
        booking_id: Some(b.id),
    };
    let buyer = LedgerAccount::Wallet(b.buyer_id);
    if parts.provider_minor > 0 {
        transfer(
            conn,
            LedgerAccount::Earnings(b.provider_id),
            buyer,
            parts.provider_minor,
            &memo,
            now,
        )
        .await?;
    }
    if parts.commission_minor > 0 {
        transfer(
            conn,
            LedgerAccount::Revenue,
            buyer,
            parts.commission_minor,
            &memo,
            now,
        )
        .await?;
    }
    sqlx::query("UPDATE bookings SET refunded_minor = refunded_minor + $1 WHERE id = $2")
        .bind(r.amount_minor)
        .bind(b.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn top_up(r: &AnyRow) -> TopUp {
    TopUp {
        id: r.get("id"),
        account_id: r.get("account_id"),
        amount_minor: r.get("amount_minor"),
        currency: r.get("currency"),
        state: r.get("state"),
        gateway: r.get("gateway"),
        gateway_ref: r.get("gateway_ref"),
        card_last4: r.get("card_last4"),
        decline_reason: r.get("decline_reason"),
        created_at: ts(r.get("created_at_ms")),
    }
}

fn payout(r: &AnyRow) -> Payout {
    Payout {
        id: r.get("id"),
        provider_id: r.get("provider_id"),
        amount_minor: r.get("amount_minor"),
        currency: r.get("currency"),
        state: r.get("state"),
        gateway: r.get("gateway"),
        gateway_ref: r.get("gateway_ref"),
        failure: r.get("failure"),
        created_at: ts(r.get("created_at_ms")),
        settled_at: r.get::<Option<i64>, _>("settled_at_ms").map(ts),
    }
}

async fn payout_on(conn: &mut AnyConnection, id: i64) -> Result<Payout> {
    let row = sqlx::query("SELECT * FROM payouts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(payout(&row))
}

/// Earnings the guarantee still covers: the provider's share of sessions settled in the
/// last 72 hours, or with a refund request waiting, less what was refunded of it.
async fn locked_earnings(
    conn: &mut AnyConnection,
    provider_id: i64,
    currency: &str,
    now: Timestamp,
) -> Result<i64> {
    let locked: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM((charged_minor - commission_minor) - (refunded_minor - (refunded_minor * commission_minor / charged_minor))) AS BIGINT) \
         FROM bookings b WHERE provider_id = $1 AND currency = $2 AND charged_minor > 0 \
         AND (settled_at_ms > $3 OR EXISTS (SELECT 1 FROM refund_requests r WHERE r.booking_id = b.id AND r.state IN ('open', 'disputed')))",
    )
    .bind(provider_id)
    .bind(currency)
    .bind(ms(now - GUARANTEE_WINDOW))
    .fetch_one(&mut *conn)
    .await?;
    Ok(locked.unwrap_or(0).max(0))
}

async fn earnings_on(
    conn: &mut AnyConnection,
    provider_id: i64,
    currency: &str,
    now: Timestamp,
) -> Result<Earnings> {
    let balance = balance_on(conn, LedgerAccount::Earnings(provider_id), currency).await?;
    Ok(Earnings {
        balance,
        locked_minor: locked_earnings(conn, provider_id, currency, now).await?,
        incoming_minor: balance.credits_pending,
    })
}

impl Store {
    /// Claims an idempotency key for a request with this fingerprint (method, path and
    /// body digest). `owner` names this process: an unfinished claim by another owner
    /// was left by a process that died, and is taken over.
    pub async fn claim_idempotency(
        &self,
        account_id: i64,
        key: &str,
        fingerprint: &str,
        owner: &str,
        now: Timestamp,
    ) -> Result<Claim> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT fingerprint, owner, status, body FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        )
        .bind(account_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let claim = match row {
            None => {
                sqlx::query(
                    "INSERT INTO idempotency_keys (account_id, key, fingerprint, owner, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account_id)
                .bind(key)
                .bind(fingerprint)
                .bind(owner)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                Claim::Fresh
            }
            Some(r) if r.get::<String, _>("fingerprint") != fingerprint => Claim::Mismatch,
            Some(r) => match r.get::<Option<i64>, _>("status") {
                Some(status) => Claim::Replay {
                    status: status as u16,
                    body: r.get::<Option<String>, _>("body").unwrap_or_default(),
                },
                None if r.get::<String, _>("owner") == owner => Claim::InFlight,
                None => {
                    sqlx::query(
                        "UPDATE idempotency_keys SET owner = $1 WHERE account_id = $2 AND key = $3",
                    )
                    .bind(owner)
                    .bind(account_id)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                    Claim::Fresh
                }
            },
        };
        tx.commit().await?;
        Ok(claim)
    }

    /// Records the response to a claimed key that moved no money (a refusal).
    pub async fn finish_idempotency(
        &self,
        account_id: i64,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE account_id = $3 AND key = $4 AND status IS NULL",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(account_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets an unfinished claim (the request failed on our side) so it may be retried.
    pub async fn release_idempotency(&self, account_id: i64, key: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status IS NULL",
        )
        .bind(account_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops keys older than `IDEMPOTENCY_KEEP`.
    pub async fn purge_idempotency(&self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at_ms < $1")
            .bind(ms(now - IDEMPOTENCY_KEEP))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Any ledger account's sums.
    pub async fn ledger_balance(&self, account: LedgerAccount, currency: &str) -> Result<Balance> {
        let mut conn = self.pool.acquire().await?;
        balance_on(&mut conn, account, currency).await
    }

    pub async fn wallet(&self, account_id: i64, currency: &str) -> Result<Wallet> {
        let mut conn = self.pool.acquire().await?;
        Ok(Wallet {
            balance: balance_on(&mut conn, LedgerAccount::Wallet(account_id), currency).await?,
        })
    }

    pub async fn earnings(
        &self,
        provider_id: i64,
        currency: &str,
        now: Timestamp,
    ) -> Result<Earnings> {
        let mut conn = self.pool.acquire().await?;
        earnings_on(&mut conn, provider_id, currency, now).await
    }

    /// An account's transfers, newest first, with the posted balance after each. The
    /// running balance is worked back from the stored balance, so a page costs what
    /// precedes it, not the account's whole history.
    pub async fn ledger_history(
        &self,
        account: LedgerAccount,
        currency: &str,
        page: Page,
    ) -> Result<Paged<LedgerEntry>> {
        let key = account.key();
        // One read transaction: the balance and the transfers are the same snapshot.
        let mut tx = self.snapshot().await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM ledger_transfers WHERE debit = $1 AND currency = $2) \
             + (SELECT COUNT(*) FROM ledger_transfers WHERE credit = $1 AND currency = $2)",
        )
        .bind(&key)
        .bind(currency)
        .fetch_one(&mut *tx)
        .await?;
        let posted = balance_on(&mut tx, account, currency).await?.posted();
        // The newest `offset + limit` entries, merged from the two ordered index scans.
        let rows = sqlx::query(
            "SELECT id, kind, purpose, booking_id, hold_id, created_at_ms, \
             CASE WHEN credit = $1 THEN amount_minor ELSE -amount_minor END AS delta FROM ( \
               SELECT * FROM (SELECT * FROM ledger_transfers WHERE debit = $1 AND currency = $2 ORDER BY id DESC LIMIT $3) AS d \
               UNION ALL \
               SELECT * FROM (SELECT * FROM ledger_transfers WHERE credit = $1 AND currency = $2 ORDER BY id DESC LIMIT $3) AS c) AS t \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(&key)
        .bind(currency)
        .bind(page.offset + page.limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut running = posted;
        let mut items = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let kind: String = r.get("kind");
            let delta: i64 = r.get("delta");
            if i as i64 >= page.offset {
                items.push(LedgerEntry {
                    transfer_id: r.get("id"),
                    kind: kind.clone(),
                    purpose: r.get("purpose"),
                    booking_id: r.get("booking_id"),
                    hold_id: r.get("hold_id"),
                    amount_minor: delta,
                    running_minor: running,
                    at: ts(r.get("created_at_ms")),
                });
            }
            if kind == "posted" || kind == "post_pending" {
                running -= delta;
            }
        }
        Ok(Paged { items, total })
    }

    /// An account's sums recomputed from its transfers alone: the audit path, which
    /// must always equal `ledger_balance`.
    pub async fn recompute_balance(
        &self,
        account: LedgerAccount,
        currency: &str,
    ) -> Result<Balance> {
        let sums = |side: &'static str| {
            sqlx::query(dynamic(format!(
                "SELECT \
                 COALESCE(CAST(SUM(CASE WHEN kind IN ('posted', 'post_pending') THEN amount_minor END) AS BIGINT), 0) AS posted, \
                 COALESCE(CAST(SUM(CASE WHEN kind = 'pending' AND NOT EXISTS \
                   (SELECT 1 FROM ledger_transfers r WHERE r.hold_id = t.id) THEN amount_minor END) AS BIGINT), 0) AS pending \
                 FROM ledger_transfers t WHERE {side} = $1 AND currency = $2"
            )))
        };
        let debits = sums("debit")
            .bind(account.key())
            .bind(currency)
            .fetch_one(&self.pool)
            .await?;
        let credits = sums("credit")
            .bind(account.key())
            .bind(currency)
            .fetch_one(&self.pool)
            .await?;
        Ok(Balance {
            debits_posted: debits.get("posted"),
            credits_posted: credits.get("posted"),
            debits_pending: debits.get("pending"),
            credits_pending: credits.get("pending"),
        })
    }

    /// Every transfer about one booking: its hold (which may have been made for the
    /// booking it was moved from) and all that followed.
    pub async fn booking_transfers(&self, booking_id: i64) -> Result<Vec<TransferRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM ledger_transfers WHERE booking_id = $1 \
             OR id = (SELECT hold_id FROM bookings WHERE id = $1) ORDER BY id",
        )
        .bind(booking_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(transfer_record).collect())
    }

    /// Records a top-up the gateway answered; a success credits the wallet from the
    /// clearing account in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_top_up(
        &self,
        account_id: i64,
        amount_minor: i64,
        currency: &str,
        gateway: &str,
        card_last4: &str,
        outcome: &ChargeOutcome,
        seal: Option<&Seal<'_, TopUp>>,
        now: Timestamp,
    ) -> Result<TopUp> {
        let mut tx = self.write().await?;
        let (state, gateway_ref, decline, transfer_id) = match outcome {
            ChargeOutcome::Succeeded { gateway_ref } => {
                let memo = Memo {
                    currency,
                    purpose: purpose::TOP_UP,
                    booking_id: None,
                };
                let id = transfer(
                    &mut tx,
                    LedgerAccount::Clearing,
                    LedgerAccount::Wallet(account_id),
                    amount_minor,
                    &memo,
                    now,
                )
                .await?;
                ("succeeded", Some(gateway_ref.as_str()), None, Some(id))
            }
            ChargeOutcome::Declined { reason } => ("declined", None, Some(reason.as_str()), None),
        };
        let row = sqlx::query(
            "INSERT INTO top_ups (account_id, amount_minor, currency, state, gateway, gateway_ref, card_last4, decline_reason, transfer_id, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(account_id)
        .bind(amount_minor)
        .bind(currency)
        .bind(state)
        .bind(gateway)
        .bind(gateway_ref)
        .bind(card_last4)
        .bind(decline)
        .bind(transfer_id)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let t = top_up(&row);
        seal_on(&mut tx, seal, &t).await?;
        tx.commit().await?;
        Ok(t)
    }

    pub async fn top_ups(&self, account_id: i64, limit: i64) -> Result<Vec<TopUp>> {
        let rows =
            sqlx::query("SELECT * FROM top_ups WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(account_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(top_up).collect())
    }

    /// Holds `amount_minor` of the provider's available earnings for a payout, if it is
    /// at least `minimum_minor` and no more than what is available.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_payout(
        &self,
        provider_id: i64,
        amount_minor: i64,
        currency: &str,
        minimum_minor: i64,
        gateway: &str,
        seal: Option<&Seal<'_, Payout>>,
        now: Timestamp,
    ) -> Result<Payout> {
        if amount_minor < minimum_minor {
            return Err(StoreError::WrongState(format!(
                "a payout must be at least {minimum_minor} (minor units); {amount_minor} was asked"
            )));
        }
        let mut tx = self.write().await?;
        let e = earnings_on(&mut tx, provider_id, currency, now).await?;
        if e.available_minor() < amount_minor {
            return Err(StoreError::InsufficientFunds {
                available_minor: e.available_minor(),
                needed_minor: amount_minor,
            });
        }
        let memo = Memo {
            currency,
            purpose: purpose::PAYOUT,
            booking_id: None,
        };
        let hold_id = hold(
            &mut tx,
            LedgerAccount::Earnings(provider_id),
            LedgerAccount::Clearing,
            amount_minor,
            &memo,
            now,
        )
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payouts (provider_id, amount_minor, currency, state, hold_id, gateway, created_at_ms) \
             VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
        )
        .bind(provider_id)
        .bind(amount_minor)
        .bind(currency)
        .bind(hold_id)
        .bind(gateway)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let p = payout_on(&mut tx, id).await?;
        seal_on(&mut tx, seal, &p).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Settles a pending payout by what the gateway said: paid posts the hold, failed
    /// voids it. Exactly once: a settled payout is refused.
    pub async fn settle_payout(
        &self,
        id: i64,
        outcome: &ChargeOutcome,
        seal: Option<&Seal<'_, Payout>>,
        now: Timestamp,
    ) -> Result<Payout> {
        let mut tx = self.write().await?;
        let p = payout_on(&mut tx, id).await?;
        if p.state != "pending" {
            return Err(StoreError::WrongState(format!(
                "payout {id} is already {}",
                p.state
            )));
        }
        let hold_id: i64 = sqlx::query_scalar("SELECT hold_id FROM payouts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        match outcome {
            ChargeOutcome::Succeeded { gateway_ref } => {
                resolve(
                    &mut tx,
                    hold_id,
                    Some(p.amount_minor),
                    false,
                    purpose::PAYOUT,
                    None,
                    now,
                )
                .await?;
                sqlx::query("UPDATE payouts SET state = 'paid', gateway_ref = $1, settled_at_ms = $2 WHERE id = $3")
                    .bind(gateway_ref)
                    .bind(ms(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            ChargeOutcome::Declined { reason } => {
                resolve(&mut tx, hold_id, None, false, purpose::PAYOUT, None, now).await?;
                sqlx::query("UPDATE payouts SET state = 'failed', failure = $1, settled_at_ms = $2 WHERE id = $3")
                    .bind(reason)
                    .bind(ms(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let p = payout_on(&mut tx, id).await?;
        seal_on(&mut tx, seal, &p).await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn payouts(&self, provider_id: i64, limit: i64) -> Result<Vec<Payout>> {
        let rows =
            sqlx::query("SELECT * FROM payouts WHERE provider_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(provider_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(payout).collect())
    }

    /// Payouts still waiting for the gateway, oldest first.
    pub async fn pending_payouts(&self, limit: i64) -> Result<Vec<Payout>> {
        let rows =
            sqlx::query("SELECT * FROM payouts WHERE state = 'pending' ORDER BY id LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(payout).collect())
    }

    /// The buyer asks for `amount_minor` back, within the guarantee window of a paid
    /// session. One request at a time per booking.
    pub async fn request_refund(
        &self,
        booking_id: i64,
        buyer_id: i64,
        amount_minor: i64,
        reason: &str,
        seal: Option<&Seal<'_, RefundRequest>>,
        now: Timestamp,
    ) -> Result<RefundRequest> {
        let mut tx = self.write().await?;
        let b = booking_on(&mut tx, booking_id).await?;
        if b.buyer_id != buyer_id {
            return Err(StoreError::NotFound);
        }
        let refundable = b.charged_minor - b.refunded_minor;
        if b.charged_minor <= 0 {
            return Err(StoreError::WrongState(
                "nothing was charged for this booking, so there is nothing to refund".into(),
            ));
        }
        let settled = b.settled_at.unwrap_or(b.created_at);
        if !onhand_core::payments::refund_window_open(settled, now) {
            return Err(StoreError::WrongState(format!(
                "refunds can be asked for until 72 hours after the session ended ({})",
                settled + GUARANTEE_WINDOW
            )));
        }
        if amount_minor <= 0 || amount_minor > refundable {
            return Err(StoreError::WrongState(format!(
                "amount_minor must be between 1 and {refundable}, what is left to refund"
            )));
        }
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO refund_requests (booking_id, buyer_id, provider_id, amount_minor, currency, reason, state, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id",
        )
        .bind(b.id)
        .bind(b.buyer_id)
        .bind(b.provider_id)
        .bind(amount_minor)
        .bind(&b.currency)
        .bind(reason)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| crate::unique_as(e, "a refund request waiting for an answer on this booking"))?;
        let r = refund_request_on(&mut tx, inserted).await?;
        seal_on(&mut tx, seal, &r).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The provider grants (the buyer is refunded now) or declines (the request goes to
    /// the operator as a dispute) an open request.
    pub async fn answer_refund(
        &self,
        id: i64,
        provider_id: i64,
        grant: bool,
        note: Option<&str>,
        seal: Option<&Seal<'_, RefundRequest>>,
        now: Timestamp,
    ) -> Result<RefundRequest> {
        let mut tx = self.write().await?;
        let r = refund_request_on(&mut tx, id).await?;
        if r.provider_id != provider_id {
            return Err(StoreError::NotFound);
        }
        if r.state != "open" {
            return Err(StoreError::WrongState(format!(
                "this request was already answered; it is {}",
                r.state
            )));
        }
        let step = RefundStep {
            pay: grant,
            state: if grant { "granted" } else { "disputed" },
            note_column: "provider_note",
            time_column: "answered_at_ms",
        };
        let r = step.apply(&mut tx, &r, note, seal, now).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The operator decides a dispute: uphold refunds the buyer, reject keeps the
    /// payment with the provider.
    pub async fn decide_dispute(
        &self,
        id: i64,
        uphold: bool,
        note: &str,
        seal: Option<&Seal<'_, RefundRequest>>,
        now: Timestamp,
    ) -> Result<RefundRequest> {
        let mut tx = self.write().await?;
        let r = refund_request_on(&mut tx, id).await?;
        if r.state != "disputed" {
            return Err(StoreError::WrongState(format!(
                "only a disputed request can be decided; this one is {}",
                r.state
            )));
        }
        let step = RefundStep {
            pay: uphold,
            state: if uphold { "upheld" } else { "rejected" },
            note_column: "operator_note",
            time_column: "decided_at_ms",
        };
        let r = step.apply(&mut tx, &r, Some(note), seal, now).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn refund_request(&self, id: i64) -> Result<RefundRequest> {
        let mut conn = self.pool.acquire().await?;
        refund_request_on(&mut conn, id).await
    }

    /// Refund requests of a booking, oldest first.
    pub async fn refund_requests_of_booking(&self, booking_id: i64) -> Result<Vec<RefundRequest>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.booking_id = $1 ORDER BY r.id"
        )))
        .bind(booking_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(refund_request).collect())
    }

    /// Requests where the account is buyer or provider, newest first.
    pub async fn refund_requests_of(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<RefundRequest>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.buyer_id = $1 OR r.provider_id = $1 ORDER BY r.id DESC LIMIT $2"
        )))
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(refund_request).collect())
    }

    /// The operator's dispute queue, oldest first.
    pub async fn disputes(&self, limit: i64) -> Result<Vec<RefundRequest>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.state = 'disputed' ORDER BY r.id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(refund_request).collect())
    }

    pub async fn finance(&self, currency: &str, now: Timestamp) -> Result<Finance> {
        let mut conn = self.pool.acquire().await?;
        let sum_kind = |like: &'static str| {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT CAST(SUM(credits_posted - debits_posted) AS BIGINT) FROM ledger_balances WHERE account LIKE $1 AND currency = $2",
            )
            .bind(like)
            .bind(currency)
        };
        let wallets = sum_kind("wallet:%")
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or(0);
        let earnings = sum_kind("earnings:%")
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or(0);
        let revenue = balance_on(&mut conn, LedgerAccount::Revenue, currency).await?;
        let clearing = balance_on(&mut conn, LedgerAccount::Clearing, currency).await?;
        let volume = |since: i64| {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT CAST(SUM(amount_minor) AS BIGINT) FROM ledger_transfers WHERE purpose = 'booking' AND kind = 'post_pending' \
                 AND currency = $1 AND created_at_ms >= $2",
            )
            .bind(currency)
            .bind(since)
        };
        let volume_minor = volume(0).fetch_one(&mut *conn).await?.unwrap_or(0);
        let volume_30d_minor = volume(ms(now - SignedDuration::from_hours(24 * 30)))
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or(0);
        let holds = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(CAST(SUM(amount_minor) AS BIGINT), 0) AS total FROM ledger_transfers t \
             WHERE kind = 'pending' AND currency = $1 AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.hold_id = t.id)",
        )
        .bind(currency)
        .fetch_one(&mut *conn)
        .await?;
        let refunded: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(refunded_minor) AS BIGINT) FROM bookings WHERE currency = $1",
        )
        .bind(currency)
        .fetch_one(&mut *conn)
        .await?;
        let disputes: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM refund_requests WHERE state = 'disputed'")
                .fetch_one(&mut *conn)
                .await?;
        let payouts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM payouts WHERE state = 'pending'")
                .fetch_one(&mut *conn)
                .await?;
        Ok(Finance {
            currency: currency.to_string(),
            volume_minor,
            volume_30d_minor,
            revenue_minor: revenue.posted(),
            wallets_minor: wallets,
            earnings_minor: earnings,
            open_holds: holds.get("n"),
            open_holds_minor: holds.get("total"),
            refunded_minor: refunded.unwrap_or(0),
            disputes_open: disputes,
            payouts_pending: payouts,
            clearing_minor: -clearing.posted(),
        })
    }

    /// Expires the holds of bookings nobody started or closed within `grace` after their
    /// end: the buyer gets the money back. Returns the bookings whose holds expired.
    pub async fn expire_stale_holds(
        &self,
        grace: SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        let stale: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT b.id, b.hold_id FROM bookings b WHERE b.state = 'confirmed' AND b.hold_id IS NOT NULL \
             AND b.end_ms < $1 AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.hold_id = b.hold_id) LIMIT 100",
        )
        .bind(ms(now - grace))
        .fetch_all(&self.pool)
        .await?;
        let mut expired = Vec::new();
        for (booking_id, hold_id) in stale {
            let mut tx = self.write().await?;
            match resolve(
                &mut tx,
                hold_id,
                None,
                true,
                purpose::BOOKING,
                Some(booking_id),
                now,
            )
            .await
            {
                Ok(_) => {
                    sqlx::query("UPDATE bookings SET settled_at_ms = $1 WHERE id = $2")
                        .bind(ms(now))
                        .bind(booking_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    expired.push(booking_id);
                }
                // Someone settled it meanwhile.
                Err(StoreError::WrongState(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(expired)
    }

    /// Replays every transfer through the reference ledger and compares the result with
    /// the stored balances; also checks that booking, payout and refund records agree
    /// with the ledger. Returns what is wrong.
    pub async fn verify_ledger(&self) -> Result<Result<(), String>> {
        let rows = sqlx::query("SELECT * FROM ledger_transfers ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut ledgers: BTreeMap<String, Ledger> = BTreeMap::new();
        // Our transfer id -> (currency, the reference ledger's id).
        let mut ids: HashMap<i64, (String, u64)> = HashMap::new();
        for t in rows.iter().map(transfer_record) {
            let (Some(debit), Some(credit)) = (
                LedgerAccount::parse_key(&t.debit),
                LedgerAccount::parse_key(&t.credit),
            ) else {
                return Ok(Err(format!("transfer {} names an unknown account", t.id)));
            };
            let l = ledgers.entry(t.currency.clone()).or_default();
            let hold = match t.hold_id {
                None => None,
                Some(h) => match ids.get(&h) {
                    Some((c, ref_id)) if *c == t.currency => Some(*ref_id),
                    _ => {
                        return Ok(Err(format!(
                            "transfer {} resolves an unknown hold {h}",
                            t.id
                        )));
                    }
                },
            };
            let done = match (t.kind.as_str(), hold) {
                ("posted", None) => l.transfer(debit, credit, t.amount_minor),
                ("pending", None) => l.hold(debit, credit, t.amount_minor),
                ("post_pending", Some(h)) => l.post(h, t.amount_minor),
                ("void_pending", Some(h)) => l.void(h),
                ("expire_pending", Some(h)) => l.expire(h),
                _ => return Ok(Err(format!("transfer {} has kind {}", t.id, t.kind))),
            };
            match done {
                Ok(ref_id) => {
                    ids.insert(t.id, (t.currency.clone(), ref_id));
                }
                Err(e) => return Ok(Err(format!("transfer {}: {e}", t.id))),
            }
        }
        for (currency, l) in &ledgers {
            if let Err(e) = l.check() {
                return Ok(Err(format!("{currency}: {e}")));
            }
        }
        let balances = sqlx::query("SELECT * FROM ledger_balances")
            .fetch_all(&self.pool)
            .await?;
        for r in &balances {
            let key: String = r.get("account");
            let currency: String = r.get("currency");
            let Some(account) = LedgerAccount::parse_key(&key) else {
                return Ok(Err(format!("a balance names an unknown account {key}")));
            };
            let replayed = ledgers
                .get(&currency)
                .map(|l| l.balance(account))
                .unwrap_or_default();
            if replayed != balance_of(r) {
                return Ok(Err(format!(
                    "{key} {currency}: stored {:?}, replayed {replayed:?}",
                    balance_of(r)
                )));
            }
        }
        let mismatched: Option<i64> = sqlx::query_scalar(
            "SELECT b.id FROM bookings b LEFT JOIN ledger_transfers p ON p.hold_id = b.hold_id AND p.kind = 'post_pending' \
             WHERE b.state NOT IN ('rescheduled') AND b.charged_minor <> COALESCE(p.amount_minor, 0) LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = mismatched {
            return Ok(Err(format!(
                "booking {id}'s charged amount differs from what its hold posted"
            )));
        }
        let over_refunded: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM bookings WHERE refunded_minor > charged_minor OR refunded_minor < 0 LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = over_refunded {
            return Ok(Err(format!(
                "booking {id} was refunded more than it was charged"
            )));
        }
        let open_payout: Option<i64> = sqlx::query_scalar(
            "SELECT p.id FROM payouts p WHERE (p.state = 'pending') = \
             EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.hold_id = p.hold_id) LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = open_payout {
            return Ok(Err(format!("payout {id}'s state disagrees with its hold")));
        }
        Ok(Ok(()))
    }
}

fn transfer_record(r: &AnyRow) -> TransferRecord {
    TransferRecord {
        id: r.get("id"),
        kind: r.get("kind"),
        debit: r.get("debit"),
        credit: r.get("credit"),
        currency: r.get("currency"),
        amount_minor: r.get("amount_minor"),
        hold_id: r.get("hold_id"),
        purpose: r.get("purpose"),
        booking_id: r.get("booking_id"),
        at: ts(r.get("created_at_ms")),
    }
}
