//! Signing up, in and out, and account settings.

use super::{Choice, FormErrors, NoticeQuery, RawForm, render, render_invalid};
use crate::actions::{self, SignupInput};
use crate::auth::{ClientIp, Viewer, check_credentials, clear_session_cookie, start_session};
use crate::error::{Failure, PageError};
use crate::state::AppState;
use crate::views::Chrome;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use onhand_core::Invalid;

#[derive(Template)]
#[template(path = "signup.html")]
pub struct Signup {
    chrome: Chrome,
    errors: FormErrors,
    display_name: String,
    email: String,
    time_zone: String,
}

pub async fn signup_form(viewer: Viewer) -> Response {
    if viewer.account.is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    render(&Signup {
        chrome: Chrome::new(&viewer),
        errors: FormErrors::default(),
        display_name: String::new(),
        email: String::new(),
        time_zone: String::new(),
    })
}

/// Where to go after signing in: only a local path, never another site.
fn safe_next(next: &str) -> &str {
    super::local_path(next).unwrap_or("/dashboard")
}

fn signed_in(cookie: axum::http::HeaderValue, to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

pub async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.csrf())?;
    let result = actions::signup(
        &state,
        SignupInput {
            email: form.get("email"),
            password: form.get("password"),
            display_name: form.get("display_name"),
            time_zone: form.get("time_zone"),
        },
    )
    .await;
    match result {
        Ok(account) => {
            let cookie = start_session(&state, account.id).await?;
            Ok(signed_in(cookie, "/dashboard?notice=welcome"))
        }
        Err(Failure::Invalid(errors)) => Ok(render_invalid(&Signup {
            chrome: Chrome::new(&viewer),
            errors: FormErrors(errors),
            display_name: form.get("display_name").to_string(),
            email: form.get("email").to_string(),
            time_zone: form.get("time_zone").to_string(),
        })),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
pub struct Signin {
    chrome: Chrome,
    error: String,
    email: String,
    next: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn signin_form(viewer: Viewer, Query(q): Query<NextQuery>) -> Response {
    if viewer.account.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    render(&Signin {
        chrome: Chrome::new(&viewer),
        error: String::new(),
        email: String::new(),
        next: q.next,
    })
}

pub async fn signin(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    form: RawForm,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.csrf())?;
    let email = form.get("email");
    match check_credentials(&state, email, form.get("password"), ip).await {
        Ok(account) => {
            // A fresh session on every sign-in: a token planted before sign-in is useless.
            if let Some(old) = viewer.session_hash() {
                state.store.delete_session(old).await?;
            }
            let cookie = start_session(&state, account.id).await?;
            Ok(signed_in(cookie, safe_next(form.get("next"))))
        }
        Err(f @ (Failure::Unauthorized(_) | Failure::Forbidden(_) | Failure::TooMany { .. })) => {
            let status = f.status_code();
            let retry_after = match &f {
                Failure::TooMany {
                    retry_after_secs, ..
                } => Some(*retry_after_secs),
                _ => None,
            };
            let mut r = render(&Signin {
                chrome: Chrome::new(&viewer),
                error: f.message(),
                email: email.to_string(),
                next: form.get("next").to_string(),
            });
            *r.status_mut() = status;
            if let Some(secs) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, secs.into());
            }
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn signout(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.csrf())?;
    if let Some(hash) = viewer.session_hash() {
        state.store.delete_session(hash).await?;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie(&state));
    Ok(r)
}

pub struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct Settings {
    chrome: Chrome,
    lang_legend: &'static str,
    notice: String,
    errors: FormErrors,
    display_name: String,
    time_zone: String,
    zones: Vec<Choice>,
    countries: Vec<Choice>,
    langs: Vec<Choice>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    feed_since: Option<String>,
    new_feed_url: Option<String>,
}

fn day(t: jiff::Timestamp, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
    form: Option<&RawForm>,
    new_token: Option<String>,
) -> Result<Response, PageError> {
    settings_page_with(state, viewer, notice, errors, form, new_token, None).await
}

async fn settings_page_with(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
    form: Option<&RawForm>,
    new_token: Option<String>,
    new_feed_url: Option<String>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let feed_since = state
        .store
        .calendar_feed_since(account.id)
        .await?
        .map(|t| day(t, &account.time_zone));
    let tokens = state.store.api_tokens(account.id).await?;
    let (name, tz, country, langs) = match form {
        Some(f) => (
            f.get("display_name").to_string(),
            f.get("time_zone").to_string(),
            f.get("country").to_string(),
            f.all("languages"),
        ),
        None => (
            account.display_name.clone(),
            account.time_zone.clone(),
            account.country.clone().unwrap_or_default(),
            account.languages.clone(),
        ),
    };
    let page = Settings {
        chrome: Chrome::new(viewer),
        lang_legend: "Languages you speak",
        notice: super::notice_text(notice).to_string(),
        display_name: name,
        zones: super::zone_choices(&tz),
        time_zone: tz,
        countries: super::country_choices(&country),
        langs: super::language_choices(&langs),
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name.clone(),
                created: day(t.created_at, &account.time_zone),
                last_used: t
                    .last_used_at
                    .map(|u| day(u, &account.time_zone))
                    .unwrap_or_else(|| "never".into()),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_token,
        feed_since,
        new_feed_url,
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    settings_page(&state, &viewer, &q.notice, Invalid::default(), None, None).await
}

pub async fn save_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    match actions::update_profile(
        &state,
        account,
        form.get("display_name"),
        form.get("time_zone"),
        &form.all("languages"),
        form.get("country"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/settings?notice=profile-saved").into_response()),
        Err(Failure::Invalid(errors)) => {
            settings_page(&state, &viewer, "", errors, Some(&form), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    match actions::change_password(
        &state,
        account,
        form.get("current_password"),
        form.get("new_password"),
        viewer.session_hash(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/settings?notice=password-changed").into_response()),
        Err(Failure::Invalid(errors)) => {
            settings_page(&state, &viewer, "", errors, None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    match actions::create_api_token(&state, account, form.get("name")).await {
        // Shown on this response only; it is never stored or shown again.
        Ok((_, secret)) => {
            settings_page(&state, &viewer, "", Invalid::default(), None, Some(secret)).await
        }
        Err(Failure::Invalid(errors)) => {
            settings_page(&state, &viewer, "", errors, None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "token")?;
    state
        .store
        .revoke_api_token(account.id, id, crate::auth::now())
        .await
        .map_err(|_| Failure::not_found("live token"))?;
    Ok(Redirect::to("/settings?notice=token-revoked").into_response())
}

pub async fn reset_calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let path = crate::schedule::reset_calendar_feed(&state, account).await?;
    let url = format!("{}{path}", crate::schedule::origin(&state, &headers));
    settings_page_with(
        &state,
        &viewer,
        "",
        Invalid::default(),
        None,
        None,
        Some(url),
    )
    .await
}

pub async fn stop_calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    crate::schedule::stop_calendar_feed(&state, account).await?;
    Ok(Redirect::to("/settings?notice=feed-stopped").into_response())
}
