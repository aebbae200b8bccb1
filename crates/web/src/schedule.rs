//! Booking actions: availability, slots, booking, cancelling and rescheduling, once for
//! both doors (pages and API), with every rule about who may do what.

use crate::actions::provider_of;
use crate::auth::now;
use crate::error::Failure;
use crate::state::AppState;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onhand_core::Invalid;
use onhand_core::booking::{BookingEvent, Party, cancellation_terms};
use onhand_core::catalog::{CancellationPolicy, PriceModel};
use onhand_core::payments::{self, Settlement};
use onhand_core::schedule::{
    Availability, DateOverride, QUERY_DAYS_MAX, Slot, SlotQuery, Span, day_spans, free_slots,
};
use onhand_store::{Account, BookError, Booking, Listing, NewBooking, Settle, StoreError};

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Availability as people write it: "09:00-17:00" ranges per weekday and per date.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    /// IANA zone the hours are in; the provider's profile zone.
    pub time_zone: String,
    /// Keys mon..sun, each a list of "HH:MM-HH:MM" ranges.
    pub weekly: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub overrides: Vec<OverrideBody>,
    pub buffer_before_min: u16,
    pub buffer_after_min: u16,
    pub notice_min: u32,
    pub horizon_days: u16,
    pub step_min: u16,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// YYYY-MM-DD in the provider's zone.
    pub date: String,
    /// Ranges that replace the weekly hours that day; empty for a day off.
    pub hours: Vec<String>,
}

fn ranges(spans: &[Span]) -> Vec<String> {
    spans
        .iter()
        .map(|s| {
            format!(
                "{}-{}",
                onhand_core::schedule::clock(s.start_min),
                onhand_core::schedule::clock(s.end_min)
            )
        })
        .collect()
}

impl AvailabilityBody {
    pub fn from_availability(a: &Availability) -> AvailabilityBody {
        AvailabilityBody {
            time_zone: a.time_zone.iana_name().unwrap_or("UTC").to_string(),
            weekly: WEEKDAYS
                .iter()
                .zip(&a.weekly)
                .map(|(d, spans)| (d.to_string(), ranges(spans)))
                .collect(),
            overrides: a
                .overrides
                .iter()
                .map(|o| OverrideBody {
                    date: o.date.to_string(),
                    hours: ranges(&o.spans),
                })
                .collect(),
            buffer_before_min: a.buffer_before_min,
            buffer_after_min: a.buffer_after_min,
            notice_min: a.notice_min,
            horizon_days: a.horizon_days,
            step_min: a.step_min,
        }
    }

    pub fn parse(&self) -> Result<Availability, Invalid> {
        let mut errors = Invalid::default();
        let tz = errors.take(
            onhand_core::account::TimeZoneName::parse(&self.time_zone)
                .map(|n| TimeZone::get(n.as_str()).expect("a parsed zone name exists")),
        );
        let mut weekly: [Vec<Span>; 7] = Default::default();
        for key in self.weekly.keys() {
            if !WEEKDAYS.contains(&key.as_str()) {
                errors.push(
                    "weekly",
                    format!("{key:?} is not one of mon, tue, wed, thu, fri, sat, sun"),
                );
            }
        }
        for (i, day) in WEEKDAYS.iter().enumerate() {
            let raw = self.weekly.get(*day).map(Vec::as_slice).unwrap_or(&[]);
            let spans: Result<Vec<Span>, Invalid> = raw.iter().map(|r| Span::parse(r)).collect();
            if let Some(spans) = errors.take(spans.and_then(day_spans)) {
                weekly[i] = spans;
            }
        }
        let mut overrides = Vec::new();
        for o in &self.overrides {
            let date = match o.date.parse::<jiff::civil::Date>() {
                Ok(d) => d,
                Err(_) => {
                    errors.push(
                        "overrides",
                        format!("{:?} is not a date like 2026-03-01", o.date),
                    );
                    continue;
                }
            };
            let spans: Result<Vec<Span>, Invalid> =
                o.hours.iter().map(|r| Span::parse(r)).collect();
            if let Some(spans) = errors.take(spans.and_then(day_spans)) {
                overrides.push(DateOverride { date, spans });
            }
        }
        let Some(time_zone) = tz else {
            return Err(errors);
        };
        let a = Availability {
            time_zone,
            weekly,
            overrides,
            buffer_before_min: self.buffer_before_min,
            buffer_after_min: self.buffer_after_min,
            notice_min: self.notice_min,
            horizon_days: self.horizon_days,
            step_min: self.step_min,
        };
        errors.take(a.check());
        errors.finish(|| a)
    }
}

async fn require_provider(state: &AppState, account: &Account) -> Result<(), Failure> {
    match provider_of(state, account.id).await? {
        Some(p) if p.is_approved() => Ok(()),
        _ => Err(Failure::Forbidden(
            "only approved providers have availability".into(),
        )),
    }
}

pub async fn availability(state: &AppState, account: &Account) -> Result<Availability, Failure> {
    require_provider(state, account).await?;
    Ok(state.store.availability(account.id).await?)
}

pub async fn set_availability(
    state: &AppState,
    account: &Account,
    body: &AvailabilityBody,
) -> Result<Availability, Failure> {
    require_provider(state, account).await?;
    let a = body.parse()?;
    state.store.set_availability(account.id, &a, now()).await?;
    state
        .search
        .touch(crate::search::Touch::Provider(account.id));
    Ok(a)
}

/// A public, bookable listing and its published terms, or 404.
async fn bookable_listing(state: &AppState, id: i64) -> Result<Listing, Failure> {
    match state.store.listing(id).await {
        Ok(l) if l.is_public => Ok(l),
        Ok(_) | Err(StoreError::NotFound) => Err(Failure::not_found("listing")),
        Err(e) => Err(e.into()),
    }
}

/// Parses an RFC 3339 instant from a query or body field.
pub fn instant(field: &'static str, raw: &str) -> Result<Timestamp, Invalid> {
    raw.trim().parse::<Timestamp>().map_err(|_| {
        Invalid::one(
            field,
            format!("{raw:?} is not an instant like 2026-03-01T09:00:00Z"),
        )
    })
}

pub async fn slots(
    state: &AppState,
    listing_id: i64,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Slot>, Failure> {
    if to <= from || to.duration_since(from) > SignedDuration::from_hours(24 * QUERY_DAYS_MAX) {
        return Err(Invalid::one(
            "to",
            format!("the window from..to must be positive and at most {QUERY_DAYS_MAX} days"),
        )
        .into());
    }
    let l = bookable_listing(state, listing_id).await?;
    let v = l.published.as_ref().expect("public listings are published");
    let availability = state
        .store
        .listing_availability(l.provider_id, listing_id)
        .await?;
    let busy = state.store.busy(l.provider_id, from, to).await?;
    Ok(free_slots(
        &availability,
        &busy,
        &SlotQuery {
            listing_id,
            session_min: v.session_minutes as u32,
            group_size: v.group_size as u32,
            from,
            to,
            now: now(),
        },
    ))
}

fn gone() -> Failure {
    Failure::Conflict("that time is no longer available; pick another slot".into())
}

pub async fn book(
    state: &AppState,
    buyer: &Account,
    listing_id: i64,
    start: Timestamp,
    seats: u32,
    seal: Option<&onhand_store::Seal<'_, Booking>>,
) -> Result<Booking, Failure> {
    let l = bookable_listing(state, listing_id).await?;
    if l.provider_id == buyer.id {
        return Err(Failure::Forbidden(
            "you cannot book your own listing".into(),
        ));
    }
    crate::reputation::refuse_if_blocked(state, &l, buyer).await?;
    let v = l.published.as_ref().expect("public listings are published");
    if seats == 0 || i64::from(seats) > v.group_size {
        return Err(Invalid::one(
            "seats",
            format!("seats {seats} is not in 1..={}", v.group_size),
        )
        .into());
    }
    let q = quote(state, v, seats);
    let new = NewBooking {
        listing_id,
        provider_id: l.provider_id,
        buyer_id: buyer.id,
        start,
        seats,
        session_minutes: v.session_minutes as u32,
        group_size: v.group_size as u32,
        title: &v.title,
        price_model: &v.price_model,
        price_minor: v.price_minor,
        minimum_minutes: v.minimum_minutes,
        currency: &v.currency,
        cancellation_policy: &v.cancellation_policy,
        hold_minor: q.hold_minor,
        commission_bps: q.commission_bps,
    };
    match state.store.book(&new, seal, now()).await {
        Ok(b) => {
            tracing::info!(
                booking_id = b.id,
                listing_id,
                buyer = buyer.id,
                hold_minor = q.hold_minor,
                "booked"
            );
            state
                .search
                .touch(crate::search::Touch::Provider(l.provider_id));
            crate::notify::booked(state, &b).await;
            Ok(b)
        }
        Err(BookError::SlotGone) => Err(gone()),
        Err(BookError::Store(e)) => Err(crate::money::insufficient(state, e, "this booking")),
    }
}

/// What booking a listing costs up front: the hold, and the commission it is made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub price: PriceModel,
    pub hold_minor: i64,
    pub commission_bps: u32,
}

pub fn quote(state: &AppState, v: &onhand_store::ListingVersion, seats: u32) -> Quote {
    let price = PriceModel::parse(
        &v.price_model,
        Some(v.price_minor),
        v.minimum_minutes.and_then(|m| u32::try_from(m).ok()),
    )
    .unwrap_or(PriceModel::Free);
    Quote {
        price,
        hold_minor: payments::hold_minor(price, seats, v.session_minutes as u32),
        commission_bps: payments::commission_for(price, &v.category, state.config.commission_bps),
    }
}

/// The policy's fee for a late cancellation or a buyer no-show: per seat, and never more
/// than the hold.
pub fn fee_minor(b: &Booking, policy_fee_minor: i64) -> i64 {
    let held = match terms_of(b).1 {
        PriceModel::Free => 0,
        price => payments::hold_minor(price, b.seats, planned_minutes(b)),
    };
    (policy_fee_minor * i64::from(b.seats)).min(held)
}

pub(crate) fn planned_minutes(b: &Booking) -> u32 {
    (b.end.duration_since(b.start).as_secs() / 60) as u32
}

/// What the ledger does with the hold for `event` on `b` at `t`.
fn settle_for(b: &Booking, event: BookingEvent, fee: i64, t: Timestamp) -> Settle {
    let charge = match event {
        BookingEvent::Complete => payments::completed_charge_minor(
            terms_of(b).1,
            b.seats,
            planned_minutes(b),
            b.started_at.unwrap_or(b.start),
            t,
        ),
        _ => 0,
    };
    match payments::settlement(event, fee, charge) {
        Settlement::Keep if event == BookingEvent::Start => Settle::Started,
        Settlement::Keep => Settle::Keep,
        Settlement::Void => Settle::Void,
        Settlement::Post { amount_minor } => Settle::Post { amount_minor },
    }
}

/// A booking the account takes part in, and as whom; others' bookings are 404.
pub async fn own_booking(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<(Booking, Party), Failure> {
    let b = match state.store.booking(id).await {
        Ok(b) => b,
        Err(StoreError::NotFound) => return Err(Failure::not_found("booking")),
        Err(e) => return Err(e.into()),
    };
    if b.buyer_id == account.id {
        Ok((b, Party::Buyer))
    } else if b.provider_id == account.id {
        Ok((b, Party::Provider))
    } else {
        Err(Failure::not_found("booking"))
    }
}

/// The policy and price a booking was made under (its snapshot).
pub(crate) fn terms_of(b: &Booking) -> (CancellationPolicy, onhand_core::catalog::PriceModel) {
    let policy =
        CancellationPolicy::parse(&b.cancellation_policy).unwrap_or(CancellationPolicy::Strict);
    let price = onhand_core::catalog::PriceModel::parse(
        &b.price_model,
        Some(b.price_minor),
        b.minimum_minutes.and_then(|m| u32::try_from(m).ok()),
    )
    .unwrap_or(onhand_core::catalog::PriceModel::Free);
    (policy, price)
}

pub async fn cancel(
    state: &AppState,
    account: &Account,
    id: i64,
    reason: Option<&str>,
) -> Result<Booking, Failure> {
    let (b, party) = own_booking(state, account, id).await?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(onhand_core::invalid::text("reason", r, 3..=1000)?),
        None if party == Party::Provider => {
            return Err(Invalid::one(
                "reason",
                "is required when a provider cancels; the buyer sees it",
            )
            .into());
        }
        None => None,
    };
    let (policy, price) = terms_of(&b);
    let t = now();
    let terms = cancellation_terms(policy, price, b.start, t, party);
    let fee = fee_minor(&b, terms.fee_minor);
    let event = BookingEvent::Cancel(party);
    let done = state
        .store
        .transition_booking(
            id,
            b.state,
            event,
            reason.as_deref(),
            Some(fee),
            settle_for(&b, event, fee, t),
            t,
        )
        .await?;
    tracing::info!(
        booking_id = id,
        by = party.as_str(),
        fee_minor = fee,
        "booking cancelled"
    );
    state
        .search
        .touch(crate::search::Touch::Provider(b.provider_id));
    crate::notify::cancelled(state, &done).await;
    Ok(done)
}

/// The buyer moves their booking, inside the free window.
pub async fn reschedule(
    state: &AppState,
    account: &Account,
    id: i64,
    start: Timestamp,
) -> Result<Booking, Failure> {
    let (b, party) = own_booking(state, account, id).await?;
    if party == Party::Provider {
        return propose(state, &b, start).await;
    }
    let (policy, price) = terms_of(&b);
    let terms = cancellation_terms(policy, price, b.start, now(), party);
    if now() > terms.free_until {
        return Err(Failure::Conflict(format!(
            "the free window of this {} policy closed at {}; you can still cancel",
            policy.as_str(),
            terms.free_until
        )));
    }
    let l = state.store.listing(b.listing_id).await?;
    crate::reputation::refuse_if_blocked(state, &l, account).await?;
    let group_size = l.published.as_ref().unwrap_or(&l.working).group_size as u32;
    let new = new_booking_at(&b, group_size, start);
    match state.store.reschedule(id, &new, now()).await {
        Ok(moved) => {
            crate::notify::moved(state, id, &moved).await;
            Ok(moved)
        }
        Err(BookError::SlotGone) => Err(gone()),
        Err(BookError::Store(e)) => Err(e.into()),
    }
}

fn new_booking_at(b: &Booking, group_size: u32, start: Timestamp) -> NewBooking<'_> {
    NewBooking {
        listing_id: b.listing_id,
        provider_id: b.provider_id,
        buyer_id: b.buyer_id,
        start,
        seats: b.seats,
        session_minutes: (b.end.duration_since(b.start).as_secs() / 60) as u32,
        group_size,
        title: &b.title,
        price_model: &b.price_model,
        price_minor: b.price_minor,
        minimum_minutes: b.minimum_minutes,
        currency: &b.currency,
        cancellation_policy: &b.cancellation_policy,
        // The moved booking keeps the original hold; the store carries it over.
        hold_minor: 0,
        commission_bps: b.commission_bps,
    }
}

/// The provider proposes `start`; it must be free, not counting this booking itself.
async fn propose(state: &AppState, b: &Booking, start: Timestamp) -> Result<Booking, Failure> {
    if b.state != onhand_core::booking::BookingState::Confirmed {
        return Err(Failure::Conflict(format!(
            "a {} booking cannot get a new time",
            b.state.as_str()
        )));
    }
    let l = state.store.listing(b.listing_id).await?;
    let v = l.published.as_ref().unwrap_or(&l.working);
    let length = b.end.duration_since(b.start);
    let availability = state
        .store
        .listing_availability(b.provider_id, b.listing_id)
        .await?;
    let busy: Vec<_> = state
        .store
        .busy(b.provider_id, start, start + length)
        .await?
        .into_iter()
        .filter(|x| !(x.start == b.start && x.listing_id == b.listing_id))
        .collect();
    let query = SlotQuery {
        listing_id: b.listing_id,
        session_min: (length.as_secs() / 60) as u32,
        group_size: v.group_size as u32,
        from: start,
        to: start + length,
        now: now(),
    };
    if !onhand_core::schedule::is_bookable(&availability, &busy, &query, start, b.seats) {
        return Err(Failure::Conflict(format!(
            "{start} is not a free slot in your hours"
        )));
    }
    let proposed = state.store.propose_start(b.id, Some(start), now()).await?;
    tracing::info!(booking_id = b.id, %start, "provider proposed a new time");
    Ok(proposed)
}

/// The buyer accepts the provider's proposed time (the booking moves) or declines it
/// (the booking is cancelled, free for the buyer).
pub async fn answer_proposal(
    state: &AppState,
    account: &Account,
    id: i64,
    accept: bool,
) -> Result<Booking, Failure> {
    let (b, party) = own_booking(state, account, id).await?;
    if party != Party::Buyer {
        return Err(Failure::Forbidden(
            "only the buyer answers a proposed new time".into(),
        ));
    }
    let Some(start) = b.proposed_start else {
        return Err(Failure::Conflict(
            "there is no proposed new time to answer".into(),
        ));
    };
    if !accept {
        let done = state
            .store
            .transition_booking(
                id,
                b.state,
                BookingEvent::Cancel(Party::Provider),
                Some("The buyer declined the provider's proposed new time."),
                Some(0),
                Settle::Void,
                now(),
            )
            .await?;
        crate::notify::cancelled(state, &done).await;
        return Ok(done);
    }
    let l = state.store.listing(b.listing_id).await?;
    let group_size = l.published.as_ref().unwrap_or(&l.working).group_size as u32;
    match state
        .store
        .reschedule(id, &new_booking_at(&b, group_size, start), now())
        .await
    {
        Ok(moved) => {
            crate::notify::moved(state, id, &moved).await;
            Ok(moved)
        }
        Err(BookError::SlotGone) => {
            state.store.propose_start(id, None, now()).await?;
            Err(gone())
        }
        Err(BookError::Store(e)) => Err(e.into()),
    }
}

/// "2026-03-01T10:00:00+01:00" in `tz`.
pub fn local_rfc3339(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Calendar feed tokens start with this.
pub const FEED_TOKEN_PREFIX: &str = "feed_";

/// Makes a new private feed URL path for the account; any earlier URL stops working.
pub async fn reset_calendar_feed(state: &AppState, account: &Account) -> Result<String, Failure> {
    let token = format!("{FEED_TOKEN_PREFIX}{}", crate::auth::random_token());
    state
        .store
        .set_calendar_feed(account.id, Some(&crate::auth::hash_token(&token)), now())
        .await?;
    Ok(format!("/calendar/{token}.ics"))
}

pub async fn stop_calendar_feed(state: &AppState, account: &Account) -> Result<(), Failure> {
    Ok(state
        .store
        .set_calendar_feed(account.id, None, now())
        .await?)
}

/// Bookings a feed shows: the last 30 days and everything ahead, at most this many.
pub const FEED_BOOKINGS_MAX: i64 = 1000;

/// The bookings behind a feed path's file name ("<token>.ics"), and the owner's zone.
pub async fn calendar_feed(
    state: &AppState,
    file: &str,
) -> Result<(Vec<Booking>, String), Failure> {
    let token = file.strip_suffix(".ics").unwrap_or(file);
    let owner = match state
        .store
        .calendar_feed_owner(&crate::auth::hash_token(token))
        .await
    {
        Ok(id) => id,
        Err(StoreError::NotFound) => return Err(Failure::not_found("calendar feed")),
        Err(e) => return Err(e.into()),
    };
    let zone = state.store.account(owner).await?.time_zone;
    let bookings = state
        .store
        .bookings_since(
            owner,
            now() - SignedDuration::from_hours(24 * 30),
            FEED_BOOKINGS_MAX,
        )
        .await?;
    Ok((bookings, zone))
}

/// The site's origin as the request named it, for absolute links in calendars.
pub fn origin(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// A buyer asks a provider for help now through one of their listings.
pub async fn ask_help_now(
    state: &AppState,
    buyer: &Account,
    listing_id: i64,
) -> Result<crate::helpnow::Request, Failure> {
    use crate::helpnow::AskError;
    let l = bookable_listing(state, listing_id).await?;
    if l.provider_id == buyer.id {
        return Err(Failure::Forbidden(
            "you cannot ask yourself for help".into(),
        ));
    }
    crate::reputation::refuse_if_blocked(state, &l, buyer).await?;
    let v = l.published.as_ref().expect("public listings are published");
    let q = quote(state, v, 1);
    let available = crate::money::wallet(state, buyer).await?.available_minor();
    if available < q.hold_minor {
        return Err(crate::money::insufficient(
            state,
            StoreError::InsufficientFunds {
                available_minor: available,
                needed_minor: q.hold_minor,
            },
            "this session",
        ));
    }
    match crate::helpnow::ask(
        state,
        l.provider_id,
        listing_id,
        buyer.id,
        &buyer.display_name,
        &v.title,
    )
    .await?
    {
        Ok(r) => Ok(r),
        Err(AskError::Offline) => Err(Failure::Conflict(format!(
            "{} is not available right now; book a time instead",
            l.provider_name
        ))),
        Err(AskError::LineFull) => Err(Failure::Conflict(format!(
            "{} already has {} people waiting; book a time instead",
            l.provider_name,
            crate::helpnow::LINE_MAX
        ))),
        Err(AskError::AlreadyWaiting) => Err(Failure::Conflict(
            "you are already in this provider's line".into(),
        )),
    }
}

/// The provider accepts a ringing request: a booking that starts now.
pub async fn accept_help_now(
    state: &AppState,
    provider: &Account,
    request_id: i64,
) -> Result<Booking, Failure> {
    let Some(r) = crate::helpnow::take_ringing(state, provider.id, request_id).await? else {
        return Err(Failure::Conflict(
            "that request is no longer ringing".into(),
        ));
    };
    let l = state.store.listing(r.listing_id).await?;
    let v = l.published.as_ref().unwrap_or(&l.working);
    let q = quote(state, v, 1);
    let new = NewBooking {
        listing_id: r.listing_id,
        provider_id: r.provider_id,
        buyer_id: r.buyer_id,
        start: crate::helpnow::session_start(now()),
        seats: 1,
        session_minutes: v.session_minutes as u32,
        group_size: v.group_size as u32,
        title: &v.title,
        price_model: &v.price_model,
        price_minor: v.price_minor,
        minimum_minutes: v.minimum_minutes,
        currency: &v.currency,
        cancellation_policy: &v.cancellation_policy,
        hold_minor: q.hold_minor,
        commission_bps: q.commission_bps,
    };
    match state.store.book_now(&new, now()).await {
        Ok(b) => {
            crate::helpnow::accepted(state, &r, b.id).await;
            let waited = r
                .ringing_since
                .map_or(SignedDuration::ZERO, |s| now().duration_since(s));
            if let Err(e) = state
                .store
                .record_ring(
                    r.provider_id,
                    now() - waited,
                    Some(waited.as_millis() as i64),
                )
                .await
            {
                tracing::warn!(error = ?e, "could not record an answered ring");
            }
            tracing::info!(booking_id = b.id, request_id, "help-now request accepted");
            crate::notify::booked(state, &b).await;
            Ok(b)
        }
        Err(BookError::SlotGone) => {
            crate::helpnow::put_back(state, &r).await;
            Err(Failure::Conflict(
                "you have another session at this time; finish it first".into(),
            ))
        }
        Err(BookError::Store(e @ StoreError::InsufficientFunds { .. })) => {
            tracing::info!(request_id, "help-now buyer can no longer pay");
            crate::helpnow::dropped(state, &r).await;
            Err(Failure::Conflict(format!(
                "{}'s wallet no longer covers this session; the request was dropped: {e}",
                r.buyer_name
            )))
        }
        Err(BookError::Store(e)) => {
            crate::helpnow::put_back(state, &r).await;
            Err(e.into())
        }
    }
}

/// How early before its start a session may begin.
pub const EARLY_START: SignedDuration = SignedDuration::from_mins(10);
/// How long after the start someone must wait before reporting a no-show.
pub const NO_SHOW_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// A session begins (either side), completes (the provider), or one side reports the
/// other did not show up. Live video drives these once it lands; until then they are
/// explicit calls.
pub async fn progress(
    state: &AppState,
    account: &Account,
    id: i64,
    step: &str,
) -> Result<Booking, Failure> {
    let (b, party) = own_booking(state, account, id).await?;
    let t = now();
    let event = match step {
        "start" => {
            if t < b.start - EARLY_START {
                return Err(Failure::Conflict(format!(
                    "the session can begin from {}",
                    b.start - EARLY_START
                )));
            }
            if t >= b.end {
                return Err(Failure::Conflict("the session's time is over".into()));
            }
            BookingEvent::Start
        }
        "complete" => {
            if party != Party::Provider {
                return Err(Failure::Forbidden(
                    "the provider completes a session".into(),
                ));
            }
            BookingEvent::Complete
        }
        "no-show" => {
            if t < b.start + NO_SHOW_AFTER {
                return Err(Failure::Conflict(format!(
                    "a no-show can be reported from {}",
                    b.start + NO_SHOW_AFTER
                )));
            }
            // Each side reports the other.
            BookingEvent::NoShow(match party {
                Party::Buyer => Party::Provider,
                Party::Provider => Party::Buyer,
            })
        }
        other => {
            return Err(Failure::NotFound(format!(
                "there is no booking step {other:?}"
            )));
        }
    };
    let fee = match event {
        BookingEvent::NoShow(Party::Buyer) => {
            let (policy, price) = terms_of(&b);
            fee_minor(&b, policy.late_fee_minor(price))
        }
        _ => 0,
    };
    let fee_record = matches!(event, BookingEvent::NoShow(Party::Buyer)).then_some(fee);
    let done = state
        .store
        .transition_booking(
            id,
            b.state,
            event,
            None,
            fee_record,
            settle_for(&b, event, fee, t),
            t,
        )
        .await?;
    tracing::info!(
        booking_id = id,
        step,
        charged_minor = done.charged_minor,
        "booking progressed"
    );
    Ok(done)
}

/// A listing's own hours: weekly ranges and date overrides, in the provider's zone.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    /// Keys mon..sun, each a list of "HH:MM-HH:MM" ranges.
    pub weekly: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub overrides: Vec<OverrideBody>,
    /// In answers: whether these are the listing's own hours (false: the provider's).
    #[serde(default)]
    pub own: bool,
}

/// The hours a listing is booked in, and whether they are its own.
pub async fn listing_hours(
    state: &AppState,
    account: &Account,
    listing_id: i64,
) -> Result<HoursBody, Failure> {
    let l = crate::actions::managed_listing(state, account, listing_id).await?;
    let a = state
        .store
        .listing_availability(l.provider_id, listing_id)
        .await?;
    let body = AvailabilityBody::from_availability(&a);
    Ok(HoursBody {
        weekly: body.weekly,
        overrides: body.overrides,
        own: state.store.has_listing_hours(listing_id).await?,
    })
}

/// Gives a listing its own hours, or with `None` returns it to the provider's.
pub async fn set_listing_hours(
    state: &AppState,
    account: &Account,
    listing_id: i64,
    hours: Option<&HoursBody>,
) -> Result<HoursBody, Failure> {
    let l = crate::actions::managed_listing(state, account, listing_id).await?;
    match hours {
        Some(h) => {
            // Parse through the full availability so the same rules and messages apply.
            let mut full = AvailabilityBody::from_availability(
                &state.store.availability(l.provider_id).await?,
            );
            full.weekly = h.weekly.clone();
            full.overrides = h.overrides.clone();
            let a = full.parse()?;
            state
                .store
                .set_listing_hours(listing_id, Some((&a.weekly, &a.overrides)), now())
                .await?;
        }
        None => {
            state
                .store
                .set_listing_hours(listing_id, None, now())
                .await?
        }
    }
    listing_hours(state, account, listing_id).await
}

/// A session nobody began by 10 minutes after its start: if the provider never joined
/// its room, a provider no-show (the hold is released in full); if only the buyer never
/// did, a buyer no-show (the policy's fee). The room's presence record decides.
pub async fn judge_no_show(state: &AppState, b: &Booking) -> Result<Option<Booking>, Failure> {
    let present = state.store.present_in_room(b.listing_id, b.start).await?;
    let absent = if !present.contains(&b.provider_id) {
        Party::Provider
    } else if !present.contains(&b.buyer_id) {
        Party::Buyer
    } else {
        // Both came, at different times; the session stays for them to settle.
        return Ok(None);
    };
    let event = BookingEvent::NoShow(absent);
    let fee = match absent {
        Party::Buyer => {
            let (policy, price) = terms_of(b);
            fee_minor(b, policy.late_fee_minor(price))
        }
        Party::Provider => 0,
    };
    let reason = match absent {
        Party::Provider => "the provider did not join the session within 10 minutes of its start",
        Party::Buyer => "the buyer did not join the session within 10 minutes of its start",
    };
    let t = now();
    let done = state
        .store
        .transition_booking(
            b.id,
            b.state,
            event,
            Some(reason),
            (absent == Party::Buyer).then_some(fee),
            settle_for(b, event, fee, t),
            t,
        )
        .await?;
    tracing::info!(
        booking_id = b.id,
        absent = absent.as_str(),
        fee_minor = fee,
        "no-show by the room's record"
    );
    crate::notify::cancelled(state, &done).await;
    Ok(Some(done))
}
