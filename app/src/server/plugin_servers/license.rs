//! License status of paid plugins on the "Installed plugins" page: asked of each plugin's
//! server at once, and kept for a minute so that a slow server slows one page view a
//! minute at most (and never past the call timeout).

use super::client::{CallError, LicenseStatus, PluginServers};
use super::PluginInstall;
use crate::domain::{LicenseView, PluginId, SessionUser, TenantId};
use crate::server::markdown;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer (or a failure) is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(60);

type Answer = Result<LicenseStatus, CallError>;

/// Answers by (plugin, tenant), shared by the requests of one process.
#[derive(Clone, Default)]
pub struct LicenseCache(Arc<Mutex<HashMap<(PluginId, TenantId), (Instant, Answer)>>>);

impl LicenseCache {
    fn get(&self, key: (PluginId, TenantId)) -> Option<Answer> {
        let map = self.0.lock().ok()?;
        map.get(&key).filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, answer)| answer.clone())
    }

    fn put(&self, key: (PluginId, TenantId), answer: Answer) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            map.insert(key, (Instant::now(), answer));
        }
    }
}

/// The license of every paid plugin among the viewer's tenant's `installs`, by slug.
pub async fn for_tenant(
    servers: &PluginServers,
    vault: &crate::server::vault::Vault,
    cache: &LicenseCache,
    viewer: &SessionUser,
    installs: &[PluginInstall],
    now: i64,
) -> HashMap<String, LicenseView> {
    let asks = installs.iter().filter(|i| i.monetized).filter_map(|install| Some((install, install.target(vault, viewer)?))).map(|(install, target)| async move {
        let key = (install.plugin_id, viewer.tenant_id);
        let answer = match cache.get(key) {
            Some(answer) => answer,
            None => {
                let answer = servers.license_status(&target, now).await;
                cache.put(key, answer.clone());
                answer
            }
        };
        (install.slug.clone(), view(answer, viewer.role.can_manage_plugins()))
    });
    futures::future::join_all(asks).await.into_iter().collect()
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
