//! Wallets, top-ups, payouts, receipts and the satisfaction guarantee over the API.
//! Every request that moves money needs an `Idempotency-Key` header.

use super::{ApiJson, IdPath, Paging};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::gateway::Card;
use crate::money::{self as m, Begun, IDEMPOTENCY_HEADER, IdemKey, fingerprint};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onhand_core::Invalid;
use onhand_core::ledger::LedgerAccount;
use onhand_store::{Account, Booking, LedgerEntry, Payout, RefundRequest, TopUp, TransferRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The request's idempotency key; required where money moves.
pub fn key_of(headers: &HeaderMap) -> Result<IdemKey, Failure> {
    let raw = headers.get(IDEMPOTENCY_HEADER).ok_or_else(|| {
        Invalid::one(
            "Idempotency-Key",
            "header is required on requests that move money; send a new unique value (a UUID) per operation",
        )
    })?;
    let raw = raw
        .to_str()
        .map_err(|_| Invalid::one("Idempotency-Key", "must be visible ASCII"))?;
    Ok(IdemKey::parse("Idempotency-Key", raw)?)
}

/// Claims the key; a replay is answered from what was stored.
pub async fn begin(
    state: &AppState,
    account: &Account,
    key: &IdemKey,
    operation: &str,
    input: &impl Serialize,
) -> Result<Option<Response>, ApiError> {
    match m::claim(state, account, key, &fingerprint(operation, input)).await? {
        Begun::Fresh => Ok(None),
        Begun::Replay { status, body } => {
            let mut r =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(Some(r))
        }
    }
}

/// Ends a claimed request: the success was sealed with the money; a failure moved
/// nothing, so the key is released for a corrected retry.
pub async fn end<T: Serialize>(
    state: &AppState,
    account: &Account,
    key: &IdemKey,
    status: StatusCode,
    result: Result<T, Failure>,
) -> Result<Response, ApiError> {
    match result {
        Ok(v) => Ok((status, Json(v)).into_response()),
        Err(f) => {
            m::release(state, account, key).await;
            Err(ApiError(f))
        }
    }
}

/// How a sealed response is stored: its status and JSON body.
pub fn stored<T: Serialize>(status: StatusCode, v: &T) -> (u16, String) {
    (
        status.as_u16(),
        serde_json::to_string(v).expect("bodies serialize"),
    )
}

pub fn stored_error(f: &Failure) -> (u16, String) {
    stored(f.status_code(), &ErrorBody::of(f))
}

#[derive(Serialize, ToSchema)]
pub struct WalletBody {
    pub currency: String,
    /// Posted balance: what the wallet holds.
    pub balance_minor: i64,
    /// Reserved by holds for upcoming sessions.
    pub held_minor: i64,
    /// What can be spent now: balance minus holds.
    pub available_minor: i64,
    /// True when payments go through the built-in sandbox: no real money moves.
    pub sandbox: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EarningsBody {
    pub currency: String,
    /// Earned and not yet paid out.
    pub balance_minor: i64,
    /// Still inside the 72-hour guarantee window, or under a refund request.
    pub locked_minor: i64,
    /// Payouts waiting for the gateway.
    pub paying_out_minor: i64,
    /// What may be paid out now.
    pub available_minor: i64,
    /// Buyers' money on hold for upcoming sessions.
    pub incoming_minor: i64,
    pub payout_minimum_minor: i64,
}

/// The caller's wallet, and their earnings if they provide.
#[derive(Serialize, ToSchema)]
pub struct WalletResponse {
    pub wallet: WalletBody,
    pub earnings: Option<EarningsBody>,
}

#[utoipa::path(get, path = "/api/v1/wallet", tag = "money", security(("bearer" = [])),
    responses((status = 200, body = WalletResponse)))]
pub async fn wallet(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<WalletResponse>, ApiError> {
    let w = m::wallet(&state, &caller.0).await?;
    let provider = crate::actions::provider_of(&state, caller.0.id).await?;
    let earnings = match provider {
        Some(p) if p.is_approved() => {
            let e = m::earnings(&state, &caller.0).await?;
            Some(EarningsBody {
                currency: state.config.currency.code.to_string(),
                balance_minor: e.posted_minor(),
                locked_minor: e.locked_minor,
                paying_out_minor: e.paying_out_minor(),
                available_minor: e.available_minor(),
                incoming_minor: e.incoming_minor,
                payout_minimum_minor: state.config.payout_minimum_minor,
            })
        }
        _ => None,
    };
    Ok(Json(WalletResponse {
        wallet: WalletBody {
            currency: state.config.currency.code.to_string(),
            balance_minor: w.posted_minor(),
            held_minor: w.held_minor(),
            available_minor: w.available_minor(),
            sandbox: state.gateway.is_sandbox(),
        },
        earnings,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct EntryBody {
    pub transfer_id: i64,
    /// posted, pending (a hold), post_pending, void_pending or expire_pending.
    pub kind: String,
    /// top_up, booking, commission, refund or payout.
    pub purpose: String,
    pub booking_id: Option<i64>,
    pub hold_id: Option<i64>,
    /// Positive in, negative out.
    pub amount_minor: i64,
    /// Posted balance after this entry.
    pub balance_minor: i64,
    pub at: String,
}

impl From<&LedgerEntry> for EntryBody {
    fn from(e: &LedgerEntry) -> Self {
        EntryBody {
            transfer_id: e.transfer_id,
            kind: e.kind.clone(),
            purpose: e.purpose.clone(),
            booking_id: e.booking_id,
            hold_id: e.hold_id,
            amount_minor: e.amount_minor,
            balance_minor: e.running_minor,
            at: e.at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntryPage {
    pub items: Vec<EntryBody>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// The wallet's history, newest first, with the balance after each entry.
#[utoipa::path(get, path = "/api/v1/wallet/history", tag = "money", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = EntryPage)))]
pub async fn wallet_history(
    State(state): State<AppState>,
    caller: ApiCaller,
    super::ApiQuery(paging): super::ApiQuery<Paging>,
) -> Result<Json<EntryPage>, ApiError> {
    history(&state, LedgerAccount::Wallet(caller.0.id), &paging).await
}

/// The provider's earnings history, newest first.
#[utoipa::path(get, path = "/api/v1/earnings/history", tag = "money", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = EntryPage)))]
pub async fn earnings_history(
    State(state): State<AppState>,
    caller: ApiCaller,
    super::ApiQuery(paging): super::ApiQuery<Paging>,
) -> Result<Json<EntryPage>, ApiError> {
    history(&state, LedgerAccount::Earnings(caller.0.id), &paging).await
}

async fn history(
    state: &AppState,
    account: LedgerAccount,
    paging: &Paging,
) -> Result<Json<EntryPage>, ApiError> {
    let (window, page, per_page) = paging.window()?;
    let found = m::history(state, account, window).await?;
    Ok(Json(EntryPage {
        items: found.items.iter().map(EntryBody::from).collect(),
        total: found.total,
        page,
        per_page,
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// In minor units of the platform currency.
    pub amount_minor: i64,
    /// In the sandbox: 4242424242424242 succeeds, 4000000000000002 is declined,
    /// 4000000000009995 has insufficient funds, 4000000000000119 fails once with 503.
    pub card_number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

#[derive(Serialize, ToSchema)]
pub struct TopUpBody {
    pub id: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// succeeded or declined.
    pub state: String,
    pub gateway: String,
    pub card_last4: String,
    pub decline_reason: Option<String>,
    pub created_at: String,
}

impl From<&TopUp> for TopUpBody {
    fn from(t: &TopUp) -> Self {
        TopUpBody {
            id: t.id,
            amount_minor: t.amount_minor,
            currency: t.currency.clone(),
            state: t.state.clone(),
            gateway: t.gateway.clone(),
            card_last4: t.card_last4.clone(),
            decline_reason: t.decline_reason.clone(),
            created_at: t.created_at.to_string(),
        }
    }
}

/// How a top-up is answered: 201 when the money arrived, 402 when the card was declined.
pub fn top_up_response(t: &TopUp) -> (u16, String) {
    match &t.decline_reason {
        None => stored(StatusCode::CREATED, &TopUpBody::from(t)),
        Some(reason) => stored_error(&Failure::PaymentRequired(format!(
            "{reason}; nothing was charged (top-up {})",
            t.id
        ))),
    }
}

/// Charges a card through the gateway and credits the wallet.
#[utoipa::path(post, path = "/api/v1/wallet/topups", tag = "money", security(("bearer" = [])), request_body = TopUpRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per top-up")),
    responses((status = 201, body = TopUpBody), (status = 402, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn top_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TopUpRequest>,
) -> Result<Response, ApiError> {
    let key = key_of(&headers)?;
    // The card number is fingerprinted, never stored.
    if let Some(replay) = begin(&state, &caller.0, &key, "POST /wallet/topups", &req).await? {
        return Ok(replay);
    }
    let result = async {
        let mut errors = Invalid::default();
        let amount = errors.take(m::top_up_amount(&state, req.amount_minor));
        let card = errors.take(Card::parse(
            &req.card_number,
            req.exp_month,
            req.exp_year,
            &req.cvc,
            crate::auth::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date(),
        ));
        let (Some(amount), Some(card)) = (amount, card) else {
            return Err(Failure::Invalid(errors));
        };
        m::top_up(&state, &caller.0, amount, &card, &key, &top_up_response).await
    }
    .await;
    match result {
        Ok(t) => {
            let (status, body) = top_up_response(&t);
            let mut r =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Ok(r)
        }
        Err(f) => {
            m::release(&state, &caller.0, &key).await;
            Err(ApiError(f))
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    pub amount_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PayoutBody {
    pub id: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// pending (held until the gateway confirms), paid or failed.
    pub state: String,
    pub gateway: String,
    pub failure: Option<String>,
    pub created_at: String,
    pub settled_at: Option<String>,
}

impl From<&Payout> for PayoutBody {
    fn from(p: &Payout) -> Self {
        PayoutBody {
            id: p.id,
            amount_minor: p.amount_minor,
            currency: p.currency.clone(),
            state: p.state.clone(),
            gateway: p.gateway.clone(),
            failure: p.failure.clone(),
            created_at: p.created_at.to_string(),
            settled_at: p.settled_at.map(|t| t.to_string()),
        }
    }
}

fn payout_response(p: &Payout) -> (u16, String) {
    let status = if p.state == "pending" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    stored(status, &PayoutBody::from(p))
}

/// Withdraws available earnings through the gateway.
#[utoipa::path(post, path = "/api/v1/payouts", tag = "money", security(("bearer" = [])), request_body = PayoutRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per payout")),
    responses((status = 201, body = PayoutBody), (status = 202, body = PayoutBody, description = "held; the gateway has not confirmed yet"),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay_out(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PayoutRequest>,
) -> Result<Response, ApiError> {
    let key = key_of(&headers)?;
    if let Some(replay) = begin(&state, &caller.0, &key, "POST /payouts", &req).await? {
        return Ok(replay);
    }
    let result = m::pay_out(&state, &caller.0, req.amount_minor, &key, &payout_response).await;
    match result {
        Ok(p) => {
            let (status, _) = payout_response(&p);
            Ok((
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                Json(PayoutBody::from(&p)),
            )
                .into_response())
        }
        Err(f) => end::<PayoutBody>(&state, &caller.0, &key, StatusCode::OK, Err(f)).await,
    }
}

#[derive(Serialize, ToSchema)]
pub struct PayoutList {
    pub items: Vec<PayoutBody>,
}

/// The provider's payouts, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/payouts", tag = "money", security(("bearer" = [])),
    responses((status = 200, body = PayoutList)))]
pub async fn payouts(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<PayoutList>, ApiError> {
    let found = state.store.payouts(caller.0.id, 100).await?;
    Ok(Json(PayoutList {
        items: found.iter().map(PayoutBody::from).collect(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundCreate {
    /// How much back, in minor units; all that is left when omitted.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// What went wrong, for the provider (10 to 2000 characters).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RefundBody {
    pub id: i64,
    pub booking_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    /// open (waiting for the provider), granted, disputed (the operator decides),
    /// upheld (refunded by the operator) or rejected.
    pub state: String,
    pub provider_note: Option<String>,
    pub operator_note: Option<String>,
    pub created_at: String,
}

impl From<&RefundRequest> for RefundBody {
    fn from(r: &RefundRequest) -> Self {
        RefundBody {
            id: r.id,
            booking_id: r.booking_id,
            amount_minor: r.amount_minor,
            currency: r.currency.clone(),
            reason: r.reason.clone(),
            state: r.state.clone(),
            provider_note: r.provider_note.clone(),
            operator_note: r.operator_note.clone(),
            created_at: r.created_at.to_string(),
        }
    }
}

fn refund_created(r: &RefundRequest) -> (u16, String) {
    stored(StatusCode::CREATED, &RefundBody::from(r))
}

fn refund_ok(r: &RefundRequest) -> (u16, String) {
    stored(StatusCode::OK, &RefundBody::from(r))
}

/// The satisfaction guarantee: within 72 hours after a paid session, the buyer asks
/// for a full or partial refund.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/refund-requests", tag = "money", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header, description = "unique per request")), request_body = RefundCreate,
    responses((status = 201, body = RefundBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_refund(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefundCreate>,
) -> Result<Response, ApiError> {
    let key = key_of(&headers)?;
    let op = format!("POST /bookings/{id}/refund-requests");
    if let Some(replay) = begin(&state, &caller.0, &key, &op, &req).await? {
        return Ok(replay);
    }
    let result = m::request_refund(
        &state,
        &caller.0,
        id,
        req.amount_minor,
        &req.reason,
        &key,
        &refund_created,
    )
    .await
    .map(|r| RefundBody::from(&r));
    end(&state, &caller.0, &key, StatusCode::CREATED, result).await
}

#[derive(Serialize, ToSchema)]
pub struct RefundList {
    pub items: Vec<RefundBody>,
}

/// Refund requests where the caller is buyer or provider, newest first.
#[utoipa::path(get, path = "/api/v1/refund-requests", tag = "money", security(("bearer" = [])),
    responses((status = 200, body = RefundList)))]
pub async fn refunds(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<RefundList>, ApiError> {
    let found = state.store.refund_requests_of(caller.0.id, 100).await?;
    Ok(Json(RefundList {
        items: found.iter().map(RefundBody::from).collect(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundAnswer {
    /// Required when declining; the buyer and the operator read it.
    #[serde(default)]
    pub note: Option<String>,
}

/// The provider grants an open request: the buyer is refunded now.
#[utoipa::path(post, path = "/api/v1/refund-requests/{id}/grant", tag = "money", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)), request_body = RefundAnswer,
    responses((status = 200, body = RefundBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn grant_refund(
    state: State<AppState>,
    caller: ApiCaller,
    id: IdPath,
    headers: HeaderMap,
    body: ApiJson<RefundAnswer>,
) -> Result<Response, ApiError> {
    answer(state, caller, id, headers, body, true).await
}

/// The provider declines an open request: it goes to the operator as a dispute.
#[utoipa::path(post, path = "/api/v1/refund-requests/{id}/decline", tag = "money", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)), request_body = RefundAnswer,
    responses((status = 200, body = RefundBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline_refund(
    state: State<AppState>,
    caller: ApiCaller,
    id: IdPath,
    headers: HeaderMap,
    body: ApiJson<RefundAnswer>,
) -> Result<Response, ApiError> {
    answer(state, caller, id, headers, body, false).await
}

async fn answer(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefundAnswer>,
    grant: bool,
) -> Result<Response, ApiError> {
    let key = key_of(&headers)?;
    let op = format!("POST /refund-requests/{id}/{grant}");
    if let Some(replay) = begin(&state, &caller.0, &key, &op, &req).await? {
        return Ok(replay);
    }
    let result = m::answer_refund(
        &state,
        &caller.0,
        id,
        grant,
        req.note.as_deref(),
        &key,
        &refund_ok,
    )
    .await
    .map(|r| RefundBody::from(&r));
    end(&state, &caller.0, &key, StatusCode::OK, result).await
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeDecision {
    /// true refunds the buyer; false keeps the payment with the provider.
    pub uphold: bool,
    pub note: String,
}

/// The operator decides a dispute.
#[utoipa::path(post, path = "/api/v1/admin/disputes/{id}/decide", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)), request_body = DisputeDecision,
    responses((status = 200, body = RefundBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_dispute(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DisputeDecision>,
) -> Result<Response, ApiError> {
    let key = key_of(&headers)?;
    let op = format!("POST /admin/disputes/{id}/decide");
    if let Some(replay) = begin(&state, &caller.0, &key, &op, &req).await? {
        return Ok(replay);
    }
    let result = m::decide_dispute(
        &state, &caller.0, id, req.uphold, &req.note, &key, &refund_ok,
    )
    .await
    .map(|r| RefundBody::from(&r));
    end(&state, &caller.0, &key, StatusCode::OK, result).await
}

/// The operator's dispute queue, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/disputes", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = RefundList), (status = 403, body = ErrorBody)))]
pub async fn disputes(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<RefundList>, ApiError> {
    if !caller.0.is_operator {
        return Err(Failure::Forbidden("only the operator sees disputes".into()).into());
    }
    let found = state.store.disputes(100).await?;
    Ok(Json(RefundList {
        items: found.iter().map(RefundBody::from).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TransferBody {
    pub id: i64,
    pub kind: String,
    pub debit: String,
    pub credit: String,
    pub amount_minor: i64,
    pub hold_id: Option<i64>,
    pub purpose: String,
    pub at: String,
}

impl From<&TransferRecord> for TransferBody {
    fn from(t: &TransferRecord) -> Self {
        TransferBody {
            id: t.id,
            kind: t.kind.clone(),
            debit: t.debit.clone(),
            credit: t.credit.clone(),
            amount_minor: t.amount_minor,
            hold_id: t.hold_id,
            purpose: t.purpose.clone(),
            at: t.at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptBody {
    pub booking_id: i64,
    pub currency: String,
    /// What was paid, what of it the platform kept, and what came back.
    pub charged_minor: i64,
    pub commission_minor: i64,
    pub refunded_minor: i64,
    /// Still reserved for this booking (0 once settled).
    pub held_minor: i64,
    pub transfers: Vec<TransferBody>,
    pub refund_requests: Vec<RefundBody>,
}

/// Where a booking's money went, for its buyer and provider.
pub async fn receipt_of(state: &AppState, b: &Booking) -> Result<ReceiptBody, Failure> {
    let transfers = state.store.booking_transfers(b.id).await?;
    let held_minor = m::held_minor(&transfers);
    Ok(ReceiptBody {
        booking_id: b.id,
        currency: b.currency.clone(),
        charged_minor: b.charged_minor,
        commission_minor: b.commission_minor,
        refunded_minor: b.refunded_minor,
        held_minor,
        transfers: transfers.iter().map(TransferBody::from).collect(),
        refund_requests: state
            .store
            .refund_requests_of_booking(b.id)
            .await?
            .iter()
            .map(RefundBody::from)
            .collect(),
    })
}

/// A booking's receipt: every transfer about it and its refund requests.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/receipt", tag = "money", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReceiptBody), (status = 404, body = ErrorBody)))]
pub async fn receipt(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ReceiptBody>, ApiError> {
    let (b, _) = crate::schedule::own_booking(&state, &caller.0, id).await?;
    Ok(Json(receipt_of(&state, &b).await?))
}
