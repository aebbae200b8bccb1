//! Demo data: a believable marketplace seeded into an empty database, from `demo.json`.

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use onhand_core::catalog::{ListingContent, ListingInput};
use onhand_core::money::Currency;
use onhand_core::org::Organization;
use onhand_core::provider::{Application, ApplicationInput};
use onhand_store::{NewAccount, Store};
use std::collections::HashMap;

mod history;

/// Every demo account shares this password; it is printed at start.
pub const DEMO_PASSWORD: &str = "onhand-demo-2013";
pub const DEMO_BUYER: &str = "buyer@demo.onhand.test";
pub const DEMO_OPERATOR: &str = "operator@demo.onhand.test";
/// The demo provider whose credentials are printed: Lucía, owner of the language school.
pub const DEMO_PROVIDER: &str = "lucia@demo.onhand.test";

const DEMO_JSON: &str = include_str!("demo.json");

#[derive(serde::Deserialize)]
struct DemoData {
    organizations: Vec<DemoOrg>,
    providers: Vec<DemoProvider>,
    listings: Vec<DemoListing>,
}

#[derive(serde::Deserialize)]
struct DemoOrg {
    key: String,
    name: String,
    description: String,
    owner: String,
    members: Vec<String>,
}

#[derive(serde::Deserialize)]
struct DemoLicence {
    number: String,
    authority: String,
}

#[derive(serde::Deserialize)]
struct DemoProvider {
    key: String,
    display_name: String,
    email: String,
    headline: String,
    bio: String,
    languages: Vec<String>,
    time_zone: String,
    country: String,
    experience: String,
    licence: Option<DemoLicence>,
}

#[derive(serde::Deserialize)]
struct DemoPrice {
    model: String,
    amount_minor: Option<i64>,
    minimum_minutes: Option<u32>,
}

#[derive(serde::Deserialize)]
struct DemoListing {
    provider: String,
    organization: Option<String>,
    title: String,
    description: String,
    category: String,
    subcategory: String,
    tags: Vec<String>,
    languages: Vec<String>,
    intro_video_url: Option<String>,
    price: DemoPrice,
    session_minutes: u32,
    group_size: u32,
    cancellation: String,
    #[serde(default)]
    featured: bool,
}

/// What seeding made.
pub struct Report {
    pub providers: usize,
    pub organizations: usize,
    pub listings: usize,
    pub reviews: usize,
}

impl Report {
    pub fn print(&self) {
        println!(
            "Demo data: {} providers, {} organizations, {} listings, {} reviews.",
            self.providers, self.organizations, self.listings, self.reviews
        );
        print_credentials();
    }
}

pub fn print_credentials() {
    println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
    println!("  buyer     {DEMO_BUYER}");
    println!("  provider  {DEMO_PROVIDER}");
    println!("  operator  {DEMO_OPERATOR}");
}

/// What the demo buyer's wallet starts with: 500.00 in the platform currency.
pub const DEMO_WALLET_MINOR: i64 = 50_000;

/// Seeds the demo marketplace. Refuses a database that already has accounts.
pub async fn seed(store: &Store) -> anyhow::Result<Report> {
    if !store.is_empty().await? {
        bail!("the database already has accounts; demo data goes only into an empty one");
    }
    let data: DemoData = serde_json::from_str(DEMO_JSON).context("demo.json is malformed")?;
    let hash = onhand_web::auth::hash_password(DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e:?}"))?;
    // Spread creation times over the past weeks so "newest" has an order worth seeing.
    let start = Timestamp::now() - SignedDuration::from_hours(24 * 30);
    let mut clock = start;
    let mut tick = |minutes: i64| {
        clock += SignedDuration::from_mins(minutes);
        clock
    };

    let account = |email: &'static str, name: &'static str, operator: bool| NewAccount {
        email,
        password_hash: &hash,
        display_name: name,
        time_zone: "America/New_York",
        languages: &[],
        country: Some("US"),
        is_operator: operator,
    };
    let operator = store
        .create_account(&account(DEMO_OPERATOR, "Olivia Operator", true), tick(1))
        .await?;
    let buyer = store
        .create_account(&account(DEMO_BUYER, "Ben Buyer", false), tick(1))
        .await?;
    // The demo buyer starts with sandbox money, as if they had topped up with a test card.
    store
        .record_top_up(
            buyer.id,
            DEMO_WALLET_MINOR,
            Currency::usd().code,
            "sandbox",
            "4242",
            &onhand_store::ChargeOutcome::Succeeded {
                gateway_ref: "sandbox_ch_demo".into(),
            },
            None,
            tick(1),
        )
        .await?;

    let mut ids: HashMap<&str, i64> = HashMap::new();
    for p in &data.providers {
        let created = store
            .create_account(
                &NewAccount {
                    email: &p.email,
                    password_hash: &hash,
                    display_name: &p.display_name,
                    time_zone: &p.time_zone,
                    languages: &p.languages,
                    country: Some(&p.country),
                    is_operator: false,
                },
                tick(7),
            )
            .await
            .with_context(|| format!("demo provider {}", p.key))?;
        let input = ApplicationInput {
            headline: p.headline.clone(),
            bio: p.bio.clone(),
            languages: p.languages.clone(),
            time_zone: p.time_zone.clone(),
            country: p.country.clone(),
            experience: p.experience.clone(),
            licence_number: p
                .licence
                .as_ref()
                .map(|l| l.number.clone())
                .unwrap_or_default(),
            licence_authority: p
                .licence
                .as_ref()
                .map(|l| l.authority.clone())
                .unwrap_or_default(),
        };
        let app = Application::parse(&input, p.licence.is_some())
            .map_err(|e| anyhow::anyhow!("demo provider {}: {e}", p.key))?;
        store.apply_as_provider(created.id, &app, tick(3)).await?;
        store
            .decide_provider(created.id, true, None, operator.id, tick(30))
            .await?;
        ids.insert(p.key.as_str(), created.id);
    }

    let mut orgs: HashMap<&str, i64> = HashMap::new();
    for o in &data.organizations {
        let owner = *ids
            .get(o.owner.as_str())
            .with_context(|| format!("organization {} has unknown owner", o.key))?;
        let parsed = Organization::parse(&o.name, &o.description)
            .map_err(|e| anyhow::anyhow!("organization {}: {e}", o.key))?;
        let org = store.create_organization(owner, &parsed, tick(5)).await?;
        for m in o.members.iter().filter(|m| **m != o.owner) {
            let id = *ids
                .get(m.as_str())
                .with_context(|| format!("organization {} has unknown member {m}", o.key))?;
            store.add_member(org.id, id, tick(1)).await?;
        }
        orgs.insert(o.key.as_str(), org.id);
    }

    let currency = Currency::usd();
    let mut listings = Vec::with_capacity(data.listings.len());
    for (i, l) in data.listings.iter().enumerate() {
        let provider = *ids
            .get(l.provider.as_str())
            .with_context(|| format!("listing {i} has unknown provider {}", l.provider))?;
        let org = match &l.organization {
            Some(key) => Some(
                *orgs
                    .get(key.as_str())
                    .with_context(|| format!("listing {i} has unknown organization {key}"))?,
            ),
            None => None,
        };
        let content = ListingContent::parse(&ListingInput {
            title: l.title.clone(),
            description: l.description.clone(),
            category: l.category.clone(),
            subcategory: l.subcategory.clone(),
            tags: l.tags.clone(),
            languages: l.languages.clone(),
            intro_video_url: l.intro_video_url.clone(),
            price_model: l.price.model.clone(),
            price_minor: l.price.amount_minor,
            minimum_minutes: l.price.minimum_minutes,
            session_minutes: Some(l.session_minutes),
            group_size: Some(l.group_size),
            cancellation_policy: l.cancellation.clone(),
        })
        .map_err(|e| anyhow::anyhow!("demo listing {i} ({:?}): {e}", l.title))?;
        let listing = store
            .create_listing(provider, org, &content, currency, tick(11))
            .await?;
        store.submit_listing(listing.id, tick(2)).await?;
        store
            .decide_listing(listing.id, true, None, tick(25))
            .await?;
        if l.featured {
            store.set_listing_featured(listing.id, true).await?;
        }
        listings.push(store.listing(listing.id).await?);
    }
    let reviews = history::seed(store, &hash, &listings, buyer.id, Timestamp::now()).await?;
    tracing::info!(
        providers = data.providers.len(),
        listings = data.listings.len(),
        "demo data seeded"
    );
    Ok(Report {
        providers: data.providers.len(),
        organizations: data.organizations.len(),
        listings: data.listings.len(),
        reviews,
    })
}

/// Creates an operator with a generated password, which it returns.
pub async fn create_operator(store: &Store, email: &str, name: &str) -> anyhow::Result<String> {
    let email = onhand_core::account::Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = onhand_core::account::display_name(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = onhand_web::auth::random_token();
    let hash = onhand_web::auth::hash_password(&password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the password: {e:?}"))?;
    store
        .create_account(
            &NewAccount {
                email: email.as_str(),
                password_hash: &hash,
                display_name: &name,
                time_zone: "UTC",
                languages: &[],
                country: None,
                is_operator: true,
            },
            Timestamp::now(),
        )
        .await
        .map_err(|e| match e {
            onhand_store::StoreError::Conflict(_) => {
                anyhow::anyhow!("{email} already has an account")
            }
            e => anyhow::Error::new(e),
        })?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onhand_store::{ListingFilter, Page, SortOrder};
    use std::collections::HashSet;

    /// The demo must be the believable marketplace the README promises, and every text in
    /// it must pass the same rules a real provider's would (seeding parses them all).
    #[tokio::test]
    async fn the_demo_is_a_believable_marketplace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).await.unwrap();
        let report = seed(&store).await.unwrap();
        assert!(report.providers >= 40);
        assert!(report.organizations >= 3);
        assert!(report.listings >= 150);

        let all = store
            .public_listings(
                &ListingFilter::default(),
                SortOrder::Newest,
                Page {
                    offset: 0,
                    limit: 1000,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            all.total as usize, report.listings,
            "every demo listing is public"
        );
        let versions: Vec<_> = all
            .items
            .iter()
            .map(|l| l.published.clone().unwrap())
            .collect();
        let categories: HashSet<_> = versions.iter().map(|v| v.category.as_str()).collect();
        assert_eq!(categories.len(), 8);
        let languages: HashSet<_> = versions.iter().flat_map(|v| v.languages.iter()).collect();
        assert!(languages.len() >= 6, "{languages:?}");
        for model in ["free", "fixed", "per_minute"] {
            assert!(
                versions.iter().filter(|v| v.price_model == model).count() >= 20,
                "{model}"
            );
        }
        assert!(versions.iter().filter(|v| v.group_size > 1).count() >= 10);
        assert!(all.items.iter().any(|l| l.organization_id.is_some()));

        let data: DemoData = serde_json::from_str(DEMO_JSON).unwrap();
        let zones: HashSet<_> = data
            .providers
            .iter()
            .map(|p| p.time_zone.as_str())
            .collect();
        assert!(zones.len() >= 10, "{zones:?}");
        for o in &data.organizations {
            assert!(o.members.len() >= 3, "{} has several members", o.key);
        }
        // The printed accounts exist and can act.
        assert!(
            store
                .account_by_email(DEMO_OPERATOR)
                .await
                .unwrap()
                .is_operator
        );
        store.account_by_email(DEMO_BUYER).await.unwrap();
        let provider = store.account_by_email(DEMO_PROVIDER).await.unwrap();
        assert!(store.provider(provider.id).await.unwrap().is_approved());
        // Past sessions give ratings, reviews and response stats something to show, and
        // their money adds up.
        assert!(report.reviews >= 200, "{}", report.reviews);
        let mut rated = 0;
        for l in &all.items {
            if store
                .stars(onhand_store::ReviewSubject::Listing(l.id))
                .await
                .unwrap()
                .count()
                > 0
            {
                rated += 1;
            }
        }
        assert!(
            rated * 2 > all.items.len(),
            "most listings have reviews: {rated}"
        );
        let stars = store
            .stars(onhand_store::ReviewSubject::Provider(provider.id))
            .await
            .unwrap();
        assert!(stars.count() > 0, "the printed provider has reviews");
        let stats = store
            .response_stats(
                provider.id,
                jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 100),
            )
            .await
            .unwrap();
        assert!(
            stats.answered > 0 && stats.sessions_completed > 0,
            "{stats:?}"
        );
        store
            .verify_ledger()
            .await
            .unwrap()
            .expect("the demo's ledger replays clean");
        assert!(seed(&store).await.is_err(), "seeding twice is refused");
    }
}
