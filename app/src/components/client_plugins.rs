//! Client-side plugins on the host page (DESIGN.md §7): each installed plugin that ships a
//! bundle runs in its own `<iframe sandbox="allow-scripts">`, and this component is the
//! host side of the bridge. A message counts only if it comes from one of these frames'
//! windows, and it is the window, never anything the message claims, that says which
//! installation is calling. The method is checked against that installation's grant and
//! the host's rate limit, then run on the server (which checks it all again) and the
//! answer posted back to that window alone: `{id, result}` or `{id, error}`.

use crate::domain::{BridgeError, BridgeMethod, ClientPlugin, InstallationId};
use crate::error::AppError;
use leptos::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// Calls one frame may make per `RATE_WINDOW_MS` before the host refuses them.
const RATE_LIMIT: usize = 50;
const RATE_WINDOW_MS: f64 = 10_000.0;
/// The largest `params` a call may carry.
const MAX_PARAMS_BYTES: usize = 64 * 1024;
/// How long a removed plugin's frame stays, so that it hears why its calls failed.
const REMOVE_AFTER_MS: u64 = 300;

#[server(prefix = "/rpc", endpoint = "client_plugins")]
pub async fn client_plugins() -> Result<Vec<ClientPlugin>, AppError> {
    crate::server_fn::with_status(client_plugins_inner().await)
}

#[cfg(feature = "ssr")]
async fn client_plugins_inner() -> Result<Vec<ClientPlugin>, AppError> {
    use crate::server::{client_plugins, internal, session};
    let (state, user) = session::signed_in().await?;
    client_plugins::installed(&state.db, &user.scope()).await.map_err(internal("listing client plugins failed"))
}

/// One bridge call, relayed by the host page on behalf of the plugin's frame.
#[server(prefix = "/rpc", endpoint = "bridge_call")]
pub async fn bridge_call(installation_id: InstallationId, method: String, params: String) -> Result<Result<Value, BridgeError>, AppError> {
    crate::server_fn::with_status(bridge_call_inner(installation_id, method, params).await)
}

#[cfg(feature = "ssr")]
async fn bridge_call_inner(installation: InstallationId, method: String, params: String) -> Result<Result<Value, BridgeError>, AppError> {
    use crate::server::{client_plugins::bridge, now, session};
    let (state, user) = session::signed_in().await?;
    if params.len() > MAX_PARAMS_BYTES {
        return Ok(Err(BridgeError::new("bad_request", "params are larger than 64 KiB")));
    }
    let Ok(params) = serde_json::from_str::<Value>(if params.is_empty() { "null" } else { &params }) else {
        return Ok(Err(BridgeError::new("bad_request", "params are not JSON")));
    };
    Ok(bridge::call(&state, &user, installation, &method, params, now()).await)
}

/// The host removed `installation`'s frame because the frame navigated itself away from
/// its document (to a look-alike sign-in page, say): recorded for staff in the log.
#[server(prefix = "/rpc", endpoint = "report_frame_navigation")]
pub async fn report_frame_navigation(installation_id: InstallationId) -> Result<(), AppError> {
    crate::server_fn::with_status(report_frame_navigation_inner(installation_id).await)
}

#[cfg(feature = "ssr")]
async fn report_frame_navigation_inner(installation: InstallationId) -> Result<(), AppError> {
    use crate::server::plugin_servers::{PluginInstall, Which};
    use crate::server::{internal, session};
    let (state, user) = session::signed_in().await?;
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Installation(installation))
        .await
        .map_err(internal("looking up a frame's installation failed"))?
        .ok_or_else(|| AppError::NotFound("No such installation.".into()))?;
    tracing::warn!(
        target: "plugboard::security",
        plugin = %install.slug,
        installation = %installation,
        tenant = %user.tenant_id,
        user = %user.id,
        "a client plugin's frame navigated itself away from its document; the host page removed it"
    );
    Ok(())
}

/// What the host side of the bridge keeps while the page lives (browser only).
#[derive(Default)]
struct HostState {
    /// Calls sent to the server and not answered yet, by installation: (id, frame window).
    pending: HashMap<InstallationId, Vec<(Value, web_sys::Window)>>,
    /// Recent calls' times, by installation, for the rate limit.
    recent: HashMap<InstallationId, VecDeque<f64>>,
}

/// Answers call `id` in `window`.
fn answer(window: &web_sys::Window, id: &Value, outcome: Result<Value, BridgeError>) {
    let message = match outcome {
        Ok(result) => json!({ "id": id, "result": result }),
        Err(error) => json!({ "id": id, "error": error }),
    };
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        // The frame's origin is opaque, so "*"; the message goes to that one window.
        let _ = window.post_message(&value, "*");
    }
}

/// The installation whose frame `source` is, and that frame's window.
fn calling_frame(source: &js_sys::Object) -> Option<(InstallationId, web_sys::Window)> {
    use wasm_bindgen::JsCast;
    let frames = document().query_selector_all("iframe[data-installation]").ok()?;
    (0..frames.length()).find_map(|i| {
        let frame = frames.item(i)?.dyn_into::<web_sys::HtmlIFrameElement>().ok()?;
        let window = frame.content_window()?;
        let same: bool = AsRef::<wasm_bindgen::JsValue>::as_ref(&window) == AsRef::<wasm_bindgen::JsValue>::as_ref(source);
        same.then(|| Some((frame.get_attribute("data-installation")?.parse().ok()?, window))).flatten()
    })
}

/// What the host side of the bridge needs from the page (all `Copy`).
#[derive(Clone, Copy)]
struct Page {
    plugins: Resource<Result<Vec<ClientPlugin>, AppError>>,
    /// Installations found uninstalled since the page loaded: their frames go.
    removed: RwSignal<Vec<InstallationId>>,
    toasts: RwSignal<Vec<(u64, String)>>,
    on_change: Callback<()>,
}

impl Page {
    fn notify(self, text: String) {
        let key = js_sys::Date::now() as u64;
        self.toasts.update(|t| t.push((key, text)));
        set_timeout(move || self.toasts.update(|t| t.retain(|(k, _)| *k != key)), std::time::Duration::from_secs(6));
    }

    /// The server says `installation` is gone: every call of its frame still waiting is
    /// answered so, and the frame is removed.
    fn uninstalled(self, host: &Rc<RefCell<HostState>>, installation: InstallationId) {
        let waiting = host.borrow_mut().pending.remove(&installation).unwrap_or_default();
        for (id, window) in waiting {
            answer(&window, &id, Err(BridgeError::uninstalled()));
        }
        set_timeout(move || self.removed.update(|r| r.push(installation)), std::time::Duration::from_millis(REMOVE_AFTER_MS));
    }

    /// A frame loaded a second document: the plugin navigated its frame away from the one
    /// Plugboard served (whose CSP and bridge it no longer has). The frame goes at once,
    /// the person is told, and staff's log records it.
    fn navigated_away(self, installation: InstallationId, name: String) {
        self.removed.update(|r| r.push(installation));
        self.notify(format!("{name} was removed from this page: it tried to leave its frame."));
        leptos::task::spawn_local(async move {
            let _ = report_frame_navigation(installation).await;
        });
    }

    /// One message to the page: a call, if it comes from one of the plugin frames.
    fn on_message(self, host: &Rc<RefCell<HostState>>, event: web_sys::MessageEvent) {
        // Sandboxed frames have an opaque origin; anything else is not one of ours.
        if event.origin() != "null" {
            return;
        }
        let Some((installation, window)) = event.source().and_then(|s| calling_frame(&s)) else { return };
        let Some(request) = js_sys::JSON::stringify(&event.data()).ok().map(String::from).and_then(|t| serde_json::from_str::<Value>(&t).ok()) else {
            return;
        };
        let id = request["id"].clone();
        if !(id.is_string() || id.is_number()) {
            return;
        }
        let plugin = self.plugins.get_untracked().and_then(Result::ok).and_then(|list| list.into_iter().find(|p| p.installation_id == installation));
        let Some(plugin) = plugin else {
            return answer(&window, &id, Err(BridgeError::uninstalled()));
        };
        let raw_method = request["method"].as_str().unwrap_or_default().to_owned();
        let Some(method) = BridgeMethod::parse(&raw_method) else {
            return answer(&window, &id, Err(BridgeError::new("unknown_method", format!("There is no method {raw_method:?}."))));
        };
        if let Err(refused) = method.check(&plugin.scopes) {
            return answer(&window, &id, Err(refused));
        }
        let now = js_sys::Date::now();
        let within_limit = {
            let mut state = host.borrow_mut();
            let recent = state.recent.entry(installation).or_default();
            while recent.front().is_some_and(|t| now - t > RATE_WINDOW_MS) {
                recent.pop_front();
            }
            recent.push_back(now);
            recent.len() <= RATE_LIMIT
        };
        if !within_limit {
            return answer(&window, &id, Err(BridgeError::new("rate_limited", "Too many calls; wait a few seconds.")));
        }
        let params = request.get("params").cloned().unwrap_or(Value::Null);
        if params.to_string().len() > MAX_PARAMS_BYTES {
            return answer(&window, &id, Err(BridgeError::new("bad_request", "params are larger than 64 KiB")));
        }
        if method == BridgeMethod::UiNotify {
            let text: String = params["message"].as_str().unwrap_or_default().chars().take(200).collect();
            if text.trim().is_empty() {
                return answer(&window, &id, Err(BridgeError { field: Some("message".into()), ..BridgeError::new("validation_failed", "message must not be empty") }));
            }
            self.notify(format!("{}: {text}", plugin.name));
            return answer(&window, &id, Ok(json!({})));
        }
        host.borrow_mut().pending.entry(installation).or_default().push((id.clone(), window));
        let host = Rc::clone(host);
        leptos::task::spawn_local(async move {
            let outcome = bridge_call(installation, method.as_str().to_owned(), params.to_string())
                .await
                .unwrap_or_else(|e| Err(BridgeError::new("unavailable", e.to_string())));
            // Still waiting? (Not if the installation was found gone meanwhile.)
            let waiting = {
                let mut state = host.borrow_mut();
                state.pending.get_mut(&installation).and_then(|calls| calls.iter().position(|(pending, _)| *pending == id).map(|at| calls.remove(at)))
            };
            let Some((id, window)) = waiting else { return };
            let gone = matches!(&outcome, Err(e) if e.code == "uninstalled");
            if outcome.is_ok() && method.writes() {
                self.on_change.run(());
            }
            answer(&window, &id, outcome);
            if gone {
                self.uninstalled(&host, installation);
            }
        });
    }
}

#[component]
pub fn ClientPluginPanels(
    /// Run after a plugin changed the tenant's data, so the page shows it.
    #[prop(into)]
    on_change: Callback<()>,
) -> impl IntoView {
    let plugins = Resource::new(|| (), |_| client_plugins());
    // Frames load only once the bridge listens (after hydration), so no call is lost.
    let listening = RwSignal::new(false);
    let removed = RwSignal::new(Vec::<InstallationId>::new());
    let toasts = RwSignal::new(Vec::<(u64, String)>::new());
    let page = Page { plugins, removed, toasts, on_change };

    // In the browser only: the bridge's own state lives as long as its listener.
    Effect::new(move |_| {
        let host = Rc::new(RefCell::new(HostState::default()));
        let handle = window_event_listener(leptos::ev::message, move |event| page.on_message(&host, event));
        listening.set(true);
        on_cleanup(move || handle.remove());
    });

    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = plugins.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="client-plugins" aria-label="Plugins">
                        <h2>"Plugins"</h2>
                        <div class="client-plugin-grid">
                            {list.into_iter().map(|plugin| {
                                let id = plugin.installation_id;
                                // The panel and its frame's box are on the page from the first
                                // paint, so nothing moves when the frame arrives after hydration.
                                view! {
                                    <Show when=move || !removed.get().contains(&id)>
                                        <article class="client-plugin" data-client-plugin=plugin.slug.clone()>
                                            <h3>{plugin.name.clone()}</h3>
                                            <div class="client-plugin-frame">
                                                {
                                                    let plugin = plugin.clone();
                                                    view! {
                                                        <Show when=move || listening.get()>
                                                            <PluginFrame plugin=plugin.clone() page/>
                                                        </Show>
                                                    }
                                                }
                                            </div>
                                        </article>
                                    </Show>
                                }
                            }).collect_view()}
                        </div>
                    </section>
                })
            })}
        </Transition>
        <div class="toasts" aria-live="polite">
            {move || toasts.get().into_iter().map(|(_, text)| view! { <p class="toast" role="status" data-testid="toast">{text}</p> }).collect_view()}
        </div>
    }
}

/// A client-side plugin's sandboxed frame. Its first load is its document; another is a
/// navigation away, and removes it (one count per frame built).
#[component]
fn PluginFrame(plugin: ClientPlugin, page: Page) -> impl IntoView {
    let id = plugin.installation_id;
    let loads = StoredValue::new(0u32);
    let name = plugin.name.clone();
    let on_load = move |_| {
        loads.update_value(|n| *n += 1);
        if loads.get_value() > 1 {
            page.navigated_away(id, name.clone());
        }
    };
    view! {
        <iframe
            sandbox="allow-scripts"
            src=plugin.frame_url
            title=format!("{} (plugin)", plugin.name)
            data-installation=id.get()
            data-plugin=plugin.slug
            referrerpolicy="no-referrer"
            on:load=on_load
        ></iframe>
    }
}
