//! Money actions, once for both doors (pages and API): wallets and top-ups, payouts, the
//! satisfaction guarantee, and idempotency keys.
//!
//! Architecture invariant: a request that moves money claims its idempotency key first;
//! the store seals the response in the same transaction as the money, and a failure
//! that moved nothing releases the key so the same request may be retried.

use crate::auth::now;
use crate::error::Failure;
use crate::gateway::Card;
use crate::schedule::own_booking;
use crate::state::AppState;
use onhand_core::Invalid;
use onhand_core::booking::Party;
use onhand_core::ledger::LedgerAccount;
use onhand_core::money::{Currency, Money};
use onhand_core::payments::{TOP_UP_MAX_MINOR, TOP_UP_MIN_MINOR};
use onhand_store::{
    Account, Claim, Earnings, Page, Paged, Payout, RefundRequest, Seal, StoreError, TopUp, Wallet,
};
use sha2::{Digest, Sha256};

/// The header API clients send their key in.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The hidden form field pages send it in.
pub const IDEMPOTENCY_FIELD: &str = "idempotency_key";

/// A client's idempotency key: 8 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemKey(String);

impl IdemKey {
    pub fn parse(field: &'static str, raw: &str) -> Result<IdemKey, Invalid> {
        if !(8..=255).contains(&raw.len()) || !raw.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Invalid::one(
                field,
                "must be 8 to 255 visible ASCII characters, unique per operation (a UUID is ideal)",
            ));
        }
        Ok(IdemKey(raw.to_string()))
    }

    /// A fresh key for a form to carry.
    pub fn generate() -> String {
        crate::auth::random_token()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests "the same": the operation and its input.
pub fn fingerprint(operation: &str, input: &impl serde::Serialize) -> String {
    let body = serde_json::to_string(input).expect("request bodies serialize");
    let digest = Sha256::digest(format!("{operation}\n{body}").as_bytes());
    crate::auth::hex(&digest)
}

/// What claiming a key told us.
pub enum Begun {
    /// Go ahead; seal the outcome.
    Fresh,
    /// Done before: answer this again.
    Replay { status: u16, body: String },
}

pub async fn claim(
    state: &AppState,
    account: &Account,
    key: &IdemKey,
    fingerprint: &str,
) -> Result<Begun, Failure> {
    match state
        .store
        .claim_idempotency(account.id, key.as_str(), fingerprint, &state.instance, now())
        .await?
    {
        Claim::Fresh => Ok(Begun::Fresh),
        Claim::Replay { status, body } => Ok(Begun::Replay { status, body }),
        Claim::Mismatch => Err(Invalid::one(
            "Idempotency-Key",
            "was already used for a different request; send a new key for a new operation",
        )
        .into()),
        Claim::InFlight => Err(Failure::Conflict(
            "a request with this Idempotency-Key is still being handled; retry when it has finished"
                .into(),
        )),
    }
}

/// After a failure: a refusal that moved nothing releases the key (the caller may fix
/// the request and retry with the same key); the outcome of one that did is sealed.
pub async fn release(state: &AppState, account: &Account, key: &IdemKey) {
    if let Err(e) = state
        .store
        .release_idempotency(account.id, key.as_str())
        .await
    {
        tracing::error!(error = ?e, "could not release an idempotency key");
    }
}

/// Builds the status and body a replay answers with, from what the operation returned.
pub type Respond<T> = dyn Fn(&T) -> (u16, String) + Send + Sync;

/// Bundles a claimed key with the response it should replay.
pub fn seal<'a, T>(account: &Account, key: &'a IdemKey, respond: &'a Respond<T>) -> Seal<'a, T> {
    Seal {
        account_id: account.id,
        key: key.as_str(),
        respond,
    }
}

/// What a booking's transfers still hold: its holds that nothing has resolved.
pub fn held_minor(transfers: &[onhand_store::TransferRecord]) -> i64 {
    let resolved = |hold: i64| transfers.iter().any(|t| t.hold_id == Some(hold));
    transfers
        .iter()
        .filter(|t| t.kind == "pending" && !resolved(t.id))
        .map(|t| t.amount_minor)
        .sum()
}

pub fn money(state: &AppState, amount_minor: i64) -> Money {
    Money::new(amount_minor, state.config.currency)
}

pub fn money_in(currency: &str, amount_minor: i64) -> Money {
    Money::new(
        amount_minor,
        Currency::parse(currency).unwrap_or_else(|_| Currency::usd()),
    )
}

/// "Your wallet has $3.00 available; this needs $25.00."
pub fn insufficient(state: &AppState, e: StoreError, what: &str) -> Failure {
    match e {
        StoreError::InsufficientFunds {
            available_minor,
            needed_minor,
        } => Failure::PaymentRequired(format!(
            "your wallet has {} available; {what} needs {}. Top up your wallet at /wallet, then try again",
            money(state, available_minor),
            money(state, needed_minor)
        )),
        other => other.into(),
    }
}

pub async fn wallet(state: &AppState, account: &Account) -> Result<Wallet, Failure> {
    Ok(state
        .store
        .wallet(account.id, state.config.currency.code)
        .await?)
}

pub async fn earnings(state: &AppState, account: &Account) -> Result<Earnings, Failure> {
    Ok(state
        .store
        .earnings(account.id, state.config.currency.code, now())
        .await?)
}

pub async fn history(
    state: &AppState,
    account: LedgerAccount,
    page: Page,
) -> Result<Paged<onhand_store::LedgerEntry>, Failure> {
    Ok(state
        .store
        .ledger_history(account, state.config.currency.code, page)
        .await?)
}

/// Checks a top-up amount against the limits.
pub fn top_up_amount(state: &AppState, amount_minor: i64) -> Result<i64, Invalid> {
    if !(TOP_UP_MIN_MINOR..=TOP_UP_MAX_MINOR).contains(&amount_minor) {
        return Err(Invalid::one(
            "amount_minor",
            format!(
                "{} is not between {} and {}",
                money(state, amount_minor),
                money(state, TOP_UP_MIN_MINOR),
                money(state, TOP_UP_MAX_MINOR)
            ),
        ));
    }
    Ok(amount_minor)
}

/// Charges the card through the gateway and credits the wallet. A decline is recorded
/// and returned (state "declined"); the gateway being unreachable moves nothing.
pub async fn top_up(
    state: &AppState,
    account: &Account,
    amount_minor: i64,
    card: &Card,
    key: &IdemKey,
    respond: &Respond<TopUp>,
) -> Result<TopUp, Failure> {
    let currency = state.config.currency.code;
    let reference = format!("{}-{}", account.id, key.as_str());
    let outcome = state
        .gateway
        .charge(card, amount_minor, currency, &reference)
        .await
        .map_err(|e| Failure::Unavailable(e.to_string()))?;
    let t = state
        .store
        .record_top_up(
            account.id,
            amount_minor,
            currency,
            state.gateway.name(),
            card.last4(),
            &outcome,
            Some(&seal(account, key, respond)),
            now(),
        )
        .await?;
    tracing::info!(
        top_up = t.id,
        account = account.id,
        amount_minor,
        state = t.state,
        "top-up"
    );
    Ok(t)
}

async fn require_provider(state: &AppState, account: &Account) -> Result<(), Failure> {
    match crate::actions::provider_of(state, account.id).await? {
        Some(p) if p.is_approved() => Ok(()),
        _ => Err(Failure::Forbidden(
            "only approved providers have earnings to pay out".into(),
        )),
    }
}

/// Holds the amount from the provider's available earnings and asks the gateway to pay
/// it; the payout is posted when the gateway confirms, voided if it refuses, and left
/// pending (retried by the ticker) if it cannot be reached.
pub async fn pay_out(
    state: &AppState,
    account: &Account,
    amount_minor: i64,
    key: &IdemKey,
    respond: &Respond<Payout>,
) -> Result<Payout, Failure> {
    require_provider(state, account).await?;
    let currency = state.config.currency.code;
    let minimum = state.config.payout_minimum_minor;
    if amount_minor < minimum {
        return Err(Invalid::one(
            "amount_minor",
            format!(
                "a payout must be at least {}; {} was asked",
                money(state, minimum),
                money(state, amount_minor)
            ),
        )
        .into());
    }
    let p = match state
        .store
        .start_payout(
            account.id,
            amount_minor,
            currency,
            minimum,
            state.gateway.name(),
            Some(&seal(account, key, respond)),
            now(),
        )
        .await
    {
        Ok(p) => p,
        Err(StoreError::InsufficientFunds {
            available_minor, ..
        }) => {
            return Err(Failure::Conflict(format!(
                "{} of your earnings can be paid out now; earnings from sessions in the last 72 hours \
                 become available when their guarantee window closes",
                money(state, available_minor)
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(send_payout(state, p, Some((account, key, respond))).await)
}

/// Asks the gateway to pay a pending payout and settles it by the answer. Returns the
/// payout as it stands (still pending if the gateway could not be reached).
pub async fn send_payout(
    state: &AppState,
    p: Payout,
    sealed: Option<(&Account, &IdemKey, &Respond<Payout>)>,
) -> Payout {
    let reference = format!("payout-{}", p.id);
    let outcome = match state
        .gateway
        .pay_out(p.provider_id, p.amount_minor, &p.currency, &reference)
        .await
    {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(payout = p.id, error = %e, "payout stays pending");
            return p;
        }
    };
    let s = sealed.map(|(a, k, r)| seal(a, k, r));
    match state
        .store
        .settle_payout(p.id, &outcome, s.as_ref(), now())
        .await
    {
        Ok(settled) => {
            tracing::info!(
                payout = p.id,
                state = settled.state,
                amount_minor = p.amount_minor,
                "payout settled"
            );
            if settled.state == "paid" {
                crate::notify::emit(
                    state,
                    crate::notify::Event::PayoutSent {
                        provider: settled.provider_id,
                        amount_minor: settled.amount_minor,
                        currency: settled.currency.clone(),
                    },
                )
                .await;
            }
            settled
        }
        Err(e) => {
            tracing::warn!(payout = p.id, error = ?e, "payout could not be settled; it stays pending");
            p
        }
    }
}

/// Retries payouts the gateway has not confirmed; the ticker calls this.
pub async fn retry_pending_payouts(state: &AppState) {
    match state.store.pending_payouts(20).await {
        Ok(pending) => {
            for p in pending {
                if now().duration_since(p.created_at) >= jiff::SignedDuration::from_secs(30) {
                    send_payout(state, p, None).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = ?e, "could not read pending payouts"),
    }
}

/// The buyer asks for money back. `amount_minor` `None` asks for all that is left.
pub async fn request_refund(
    state: &AppState,
    account: &Account,
    booking_id: i64,
    amount_minor: Option<i64>,
    reason: &str,
    key: &IdemKey,
    respond: &Respond<RefundRequest>,
) -> Result<RefundRequest, Failure> {
    let (b, party) = own_booking(state, account, booking_id).await?;
    if party != Party::Buyer {
        return Err(Failure::Forbidden(
            "only the buyer asks for a refund".into(),
        ));
    }
    let reason = onhand_core::invalid::text("reason", reason, 10..=2000)?;
    let amount = amount_minor.unwrap_or(b.charged_minor - b.refunded_minor);
    let r = state
        .store
        .request_refund(
            b.id,
            account.id,
            amount,
            &reason,
            Some(&seal(account, key, respond)),
            now(),
        )
        .await?;
    tracing::info!(
        refund_request = r.id,
        booking_id,
        amount_minor = amount,
        "refund requested"
    );
    crate::notify::emit(
        state,
        crate::notify::Event::RefundRequested { refund: r.id },
    )
    .await;
    Ok(r)
}

/// The provider grants or declines (with a note the buyer and operator see).
pub async fn answer_refund(
    state: &AppState,
    account: &Account,
    id: i64,
    grant: bool,
    note: Option<&str>,
    key: &IdemKey,
    respond: &Respond<RefundRequest>,
) -> Result<RefundRequest, Failure> {
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(onhand_core::invalid::text("note", n, 3..=2000)?),
        None if !grant => {
            return Err(Invalid::one(
                "note",
                "is required when declining; the buyer and the operator read it",
            )
            .into());
        }
        None => None,
    };
    match state
        .store
        .answer_refund(
            id,
            account.id,
            grant,
            note.as_deref(),
            Some(&seal(account, key, respond)),
            now(),
        )
        .await
    {
        Ok(r) => {
            crate::notify::emit(state, crate::notify::Event::RefundDecided { refund: r.id }).await;
            Ok(r)
        }
        Err(StoreError::NotFound) => Err(Failure::not_found("refund request")),
        Err(e) => Err(e.into()),
    }
}

/// The operator decides a disputed request.
pub async fn decide_dispute(
    state: &AppState,
    operator: &Account,
    id: i64,
    uphold: bool,
    note: &str,
    key: &IdemKey,
    respond: &Respond<RefundRequest>,
) -> Result<RefundRequest, Failure> {
    if !operator.is_operator {
        return Err(Failure::Forbidden(
            "only the operator decides disputes".into(),
        ));
    }
    let note = onhand_core::invalid::text("note", note, 3..=2000)?;
    match state
        .store
        .decide_dispute(
            id,
            uphold,
            &note,
            Some(&seal(operator, key, respond)),
            now(),
        )
        .await
    {
        Ok(r) => {
            crate::notify::emit(state, crate::notify::Event::RefundDecided { refund: r.id }).await;
            Ok(r)
        }
        Err(StoreError::NotFound) => Err(Failure::not_found("refund request")),
        Err(e) => Err(e.into()),
    }
}

/// A refund request the account may see: the buyer's, the provider's, or any for the
/// operator.
pub async fn visible_refund(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<RefundRequest, Failure> {
    match state.store.refund_request(id).await {
        Ok(r) if account.is_operator || r.buyer_id == account.id || r.provider_id == account.id => {
            Ok(r)
        }
        Ok(_) | Err(StoreError::NotFound) => Err(Failure::not_found("refund request")),
        Err(e) => Err(e.into()),
    }
}
