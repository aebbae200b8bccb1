//! Listings, their versions and their review.

use crate::model::{Listing, ListingFilter, ListingVersion, Page, Paged, SortOrder};
use crate::{Result, Store, StoreError, json_list, ms, parse_list, ts};
use jiff::Timestamp;
use onhand_core::catalog::ListingContent;
use onhand_core::money::Currency;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

const VERSION_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "category",
    "subcategory",
    "tags",
    "languages",
    "intro_video_url",
    "price_model",
    "price_minor",
    "minimum_minutes",
    "currency",
    "session_minutes",
    "group_size",
    "cancellation_policy",
    "created_at_ms",
];

/// The full SELECT of a listing with both versions; the WHERE is appended by callers.
static LISTING_SELECT: LazyLock<String> = LazyLock::new(|| {
    let mut cols = String::new();
    for (alias, prefix) in [("w", "w_"), ("p", "p_")] {
        for f in VERSION_FIELDS {
            cols.push_str(&format!(", {alias}.{f} AS {prefix}{f}"));
        }
    }
    format!(
        "SELECT l.id, l.provider_id, a.display_name AS provider_name, l.organization_id, \
         o.name AS organization_name, o.slug AS organization_slug, l.review_status, l.review_reason, \
         l.paused, l.featured, l.hidden_reason, l.created_at_ms, l.published_at_ms, l.submitted_at_ms, \
         CASE WHEN {PUBLIC} THEN 1 ELSE 0 END AS is_public{cols} \
         FROM listings l JOIN accounts a ON a.id = l.provider_id \
         LEFT JOIN providers pr ON pr.account_id = l.provider_id \
         LEFT JOIN organizations o ON o.id = l.organization_id \
         JOIN listing_versions w ON w.id = l.working_version_id \
         LEFT JOIN listing_versions p ON p.id = l.published_version_id"
    )
});

/// The one definition of "the public may see this listing".
const PUBLIC: &str = "l.published_version_id IS NOT NULL AND l.paused = 0 AND l.hidden_at_ms IS NULL \
     AND a.suspended_at_ms IS NULL AND pr.status = 'approved'";

fn version(row: &AnyRow, prefix: &str) -> Option<ListingVersion> {
    let col = |f: &str| format!("{prefix}{f}");
    let id: Option<i64> = row.get(col("id").as_str());
    Some(ListingVersion {
        id: id?,
        title: row.get(col("title").as_str()),
        description: row.get(col("description").as_str()),
        category: row.get(col("category").as_str()),
        subcategory: row.get(col("subcategory").as_str()),
        tags: parse_list(row.get(col("tags").as_str())),
        languages: parse_list(row.get(col("languages").as_str())),
        intro_video_url: row.get(col("intro_video_url").as_str()),
        price_model: row.get(col("price_model").as_str()),
        price_minor: row.get(col("price_minor").as_str()),
        minimum_minutes: row.get(col("minimum_minutes").as_str()),
        currency: row.get(col("currency").as_str()),
        session_minutes: row.get(col("session_minutes").as_str()),
        group_size: row.get(col("group_size").as_str()),
        cancellation_policy: row.get(col("cancellation_policy").as_str()),
        created_at: ts(row.get(col("created_at_ms").as_str())),
    })
}

fn listing(row: &AnyRow) -> Listing {
    Listing {
        id: row.get("id"),
        provider_id: row.get("provider_id"),
        provider_name: row.get("provider_name"),
        organization_id: row.get("organization_id"),
        organization_name: row.get("organization_name"),
        organization_slug: row.get("organization_slug"),
        review_status: row.get("review_status"),
        review_reason: row.get("review_reason"),
        paused: row.get::<i64, _>("paused") != 0,
        featured: row.get::<i64, _>("featured") != 0,
        hidden_reason: row.get("hidden_reason"),
        created_at: ts(row.get("created_at_ms")),
        published_at: row.get::<Option<i64>, _>("published_at_ms").map(ts),
        submitted_at: row.get::<Option<i64>, _>("submitted_at_ms").map(ts),
        working: version(row, "w_").expect("every listing has a working version"),
        published: version(row, "p_"),
        is_public: row.get::<i64, _>("is_public") != 0,
    }
}

async fn insert_version(
    tx: &mut sqlx::AnyConnection,
    listing_id: i64,
    c: &ListingContent,
    currency: Currency,
    now: Timestamp,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO listing_versions (listing_id, title, description, category, subcategory, tags, languages, \
             intro_video_url, price_model, price_minor, minimum_minutes, currency, session_minutes, group_size, \
             cancellation_policy, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(listing_id)
    .bind(&c.title)
    .bind(&c.description)
    .bind(c.category.slug)
    .bind(c.subcategory.slug)
    .bind(json_list(&c.tags))
    .bind(json_list(&c.languages))
    .bind(&c.intro_video_url)
    .bind(c.price.kind())
    .bind(c.price.amount_minor())
    .bind(c.price.minimum_minutes().map(i64::from))
    .bind(currency.code)
    .bind(i64::from(c.session_minutes))
    .bind(i64::from(c.group_size))
    .bind(c.cancellation_policy.as_str())
    .bind(ms(now))
    .fetch_one(&mut *tx)
    .await?)
}

impl Store {
    /// Creates a draft listing delivered by `provider_id`, optionally for an organization.
    pub async fn create_listing(
        &self,
        provider_id: i64,
        organization_id: Option<i64>,
        content: &ListingContent,
        currency: Currency,
        now: Timestamp,
    ) -> Result<Listing> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO listings (provider_id, organization_id, review_status, created_at_ms) VALUES ($1, $2, 'draft', $3) RETURNING id",
        )
        .bind(provider_id)
        .bind(organization_id)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let version_id = insert_version(&mut tx, id, content, currency, now).await?;
        sqlx::query("UPDATE listings SET working_version_id = $1 WHERE id = $2")
            .bind(version_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.listing(id).await
    }

    /// Replaces the working copy. A published version is never changed: editing an
    /// approved listing starts a new working version while the old one stays public.
    /// The edited copy is a draft until submitted.
    pub async fn update_listing(
        &self,
        id: i64,
        content: &ListingContent,
        currency: Currency,
        now: Timestamp,
    ) -> Result<Listing> {
        let mut tx = self.write().await?;
        let (working, published): (i64, Option<i64>) = sqlx::query_as(
            "SELECT working_version_id, published_version_id FROM listings WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if published == Some(working) {
            let version_id = insert_version(&mut tx, id, content, currency, now).await?;
            sqlx::query(
                "UPDATE listings SET working_version_id = $1, review_status = 'draft', review_reason = NULL WHERE id = $2",
            )
            .bind(version_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM listing_versions WHERE id = $1")
                .bind(working)
                .execute(&mut *tx)
                .await?;
            let version_id = insert_version(&mut tx, id, content, currency, now).await?;
            sqlx::query(
                "UPDATE listings SET working_version_id = $1, review_status = 'draft', review_reason = NULL WHERE id = $2",
            )
            .bind(version_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.listing(id).await
    }

    /// Sends a draft or rejected working copy to the operator.
    pub async fn submit_listing(&self, id: i64, now: Timestamp) -> Result<Listing> {
        let done = sqlx::query(
            "UPDATE listings SET review_status = 'submitted', review_reason = NULL, submitted_at_ms = $1 \
             WHERE id = $2 AND review_status IN ('draft', 'rejected')",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let l = self.listing(id).await?;
            return Err(StoreError::WrongState(format!(
                "the listing is {}; only a draft or a rejected listing can be submitted",
                l.review_status
            )));
        }
        self.listing(id).await
    }

    /// Approves (publishing the working copy) or rejects a submitted listing, exactly once.
    pub async fn decide_listing(
        &self,
        id: i64,
        approve: bool,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Listing> {
        let done = if approve {
            sqlx::query(
                "UPDATE listings SET review_status = 'approved', review_reason = $1, \
                     published_version_id = working_version_id, \
                     published_at_ms = COALESCE(published_at_ms, $2) \
                 WHERE id = $3 AND review_status = 'submitted'",
            )
            .bind(reason)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?
        } else {
            sqlx::query(
                "UPDATE listings SET review_status = 'rejected', review_reason = $1 WHERE id = $2 AND review_status = 'submitted'",
            )
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?
        };
        if done.rows_affected() == 0 {
            let l = self.listing(id).await?;
            return Err(StoreError::WrongState(format!(
                "the listing is {}, not submitted",
                l.review_status
            )));
        }
        self.listing(id).await
    }

    pub async fn set_listing_paused(&self, id: i64, paused: bool) -> Result<Listing> {
        let done = sqlx::query("UPDATE listings SET paused = $1 WHERE id = $2")
            .bind(i64::from(paused))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.listing(id).await
    }

    pub async fn set_listing_featured(&self, id: i64, featured: bool) -> Result<()> {
        sqlx::query("UPDATE listings SET featured = $1 WHERE id = $2")
            .bind(i64::from(featured))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A listing in any state. Callers decide who may see it.
    pub async fn listing(&self, id: i64) -> Result<Listing> {
        let row = sqlx::query(crate::dynamic(format!(
            "{} WHERE l.id = $1",
            *LISTING_SELECT
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(listing(&row))
    }

    /// Listings `account_id` delivers or that belong to an organization they own.
    pub async fn listings_managed_by(&self, account_id: i64, page: Page) -> Result<Paged<Listing>> {
        let scope = "(l.provider_id = $1 OR l.organization_id IN (SELECT id FROM organizations WHERE owner_id = $1))";
        let total: i64 = sqlx::query_scalar(crate::dynamic(format!(
            "SELECT COUNT(*) FROM listings l WHERE {scope}"
        )))
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(crate::dynamic(format!(
            "{} WHERE {scope} ORDER BY l.id DESC LIMIT $2 OFFSET $3",
            *LISTING_SELECT
        )))
        .bind(account_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(listing).collect(),
            total,
        })
    }

    /// Listings waiting for review, oldest submission first.
    pub async fn listings_in_review(&self, page: Page) -> Result<Paged<Listing>> {
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM listings WHERE review_status = 'submitted'")
                .fetch_one(&self.pool)
                .await?;
        let rows = sqlx::query(crate::dynamic(format!(
            "{} WHERE l.review_status = 'submitted' ORDER BY l.submitted_at_ms, l.id LIMIT $1 OFFSET $2",
            *LISTING_SELECT
        )))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(Paged {
            items: rows.iter().map(listing).collect(),
            total,
        })
    }

    /// Ids of every public listing, for rebuilding the search index.
    pub async fn public_listing_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(crate::dynamic(format!(
            "SELECT l.id FROM listings l JOIN accounts a ON a.id = l.provider_id \
             JOIN providers pr ON pr.account_id = l.provider_id WHERE {PUBLIC} ORDER BY l.id"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ids of every listing of a provider, public or not.
    pub async fn listing_ids_of_provider(&self, provider_id: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM listings WHERE provider_id = $1 ORDER BY id")
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Public listings matching `filter`, in `sort` order. Sorting and filtering use the
    /// published version, never the working copy.
    pub async fn public_listings(
        &self,
        filter: &ListingFilter,
        sort: SortOrder,
        page: Page,
    ) -> Result<Paged<Listing>> {
        let mut conditions = vec![PUBLIC.to_string()];
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(c) = &filter.category {
            conditions.push(format!("p.category = ${}", binds.len() + 1));
            binds.push(Bind::Text(c.clone()));
        }
        if let Some(s) = &filter.subcategory {
            conditions.push(format!("p.subcategory = ${}", binds.len() + 1));
            binds.push(Bind::Text(s.clone()));
        }
        if let Some(id) = filter.provider_id {
            conditions.push(format!("l.provider_id = ${}", binds.len() + 1));
            binds.push(Bind::Int(id));
        }
        if let Some(id) = filter.organization_id {
            conditions.push(format!("l.organization_id = ${}", binds.len() + 1));
            binds.push(Bind::Int(id));
        }
        if filter.featured_only {
            conditions.push("l.featured = 1".into());
        }
        if let Some(text) = &filter.text {
            for word in text.split_whitespace().take(8) {
                let n = binds.len() + 1;
                conditions.push(format!(
                    "(LOWER(p.title) LIKE ${n} ESCAPE '\\' OR LOWER(p.description) LIKE ${n} ESCAPE '\\' \
                     OR LOWER(p.tags) LIKE ${n} ESCAPE '\\' OR LOWER(a.display_name) LIKE ${n} ESCAPE '\\')"
                ));
                let pattern = format!("%{}%", crate::accounts::like_escape(&word.to_lowercase()));
                binds.push(Bind::Text(pattern));
            }
        }
        let condition = conditions.join(" AND ");
        let order = match sort {
            SortOrder::Newest => "l.published_at_ms DESC, l.id DESC",
            SortOrder::PriceLow => "p.price_minor ASC, l.id DESC",
            SortOrder::PriceHigh => "p.price_minor DESC, l.id DESC",
            SortOrder::Title => "LOWER(p.title) ASC, l.id",
        };
        let count_sql = format!(
            "SELECT COUNT(*) FROM listings l JOIN accounts a ON a.id = l.provider_id \
             LEFT JOIN providers pr ON pr.account_id = l.provider_id \
             LEFT JOIN listing_versions p ON p.id = l.published_version_id WHERE {condition}"
        );
        let mut count = sqlx::query_scalar::<_, i64>(crate::dynamic(count_sql));
        for b in &binds {
            count = match b {
                Bind::Text(s) => count.bind(s),
                Bind::Int(i) => count.bind(i),
            };
        }
        let total = count.fetch_one(&self.pool).await?;
        let sql = format!(
            "{} WHERE {condition} ORDER BY {order} LIMIT ${} OFFSET ${}",
            *LISTING_SELECT,
            binds.len() + 1,
            binds.len() + 2
        );
        let mut query = sqlx::query(crate::dynamic(sql));
        for b in &binds {
            query = match b {
                Bind::Text(s) => query.bind(s),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(Paged {
            items: rows.iter().map(listing).collect(),
            total,
        })
    }

    /// How many public listings each category has, by category slug.
    pub async fn public_counts_by_category(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(crate::dynamic(format!(
            "SELECT p.category, COUNT(*) FROM listings l JOIN accounts a ON a.id = l.provider_id \
             LEFT JOIN providers pr ON pr.account_id = l.provider_id \
             JOIN listing_versions p ON p.id = l.published_version_id WHERE {PUBLIC} GROUP BY p.category"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    pub async fn queue_counts(&self) -> Result<crate::model::QueueCounts> {
        let (providers_pending, listings_pending, reports_open): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM providers WHERE status = 'submitted'), \
                    (SELECT COUNT(*) FROM listings WHERE review_status = 'submitted'), \
                    (SELECT COUNT(*) FROM reports WHERE status = 'open')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(crate::model::QueueCounts {
            providers_pending,
            listings_pending,
            reports_open,
        })
    }
}

enum Bind {
    Text(String),
    Int(i64),
}
