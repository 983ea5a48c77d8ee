//! The console's home: the developer profile and the developer's plugins.

use crate::components::layout::PageTitle;
use crate::components::format::format_date;
use crate::components::layout::load_failure;
use crate::components::plugin_card::{format_count, PluginIcon, Rating};
use crate::domain::{DeveloperOverview, DeveloperPlugin, DeveloperToken};
use crate::error::AppError;
use leptos::prelude::*;
use super::{error_view, StateBadge};

#[server(prefix = "/rpc", endpoint = "developer_overview")]
pub async fn load_developer_overview() -> Result<DeveloperOverview, AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::publishing;
            let (state, user) = crate::server::session::signed_in().await?;
            let developer_name = publishing::developer_name(&state.db, &user).await?;
            let (plugins, tokens) = if user.is_developer {
                (publishing::plugins::list_mine(&state.db, &user).await?, publishing::tokens(&state.db, &user).await?)
            } else {
                (Vec::new(), Vec::new())
            };
            Ok(DeveloperOverview { is_developer: user.is_developer, developer_name, plugins, tokens })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "become_developer")]
pub async fn become_developer(developer_name: String) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::publishing::become_developer(&state.db, &user, &developer_name).await?)
        }
        .await,
    )
}

/// Makes a developer token for the CLI: the token, shown once.
#[server(prefix = "/rpc", endpoint = "create_developer_token")]
pub async fn create_developer_token(name: String) -> Result<String, AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::publishing::create_token(&state.db, &user, &name).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "revoke_developer_token")]
pub async fn revoke_developer_token(token_id: i64) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::publishing::revoke_token(&state.db, &user, token_id).await?)
        }
        .await,
    )
}

/// The console's home: an island (in a WASM chunk of its own), for the developer token
/// shown once.
#[island(lazy)]
pub fn DeveloperHomePage() -> impl IntoView {
    let become_dev = ServerAction::<BecomeDeveloper>::new();
    let create_token = ServerAction::<CreateDeveloperToken>::new();
    let revoke_token = ServerAction::<RevokeDeveloperToken>::new();
    let overview = Resource::new(
        move || (become_dev.version().get(), create_token.version().get(), revoke_token.version().get()),
        |_| load_developer_overview(),
    );
    view! {
        <PageTitle text="Developer console"/>
        <section class="hero">
            <h1>"Developer console"</h1>
            <p class="muted">"Register plugins, keep their credentials, follow their webhooks and installs."</p>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(o) if !o.is_developer => view! {
                        <section class="panel" data-testid="become-developer">
                            <h2>"Become a plugin developer"</h2>
                            <p class="muted">"Plugins you publish show this name as their author. You can change it per plugin."</p>
                            <ActionForm action=become_dev attr:class="stacked-form">
                                <label for="developer-name">"Public developer name"</label>
                                <input id="developer-name" type="text" name="developer_name" value=o.developer_name maxlength="80" required/>
                                {move || become_dev.value().get().and_then(Result::err).map(|e| error_view(&e))}
                                <button type="submit" class="button primary">"Create developer profile"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Ok(o) => view! {
                        <DeveloperPluginList plugins=o.plugins/>
                        <DeveloperTokens tokens=o.tokens create=create_token revoke=revoke_token/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeveloperPluginList(plugins: Vec<DeveloperPlugin>) -> impl IntoView {
    view! {
        <div class="toolbar">
            <h2>"Your plugins"</h2>
            <a href="/developer/new" class="button primary">"Register a plugin"</a>
        </div>
        {plugins.is_empty().then(|| view! {
            <p class="empty-state muted">"No plugins yet. Register one to get its OAuth credentials."</p>
        })}
        <ul class="console-list">
            {plugins.into_iter().map(|p| {
                let href = format!("/developer/plugins/{}", p.slug);
                view! {
                    <li class="console-row" data-dev-plugin=p.slug.clone()>
                        <PluginIcon name=p.name.clone() slug=p.slug.clone() icon_url=p.icon_url.clone()/>
                        <div class="console-main">
                            <h3><a href=href>{p.name.clone()}</a></h3>
                            <p class="muted"><code>{p.slug.clone()}</code>{format!(" · changed {}", format_date(p.updated_at))}</p>
                        </div>
                        <StateBadge state=p.state/>
                        {p.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
                        <span class="muted">{format!("{} active install{}", format_count(p.active_installs), if p.active_installs == 1 { "" } else { "s" })}</span>
                        <Rating rating=p.rating count=p.review_count/>
                        {p.webhook_alert.map(|alert| {
                            let deliveries = format!("/developer/plugins/{}/deliveries", p.slug);
                            view! {
                                <div class="console-alert">
                                    <super::deliveries::EndpointAlertView alert/>
                                    <a href=deliveries>"See the deliveries"</a>
                                </div>
                            }
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Developer tokens: personal access tokens for the CLI (`server plugins validate|diff|deploy`).
#[component]
fn DeveloperTokens(tokens: Vec<DeveloperToken>, create: ServerAction<CreateDeveloperToken>, revoke: ServerAction<RevokeDeveloperToken>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="developer-tokens">
            <h2>"Developer tokens"</h2>
            <p class="muted">
                "For the CLI: " <code>"server plugins validate|diff|deploy"</code> " with " <code>"PLUGBOARD_DEVELOPER_TOKEN"</code>
                ". A token acts as you on your own plugins only, and on nothing else. "
                <a href="/docs/api#manifest">"How to use it"</a>
            </p>
            <ActionForm action=create attr:class="inline-form">
                <label for="token-name">"What it is for"</label>
                <input id="token-name" name="name" required maxlength="80" placeholder="CI deploys"/>
                <button type="submit" class="button">"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|made| match made {
                Ok(token) => view! {
                    <div class="notice secret" role="status" data-testid="new-developer-token">
                        <p>"Copy it now: it is shown only this once."</p>
                        <code>{token}</code>
                    </div>
                }.into_any(),
                Err(e) => error_view(&e).into_any(),
            })}
            {(!tokens.is_empty()).then(|| view! {
                <table class="docs-table">
                    <thead><tr><th scope="col">"Token"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                    <tbody>
                        {tokens.into_iter().map(|t| view! {
                            <tr data-token=t.name.clone()>
                                <td>{t.name.clone()}</td>
                                <td>{format_date(t.created_at)}</td>
                                <td>{t.last_used_at.map_or_else(|| "never".to_owned(), format_date)}</td>
                                <td>
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="token_id" value=t.id/>
                                        <button type="submit" class="button subtle">"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
