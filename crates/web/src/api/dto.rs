//! The JSON shapes of the API. Each maps from a store record; none leaks a secret.

use onhand_core::catalog;
use onhand_core::money::{Currency, Money};
use onhand_store as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn rfc3339(t: jiff::Timestamp) -> String {
    t.to_string()
}

/// The signed-in account, as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub languages: Vec<String>,
    pub country: Option<String>,
    pub is_operator: bool,
    pub suspended: bool,
    pub suspended_reason: Option<String>,
    pub created_at: String,
}

impl From<&store::Account> for AccountBody {
    fn from(a: &store::Account) -> Self {
        AccountBody {
            id: a.id,
            email: a.email.clone(),
            display_name: a.display_name.clone(),
            time_zone: a.time_zone.clone(),
            languages: a.languages.clone(),
            country: a.country.clone(),
            is_operator: a.is_operator,
            suspended: a.is_suspended(),
            suspended_reason: a.suspended_reason.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub email: String,
    /// 10 to 256 characters.
    pub password: String,
    pub display_name: String,
    /// IANA name; UTC when absent or unknown.
    #[serde(default)]
    pub time_zone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    /// A name to recognize the token by later.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenBody {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&store::ApiToken> for TokenBody {
    fn from(t: &store::ApiToken) -> Self {
        TokenBody {
            id: t.id,
            name: t.name.clone(),
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
        }
    }
}

/// A new token. `token` is shown this once and never again.
#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    pub display_name: String,
    pub time_zone: String,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubcategoryBody {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryBody {
    pub slug: String,
    pub name: String,
    pub needs_licence: bool,
    pub subcategories: Vec<SubcategoryBody>,
}

#[derive(Serialize, ToSchema)]
pub struct PriceBody {
    /// free, fixed or per_minute.
    pub model: String,
    /// Minor units: the session price (fixed) or the rate per minute.
    pub amount_minor: i64,
    pub currency: String,
    pub minimum_minutes: Option<i64>,
    /// Human-readable, e.g. "$25.00 per session".
    pub display: String,
}

#[derive(Serialize, ToSchema)]
pub struct ListingContentBody {
    pub title: String,
    pub description: String,
    pub category: String,
    pub subcategory: String,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    pub intro_video_url: Option<String>,
    pub price: PriceBody,
    pub session_minutes: i64,
    pub group_size: i64,
    pub cancellation_policy: String,
}

impl From<&store::ListingVersion> for ListingContentBody {
    fn from(v: &store::ListingVersion) -> Self {
        let currency = Currency::parse(&v.currency).unwrap_or_else(|_| Currency::usd());
        let model = crate::views::price_model(v);
        ListingContentBody {
            title: v.title.clone(),
            description: v.description.clone(),
            category: v.category.clone(),
            subcategory: v.subcategory.clone(),
            tags: v.tags.clone(),
            languages: v.languages.clone(),
            intro_video_url: v.intro_video_url.clone(),
            price: PriceBody {
                model: v.price_model.clone(),
                amount_minor: v.price_minor,
                currency: v.currency.clone(),
                minimum_minutes: v.minimum_minutes,
                display: model
                    .map(|m| m.describe(currency))
                    .unwrap_or_else(|| Money::new(v.price_minor, currency).to_string()),
            },
            session_minutes: v.session_minutes,
            group_size: v.group_size,
            cancellation_policy: v.cancellation_policy.clone(),
        }
    }
}

/// A listing as the public sees it.
#[derive(Serialize, ToSchema)]
pub struct ListingBody {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub organization: Option<String>,
    pub published_at: Option<String>,
    #[serde(flatten)]
    pub content: ListingContentBody,
}

impl ListingBody {
    /// The published version, or None when the listing was never approved.
    pub fn public(l: &store::Listing) -> Option<ListingBody> {
        Some(ListingBody {
            id: l.id,
            provider_id: l.provider_id,
            provider_name: l.provider_name.clone(),
            organization: l.organization_slug.clone(),
            published_at: l.published_at.map(rfc3339),
            content: ListingContentBody::from(l.published.as_ref()?),
        })
    }
}

/// A listing with its review state and both versions, for its owner and operators.
#[derive(Serialize, ToSchema)]
pub struct ManagedListingBody {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub organization: Option<String>,
    /// draft, submitted, approved or rejected: where the working copy stands.
    pub review_status: String,
    pub review_reason: Option<String>,
    pub paused: bool,
    /// Whether the public can see the published version now.
    pub is_public: bool,
    pub working: ListingContentBody,
    pub published: Option<ListingContentBody>,
    pub created_at: String,
}

impl From<&store::Listing> for ManagedListingBody {
    fn from(l: &store::Listing) -> Self {
        ManagedListingBody {
            id: l.id,
            provider_id: l.provider_id,
            provider_name: l.provider_name.clone(),
            organization: l.organization_slug.clone(),
            review_status: l.review_status.clone(),
            review_reason: l.review_reason.clone(),
            paused: l.paused,
            is_public: l.is_public,
            working: ListingContentBody::from(&l.working),
            published: l.published.as_ref().map(ListingContentBody::from),
            created_at: rfc3339(l.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ListingPage {
    pub items: Vec<ListingBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ManagedListingPage {
    pub items: Vec<ManagedListingBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// Listing fields for create and update. Money in minor units of the platform currency.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ListingRequest {
    pub title: String,
    pub description: String,
    pub category: String,
    pub subcategory: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    #[serde(default)]
    pub intro_video_url: Option<String>,
    /// free, fixed or per_minute.
    pub price_model: String,
    #[serde(default)]
    pub price_minor: Option<i64>,
    #[serde(default)]
    pub minimum_minutes: Option<u32>,
    pub session_minutes: u32,
    /// 1 for one-to-one, up to 12.
    pub group_size: u32,
    /// flexible, moderate or strict.
    pub cancellation_policy: String,
    /// Create only: an organization (by slug) the listing belongs to.
    #[serde(default)]
    pub organization: Option<String>,
    /// Create only: the member who delivers it (organization owners only).
    #[serde(default)]
    pub delivered_by: Option<i64>,
    /// Send for review right away.
    #[serde(default)]
    pub submit: bool,
}

impl ListingRequest {
    pub fn input(&self) -> catalog::ListingInput {
        catalog::ListingInput {
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            subcategory: self.subcategory.clone(),
            tags: self.tags.clone(),
            languages: self.languages.clone(),
            intro_video_url: self.intro_video_url.clone(),
            price_model: self.price_model.clone(),
            price_minor: self.price_minor,
            minimum_minutes: self.minimum_minutes,
            session_minutes: Some(self.session_minutes),
            group_size: Some(self.group_size),
            cancellation_policy: self.cancellation_policy.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    pub headline: String,
    pub bio: String,
    pub languages: Vec<String>,
    pub time_zone: String,
    pub country: String,
    pub experience: String,
    #[serde(default)]
    pub licence_number: Option<String>,
    #[serde(default)]
    pub licence_authority: Option<String>,
    /// Asks to offer Health sessions (needs the licence fields).
    #[serde(default)]
    pub health: bool,
}

/// A provider's public profile; `status` and `decision_reason` show to its owner and operators.
#[derive(Serialize, ToSchema)]
pub struct ProviderBody {
    pub account_id: i64,
    pub display_name: String,
    pub headline: String,
    pub bio: String,
    pub languages: Vec<String>,
    pub time_zone: String,
    pub country: String,
    pub experience: String,
    pub licensed: bool,
    pub status: String,
    pub decision_reason: Option<String>,
    pub submitted_at: String,
}

impl From<&store::Provider> for ProviderBody {
    fn from(p: &store::Provider) -> Self {
        ProviderBody {
            account_id: p.account_id,
            display_name: p.display_name.clone(),
            headline: p.headline.clone(),
            bio: p.bio.clone(),
            languages: p.languages.clone(),
            time_zone: p.time_zone.clone(),
            country: p.country.clone(),
            experience: p.experience.clone(),
            licensed: p.is_licensed(),
            status: p.status.clone(),
            decision_reason: p.decision_reason.clone(),
            submitted_at: rfc3339(p.submitted_at),
        }
    }
}

/// An application as the operator reviews it, licence included.
#[derive(Serialize, ToSchema)]
pub struct ApplicationBody {
    #[serde(flatten)]
    pub provider: ProviderBody,
    pub licence_number: Option<String>,
    pub licence_authority: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationBody>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Required to reject; shown to the applicant.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRequest {
    pub name: String,
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct MemberBody {
    pub account_id: i64,
    pub display_name: String,
    pub role: String,
    pub headline: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationBody {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub owner_id: i64,
    pub members: Vec<MemberBody>,
}

impl OrganizationBody {
    pub fn new(o: &store::Organization, members: &[store::Member]) -> Self {
        OrganizationBody {
            slug: o.slug.clone(),
            name: o.name.clone(),
            description: o.description.clone(),
            owner_id: o.owner_id,
            members: members
                .iter()
                .map(|m| MemberBody {
                    account_id: m.account_id,
                    display_name: m.display_name.clone(),
                    role: m.role.clone(),
                    headline: m.headline.clone(),
                })
                .collect(),
        }
    }
}
