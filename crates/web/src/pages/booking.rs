//! Booking pages: the slot picker on a listing, booking, my bookings, the booking page
//! with cancel and reschedule, its .ics file, and the provider's schedule editor.

use super::{Choice, FormErrors, NoticeQuery, RawForm, render, render_invalid};
use crate::auth::Viewer;
use crate::error::{Failure, PageError};
use crate::schedule::{self, AvailabilityBody, WEEKDAYS};
use crate::state::AppState;
use crate::views::Chrome;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use onhand_core::Invalid;
use onhand_core::booking::{BookingState, Party, cancellation_terms};
use onhand_core::catalog::{CancellationPolicy, PriceModel};
use onhand_core::money::{Currency, Money};
use onhand_store::{Booking, Listing, Page};

#[derive(serde::Deserialize, Default)]
pub struct PickerQuery {
    pub week: Option<String>,
    pub tz: Option<String>,
    pub reschedule: Option<String>,
    pub error: Option<String>,
    /// On the listing page: the reviews' order (newest or helpful) and page.
    pub reviews: Option<String>,
    pub rpage: Option<String>,
}

pub struct SlotView {
    pub(super) start: String,
    pub(super) time: String,
    pub(super) title: String,
    pub(super) seats_note: String,
}

pub struct DayView {
    pub(super) label: String,
    pub(super) slots: Vec<SlotView>,
}

pub struct Picker {
    pub(super) listing_id: i64,
    pub(super) rescheduling: Option<i64>,
    pub(super) week: String,
    pub(super) week_label: String,
    pub(super) prev_week: Option<String>,
    pub(super) next_week: String,
    pub(super) tz: String,
    pub(super) tz_guess: bool,
    pub(super) zones: Vec<Choice>,
    pub(super) days: Vec<DayView>,
    pub(super) action: String,
    pub(super) error: String,
    pub(super) provider_name: String,
    pub(super) provider_tz: String,
    pub(super) signed_in: bool,
}

fn zone_or(name: &str, fallback: &str) -> (TimeZone, String) {
    match TimeZone::get(name) {
        Ok(tz) if !name.is_empty() => (tz, name.to_string()),
        _ => (
            TimeZone::get(fallback).unwrap_or(TimeZone::UTC),
            fallback.to_string(),
        ),
    }
}

/// Midnight at the start of `date` in `tz` (the first instant of that civil day).
fn day_start(date: Date, tz: &TimeZone) -> Timestamp {
    tz.to_ambiguous_timestamp(date.at(0, 0, 0, 0))
        .compatible()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The week of free slots a viewer sees on a public listing.
pub async fn picker(
    state: &AppState,
    viewer: &Viewer,
    l: &Listing,
    q: &PickerQuery,
) -> Result<Option<Picker>, Failure> {
    if !l.is_public
        || viewer
            .account
            .as_ref()
            .is_some_and(|a| a.id == l.provider_id)
    {
        return Ok(None);
    }
    let v = l.published.as_ref().expect("public listings are published");
    let viewer_zone = viewer.account.as_ref().map(|a| a.time_zone.clone());
    let asked = q.tz.clone().unwrap_or_default();
    let (tz, tz_name) = zone_or(&asked, viewer_zone.as_deref().unwrap_or("UTC"));
    let today = Timestamp::now().to_zoned_datetime(tz.clone()).date();
    let week = q
        .week
        .as_deref()
        .and_then(|w| w.parse::<Date>().ok())
        .filter(|w| *w >= today && *w <= today.saturating_add(jiff::Span::new().days(400)))
        .unwrap_or(today);
    let from = day_start(week, &tz);
    let to = day_start(week.saturating_add(jiff::Span::new().days(7)), &tz);
    let slots = schedule::slots(state, l.id, from.max(Timestamp::now()), to).await?;
    let provider_tz = state.store.availability(l.provider_id).await?.time_zone;
    let mut days: Vec<DayView> = (0..7)
        .map(|i| {
            let d = week.saturating_add(jiff::Span::new().days(i));
            DayView {
                label: d.strftime("%a %-d %b").to_string(),
                slots: Vec::new(),
            }
        })
        .collect();
    for s in slots {
        let local = s.start.to_zoned_datetime(tz.clone());
        let index = (local.date() - week).get_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
            let theirs = s.start.to_zoned_datetime(provider_tz.clone());
            day.slots.push(SlotView {
                start: s.start.to_string(),
                time: local.strftime("%H:%M").to_string(),
                title: format!("{} for {}", theirs.strftime("%a %H:%M"), l.provider_name),
                seats_note: if v.group_size > 1 {
                    format!("{} left", s.seats_left)
                } else {
                    String::new()
                },
            });
        }
    }
    let rescheduling = q.reschedule.as_deref().and_then(|r| r.parse::<i64>().ok());
    Ok(Some(Picker {
        listing_id: l.id,
        action: match rescheduling {
            Some(b) => format!("/bookings/{b}/reschedule"),
            None => format!("/listings/{}/book", l.id),
        },
        rescheduling,
        week: week.to_string(),
        week_label: format!(
            "{} – {}",
            week.strftime("%-d %b"),
            week.saturating_add(jiff::Span::new().days(6))
                .strftime("%-d %b %Y")
        ),
        prev_week: (week > today).then(|| {
            week.saturating_sub(jiff::Span::new().days(7))
                .max(today)
                .to_string()
        }),
        next_week: week.saturating_add(jiff::Span::new().days(7)).to_string(),
        zones: super::zone_choices(&tz_name),
        tz_guess: asked.is_empty() && viewer.account.is_none(),
        tz: tz_name,
        days,
        error: match q.error.as_deref() {
            Some("taken") => "That time was just taken. Please pick another.".into(),
            Some("window") => {
                "The free window for moving this booking has closed; you can still cancel it."
                    .into()
            }
            _ => String::new(),
        },
        provider_name: l.provider_name.clone(),
        provider_tz: provider_tz.iana_name().unwrap_or("UTC").to_string(),
        signed_in: viewer.account.is_some(),
    }))
}

fn listing_id(raw: &str) -> Result<i64, Failure> {
    super::path_id(raw, "listing")
}

fn booking_id(raw: &str) -> Result<i64, Failure> {
    super::path_id(raw, "booking")
}

pub struct BookingRow {
    id: i64,
    title: String,
    with: String,
    role: &'static str,
    when: String,
    state: String,
    state_label: String,
    upcoming: bool,
}

fn state_label(b: &Booking) -> String {
    b.state.as_str().replace('_', " ")
}

fn when(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%a %-d %b %Y, %H:%M (%Z)")
        .to_string()
}

#[derive(Template)]
#[template(path = "bookings.html")]
pub struct Bookings {
    chrome: Chrome,
    upcoming: Vec<BookingRow>,
    past: Vec<BookingRow>,
    tz: String,
}

/// Bookings shown on "my bookings".
const BOOKINGS_SHOWN: i64 = 500;

pub async fn my_bookings(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let tz = TimeZone::get(&account.time_zone).unwrap_or(TimeZone::UTC);
    let found = state
        .store
        .bookings_of(
            account.id,
            Page {
                offset: 0,
                limit: BOOKINGS_SHOWN,
            },
        )
        .await?;
    let now = Timestamp::now();
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for b in &found.items {
        let as_buyer = b.buyer_id == account.id;
        let row = BookingRow {
            id: b.id,
            title: b.title.clone(),
            with: if as_buyer {
                b.provider_name.clone()
            } else {
                b.buyer_name.clone()
            },
            role: if as_buyer { "with" } else { "for" },
            when: when(b.start, &tz),
            state: b.state.as_str().to_string(),
            state_label: state_label(b),
            upcoming: b.end > now && b.state.holds_time(),
        };
        if row.upcoming {
            upcoming.push(row)
        } else {
            past.push(row)
        }
    }
    past.reverse();
    Ok(render(&Bookings {
        chrome: Chrome::new(&viewer),
        upcoming,
        past,
        tz: account.time_zone.clone(),
    }))
}

#[derive(Template)]
#[template(path = "booking.html")]
pub struct BookingPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    b: Booking,
    is_provider: bool,
    your_time: String,
    their_time: String,
    their_zone: String,
    price: String,
    policy: String,
    free_until: String,
    fee_now: String,
    can_change: bool,
    can_reschedule: bool,
    proposed: Option<String>,
    receipt: super::money::ReceiptView,
    /// Session steps open now: begin, complete (the provider), report a no-show.
    can_begin: bool,
    can_complete: bool,
    can_report: bool,
    rep: super::reputation::BookingReputation,
    /// The video room is open now.
    room_open: bool,
    /// The session room's chat, as kept.
    transcript: Vec<TranscriptLine>,
}

pub struct TranscriptLine {
    pub id: i64,
    /// Written by the viewer (others' lines can be reported).
    pub mine: bool,
    pub name: String,
    pub text: String,
    pub at: String,
}

pub(super) async fn booking_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: &str,
    errors: Invalid,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let (b, party) = schedule::own_booking(state, account, id).await?;
    // A provider lives by their working zone (the one their hours are in); a buyer by
    // their account's zone.
    let provider_zone = state.store.provider(b.provider_id).await?.time_zone;
    let buyer_zone = state.store.account(b.buyer_id).await?.time_zone;
    let (my_zone, their_zone) = match party {
        Party::Buyer => (buyer_zone, provider_zone),
        Party::Provider => (provider_zone, buyer_zone),
    };
    let mine = TimeZone::get(&my_zone).unwrap_or(TimeZone::UTC);
    let theirs = TimeZone::get(&their_zone).unwrap_or(TimeZone::UTC);
    let currency = Currency::parse(&b.currency).unwrap_or_else(|_| Currency::usd());
    let policy =
        CancellationPolicy::parse(&b.cancellation_policy).unwrap_or(CancellationPolicy::Strict);
    let price = PriceModel::parse(
        &b.price_model,
        Some(b.price_minor),
        b.minimum_minutes.and_then(|m| u32::try_from(m).ok()),
    )
    .unwrap_or(PriceModel::Free);
    let terms = cancellation_terms(policy, price, b.start, Timestamp::now(), party);
    let page = BookingPage {
        chrome: Chrome::new(viewer),
        notice: match notice {
            "booked" => {
                "Booked! It is on both calendars; download the .ics to add it to yours.".into()
            }
            "moved" => "Moved to the new time.".into(),
            "cancelled" => "Cancelled.".into(),
            "proposed" => "New time proposed; the buyer will accept or decline it.".into(),
            "refund-requested" => {
                "Refund requested. The provider answers; if they decline, the operator decides."
                    .into()
            }
            "refund-answered" => "Answer recorded.".into(),
            "started" => "The session has begun.".into(),
            "completed" => {
                "Session complete. The payment was taken from the hold; see the receipt below."
                    .into()
            }
            "no-show" => "No-show recorded.".into(),
            "reviewed" => "Thank you! Your review is on the listing.".into(),
            "replied" => "Your reply is on the listing.".into(),
            "rated" => "Noted. Your rating of the buyer stays private.".into(),
            "blocked" => "Blocked. They can no longer book you or ask you for help now.".into(),
            "unblocked" => "Unblocked.".into(),
            _ => String::new(),
        },
        is_provider: party == Party::Provider,
        your_time: when(b.start, &mine),
        their_time: when(b.start, &theirs),
        their_zone,
        price: price.describe(currency),
        policy: format!("{} — {}", policy.as_str(), policy.summary()),
        free_until: when(terms.free_until, &mine),
        fee_now: match schedule::fee_minor(&b, terms.fee_minor) {
            0 => "free".into(),
            fee => Money::new(fee, currency).to_string(),
        },
        can_change: b.state == onhand_core::booking::BookingState::Confirmed,
        can_reschedule: party == Party::Buyer
            && b.state == onhand_core::booking::BookingState::Confirmed
            && Timestamp::now() <= terms.free_until,
        proposed: b.proposed_start.map(|t| when(t, &mine)),
        receipt: super::money::receipt_view(state, &b, party == Party::Provider, &my_zone).await?,
        can_begin: b.state == BookingState::Confirmed
            && Timestamp::now() >= b.start - schedule::EARLY_START
            && Timestamp::now() < b.end,
        can_complete: party == Party::Provider && b.state == BookingState::InProgress,
        can_report: b.state.holds_time() && Timestamp::now() >= b.start + schedule::NO_SHOW_AFTER,
        errors: FormErrors(errors.clone()),
        rep: super::reputation::booking_panel(state, account, &b, party).await?,
        transcript: state
            .store
            .room_messages(b.listing_id, b.start, None)
            .await?
            .into_iter()
            .map(|m| TranscriptLine {
                id: m.id,
                mine: m.account_id == account.id,
                name: m.name,
                text: m.text,
                at: m
                    .at
                    .to_zoned_datetime(mine.clone())
                    .strftime("%H:%M")
                    .to_string(),
            })
            .collect(),
        room_open: matches!(b.state, BookingState::Confirmed | BookingState::InProgress)
            && Timestamp::now() >= b.start - crate::room::OPENS_BEFORE
            && Timestamp::now() <= b.end + crate::room::CLOSES_AFTER,
        b,
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn booking(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    booking_page(
        &state,
        &viewer,
        booking_id(&id)?,
        &q.notice,
        Invalid::default(),
    )
    .await
}

pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    match schedule::cancel(&state, account, id, Some(form.get("reason"))).await {
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?notice=cancelled")).into_response()),
        Err(Failure::Invalid(errors)) => booking_page(&state, &viewer, id, "", errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn reschedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let start = schedule::instant("start", form.get("start"))?;
    match schedule::reschedule(&state, account, id, start).await {
        Ok(moved) => {
            Ok(Redirect::to(&format!("/bookings/{}?notice=moved", moved.id)).into_response())
        }
        Err(Failure::Conflict(m)) => {
            let listing = state.store.booking(id).await?.listing_id;
            let code = if m.contains("free window") {
                "window"
            } else {
                "taken"
            };
            Ok(Redirect::to(&format!(
                "/listings/{listing}?reschedule={id}&error={code}#book"
            ))
            .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The provider proposes a new start, typed as a civil time in their working zone.
pub async fn propose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let zone = state.store.availability(account.id).await?.time_zone;
    let raw = form.get("local");
    let start = raw
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| zone.to_ambiguous_timestamp(dt).compatible().ok());
    let Some(start) = start else {
        return booking_page(
            &state,
            &viewer,
            id,
            "",
            Invalid::one("start", format!("{raw:?} is not a date and time")),
        )
        .await;
    };
    match schedule::reschedule(&state, account, id, start).await {
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?notice=proposed")).into_response()),
        Err(Failure::Conflict(m)) => {
            booking_page(&state, &viewer, id, "", Invalid::one("start", m)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, answer)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        other => return Err(Failure::NotFound(format!("there is no answer {other:?}")).into()),
    };
    match schedule::answer_proposal(&state, account, id, accept).await {
        Ok(b) if accept => {
            Ok(Redirect::to(&format!("/bookings/{}?notice=moved", b.id)).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?notice=cancelled")).into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn calendar_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let id = booking_id(id.trim_end_matches(".ics"))?;
    let (b, _) = schedule::own_booking(&state, account, id).await?;
    let body = crate::calendar::ics(
        std::slice::from_ref(&b),
        &schedule::origin(&state, &headers),
        &account.time_zone,
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"onhand-booking-{}.ics\"", b.id),
            ),
        ],
        body,
    )
        .into_response())
}

pub struct DayRow {
    key: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
pub struct ScheduleEditor {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    days: Vec<DayRow>,
    overrides: String,
    zones: Vec<Choice>,
    buffer_before_min: String,
    buffer_after_min: String,
    notice_min: String,
    horizon_days: String,
    step_min: String,
}

const DAY_LABELS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn editor_from(
    viewer: &Viewer,
    body: &AvailabilityBody,
    notice: &str,
    errors: Invalid,
) -> ScheduleEditor {
    ScheduleEditor {
        chrome: Chrome::new(viewer),
        notice: if notice == "saved" {
            "Schedule saved.".into()
        } else {
            String::new()
        },
        days: WEEKDAYS
            .iter()
            .zip(DAY_LABELS)
            .map(|(key, label)| DayRow {
                key,
                label,
                value: body
                    .weekly
                    .get(*key)
                    .map(|v| v.join(", "))
                    .unwrap_or_default(),
            })
            .collect(),
        overrides: body
            .overrides
            .iter()
            .map(|o| {
                format!(
                    "{}: {}",
                    o.date,
                    if o.hours.is_empty() {
                        "off".to_string()
                    } else {
                        o.hours.join(", ")
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        zones: super::zone_choices(&body.time_zone),
        buffer_before_min: body.buffer_before_min.to_string(),
        buffer_after_min: body.buffer_after_min.to_string(),
        notice_min: body.notice_min.to_string(),
        horizon_days: body.horizon_days.to_string(),
        step_min: body.step_min.to_string(),
        errors: FormErrors(errors),
    }
}

pub async fn schedule_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let a = schedule::availability(&state, account).await?;
    Ok(render(&editor_from(
        &viewer,
        &AvailabilityBody::from_availability(&a),
        &q.notice,
        Invalid::default(),
    )))
}

/// Reads the editor's text fields; numbers that do not parse are reported by field.
fn schedule_body(form: &RawForm) -> Result<AvailabilityBody, (AvailabilityBody, Invalid)> {
    let mut errors = Invalid::default();
    let mut number = |field: &'static str| -> u32 {
        let raw = form.get(field).trim();
        raw.parse::<u32>().unwrap_or_else(|_| {
            errors.push(field, format!("{raw:?} is not a whole number"));
            0
        })
    };
    let (before, after, notice, horizon, step) = (
        number("buffer_before_min"),
        number("buffer_after_min"),
        number("notice_min"),
        number("horizon_days"),
        number("step_min"),
    );
    let split = |s: &str| {
        s.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let mut overrides = Vec::new();
    for line in form
        .get("overrides")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        match line.split_once(':') {
            Some((date, rest)) => overrides.push(crate::schedule::OverrideBody {
                date: date.trim().to_string(),
                hours: if rest.trim().eq_ignore_ascii_case("off") {
                    Vec::new()
                } else {
                    split(rest)
                },
            }),
            None => errors.push(
                "overrides",
                format!("{line:?} is not like \"2026-12-24: off\" or \"2026-12-27: 10:00-14:00\""),
            ),
        }
    }
    let clamp16 = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let body = AvailabilityBody {
        time_zone: form.get("time_zone").to_string(),
        weekly: WEEKDAYS
            .iter()
            .map(|d| (d.to_string(), split(form.get(d))))
            .collect(),
        overrides,
        buffer_before_min: clamp16(before),
        buffer_after_min: clamp16(after),
        notice_min: notice,
        horizon_days: clamp16(horizon),
        step_min: clamp16(step),
    };
    if errors.is_empty() {
        Ok(body)
    } else {
        Err((body, errors))
    }
}

pub async fn save_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let body = match schedule_body(&form) {
        Ok(b) => b,
        Err((b, errors)) => return Ok(render_invalid(&editor_from(&viewer, &b, "", errors))),
    };
    match schedule::set_availability(&state, account, &body).await {
        Ok(_) => Ok(Redirect::to("/dashboard/schedule?notice=saved").into_response()),
        Err(Failure::Invalid(errors)) => {
            Ok(render_invalid(&editor_from(&viewer, &body, "", errors)))
        }
        Err(e) => Err(e.into()),
    }
}

/// A person's private calendar feed, for Google Calendar or Outlook to subscribe to.
pub async fn calendar_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (bookings, zone) = schedule::calendar_feed(&state, &file).await?;
    let body = crate::calendar::ics(&bookings, &schedule::origin(&state, &headers), &zone);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "help_now.html")]
pub struct HelpNowPage {
    chrome: Chrome,
    id: i64,
    listing_id: i64,
    title: String,
    provider_name: String,
    state: String,
    place: usize,
    booking_id: i64,
    ring_seconds: u64,
}

pub async fn ask_help_now(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let id = listing_id(&id)?;
    let Some(account) = viewer.account.as_ref() else {
        return Ok(Redirect::to(&format!("/signin?next=/listings/{id}")).into_response());
    };
    viewer.check_csrf(form.csrf())?;
    let r = schedule::ask_help_now(&state, account, id).await?;
    Ok(Redirect::to(&format!("/help-now/{}", r.id)).into_response())
}

fn request_id(raw: &str) -> Result<i64, Failure> {
    raw.parse()
        .map_err(|_| Failure::not_found("help-now request"))
}

pub async fn help_now_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let id = request_id(&id)?;
    let (r, place) = crate::helpnow::request(&state, id)
        .await?
        .filter(|(r, _)| r.buyer_id == account.id)
        .ok_or_else(|| Failure::not_found("help-now request"))?;
    let provider = state.store.account(r.provider_id).await?;
    let state_name = serde_json::to_value(r.state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    Ok(render(&HelpNowPage {
        chrome: Chrome::new(&viewer),
        id,
        listing_id: r.listing_id,
        title: r.title.clone(),
        provider_name: provider.display_name,
        state: state_name,
        place,
        booking_id: r.booking_id.unwrap_or(0),
        ring_seconds: state.help_now.ring_for().as_secs(),
    }))
}

pub async fn leave_help_now(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = request_id(&id)?;
    crate::helpnow::leave(&state, account.id, id).await?;
    Ok(Redirect::to(&format!("/help-now/{id}")).into_response())
}

pub async fn accept_help_now(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let b = schedule::accept_help_now(&state, account, request_id(&id)?).await?;
    Ok(Redirect::to(&format!("/bookings/{}", b.id)).into_response())
}

/// A session step from the booking page: begin, complete or report a no-show. The video
/// room drives these once it lands.
pub async fn session_step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, step)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = booking_id(&id)?;
    let (step, notice) = match step.as_str() {
        "begin" => ("start", "started"),
        "complete" => ("complete", "completed"),
        "no-show" => ("no-show", "no-show"),
        other => {
            return Err(Failure::NotFound(format!("there is no session step {other:?}")).into());
        }
    };
    schedule::progress(&state, account, id, step).await?;
    Ok(Redirect::to(&format!("/bookings/{id}?notice={notice}")).into_response())
}

#[derive(Template)]
#[template(path = "room.html")]
pub struct RoomPage {
    chrome: Chrome,
    b: Booking,
    is_provider: bool,
    other: String,
    when: String,
    price: String,
    per_minute: bool,
    rate_minor: i64,
    currency_symbol: &'static str,
    currency_exponent: u32,
    health: bool,
    ice_servers: String,
    /// The hosting node's socket, when another node hosts this room; empty otherwise.
    signal_url: String,
}

/// The session room: device preview, then video, chat, timer and (per minute) the meter.
pub async fn room_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let id = booking_id(&id)?;
    let (b, party) = crate::room::access(&state, account, id).await?;
    let zone = match party {
        Party::Buyer => account.time_zone.clone(),
        Party::Provider => state.store.provider(b.provider_id).await?.time_zone,
    };
    let tz = TimeZone::get(&zone).unwrap_or(TimeZone::UTC);
    let currency = Currency::parse(&b.currency).unwrap_or_else(|_| Currency::usd());
    let price = schedule::terms_of(&b).1;
    let signal_url = crate::room::signal_url(&state, account, &b).await?;
    let page = render(&RoomPage {
        chrome: Chrome::new(&viewer),
        is_provider: party == Party::Provider,
        other: match party {
            Party::Buyer => b.provider_name.clone(),
            Party::Provider => b.buyer_name.clone(),
        },
        when: when(b.start, &tz),
        price: price.describe(currency),
        per_minute: matches!(price, PriceModel::PerMinute { .. }),
        rate_minor: match price {
            PriceModel::PerMinute { rate_minor, .. } => rate_minor,
            _ => 0,
        },
        currency_symbol: currency.symbol,
        currency_exponent: currency.exponent,
        health: crate::room::is_health(&state, &b).await,
        ice_servers: crate::room::ice_servers(&state, account.id, Timestamp::now()).to_string(),
        signal_url: signal_url.clone().unwrap_or_default(),
        b,
    });
    Ok(match signal_url {
        // The page may open a socket to the hosting node, and nowhere else.
        Some(url) => {
            let origin: String = url.split('/').take(3).collect::<Vec<_>>().join("/");
            let csp = format!(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 connect-src 'self' {origin}; frame-ancestors 'none'; form-action 'self'"
            );
            let mut page = page;
            if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
                page.headers_mut()
                    .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
            }
            page
        }
        None => page,
    })
}
