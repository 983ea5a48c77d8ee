//! Install statistics: installs, uninstalls and the rating, day by day.

use crate::server::scope::Member;
use crate::server::store::{installations, plugins as store, reviews};
use crate::server::Db;
use super::{owned, PublishingError};
use crate::domain::{DayStats, InstallStats, PluginSlug};

/// Installs, uninstalls and the rating, day by day over the last `days` days (UTC).
pub async fn daily(db: &Db, member: &Member, slug: &PluginSlug, days: i64, now: i64) -> Result<InstallStats, PublishingError> {
    let id = owned(db, member, slug).await?;
    let today = now.div_euclid(86_400) * 86_400;
    let first = today - (days - 1) * 86_400;
    let plugin = store::standing(db, id).await?;
    let events = installations::install_events_since(db, id, first).await?;
    let ratings = reviews::ratings(db, id).await?;
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
    })
}
