//! A client-side plugin's call, relayed by the host page (DESIGN.md §7). The host checked
//! it first; here it is checked again (the installation is the signed-in user's tenant's
//! and active, the method is known, the grant covers it, the installation's rate limit
//! holds) and run through the same functions as the REST API, so a plugin gets the same
//! answers, errors and activity marks either way.

use crate::domain::{BridgeError, BridgeMethod, InstallationId};
use crate::server::api::{self, ApiError, Caller};
use crate::server::plugin_servers::{PluginInstall, Which};
use crate::server::scope::Member;
use crate::server::AppState;
use serde_json::{json, Value};

/// Runs one call; the answer is what the host posts back as `result` or `error`.
pub async fn call(state: &AppState, user: &Member, installation: InstallationId, method: &str, params: Value, now: i64) -> Result<Value, BridgeError> {
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Installation(installation))
        .await
        .map_err(|e| ApiError::from(e).to_bridge())?
        .filter(|i| i.bundle.is_some())
        .ok_or_else(BridgeError::uninstalled)?;
    let method = BridgeMethod::parse(method).ok_or_else(|| BridgeError::new("unknown_method", format!("There is no method {method:?}.")))?;
    method.check(&install.granted)?;
    // The plugin acts as the person using it: a write needs their role as well as its grant.
    if method.writes() && !user.role.can_edit_work() {
        return Err(BridgeError::new("forbidden", "Viewers may not change tasks, so a plugin used by a viewer may not either."));
    }
    if api::spend(state, installation, now).over() {
        return Err(BridgeError::new("rate_limited", "Too many calls for this installation; wait a minute."));
    }
    // Found through the member's scope, so the installation is their tenant's.
    let caller = Caller {
        installation,
        scope: user.scope().acting_as(installation),
        plugin: install.plugin_id,
        scopes: install.granted.clone(),
        granted: install.granted.clone(),
        plugin_slug: install.slug.clone(),
        tenant_name: user.tenant_name.clone(),
        installed_at: 0,
    };
    let answer = run(state, &caller, user, method, params).await.map_err(|e| e.to_bridge())?;
    if method.writes() {
        // Its data events are queued: the worker looks at once.
        state.webhook_wakeup.notify_one();
    }
    Ok(answer)
}

async fn run(state: &AppState, caller: &Caller, user: &Member, method: BridgeMethod, params: Value) -> Result<Value, ApiError> {
    // No params is the same as `{}`.
    let params = if params.is_null() { json!({}) } else { params };
    let answer = match method {
        BridgeMethod::ProjectsList => json!(api::projects::list(state, caller, api::from_json_value(params)?).await?),
        BridgeMethod::TasksList => json!(api::tasks::list(state, caller, api::from_json_value(params)?).await?),
        BridgeMethod::TasksCreate => json!(api::tasks::create(state, caller, api::from_json_value(params)?).await?),
        BridgeMethod::TasksUpdate => {
            let Value::Object(mut fields) = params else {
                return Err(ApiError::bad_request(None, "params must be an object"));
            };
            let id = fields.remove("id").and_then(|id| id.as_i64()).ok_or_else(|| ApiError::bad_request(Some("id".into()), "id: the task's id is required"))?;
            let id = api::extract::JsonInt(id).id().ok_or(ApiError::NotFound)?;
            json!(api::tasks::update(state, caller, id, api::from_json_value(Value::Object(fields))?).await?)
        }
        BridgeMethod::ContextGet => json!({
            "tenant": { "id": caller.scope.tenant().get(), "name": caller.tenant_name },
            "user": { "displayName": user.display_name },
            "plugin": { "slug": caller.plugin_slug },
            "theme": "light",
        }),
        // Secrets stay out: the frame runs in the person's browser.
        BridgeMethod::SettingsGet => json!(crate::server::settings::for_frame(&state.db, &caller.scope, caller.installation).await?),
        // The host shows the toast itself; nothing to do here.
        BridgeMethod::UiNotify => json!({}),
    };
    Ok(answer)
}
