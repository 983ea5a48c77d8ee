//! A plugin's Settings on Installed plugins (`/installed/{slug}/settings`): a form made
//! from the schema the plugin's live version declares, a plain form that works before
//! hydration, checked on the server with a message per field. Owners and admins change
//! settings; everyone else reads them (never a secret's value). Right after consenting to
//! a plugin with required settings the admin lands here with `?setup=…`, and saving (or
//! "Set up later") hands them on to the plugin with its code.

use crate::components::layout::PageTitle;
use crate::components::layout::SignInPrompt;
use crate::domain::{SettingKind, SettingValue, SettingsPage};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::HashMap;

#[server(prefix = "/rpc", endpoint = "installation_settings")]
pub async fn installation_settings(slug: String, #[server(default)] setup: String) -> Result<SettingsPage, AppError> {
    crate::server_fn::with_status(installation_settings_inner(slug, setup).await)
}

#[cfg(feature = "ssr")]
async fn installation_settings_inner(slug: String, setup: String) -> Result<SettingsPage, AppError> {
    use crate::server::{internal, oauth, session, settings};
    let (state, user) = session::signed_in().await?;
    let slug = crate::domain::PluginSlug::parse(&slug).map_err(|_| AppError::NotFound("That plugin is not installed in your organisation.".into()))?;
    let mut page = settings::page(&state.db, &user, &slug).await?;
    if !setup.is_empty() && page.can_manage {
        page.setup = oauth::is_waiting(&state, &user, &setup, &slug).await.map_err(internal("reading a waiting installation failed"))?;
    }
    Ok(page)
}

/// Saves an installation's settings (`values[key]`, `clear[key]` for a secret to
/// forget); with `setup`, then hands the admin on to the plugin. With `later`, saves
/// nothing and hands them on.
#[server(prefix = "/rpc", endpoint = "save_settings")]
pub async fn save_settings(
    slug: String,
    #[server(default)] values: HashMap<String, String>,
    #[server(default)] clear: HashMap<String, String>,
    #[server(default)] setup: String,
    #[server(default)] later: String,
) -> Result<Vec<String>, AppError> {
    crate::server_fn::with_status(save_settings_inner(slug, values, clear, setup, later).await)
}

#[cfg(feature = "ssr")]
async fn save_settings_inner(
    slug: String,
    values: HashMap<String, String>,
    clear: HashMap<String, String>,
    setup: String,
    later: String,
) -> Result<Vec<String>, AppError> {
    use crate::server::{now, oauth, session, settings};
    let (state, user) = session::signed_in().await?;
    let slug = crate::domain::PluginSlug::parse(&slug).map_err(|_| AppError::NotFound("That plugin is not installed in your organisation.".into()))?;
    let changed = if later.is_empty() {
        let input = settings::SettingsInput { values, clear };
        let saved = settings::save(&state.db, &state.vault, &user, &slug, &input, now()).await?;
        if !saved.changed.is_empty() {
            state.webhook_wakeup.notify_one();
        }
        saved.changed
    } else {
        Vec::new()
    };
    if !setup.is_empty() {
        let target = oauth::resume_after_settings(&state, &user, &setup, &slug).await?;
        leptos_axum::redirect(&target);
    }
    Ok(changed)
}

#[component]
pub fn InstallationSettingsPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let setup = use_query_map().with_untracked(|q| q.get("setup").unwrap_or_default());
    view! { <InstallationSettings slug setup/> }
}

/// The settings form and its answers: an island, in a WASM chunk of its own.
#[island(lazy)]
fn InstallationSettings(slug: String, setup: String) -> impl IntoView {
    let setup_code = StoredValue::new(setup.clone());
    let save = ServerAction::<SaveSettings>::new();
    // Read again after a save that worked; a refused one keeps what was typed.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let page = Resource::new(
        move || (slug.clone(), setup.clone(), saved.get()),
        |(slug, setup, _)| installation_settings(slug, setup),
    );
    view! {
        <PageTitle text="Plugin settings"/>
        <p class="breadcrumbs"><a href="/installed">"Installed plugins"</a> " / Settings"</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(AppError::NotSignedIn) => view! { <SignInPrompt message="Sign in to see your organisation's plugins." next="/installed"/> }.into_any(),
                    Err(e) => crate::components::layout::load_failure(e, "Sign in to see your organisation's plugins.", "/installed"),
                    Ok(page) => view! { <SettingsScreen page save setup=setup_code.get_value()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsScreen(page: SettingsPage, save: ServerAction<SaveSettings>, setup: String) -> impl IntoView {
    let setup = page.setup.then_some(setup);
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let slug = page.slug.as_str().to_owned();
    let heading = if setup.is_some() { format!("Set up {}", page.plugin_name) } else { format!("{} settings", page.plugin_name) };
    let status = match (page.complete, page.can_manage, setup.is_some()) {
        (_, true, false) if page.pending => Some(view! {
            <p class="notice" data-testid="not-installed">
                "The installation was not finished, so the plugin is not installed yet. Settings you save here are kept; "
                <a href=format!("/marketplace/{slug}/install") rel="external">"install it again"</a>
                " to finish."
            </p>
        }.into_any()),
        (_, _, true) => Some(view! {
            <p class="notice" data-testid="setup-notice">
                "You allowed the plugin. It needs these settings to work; save them and Plugboard hands you on to the plugin to finish installing."
            </p>
        }.into_any()),
        (false, true, false) => Some(view! { <p class="notice" data-testid="finish-setup">"Finish setting up: a required setting has no value."</p> }.into_any()),
        (false, false, false) => Some(view! { <p class="notice" data-testid="finish-setup">"Not set up yet: ask an owner or admin of your organisation to finish its settings."</p> }.into_any()),
        (true, _, false) => None,
    };
    let projects = StoredValue::new(page.projects.clone());
    let body = if page.can_manage {
        let fields = page.fields.clone();
        let later = setup.clone().map(|ticket| {
            let slug = slug.clone();
            view! {
                <ActionForm action=save attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="setup" value=ticket/>
                    <input type="hidden" name="later" value="1"/>
                    <button type="submit" class="button subtle" data-testid="setup-later" disabled=move || save.pending().get()>"Set up later"</button>
                </ActionForm>
            }
        });
        view! {
            <ActionForm action=save attr:class="stacked-form settings-form" attr:novalidate=true>
                <input type="hidden" name="slug" value=slug.clone()/>
                {setup.clone().map(|ticket| view! { <input type="hidden" name="setup" value=ticket/> })}
                {fields.into_iter().map(|f| view! { <SettingInput setting=f projects error/> }).collect_view()}
                {move || error.get().map(|e| {
                    let text = match &e {
                        AppError::InvalidFields(errors) if errors.len() == 1 => "One setting needs attention: see its message above.".to_owned(),
                        AppError::InvalidFields(errors) => format!("{} settings need attention: see their messages above.", errors.len()),
                        other => other.to_string(),
                    };
                    view! { <p class="form-error" role="alert" data-testid="settings-error">{text}</p> }
                })}
                {move || match save.value().get() {
                    Some(Ok(changed)) if setup.is_none() => Some(view! {
                        <p class="notice" role="status" data-testid="settings-saved">
                            {if changed.is_empty() { "Saved. Nothing changed.".to_owned() } else { format!("Saved. The plugin was told that {} changed.", changed.join(", ")) }}
                        </p>
                    }),
                    _ => None,
                }}
                <button type="submit" class="button primary" data-testid="save-settings" disabled=move || save.pending().get()>
                    {if page.setup { "Save and continue" } else { "Save settings" }}
                </button>
            </ActionForm>
            {later}
        }
        .into_any()
    } else {
        view! {
            <dl class="settings-values" data-testid="settings-values">
                {page.fields.iter().map(|s| {
                    let shown = shown_value(s, &projects.get_value());
                    view! { <dt>{s.field.title.clone()}</dt><dd data-setting=s.field.key.clone()>{shown}</dd> }
                }).collect_view()}
            </dl>
        }
        .into_any()
    };
    view! {
        <h1>{heading}</h1>
        {status}
        {body}
    }
    .into_any()
}

/// A value as a member reads it: never a secret's.
fn shown_value(s: &SettingValue, projects: &[(i64, String)]) -> String {
    if s.field.is_secret() {
        return if s.secret_set { "Set (hidden)".into() } else { "Not set".into() };
    }
    let Some(value) = &s.value else {
        return match default_text(&s.field.kind) {
            Some(default) => format!("Not set (the default, {default}, applies)"),
            None => "Not set".into(),
        };
    };
    match s.field.kind {
        SettingKind::Boolean { .. } => if value == "true" { "Yes".into() } else { "No".into() },
        SettingKind::Project => projects.iter().find(|(id, _)| id.to_string() == *value).map(|(_, name)| name.clone()).unwrap_or_else(|| value.clone()),
        _ => value.clone(),
    }
}

/// A field's default as the form shows it.
fn default_text(kind: &SettingKind) -> Option<String> {
    match kind {
        SettingKind::Text { default, .. } => default.clone(),
        SettingKind::Integer { default, .. } => default.map(|d| d.to_string()),
        SettingKind::Number { default, .. } => default.map(|d| d.to_string()),
        SettingKind::Boolean { default } => default.map(|d| if d { "Yes".to_owned() } else { "No".to_owned() }),
        SettingKind::Project => None,
    }
}

/// The empty choice of a select: what no value means.
fn no_choice(required: bool, kind: &SettingKind) -> String {
    match (required, default_text(kind)) {
        (_, Some(default)) => format!("Default ({default})"),
        (true, None) => "Choose…".to_owned(),
        (false, None) => "—".to_owned(),
    }
}

/// One setting's label, input, description and message.
#[component]
fn SettingInput(setting: SettingValue, projects: StoredValue<Vec<(i64, String)>>, error: Signal<Option<AppError>>) -> impl IntoView {
    let key = setting.field.key.clone();
    let id = format!("setting-{key}");
    let name = format!("values[{key}]");
    let label = if setting.field.required { format!("{} (required)", setting.field.title) } else { setting.field.title.clone() };
    let current = setting.value.clone().unwrap_or_default();
    let message = {
        let key = key.clone();
        move || error.get().and_then(|e| e.field_message(&key)).map(|m| view! { <p class="field-error" data-field=key.clone()>{m}</p> })
    };
    // The empty choice, shown while there is no value (a required one too, so nothing is
    // chosen for the admin) or when the setting may stay unset.
    let empty = (current.is_empty() || !setting.field.required).then(|| no_choice(setting.field.required, &setting.field.kind));
    let empty_option = move || {
        let current = setting.value.clone().unwrap_or_default();
        empty.clone().map(|label| view! { <option value="" selected=current.is_empty()>{label}</option> })
    };
    let placeholder = default_text(&setting.field.kind).unwrap_or_default();
    let input = match &setting.field.kind {
        // `new-password`: a browser never fills a saved login in here.
        SettingKind::Text { secret: true, .. } => view! {
            <p class="secret-state" data-testid=format!("secret-{key}")>{if setting.secret_set { "Set. Type a new value to replace it." } else { "Not set." }}</p>
            <input id=id.clone() type="password" name=name autocomplete="new-password" value=""/>
            {setting.secret_set.then(|| view! {
                <label class="check"><input type="checkbox" name=format!("clear[{key}]") value="1"/>" Clear this value"</label>
            })}
        }
        .into_any(),
        SettingKind::Text { choices, .. } if !choices.is_empty() => {
            let choices = choices.clone();
            view! {
                <select id=id.clone() name=name>
                    {empty_option()}
                    {choices.into_iter().map(|c| { let selected = c == current; let label = c.clone(); view! { <option value=c selected=selected>{label}</option> } }).collect_view()}
                </select>
            }
            .into_any()
        }
        SettingKind::Text { format, .. } => {
            let kind = match format {
                Some(crate::domain::TextFormat::Uri) => "url",
                Some(crate::domain::TextFormat::Email) => "email",
                None => "text",
            };
            view! { <input id=id.clone() type=kind name=name value=current placeholder=placeholder autocomplete="off"/> }.into_any()
        }
        SettingKind::Integer { choices, .. } if !choices.is_empty() => {
            let choices = choices.clone();
            view! {
                <select id=id.clone() name=name>
                    {empty_option()}
                    {choices.into_iter().map(|c| { let c = c.to_string(); let selected = c == current; let label = c.clone(); view! { <option value=c selected=selected>{label}</option> } }).collect_view()}
                </select>
            }
            .into_any()
        }
        SettingKind::Integer { .. } => {
            view! { <input id=id.clone() type="text" inputmode="numeric" name=name value=current placeholder=placeholder autocomplete="off"/> }.into_any()
        }
        SettingKind::Number { .. } => {
            view! { <input id=id.clone() type="text" inputmode="decimal" name=name value=current placeholder=placeholder autocomplete="off"/> }.into_any()
        }
        SettingKind::Boolean { .. } => {
            view! {
                <select id=id.clone() name=name>
                    {empty_option()}
                    <option value="true" selected=current == "true">"Yes"</option>
                    <option value="false" selected=current == "false">"No"</option>
                </select>
            }
            .into_any()
        }
        SettingKind::Project => view! {
            <select id=id.clone() name=name>
                <option value="" selected=current.is_empty()>{if setting.field.required { "Choose a project" } else { "No project" }}</option>
                {projects.get_value().into_iter().map(|(pid, project)| {
                    let value = pid.to_string();
                    let selected = value == current;
                    view! { <option value=value selected=selected>{project}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
    };
    view! {
        <div class="setting" data-setting=key.clone()>
            <label for=id>{label}</label>
            {input}
            {setting.field.description.clone().map(|d| view! { <p class="hint">{d}</p> })}
            {setting.flagged.clone().map(|f| view! { <p class="notice" data-testid=format!("flagged-{key}")>{f}</p> })}
            {message}
        </div>
    }
    .into_any()
}
