//! The plain records the store hands out. No database types appear here.

use jiff::Timestamp;

/// A window into a long list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

/// One page of results and how many there are in all.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub languages: Vec<String>,
    pub country: Option<String>,
    pub is_operator: bool,
    pub suspended_at: Option<Timestamp>,
    pub suspended_reason: Option<String>,
    pub created_at: Timestamp,
}

impl Account {
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
}

/// What creating an account needs; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub time_zone: &'a str,
    pub languages: &'a [String],
    pub country: Option<&'a str>,
    pub is_operator: bool,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub account_id: i64,
    pub display_name: String,
    pub headline: String,
    pub bio: String,
    pub languages: Vec<String>,
    pub time_zone: String,
    pub country: String,
    pub experience: String,
    pub licence_number: Option<String>,
    pub licence_authority: Option<String>,
    pub status: String,
    pub decision_reason: Option<String>,
    pub submitted_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub suspended: bool,
}

impl Provider {
    pub fn is_approved(&self) -> bool {
        self.status == "approved" && !self.suspended
    }

    pub fn is_licensed(&self) -> bool {
        self.licence_number.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub owner_id: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: i64,
    pub display_name: String,
    pub role: String,
    pub headline: Option<String>,
}

/// One version of a listing's content, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingVersion {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub subcategory: String,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    pub intro_video_url: Option<String>,
    pub price_model: String,
    pub price_minor: i64,
    pub minimum_minutes: Option<i64>,
    pub currency: String,
    pub session_minutes: i64,
    pub group_size: i64,
    pub cancellation_policy: String,
    pub created_at: Timestamp,
}

/// A listing with both of its versions, as its owner and the operator see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub organization_slug: Option<String>,
    pub review_status: String,
    pub review_reason: Option<String>,
    pub paused: bool,
    pub featured: bool,
    pub created_at: Timestamp,
    pub published_at: Option<Timestamp>,
    pub submitted_at: Option<Timestamp>,
    pub working: ListingVersion,
    pub published: Option<ListingVersion>,
    /// Whether the public can see it now: published, not paused, provider approved and
    /// not suspended.
    pub is_public: bool,
}

/// Which public listings to list.
#[derive(Debug, Clone, Default)]
pub struct ListingFilter {
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub provider_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub featured_only: bool,
    /// Words that must all appear in the title, description or tags.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Newest,
    PriceLow,
    PriceHigh,
    Title,
}

/// Counts by state, for the operator console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub providers_pending: i64,
    pub listings_pending: i64,
}

/// What booking a slot needs: who, when, and the listing terms to snapshot.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub listing_id: i64,
    pub provider_id: i64,
    pub buyer_id: i64,
    pub start: Timestamp,
    pub seats: u32,
    pub session_minutes: u32,
    pub group_size: u32,
    pub title: &'a str,
    pub price_model: &'a str,
    pub price_minor: i64,
    pub minimum_minutes: Option<i64>,
    pub currency: &'a str,
    pub cancellation_policy: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: i64,
    pub listing_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub seats: u32,
    pub state: onhand_core::booking::BookingState,
    pub title: String,
    pub price_model: String,
    pub price_minor: i64,
    pub minimum_minutes: Option<i64>,
    pub currency: String,
    pub cancellation_policy: String,
    pub cancel_reason: Option<String>,
    pub cancel_fee_minor: Option<i64>,
    pub rescheduled_to: Option<i64>,
    /// A new start the provider proposed, waiting for the buyer.
    pub proposed_start: Option<Timestamp>,
    pub created_at: Timestamp,
}
