//! The published catalog as tenants see it: the marketplace grid and a plugin's page.

pub mod index;

use super::{markdown, Db};
use index::{CatalogIndex, Change, Listed};
use crate::domain::{
    Category, MarketplaceQuery, PluginCard, PluginDetail, PluginId, PluginPage, ReviewState, ReviewView, Scope,
    SessionUser, TenantId, PAGE_SIZE,
};
use sqlx::any::AnyRow;
use sqlx::Row;

const EXCERPT_CHARS: usize = 140;

const CARD_COLUMNS: &str = "p.id, p.slug, p.name, p.author, p.icon_url, p.category, p.description, \
     p.install_count, p.rating, p.review_count, p.is_verified, \
     CASE WHEN i.id IS NULL THEN 0 ELSE 1 END AS is_installed";

/// One page of published plugins for the query; `viewer` marks the tenant's installed ones.
/// The index (brought up to date first) picks the page; the cards are read fresh.
pub async fn list_published(
    db: &Db,
    index: &CatalogIndex,
    query: &MarketplaceQuery,
    viewer: Option<TenantId>,
) -> Result<PluginPage, sqlx::Error> {
    catch_up(db, index).await?;
    let hits = index.search(&query.search_terms(), query.category, query.sort, query.offset() as usize, PAGE_SIZE as usize);
    let mut plugins = cards(db, &hits.ids, viewer).await?;
    // In the index's order; one unpublished since it was read is left out.
    plugins.sort_by_key(|card| hits.ids.iter().position(|id| *id == card.id.0));
    Ok(PluginPage { plugins, total: hits.total, query: query.clone() })
}

/// The published cards among `ids`, in no particular order.
async fn cards(db: &Db, ids: &[i64], viewer: Option<TenantId>) -> Result<Vec<PluginCard>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (2..ids.len() + 2).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM plugins p \
         LEFT JOIN installations i ON i.plugin_id = p.id AND i.tenant_id = $1 AND i.status = 'active' \
         WHERE p.id IN ({placeholders}) AND +p.is_published = 1"
    );
    // `+` keeps SQLite from answering through an index on `is_published` (a scan of
    // the whole catalog) instead of looking the ids up; PostgreSQL reads it as plain.
    let mut query = sqlx::query(&sql).bind(viewer.map_or(-1, |t| t.0));
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(db.pool()).await?.iter().map(card_from_row).collect()
}

/// Brings the index up to the database's catalog version: one indexed lookup when
/// nothing changed, else the changed plugins since the version it holds.
pub async fn catch_up(db: &Db, index: &CatalogIndex) -> Result<(), sqlx::Error> {
    let latest: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(v), 0) FROM (SELECT MAX(catalog_version) AS v FROM plugins \
         UNION ALL SELECT MAX(catalog_version) AS v FROM catalog_removals) AS versions",
    )
    .fetch_one(db.pool())
    .await?;
    if index.version() >= latest {
        return Ok(());
    }
    let _one_at_a_time = index.catching_up().await;
    let since = index.version();
    if since >= latest {
        return Ok(());
    }
    let (rows, removed) = tokio::try_join!(
        sqlx::query(
            "SELECT id, name, description, category, is_published, install_count, rating, review_count, created_at, \
                    catalog_version FROM plugins WHERE catalog_version > $1",
        )
        .bind(since)
        .fetch_all(db.pool()),
        sqlx::query("SELECT plugin_id, catalog_version FROM catalog_removals WHERE catalog_version > $1")
            .bind(since)
            .fetch_all(db.pool()),
    )?;
    let mut changes: Vec<(i64, Change)> = Vec::with_capacity(rows.len() + removed.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let listed = match category_of(row) {
            Ok(category) if row.try_get::<i64, _>("is_published")? == 1 => Change::Listed(Listed {
                id,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                category,
                install_count: row.try_get("install_count")?,
                rating: row.try_get("rating")?,
                review_count: row.try_get("review_count")?,
                created_at: row.try_get("created_at")?,
            }),
            Ok(_) => Change::Unlisted(id),
            // One plugin this release cannot list (a category from a newer release during a
            // rolling deploy) stays out; the marketplace goes on.
            Err(err) => {
                tracing::warn!(plugin = id, error = %err, "plugin left out of the marketplace");
                Change::Unlisted(id)
            }
        };
        changes.push((row.try_get("catalog_version")?, listed));
    }
    for row in &removed {
        changes.push((row.try_get("catalog_version")?, Change::Unlisted(row.try_get("plugin_id")?)));
    }
    // A deleted plugin's id may be taken again (SQLite): the order of versions decides.
    changes.sort_by_key(|(version, _)| *version);
    // The two reads saw two snapshots, so one may hold a change the other does not; what
    // both hold for certain is everything up to `latest`, read before them. The index
    // reaches `latest`, and anything newer is loaded again (and applied in order) next time.
    index.apply(changes.into_iter().map(|(_, c)| c).collect(), latest).await;
    Ok(())
}

/// A row's `category`, strictly: a name this release does not know fails the decoding.
fn category_of(row: &AnyRow) -> Result<Category, sqlx::Error> {
    let category: String = row.try_get("category")?;
    Category::parse(&category).ok_or_else(|| sqlx::Error::Decode(format!("unknown category {category:?}").into()))
}

fn card_from_row(row: &AnyRow) -> Result<PluginCard, sqlx::Error> {
    let description: String = row.try_get("description")?;
    Ok(PluginCard {
        id: PluginId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        author: row.try_get("author")?,
        icon_url: row.try_get("icon_url")?,
        category: category_of(row)?,
        excerpt: markdown::excerpt(&description, EXCERPT_CHARS),
        install_count: row.try_get("install_count")?,
        rating: row.try_get("rating")?,
        review_count: row.try_get("review_count")?,
        is_verified: row.try_get::<i64, _>("is_verified")? != 0,
        is_installed: row.try_get::<i64, _>("is_installed")? != 0,
    })
}

/// A plugin's page: published ones for everybody; others only for their developer and
/// staff (to see it as tenants will). `None` when the viewer may not see it.
pub async fn plugin_detail(
    db: &Db,
    slug: &str,
    viewer: Option<&SessionUser>,
) -> Result<Option<PluginDetail>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {CARD_COLUMNS}, p.author_url, p.permissions, p.created_at, p.updated_at, p.review_state, p.developer_id \
         FROM plugins p \
         LEFT JOIN installations i ON i.plugin_id = p.id AND i.tenant_id = $1 AND i.status = 'active' \
         WHERE p.slug = $2 AND (p.is_published = 1 OR p.developer_id = $3 OR $4 = 1)"
    ))
    .bind(viewer.map_or(-1, |u| u.tenant_id.0))
    .bind(slug)
    .bind(viewer.map_or(-1, |u| u.id.0))
    .bind(i64::from(viewer.is_some_and(|u| u.is_staff)))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let card = card_from_row(&row)?;
    let description: String = row.try_get("description")?;
    let permissions_json: String = row.try_get("permissions")?;
    let permissions = parse_scopes(&permissions_json);
    let developer_id: Option<i64> = row.try_get("developer_id")?;
    let viewer_tenant = viewer.map_or(-1, |u| u.tenant_id.0);

    let reviews = sqlx::query(
        "SELECT r.id, r.tenant_id, r.rating, r.body, r.reply, r.created_at, \
                COALESCE(u.display_name, 'Former member') AS author_name, t.name AS tenant_name \
         FROM reviews r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN users u ON u.id = r.user_id \
         WHERE r.plugin_id = $1 ORDER BY r.updated_at DESC, r.id DESC LIMIT 50",
    )
    .bind(card.id.0)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(ReviewView {
            id: r.try_get("id")?,
            rating: r.try_get("rating")?,
            body: r.try_get("body")?,
            author_name: r.try_get("author_name")?,
            tenant_name: r.try_get("tenant_name")?,
            created_at: r.try_get("created_at")?,
            reply: r.try_get("reply")?,
            is_mine: r.try_get::<i64, _>("tenant_id")? == viewer_tenant,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let manages = viewer.is_some_and(|u| u.role.can_manage_plugins());
    let state = super::console::review_state(&row)?;
    let is_developer = viewer.is_some_and(|u| developer_id == Some(u.id.0));
    Ok(Some(PluginDetail {
        description_html: markdown::render(&description),
        author_url: row.try_get("author_url")?,
        permissions,
        reviews,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        // Its developer may install an unpublished plugin to try it, as the install route allows.
        can_install: manages && (state == ReviewState::Published || is_developer),
        signed_in: viewer.is_some(),
        can_review: manages && card.is_installed,
        can_reply: is_developer,
        state,
        card,
    }))
}

/// Scopes stored as a JSON array; an unknown name (from an older release) is skipped.
pub fn parse_scopes(json: &str) -> Vec<Scope> {
    let names: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    let mut scopes: Vec<Scope> = names.iter().filter_map(|n| Scope::parse(n)).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}
