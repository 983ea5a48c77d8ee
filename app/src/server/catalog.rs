//! The published catalog as tenants see it: the marketplace grid and a plugin's page.

use super::{markdown, Db, Dialect};
use crate::domain::{
    Category, MarketplaceQuery, PluginCard, PluginDetail, PluginId, PluginPage, ReviewState, ReviewView, Scope,
    SessionUser, Sort, TenantId, PAGE_SIZE,
};
use sqlx::any::AnyRow;
use sqlx::Row;

const EXCERPT_CHARS: usize = 140;

/// The search condition for `terms`, using the engine's full-text index (never a
/// `LIKE '%q%'` scan): every word must match, the last ones as a prefix so that
/// results follow typing. Returns the SQL (with `$n` as its one parameter) and its value.
pub fn search_condition(dialect: Dialect, terms: &[String], n: usize) -> (String, String) {
    match dialect {
        Dialect::Sqlite => (
            format!("p.id IN (SELECT rowid FROM plugins_fts WHERE plugins_fts MATCH ${n})"),
            terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" "),
        ),
        Dialect::Postgres => (
            format!("p.search_vector @@ to_tsquery('simple', ${n})"),
            terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & "),
        ),
    }
}

pub fn order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::MostInstalled => "p.install_count DESC, p.id DESC",
        Sort::TopRated => "p.rating DESC, p.review_count DESC, p.id DESC",
        Sort::Newest => "p.created_at DESC, p.id DESC",
        Sort::Name => "lower(p.name) ASC, p.id ASC",
    }
}

const CARD_COLUMNS: &str = "p.id, p.slug, p.name, p.author, p.icon_url, p.category, p.description, \
     p.install_count, p.rating, p.review_count, p.is_verified, \
     CASE WHEN i.id IS NULL THEN 0 ELSE 1 END AS is_installed";

/// One page of published plugins for the query; `viewer` marks the tenant's installed ones.
pub async fn list_published(
    db: &Db,
    query: &MarketplaceQuery,
    viewer: Option<TenantId>,
) -> Result<PluginPage, sqlx::Error> {
    // $1 is the viewer's tenant; filters take the next numbers in order.
    let mut conditions = vec!["p.is_published = 1".to_owned()];
    let mut params: Vec<String> = Vec::new();
    if let Some(category) = query.category {
        params.push(category.as_str().to_owned());
        conditions.push(format!("p.category = ${}", params.len() + 1));
    }
    let terms = query.search_terms();
    if !terms.is_empty() {
        let (sql, value) = search_condition(db.dialect(), &terms, params.len() + 2);
        params.push(value);
        conditions.push(sql);
    }
    let where_clause = conditions.join(" AND ");

    let page_sql = format!(
        "SELECT {CARD_COLUMNS} FROM plugins p \
         LEFT JOIN installations i ON i.plugin_id = p.id AND i.tenant_id = $1 AND i.status = 'active' \
         WHERE {where_clause} ORDER BY {} LIMIT {PAGE_SIZE} OFFSET {}",
        order_by(query.sort),
        query.offset(),
    );
    // The count has no $1; shift the filter placeholders down by one.
    let count_sql = format!(
        "SELECT COUNT(*) FROM plugins p WHERE {}",
        renumber(&where_clause, params.len())
    );

    let mut page_query = sqlx::query(&page_sql).bind(viewer.map_or(-1, |t| t.0));
    let mut count_query = sqlx::query_scalar::<_, i64>(&count_sql);
    for p in &params {
        page_query = page_query.bind(p.clone());
        count_query = count_query.bind(p.clone());
    }
    let (rows, total) = tokio::try_join!(page_query.fetch_all(db.pool()), count_query.fetch_one(db.pool()))?;
    let plugins = rows.iter().map(card_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(PluginPage { plugins, total, query: query.clone() })
}

/// `$2…$(n+1)` become `$1…$n`.
fn renumber(sql: &str, n: usize) -> String {
    (2..=n + 1).fold(sql.to_owned(), |acc, i| acc.replace(&format!("${i}"), &format!("${}", i - 1)))
}

fn card_from_row(row: &AnyRow) -> Result<PluginCard, sqlx::Error> {
    let category: String = row.try_get("category")?;
    let description: String = row.try_get("description")?;
    Ok(PluginCard {
        id: PluginId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        author: row.try_get("author")?,
        icon_url: row.try_get("icon_url")?,
        category: Category::parse(&category)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown category {category:?}").into()))?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_shift_down() {
        assert_eq!(renumber("a = $2 AND b @@ f($3)", 2), "a = $1 AND b @@ f($2)");
    }

    #[test]
    fn search_values_quote_each_term_as_a_prefix() {
        let terms = vec!["git".to_owned(), "sync".to_owned()];
        assert_eq!(search_condition(Dialect::Sqlite, &terms, 2).1, "\"git\"* \"sync\"*");
        assert_eq!(search_condition(Dialect::Postgres, &terms, 2).1, "git:* & sync:*");
    }
}
