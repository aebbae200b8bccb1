//! Money pages: the wallet (balance, holds, top-up, history), checkout, the provider's
//! earnings and payouts, refund requests and answers, and the operator's finance view.
//!
//! Every form that moves money carries a hidden idempotency key made when the form was
//! shown; submitting it twice (a double click, a reload) does the work once and lands
//! on the same page.

use super::{FormErrors, NoticeQuery, RawForm, render, render_form};
use crate::auth::{Viewer, now};
use crate::error::{Failure, PageError};
use crate::gateway::Card;
use crate::money::{self as m, Begun, IdemKey, fingerprint, money};
use crate::schedule;
use crate::state::AppState;
use crate::views::Chrome;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use onhand_core::Invalid;
use onhand_core::catalog::CancellationPolicy;
use onhand_core::ledger::LedgerAccount;
use onhand_store::{Account, LedgerEntry, Page, RefundRequest};

/// History rows shown per page.
const HISTORY_PER_PAGE: i64 = 25;

fn when(t: Timestamp, zone: &str) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    t.to_zoned_datetime(tz)
        .strftime("%-d %b %Y, %H:%M")
        .to_string()
}

/// A local path to come back to, or `None` for anything that could leave the site.
fn local_next(raw: &str) -> Option<String> {
    super::local_path(raw)
        .filter(|p| p.len() < 500)
        .map(str::to_string)
}

/// Claims the form's idempotency key. A replay redirects where the first submission
/// went.
async fn claim_form(
    state: &AppState,
    account: &Account,
    form: &RawForm,
    operation: &str,
    fields: &[&str],
) -> Result<(IdemKey, Option<Response>), Failure> {
    let key = IdemKey::parse(m::IDEMPOTENCY_FIELD, form.get(m::IDEMPOTENCY_FIELD))?;
    let input: Vec<(&str, &str)> = fields.iter().map(|f| (*f, form.get(f))).collect();
    let replay = match m::claim(state, account, &key, &fingerprint(operation, &input)).await? {
        Begun::Fresh => None,
        Begun::Replay { body, .. } => Some(
            Redirect::to(&local_next(&body).unwrap_or_else(|| "/wallet".into())).into_response(),
        ),
    };
    Ok((key, replay))
}

/// What a page form's sealed response is: a redirect to `location`.
fn redirect_to(location: String) -> (u16, String) {
    (303, location)
}

pub struct EntryRow {
    pub at: String,
    pub what: String,
    pub booking_id: Option<i64>,
    pub amount: String,
    pub incoming: bool,
    pub pending: bool,
    pub balance: String,
}

fn entry_row(state: &AppState, e: &LedgerEntry, zone: &str, provider_view: bool) -> EntryRow {
    let what = match (e.purpose.as_str(), e.kind.as_str()) {
        ("top_up", _) => "Top-up (sandbox card)".to_string(),
        ("booking", "pending") if provider_view => "Buyer's money held for a session".into(),
        ("booking", "pending") => "Held for a booking".into(),
        ("booking", "void_pending") => "Hold released".into(),
        ("booking", "expire_pending") => "Hold expired and released".into(),
        ("booking", "post_pending") if provider_view => "Session paid".into(),
        ("booking", "post_pending") => "Paid for a session".into(),
        ("commission", _) => "Platform commission".into(),
        ("refund", _) if provider_view => "Refund to the buyer".into(),
        ("refund", _) => "Refund".into(),
        ("payout", "pending") => "Payout requested (held)".into(),
        ("payout", "post_pending") => "Payout sent".into(),
        ("payout", "void_pending") => "Payout failed; released".into(),
        (p, k) => format!("{p} ({k})"),
    };
    let pending = e.kind == "pending";
    let amount = if matches!(e.kind.as_str(), "void_pending" | "expire_pending") {
        // A release moves nothing posted; show the amount freed.
        money(state, e.amount_minor.abs()).to_string()
    } else {
        money(state, e.amount_minor).to_string()
    };
    EntryRow {
        at: when(e.at, zone),
        what,
        booking_id: e.booking_id,
        amount,
        incoming: e.amount_minor > 0,
        pending,
        balance: money(state, e.running_minor).to_string(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct WalletQuery {
    #[serde(default)]
    pub notice: String,
    #[serde(default)]
    pub page: Option<i64>,
    /// Where to go back to after a top-up (a checkout).
    #[serde(default)]
    pub next: String,
    /// A suggested top-up amount, in minor units.
    #[serde(default)]
    pub need: Option<i64>,
}

#[derive(Template)]
#[template(path = "wallet.html")]
pub struct WalletPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    sandbox: bool,
    balance: String,
    held: String,
    available: String,
    entries: Vec<EntryRow>,
    page: i64,
    pages: i64,
    key: String,
    amount: String,
    next: String,
    is_provider: bool,
}

async fn wallet_page(
    state: &AppState,
    viewer: &Viewer,
    q: &WalletQuery,
    errors: Invalid,
    amount: String,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let w = m::wallet(state, account).await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let history = m::history(
        state,
        LedgerAccount::Wallet(account.id),
        Page {
            offset: (page - 1) * HISTORY_PER_PAGE,
            limit: HISTORY_PER_PAGE,
        },
    )
    .await?;
    let provider = crate::actions::provider_of(state, account.id).await?;
    let page_view = WalletPage {
        chrome: Chrome::new(viewer),
        notice: match q.notice.as_str() {
            "topped-up" => "Money added to your wallet.".into(),
            "declined" => "The card was declined; nothing was charged.".into(),
            _ => String::new(),
        },
        errors: FormErrors(errors.clone()),
        sandbox: state.gateway.is_sandbox(),
        balance: money(state, w.posted_minor()).to_string(),
        held: money(state, w.held_minor()).to_string(),
        available: money(state, w.available_minor()).to_string(),
        entries: history
            .items
            .iter()
            .map(|e| entry_row(state, e, &account.time_zone, false))
            .collect(),
        page,
        pages: (history.total + HISTORY_PER_PAGE - 1) / HISTORY_PER_PAGE,
        key: IdemKey::generate(),
        amount: if amount.is_empty() {
            q.need
                .filter(|n| *n > 0)
                .map(|n| money(state, n).plain())
                .unwrap_or_else(|| "25.00".into())
        } else {
            amount
        },
        next: local_next(&q.next).unwrap_or_default(),
        is_provider: provider.is_some_and(|p| p.is_approved()),
    };
    Ok(render_form(&page_view, &errors))
}

pub async fn wallet(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<WalletQuery>,
) -> Result<Response, PageError> {
    wallet_page(&state, &viewer, &q, Invalid::default(), String::new()).await
}

pub async fn top_up(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let fields = ["amount", "card_number", "exp_month", "exp_year", "next"];
    let (key, replay) = claim_form(&state, account, &form, "page top-up", &fields).await?;
    if let Some(r) = replay {
        return Ok(r);
    }
    let next = local_next(form.get("next"));
    let result = async {
        let mut errors = Invalid::default();
        let amount = errors
            .take(
                state
                    .config
                    .currency
                    .parse_amount("amount", form.get("amount")),
            )
            .and_then(|a| {
                errors.take(m::top_up_amount(&state, a).map_err(|_| {
                    Invalid::one(
                        "amount",
                        format!(
                            "must be between {} and {}",
                            money(&state, onhand_core::payments::TOP_UP_MIN_MINOR),
                            money(&state, onhand_core::payments::TOP_UP_MAX_MINOR)
                        ),
                    )
                }))
            });
        let month = form.get("exp_month").trim().parse::<u8>().unwrap_or(0);
        let year = form.get("exp_year").trim().parse::<u16>().unwrap_or(0);
        let card = errors.take(Card::parse(
            form.get("card_number"),
            month,
            year,
            form.get("cvc").trim(),
            now().to_zoned_datetime(TimeZone::UTC).date(),
        ));
        let (Some(amount), Some(card)) = (amount, card) else {
            return Err(Failure::Invalid(errors));
        };
        let done = next
            .clone()
            .unwrap_or_else(|| "/wallet?notice=topped-up".into());
        let respond = move |t: &onhand_store::TopUp| {
            if t.state == "succeeded" {
                redirect_to(done.clone())
            } else {
                redirect_to("/wallet?notice=declined".into())
            }
        };
        m::top_up(&state, account, amount, &card, &key, &respond).await
    }
    .await;
    let q = WalletQuery {
        next: next.clone().unwrap_or_default(),
        ..WalletQuery::default()
    };
    match result {
        Ok(t) if t.state == "succeeded" => Ok(Redirect::to(
            &next.unwrap_or_else(|| "/wallet?notice=topped-up".into()),
        )
        .into_response()),
        Ok(t) => {
            let reason = t.decline_reason.unwrap_or_default();
            wallet_page(
                &state,
                &viewer,
                &q,
                Invalid::one("card_number", format!("{reason}; nothing was charged")),
                form.get("amount").to_string(),
            )
            .await
        }
        Err(Failure::Invalid(errors)) => {
            m::release(&state, account, &key).await;
            wallet_page(&state, &viewer, &q, errors, form.get("amount").to_string()).await
        }
        Err(e) => {
            m::release(&state, account, &key).await;
            Err(e.into())
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CheckoutQuery {
    #[serde(default)]
    pub start: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
pub struct CheckoutPage {
    chrome: Chrome,
    listing_id: i64,
    title: String,
    provider_name: String,
    start: String,
    your_time: String,
    minutes: i64,
    price: String,
    hold: String,
    held_now: bool,
    per_minute: bool,
    policy: String,
    free_until: String,
    available: String,
    short: bool,
    top_up_link: String,
    sandbox: bool,
    key: String,
}

/// What booking this slot will hold and on what terms, before the buyer commits.
pub async fn checkout(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<CheckoutQuery>,
) -> Result<Response, PageError> {
    let id = super::path_id(&id, "listing")?;
    let Some(account) = viewer.account.as_ref() else {
        return Ok(Redirect::to(&format!("/signin?next=/listings/{id}%23book")).into_response());
    };
    let start = schedule::instant("start", &q.start)?;
    let l = match state.store.listing(id).await {
        Ok(l) if l.is_public => l,
        _ => return Err(Failure::not_found("listing").into()),
    };
    let v = l.published.as_ref().expect("public listings are published");
    let quote = schedule::quote(&state, v, 1);
    let policy =
        CancellationPolicy::parse(&v.cancellation_policy).unwrap_or(CancellationPolicy::Strict);
    let w = m::wallet(&state, account).await?;
    let short = w.available_minor() < quote.hold_minor;
    let back = format!("/listings/{id}/checkout?start={}", start);
    let currency = onhand_core::money::Currency::parse(&v.currency)
        .unwrap_or_else(|_| onhand_core::money::Currency::usd());
    let page = CheckoutPage {
        chrome: Chrome::new(&viewer),
        listing_id: id,
        title: v.title.clone(),
        provider_name: l.provider_name.clone(),
        start: start.to_string(),
        your_time: when(start, &account.time_zone),
        minutes: v.session_minutes,
        price: quote.price.describe(currency),
        hold: money(&state, quote.hold_minor).to_string(),
        held_now: quote.hold_minor > 0,
        per_minute: matches!(
            quote.price,
            onhand_core::catalog::PriceModel::PerMinute { .. }
        ),
        policy: format!("{} — {}", policy.as_str(), policy.summary()),
        free_until: when(start - policy.free_window(), &account.time_zone),
        available: money(&state, w.available_minor()).to_string(),
        short,
        top_up_link: format!(
            "/wallet?need={}&next={}",
            quote.hold_minor - w.available_minor(),
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ),
        sandbox: state.gateway.is_sandbox(),
        key: IdemKey::generate(),
    };
    Ok(render(&page))
}

/// Books from the checkout: the hold and the booking land together, once per key.
pub async fn book(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let id = super::path_id(&id, "listing")?;
    let Some(account) = viewer.account.as_ref() else {
        return Ok(Redirect::to(&format!("/signin?next=/listings/{id}%23book")).into_response());
    };
    viewer.check_csrf(form.csrf())?;
    let (key, replay) = claim_form(
        &state,
        account,
        &form,
        &format!("page book {id}"),
        &["start"],
    )
    .await?;
    if let Some(r) = replay {
        return Ok(r);
    }
    let respond =
        |b: &onhand_store::Booking| redirect_to(format!("/bookings/{}?notice=booked", b.id));
    let result = async {
        let start = schedule::instant("start", form.get("start"))?;
        schedule::book(
            &state,
            account,
            id,
            start,
            1,
            Some(&m::seal(account, &key, &respond)),
        )
        .await
    }
    .await;
    match result {
        Ok(b) => Ok(Redirect::to(&format!("/bookings/{}?notice=booked", b.id)).into_response()),
        Err(e) => {
            m::release(&state, account, &key).await;
            match e {
                Failure::Conflict(_) => {
                    Ok(Redirect::to(&format!("/listings/{id}?error=taken#book")).into_response())
                }
                Failure::PaymentRequired(_) => Ok(Redirect::to(&format!(
                    "/listings/{id}/checkout?start={}",
                    url::form_urlencoded::byte_serialize(form.get("start").as_bytes())
                        .collect::<String>()
                ))
                .into_response()),
                other => Err(other.into()),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "earnings.html")]
pub struct EarningsPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    sandbox: bool,
    balance: String,
    locked: String,
    available: String,
    paying_out: String,
    incoming: String,
    minimum: String,
    payouts: Vec<PayoutRow>,
    entries: Vec<EntryRow>,
    refunds: Vec<RefundRow>,
    key: String,
    amount: String,
}

pub struct PayoutRow {
    at: String,
    amount: String,
    state: String,
    failure: String,
}

async fn earnings_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
    amount: String,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    match crate::actions::provider_of(state, account.id).await? {
        Some(p) if p.is_approved() => {}
        _ => return Ok(Redirect::to("/dashboard").into_response()),
    }
    let e = m::earnings(state, account).await?;
    let history = m::history(
        state,
        LedgerAccount::Earnings(account.id),
        Page {
            offset: 0,
            limit: HISTORY_PER_PAGE,
        },
    )
    .await?;
    let payouts = state.store.payouts(account.id, 20).await?;
    let refunds = state.store.refund_requests_of(account.id, 50).await?;
    let page = EarningsPage {
        chrome: Chrome::new(viewer),
        notice: match notice {
            "paid-out" => "Payout sent.".into(),
            "payout-pending" => {
                "Payout requested; the money is held until the payment processor confirms.".into()
            }
            _ => String::new(),
        },
        errors: FormErrors(errors.clone()),
        sandbox: state.gateway.is_sandbox(),
        balance: money(state, e.posted_minor()).to_string(),
        locked: money(state, e.locked_minor).to_string(),
        available: money(state, e.available_minor()).to_string(),
        paying_out: money(state, e.paying_out_minor()).to_string(),
        incoming: money(state, e.incoming_minor).to_string(),
        minimum: money(state, state.config.payout_minimum_minor).to_string(),
        payouts: payouts
            .iter()
            .map(|p| PayoutRow {
                at: when(p.created_at, &account.time_zone),
                amount: m::money_in(&p.currency, p.amount_minor).to_string(),
                state: p.state.clone(),
                failure: p.failure.clone().unwrap_or_default(),
            })
            .collect(),
        entries: history
            .items
            .iter()
            .map(|x| entry_row(state, x, &account.time_zone, true))
            .collect(),
        refunds: refunds
            .iter()
            .filter(|r| r.provider_id == account.id)
            .map(|r| refund_row(r, &account.time_zone))
            .collect(),
        key: IdemKey::generate(),
        amount: if amount.is_empty() {
            money(state, e.available_minor()).plain()
        } else {
            amount
        },
    };
    Ok(render_form(&page, &errors))
}

pub async fn earnings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    earnings_page(
        &state,
        &viewer,
        &q.notice,
        Invalid::default(),
        String::new(),
    )
    .await
}

pub async fn pay_out(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let (key, replay) = claim_form(&state, account, &form, "page payout", &["amount"]).await?;
    if let Some(r) = replay {
        return Ok(r);
    }
    let respond = |p: &onhand_store::Payout| {
        redirect_to(if p.state == "pending" {
            "/earnings?notice=payout-pending".into()
        } else {
            "/earnings?notice=paid-out".into()
        })
    };
    let result = async {
        let amount = state
            .config
            .currency
            .parse_amount("amount", form.get("amount"))?;
        m::pay_out(&state, account, amount, &key, &respond).await
    }
    .await;
    match result {
        Ok(p) => Ok(Redirect::to(&respond(&p).1).into_response()),
        Err(e) => {
            m::release(&state, account, &key).await;
            let errors = match e {
                Failure::Invalid(errors) => errors,
                Failure::Conflict(message) => Invalid::one("amount", message),
                other => return Err(other.into()),
            };
            earnings_page(&state, &viewer, "", errors, form.get("amount").to_string()).await
        }
    }
}

pub struct RefundRow {
    pub id: i64,
    pub booking_id: i64,
    pub title: String,
    pub buyer_name: String,
    pub provider_name: String,
    pub amount: String,
    pub reason: String,
    pub state: String,
    pub provider_note: String,
    pub operator_note: String,
    pub at: String,
}

pub fn refund_row(r: &RefundRequest, zone: &str) -> RefundRow {
    RefundRow {
        id: r.id,
        booking_id: r.booking_id,
        title: r.booking_title.clone(),
        buyer_name: r.buyer_name.clone(),
        provider_name: r.provider_name.clone(),
        amount: m::money_in(&r.currency, r.amount_minor).to_string(),
        reason: r.reason.clone(),
        state: r.state.clone(),
        provider_note: r.provider_note.clone().unwrap_or_default(),
        operator_note: r.operator_note.clone().unwrap_or_default(),
        at: when(r.created_at, zone),
    }
}

/// The buyer asks for money back from the booking page.
pub async fn request_refund(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "booking")?;
    let (key, replay) = claim_form(
        &state,
        account,
        &form,
        &format!("page refund {id}"),
        &["amount", "reason"],
    )
    .await?;
    if let Some(r) = replay {
        return Ok(r);
    }
    let location = format!("/bookings/{id}?notice=refund-requested");
    let sealed = location.clone();
    let respond = move |_: &RefundRequest| redirect_to(sealed.clone());
    let result = async {
        let amount = match form.get("amount").trim() {
            "" => None,
            raw => Some(state.config.currency.parse_amount("amount", raw)?),
        };
        m::request_refund(
            &state,
            account,
            id,
            amount,
            form.get("reason"),
            &key,
            &respond,
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&location).into_response()),
        Err(e) => {
            m::release(&state, account, &key).await;
            let errors = match e {
                Failure::Invalid(errors) => errors,
                Failure::Conflict(message) => Invalid::one("amount", message),
                other => return Err(other.into()),
            };
            super::booking::booking_page(&state, &viewer, id, "", errors).await
        }
    }
}

/// The provider grants or declines; the operator decides a dispute.
pub async fn answer_refund(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, answer)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "refund request")?;
    let r = m::visible_refund(&state, account, id).await?;
    let (key, replay) = claim_form(
        &state,
        account,
        &form,
        &format!("page refund answer {id} {answer}"),
        &["note"],
    )
    .await?;
    if let Some(resp) = replay {
        return Ok(resp);
    }
    let back = if answer.starts_with("uphold") || answer.starts_with("reject") {
        "/admin/finance?notice=decided".to_string()
    } else {
        format!("/bookings/{}?notice=refund-answered", r.booking_id)
    };
    let sealed = back.clone();
    let respond = move |_: &RefundRequest| redirect_to(sealed.clone());
    let seal_respond: &m::Respond<RefundRequest> = &respond;
    let note = form.get("note");
    let result = match answer.as_str() {
        "grant" | "decline" => {
            m::answer_refund(
                &state,
                account,
                id,
                answer == "grant",
                Some(note),
                &key,
                seal_respond,
            )
            .await
        }
        "uphold" | "reject" => {
            m::decide_dispute(
                &state,
                account,
                id,
                answer == "uphold",
                note,
                &key,
                seal_respond,
            )
            .await
        }
        other => Err(Failure::NotFound(format!("there is no answer {other:?}"))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e) => {
            m::release(&state, account, &key).await;
            match e {
                Failure::Invalid(errors) if back.starts_with("/bookings") => {
                    super::booking::booking_page(&state, &viewer, r.booking_id, "", errors).await
                }
                Failure::Invalid(errors) => finance_page(&state, &viewer, "", errors).await,
                other => Err(other.into()),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "admin_finance.html")]
pub struct FinancePage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: onhand_store::QueueCounts,
    sandbox: bool,
    volume: String,
    volume_30d: String,
    revenue: String,
    wallets: String,
    earnings: String,
    open_holds: i64,
    open_holds_amount: String,
    refunded: String,
    payouts_pending: i64,
    clearing: String,
    disputes: Vec<RefundRow>,
    key: String,
}

async fn finance_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
) -> Result<Response, PageError> {
    let operator = viewer.require_operator()?;
    let f = state
        .store
        .finance(state.config.currency.code, now())
        .await?;
    let page = FinancePage {
        chrome: Chrome::new(viewer),
        notice: match notice {
            "decided" => "Dispute decided.".into(),
            _ => String::new(),
        },
        errors: FormErrors(errors.clone()),
        tab: "finance",
        counts: state.store.queue_counts().await?,
        sandbox: state.gateway.is_sandbox(),
        volume: money(state, f.volume_minor).to_string(),
        volume_30d: money(state, f.volume_30d_minor).to_string(),
        revenue: money(state, f.revenue_minor).to_string(),
        wallets: money(state, f.wallets_minor).to_string(),
        earnings: money(state, f.earnings_minor).to_string(),
        open_holds: f.open_holds,
        open_holds_amount: money(state, f.open_holds_minor).to_string(),
        refunded: money(state, f.refunded_minor).to_string(),
        payouts_pending: f.payouts_pending,
        clearing: money(state, f.clearing_minor).to_string(),
        disputes: state
            .store
            .disputes(100)
            .await?
            .iter()
            .map(|r| refund_row(r, &operator.time_zone))
            .collect(),
        key: IdemKey::generate(),
    };
    Ok(render_form(&page, &errors))
}

pub async fn finance(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    finance_page(&state, &viewer, &q.notice, Invalid::default()).await
}

/// A booking's money, as its booking page shows it.
pub struct ReceiptView {
    pub charged: String,
    pub commission: String,
    pub provider_share: String,
    pub refunded: String,
    pub held: String,
    pub lines: Vec<ReceiptLine>,
    pub refunds: Vec<RefundRow>,
    /// The buyer may ask for a refund now.
    pub can_request: bool,
    pub refundable: String,
    pub refund_until: String,
    pub key: String,
}

pub struct ReceiptLine {
    pub at: String,
    pub what: String,
    pub amount: String,
}

pub async fn receipt_view(
    state: &AppState,
    b: &onhand_store::Booking,
    is_provider: bool,
    zone: &str,
) -> Result<ReceiptView, Failure> {
    let transfers = state.store.booking_transfers(b.id).await?;
    let held = m::held_minor(&transfers);
    let lines = transfers
        .iter()
        .map(|t| ReceiptLine {
            at: when(t.at, zone),
            what: match (t.purpose.as_str(), t.kind.as_str()) {
                ("booking", "pending") => "Held from the buyer's wallet".into(),
                ("booking", "post_pending") => "Charged".into(),
                ("booking", "void_pending") => "Hold released in full".into(),
                ("booking", "expire_pending") => "Hold expired; released".into(),
                ("commission", _) => "Platform commission (from the provider's share)".into(),
                ("refund", _) if t.debit == "revenue" => "Refund (commission part)".into(),
                ("refund", _) => "Refund".into(),
                (p, k) => format!("{p} ({k})"),
            },
            amount: m::money_in(&t.currency, t.amount_minor).to_string(),
        })
        .collect();
    let requests = state.store.refund_requests_of_booking(b.id).await?;
    let pending_request = requests
        .iter()
        .any(|r| r.state == "open" || r.state == "disputed");
    let refund_until = b
        .settled_at
        .map(|t| t + onhand_core::payments::GUARANTEE_WINDOW);
    let refunds = requests.iter().map(|r| refund_row(r, zone)).collect();
    Ok(ReceiptView {
        charged: m::money_in(&b.currency, b.charged_minor).to_string(),
        commission: m::money_in(&b.currency, b.commission_minor).to_string(),
        provider_share: m::money_in(&b.currency, b.charged_minor - b.commission_minor).to_string(),
        refunded: m::money_in(&b.currency, b.refunded_minor).to_string(),
        held: m::money_in(&b.currency, held).to_string(),
        lines,
        refunds,
        can_request: !is_provider
            && b.charged_minor > b.refunded_minor
            && !pending_request
            && refund_until.is_some_and(|u| now() <= u),
        refundable: m::money_in(&b.currency, b.charged_minor - b.refunded_minor).plain(),
        refund_until: refund_until.map(|u| when(u, zone)).unwrap_or_default(),
        key: IdemKey::generate(),
    })
}
