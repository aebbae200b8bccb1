//! The plain records the store hands out. No database types appear here.

use jiff::Timestamp;

/// A window into a long list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    /// Page `page` (from 1) of `per_page` items.
    pub fn nth(page: u32, per_page: u32) -> Page {
        Page {
            offset: i64::from(page.max(1) - 1) * i64::from(per_page),
            limit: i64::from(per_page),
        }
    }
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
    /// Why the operator took it out of the catalog, while it is hidden.
    pub hidden_reason: Option<String>,
    pub created_at: Timestamp,
    pub published_at: Option<Timestamp>,
    pub submitted_at: Option<Timestamp>,
    pub working: ListingVersion,
    pub published: Option<ListingVersion>,
    /// Whether the public can see it now: published, not paused, not hidden by the
    /// operator, provider approved and not suspended.
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
    pub reports_open: i64,
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
    /// What booking reserves from the buyer's wallet; 0 makes no hold.
    pub hold_minor: i64,
    /// The commission the booking is made under (0 for free and Health sessions).
    pub commission_bps: u32,
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
    pub commission_bps: u32,
    /// The hold reserving the buyer's money, if the session is paid.
    pub hold_id: Option<i64>,
    /// What was paid (posted), the platform's part of it, and what was refunded.
    pub charged_minor: i64,
    pub commission_minor: i64,
    pub refunded_minor: i64,
    pub started_at: Option<Timestamp>,
    /// When the money was settled (posted or released).
    pub settled_at: Option<Timestamp>,
}

/// A ledger account's sums; see `onhand_core::ledger::Balance`.
pub use onhand_core::ledger::Balance;

/// A buyer's wallet in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wallet {
    pub balance: Balance,
}

impl Wallet {
    pub fn posted_minor(&self) -> i64 {
        self.balance.posted()
    }
    /// What bookings hold right now.
    pub fn held_minor(&self) -> i64 {
        self.balance.debits_pending
    }
    pub fn available_minor(&self) -> i64 {
        self.balance.available()
    }
}

/// A provider's earnings in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earnings {
    pub balance: Balance,
    /// Earnings still inside the guarantee window (or under an open refund request).
    pub locked_minor: i64,
    /// Money buyers have on hold for upcoming sessions with this provider.
    pub incoming_minor: i64,
}

impl Earnings {
    pub fn posted_minor(&self) -> i64 {
        self.balance.posted()
    }
    /// Payouts on their way.
    pub fn paying_out_minor(&self) -> i64 {
        self.balance.debits_pending
    }
    /// What may be paid out now.
    pub fn available_minor(&self) -> i64 {
        (self.balance.available() - self.locked_minor).max(0)
    }
}

/// One transfer as seen from one account, with the posted balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub transfer_id: i64,
    pub kind: String,
    pub purpose: String,
    pub booking_id: Option<i64>,
    pub hold_id: Option<i64>,
    /// Positive when money came in, negative when it went out.
    pub amount_minor: i64,
    /// Posted balance after this entry; pending entries leave it unchanged.
    pub running_minor: i64,
    pub at: Timestamp,
}

/// A transfer as the ledger stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: i64,
    pub kind: String,
    pub debit: String,
    pub credit: String,
    pub currency: String,
    pub amount_minor: i64,
    pub hold_id: Option<i64>,
    pub purpose: String,
    pub booking_id: Option<i64>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUp {
    pub id: i64,
    pub account_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub state: String,
    pub gateway: String,
    pub gateway_ref: Option<String>,
    pub card_last4: String,
    pub decline_reason: Option<String>,
    pub created_at: Timestamp,
}

/// What the gateway said about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded { gateway_ref: String },
    Declined { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub id: i64,
    pub provider_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub state: String,
    pub gateway: String,
    pub gateway_ref: Option<String>,
    pub failure: Option<String>,
    pub created_at: Timestamp,
    pub settled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub id: i64,
    pub booking_id: i64,
    pub booking_title: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub state: String,
    pub provider_note: Option<String>,
    pub operator_note: Option<String>,
    pub created_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
}

/// The operator's view of the money, per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finance {
    pub currency: String,
    /// Posted booking payments, all time and in the last 30 days.
    pub volume_minor: i64,
    pub volume_30d_minor: i64,
    pub revenue_minor: i64,
    pub wallets_minor: i64,
    pub earnings_minor: i64,
    pub open_holds: i64,
    pub open_holds_minor: i64,
    pub refunded_minor: i64,
    pub disputes_open: i64,
    pub payouts_pending: i64,
    /// Net money that came in through the gateway (top-ups minus payouts).
    pub clearing_minor: i64,
}

/// How the store answers a money operation's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: go ahead, and seal the outcome.
    Fresh,
    /// Seen and done: send this again.
    Replay { status: u16, body: String },
    /// The key was used for a different request.
    Mismatch,
    /// The same key is being handled right now.
    InFlight,
}

/// Records the response to an idempotency key in the same transaction as the money
/// it moved, so a replay after any crash answers exactly what happened.
pub struct Seal<'a, T> {
    pub account_id: i64,
    pub key: &'a str,
    pub respond: &'a (dyn Fn(&T) -> (u16, String) + Send + Sync),
}

/// Whose reviews: one listing's, all of a provider's, or all of an organization's
/// listings'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSubject {
    Listing(i64),
    Provider(i64),
    Organization(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewSort {
    #[default]
    Newest,
    /// Most "helpful" votes first.
    Helpful,
}

/// A buyer's review of a completed session, and the provider's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: i64,
    pub booking_id: i64,
    pub listing_id: i64,
    pub listing_title: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub stars: u8,
    pub body: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub reply: Option<String>,
    pub replied_at: Option<Timestamp>,
    pub helpful: i64,
    /// Set when the operator took the review out of view.
    pub hidden_at: Option<Timestamp>,
    pub hidden_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedBuyer {
    pub buyer_id: i64,
    pub name: String,
    pub blocked_at: Timestamp,
}

/// How a provider answers and delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseStats {
    /// Help-now rings in the period, and how many were answered.
    pub rings: i64,
    pub answered: i64,
    /// The median time from ring to answer.
    pub median_answer_ms: Option<i64>,
    /// Sessions delivered, and sessions the provider cancelled or missed.
    pub sessions_completed: i64,
    pub sessions_failed: i64,
}

impl ResponseStats {
    /// Completed sessions among those the provider either delivered or let down, in
    /// whole percent; `None` before any.
    pub fn completion_percent(&self) -> Option<i64> {
        let all = self.sessions_completed + self.sessions_failed;
        (all > 0).then(|| (self.sessions_completed * 100 + all / 2) / all)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub reporter_id: i64,
    pub reporter_name: String,
    pub target: onhand_core::reputation::ReportTarget,
    pub target_id: i64,
    pub reason: String,
    /// open, dismissed or actioned.
    pub status: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<i64>,
    /// Open reports of the same item, this one included.
    pub open_on_target: i64,
}

/// One entry of the operator's append-only moderation log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationEntry {
    pub id: i64,
    pub operator_id: i64,
    pub operator_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: i64,
    pub report_id: Option<i64>,
    pub reason: String,
    pub at: Timestamp,
}

/// A unit of background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// JSON the job's handler reads.
    pub payload: String,
    pub dedupe_key: Option<String>,
    /// pending, running, done, failed or cancelled.
    pub state: String,
    pub run_at: Timestamp,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub pending: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// Something that happened, for one person: shown under the bell, maybe emailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where to look (a path on this site).
    pub link: String,
    pub job_id: Option<i64>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    pub emailed_at: Option<Timestamp>,
}

/// A line of a session room's chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessage {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub text: String,
    pub at: Timestamp,
}
