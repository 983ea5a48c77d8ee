//! Install statistics: installs, uninstalls and the rating, day by day.

use crate::server::scope::Member;
use crate::server::store::{grants, installations, plugins as store, reviews};
use crate::server::Db;
use super::{owned, PublishingError};
use crate::domain::{DayStats, InstallStats, PluginSlug, TokenFailure, TokenHealth};

/// How many refused tokens the console lists.
const RECENT_TOKEN_FAILURES: i64 = 20;

/// Installs, uninstalls and the rating, day by day over the last `days` days (UTC), and
/// the plugin's refused codes and refresh tokens over them.
pub async fn daily(db: &Db, member: &Member, slug: &PluginSlug, days: i64, now: i64) -> Result<InstallStats, PublishingError> {
    let id = owned(db, member, slug).await?;
    let today = now.div_euclid(86_400) * 86_400;
    let first = today - (days - 1) * 86_400;
    let plugin = store::standing(db, id).await?;
    let events = installations::install_events_since(db, id, first).await?;
    let ratings = reviews::ratings(db, id).await?;
    let (failures, recent) = grants::failures_since(db, id, first, RECENT_TOKEN_FAILURES).await?;
    let count = |keep: fn(TokenFailure) -> bool| failures.iter().filter(|(k, _)| keep(*k)).map(|(_, n)| n).sum();
    let token_health = TokenHealth {
        refresh_failures: count(|k| k != TokenFailure::CodeReused),
        reuse_detected: count(TokenFailure::is_reuse),
        recent,
    };
    let days = (0..days)
        .map(|k| {
            let day = first + k * 86_400;
            let in_day = |kind: &str| events.iter().filter(|(e, at)| e == kind && (day..day + 86_400).contains(at)).count() as i64;
            let so_far: Vec<i64> = ratings.iter().filter(|(_, at)| *at < day + 86_400).map(|(r, _)| *r).collect();
            let rating = (!so_far.is_empty()).then(|| so_far.iter().sum::<i64>() as f64 / so_far.len() as f64);
            DayStats { day, installs: in_day("installed"), uninstalls: in_day("uninstalled"), rating }
        })
        .collect();
    Ok(InstallStats {
        plugin_name: plugin.name,
        active_installations: plugin.active,
        rating: plugin.rating,
        review_count: plugin.review_count,
        days,
        token_health,
    })
}
