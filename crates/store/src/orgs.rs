//! Organizations and their member providers.

use crate::model::{Member, Organization};
use crate::{Result, Store, StoreError, ms, ts, unique_as};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

const ORG_COLUMNS: &str = "o.id, o.slug, o.name, o.description, o.owner_id, o.created_at_ms";

fn organization(row: &AnyRow) -> Organization {
    Organization {
        id: row.get("id"),
        slug: row.get("slug"),
        name: row.get("name"),
        description: row.get("description"),
        owner_id: row.get("owner_id"),
        created_at: ts(row.get("created_at_ms")),
    }
}

impl Store {
    /// Creates an organization with `owner_id` as its owner and first member.
    pub async fn create_organization(
        &self,
        owner_id: i64,
        org: &onhand_core::org::Organization,
        now: Timestamp,
    ) -> Result<Organization> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (slug, name, description, owner_id, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&org.slug)
        .bind(&org.name)
        .bind(&org.description)
        .bind(owner_id)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as(e, "organization name"))?;
        sqlx::query(
            "INSERT INTO organization_members (organization_id, account_id, role, added_at_ms) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id)
        .bind(owner_id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.organization(id).await
    }

    pub async fn organization(&self, id: i64) -> Result<Organization> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(organization(&row))
    }

    pub async fn organization_by_slug(&self, slug: &str) -> Result<Organization> {
        let row = sqlx::query(crate::dynamic(format!(
            "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.slug = $1"
        )))
        .bind(slug)
        .fetch_one(&self.pool)
        .await?;
        Ok(organization(&row))
    }

    /// Organizations the account belongs to, as owner or member.
    pub async fn organizations_of(&self, account_id: i64) -> Result<Vec<Organization>> {
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_members m ON m.organization_id = o.id \
             WHERE m.account_id = $1 ORDER BY o.name LIMIT 50"
        )))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(organization).collect())
    }

    pub async fn organizations(&self, limit: i64) -> Result<Vec<Organization>> {
        let rows = sqlx::query(crate::dynamic(format!(
            "SELECT {ORG_COLUMNS} FROM organizations o ORDER BY o.name LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(organization).collect())
    }

    /// Members with their provider headline, owner first. Suspended members are left out.
    pub async fn members(&self, organization_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.account_id, a.display_name, m.role, p.headline FROM organization_members m \
             JOIN accounts a ON a.id = m.account_id LEFT JOIN providers p ON p.account_id = m.account_id \
             WHERE m.organization_id = $1 AND a.suspended_at_ms IS NULL \
             ORDER BY m.role = 'owner' DESC, a.display_name LIMIT $2",
        )
        .bind(organization_id)
        .bind(onhand_core::org::MEMBERS_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Member {
                account_id: r.get("account_id"),
                display_name: r.get("display_name"),
                role: r.get("role"),
                headline: r.get("headline"),
            })
            .collect())
    }

    pub async fn is_member(&self, organization_id: i64, account_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM organization_members WHERE organization_id = $1 AND account_id = $2",
        )
        .bind(organization_id)
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Adds a member; `Conflict("member")` if they already are one.
    pub async fn add_member(
        &self,
        organization_id: i64,
        account_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organization_members WHERE organization_id = $1",
        )
        .bind(organization_id)
        .fetch_one(&self.pool)
        .await?;
        if count >= onhand_core::org::MEMBERS_MAX as i64 {
            return Err(StoreError::WrongState(format!(
                "an organization has at most {} members",
                onhand_core::org::MEMBERS_MAX
            )));
        }
        sqlx::query(
            "INSERT INTO organization_members (organization_id, account_id, role, added_at_ms) VALUES ($1, $2, 'member', $3)",
        )
        .bind(organization_id)
        .bind(account_id)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_as(e, "member"))?;
        Ok(())
    }
}
