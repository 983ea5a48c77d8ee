//! Webhooks (DESIGN.md §8, Standard Webhooks): lifecycle and data events are written to an
//! outbox in the transaction of the change they report, and a worker in every server
//! process delivers them, signed, with retries, recording every attempt.

pub mod events;
pub mod signature;
pub mod worker;

use super::scope::{Acting, TenantScope};
use super::secrets;
use crate::domain::{Project, Task};
use crate::server::store::webhooks::NewEvent;
use crate::server::store::{self as stores, Conn};

pub use crate::domain::EventType;
pub use events::{Actor, ConfigUpdatedData, Data, GrantRevokedData, InstalledData, MemberData, ProjectData, Recipient, RevokedFor, ScopesUpdatedData, TaskData, UninstalledData};

/// Queues one event for its recipient inside the caller's transaction. Plugins without
/// a webhook URL, or whose endpoint is disabled, get nothing.
pub async fn enqueue(conn: &mut Conn, data: &Data, now: i64) -> Result<(), stores::Error> {
    let message_id = secrets::random_token("msg_");
    let payload = data.payload(now);
    let recipient = data.recipient();
    let row = NewEvent {
        message_id: &message_id,
        plugin_id: recipient.plugin_id,
        installation_id: recipient.installation_id,
        event_type: data.event_type().as_str(),
        payload: &payload,
    };
    stores::webhooks::enqueue(conn, &row, now).await
}

/// A change to a tenant's data: the object as the API returns it after the change (as
/// it was, for a deletion), and for an update the fields that changed.
pub enum Change<'a> {
    Project(EventType, &'a Project, Option<Vec<&'static str>>),
    Task(EventType, &'a Task, Option<Vec<&'static str>>),
    Member(EventType, &'a crate::domain::OrgUser, Option<Vec<&'static str>>),
}

impl Change<'_> {
    fn event_type(&self) -> EventType {
        match self {
            Change::Project(t, ..) | Change::Task(t, ..) | Change::Member(t, ..) => *t,
        }
    }
}

/// Queues a data event, in the transaction of the change, for every active installation
/// of the tenant whose plugin's live version subscribes to it and whose grant lets it
/// read it. Only the tenant's installations are looked at (a handful, by index), however
/// many tenants a subscribing plugin has.
pub async fn publish(conn: &mut Conn, scope: &TenantScope, change: Change<'_>, now: i64) -> Result<(), stores::Error> {
    publish_all(conn, scope, &[change], now).await
}

/// [`publish`] for several changes of one write, in order: the subscribers of each event
/// type and the actor are read once.
pub async fn publish_all(conn: &mut Conn, scope: &TenantScope, changes: &[Change<'_>], now: i64) -> Result<(), stores::Error> {
    let mut subscribers: Vec<(EventType, Vec<stores::webhooks::Subscriber>)> = Vec::new();
    let mut actor: Option<Actor> = None;
    for change in changes {
        let event = change.event_type();
        let Some(needed) = event.needs() else { continue };
        if !subscribers.iter().any(|(t, _)| *t == event) {
            let found = stores::webhooks::subscribers(&mut *conn, scope, event).await?.into_iter().filter(|s| s.granted.0.allows(needed)).collect();
            subscribers.push((event, found));
        }
        let Some((_, recipients)) = subscribers.iter().find(|(t, _)| *t == event) else { continue };
        if recipients.is_empty() {
            continue;
        }
        let actor = match &actor {
            Some(actor) => actor.clone(),
            None => {
                let found = match scope.by() {
                    Acting::Person(id) => Actor::User { id },
                    Acting::Plugin(id) => {
                        let slug = stores::webhooks::plugin_slug_of(&mut *conn, scope, id).await?;
                        if slug.is_none() {
                            tracing::warn!(installation = id.get(), "a data event's acting installation has no plugin slug");
                        }
                        Actor::Installation { id, plugin: slug.unwrap_or_default() }
                    }
                };
                actor.insert(found).clone()
            }
        };
        for subscriber in recipients {
            let recipient = Recipient { installation_id: subscriber.installation_id, tenant_id: scope.tenant(), plugin_id: subscriber.plugin_id };
            let actor = actor.clone();
            let data = match change {
                Change::Project(t, project, changed) => Data::Project(*t, ProjectData { recipient, actor, project: (*project).clone(), changed: changed.clone() }),
                Change::Task(t, task, changed) => Data::Task(*t, TaskData { recipient, actor, task: (*task).clone(), changed: changed.clone() }),
                Change::Member(t, user, changed) => Data::Member(*t, MemberData { recipient, actor, user: (*user).clone(), changed: changed.clone() }),
            };
            enqueue(&mut *conn, &data, now).await?;
        }
    }
    Ok(())
}
