//! What templates show: small view structs made from store records.

use crate::auth::Viewer;
use crate::error::Failure;
use onhand_core::Invalid;
use onhand_core::catalog::{CATEGORIES, Category, ListingSort, PriceModel, category};
use onhand_core::locale;
use onhand_core::money::{Currency, Money};
use onhand_store::{Listing, ListingFilter, ListingVersion, SortOrder};

/// The parts of every page around its content: who is signed in, the CSRF token for the
/// sign-out form, the search box's text.
pub struct Chrome {
    pub user: Option<NavUser>,
    pub csrf: String,
    pub q: String,
    pub categories: &'static [Category],
}

pub struct NavUser {
    pub name: String,
    pub is_operator: bool,
    pub unread: i64,
}

impl Chrome {
    pub fn new(viewer: &Viewer) -> Chrome {
        Chrome {
            user: viewer.account.as_ref().map(|a| NavUser {
                name: a.display_name.clone(),
                is_operator: a.is_operator,
                unread: viewer.unread,
            }),
            csrf: viewer.csrf.clone(),
            q: String::new(),
            categories: CATEGORIES,
        }
    }

    /// For error pages rendered outside a handler, where the viewer is unknown.
    pub fn bare() -> Chrome {
        Chrome {
            user: None,
            csrf: String::new(),
            q: String::new(),
            categories: CATEGORIES,
        }
    }
}

/// Rebuilds the price model of a stored version.
pub fn price_model(v: &ListingVersion) -> Option<PriceModel> {
    PriceModel::parse(
        &v.price_model,
        Some(v.price_minor),
        v.minimum_minutes.and_then(|m| u32::try_from(m).ok()),
    )
    .ok()
}

pub fn price_label(v: &ListingVersion) -> String {
    let currency = Currency::parse(&v.currency).unwrap_or_else(|_| Currency::usd());
    match price_model(v) {
        Some(PriceModel::Free) => "Free".into(),
        Some(PriceModel::Fixed { price_minor }) => Money::new(price_minor, currency).to_string(),
        Some(PriceModel::PerMinute { rate_minor, .. }) => {
            format!("{}/min", Money::new(rate_minor, currency))
        }
        None => Money::new(v.price_minor, currency).to_string(),
    }
}

pub fn language_names(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| locale::language(c).map(|l| l.name).unwrap_or(c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn country_name(code: &str) -> String {
    locale::country(code)
        .map(|c| c.name.to_string())
        .unwrap_or_else(|| code.to_string())
}

/// A listing as a card in a grid.
pub struct Card {
    pub id: i64,
    pub title: String,
    pub blurb: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub organization_name: Option<String>,
    pub category_name: String,
    pub subcategory_name: String,
    pub price: String,
    pub is_free: bool,
    pub minutes: i64,
    pub group_size: i64,
    pub languages: String,
    pub initials: String,
    pub hue: u32,
}

pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// Avatar colours the stylesheet defines (`.avatar.h0` to `.avatar.h11`).
pub const HUES: u64 = 12;

/// A stable colour for someone's avatar, from their id.
pub fn hue(id: i64) -> u32 {
    (id.unsigned_abs().wrapping_mul(2_654_435_761) % HUES) as u32
}

impl Card {
    /// The card of the version the viewer should see: the published one if any.
    pub fn new(l: &Listing) -> Card {
        let v = l.published.as_ref().unwrap_or(&l.working);
        let cat = category(&v.category);
        let blurb: String = v.description.chars().take(140).collect();
        let blurb = if v.description.chars().count() > 140 {
            format!("{}…", blurb.trim_end())
        } else {
            blurb
        };
        Card {
            id: l.id,
            title: v.title.clone(),
            blurb,
            provider_id: l.provider_id,
            provider_name: l.provider_name.clone(),
            organization_name: l.organization_name.clone(),
            category_name: cat.map(|c| c.name).unwrap_or("").to_string(),
            subcategory_name: cat
                .and_then(|c| c.subcategory(&v.subcategory))
                .map(|s| s.name)
                .unwrap_or("")
                .to_string(),
            price: price_label(v),
            is_free: v.price_model == "free",
            minutes: v.session_minutes,
            group_size: v.group_size,
            languages: language_names(&v.languages),
            initials: initials(&l.provider_name),
            hue: hue(l.provider_id),
        }
    }
}

/// Checks catalog filters from a query string.
pub fn filter(
    category_slug: Option<&str>,
    subcategory: Option<&str>,
    text: Option<&str>,
) -> Result<ListingFilter, Failure> {
    let mut f = ListingFilter::default();
    if let Some(slug) = category_slug.filter(|s| !s.is_empty()) {
        let Some(c) = category(slug) else {
            return Err(Invalid::one("category", format!("{slug:?} is not a category")).into());
        };
        f.category = Some(c.slug.to_string());
        if let Some(sub) = subcategory.filter(|s| !s.is_empty()) {
            if c.subcategory(sub).is_none() {
                return Err(Invalid::one(
                    "subcategory",
                    format!("{sub:?} is not a subcategory of {}", c.slug),
                )
                .into());
            }
            f.subcategory = Some(sub.to_string());
        }
    } else if subcategory.is_some_and(|s| !s.is_empty()) {
        return Err(Invalid::one("subcategory", "needs a category").into());
    }
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        if t.chars().count() > 200 {
            return Err(Invalid::one("q", "must be at most 200 characters").into());
        }
        f.text = Some(t.to_string());
    }
    Ok(f)
}

pub fn sort_order(sort: ListingSort) -> SortOrder {
    match sort {
        ListingSort::Newest => SortOrder::Newest,
        ListingSort::PriceLow => SortOrder::PriceLow,
        ListingSort::PriceHigh => SortOrder::PriceHigh,
        ListingSort::Title => SortOrder::Title,
    }
}

/// Page links for a list: numbers around the current one.
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub total: i64,
    /// The URL of every page but the `page=` parameter, ending in `&` or `?`.
    pub base: String,
}

impl Pager {
    pub fn new(page: u32, per_page: u32, total: i64, base: String) -> Pager {
        let pages = ((total.max(0) as u64).div_ceil(u64::from(per_page))).max(1) as u32;
        Pager {
            page,
            pages,
            total,
            base,
        }
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub fn prev(&self) -> u32 {
        self.page.saturating_sub(1).max(1)
    }

    pub fn next(&self) -> u32 {
        (self.page + 1).min(self.pages)
    }
}

/// "moderate" becomes "Moderate".
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
