//! What people do, once for both doors: pages and the JSON API call these.
//!
//! Architecture invariant: every authorization rule is checked here, so a page and the
//! API can never disagree about who may do what.

use crate::auth::{
    API_TOKEN_PREFIX, hash_password, hash_token, now, random_token, verify_password,
};
use crate::error::Failure;
use crate::state::AppState;
use onhand_core::Invalid;
use onhand_core::account::{Email, Password, Profile, TimeZoneName, display_name};
use onhand_core::catalog::{ListingContent, ListingInput};
use onhand_core::org::Organization as OrgInput;
use onhand_core::provider::{Application, ApplicationInput, reason};
use onhand_store::{Account, ApiToken, Listing, NewAccount, Organization, Provider, StoreError};

/// Live API tokens one account may hold.
pub const API_TOKENS_MAX: i64 = 20;

pub struct SignupInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub display_name: &'a str,
    pub time_zone: &'a str,
}

pub async fn signup(state: &AppState, input: SignupInput<'_>) -> Result<Account, Failure> {
    let mut errors = Invalid::default();
    let email = errors.take(Email::parse(input.email));
    let password = errors.take(Password::parse_new(input.password));
    let name = errors.take(display_name(input.display_name));
    // A browser that sent no zone, or one our database lacks, gets UTC rather than an error.
    let tz = TimeZoneName::parse(input.time_zone).unwrap_or_else(|_| TimeZoneName::utc());
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let (email, password, name) = (
        email.expect("checked"),
        password.expect("checked"),
        name.expect("checked"),
    );
    let hash = hash_password(password.expose()).await?;
    let account = state
        .store
        .create_account(
            &NewAccount {
                email: email.as_str(),
                password_hash: &hash,
                display_name: &name,
                time_zone: tz.as_str(),
                languages: &[],
                country: None,
                is_operator: false,
            },
            now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => Failure::Invalid(Invalid::one(
                "email",
                format!("{} already has an account; sign in instead", email.as_str()),
            )),
            e => e.into(),
        })?;
    tracing::info!(account_id = account.id, "account created");
    Ok(account)
}

pub async fn update_profile(
    state: &AppState,
    account: &Account,
    name: &str,
    time_zone: &str,
    languages: &[String],
    country: &str,
) -> Result<Account, Failure> {
    let p = Profile::parse(name, time_zone, languages, country)?;
    Ok(state
        .store
        .update_profile(
            account.id,
            &p.display_name,
            p.time_zone.as_str(),
            &p.languages,
            p.country.as_deref(),
        )
        .await?)
}

/// Changes the password after checking the current one; every other session ends.
pub async fn change_password(
    state: &AppState,
    account: &Account,
    current: &str,
    new: &str,
    keep_session: Option<&[u8]>,
) -> Result<(), Failure> {
    let new = Password::parse_new(new)?;
    let hash = state.store.password_hash(account.id).await?;
    if !verify_password(current, &hash).await? {
        return Err(Invalid::one("current_password", "is not your current password").into());
    }
    let new_hash = hash_password(new.expose()).await?;
    state
        .store
        .set_password(account.id, &new_hash, keep_session)
        .await?;
    tracing::info!(
        account_id = account.id,
        "password changed; other sessions ended"
    );
    Ok(())
}

/// Creates a named API token and returns it with the only copy of its secret.
pub async fn create_api_token(
    state: &AppState,
    account: &Account,
    name: &str,
) -> Result<(ApiToken, String), Failure> {
    let name = onhand_core::invalid::text("name", name, 1..=60)?;
    if state.store.live_api_token_count(account.id).await? >= API_TOKENS_MAX {
        return Err(Failure::Conflict(format!(
            "an account may hold at most {API_TOKENS_MAX} live API tokens; revoke one first"
        )));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let token = state
        .store
        .create_api_token(account.id, &name, &hash_token(&secret), now())
        .await?;
    Ok((token, secret))
}

/// The provider record of `account`, if they have applied.
pub async fn provider_of(state: &AppState, account_id: i64) -> Result<Option<Provider>, Failure> {
    match state.store.provider(account_id).await {
        Ok(p) => Ok(Some(p)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn apply_as_provider(
    state: &AppState,
    account: &Account,
    input: &ApplicationInput,
    wants_health: bool,
) -> Result<Provider, Failure> {
    let app = Application::parse(input, wants_health)?;
    let provider = state
        .store
        .apply_as_provider(account.id, &app, now())
        .await?;
    tracing::info!(account_id = account.id, status = %provider.status, "provider application filed");
    Ok(provider)
}

/// Only an approved, active provider may create or change listings.
async fn require_approved_provider(
    state: &AppState,
    account: &Account,
) -> Result<Provider, Failure> {
    match provider_of(state, account.id).await? {
        Some(p) if p.is_approved() => Ok(p),
        Some(p) => Err(Failure::Forbidden(format!(
            "your provider application is {}; listings open once it is approved",
            p.status
        ))),
        None => Err(Failure::Forbidden(
            "apply to become a provider first; listings open once you are approved".into(),
        )),
    }
}

/// May `account` edit, submit or pause this listing? Its provider and, for an
/// organization's listing, the organization's owner.
pub async fn may_manage(
    state: &AppState,
    account: &Account,
    listing: &Listing,
) -> Result<bool, Failure> {
    if listing.provider_id == account.id {
        return Ok(true);
    }
    if let Some(org_id) = listing.organization_id {
        return Ok(state.store.organization(org_id).await?.owner_id == account.id);
    }
    Ok(false)
}

/// A listing `account` manages, or 404 (we do not reveal that others' drafts exist).
pub async fn managed_listing(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<Listing, Failure> {
    let listing = match state.store.listing(id).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Err(Failure::not_found("listing")),
        Err(e) => return Err(e.into()),
    };
    if may_manage(state, account, &listing).await? || account.is_operator {
        if !may_manage(state, account, &listing).await? {
            return Err(Failure::Forbidden(
                "only the listing's provider may change it".into(),
            ));
        }
        Ok(listing)
    } else {
        Err(Failure::not_found("listing"))
    }
}

/// A listing as `viewer` may see it: public ones for all; others only for who manages them
/// and operators.
pub async fn visible_listing(
    state: &AppState,
    viewer: Option<&Account>,
    id: i64,
) -> Result<Listing, Failure> {
    let listing = match state.store.listing(id).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Err(Failure::not_found("listing")),
        Err(e) => return Err(e.into()),
    };
    if listing.is_public {
        return Ok(listing);
    }
    if let Some(account) = viewer
        && (account.is_operator || may_manage(state, account, &listing).await?)
    {
        return Ok(listing);
    }
    Err(Failure::not_found("listing"))
}

/// Where a new listing is delivered and for which organization.
pub struct ListingOwner {
    pub organization_slug: Option<String>,
    /// For an organization's owner creating a listing a member delivers.
    pub delivered_by: Option<i64>,
}

pub async fn create_listing(
    state: &AppState,
    account: &Account,
    input: &ListingInput,
    owner: &ListingOwner,
    submit: bool,
) -> Result<Listing, Failure> {
    let content = ListingContent::parse(input)?;
    let (provider_id, org_id) = resolve_owner(state, account, owner).await?;
    let provider = if provider_id == account.id {
        require_approved_provider(state, account).await?
    } else {
        let p = state.store.provider(provider_id).await?;
        if !p.is_approved() {
            return Err(
                Invalid::one("delivered_by", "that member is not an approved provider").into(),
            );
        }
        p
    };
    check_licence(&content, &provider)?;
    let listing = state
        .store
        .create_listing(provider_id, org_id, &content, state.config.currency, now())
        .await?;
    tracing::info!(listing_id = listing.id, provider_id, "listing created");
    if submit {
        return Ok(state.store.submit_listing(listing.id, now()).await?);
    }
    Ok(listing)
}

async fn resolve_owner(
    state: &AppState,
    account: &Account,
    owner: &ListingOwner,
) -> Result<(i64, Option<i64>), Failure> {
    let Some(slug) = owner.organization_slug.as_deref().filter(|s| !s.is_empty()) else {
        if owner.delivered_by.is_some_and(|id| id != account.id) {
            return Err(Invalid::one(
                "delivered_by",
                "only an organization's listing may be delivered by someone else",
            )
            .into());
        }
        return Ok((account.id, None));
    };
    let org = match state.store.organization_by_slug(slug).await {
        Ok(o) => o,
        Err(StoreError::NotFound) => {
            return Err(
                Invalid::one("organization", format!("{slug:?} is not an organization")).into(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    if !state.store.is_member(org.id, account.id).await? {
        return Err(Failure::Forbidden(format!(
            "you are not a member of {}",
            org.name
        )));
    }
    let provider_id = owner.delivered_by.unwrap_or(account.id);
    if provider_id != account.id {
        if org.owner_id != account.id {
            return Err(Failure::Forbidden(
                "only the organization's owner may name another member to deliver a listing".into(),
            ));
        }
        if !state.store.is_member(org.id, provider_id).await? {
            return Err(Invalid::one(
                "delivered_by",
                format!("account {provider_id} is not a member of {}", org.name),
            )
            .into());
        }
    }
    Ok((provider_id, Some(org.id)))
}

fn check_licence(content: &ListingContent, provider: &Provider) -> Result<(), Failure> {
    if content.category.needs_licence() && !provider.is_licensed() {
        return Err(Invalid::one(
            "category",
            "Health listings need a provider with a verified licence; add your licence to your provider profile first",
        )
        .into());
    }
    Ok(())
}

pub async fn update_listing(
    state: &AppState,
    account: &Account,
    id: i64,
    input: &ListingInput,
    submit: bool,
) -> Result<Listing, Failure> {
    let listing = managed_listing(state, account, id).await?;
    let content = ListingContent::parse(input)?;
    let provider = state.store.provider(listing.provider_id).await?;
    check_licence(&content, &provider)?;
    let updated = state
        .store
        .update_listing(id, &content, state.config.currency, now())
        .await?;
    // An edit of an approved listing changes only its working copy; a touch is cheap
    // and keeps the index honest either way.
    crate::cluster::touch(state, crate::search::Touch::Listing(id));
    if submit {
        return Ok(state.store.submit_listing(updated.id, now()).await?);
    }
    Ok(updated)
}

pub async fn submit_listing(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<Listing, Failure> {
    managed_listing(state, account, id).await?;
    require_approved_provider(
        state,
        &state
            .store
            .account(state.store.listing(id).await?.provider_id)
            .await?,
    )
    .await?;
    Ok(state.store.submit_listing(id, now()).await?)
}

pub async fn pause_listing(
    state: &AppState,
    account: &Account,
    id: i64,
    paused: bool,
) -> Result<Listing, Failure> {
    managed_listing(state, account, id).await?;
    let l = state.store.set_listing_paused(id, paused).await?;
    crate::cluster::touch(state, crate::search::Touch::Listing(id));
    Ok(l)
}

/// Reads a decision's reason: required to reject, optional to approve.
fn decision_reason(approve: bool, input: Option<&str>) -> Result<Option<String>, Failure> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) => Ok(Some(reason(r)?)),
        None if approve => Ok(None),
        None => Err(Invalid::one(
            "reason",
            "is required to reject, so the applicant knows what to fix",
        )
        .into()),
    }
}

pub async fn decide_provider(
    state: &AppState,
    operator: &Account,
    account_id: i64,
    approve: bool,
    reason: Option<&str>,
) -> Result<Provider, Failure> {
    let reason = decision_reason(approve, reason)?;
    let p = state
        .store
        .decide_provider(account_id, approve, reason.as_deref(), operator.id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("provider application"),
            e => e.into(),
        })?;
    tracing::info!(
        account_id,
        approve,
        operator = operator.id,
        "provider application decided"
    );
    state
        .search
        .touch(crate::search::Touch::Provider(account_id));
    crate::notify::emit(
        state,
        crate::notify::Event::ProviderDecided {
            account: account_id,
        },
    )
    .await;
    Ok(p)
}

pub async fn decide_listing(
    state: &AppState,
    operator: &Account,
    id: i64,
    approve: bool,
    reason: Option<&str>,
) -> Result<Listing, Failure> {
    let reason = decision_reason(approve, reason)?;
    let l = state
        .store
        .decide_listing(id, approve, reason.as_deref(), now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("listing"),
            e => e.into(),
        })?;
    tracing::info!(
        listing_id = id,
        approve,
        operator = operator.id,
        "listing decided"
    );
    crate::cluster::touch(state, crate::search::Touch::Listing(id));
    crate::notify::emit(state, crate::notify::Event::ListingDecided { listing: id }).await;
    Ok(l)
}

pub async fn suspend(
    state: &AppState,
    operator: &Account,
    account_id: i64,
    why: &str,
) -> Result<(), Failure> {
    let why = reason(why)?;
    if account_id == operator.id {
        return Err(Failure::Conflict(
            "operators cannot suspend themselves".into(),
        ));
    }
    let cancelled = state
        .store
        .suspend(account_id, operator.id, &why, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("account"),
            e => e.into(),
        })?;
    tracing::warn!(
        account_id,
        operator = operator.id,
        cancelled = cancelled.len(),
        "account suspended"
    );
    crate::reputation::after_cancellations(state, &cancelled).await;
    state
        .search
        .touch(crate::search::Touch::Provider(account_id));
    Ok(())
}

pub async fn unsuspend(
    state: &AppState,
    operator: &Account,
    account_id: i64,
) -> Result<(), Failure> {
    state
        .store
        .unsuspend(account_id, operator.id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::not_found("account"),
            e => e.into(),
        })?;
    tracing::info!(account_id, operator = operator.id, "account unsuspended");
    state
        .search
        .touch(crate::search::Touch::Provider(account_id));
    Ok(())
}

pub async fn create_organization(
    state: &AppState,
    account: &Account,
    name: &str,
    description: &str,
) -> Result<Organization, Failure> {
    require_approved_provider(state, account).await?;
    let org = OrgInput::parse(name, description)?;
    state
        .store
        .create_organization(account.id, &org, now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => Failure::Invalid(Invalid::one(
                "name",
                format!("an organization called {:?} already exists", org.name),
            )),
            e => e.into(),
        })
}

/// The owner adds an approved provider, by email, as a member.
pub async fn add_member(
    state: &AppState,
    account: &Account,
    slug: &str,
    email: &str,
) -> Result<Organization, Failure> {
    let org = match state.store.organization_by_slug(slug).await {
        Ok(o) => o,
        Err(StoreError::NotFound) => return Err(Failure::not_found("organization")),
        Err(e) => return Err(e.into()),
    };
    if org.owner_id != account.id {
        return Err(Failure::Forbidden(
            "only the organization's owner may add members".into(),
        ));
    }
    let email = Email::parse(email)?;
    let member = match state.store.account_by_email(email.as_str()).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => {
            return Err(Invalid::one("email", format!("{email} has no Onhand account")).into());
        }
        Err(e) => return Err(e.into()),
    };
    match provider_of(state, member.id).await? {
        Some(p) if p.is_approved() => {}
        _ => {
            return Err(
                Invalid::one("email", format!("{email} is not an approved provider")).into(),
            );
        }
    }
    state
        .store
        .add_member(org.id, member.id, now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => Failure::Invalid(Invalid::one(
                "email",
                format!("{email} is already a member"),
            )),
            e => e.into(),
        })?;
    Ok(org)
}
