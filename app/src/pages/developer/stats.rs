//! Install statistics, day by day.

use crate::components::charts::{InstallsChart, RatingChart};
use crate::components::layout::load_failure;
use crate::components::plugin_card::{format_count, Rating};
use crate::components::format::format_time;
use crate::domain::{InstallStats, TokenHealth};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use super::{slug_from_route, ConsoleTabs};
#[cfg(feature = "ssr")]
use super::with_my_plugin;

/// Days the statistics page covers.
pub const STATS_DAYS: i64 = 30;

#[server(prefix = "/rpc", endpoint = "plugin_stats")]
pub async fn plugin_stats(slug: String) -> Result<InstallStats, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        Ok(crate::server::publishing::stats::daily(&state.db, &user, &slug, STATS_DAYS, crate::server::now()).await?)
    })
    .await
}

#[component]
pub fn StatsPage() -> impl IntoView {
    let slug = slug_from_route();
    let stats = Resource::new(move || slug.get(), plugin_stats);
    view! {
        <Title text="Install statistics"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(stats) => {
                        let slug = slug.get_untracked();
                        let installs: i64 = stats.days.iter().map(|d| d.installs).sum();
                        let uninstalls: i64 = stats.days.iter().map(|d| d.uninstalls).sum();
                        view! {
                            <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / " {stats.plugin_name.clone()}</p>
                            <h1>{format!("{}: statistics", stats.plugin_name)}</h1>
                            <ConsoleTabs slug current="/stats"/>
                            <section class="stat-tiles">
                                <div class="tile" data-testid="active-installs"><span class="figure">{format_count(stats.active_installations)}</span>{if stats.active_installations == 1 { " active installation" } else { " active installations" }}</div>
                                <div class="tile" data-testid="period-installs"><span class="figure">{format_count(installs)}</span>{format!(" installs, {} uninstalls in {STATS_DAYS} days", format_count(uninstalls))}</div>
                                <div class="tile"><Rating rating=stats.rating count=stats.review_count/></div>
                            </section>
                            <section class="panel">
                                <h2>"Installs and uninstalls per day"</h2>
                                <InstallsChart days=stats.days.clone()/>
                            </section>
                            <section class="panel">
                                <h2>"Rating over time"</h2>
                                <p class="muted">"The mean at the end of each day of the reviews written by then, as they read now."</p>
                                <RatingChart days=stats.days/>
                            </section>
                            <TokenHealthPanel health=stats.token_health/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Refused refresh tokens and codes: what the plugin should fix, and which installations
/// wait for a reconnect.
#[component]
fn TokenHealthPanel(health: TokenHealth) -> impl IntoView {
    view! {
        <section class="panel" data-testid="token-health">
            <h2>"Token health"</h2>
            <p class="muted">{format!(
                "Codes and refresh tokens the token endpoint refused in {STATS_DAYS} days (at most one of each kind per installation a minute). A grant revoked for reuse stays revoked: its organisation's admins see \"Reconnect needed\", and the plugin gets grant.revoked."
            )}</p>
            <section class="stat-tiles">
                <div class="tile" data-testid="refresh-failures"><span class="figure">{format_count(health.refresh_failures)}</span>" refused refreshes"</div>
                <div class="tile" data-testid="reuse-detected"><span class="figure">{format_count(health.reuse_detected)}</span>" grants revoked for reuse"</div>
            </section>
            {if health.recent.is_empty() {
                view! { <p class="muted">"Nothing refused."</p> }.into_any()
            } else {
                view! {
                    <table class="docs-table">
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Organisation"</th><th scope="col">"Installation"</th><th scope="col">"What happened"</th></tr></thead>
                        <tbody>
                            {health.recent.into_iter().map(|f| view! {
                                <tr data-failure=f.kind.as_str()>
                                    <td>{format_time(f.at)}</td>
                                    <td>{f.tenant_name}</td>
                                    <td><code>{f.installation_id.to_string()}</code></td>
                                    <td>{f.kind.sentence()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
