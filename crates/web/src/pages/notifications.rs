//! The bell's pages: notifications, email preferences, one-click unsubscribe, and the
//! operator's view of the job queue.

use super::admin::when;
use super::{FormErrors, RawForm};
use crate::auth::{Viewer, now};
use crate::error::{Failure, PageError};
use crate::notify::Kind;
use crate::state::AppState;
use crate::views::{Chrome, Pager};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use onhand_core::Invalid;
use onhand_store::{Page, QueueCounts, StoreError};

const PER_PAGE: u32 = 30;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub notice: String,
    #[serde(default)]
    pub state: String,
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct List {
    chrome: Chrome,
    notice: String,
    rows: Vec<Row>,
    pager: Pager,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let found = state
        .store
        .notifications(account.id, Page::nth(page, PER_PAGE))
        .await?;
    let tz = jiff::tz::TimeZone::get(&account.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(super::render(&List {
        chrome: Chrome::new(&viewer),
        notice: if q.notice == "read" {
            "All marked as read.".into()
        } else {
            String::new()
        },
        rows: found
            .items
            .iter()
            .map(|n| Row {
                id: n.id,
                title: n.title.clone(),
                body: n.body.clone(),
                at: n
                    .created_at
                    .to_zoned_datetime(tz.clone())
                    .strftime("%a %-d %b, %H:%M")
                    .to_string(),
                unread: n.read_at.is_none(),
            })
            .collect(),
        pager: Pager::new(page, PER_PAGE, found.total, "/notifications?".into()),
    }))
}

/// Opens a notification: marks it read and goes where it points.
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let id = super::path_id(&id, "notification")?;
    let n = match state.store.notification(id).await {
        Ok(n) if n.account_id == account.id => n,
        Ok(_) | Err(StoreError::NotFound) => return Err(Failure::not_found("notification").into()),
        Err(e) => return Err(e.into()),
    };
    state.store.mark_read(account.id, Some(id), now()).await?;
    Ok(Redirect::to(super::local_path(&n.link).unwrap_or("/notifications")).into_response())
}

pub async fn read_all(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    state.store.mark_read(account.id, None, now()).await?;
    Ok(Redirect::to("/notifications?notice=read").into_response())
}

pub struct Pref {
    pub kind: &'static str,
    pub label: &'static str,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
pub struct Settings {
    chrome: Chrome,
    notice: String,
    prefs: Vec<Pref>,
    email: String,
}

pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let off = state.store.emails_off(account.id).await?;
    Ok(super::render(&Settings {
        chrome: Chrome::new(&viewer),
        notice: if q.notice == "saved" {
            "Saved.".into()
        } else {
            String::new()
        },
        prefs: Kind::ALL
            .iter()
            .map(|k| Pref {
                kind: k.as_str(),
                label: k.label(),
                on: !off.iter().any(|o| o == k.as_str()),
            })
            .collect(),
        email: account.email.clone(),
    }))
}

/// Saves which kinds are emailed: a checked box is on, every other kind off.
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let on = form.all("email");
    if let Some(bad) = on.iter().find(|k| Kind::parse(k).is_none()) {
        return Err(Failure::Invalid(Invalid::one(
            "email",
            format!("{bad:?} is not a kind of notification"),
        ))
        .into());
    }
    for k in Kind::ALL {
        state
            .store
            .set_email(account.id, k.as_str(), on.iter().any(|o| o == k.as_str()))
            .await?;
    }
    Ok(Redirect::to("/settings/notifications?notice=saved").into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct UnsubscribeQuery {
    #[serde(default)]
    pub kind: String,
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
pub struct Unsubscribe {
    chrome: Chrome,
    done: bool,
    label: String,
    action: String,
}

async fn unsubscribe_target(
    state: &AppState,
    token: &str,
    kind: &str,
) -> Result<(i64, Kind), Failure> {
    let Some(kind) = Kind::parse(kind) else {
        return Err(Invalid::one("kind", format!("{kind:?} is not a kind of notification")).into());
    };
    match state.store.account_by_unsubscribe_token(token).await {
        Ok(id) => Ok((id, kind)),
        Err(StoreError::NotFound) => Err(Failure::NotFound(
            "this unsubscribe link is not valid; change your settings after signing in".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The link in an email: asks before turning the kind off (mail scanners follow links).
pub async fn unsubscribe_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<Response, PageError> {
    let (_, kind) = unsubscribe_target(&state, &token, &q.kind).await?;
    Ok(super::render(&Unsubscribe {
        chrome: Chrome::new(&viewer),
        done: false,
        label: kind.label().into(),
        action: format!("/unsubscribe/{token}?kind={}", kind.as_str()),
    }))
}

/// One click (RFC 8058): the token in the link is the credential, so no CSRF token.
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<Response, PageError> {
    let (account, kind) = unsubscribe_target(&state, &token, &q.kind).await?;
    state.store.set_email(account, kind.as_str(), false).await?;
    tracing::info!(account, kind = kind.as_str(), "unsubscribed by link");
    Ok(super::render(&Unsubscribe {
        chrome: Chrome::new(&viewer),
        done: true,
        label: kind.label().into(),
        action: String::new(),
    }))
}

pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub run_at: String,
    pub attempts: String,
    pub error: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
pub struct Jobs {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    jobs: onhand_store::JobCounts,
    state: String,
    rows: Vec<JobRow>,
    pager: Pager,
}

pub fn job_state(raw: &str) -> Result<&'static str, Failure> {
    match raw {
        "" | "pending" => Ok("pending"),
        "running" => Ok("running"),
        "failed" => Ok("failed"),
        "done" => Ok("done"),
        "cancelled" => Ok("cancelled"),
        other => Err(Invalid::one(
            "state",
            format!("{other:?} is not one of pending, running, failed, done, cancelled"),
        )
        .into()),
    }
}

pub async fn jobs(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let js = job_state(&q.state)?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let found = state.store.jobs(js, Page::nth(page, PER_PAGE)).await?;
    Ok(super::render(&Jobs {
        chrome: Chrome::new(&viewer),
        notice: if q.notice == "retried" {
            "Back in line.".into()
        } else {
            String::new()
        },
        errors: FormErrors(Invalid::default()),
        tab: "jobs",
        counts: state.store.queue_counts().await?,
        jobs: state.store.job_counts().await?,
        state: js.into(),
        rows: found
            .items
            .into_iter()
            .map(|j| JobRow {
                id: j.id,
                failed: j.state == "failed",
                kind: j.kind,
                payload: j.payload,
                run_at: when(j.run_at),
                attempts: format!("{} of {}", j.attempts, j.max_attempts),
                error: j.last_error.unwrap_or_default(),
            })
            .collect(),
        pager: Pager::new(
            page,
            PER_PAGE,
            found.total,
            format!("/admin/jobs?state={js}&"),
        ),
    }))
}

pub async fn retry_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let id = super::path_id(&id, "job")?;
    state
        .store
        .retry_job(id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("job"),
            e => e.into(),
        })?;
    state.jobs_wake.notify_one();
    Ok(Redirect::to("/admin/jobs?state=failed&notice=retried").into_response())
}
