//! Server-rendered pages: browsing, accounts, the provider dashboard, the operator console.
//!
//! Architecture invariant: every POST handler checks the CSRF token before anything else,
//! and a form with errors is shown again with what the person typed and why it failed.

mod account;
mod admin;
mod booking;
mod browse;
mod dashboard;
mod money;
mod notifications;

pub use notifications::job_state;
mod reputation;

use crate::error::{Failure, PageError};
use crate::state::AppState;
use crate::views::Chrome;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use onhand_core::{FieldError, Invalid};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(browse::home))
        .route("/c/{slug}", get(browse::category_page))
        .route("/search", get(browse::search))
        .route("/listings/{id}", get(browse::listing))
        .route("/providers/{id}", get(browse::provider))
        .route("/orgs/{slug}", get(browse::organization))
        .route("/signup", get(account::signup_form).post(account::signup))
        .route("/signin", get(account::signin_form).post(account::signin))
        .route("/signout", post(account::signout))
        .route("/settings", get(account::settings))
        .route("/settings/profile", post(account::save_profile))
        .route("/settings/password", post(account::change_password))
        .route("/settings/tokens", post(account::create_token))
        .route("/settings/tokens/{id}/revoke", post(account::revoke_token))
        .route("/dashboard", get(dashboard::dashboard))
        .route(
            "/dashboard/schedule",
            get(booking::schedule_form).post(booking::save_schedule),
        )
        .route("/listings/{id}/book", post(money::book))
        .route("/listings/{id}/checkout", get(money::checkout))
        .route("/wallet", get(money::wallet))
        .route("/wallet/topups", post(money::top_up))
        .route("/earnings", get(money::earnings))
        .route("/payouts", post(money::pay_out))
        .route(
            "/bookings/{id}/refund-requests",
            post(money::request_refund),
        )
        .route("/refund-requests/{id}/{answer}", post(money::answer_refund))
        .route("/admin/finance", get(money::finance))
        .route("/bookings/{id}/review", post(reputation::save_review))
        .route("/bookings/{id}/buyer-rating", post(reputation::rate_buyer))
        .route("/bookings/{id}/block", post(reputation::block))
        .route("/bookings/{id}/unblock", post(reputation::unblock))
        .route("/reviews/{id}/reply", post(reputation::reply))
        .route("/reviews/{id}/helpful", post(reputation::helpful))
        .route("/reports", post(reputation::report))
        .route("/admin/reports", get(reputation::reports))
        .route("/admin/reports/{id}/{action}", post(reputation::moderate))
        .route(
            "/admin/listings/{id}/restore",
            post(reputation::restore_listing),
        )
        .route(
            "/admin/reviews/{id}/restore",
            post(reputation::restore_review),
        )
        .route(
            "/admin/messages/{id}/restore",
            post(reputation::restore_message),
        )
        .route("/admin/audit", get(reputation::audit))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::read_all))
        .route("/notifications/{id}", get(notifications::open))
        .route(
            "/settings/notifications",
            get(notifications::settings).post(notifications::save_settings),
        )
        .route(
            "/unsubscribe/{token}",
            get(notifications::unsubscribe_form).post(notifications::unsubscribe),
        )
        .route("/admin/jobs", get(notifications::jobs))
        .route("/bookings/{id}/room", get(booking::room_page))
        .route("/bookings/{id}/room/ws", get(crate::room::socket))
        .route("/admin/jobs/{id}/retry", post(notifications::retry_job))
        .route("/bookings", get(booking::my_bookings))
        .route("/bookings/{id}", get(booking::booking))
        .route("/bookings/{id}/calendar.ics", get(booking::calendar_file))
        .route("/bookings/{id}/cancel", post(booking::cancel))
        .route("/bookings/{id}/session/{step}", post(booking::session_step))
        .route("/bookings/{id}/reschedule", post(booking::reschedule))
        .route("/bookings/{id}/propose", post(booking::propose))
        .route("/calendar/{file}", get(booking::calendar_feed))
        .route("/listings/{id}/help-now", post(booking::ask_help_now))
        .route("/help-now/{id}", get(booking::help_now_page))
        .route("/help-now/{id}/leave", post(booking::leave_help_now))
        .route("/help-now/{id}/accept", post(booking::accept_help_now))
        .route("/settings/calendar", post(account::reset_calendar))
        .route("/settings/calendar/stop", post(account::stop_calendar))
        .route("/bookings/{id}/proposal/{answer}", post(booking::answer))
        .route(
            "/dashboard/apply",
            get(dashboard::apply_form).post(dashboard::apply),
        )
        .route(
            "/dashboard/listings/new",
            get(dashboard::new_listing_form).post(dashboard::create_listing),
        )
        .route(
            "/dashboard/listings/{id}/edit",
            get(dashboard::edit_listing_form).post(dashboard::update_listing),
        )
        .route(
            "/dashboard/listings/{id}/{action}",
            post(dashboard::listing_action),
        )
        .route("/dashboard/orgs", post(dashboard::create_organization))
        .route(
            "/dashboard/orgs/{slug}/members",
            post(dashboard::add_member),
        )
        .route(
            "/admin",
            get(|| async { axum::response::Redirect::to("/admin/providers") }),
        )
        .route("/admin/providers", get(admin::providers))
        .route(
            "/admin/providers/{id}/{decision}",
            post(admin::decide_provider),
        )
        .route("/admin/listings", get(admin::listings))
        .route(
            "/admin/listings/{id}/{decision}",
            post(admin::decide_listing),
        )
        .route("/admin/accounts", get(admin::accounts))
        .route("/admin/accounts/{id}/{action}", post(admin::account_action))
        .route(
            "/static/onhand.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../static/onhand.css"),
                )
            }),
        )
        .route(
            "/static/onhand.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/onhand.js"),
                )
            }),
        )
        .route(
            "/static/room.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/room.js"),
                )
            }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { asset("image/svg+xml", include_str!("../../static/favicon.svg")) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/static/favicon.svg") }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Renders a template, or logs and answers 500 if it cannot.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side",
            )
                .into_response()
        }
    }
}

/// `raw` if it is a path on this site, `None` for anything that could lead elsewhere
/// (another host, a scheme-relative `//` URL, backslash tricks).
pub fn local_path(raw: &str) -> Option<&str> {
    (raw.starts_with('/') && !raw.starts_with("//") && !raw.contains('\\')).then_some(raw)
}

/// A numeric id from a path segment, or a 404 naming `what` was not found.
pub fn path_id(raw: &str, what: &str) -> Result<i64, crate::error::Failure> {
    raw.parse()
        .map_err(|_| crate::error::Failure::not_found(what))
}

/// Renders a form page again with a 422 status, for a submission that had errors.
pub fn render_invalid(t: &impl Template) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// Renders a form page: 200 when `errors` is empty, 422 when it shows what to fix.
pub fn render_form(t: &impl Template, errors: &Invalid) -> Response {
    if errors.is_empty() {
        render(t)
    } else {
        render_invalid(t)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// A submitted form as name/value pairs, keeping repeated names (checkbox groups).
/// Reading fields by hand means no field can fail deserialization: every problem is
/// reported by the validation that follows, next to its field.
pub struct RawForm(Vec<(String, String)>);

impl RawForm {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn csrf(&self) -> &str {
        self.get("csrf")
    }
}

impl<S: Send + Sync> FromRequest<S> for RawForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(Failure::BadRequest(
                "send this form as application/x-www-form-urlencoded".into(),
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            Failure::BadRequest(format!(
                "the form is larger than {} bytes",
                crate::BODY_LIMIT_BYTES
            ))
        })?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        if pairs.len() > 500 {
            return Err(Failure::BadRequest("the form has more than 500 fields".into()).into());
        }
        Ok(RawForm(pairs))
    }
}

/// Field errors as templates read them.
#[derive(Default)]
pub struct FormErrors(pub Invalid);

impl FormErrors {
    pub fn has(&self, field: &str) -> bool {
        self.0.message_for(field).is_some()
    }

    pub fn get(&self, field: &str) -> &str {
        self.0.message_for(field).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[FieldError] {
        &self.0.0
    }
}

/// One option of a select, checkbox group or radio group.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub fn language_choices(selected: &[String]) -> Vec<Choice> {
    onhand_core::locale::LANGUAGES
        .iter()
        .map(|l| Choice {
            value: l.code.to_string(),
            label: if l.native == l.name {
                l.name.to_string()
            } else {
                format!("{} ({})", l.name, l.native)
            },
            checked: selected.iter().any(|s| s == l.code),
        })
        .collect()
}

pub fn country_choices(selected: &str) -> Vec<Choice> {
    onhand_core::locale::COUNTRIES
        .iter()
        .map(|c| Choice {
            value: c.code.to_string(),
            label: c.name.to_string(),
            checked: c.code == selected,
        })
        .collect()
}

/// The IANA zone names people choose from, read from the time zone database once.
static ZONE_NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n.contains('/') || n == "UTC")
        .collect();
    names.sort();
    names.dedup();
    names
});

/// Every IANA zone name, with `selected` (or UTC) chosen.
pub fn zone_choices(selected: &str) -> Vec<Choice> {
    let selected = if selected.is_empty() { "UTC" } else { selected };
    ZONE_NAMES
        .iter()
        .map(|n| Choice {
            checked: n == selected,
            label: String::new(),
            value: n.clone(),
        })
        .collect()
}

/// Maps a notice code in a redirect to its text, so no user text is ever reflected.
pub fn notice_text(code: &str) -> &'static str {
    match code {
        "applied" => "Application sent. An operator will review it soon.",
        "profile-saved" => "Profile saved.",
        "password-changed" => "Password changed. Other browsers have been signed out.",
        "token-revoked" => "Token revoked.",
        "feed-stopped" => "Calendar feed stopped; its URL no longer works.",
        "listing-saved" => "Draft saved.",
        "listing-submitted" => "Sent for review. It goes live once an operator approves it.",
        "listing-paused" => "Paused: the listing is hidden until you unpause it.",
        "listing-unpaused" => "Unpaused: the listing is public again.",
        "org-created" => "Organization created.",
        "member-added" => "Member added.",
        "approved" => "Approved.",
        "rejected" => "Rejected; the reason was sent.",
        "suspended" => "Account suspended.",
        "unsuspended" => "Suspension lifted.",
        "welcome" => "Welcome to Onhand! Your account is ready.",
        _ => "",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    pub notice: String,
}
