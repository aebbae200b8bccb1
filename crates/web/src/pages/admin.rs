//! The operator console: provider and listing review queues, accounts.

use super::{FormErrors, NoticeQuery, RawForm};
use crate::actions;
use crate::auth::Viewer;
use crate::error::{Failure, PageError};
use crate::state::AppState;
use crate::views::{self, Chrome, Pager};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use onhand_core::Invalid;
use onhand_core::catalog::category;
use onhand_store::{Page, QueueCounts};

/// Items per page in each operator list.
const PER_PAGE: u32 = 25;

pub struct AppRow {
    account_id: i64,
    display_name: String,
    email: String,
    submitted: String,
    headline: String,
    bio: String,
    experience: String,
    languages: String,
    country: String,
    time_zone: String,
    licence_number: Option<String>,
    licence_authority: String,
}

#[derive(Template)]
#[template(path = "admin_providers.html")]
pub struct Providers {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    apps: Vec<AppRow>,
}

pub(super) fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

async fn providers_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let found = state
        .store
        .provider_applications(
            "submitted",
            Page {
                offset: 0,
                limit: i64::from(PER_PAGE),
            },
        )
        .await?;
    let mut apps = Vec::new();
    for p in &found.items {
        let account = state.store.account(p.account_id).await?;
        apps.push(AppRow {
            account_id: p.account_id,
            display_name: p.display_name.clone(),
            email: account.email,
            submitted: when(p.submitted_at),
            headline: p.headline.clone(),
            bio: p.bio.clone(),
            experience: p.experience.clone(),
            languages: views::language_names(&p.languages),
            country: views::country_name(&p.country),
            time_zone: p.time_zone.clone(),
            licence_number: p.licence_number.clone(),
            licence_authority: p.licence_authority.clone().unwrap_or_default(),
        });
    }
    let page = Providers {
        chrome: Chrome::new(viewer),
        notice: super::notice_text(notice).into(),
        tab: "providers",
        counts: state.store.queue_counts().await?,
        apps,
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn providers(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    providers_page(&state, &viewer, &q.notice, Invalid::default()).await
}

use super::path_id as parse_id;

fn approve_or_reject(decision: &str) -> Result<bool, Failure> {
    match decision {
        "approve" => Ok(true),
        "reject" => Ok(false),
        other => Err(Failure::NotFound(format!("there is no decision {other:?}"))),
    }
}

pub async fn decide_provider(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, decision)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let op = viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let approve = approve_or_reject(&decision)?;
    match actions::decide_provider(
        &state,
        op,
        parse_id(&id, "application")?,
        approve,
        Some(form.get("reason")),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/admin/providers?notice={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response()),
        Err(Failure::Invalid(errors)) => providers_page(&state, &viewer, "", errors).await,
        Err(e) => Err(e.into()),
    }
}

pub struct ReviewRow {
    id: i64,
    title: String,
    description: String,
    provider_id: i64,
    provider_name: String,
    organization: Option<String>,
    category: String,
    price: String,
    facts: String,
    is_edit: bool,
}

#[derive(Template)]
#[template(path = "admin_listings.html")]
pub struct Listings {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    items: Vec<ReviewRow>,
}

async fn listings_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let found = state
        .store
        .listings_in_review(Page {
            offset: 0,
            limit: i64::from(PER_PAGE),
        })
        .await?;
    let page = Listings {
        chrome: Chrome::new(viewer),
        notice: super::notice_text(notice).into(),
        tab: "listings",
        counts: state.store.queue_counts().await?,
        items: found
            .items
            .iter()
            .map(|l| {
                let v = &l.working;
                let cat = category(&v.category);
                ReviewRow {
                    id: l.id,
                    title: v.title.clone(),
                    description: v.description.clone(),
                    provider_id: l.provider_id,
                    provider_name: l.provider_name.clone(),
                    organization: l.organization_name.clone(),
                    category: format!(
                        "{} › {}",
                        cat.map(|c| c.name).unwrap_or(""),
                        cat.and_then(|c| c.subcategory(&v.subcategory))
                            .map(|s| s.name)
                            .unwrap_or("")
                    ),
                    price: views::price_label(v),
                    facts: format!(
                        "{} min · group size {} · {} · {} cancellation · tags: {}",
                        v.session_minutes,
                        v.group_size,
                        views::language_names(&v.languages),
                        v.cancellation_policy,
                        if v.tags.is_empty() {
                            "none".to_string()
                        } else {
                            v.tags.join(", ")
                        }
                    ),
                    is_edit: l.published.is_some(),
                }
            })
            .collect(),
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn listings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    listings_page(&state, &viewer, &q.notice, Invalid::default()).await
}

pub async fn decide_listing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, decision)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let op = viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let approve = approve_or_reject(&decision)?;
    match actions::decide_listing(
        &state,
        op,
        parse_id(&id, "listing")?,
        approve,
        Some(form.get("reason")),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/admin/listings?notice={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response()),
        Err(Failure::Invalid(errors)) => listings_page(&state, &viewer, "", errors).await,
        Err(e) => Err(e.into()),
    }
}

pub struct AccountRow {
    id: i64,
    name: String,
    email: String,
    joined: String,
    is_operator: bool,
    suspended_reason: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
pub struct Accounts {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    tab: &'static str,
    counts: QueueCounts,
    query: String,
    accounts: Vec<AccountRow>,
    pager: Pager,
}

#[derive(serde::Deserialize, Default)]
pub struct AccountsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    notice: String,
    page: Option<String>,
}

async fn accounts_page(
    state: &AppState,
    viewer: &Viewer,
    q: AccountsQuery,
    errors: Invalid,
) -> Result<Response, PageError> {
    viewer.require_operator()?;
    let page: u32 = match q.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                Failure::BadRequest(format!("page {p:?} is not a number in 1..=10000"))
            })?,
    };
    if q.q.chars().count() > 200 {
        return Err(Failure::BadRequest("q must be at most 200 characters".into()).into());
    }
    let query = Some(q.q.trim()).filter(|s| !s.is_empty());
    let found = state
        .store
        .accounts(query, Page::nth(page, PER_PAGE))
        .await?;
    let base = format!(
        "/admin/accounts?q={}&",
        url::form_urlencoded::byte_serialize(q.q.as_bytes()).collect::<String>()
    );
    let page = Accounts {
        chrome: Chrome::new(viewer),
        notice: super::notice_text(&q.notice).into(),
        tab: "accounts",
        counts: state.store.queue_counts().await?,
        accounts: found
            .items
            .iter()
            .map(|a| AccountRow {
                id: a.id,
                name: a.display_name.clone(),
                email: a.email.clone(),
                joined: a.created_at.strftime("%Y-%m-%d").to_string(),
                is_operator: a.is_operator,
                suspended_reason: a
                    .suspended_at
                    .map(|_| a.suspended_reason.clone().unwrap_or_default()),
            })
            .collect(),
        pager: Pager::new(page, PER_PAGE, found.total, base),
        query: q.q,
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn accounts(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    accounts_page(&state, &viewer, q, Invalid::default()).await
}

pub async fn account_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let op = viewer.require_operator()?;
    viewer.check_csrf(form.csrf())?;
    let id = parse_id(&id, "account")?;
    let result = match action.as_str() {
        "suspend" => actions::suspend(&state, op, id, form.get("reason"))
            .await
            .map(|_| "suspended"),
        "unsuspend" => actions::unsuspend(&state, op, id)
            .await
            .map(|_| "unsuspended"),
        other => {
            return Err(Failure::NotFound(format!("there is no account action {other:?}")).into());
        }
    };
    match result {
        Ok(notice) => Ok(Redirect::to(&format!("/admin/accounts?notice={notice}")).into_response()),
        Err(Failure::Invalid(errors)) => {
            accounts_page(&state, &viewer, AccountsQuery::default(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}
