//! License status of paid plugins on the "Installed plugins" page: asked of each plugin's
//! server at once, and kept for a minute so that a slow server slows one page view a
//! minute at most (and never past the call timeout).

use super::client::{CallError, LicenseStatus, PluginServers, Target};
use crate::domain::{LicenseView, SessionUser};
use crate::server::{markdown, Db};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer (or a failure) is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(60);

type Answer = Result<LicenseStatus, CallError>;

/// Answers by (plugin, tenant), shared by the requests of one process.
#[derive(Clone, Default)]
pub struct LicenseCache(Arc<Mutex<HashMap<(i64, i64), (Instant, Answer)>>>);

impl LicenseCache {
    fn get(&self, key: (i64, i64)) -> Option<Answer> {
        let map = self.0.lock().ok()?;
        map.get(&key).filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, answer)| answer.clone())
    }

    fn put(&self, key: (i64, i64), answer: Answer) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            map.insert(key, (Instant::now(), answer));
        }
    }
}

/// The license of every paid plugin the viewer's tenant has installed, by slug.
pub async fn for_tenant(
    db: &Db,
    servers: &PluginServers,
    cache: &LicenseCache,
    viewer: &SessionUser,
    now: i64,
) -> Result<HashMap<String, LicenseView>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT p.id, p.slug, p.client_id, p.server_url, p.webhook_secret FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND i.status = 'active' AND p.monetized = 1 AND p.server_url IS NOT NULL",
    )
    .bind(viewer.tenant_id.0)
    .fetch_all(db.pool())
    .await?;
    let asks = rows.into_iter().map(|(plugin_id, slug, client_id, server_url, secret)| async move {
        let key = (plugin_id, viewer.tenant_id.0);
        let answer = match cache.get(key) {
            Some(answer) => answer,
            None => {
                let target = Target {
                    server_url,
                    slug: slug.clone(),
                    client_id,
                    signing_secret: secret.unwrap_or_default(),
                    user_id: viewer.id.0,
                    tenant_id: viewer.tenant_id.0,
                };
                let answer = servers.license_status(&target, now).await;
                cache.put(key, answer.clone());
                answer
            }
        };
        (slug, view(answer, viewer.role.can_manage_plugins()))
    });
    Ok(futures::future::join_all(asks).await.into_iter().collect())
}

fn view(answer: Answer, for_admin: bool) -> LicenseView {
    match answer {
        Ok(status) => LicenseView {
            active: Some(status.license_status),
            description_html: markdown::render(&status.license_status_description),
            error_message: status.error_message.filter(|_| for_admin).filter(|m| !m.trim().is_empty()),
            problem: None,
        },
        Err(err) => LicenseView { active: None, description_html: String::new(), error_message: None, problem: Some(err.to_string()) },
    }
}
