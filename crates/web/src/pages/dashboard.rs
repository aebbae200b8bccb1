//! The provider dashboard: applying, listings, organizations.

use super::{Choice, FormErrors, NoticeQuery, RawForm, render, render_invalid};
use crate::actions::{self, ListingOwner};
use crate::auth::Viewer;
use crate::error::{Failure, PageError};
use crate::state::AppState;
use crate::views::{self, Chrome};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use onhand_core::Invalid;
use onhand_core::catalog::{CATEGORIES, ListingInput, ReviewStatus};
use onhand_core::money::{Currency, Money};
use onhand_core::provider::ApplicationInput;
use onhand_store::{Listing, Page, Provider};

/// Listings shown on the dashboard.
const DASHBOARD_LISTINGS: i64 = 200;

pub struct ListingRow {
    id: i64,
    title: String,
    price: String,
    status: String,
    reason: Option<String>,
    organization: Option<String>,
    provider_name: String,
    is_public: bool,
    paused: bool,
    has_live_version: bool,
    can_submit: bool,
}

pub struct OrgRow {
    slug: String,
    name: String,
    is_owner: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    provider: Option<Provider>,
    approved: bool,
    listings: Vec<ListingRow>,
    orgs: Vec<OrgRow>,
    org_name: String,
    org_description: String,
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    notice: &str,
    errors: Invalid,
    form: Option<&RawForm>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let provider = actions::provider_of(state, account.id).await?;
    let approved = provider.as_ref().is_some_and(Provider::is_approved);
    let listings = if approved {
        state
            .store
            .listings_managed_by(
                account.id,
                Page {
                    offset: 0,
                    limit: DASHBOARD_LISTINGS,
                },
            )
            .await?
            .items
    } else {
        Vec::new()
    };
    let orgs = state.store.organizations_of(account.id).await?;
    let page = Dashboard {
        chrome: Chrome::new(viewer),
        notice: super::notice_text(notice).to_string(),
        provider,
        approved,
        listings: listings
            .iter()
            .map(|l: &Listing| ListingRow {
                id: l.id,
                title: l.working.title.clone(),
                price: views::price_label(&l.working),
                status: l.review_status.clone(),
                reason: l
                    .review_reason
                    .clone()
                    .filter(|_| l.review_status == "rejected"),
                organization: l.organization_name.clone(),
                provider_name: l.provider_name.clone(),
                is_public: l.is_public,
                paused: l.paused,
                has_live_version: l.published.is_some(),
                can_submit: ReviewStatus::parse(&l.review_status).is_some_and(|s| s.can_submit()),
            })
            .collect(),
        orgs: orgs
            .iter()
            .map(|o| OrgRow {
                slug: o.slug.clone(),
                name: o.name.clone(),
                is_owner: o.owner_id == account.id,
            })
            .collect(),
        org_name: form.map(|f| f.get("name").to_string()).unwrap_or_default(),
        org_description: form
            .map(|f| f.get("description").to_string())
            .unwrap_or_default(),
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    dashboard_page(&state, &viewer, &q.notice, Invalid::default(), None).await
}

pub struct ApplicationFields {
    headline: String,
    bio: String,
    experience: String,
    time_zone: String,
    licence_number: String,
    licence_authority: String,
    health: bool,
}

#[derive(Template)]
#[template(path = "apply.html")]
pub struct Apply {
    chrome: Chrome,
    lang_legend: &'static str,
    errors: FormErrors,
    reapply: bool,
    f: ApplicationFields,
    zones: Vec<Choice>,
    countries: Vec<Choice>,
    langs: Vec<Choice>,
}

pub async fn apply_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let existing = actions::provider_of(&state, account.id).await?;
    let page = match &existing {
        Some(p) => Apply {
            chrome: Chrome::new(&viewer),
            lang_legend: "Languages you speak",
            errors: FormErrors::default(),
            reapply: true,
            f: ApplicationFields {
                headline: p.headline.clone(),
                bio: p.bio.clone(),
                experience: p.experience.clone(),
                time_zone: p.time_zone.clone(),
                licence_number: p.licence_number.clone().unwrap_or_default(),
                licence_authority: p.licence_authority.clone().unwrap_or_default(),
                health: p.is_licensed(),
            },
            zones: super::zone_choices(&p.time_zone),
            countries: super::country_choices(&p.country),
            langs: super::language_choices(&p.languages),
        },
        None => Apply {
            chrome: Chrome::new(&viewer),
            lang_legend: "Languages you speak",
            errors: FormErrors::default(),
            reapply: false,
            f: ApplicationFields {
                headline: String::new(),
                bio: String::new(),
                experience: String::new(),
                time_zone: account.time_zone.clone(),
                licence_number: String::new(),
                licence_authority: String::new(),
                health: false,
            },
            zones: super::zone_choices(&account.time_zone),
            countries: super::country_choices(account.country.as_deref().unwrap_or("")),
            langs: super::language_choices(&account.languages),
        },
    };
    Ok(render(&page))
}

pub async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let input = ApplicationInput {
        headline: form.get("headline").into(),
        bio: form.get("bio").into(),
        languages: form.all("languages"),
        time_zone: form.get("time_zone").into(),
        country: form.get("country").into(),
        experience: form.get("experience").into(),
        licence_number: form.get("licence_number").into(),
        licence_authority: form.get("licence_authority").into(),
    };
    let health = form.get("health") == "on";
    match actions::apply_as_provider(&state, account, &input, health).await {
        Ok(_) => Ok(Redirect::to("/dashboard?notice=applied").into_response()),
        Err(Failure::Invalid(errors)) => {
            let existing = actions::provider_of(&state, account.id).await?;
            Ok(render_invalid(&Apply {
                chrome: Chrome::new(&viewer),
                lang_legend: "Languages you speak",
                errors: FormErrors(errors),
                reapply: existing.is_some(),
                zones: super::zone_choices(&input.time_zone),
                countries: super::country_choices(&input.country),
                langs: super::language_choices(&input.languages),
                f: ApplicationFields {
                    headline: input.headline,
                    bio: input.bio,
                    experience: input.experience,
                    time_zone: input.time_zone,
                    licence_number: input.licence_number,
                    licence_authority: input.licence_authority,
                    health,
                },
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Listing fields as the form holds them (text, as typed).
pub struct ListingFields {
    title: String,
    description: String,
    tags: String,
    price_model: String,
    price: String,
    minimum_minutes: String,
    session_minutes: String,
    group_size: String,
    intro_video_url: String,
}

pub struct ChoiceGroup {
    label: String,
    choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "listing_form.html")]
pub struct ListingForm {
    chrome: Chrome,
    lang_legend: &'static str,
    errors: FormErrors,
    listing_id: Option<i64>,
    live: bool,
    action: String,
    currency: String,
    f: ListingFields,
    groups: Vec<ChoiceGroup>,
    langs: Vec<Choice>,
    policies: Vec<Choice>,
    orgs: Vec<Choice>,
    /// Members of organizations the viewer owns, who may deliver its listings.
    members: Vec<Choice>,
}

/// The state of a listing form: what was typed plus the chosen options.
struct FormState {
    f: ListingFields,
    category: String,
    languages: Vec<String>,
    policy: String,
    organization: String,
    delivered_by: String,
}

fn form_state(form: &RawForm) -> FormState {
    FormState {
        f: ListingFields {
            title: form.get("title").into(),
            description: form.get("description").into(),
            tags: form.get("tags").into(),
            price_model: form.get("price_model").into(),
            price: form.get("price").into(),
            minimum_minutes: form.get("minimum_minutes").into(),
            session_minutes: form.get("session_minutes").into(),
            group_size: form.get("group_size").into(),
            intro_video_url: form.get("intro_video_url").into(),
        },
        category: form.get("category").into(),
        languages: form.all("languages"),
        policy: form.get("cancellation_policy").into(),
        organization: form.get("organization").into(),
        delivered_by: form.get("delivered_by").into(),
    }
}

fn state_of(l: &Listing) -> FormState {
    let v = &l.working;
    let currency = Currency::parse(&v.currency).unwrap_or_else(|_| Currency::usd());
    FormState {
        f: ListingFields {
            title: v.title.clone(),
            description: v.description.clone(),
            tags: v.tags.join(", "),
            price_model: v.price_model.clone(),
            price: if v.price_model == "free" {
                String::new()
            } else {
                Money::new(v.price_minor, currency).plain()
            },
            minimum_minutes: v.minimum_minutes.map(|m| m.to_string()).unwrap_or_default(),
            session_minutes: v.session_minutes.to_string(),
            group_size: v.group_size.to_string(),
            intro_video_url: v.intro_video_url.clone().unwrap_or_default(),
        },
        category: format!("{}/{}", v.category, v.subcategory),
        languages: v.languages.clone(),
        policy: v.cancellation_policy.clone(),
        organization: l.organization_slug.clone().unwrap_or_default(),
        delivered_by: l.provider_id.to_string(),
    }
}

async fn listing_form_page(
    state: &AppState,
    viewer: &Viewer,
    listing: Option<&Listing>,
    s: FormState,
    errors: Invalid,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let orgs = state.store.organizations_of(account.id).await?;
    let mut members = Vec::new();
    for o in orgs.iter().filter(|o| o.owner_id == account.id) {
        for m in state.store.members(o.id).await? {
            if m.account_id != account.id {
                let value = m.account_id.to_string();
                members.push(Choice {
                    checked: value == s.delivered_by,
                    label: format!("{} ({})", m.display_name, o.name),
                    value,
                });
            }
        }
    }
    let page = ListingForm {
        members,
        chrome: Chrome::new(viewer),
        lang_legend: "Languages the session is held in",
        listing_id: listing.map(|l| l.id),
        live: listing.is_some_and(|l| l.published.is_some()),
        action: match listing {
            Some(l) => format!("/dashboard/listings/{}/edit", l.id),
            None => "/dashboard/listings/new".into(),
        },
        currency: state.config.currency.code.to_string(),
        groups: CATEGORIES
            .iter()
            .map(|c| ChoiceGroup {
                label: c.name.to_string(),
                choices: c
                    .subcategories
                    .iter()
                    .map(|sub| {
                        let value = format!("{}/{}", c.slug, sub.slug);
                        Choice {
                            checked: value == s.category,
                            label: format!("{} — {}", c.name, sub.name),
                            value,
                        }
                    })
                    .collect(),
            })
            .collect(),
        langs: super::language_choices(&s.languages),
        policies: ["flexible", "moderate", "strict"]
            .iter()
            .map(|p| {
                let policy =
                    onhand_core::catalog::CancellationPolicy::parse(p).expect("known policy names");
                Choice {
                    value: p.to_string(),
                    label: format!("{} — {}", crate::views::capitalize(p), policy.summary()),
                    checked: *p == s.policy,
                }
            })
            .collect(),
        orgs: orgs
            .iter()
            .map(|o| Choice {
                value: o.slug.clone(),
                label: o.name.clone(),
                checked: o.slug == s.organization,
            })
            .collect(),
        f: s.f,
        errors: FormErrors(errors.clone()),
    };
    Ok(super::render_form(&page, &errors))
}

pub async fn new_listing_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let blank = FormState {
        f: ListingFields {
            title: String::new(),
            description: String::new(),
            tags: String::new(),
            price_model: "fixed".into(),
            price: String::new(),
            minimum_minutes: String::new(),
            session_minutes: "30".into(),
            group_size: "1".into(),
            intro_video_url: String::new(),
        },
        category: String::new(),
        languages: account.languages.clone(),
        policy: "moderate".into(),
        organization: String::new(),
        delivered_by: String::new(),
    };
    listing_form_page(&state, &viewer, None, blank, Invalid::default()).await
}

/// Reads the form into a listing input. Numbers that do not parse become errors here,
/// next to the field, rather than a rejected request.
fn listing_input(form: &RawForm, currency: Currency) -> Result<ListingInput, Invalid> {
    let mut errors = Invalid::default();
    let (category, subcategory) = form
        .get("category")
        .split_once('/')
        .unwrap_or((form.get("category"), ""));
    let number = |errors: &mut Invalid, field: &'static str, name: &str| -> Option<u32> {
        let raw = form.get(name).trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(field, format!("{raw:?} is not a whole number"));
                None
            }
        }
    };
    let session_minutes = number(&mut errors, "session_minutes", "session_minutes");
    let group_size = number(&mut errors, "group_size", "group_size");
    let price_model = form.get("price_model").to_string();
    let minimum_minutes = if price_model == "per_minute" {
        number(&mut errors, "minimum_minutes", "minimum_minutes")
    } else {
        None
    };
    let price_minor = if price_model == "free" || form.get("price").trim().is_empty() {
        None
    } else {
        errors.take(currency.parse_amount("price_minor", form.get("price")))
    };
    let input = ListingInput {
        title: form.get("title").into(),
        description: form.get("description").into(),
        category: category.into(),
        subcategory: subcategory.into(),
        tags: form
            .get("tags")
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        languages: form.all("languages"),
        intro_video_url: Some(form.get("intro_video_url").to_string()),
        price_model,
        price_minor,
        minimum_minutes,
        session_minutes,
        group_size,
        cancellation_policy: form.get("cancellation_policy").into(),
    };
    // Report the typing errors together with the content rules.
    if let Err(Invalid(more)) = onhand_core::catalog::ListingContent::parse(&input) {
        for e in more {
            if errors.message_for(e.field).is_none() {
                errors.0.push(e);
            }
        }
    }
    errors.finish(|| input)
}

pub async fn create_listing(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let submit = form.get("intent") != "draft";
    let result = match listing_input(&form, state.config.currency) {
        Ok(input) => {
            let owner = ListingOwner {
                organization_slug: Some(form.get("organization").to_string())
                    .filter(|s| !s.is_empty()),
                delivered_by: None,
            };
            actions::create_listing(&state, account, &input, &owner, submit).await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(if submit {
            "/dashboard?notice=listing-submitted"
        } else {
            "/dashboard?notice=listing-saved"
        })
        .into_response()),
        Err(Failure::Invalid(errors)) => {
            listing_form_page(&state, &viewer, None, form_state(&form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

fn listing_id(raw: &str) -> Result<i64, Failure> {
    super::path_id(raw, "listing")
}

pub async fn edit_listing_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    let listing = actions::managed_listing(&state, account, listing_id(&id)?).await?;
    listing_form_page(
        &state,
        &viewer,
        Some(&listing),
        state_of(&listing),
        Invalid::default(),
    )
    .await
}

pub async fn update_listing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let listing = actions::managed_listing(&state, account, listing_id(&id)?).await?;
    let submit = form.get("intent") != "draft";
    let result = match listing_input(&form, state.config.currency) {
        Ok(input) => actions::update_listing(&state, account, listing.id, &input, submit).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(if submit {
            "/dashboard?notice=listing-submitted"
        } else {
            "/dashboard?notice=listing-saved"
        })
        .into_response()),
        Err(Failure::Invalid(errors)) => {
            listing_form_page(&state, &viewer, Some(&listing), form_state(&form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn listing_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    let id = listing_id(&id)?;
    let notice = match action.as_str() {
        "submit" => {
            actions::submit_listing(&state, account, id).await?;
            "listing-submitted"
        }
        "pause" => {
            actions::pause_listing(&state, account, id, true).await?;
            "listing-paused"
        }
        "unpause" => {
            actions::pause_listing(&state, account, id, false).await?;
            "listing-unpaused"
        }
        other => {
            return Err(Failure::NotFound(format!("there is no listing action {other:?}")).into());
        }
    };
    Ok(Redirect::to(&format!("/dashboard?notice={notice}")).into_response())
}

pub async fn create_organization(
    State(state): State<AppState>,
    viewer: Viewer,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    match actions::create_organization(&state, account, form.get("name"), form.get("description"))
        .await
    {
        Ok(_) => Ok(Redirect::to("/dashboard?notice=org-created").into_response()),
        Err(Failure::Invalid(errors)) => {
            dashboard_page(&state, &viewer, "", errors, Some(&form)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: RawForm,
) -> Result<Response, PageError> {
    let account = viewer.require()?;
    viewer.check_csrf(form.csrf())?;
    match actions::add_member(&state, account, &slug, form.get("email")).await {
        Ok(_) => Ok(Redirect::to("/dashboard?notice=member-added").into_response()),
        Err(Failure::Invalid(errors)) => dashboard_page(&state, &viewer, "", errors, None).await,
        Err(e) => Err(e.into()),
    }
}
