//! One plugin's console page: its settings, credentials, icon and bundle uploads, and
//! submission for review with its decision history.

use crate::components::layout::PageTitle;
use crate::components::layout::load_failure;
use crate::components::plugin_card::PluginIcon;
use crate::components::versions::{VersionDiffView, VersionHistory};
use crate::components::format::format_date;
use crate::domain::{ConsolePlugin, InviteLink, InviteView, PluginForm, ReviewState, ShownSecrets, VersionState};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use super::form::{PluginFormFields, SecretsPanel};
use super::{error_view, slug_from_route, ConsoleTabs, DecisionHistory, StateBadge};
#[cfg(feature = "ssr")]
use super::with_my_plugin;

#[server(prefix = "/rpc", endpoint = "developer_plugin")]
pub async fn load_developer_plugin(slug: String) -> Result<ConsolePlugin, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::publishing::plugins::console_plugin(&state.db, &user, &slug, &state.settings.public_url).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "update_plugin")]
/// Saves the settings; the number of the draft version the change went into when the
/// plugin has a live version (which tenants keep running until staff publish the draft).
pub async fn update_plugin(slug: String, form: PluginForm) -> Result<Option<i64>, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        use crate::server::publishing::plugins::{update, Saved};
        Ok(match update(&state.db, &state.vault, &user, &slug, &form, &state.settings.outbound).await? {
            Saved::Draft(n) => Some(n),
            Saved::Unchanged | Saved::Running => None,
        })
    })
    .await
}

/// Rotates the client secret (`secret=client`) or the webhook signing secret (`secret=webhook`).
#[server(prefix = "/rpc", endpoint = "rotate_secret")]
pub async fn rotate_secret(slug: String, secret: String) -> Result<ShownSecrets, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        use crate::server::publishing;
        match secret.as_str() {
            "client" => Ok(publishing::credentials::rotate_client_secret(&state.db, &user, &slug).await?),
            "webhook" => Ok(publishing::credentials::rotate_webhook_secret(&state.db, &state.vault, &user, &slug).await?),
            _ => Err(AppError::invalid("secret", "Say which secret to rotate: client or webhook.")),
        }
    })
    .await
}

/// Submits the plugin's next version with its release notes; the version's number.
#[server(prefix = "/rpc", endpoint = "submit_plugin")]
pub async fn submit_plugin(slug: String, release_notes: String) -> Result<i64, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        Ok(crate::server::publishing::submission::submit(&state.db, &user, &slug, &release_notes).await?)
    })
    .await
}

/// Invites the organisation named `organisation` to install the unpublished plugin: the
/// link to send them (shown once).
#[server(prefix = "/rpc", endpoint = "invite_organisation")]
pub async fn invite_organisation(slug: String, organisation: String) -> Result<InviteLink, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        Ok(crate::server::publishing::invites::invite(&state.db, &user, &slug, &organisation, &state.settings.public_url).await?)
    })
    .await
}

/// Withdraws an invite; the organisation's test install of the unpublished plugin ends.
#[server(prefix = "/rpc", endpoint = "revoke_invite")]
pub async fn revoke_invite(slug: String, invite_id: i64) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        crate::server::publishing::invites::revoke(&state.db, &user, &slug, invite_id).await?;
        state.webhook_wakeup.notify_one();
        Ok(())
    })
    .await
}

/// What the console says about a refused icon upload (`?icon_error=`).
fn icon_problem(code: &str) -> &'static str {
    match code {
        "too-large" => "The icon must be at most 256 KiB.",
        "type" => "Upload a PNG, JPEG or WebP image (SVG is not accepted).",
        "missing" => "Choose an image file first.",
        "in-review" => "Staff are reviewing this plugin as submitted: upload a new icon once they decide.",
        _ => "The upload could not be read. Please try again.",
    }
}

/// What the console says after a bundle upload (`?bundle=` or `?bundle_error=`).
fn bundle_notice(query: &leptos_router::params::ParamsMap) -> Option<(bool, &'static str)> {
    if let Some(code) = query.get("bundle_error") {
        return Some((true, match code.as_str() {
            "too-large" => "The bundle must be at most 512 KiB.",
            "type" => "Upload the plugin's JavaScript: one UTF-8 .js file (not a page).",
            "missing" => "Choose a JavaScript file first.",
            "in-review" => "Staff are reviewing this plugin as submitted: upload new code once they decide.",
            _ => "The upload could not be read. Please try again.",
        }));
    }
    query.get("bundle").map(|done| (false, if done.starts_with("draft-") {
        "Uploaded into the draft version. Organisations keep running the live version's code until staff publish the draft: submit it for review."
    } else {
        "Uploaded. Organisations that install the plugin see it on their Projects page."
    }))
}

#[component]
pub fn DeveloperPluginPage() -> impl IntoView {
    let slug = slug_from_route().get_untracked();
    let (icon_error, bundle) = use_query_map().with_untracked(|q| {
        (q.get("icon_error"), bundle_notice(q).map(|(is_error, text)| (is_error, text.to_owned())))
    });
    view! { <DeveloperPlugin slug icon_error bundle/> }
}

/// A plugin's console page: an island (in a WASM chunk of its own), for the secrets and
/// invite links shown once and the forms that answer in place.
#[island(lazy)]
fn DeveloperPlugin(slug: String, icon_error: Option<String>, bundle: Option<(bool, String)>) -> impl IntoView {
    let notices = StoredValue::new((icon_error, bundle));
    let update = ServerAction::<UpdatePlugin>::new();
    let submit = ServerAction::<SubmitPlugin>::new();
    let invite = ServerAction::<InviteOrganisation>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let plugin = Resource::new(
        move || (slug.clone(), update.version().get(), submit.version().get(), invite.version().get(), revoke.version().get()),
        |(slug, ..)| load_developer_plugin(slug),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plugin.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(p) => {
                        let (icon_error, bundle) = notices.get_value();
                        view! { <ConsolePluginView plugin=p update submit invite revoke icon_error bundle/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ConsolePluginView(
    plugin: ConsolePlugin,
    update: ServerAction<UpdatePlugin>,
    submit: ServerAction<SubmitPlugin>,
    invite: ServerAction<InviteOrganisation>,
    revoke: ServerAction<RevokeInvite>,
    icon_error: Option<String>,
    bundle: Option<(bool, String)>,
) -> impl IntoView {
    let slug = plugin.form.slug.clone();
    let slug_submit = slug.clone();
    let rotate = ServerAction::<RotateSecret>::new();
    let update_error = Signal::derive(move || update.value().get().and_then(Result::err));
    let state = plugin.state;
    let reason = plugin.review_reason.clone().filter(|_| matches!(state, ReviewState::Rejected | ReviewState::Unpublished));
    let shown = plugin.version.clone();
    let live = plugin.versions.iter().find(|v| v.live).map(|v| v.number);
    // What the server's submit takes: the draft, a rejected version again, or the live
    // version of a plugin staff unpublished.
    let can_submit = shown.as_ref().is_some_and(|v| match v.state {
        VersionState::Draft | VersionState::Rejected => true,
        VersionState::Published => state == ReviewState::Unpublished,
        VersionState::InReview => false,
    });
    let version_line = shown.as_ref().map(|v| match (v.state, live) {
        (VersionState::Draft, Some(live)) => format!("Draft version {} (live: version {live}). Tenants keep running version {live} until staff publish this one.", v.number),
        (VersionState::InReview, Some(live)) => format!("Version {} is in review; tenants run version {live} until staff publish it.", v.number),
        (VersionState::Rejected, Some(live)) => format!("Version {} was rejected; tenants run version {live}. Edit the plugin to start the next version.", v.number),
        (VersionState::Published, _) => format!("Version {} is live. Edit the plugin to start the next version.", v.number),
        (_, None) => format!("Version {}.", v.number),
    });
    let rejected_reason = shown.as_ref().filter(|v| v.state == VersionState::Rejected && live.is_some()).and_then(|v| v.review_reason.clone());
    let pending = plugin.pending.clone();
    let versions = plugin.versions.clone();
    let suspension = plugin.suspension.clone();
    let suspended = suspension.is_some();
    view! {
        <PageTitle text=format!("{} · Developer console", plugin.form.name)/>
        <p class="breadcrumbs"><a href="/developer">"Developer console"</a> " / " {plugin.form.name.clone()}</p>
        <header class="console-head">
            <h1>{plugin.form.name.clone()}</h1>
            <StateBadge state/>
            {plugin.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
        </header>
        <ConsoleTabs slug=slug.clone() current=""/>
        <section class="panel review-state" data-testid="review-state">
            {match state {
                ReviewState::Draft => "A draft: only you, the organisations you invite and staff can see it. Install it in your own organisation to try it, or invite others under Test installs.",
                ReviewState::InReview => "Submitted: Plugboard staff will review it and publish it or tell you what to change.",
                ReviewState::Published if suspended => "Suspended: out of the marketplace and stopped in every organisation until Plugboard lifts it.",
                ReviewState::Published => "Published: organisations find it in the marketplace.",
                ReviewState::Rejected => "Rejected: change what the reviewer asks, then submit it again.",
                ReviewState::Unpublished => "Unpublished by staff: it is out of the marketplace until it passes review again.",
            }}
            {reason.or(rejected_reason).map(|r| view! { <blockquote class="review-reason" data-testid="review-reason"><strong>"Reviewer: "</strong>{r}</blockquote> })}
            {suspension.map(|s| view! {
                <p class="form-error" role="alert" data-testid="suspension">{format!("Suspended by Plugboard: {}", s.reason)}</p>
            })}
            {version_line.map(|line| view! { <p data-testid="version-line">{line}</p> })}
            {pending.map(|diff| view! { <VersionDiffView diff/> })}
            {can_submit.then(|| view! {
                <ActionForm action=submit attr:class="stacked-form submit-form">
                    <input type="hidden" name="slug" value=slug_submit/>
                    <label for="release-notes">"What's new in this version (tenants read it before they update)"</label>
                    <textarea id="release-notes" name="release_notes" rows="3" required></textarea>
                    <button type="submit" class="button primary">"Submit for review"</button>
                </ActionForm>
            })}
            {move || submit.value().get().and_then(Result::err).map(|e| error_view(&e))}
        </section>
        <VersionHistory versions/>
        {(state != ReviewState::Published || plugin.form.private).then(|| view! { <TestInstalls slug=slug.clone() invites=plugin.invites.clone() invite revoke/> })}

        <section class="panel credentials">
            <h2>"Credentials"</h2>
            <dl>
                <dt>"Client ID"</dt><dd><code data-testid="client-id">{plugin.client_id.clone()}</code></dd>
                <dt>"Plugin ID"</dt><dd><code data-testid="plugin-id">{plugin.plugin_id}</code>
                    <span class="muted">" (the " <code>"plugin_id"</code> " of its webhooks and plugin-server calls)"</span></dd>
                <dt>"Client secret"</dt><dd class="muted">"Shown once, when made. Rotating it stops the old one at once."</dd>
                <dt>"Manifest"</dt><dd>
                    <a href=format!("/developer/plugins/{slug}/plugboard.toml") rel="external" download="plugboard.toml" data-testid="export-manifest">"Export plugboard.toml"</a>
                    <span class="muted">" for " <code>"server plugins validate|diff|deploy"</code> " ("<a href="/docs/api#manifest">"how"</a>")"</span>
                </dd>
            </dl>
            <div class="actions">
                <RotateSecret rotate slug=slug.clone() secret="client" label="Rotate client secret"
                    question="The current client secret stops working at once: plugin servers using it can no longer get tokens. Rotate it?"/>
                <RotateSecret rotate slug=slug.clone() secret="webhook" label="Rotate webhook signing secret"
                    question="Messages are signed with the new secret from the next delivery on: receivers checking the old one reject them. Rotate it?"/>
            </div>
            {move || rotate.value().get().map(|r| match r {
                Ok(secrets) => view! { <SecretsPanel secrets/> }.into_any(),
                Err(e) => error_view(&e).into_any(),
            })}
        </section>

        <section class="panel icon-upload">
            <h2>"Icon"</h2>
            <div class="icon-row">
                <PluginIcon name=plugin.form.name.clone() slug=slug.clone()
                    icon_url=Some(plugin.form.icon_url.clone()).filter(|u| !u.is_empty()) size="large"/>
                // A plain multipart form: the browser sends the file itself, script or not.
                <form method="post" enctype="multipart/form-data" action=format!("/developer/plugins/{slug}/icon") class="stacked-form">
                    <label for="icon-file">"Upload a square PNG, JPEG or WebP (at most 256 KiB), or link one below"</label>
                    <input id="icon-file" type="file" name="icon" accept="image/png,image/jpeg,image/webp" required/>
                    {icon_error.map(|code| view! { <p class="form-error" role="alert" data-testid="icon-error">{icon_problem(&code)}</p> })}
                    <button type="submit" class="button">"Upload icon"</button>
                </form>
            </div>
        </section>

        <section class="panel bundle-upload" data-testid="bundle">
            <h2>"Client-side code"</h2>
            <p class="muted">
                "A JavaScript bundle that runs in a sandboxed frame on your users' Projects page and calls Plugboard through "
                <a href="/docs/api#client-plugins" rel="external">"the bridge"</a>
                ", limited to the permissions they grant. It may reach only the network origins you declare below."
            </p>
            {plugin.bundle.clone().map(|(sha256, bytes)| view! {
                <p data-testid="bundle-current">"Current bundle: " <code>{format!("{}…", &sha256[..12.min(sha256.len())])}</code> {format!(" · {} KiB", (bytes + 1023) / 1024)}</p>
            })}
            <form method="post" enctype="multipart/form-data" action=format!("/developer/plugins/{slug}/bundle") class="stacked-form">
                <label for="bundle-file">"Upload the bundle (one .js file, at most 512 KiB)"</label>
                <input id="bundle-file" type="file" name="bundle" accept=".js,text/javascript" required/>
                {bundle.map(|(is_error, text)| if is_error {
                    view! { <p class="form-error" role="alert" data-testid="bundle-notice">{text}</p> }.into_any()
                } else {
                    view! { <p class="notice" role="status" data-testid="bundle-notice">{text}</p> }.into_any()
                })}
                <button type="submit" class="button">"Upload bundle"</button>
            </form>
        </section>

        <section class="panel">
            <h2>"Listing and OAuth settings"</h2>
            <ActionForm action=update attr:class="stacked-form plugin-form">
                <input type="hidden" name="slug" value=slug.clone()/>
                <PluginFormFields initial=plugin.form.clone() error=update_error editing=true
                    oauth_secret_set=plugin.oauth_client_secret_set oauth_callback_url=plugin.oauth_callback_url.clone()/>
                {move || update_error.get().map(|e| error_view(&e))}
                {move || match update.value().get() {
                    Some(Ok(None)) => Some(view! { <p class="notice" role="status">"Saved."</p> }.into_any()),
                    Some(Ok(Some(n))) => Some(view! {
                        <p class="notice" role="status" data-testid="saved-draft">
                            {format!("Saved in draft version {n}. Organisations keep running the live version until staff publish this one: submit it for review.")}
                        </p>
                    }.into_any()),
                    _ => None,
                }}
                <button type="submit" class="button primary" disabled=move || update.pending().get()>"Save changes"</button>
            </ActionForm>
        </section>

        <DecisionHistory decisions=plugin.decisions.clone()/>
    }
}

/// A rotation button that asks first: the old secret stops at once.
#[component]
fn RotateSecret(rotate: ServerAction<RotateSecret>, slug: String, secret: &'static str, label: &'static str, question: &'static str) -> impl IntoView {
    let confirming = RwSignal::new(false);
    // The question closes once the rotation is done (closing it on the click would
    // remove the form before it is sent).
    Effect::new(move |_| {
        if rotate.version().get() > 0 {
            confirming.set(false);
        }
    });
    let slug = StoredValue::new(slug);
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! { <button class="button" on:click=move |_| confirming.set(true)>{label}</button> }
        >
            <div class="confirm" role="alertdialog" aria-label=label>
                <p>{question}</p>
                <ActionForm action=rotate attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="secret" value=secret/>
                    <button type="submit" class="button danger">"Yes, rotate"</button>
                </ActionForm>
                <button class="button subtle" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

/// Test installs: organisations invited to install the plugin before staff publish it.
#[component]
fn TestInstalls(slug: String, invites: Vec<InviteView>, invite: ServerAction<InviteOrganisation>, revoke: ServerAction<RevokeInvite>) -> impl IntoView {
    let invite_error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let slug_revoke = StoredValue::new(slug.clone());
    view! {
        <section class="panel test-installs" data-testid="test-installs">
            <h2>"Test installs"</h2>
            <p class="muted">
                "Before staff publish the plugin, invite organisations to try it: each invite is a link for an owner or admin of the "
                "organisation you name. Once they accept, they install it through the usual consent screen, marked as a test version, "
                "and run what you save, as your own organisation does. Withdrawing an invite uninstalls it there."
            </p>
            <ActionForm action=invite attr:class="inline-form invite-form">
                <input type="hidden" name="slug" value=slug/>
                <label for="invite-organisation">"Organisation's name on Plugboard"</label>
                <input id="invite-organisation" name="organisation" required maxlength="80" autocomplete="off"/>
                <button type="submit" class="button">"Create invite link"</button>
            </ActionForm>
            {move || invite_error.get().map(|e| view! {
                <p class="form-error" role="alert">{e.field_message("organisation").unwrap_or_else(|| e.to_string())}</p>
            })}
            {move || invite.value().get().and_then(Result::ok).map(|link| view! {
                <div class="notice secret" role="status" data-testid="invite-link">
                    <p>{format!("Send this link to an owner or admin of {}. It is shown only now.", link.organisation)}</p>
                    <code>{link.url}</code>
                </div>
            })}
            {move || revoke.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            {(!invites.is_empty()).then(|| view! {
                <table class="docs-table">
                    <thead><tr><th scope="col">"Organisation"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                    <tbody>
                        {invites.into_iter().map(|i| {
                            let status = match &i.accepted {
                                Some((who, at)) if i.installed => format!("Installed · accepted by {who} on {}", format_date(*at)),
                                Some((who, at)) => format!("Accepted by {who} on {}, not installed", format_date(*at)),
                                None => format!("Waiting for acceptance · invited {}", format_date(i.created_at)),
                            };
                            view! {
                                <tr data-invite=i.organisation.clone()>
                                    <td>{i.organisation.clone()}</td>
                                    <td>{status}</td>
                                    <td>
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug_revoke.get_value()/>
                                            <input type="hidden" name="invite_id" value=i.id/>
                                            <button type="submit" class="button subtle">{if i.installed { "Withdraw and uninstall" } else { "Withdraw" }}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
