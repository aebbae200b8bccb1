//! Notifications: what happened becomes a job; the job runner turns it into an in-app
//! notification for each person it concerns (pushed live over their socket) and, unless
//! they turned that kind off, an email in their own time zone.
//!
//! Architecture invariant: events are recorded as jobs in the database, so a restart
//! loses none and a reminder due while the server was down is sent once when it is back.
//! Delivery is idempotent per job and person (see `onhand_store::jobs`).

use crate::auth::now;
use crate::mail::{Email, Mailer};
use crate::state::AppState;
use askama::Template;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onhand_core::booking::BookingState;
use onhand_core::money::{Currency, Money};
use onhand_store::{Booking, Job, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The job kind every notification travels as.
pub const JOB_KIND: &str = "notify";
/// A notification job is tried this often before it is kept as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed job is leased before another runner may take it.
pub const LEASE: SignedDuration = SignedDuration::from_mins(5);
/// How often the runner looks for due jobs when nobody woke it.
const POLL: Duration = Duration::from_millis(500);
/// How often confirmed bookings are checked for missing reminders.
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// The reminders, and how long before the start each goes out.
pub const REMINDERS: [(&str, SignedDuration); 2] = [
    ("24h", SignedDuration::from_hours(24)),
    ("15m", SignedDuration::from_mins(15)),
];

/// Something that happened that people hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    BookingConfirmed {
        booking: i64,
    },
    Reminder {
        booking: i64,
        lead: String,
    },
    BookingCancelled {
        booking: i64,
    },
    BookingRescheduled {
        from: i64,
        booking: i64,
    },
    HelpNowMissed {
        provider: i64,
        buyer: i64,
        listing: i64,
    },
    RefundRequested {
        refund: i64,
    },
    RefundDecided {
        refund: i64,
    },
    PayoutSent {
        provider: i64,
        amount_minor: i64,
        currency: String,
    },
    NewReview {
        review: i64,
    },
    ProviderDecided {
        account: i64,
    },
    ListingDecided {
        listing: i64,
    },
}

/// What people turn email on or off for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Booking,
    Reminder,
    Change,
    HelpNow,
    Refund,
    Payout,
    Review,
    Vetting,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Booking,
        Kind::Reminder,
        Kind::Change,
        Kind::HelpNow,
        Kind::Refund,
        Kind::Payout,
        Kind::Review,
        Kind::Vetting,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Booking => "booking",
            Kind::Reminder => "reminder",
            Kind::Change => "change",
            Kind::HelpNow => "help_now",
            Kind::Refund => "refund",
            Kind::Payout => "payout",
            Kind::Review => "review",
            Kind::Vetting => "vetting",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Kind::Booking => "Bookings confirmed",
            Kind::Reminder => "Reminders a day and 15 minutes before",
            Kind::Change => "Cancellations and new times",
            Kind::HelpNow => "Missed help-now requests",
            Kind::Refund => "Refund requests and decisions",
            Kind::Payout => "Payouts sent",
            Kind::Review => "New reviews",
            Kind::Vetting => "Decisions on your application and listings",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Records that something happened; the runner delivers it.
pub async fn emit(state: &AppState, event: Event) {
    emit_at(state, event, None, now()).await;
}

async fn emit_at(state: &AppState, event: Event, key: Option<&str>, at: Timestamp) {
    let payload = serde_json::to_string(&event).expect("events serialize");
    match state
        .store
        .enqueue(JOB_KIND, &payload, key, at, MAX_ATTEMPTS, now())
        .await
    {
        Ok(_) => state.jobs_wake.notify_one(),
        Err(e) => tracing::error!(error = ?e, ?event, "could not record a notification"),
    }
}

fn reminder_key(booking: i64, lead: &str) -> String {
    format!("reminder:{booking}:{lead}")
}

/// Schedules a booking's reminders, except those whose time passed before it was booked.
/// Scheduling twice is harmless.
pub async fn schedule_reminders(state: &AppState, b: &Booking) {
    if b.state != BookingState::Confirmed {
        return;
    }
    for (lead, before) in REMINDERS {
        let at = b.start - before;
        if b.created_at < at {
            let key = reminder_key(b.id, lead);
            emit_at(
                state,
                Event::Reminder {
                    booking: b.id,
                    lead: lead.into(),
                },
                Some(&key),
                at,
            )
            .await;
        }
    }
}

pub async fn cancel_reminders(state: &AppState, booking: i64) {
    if let Err(e) = state
        .store
        .cancel_jobs(&format!("reminder:{booking}:"), now())
        .await
    {
        tracing::warn!(error = ?e, booking, "could not cancel reminders");
    }
}

/// A new booking: confirmations now, reminders later.
pub async fn booked(state: &AppState, b: &Booking) {
    emit(state, Event::BookingConfirmed { booking: b.id }).await;
    schedule_reminders(state, b).await;
}

pub async fn cancelled(state: &AppState, b: &Booking) {
    cancel_reminders(state, b.id).await;
    emit(state, Event::BookingCancelled { booking: b.id }).await;
}

pub async fn moved(state: &AppState, from: i64, to: &Booking) {
    cancel_reminders(state, from).await;
    emit(
        state,
        Event::BookingRescheduled {
            from,
            booking: to.id,
        },
    )
    .await;
    schedule_reminders(state, to).await;
}

/// The job runner: due jobs one at a time, woken at once when one is added; and the
/// reminder sweep, which puts back reminders for confirmed bookings that lack them.
pub async fn run(state: AppState, mailer: Arc<Mailer>) {
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(std::time::Instant::now());
            sweep(&state).await;
        }
        loop {
            let job = match state.store.claim_job(LEASE, now()).await {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, "job runner could not claim a job");
                    break;
                }
            };
            let result = match job.kind.as_str() {
                JOB_KIND => deliver(&state, &mailer, &job).await,
                other => Err(format!("no handler for jobs of kind {other:?}")),
            };
            let done = match result {
                Ok(()) => state.store.finish_job(job.id, now()).await.map(|_| ()),
                Err(error) => {
                    tracing::warn!(job = job.id, attempt = job.attempts, %error, "job failed");
                    state
                        .store
                        .fail_job(job.id, &error, now())
                        .await
                        .map(|_| ())
                }
            };
            if let Err(e) = done {
                tracing::warn!(error = ?e, job = job.id, "job runner could not record a result");
            }
        }
        tokio::select! {
            _ = state.jobs_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn sweep(state: &AppState) {
    let t = now();
    match state
        .store
        .bookings_starting(t, t + SignedDuration::from_hours(25))
        .await
    {
        Ok(ids) => {
            for id in ids {
                if let Ok(b) = state.store.booking(id).await {
                    schedule_reminders(state, &b).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = ?e, "reminder sweep could not read bookings"),
    }
}

/// One notification for one person, before it is stored and sent.
struct Message {
    account: i64,
    kind: Kind,
    title: String,
    lines: Vec<String>,
    link: String,
    ics: Option<String>,
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    name: &'a str,
    title: &'a str,
    lines: &'a [String],
    url: &'a str,
    settings_url: &'a str,
    unsubscribe_url: &'a str,
    kind_label: &'a str,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    name: &'a str,
    title: &'a str,
    lines: &'a [String],
    url: &'a str,
    settings_url: &'a str,
    unsubscribe_url: &'a str,
    kind_label: &'a str,
}

async fn deliver(state: &AppState, mailer: &Mailer, job: &Job) -> Result<(), String> {
    let event: Event = serde_json::from_str(&job.payload)
        .map_err(|e| format!("the payload is not an event: {e}"))?;
    let messages = compose(state, &event).await.map_err(|e| format!("{e:?}"))?;
    for m in messages {
        let body = m.lines.join("\n");
        let (n, fresh) = state
            .store
            .notify(
                m.account,
                m.kind.as_str(),
                &m.title,
                &body,
                &m.link,
                Some(job.id),
                now(),
            )
            .await
            .map_err(|e| format!("{e:?}"))?;
        if fresh {
            let unread = state.store.unread_count(m.account).await.unwrap_or(0);
            crate::cluster::push(
                state,
                m.account,
                serde_json::json!({"type": "notification", "id": n.id, "title": n.title, "link": n.link, "unread": unread}),
            );
        }
        if n.emailed_at.is_some()
            || !state
                .store
                .email_enabled(m.account, m.kind.as_str())
                .await
                .map_err(|e| format!("{e:?}"))?
        {
            continue;
        }
        let account = state
            .store
            .account(m.account)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let token = state
            .store
            .unsubscribe_token(account.id, &crate::auth::random_token())
            .await
            .map_err(|e| format!("{e:?}"))?;
        let base = &state.config.public_url;
        let url = format!("{base}{}", m.link);
        let settings_url = format!("{base}/settings#notifications");
        let unsubscribe_url = format!("{base}/unsubscribe/{token}?kind={}", m.kind.as_str());
        let text = NoticeText {
            name: &account.display_name,
            title: &m.title,
            lines: &m.lines,
            url: &url,
            settings_url: &settings_url,
            unsubscribe_url: &unsubscribe_url,
            kind_label: m.kind.label(),
        }
        .render()
        .map_err(|e| format!("rendering the text part: {e}"))?;
        let html = NoticeHtml {
            name: &account.display_name,
            title: &m.title,
            lines: &m.lines,
            url: &url,
            settings_url: &settings_url,
            unsubscribe_url: &unsubscribe_url,
            kind_label: m.kind.label(),
        }
        .render()
        .map_err(|e| format!("rendering the HTML part: {e}"))?;
        let message = Email {
            from: &state.config.mail.from,
            to_name: &account.display_name,
            to_address: &account.email,
            subject: &m.title,
            text,
            html,
            ics: m.ics.clone(),
            unsubscribe_url: &unsubscribe_url,
        }
        .build()?;
        mailer
            .send(message, &format!("{}-{}", job.id, n.id))
            .await?;
        state
            .store
            .mark_emailed(n.id, now())
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// A time as the person reads it: their zone, their clock.
fn local(t: Timestamp, zone: &str) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    t.to_zoned_datetime(tz)
        .strftime("%A %-d %B %Y at %H:%M (%Z)")
        .to_string()
}

/// The zones of a booking's buyer and provider.
async fn zones(state: &AppState, b: &Booking) -> Result<(String, String), StoreError> {
    let buyer = state.store.account(b.buyer_id).await?.time_zone;
    let provider = match state.store.provider(b.provider_id).await {
        Ok(p) => p.time_zone,
        Err(StoreError::NotFound) => state.store.account(b.provider_id).await?.time_zone,
        Err(e) => return Err(e),
    };
    Ok((buyer, provider))
}

fn booking_ics(state: &AppState, b: &Booking, zone: &str) -> String {
    crate::calendar::ics(std::slice::from_ref(b), &state.config.public_url, zone)
}

fn money(amount_minor: i64, currency: &str) -> String {
    Money::new(
        amount_minor,
        Currency::parse(currency).unwrap_or_else(|_| Currency::usd()),
    )
    .to_string()
}

/// Who hears what about `event`, from the database as it is now.
async fn compose(state: &AppState, event: &Event) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::new();
    match event {
        Event::BookingConfirmed { booking } => {
            let b = state.store.booking(*booking).await?;
            let (bz, pz) = zones(state, &b).await?;
            let link = format!("/bookings/{}", b.id);
            out.push(Message {
                account: b.buyer_id,
                kind: Kind::Booking,
                title: format!("Booked: {} with {}", b.title, b.provider_name),
                lines: vec![
                    format!("Your session is on {}.", local(b.start, &bz)),
                    "Add it to your calendar, cancel or move it from the booking page.".into(),
                ],
                link: link.clone(),
                ics: Some(booking_ics(state, &b, &bz)),
            });
            out.push(Message {
                account: b.provider_id,
                kind: Kind::Booking,
                title: format!("New booking: {} with {}", b.title, b.buyer_name),
                lines: vec![format!("{} booked {}.", b.buyer_name, local(b.start, &pz))],
                link,
                ics: Some(booking_ics(state, &b, &pz)),
            });
        }
        Event::Reminder { booking, lead } => {
            let b = state.store.booking(*booking).await?;
            // Cancelled or moved since, or a 15-minute reminder that came too late.
            if b.state != BookingState::Confirmed || (lead == "15m" && now() >= b.start) {
                return Ok(out);
            }
            let (bz, pz) = zones(state, &b).await?;
            let when_words = if lead == "24h" {
                "tomorrow"
            } else {
                "in 15 minutes"
            };
            let link = format!("/bookings/{}", b.id);
            for (account, other, zone) in [
                (b.buyer_id, &b.provider_name, &bz),
                (b.provider_id, &b.buyer_name, &pz),
            ] {
                out.push(Message {
                    account,
                    kind: Kind::Reminder,
                    title: format!("Reminder: {} {when_words}", b.title),
                    lines: vec![format!(
                        "Your session with {other} starts {}.",
                        local(b.start, zone)
                    )],
                    link: link.clone(),
                    ics: None,
                });
            }
        }
        Event::BookingCancelled { booking } => {
            let b = state.store.booking(*booking).await?;
            let (bz, pz) = zones(state, &b).await?;
            let by = match b.state {
                BookingState::CancelledByBuyer => b.buyer_name.as_str(),
                _ => b.provider_name.as_str(),
            };
            let reason = b
                .cancel_reason
                .as_deref()
                .map(|r| format!("Reason: {r}"))
                .unwrap_or_default();
            let link = format!("/bookings/{}", b.id);
            for (account, zone) in [(b.buyer_id, &bz), (b.provider_id, &pz)] {
                let mut lines = vec![format!(
                    "{} on {} was cancelled by {by}.",
                    b.title,
                    local(b.start, zone)
                )];
                if !reason.is_empty() {
                    lines.push(reason.clone());
                }
                out.push(Message {
                    account,
                    kind: Kind::Change,
                    title: format!("Cancelled: {}", b.title),
                    lines,
                    link: link.clone(),
                    ics: None,
                });
            }
        }
        Event::BookingRescheduled { from, booking } => {
            let old = state.store.booking(*from).await?;
            let b = state.store.booking(*booking).await?;
            let (bz, pz) = zones(state, &b).await?;
            let link = format!("/bookings/{}", b.id);
            for (account, zone) in [(b.buyer_id, &bz), (b.provider_id, &pz)] {
                out.push(Message {
                    account,
                    kind: Kind::Change,
                    title: format!("New time: {}", b.title),
                    lines: vec![format!(
                        "Moved from {} to {}.",
                        local(old.start, zone),
                        local(b.start, zone)
                    )],
                    link: link.clone(),
                    ics: Some(booking_ics(state, &b, zone)),
                });
            }
        }
        Event::HelpNowMissed {
            provider,
            buyer,
            listing,
        } => {
            let l = state.store.listing(*listing).await?;
            let buyer_name = state.store.account(*buyer).await?.display_name;
            let title = l.published.as_ref().unwrap_or(&l.working).title.clone();
            out.push(Message {
                account: *provider,
                kind: Kind::HelpNow,
                title: format!("You missed a help-now request from {buyer_name}"),
                lines: vec![format!(
                    "{buyer_name} asked for help now with “{title}”, and nobody answered within the minute."
                )],
                link: "/dashboard".into(),
                ics: None,
            });
            out.push(Message {
                account: *buyer,
                kind: Kind::HelpNow,
                title: format!("{} could not answer", l.provider_name),
                lines: vec![format!(
                    "Your help-now request for “{title}” was not answered in time. Book a time, or try again later."
                )],
                link: format!("/listings/{listing}"),
                ics: None,
            });
        }
        Event::RefundRequested { refund } => {
            let r = state.store.refund_request(*refund).await?;
            out.push(Message {
                account: r.provider_id,
                kind: Kind::Refund,
                title: format!("{} asks for a refund", r.buyer_name),
                lines: vec![
                    format!(
                        "{} asks for {} back for “{}”: “{}”",
                        r.buyer_name,
                        money(r.amount_minor, &r.currency),
                        r.booking_title,
                        r.reason
                    ),
                    "Grant or decline it from the booking page; a declined request goes to the operator."
                        .into(),
                ],
                link: format!("/bookings/{}", r.booking_id),
                ics: None,
            });
        }
        Event::RefundDecided { refund } => {
            let r = state.store.refund_request(*refund).await?;
            let outcome = match r.state.as_str() {
                "granted" => "was granted",
                "upheld" => "was granted by the operator",
                "rejected" => "was turned down by the operator",
                "disputed" => "was declined by the provider and goes to the operator",
                other => other,
            };
            let link = format!("/bookings/{}", r.booking_id);
            let line = format!(
                "The refund of {} for “{}” {outcome}.",
                money(r.amount_minor, &r.currency),
                r.booking_title
            );
            out.push(Message {
                account: r.buyer_id,
                kind: Kind::Refund,
                title: format!("Your refund request {outcome}"),
                lines: vec![line.clone()],
                link: link.clone(),
                ics: None,
            });
            if matches!(r.state.as_str(), "upheld" | "rejected") {
                out.push(Message {
                    account: r.provider_id,
                    kind: Kind::Refund,
                    title: format!("The operator decided {}'s refund request", r.buyer_name),
                    lines: vec![line],
                    link,
                    ics: None,
                });
            }
        }
        Event::PayoutSent {
            provider,
            amount_minor,
            currency,
        } => out.push(Message {
            account: *provider,
            kind: Kind::Payout,
            title: format!("Payout sent: {}", money(*amount_minor, currency)),
            lines: vec![format!(
                "{} is on its way to your account.",
                money(*amount_minor, currency)
            )],
            link: "/earnings".into(),
            ics: None,
        }),
        Event::NewReview { review } => {
            let r = state.store.review(*review).await?;
            out.push(Message {
                account: r.provider_id,
                kind: Kind::Review,
                title: format!(
                    "{} reviewed {}: {} stars",
                    r.buyer_name, r.listing_title, r.stars
                ),
                lines: if r.body.is_empty() {
                    vec!["You can reply once, from the booking page.".into()]
                } else {
                    vec![
                        format!("“{}”", r.body),
                        "You can reply once, from the booking page.".into(),
                    ]
                },
                link: format!("/bookings/{}", r.booking_id),
                ics: None,
            });
        }
        Event::ProviderDecided { account } => {
            let p = state.store.provider(*account).await?;
            let (title, line) = if p.status == "approved" {
                (
                    "You are an approved provider".to_string(),
                    "Create your first listing from the dashboard.".to_string(),
                )
            } else {
                (
                    "Your provider application was not approved".to_string(),
                    p.decision_reason
                        .clone()
                        .map(|r| format!("The operator says: {r}"))
                        .unwrap_or_default(),
                )
            };
            out.push(Message {
                account: *account,
                kind: Kind::Vetting,
                title,
                lines: vec![line],
                link: "/dashboard".into(),
                ics: None,
            });
        }
        Event::ListingDecided { listing } => {
            let l = state.store.listing(*listing).await?;
            let approved = l.review_status == "approved";
            let title = &l.working.title;
            out.push(Message {
                account: l.provider_id,
                kind: Kind::Vetting,
                title: if approved {
                    format!("“{title}” is live")
                } else {
                    format!("“{title}” needs changes")
                },
                lines: vec![match (&l.review_reason, approved) {
                    (Some(r), _) => format!("The operator says: {r}"),
                    (None, true) => "Buyers can find and book it now.".into(),
                    (None, false) => "Edit it and submit it again.".into(),
                }],
                link: format!("/listings/{listing}"),
                ics: None,
            });
        }
    }
    Ok(out)
}
