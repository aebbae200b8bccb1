//! Notifications, email preferences and the job queue over the API.

use super::{ApiJson, ApiQuery, IdPath, Paging};
use crate::auth::{ApiCaller, now};
use crate::error::{ApiError, ErrorBody, Failure};
use crate::notify::Kind;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use onhand_core::Invalid;
use onhand_store::{Job, Notification, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct NotificationBody {
    pub id: i64,
    /// booking, reminder, change, help_now, refund, payout, review or vetting.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path on this site.
    pub link: String,
    pub created_at: String,
    pub read: bool,
    pub emailed: bool,
}

impl From<&Notification> for NotificationBody {
    fn from(n: &Notification) -> Self {
        NotificationBody {
            id: n.id,
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            created_at: n.created_at.to_string(),
            read: n.read_at.is_some(),
            emailed: n.emailed_at.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationBody>,
    pub unread: i64,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = NotificationPage)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<NotificationPage>, ApiError> {
    let (window, page, per_page) = q.window()?;
    let found = state
        .store
        .notifications(caller.0.id, window)
        .await
        .map_err(Failure::from)?;
    Ok(Json(NotificationPage {
        items: found.items.iter().map(NotificationBody::from).collect(),
        unread: state
            .store
            .unread_count(caller.0.id)
            .await
            .map_err(Failure::from)?,
        page,
        per_page,
        total: found.total,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ReadBody {
    /// How many changed from unread to read.
    pub marked: u64,
    pub unread: i64,
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ReadBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ReadBody>, ApiError> {
    let marked = state
        .store
        .mark_read(caller.0.id, Some(id), now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("notification"),
            e => e.into(),
        })?;
    let unread = state
        .store
        .unread_count(caller.0.id)
        .await
        .map_err(Failure::from)?;
    Ok(Json(ReadBody { marked, unread }))
}

/// Marks every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = ReadBody)))]
pub async fn read_all(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ReadBody>, ApiError> {
    let marked = state
        .store
        .mark_read(caller.0.id, None, now())
        .await
        .map_err(Failure::from)?;
    Ok(Json(ReadBody { marked, unread: 0 }))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct EmailPreference {
    pub kind: String,
    pub label: String,
    pub email: bool,
}

/// Which kinds of notification are also emailed.
#[utoipa::path(get, path = "/api/v1/me/email-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = [EmailPreference])))]
pub async fn preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<EmailPreference>>, ApiError> {
    let off = state
        .store
        .emails_off(caller.0.id)
        .await
        .map_err(Failure::from)?;
    Ok(Json(
        Kind::ALL
            .iter()
            .map(|k| EmailPreference {
                kind: k.as_str().into(),
                label: k.label().into(),
                email: !off.iter().any(|o| o == k.as_str()),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceChange {
    pub kind: String,
    pub email: bool,
}

/// Turns email on or off per kind; kinds not named keep their setting.
#[utoipa::path(put, path = "/api/v1/me/email-preferences", tag = "notifications", security(("bearer" = [])),
    request_body = [PreferenceChange], responses((status = 200, body = [EmailPreference]), (status = 422, body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(changes): ApiJson<Vec<PreferenceChange>>,
) -> Result<Json<Vec<EmailPreference>>, ApiError> {
    let mut errors = Invalid::default();
    for c in &changes {
        if Kind::parse(&c.kind).is_none() {
            errors.push(
                "kind",
                format!(
                    "{:?} is not one of booking, reminder, change, help_now, refund, payout, review, vetting",
                    c.kind
                ),
            );
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Invalid(errors).into());
    }
    for c in &changes {
        state
            .store
            .set_email(caller.0.id, &c.kind, c.email)
            .await
            .map_err(Failure::from)?;
    }
    preferences(State(state), caller).await
}

#[derive(Serialize, ToSchema)]
pub struct JobBody {
    pub id: i64,
    pub kind: String,
    /// The job's input, as JSON text.
    pub payload: String,
    pub state: String,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}

impl From<&Job> for JobBody {
    fn from(j: &Job) -> Self {
        JobBody {
            id: j.id,
            kind: j.kind.clone(),
            payload: j.payload.clone(),
            state: j.state.clone(),
            run_at: j.run_at.to_string(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// pending (default), running, failed, done or cancelled.
    pub state: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// The job queue, by state: what is due, and what failed with which error.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", security(("bearer" = [])), params(JobsQuery),
    responses((status = 200, body = JobPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn jobs(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> Result<Json<JobPage>, ApiError> {
    caller.require_operator()?;
    let js = crate::pages::job_state(q.state.as_deref().unwrap_or(""))?;
    let (window, page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let found = state.store.jobs(js, window).await.map_err(Failure::from)?;
    Ok(Json(JobPage {
        items: found.items.iter().map(JobBody::from).collect(),
        page,
        per_page,
        total: found.total,
    }))
}

/// Puts a failed job back in line.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = JobBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<JobBody>, ApiError> {
    caller.require_operator()?;
    let j = state
        .store
        .retry_job(id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("job"),
            e => e.into(),
        })?;
    state.jobs_wake.notify_one();
    Ok(Json(JobBody::from(&j)))
}
