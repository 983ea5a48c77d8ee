//! The published catalog as tenants see it: the marketplace grid and a plugin's page.

pub mod index;

use super::scope::Member;
use super::store::catalog::{self as store, CardRow, Viewer};
use super::store::{reviews, versions};
use super::upgrades;
use super::{markdown, Db};
use index::{CatalogIndex, Change, Listed};
use crate::domain::{
    Category, MarketplaceQuery, PluginCard, PluginDetail, PluginPage, ReleaseNote, ReviewState, ReviewView,
    TenantId, PAGE_SIZE,
};

const EXCERPT_CHARS: usize = 140;
/// Reviews a plugin's page shows, most recent first.
const REVIEWS_SHOWN: i64 = 50;

/// One page of published plugins for the query; `viewer` marks the tenant's installed ones.
/// The index (brought up to date first) picks the page; the cards are read fresh.
pub async fn list_published(
    db: &Db,
    index: &CatalogIndex,
    query: &MarketplaceQuery,
    viewer: Option<TenantId>,
) -> Result<PluginPage, super::store::Error> {
    catch_up(db, index).await?;
    let hits = index.search(&query.search_terms(), query.category, query.sort, query.offset() as usize, PAGE_SIZE as usize);
    let mut plugins: Vec<PluginCard> = store::cards(db, &hits.ids, viewer).await?.into_iter().map(card).collect();
    // In the index's order; one unpublished since it was read is left out.
    plugins.sort_by_key(|card| hits.ids.iter().position(|id| *id == card.id.get()));
    Ok(PluginPage { plugins, total: hits.total, query: query.clone() })
}

/// Brings the index up to the database's catalog version: one indexed lookup when
/// nothing changed, else the changed plugins since the version it holds.
pub async fn catch_up(db: &Db, index: &CatalogIndex) -> Result<(), super::store::Error> {
    let latest = store::latest_version(db).await?;
    if index.version() >= latest {
        return Ok(());
    }
    let _one_at_a_time = index.catching_up().await;
    let since = index.version();
    if since >= latest {
        return Ok(());
    }
    let (rows, removed) = store::changes_since(db, since).await?;
    let mut changes: Vec<(i64, Change)> = Vec::with_capacity(rows.len() + removed.len());
    for row in rows {
        let version = row.catalog_version;
        let listed = match Category::parse(&row.category) {
            // A private plugin is never listed, published or not.
            Some(category) if row.is_published.0 && !row.is_private.0 => Change::Listed(Listed {
                id: row.id,
                name: row.name,
                description: row.description,
                category,
                install_count: row.install_count,
                rating: row.rating,
                review_count: row.review_count,
                created_at: row.created_at,
            }),
            Some(_) => Change::Unlisted(row.id),
            // One plugin this release cannot list (a category from a newer release during a
            // rolling deploy) stays out; the marketplace goes on.
            None => {
                tracing::warn!(plugin = row.id, category = %row.category, "plugin with an unknown category left out of the marketplace");
                Change::Unlisted(row.id)
            }
        };
        changes.push((version, listed));
    }
    for row in &removed {
        changes.push((row.catalog_version, Change::Unlisted(row.plugin_id.get())));
    }
    // A deleted plugin's id may be taken again (SQLite): the order of versions decides.
    changes.sort_by_key(|(version, _)| *version);
    // The two reads saw two snapshots, so one may hold a change the other does not; what
    // both hold for certain is everything up to `latest`, read before them. The index
    // reaches `latest`, and anything newer is loaded again (and applied in order) next time.
    index.apply(changes.into_iter().map(|(_, c)| c).collect(), latest).await;
    Ok(())
}

fn card(row: CardRow) -> PluginCard {
    PluginCard {
        id: row.id,
        excerpt: markdown::excerpt(&row.description, EXCERPT_CHARS),
        slug: row.slug,
        name: row.name,
        author: row.author,
        icon_url: row.icon_url,
        category: row.category.0,
        install_count: row.install_count,
        rating: row.rating,
        review_count: row.review_count,
        is_verified: row.is_verified.0,
        is_installed: row.is_installed.0,
    }
}

/// A plugin's page: published ones for everybody; others only for their developer and
/// staff (to see it as tenants will). `None` when the viewer may not see it.
pub async fn plugin_detail(
    db: &Db,
    slug: &str,
    viewer: Option<&Member>,
) -> Result<Option<PluginDetail>, super::store::Error> {
    let Some(row) = store::detail(db, slug, viewer.map(Viewer::of)).await? else { return Ok(None) };
    let description_html = markdown::render(&row.card.description);
    let card = card(row.card);
    let reviews = reviews::latest(db, card.id, REVIEWS_SHOWN)
        .await?
        .into_iter()
        .map(|r| ReviewView {
            is_mine: viewer.is_some_and(|u| u.tenant_id == r.tenant_id),
            id: r.id,
            rating: r.rating,
            body: r.body,
            author_name: r.author_name,
            tenant_name: r.tenant_name,
            created_at: r.created_at,
            reply: r.reply,
        })
        .collect();
    let manages = viewer.is_some_and(|u| u.role.can_manage_plugins());
    let state = row.review_state.0;
    let is_developer = viewer.is_some_and(|u| row.developer_id == Some(u.id));
    let releases = versions::releases(db, card.id)
        .await?
        .into_iter()
        .map(|r| ReleaseNote { number: r.number, published_at: r.decided_at.unwrap_or(0), notes_html: markdown::render(r.release_notes.as_deref().unwrap_or("")) })
        .collect();
    // Owners and admins of a tenant that installed it answer its update requests here too.
    let (installation_id, update) = match viewer.filter(|_| manages && card.is_installed) {
        Some(member) => upgrades::of_plugin(db, &member.scope(), card.id).await?.map_or((None, None), |(id, update)| (Some(id), update)),
        None => (None, None),
    };
    Ok(Some(PluginDetail {
        releases,
        update,
        installation_id,
        description_html,
        author_url: row.author_url,
        permissions: row.permissions.0.iter().collect(),
        reviews,
        created_at: row.created_at,
        updated_at: row.updated_at,
        // Its developer, and the organisations invited to test it, may install an
        // unpublished plugin, as the install route allows.
        can_install: manages && ((state == ReviewState::Published && !row.is_private.0) || is_developer || row.invited.0),
        invited: row.invited.0 && row.never_published.0,
        private: row.is_private.0,
        signed_in: viewer.is_some(),
        can_review: manages && card.is_installed,
        can_reply: is_developer,
        state,
        card,
    }))
}
