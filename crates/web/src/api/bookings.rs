//! Availability, slots and bookings over the API.

use super::{ApiJson, ApiQuery, IdPath, Paging};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::schedule::{self, AvailabilityBody, instant, local_rfc3339};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onhand_core::Invalid;
use onhand_store::Booking;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The caller's weekly hours, overrides, buffers, notice, horizon and slot step.
#[utoipa::path(get, path = "/api/v1/me/availability", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = AvailabilityBody), (status = 403, body = ErrorBody)))]
pub async fn get_availability(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<AvailabilityBody>, ApiError> {
    let a = schedule::availability(&state, &caller.0).await?;
    Ok(Json(AvailabilityBody::from_availability(&a)))
}

/// Replaces the caller's availability.
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "schedule", security(("bearer" = [])), request_body = AvailabilityBody,
    responses((status = 200, body = AvailabilityBody), (status = 422, body = ErrorBody)))]
pub async fn put_availability(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<AvailabilityBody>,
) -> Result<Json<AvailabilityBody>, ApiError> {
    let a = schedule::set_availability(&state, &caller.0, &body).await?;
    Ok(Json(AvailabilityBody::from_availability(&a)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    /// Start of the window (RFC 3339); default now.
    pub from: Option<String>,
    /// End of the window (RFC 3339); default `from` + 7 days; at most 62 days after `from`.
    pub to: Option<String>,
    /// IANA zone to show local times in; default UTC.
    pub tz: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SlotBody {
    pub start: String,
    pub end: String,
    /// The start in the requested zone, with its offset.
    pub local_start: String,
    pub seats_left: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SlotsBody {
    pub time_zone: String,
    pub slots: Vec<SlotBody>,
}

/// Free slots of a listing, as instants and as local times in `tz`.
#[utoipa::path(get, path = "/api/v1/listings/{id}/slots", tag = "schedule", params(("id" = i64, Path), SlotsQuery),
    responses((status = 200, body = SlotsBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn slots(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> Result<Json<SlotsBody>, ApiError> {
    let mut errors = Invalid::default();
    let from = match q.from.as_deref() {
        Some(raw) => errors.take(instant("from", raw)),
        None => Some(Timestamp::now()),
    };
    let to = match q.to.as_deref() {
        Some(raw) => errors.take(instant("to", raw)),
        None => from.map(|f| f + SignedDuration::from_hours(24 * 7)),
    };
    let tz_name = q.tz.clone().unwrap_or_else(|| "UTC".into());
    let tz = errors.take(
        onhand_core::account::TimeZoneName::parse(&tz_name).map_err(|_| {
            Invalid::one(
                "tz",
                format!("{tz_name:?} is not an IANA time zone name, like Asia/Tokyo"),
            )
        }),
    );
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let (from, to, tz) = (
        from.expect("checked"),
        to.expect("checked"),
        tz.expect("checked"),
    );
    let zone = TimeZone::get(tz.as_str()).expect("a parsed zone exists");
    let slots = schedule::slots(&state, id, from, to).await?;
    Ok(Json(SlotsBody {
        time_zone: tz.as_str().to_string(),
        slots: slots
            .iter()
            .map(|s| SlotBody {
                start: s.start.to_string(),
                end: s.end.to_string(),
                local_start: local_rfc3339(s.start, &zone),
                seats_left: s.seats_left,
            })
            .collect(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub listing_id: i64,
    /// The slot's start instant (RFC 3339).
    pub start: String,
    /// Seats for a group listing; default 1.
    #[serde(default)]
    pub seats: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct BookingBody {
    pub id: i64,
    pub listing_id: i64,
    pub title: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub start: String,
    pub end: String,
    pub seats: u32,
    /// confirmed, in_progress, completed, cancelled_by_buyer, cancelled_by_provider,
    /// rescheduled, no_show_buyer or no_show_provider.
    pub state: String,
    pub price_model: String,
    pub price_minor: i64,
    pub currency: String,
    pub cancellation_policy: String,
    pub cancel_reason: Option<String>,
    pub cancel_fee_minor: Option<i64>,
    pub rescheduled_to: Option<i64>,
    /// A new start the provider proposed; the buyer accepts or declines it.
    pub proposed_start: Option<String>,
    /// The commission the booking was made under, in basis points.
    pub commission_bps: u32,
    /// The ledger hold reserving the buyer's money, if the session is paid.
    pub hold_id: Option<i64>,
    /// What was paid, the platform's part of it, and what was refunded.
    pub charged_minor: i64,
    pub commission_minor: i64,
    pub refunded_minor: i64,
}

impl From<&Booking> for BookingBody {
    fn from(b: &Booking) -> Self {
        BookingBody {
            id: b.id,
            listing_id: b.listing_id,
            title: b.title.clone(),
            provider_id: b.provider_id,
            provider_name: b.provider_name.clone(),
            buyer_id: b.buyer_id,
            buyer_name: b.buyer_name.clone(),
            start: b.start.to_string(),
            end: b.end.to_string(),
            seats: b.seats,
            state: b.state.as_str().to_string(),
            price_model: b.price_model.clone(),
            price_minor: b.price_minor,
            currency: b.currency.clone(),
            cancellation_policy: b.cancellation_policy.clone(),
            cancel_reason: b.cancel_reason.clone(),
            cancel_fee_minor: b.cancel_fee_minor,
            rescheduled_to: b.rescheduled_to,
            proposed_start: b.proposed_start.map(|t| t.to_string()),
            commission_bps: b.commission_bps,
            hold_id: b.hold_id,
            charged_minor: b.charged_minor,
            commission_minor: b.commission_minor,
            refunded_minor: b.refunded_minor,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BookingPage {
    pub items: Vec<BookingBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// Books a slot. 409 when it is gone.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "schedule", security(("bearer" = [])), request_body = BookRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per booking; a paid booking holds its price")),
    responses((status = 201, body = BookingBody), (status = 402, body = ErrorBody, description = "the wallet cannot cover the hold"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<BookRequest>,
) -> Result<axum::response::Response, ApiError> {
    use super::money::{begin, end, key_of, stored};
    let key = key_of(&headers)?;
    if let Some(replay) = begin(&state, &caller.0, &key, "POST /bookings", &req).await? {
        return Ok(replay);
    }
    let respond = |b: &Booking| stored(StatusCode::CREATED, &BookingBody::from(b));
    let result = async {
        let start = instant("start", &req.start)?;
        schedule::book(
            &state,
            &caller.0,
            req.listing_id,
            start,
            req.seats.unwrap_or(1),
            Some(&crate::money::seal(&caller.0, &key, &respond)),
        )
        .await
    }
    .await
    .map(|b| BookingBody::from(&b));
    end(&state, &caller.0, &key, StatusCode::CREATED, result).await
}

/// Bookings the caller takes part in, as buyer or provider, soonest first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "schedule", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = BookingPage)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<BookingPage>, ApiError> {
    let (window, page, per_page) = paging.window()?;
    let found = state.store.bookings_of(caller.0.id, window).await?;
    Ok(Json(BookingPage {
        items: found.items.iter().map(BookingBody::from).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// One booking the caller takes part in.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    let (b, _) = schedule::own_booking(&state, &caller.0, id).await?;
    Ok(Json(BookingBody::from(&b)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Required from providers; the buyer sees it.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Cancels by the listing's policy; the fee (0 inside the free window or when the provider cancels) is recorded.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = CancelRequest, responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<CancelRequest>,
) -> Result<Json<BookingBody>, ApiError> {
    let b = schedule::cancel(&state, &caller.0, id, req.reason.as_deref()).await?;
    Ok(Json(BookingBody::from(&b)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The new slot's start (RFC 3339).
    pub start: String,
}

/// Moves the booking: a buyer moves it to another free slot inside the policy's free
/// window; a provider proposes the new time, which the buyer then accepts or declines.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/reschedule", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = RescheduleRequest, responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> Result<Json<BookingBody>, ApiError> {
    let start = instant("start", &req.start)?;
    let b = schedule::reschedule(&state, &caller.0, id, start).await?;
    Ok(Json(BookingBody::from(&b)))
}

/// The buyer accepts the provider's proposed time: the booking moves.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/proposal/accept", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn accept_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    let b = schedule::answer_proposal(&state, &caller.0, id, true).await?;
    Ok(Json(BookingBody::from(&b)))
}

/// The buyer declines the provider's proposed time: the booking is cancelled at no cost.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/proposal/decline", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn decline_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    let b = schedule::answer_proposal(&state, &caller.0, id, false).await?;
    Ok(Json(BookingBody::from(&b)))
}

#[derive(Serialize, ToSchema)]
pub struct FeedBody {
    /// The private feed address; shown once.
    pub url: String,
}

/// Makes a new private calendar feed address (any earlier one stops working).
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "schedule", security(("bearer" = [])),
    responses((status = 201, body = FeedBody)))]
pub async fn create_feed(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: axum::http::HeaderMap,
) -> Result<(StatusCode, Json<FeedBody>), ApiError> {
    let path = schedule::reset_calendar_feed(&state, &caller.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedBody {
            url: format!("{}{path}", schedule::origin(&state, &headers)),
        }),
    ))
}

/// Stops the caller's calendar feed.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "schedule", security(("bearer" = [])), responses((status = 204)))]
pub async fn delete_feed(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<StatusCode, ApiError> {
    schedule::stop_calendar_feed(&state, &caller.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct HelpNowBody {
    pub id: i64,
    pub listing_id: i64,
    pub provider_id: i64,
    pub state: crate::helpnow::RequestState,
    /// Place in the provider's line (1 = next or ringing); 0 once out of the line.
    pub place: usize,
    /// The booking made when the provider accepted.
    pub booking_id: Option<i64>,
    /// Seconds the provider has to answer a ring.
    pub ring_seconds: u64,
}

fn help_now_body(state: &AppState, r: &crate::helpnow::Request, place: usize) -> HelpNowBody {
    HelpNowBody {
        id: r.id,
        listing_id: r.listing_id,
        provider_id: r.provider_id,
        state: r.state,
        place,
        booking_id: r.booking_id,
        ring_seconds: state.help_now.ring_for().as_secs(),
    }
}

/// Asks the listing's provider for help now: their dashboard rings, or you wait in line.
#[utoipa::path(post, path = "/api/v1/listings/{id}/help-now", tag = "help-now", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = HelpNowBody), (status = 409, body = ErrorBody)))]
pub async fn ask_help_now(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<(StatusCode, Json<HelpNowBody>), ApiError> {
    let r = schedule::ask_help_now(&state, &caller.0, id).await?;
    let place = crate::helpnow::request(&state, r.id)
        .await?
        .map(|(_, p)| p)
        .unwrap_or(0);
    Ok((StatusCode::CREATED, Json(help_now_body(&state, &r, place))))
}

async fn own_request(
    state: &AppState,
    caller: &ApiCaller,
    id: i64,
) -> Result<(crate::helpnow::Request, usize), ApiError> {
    match crate::helpnow::request(state, id).await? {
        Some((r, place)) if r.buyer_id == caller.0.id || r.provider_id == caller.0.id => {
            Ok((r, place))
        }
        _ => Err(crate::error::Failure::not_found("help-now request").into()),
    }
}

/// Where a help-now request stands, with the buyer's place in line.
#[utoipa::path(get, path = "/api/v1/help-now/{id}", tag = "help-now", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = HelpNowBody), (status = 404, body = ErrorBody)))]
pub async fn help_now_status(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<HelpNowBody>, ApiError> {
    let (r, place) = own_request(&state, &caller, id).await?;
    Ok(Json(help_now_body(&state, &r, place)))
}

/// The buyer leaves the line.
#[utoipa::path(delete, path = "/api/v1/help-now/{id}", tag = "help-now", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn leave_help_now(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    own_request(&state, &caller, id).await?;
    if crate::helpnow::leave(&state, caller.0.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(crate::error::Failure::Conflict("this request is no longer waiting".into()).into())
    }
}

/// The provider accepts a ringing request: a booking that starts now.
#[utoipa::path(post, path = "/api/v1/help-now/{id}/accept", tag = "help-now", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn accept_help_now(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<(StatusCode, Json<BookingBody>), ApiError> {
    let b = schedule::accept_help_now(&state, &caller.0, id).await?;
    Ok((StatusCode::CREATED, Json(BookingBody::from(&b))))
}

/// Begins the session (either side, from 10 minutes before its start).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/start", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    Ok(Json(BookingBody::from(
        &schedule::progress(&state, &caller.0, id, "start").await?,
    )))
}

/// Completes a session in progress (the provider).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/complete", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    Ok(Json(BookingBody::from(
        &schedule::progress(&state, &caller.0, id, "complete").await?,
    )))
}

/// Reports that the other side did not show up (from 10 minutes after the start).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/no-show", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BookingBody), (status = 409, body = ErrorBody)))]
pub async fn no_show(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<BookingBody>, ApiError> {
    Ok(Json(BookingBody::from(
        &schedule::progress(&state, &caller.0, id, "no-show").await?,
    )))
}

/// The hours a listing is booked in (its own, or its provider's).
#[utoipa::path(get, path = "/api/v1/listings/{id}/hours", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = crate::schedule::HoursBody), (status = 404, body = ErrorBody)))]
pub async fn get_hours(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<crate::schedule::HoursBody>, ApiError> {
    Ok(Json(schedule::listing_hours(&state, &caller.0, id).await?))
}

/// Gives a listing hours of its own, replacing the provider's weekly hours and overrides for it.
#[utoipa::path(put, path = "/api/v1/listings/{id}/hours", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = crate::schedule::HoursBody, responses((status = 200, body = crate::schedule::HoursBody), (status = 422, body = ErrorBody)))]
pub async fn put_hours(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<crate::schedule::HoursBody>,
) -> Result<Json<crate::schedule::HoursBody>, ApiError> {
    Ok(Json(
        schedule::set_listing_hours(&state, &caller.0, id, Some(&body)).await?,
    ))
}

/// Returns a listing to its provider's hours.
#[utoipa::path(delete, path = "/api/v1/listings/{id}/hours", tag = "schedule", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = crate::schedule::HoursBody)))]
pub async fn delete_hours(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<crate::schedule::HoursBody>, ApiError> {
    Ok(Json(
        schedule::set_listing_hours(&state, &caller.0, id, None).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TranscriptLineBody {
    pub from: String,
    pub text: String,
    pub at: String,
}

/// The session room's chat, kept for the booking's buyer and provider (never for Health).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/transcript", tag = "schedule", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = [TranscriptLineBody]), (status = 404, body = ErrorBody)))]
pub async fn transcript(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<Vec<TranscriptLineBody>>, ApiError> {
    let (b, _) = schedule::own_booking(&state, &caller.0, id).await?;
    let lines = state
        .store
        .room_messages(b.listing_id, b.start, None)
        .await
        .map_err(crate::error::Failure::from)?;
    Ok(Json(
        lines
            .into_iter()
            .map(|m| TranscriptLineBody {
                from: m.name,
                text: m.text,
                at: m.at.to_string(),
            })
            .collect(),
    ))
}
