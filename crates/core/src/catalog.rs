//! The catalog: categories, price models, cancellation policies and listing content rules.

use crate::account::languages;
use crate::contact::find_contact;
use crate::invalid::{Invalid, text};
use crate::money::{Currency, Money};

pub const TITLE_CHARS: std::ops::RangeInclusive<usize> = 5..=100;
pub const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 40..=4000;
pub const TAGS_MAX: usize = 8;
pub const TAG_CHARS: std::ops::RangeInclusive<usize> = 2..=30;
pub const SESSION_MINUTES: std::ops::RangeInclusive<u32> = 10..=240;
pub const GROUP_SIZE: std::ops::RangeInclusive<u32> = 1..=12;
/// Fixed session prices, in minor units.
pub const FIXED_PRICE_MINOR: std::ops::RangeInclusive<i64> = 100..=1_000_000;
/// Per-minute rates, in minor units.
pub const RATE_PER_MINUTE_MINOR: std::ops::RangeInclusive<i64> = 10..=100_000;
pub const MINIMUM_MINUTES: std::ops::RangeInclusive<u32> = 1..=120;
pub const INTRO_VIDEO_URL_MAX_CHARS: usize = 500;

#[derive(Debug)]
pub struct Category {
    pub slug: &'static str,
    pub name: &'static str,
    pub blurb: &'static str,
    pub subcategories: &'static [Subcategory],
}

#[derive(Debug)]
pub struct Subcategory {
    pub slug: &'static str,
    pub name: &'static str,
}

macro_rules! subs {
    ($($slug:literal => $name:literal),* $(,)?) => {
        &[$(Subcategory { slug: $slug, name: $name }),*]
    };
}

/// Helpouts' eight categories, in the order pages show them.
pub static CATEGORIES: &[Category] = &[
    Category {
        slug: "art-music",
        name: "Art & Music",
        blurb: "Lessons and feedback from working artists and musicians.",
        subcategories: subs!["drawing-painting" => "Drawing & painting", "guitar" => "Guitar", "piano" => "Piano", "singing" => "Singing", "music-production" => "Music production", "photography" => "Photography"],
    },
    Category {
        slug: "computers-electronics",
        name: "Computers & Electronics",
        blurb: "Fix, set up and learn your devices with someone who knows them.",
        subcategories: subs!["laptop-repair" => "Laptop repair", "phones-tablets" => "Phones & tablets", "networking-wifi" => "Networking & Wi-Fi", "programming" => "Programming", "software-help" => "Software help", "smart-home" => "Smart home"],
    },
    Category {
        slug: "cooking",
        name: "Cooking",
        blurb: "Cook alongside a chef in your own kitchen.",
        subcategories: subs!["baking" => "Baking", "world-cuisine" => "World cuisine", "healthy-cooking" => "Healthy cooking", "knife-skills" => "Knife skills", "drinks" => "Drinks"],
    },
    Category {
        slug: "education-careers",
        name: "Education & Careers",
        blurb: "Tutoring, languages, test prep and career coaching.",
        subcategories: subs!["languages" => "Languages", "math-science" => "Math & science", "test-prep" => "Test prep", "interviews-resumes" => "Interviews & resumes", "career-coaching" => "Career coaching", "writing" => "Writing"],
    },
    Category {
        slug: "fashion-beauty",
        name: "Fashion & Beauty",
        blurb: "Makeup, hair, styling and skincare advice, live.",
        subcategories: subs!["makeup" => "Makeup", "hair" => "Hair", "personal-styling" => "Personal styling", "skincare" => "Skincare", "sewing" => "Sewing"],
    },
    Category {
        slug: "fitness-nutrition",
        name: "Fitness & Nutrition",
        blurb: "Train, stretch and eat well with a coach who watches your form.",
        subcategories: subs!["yoga" => "Yoga", "personal-training" => "Personal training", "nutrition-coaching" => "Nutrition coaching", "running" => "Running", "pilates" => "Pilates"],
    },
    Category {
        slug: "health",
        name: "Health",
        blurb: "Licensed professionals only. Health sessions are never recorded.",
        subcategories: subs!["counseling" => "Counseling", "dietetics" => "Dietetics", "physical-therapy" => "Physical therapy", "sleep" => "Sleep", "lactation" => "Lactation"],
    },
    Category {
        slug: "home-garden",
        name: "Home & Garden",
        blurb: "Repairs, gardening and design help for your home.",
        subcategories: subs!["gardening" => "Gardening", "plumbing" => "Plumbing", "electrical" => "Electrical", "interior-design" => "Interior design", "woodworking" => "Woodworking", "organizing" => "Organizing"],
    },
];

/// The slug of the category whose providers need a verified licence.
pub const HEALTH: &str = "health";

pub fn category(slug: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.slug == slug)
}

impl Category {
    pub fn subcategory(&self, slug: &str) -> Option<&'static Subcategory> {
        self.subcategories.iter().find(|s| s.slug == slug)
    }

    pub fn needs_licence(&self) -> bool {
        self.slug == HEALTH
    }
}

/// How a listing is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceModel {
    Free,
    Fixed {
        price_minor: i64,
    },
    PerMinute {
        rate_minor: i64,
        minimum_minutes: u32,
    },
}

impl PriceModel {
    /// The stable name used in storage, the API and forms.
    pub fn kind(&self) -> &'static str {
        match self {
            PriceModel::Free => "free",
            PriceModel::Fixed { .. } => "fixed",
            PriceModel::PerMinute { .. } => "per_minute",
        }
    }

    /// The amount in minor units (0 for free): the session price or the rate per minute.
    pub fn amount_minor(&self) -> i64 {
        match *self {
            PriceModel::Free => 0,
            PriceModel::Fixed { price_minor } => price_minor,
            PriceModel::PerMinute { rate_minor, .. } => rate_minor,
        }
    }

    pub fn minimum_minutes(&self) -> Option<u32> {
        match *self {
            PriceModel::PerMinute {
                minimum_minutes, ..
            } => Some(minimum_minutes),
            _ => None,
        }
    }

    /// Builds and checks a price model from its parts.
    pub fn parse(
        kind: &str,
        amount_minor: Option<i64>,
        minimum_minutes: Option<u32>,
    ) -> Result<PriceModel, Invalid> {
        match kind {
            "free" => Ok(PriceModel::Free),
            "fixed" => {
                let price = amount_minor
                    .ok_or_else(|| Invalid::one("price_minor", "is required for a fixed price"))?;
                in_range("price_minor", price, &FIXED_PRICE_MINOR)?;
                Ok(PriceModel::Fixed { price_minor: price })
            }
            "per_minute" => {
                let mut errors = Invalid::default();
                match amount_minor {
                    None => errors.push("price_minor", "is required for a per-minute rate"),
                    Some(rate) => {
                        errors.take(in_range("price_minor", rate, &RATE_PER_MINUTE_MINOR));
                    }
                }
                match minimum_minutes {
                    None => errors.push("minimum_minutes", "is required for a per-minute rate"),
                    Some(m) => {
                        errors.take(in_range("minimum_minutes", m, &MINIMUM_MINUTES));
                    }
                }
                errors.finish(|| PriceModel::PerMinute {
                    rate_minor: amount_minor.expect("checked"),
                    minimum_minutes: minimum_minutes.expect("checked"),
                })
            }
            other => Err(Invalid::one(
                "price_model",
                format!("{other:?} is not one of free, fixed, per_minute"),
            )),
        }
    }

    /// "Free", "$25.00 per session", "$1.20 per minute (10 min minimum)".
    pub fn describe(&self, currency: Currency) -> String {
        match *self {
            PriceModel::Free => "Free".to_string(),
            PriceModel::Fixed { price_minor } => {
                format!("{} per session", Money::new(price_minor, currency))
            }
            PriceModel::PerMinute {
                rate_minor,
                minimum_minutes,
            } => format!(
                "{} per minute ({minimum_minutes} min minimum)",
                Money::new(rate_minor, currency)
            ),
        }
    }
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    value: T,
    range: &std::ops::RangeInclusive<T>,
) -> Result<T, Invalid> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::one(
            field,
            format!(
                "{field} {value} is not in {}..={}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// What a buyer pays for cancelling late; the scheduling work gives each its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationPolicy {
    Flexible,
    Moderate,
    Strict,
}

impl CancellationPolicy {
    pub fn parse(input: &str) -> Result<CancellationPolicy, Invalid> {
        match input {
            "flexible" => Ok(CancellationPolicy::Flexible),
            "moderate" => Ok(CancellationPolicy::Moderate),
            "strict" => Ok(CancellationPolicy::Strict),
            other => Err(Invalid::one(
                "cancellation_policy",
                format!("{other:?} is not one of flexible, moderate, strict"),
            )),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            CancellationPolicy::Flexible => "flexible",
            CancellationPolicy::Moderate => "moderate",
            CancellationPolicy::Strict => "strict",
        }
    }

    pub fn summary(&self) -> &'static str {
        match self {
            CancellationPolicy::Flexible => {
                "Free cancellation up to 1 hour before; a quarter of the price (or two minutes) after that."
            }
            CancellationPolicy::Moderate => {
                "Free cancellation up to 24 hours before; half the price (or five minutes) after that."
            }
            CancellationPolicy::Strict => {
                "Free cancellation up to 72 hours before; the full price (or the minimum minutes) after that."
            }
        }
    }
}

/// Listing fields as a person or client sent them, before any checking.
#[derive(Debug, Clone, Default)]
pub struct ListingInput {
    pub title: String,
    pub description: String,
    pub category: String,
    pub subcategory: String,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    pub intro_video_url: Option<String>,
    pub price_model: String,
    pub price_minor: Option<i64>,
    pub minimum_minutes: Option<u32>,
    pub session_minutes: Option<u32>,
    pub group_size: Option<u32>,
    pub cancellation_policy: String,
}

/// Listing content that passed every rule. Only `ListingContent::parse` makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingContent {
    pub title: String,
    pub description: String,
    pub category: &'static Category,
    pub subcategory: &'static Subcategory,
    pub tags: Vec<String>,
    pub languages: Vec<String>,
    pub intro_video_url: Option<String>,
    pub price: PriceModel,
    pub session_minutes: u32,
    pub group_size: u32,
    pub cancellation_policy: CancellationPolicy,
}

impl PartialEq for Category {
    fn eq(&self, other: &Self) -> bool {
        self.slug == other.slug
    }
}
impl Eq for Category {}
impl PartialEq for Subcategory {
    fn eq(&self, other: &Self) -> bool {
        self.slug == other.slug
    }
}
impl Eq for Subcategory {}

impl ListingContent {
    pub fn parse(input: &ListingInput) -> Result<ListingContent, Invalid> {
        let mut errors = Invalid::default();
        let title = errors.take(text("title", &input.title, TITLE_CHARS));
        let description = errors.take(text("description", &input.description, DESCRIPTION_CHARS));

        let category = match category(input.category.trim()) {
            Some(c) => Some(c),
            None => {
                let known: Vec<_> = CATEGORIES.iter().map(|c| c.slug).collect();
                errors.push(
                    "category",
                    format!("{:?} is not one of {}", input.category, known.join(", ")),
                );
                None
            }
        };
        let subcategory = category.and_then(|c| {
            let found = c.subcategory(input.subcategory.trim());
            if found.is_none() {
                let known: Vec<_> = c.subcategories.iter().map(|s| s.slug).collect();
                errors.push(
                    "subcategory",
                    format!(
                        "{:?} is not a subcategory of {}; choose one of {}",
                        input.subcategory,
                        c.slug,
                        known.join(", ")
                    ),
                );
            }
            found
        });

        let tags = errors.take(tags(&input.tags));
        let languages = errors.take(languages("languages", &input.languages, 1));
        let intro = errors.take(intro_video_url(input.intro_video_url.as_deref()));
        let price = errors.take(PriceModel::parse(
            input.price_model.trim(),
            input.price_minor,
            input.minimum_minutes,
        ));
        let session_minutes = errors.take(required_in_range(
            "session_minutes",
            input.session_minutes,
            &SESSION_MINUTES,
        ));
        let group_size = errors.take(required_in_range(
            "group_size",
            input.group_size,
            &GROUP_SIZE,
        ));
        let policy = errors.take(CancellationPolicy::parse(input.cancellation_policy.trim()));

        // Deals stay on the platform: no way to reach the provider outside it.
        for (field, value) in [("title", &input.title), ("description", &input.description)] {
            if let Some(found) = find_contact(value) {
                errors.push(
                    field,
                    format!(
                        "contains {} ({:?}); keep contact and payment on Onhand, where the guarantee protects both sides",
                        found.kind.describe(),
                        found.excerpt
                    ),
                );
            }
        }
        if let Some(found) = input.tags.iter().find_map(|t| find_contact(t)) {
            errors.push(
                "tags",
                format!("contain {} ({:?})", found.kind.describe(), found.excerpt),
            );
        }

        errors.finish(|| ListingContent {
            title: title.expect("checked"),
            description: description.expect("checked"),
            category: category.expect("checked"),
            subcategory: subcategory.expect("checked"),
            tags: tags.expect("checked"),
            languages: languages.expect("checked"),
            intro_video_url: intro.expect("checked"),
            price: price.expect("checked"),
            session_minutes: session_minutes.expect("checked"),
            group_size: group_size.expect("checked"),
            cancellation_policy: policy.expect("checked"),
        })
    }
}

fn required_in_range(
    field: &'static str,
    value: Option<u32>,
    range: &std::ops::RangeInclusive<u32>,
) -> Result<u32, Invalid> {
    match value {
        None => Err(Invalid::one(field, "is required")),
        Some(v) => in_range(field, v, range),
    }
}

fn tags(input: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for raw in input {
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() {
            continue;
        }
        let len = tag.chars().count();
        if !TAG_CHARS.contains(&len) {
            return Err(Invalid::one(
                "tags",
                format!("tag {tag:?} is {len} characters long; each must be 2 to 30"),
            ));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '+' || c == '#')
        {
            return Err(Invalid::one(
                "tags",
                format!("tag {tag:?} may hold only letters, digits, spaces, -, + and #"),
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(Invalid::one(
            "tags",
            format!("has {} tags; at most {TAGS_MAX} are allowed", out.len()),
        ));
    }
    Ok(out)
}

fn intro_video_url(input: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(raw) = input.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if raw.chars().count() > INTRO_VIDEO_URL_MAX_CHARS {
        return Err(Invalid::one(
            "intro_video_url",
            format!("must be at most {INTRO_VIDEO_URL_MAX_CHARS} characters"),
        ));
    }
    match url::Url::parse(raw) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() => Ok(Some(u.to_string())),
        _ => Err(Invalid::one(
            "intro_video_url",
            format!("{raw:?} is not an https:// link"),
        )),
    }
}

/// Where a listing's working copy stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// Being edited by its owner; not yet sent for review.
    Draft,
    /// Waiting for the operator.
    Submitted,
    /// Approved: the working copy is what the public sees.
    Approved,
    /// Refused by the operator, with a reason; the owner may edit and resubmit.
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReviewStatus::Draft => "draft",
            ReviewStatus::Submitted => "submitted",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewStatus> {
        Some(match s {
            "draft" => ReviewStatus::Draft,
            "submitted" => ReviewStatus::Submitted,
            "approved" => ReviewStatus::Approved,
            "rejected" => ReviewStatus::Rejected,
            _ => return None,
        })
    }

    /// Whether the owner may send the working copy for review from here.
    pub fn can_submit(&self) -> bool {
        matches!(self, ReviewStatus::Draft | ReviewStatus::Rejected)
    }

    /// Whether the operator may approve or reject from here.
    pub fn can_decide(&self) -> bool {
        matches!(self, ReviewStatus::Submitted)
    }
}

/// How pages and the API may order a list of listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingSort {
    #[default]
    Newest,
    PriceLow,
    PriceHigh,
    Title,
}

impl ListingSort {
    pub fn parse(input: &str) -> Result<ListingSort, Invalid> {
        Ok(match input {
            "" | "newest" => ListingSort::Newest,
            "price_low" => ListingSort::PriceLow,
            "price_high" => ListingSort::PriceHigh,
            "title" => ListingSort::Title,
            other => {
                return Err(Invalid::one(
                    "sort",
                    format!("{other:?} is not one of newest, price_low, price_high, title"),
                ));
            }
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            ListingSort::Newest => "newest",
            ListingSort::PriceLow => "price_low",
            ListingSort::PriceHigh => "price_high",
            ListingSort::Title => "title",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn good() -> ListingInput {
        ListingInput {
            title: "Conversational Spanish for travellers".into(),
            description: "Practice real conversations you will have at airports, hotels and markets, with gentle corrections.".into(),
            category: "education-careers".into(),
            subcategory: "languages".into(),
            tags: vec!["Spanish".into(), "travel".into(), "spanish".into()],
            languages: vec!["es".into(), "en".into()],
            intro_video_url: Some("https://video.example.com/intro/1".into()),
            price_model: "per_minute".into(),
            price_minor: Some(120),
            minimum_minutes: Some(10),
            session_minutes: Some(30),
            group_size: Some(1),
            cancellation_policy: "moderate".into(),
        }
    }

    #[test]
    fn a_good_listing_parses_and_normalizes() {
        let l = ListingContent::parse(&good()).unwrap();
        assert_eq!(l.tags, ["spanish", "travel"]);
        assert_eq!(
            l.price,
            PriceModel::PerMinute {
                rate_minor: 120,
                minimum_minutes: 10
            }
        );
        assert_eq!(l.category.slug, "education-careers");
    }

    #[test]
    fn every_category_has_unique_subcategories() {
        assert_eq!(CATEGORIES.len(), 8);
        for c in CATEGORIES {
            assert!(c.subcategories.len() >= 4, "{}", c.slug);
            for s in c.subcategories {
                assert_eq!(
                    c.subcategories.iter().filter(|o| o.slug == s.slug).count(),
                    1
                );
            }
        }
    }

    #[test]
    fn errors_name_field_value_and_rule() {
        let mut bad = good();
        bad.title = "Hi".into();
        bad.subcategory = "knitting".into();
        bad.price_minor = Some(5);
        bad.group_size = Some(13);
        bad.cancellation_policy = "lenient".into();
        let err = ListingContent::parse(&bad).unwrap_err();
        assert!(err.message_for("title").unwrap().contains("at least 5"));
        assert!(err.message_for("subcategory").unwrap().contains("knitting"));
        assert_eq!(
            err.message_for("price_minor").unwrap(),
            "price_minor 5 is not in 10..=100000"
        );
        assert_eq!(
            err.message_for("group_size").unwrap(),
            "group_size 13 is not in 1..=12"
        );
        assert!(
            err.message_for("cancellation_policy")
                .unwrap()
                .contains("lenient")
        );
    }

    #[test]
    fn contact_details_are_refused_with_what_was_found() {
        let mut bad = good();
        bad.description = "Great lessons for everyone! Write to me: maria at gmail dot com and we can agree on a price.".into();
        let err = ListingContent::parse(&bad).unwrap_err();
        assert!(
            err.message_for("description")
                .unwrap()
                .contains("an email address"),
            "{err}"
        );
        let mut bad = good();
        bad.title = "Call 555 123 4567 now".into();
        assert!(
            ListingContent::parse(&bad)
                .unwrap_err()
                .message_for("title")
                .is_some()
        );
    }

    #[test]
    fn intro_video_must_be_https() {
        let mut bad = good();
        bad.intro_video_url = Some("javascript:alert(1)".into());
        assert!(ListingContent::parse(&bad).is_err());
        bad.intro_video_url = Some("  ".into());
        assert_eq!(ListingContent::parse(&bad).unwrap().intro_video_url, None);
    }

    #[test]
    fn price_models() {
        assert_eq!(
            PriceModel::parse("free", Some(500), None).unwrap(),
            PriceModel::Free
        );
        assert!(PriceModel::parse("fixed", None, None).is_err());
        assert!(PriceModel::parse("per_minute", Some(100), None).is_err());
        assert!(PriceModel::parse("barter", None, None).is_err());
        let usd = Currency::usd();
        assert_eq!(
            PriceModel::Fixed { price_minor: 2500 }.describe(usd),
            "$25.00 per session"
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(title in any::<String>(), description in any::<String>(), tag in any::<String>(), price in any::<i64>(), group in any::<u32>()) {
            let mut input = good();
            input.title = title;
            input.description = description;
            input.tags = vec![tag];
            input.price_minor = Some(price);
            input.group_size = Some(group);
            let _ = ListingContent::parse(&input);
        }

        #[test]
        fn accepted_prices_are_in_range(kind in prop::sample::select(vec!["free", "fixed", "per_minute"]), amount in -10_i64..2_000_000, minimum in 0_u32..200) {
            if let Ok(p) = PriceModel::parse(kind, Some(amount), Some(minimum)) {
                match p {
                    PriceModel::Free => {}
                    PriceModel::Fixed { price_minor } => prop_assert!(FIXED_PRICE_MINOR.contains(&price_minor)),
                    PriceModel::PerMinute { rate_minor, minimum_minutes } => {
                        prop_assert!(RATE_PER_MINUTE_MINOR.contains(&rate_minor));
                        prop_assert!(MINIMUM_MINUTES.contains(&minimum_minutes));
                    }
                }
            }
        }
    }
}
