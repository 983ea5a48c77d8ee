//! Lifecycle webhooks (DESIGN.md §8, Standard Webhooks): events are written to an
//! outbox in the transaction of the change they report, and a worker in every server
//! process delivers them, signed, with retries, recording every attempt.

pub mod signature;
pub mod worker;

use super::secrets;
use sqlx::AnyConnection;

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
    pub plugin_id: i64,
    pub installation_id: i64,
    pub tenant_id: i64,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The body every attempt sends, fixed when the event is queued.
pub fn payload(event: &Event, now: i64) -> String {
    let mut data = serde_json::Map::new();
    data.insert("installation_id".into(), event.installation_id.into());
    data.insert("tenant_id".into(), event.tenant_id.into());
    data.insert("plugin_id".into(), event.plugin_id.into());
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
pub async fn enqueue(conn: &mut AnyConnection, event: &Event, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_events (message_id, plugin_id, installation_id, event_type, payload, status, attempts, next_attempt_at, created_at) \
         SELECT $1, id, $2, $3, $4, 'pending', 0, $5, $5 FROM plugins \
         WHERE id = $6 AND webhook_url IS NOT NULL AND webhook_url <> '' AND webhook_disabled_at IS NULL",
    )
    .bind(secrets::random_token("msg_"))
    .bind(event.installation_id)
    .bind(event.kind.as_str())
    .bind(payload(event, now))
    .bind(now)
    .bind(event.plugin_id)
    .execute(conn)
    .await?;
    Ok(())
}
