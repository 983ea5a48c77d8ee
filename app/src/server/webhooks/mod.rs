//! Lifecycle webhooks (DESIGN.md §8, Standard Webhooks): events are written to an
//! outbox in the transaction of the change they report, and a worker in every server
//! process delivers them, signed, with retries, recording every attempt.

pub mod signature;
pub mod worker;

use super::secrets;
use crate::domain::{InstallationId, PluginId, TenantId};
use crate::server::store::webhooks::NewEvent;
use crate::server::store::Conn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    PluginInstalled,
    PluginUninstalled,
    ScopesUpdated,
    ConfigUpdated,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PluginInstalled => "plugin.installed",
            EventType::PluginUninstalled => "plugin.uninstalled",
            EventType::ScopesUpdated => "installation.scopes_updated",
            EventType::ConfigUpdated => "installation.config_updated",
        }
    }
}

/// What happened to which installation; `extra` adds fields to `data`.
pub struct Event {
    pub kind: EventType,
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The body every attempt sends, fixed when the event is queued.
pub fn payload(event: &Event, now: i64) -> String {
    let mut data = serde_json::Map::new();
    data.insert("installation_id".into(), event.installation_id.get().into());
    data.insert("tenant_id".into(), event.tenant_id.get().into());
    data.insert("plugin_id".into(), event.plugin_id.get().into());
    data.extend(event.extra.clone());
    serde_json::json!({
        "type": event.kind.as_str(),
        "timestamp": rfc3339(now),
        "data": data,
    })
    .to_string()
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Queues `event` inside the caller's transaction. Plugins without a webhook URL, or
/// whose endpoint is disabled, get nothing.
pub async fn enqueue(conn: &mut Conn, event: &Event, now: i64) -> Result<(), crate::server::store::Error> {
    let message_id = secrets::random_token("msg_");
    let payload = payload(event, now);
    let row = NewEvent { message_id: &message_id, plugin_id: event.plugin_id, installation_id: event.installation_id, event_type: event.kind.as_str(), payload: &payload };
    crate::server::store::webhooks::enqueue(conn, &row, now).await
}
