//! The plugin's webhook deliveries, paged and filtered by event type and outcome, with
//! Redeliver, "Resend failed since …" and re-enabling a disabled endpoint.

use crate::components::layout::PageTitle;
use crate::components::format::format_time;
use crate::components::layout::load_failure;
use crate::domain::{DeliveryFilter, DeliveryLog, DeliveryStatus, EndpointAlert, EventType};
use crate::error::AppError;
use leptos::prelude::*;
use super::{error_view, slug_from_route, ConsoleTabs};
#[cfg(feature = "ssr")]
use super::with_my_plugin;

#[server(prefix = "/rpc", endpoint = "plugin_deliveries")]
pub async fn plugin_deliveries(slug: String, #[server(default)] filter: DeliveryFilter) -> Result<DeliveryLog, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::publishing::deliveries::log(&state.db, &user, &slug, filter).await?) }).await
}

/// Sends every failed or skipped message since `since` (`YYYY-MM-DDTHH:MM`, UTC) again;
/// how many.
#[server(prefix = "/rpc", endpoint = "resend_failed")]
pub async fn resend_failed(slug: String, since: String) -> Result<u64, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        let queued = crate::server::publishing::deliveries::resend_failed_since(&state.db, &user, &slug, &since).await?;
        state.webhook_wakeup.notify_one();
        Ok(queued)
    })
    .await
}

/// The filter in the page's address: `?type=task.created&status=failed&before=123`.
fn filter_from_query(query: &leptos_router::params::ParamsMap) -> DeliveryFilter {
    DeliveryFilter {
        event_type: query.get("type").and_then(|t| EventType::parse(&t)),
        status: query.get("status").and_then(|s| DeliveryStatus::parse(&s)),
        before: query.get("before").and_then(|b| b.parse().ok()),
    }
}

/// What the console says of an endpoint that fails or was turned off.
#[component]
pub fn EndpointAlertView(alert: EndpointAlert) -> impl IntoView {
    match alert {
        EndpointAlert::Failing { since, disables_at } => view! {
            <p class="notice" role="status" data-testid="endpoint-failing">
                {format!("Webhook deliveries have failed since {}. Unless one succeeds, the endpoint will be disabled on {}.", format_time(since), format_time(disables_at))}
            </p>
        }
        .into_any(),
        EndpointAlert::Disabled { at, reason } => view! {
            <p class="form-error" role="alert" data-testid="endpoint-disabled">
                {format!("Webhook deliveries are disabled since {}: {reason}", format_time(at))}
            </p>
        }
        .into_any(),
    }
}

#[server(prefix = "/rpc", endpoint = "redeliver")]
pub async fn redeliver(slug: String, event_id: i64) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        crate::server::publishing::deliveries::redeliver(&state.db, &user, &slug, event_id).await?;
        state.webhook_wakeup.notify_one();
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "reenable_webhooks")]
pub async fn reenable_webhooks(slug: String) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::publishing::deliveries::reenable_webhooks(&state.db, &user, &slug).await?) }).await
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let slug = slug_from_route().get_untracked();
    let filter = leptos_router::hooks::use_query_map().with_untracked(filter_from_query);
    view! { <Deliveries slug filter/> }
}

/// A plugin's delivery log: an island (in a WASM chunk of its own), for redelivery and
/// re-sending, answered in place.
#[island(lazy)]
fn Deliveries(slug: String, filter: DeliveryFilter) -> impl IntoView {
    let shown = StoredValue::new(slug.clone());
    let redeliver = ServerAction::<Redeliver>::new();
    let reenable = ServerAction::<ReenableWebhooks>::new();
    let resend = ServerAction::<ResendFailed>::new();
    let log = Resource::new(
        move || (slug.clone(), filter.clone(), redeliver.version().get(), reenable.version().get(), resend.version().get()),
        |(slug, filter, _, _, _)| plugin_deliveries(slug, filter),
    );
    view! {
        <PageTitle text="Webhook deliveries"/>
        {move || redeliver.value().get().and_then(Result::err).map(|e| error_view(&e))}
        {move || reenable.value().get().and_then(Result::err).map(|e| error_view(&e))}
        {move || resend.value().get().map(|answer| match answer {
            Ok(n) => view! { <p class="notice" role="status" data-testid="resent">{format!("{n} message{} queued again.", if n == 1 { "" } else { "s" })}</p> }.into_any(),
            Err(e) => error_view(&e).into_any(),
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(log) => view! { <DeliveryLogView log slug=shown.get_value() redeliver reenable resend/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The log's address with `filter` (and a page's `before`).
fn log_href(slug: &str, filter: &DeliveryFilter) -> String {
    let mut params = Vec::new();
    if let Some(t) = filter.event_type {
        params.push(format!("type={t}"));
    }
    if let Some(s) = filter.status {
        params.push(format!("status={}", s.as_str()));
    }
    if let Some(b) = filter.before {
        params.push(format!("before={b}"));
    }
    let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
    format!("/developer/plugins/{slug}/deliveries{query}")
}

#[component]
fn DeliveryLogView(
    log: DeliveryLog,
    slug: String,
    redeliver: ServerAction<Redeliver>,
    reenable: ServerAction<ReenableWebhooks>,
    resend: ServerAction<ResendFailed>,
) -> impl IntoView {
    let endpoint = log.webhook.clone();
    let slug_reenable = slug.clone();
    let filter = log.filter.clone();
    let older = log.older.map(|before| log_href(&slug, &DeliveryFilter { before: Some(before), ..filter.clone() }));
    let filtered = filter.event_type.is_some() || filter.status.is_some() || filter.before.is_some();
    let all_href = log_href(&slug, &DeliveryFilter::default());
    let filter_action = all_href.clone();
    let slug_resend = slug.clone();
    view! {
        <p class="breadcrumbs"><a href="/developer">"Developer console"</a> " / " {log.plugin_name.clone()}</p>
        <h1>{format!("{}: webhook deliveries", log.plugin_name)}</h1>
        <ConsoleTabs slug=slug.clone() current="/deliveries"/>
        <section class="panel endpoint" data-testid="endpoint">
            {match (&endpoint.url, endpoint.disabled_at) {
                (None, _) => view! { <p class="muted">"No webhook URL: add one in the plugin's settings to receive lifecycle events."</p> }.into_any(),
                (Some(url), Some(_)) => view! {
                    <p>"Sending to " <code>{url.clone()}</code></p>
                    {endpoint.alert.clone().map(|alert| view! { <EndpointAlertView alert/> })}
                    <ActionForm action=reenable attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug_reenable.clone()/>
                        <button type="submit" class="button primary">"Re-enable deliveries"</button>
                    </ActionForm>
                }.into_any(),
                (Some(url), None) => view! {
                    <p>"Sending to " <code>{url.clone()}</code></p>
                    {match endpoint.alert.clone() {
                        Some(alert) => view! { <EndpointAlertView alert/> }.into_any(),
                        None => endpoint.failing_since.map(|since| view! {
                            <p class="notice">{format!("Failing since {}. After 5 days of failures the endpoint is disabled.", format_time(since))}</p>
                        }).into_any(),
                    }}
                }.into_any(),
            }}
        </section>
        <section class="panel resend">
            <h2>"Resend failed messages"</h2>
            <p class="hint">"Every failed or skipped message created since then is sent again, oldest first, each with its own "
                <code>"webhook-id"</code> " (deduplicate on it) and a fresh retry schedule."</p>
            <ActionForm action=resend attr:class="inline-form">
                <input type="hidden" name="slug" value=slug_resend/>
                <label for="resend-since">"Since (UTC)"</label>
                <input id="resend-since" type="datetime-local" name="since" value=log.resend_from.clone() required/>
                <button type="submit" class="button">"Resend failed since"</button>
            </ActionForm>
        </section>
        <form method="get" action=filter_action class="inline-form delivery-filter" aria-label="Filter deliveries">
            <label for="filter-type">"Event"</label>
            <select id="filter-type" name="type">
                <option value="" selected=filter.event_type.is_none()>"All events"</option>
                {EventType::ALL.into_iter().map(|t| view! {
                    <option value=t.as_str() selected=filter.event_type == Some(t)>{t.as_str()}</option>
                }).collect_view()}
            </select>
            <label for="filter-status">"Outcome"</label>
            <select id="filter-status" name="status">
                <option value="" selected=filter.status.is_none()>"Any"</option>
                {DeliveryStatus::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=filter.status == Some(s)>{s.as_str()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button subtle">"Filter"</button>
            {filtered.then(|| view! { <a href=all_href>"All deliveries"</a> })}
        </form>
        {log.deliveries.is_empty().then(|| view! { <p class="muted">{if filtered { "No messages match." } else { "No webhook messages yet." }}</p> })}
        <ul class="delivery-list">
            {log.deliveries.into_iter().map(|d| {
                let slug = slug.clone();
                view! {
                    <li class="delivery" data-event-type=d.event_type.clone() data-status=d.status.clone()>
                        <header>
                            <strong>{d.event_type.clone()}</strong>
                            <span class=format!("badge delivery-{}", d.status)>{d.status.clone()}</span>
                            <code class="muted">{d.message_id.clone()}</code>
                            <span class="muted">{format_time(d.created_at)}</span>
                            {d.next_attempt_at.map(|at| view! { <span class="muted" data-testid="next-retry">{format!("next attempt {}", format_time(at))}</span> })}
                            <ActionForm action=redeliver attr:class="inline-form">
                                <input type="hidden" name="slug" value=slug/>
                                <input type="hidden" name="event_id" value=d.event_id/>
                                <button type="submit" class="button subtle">"Redeliver"</button>
                            </ActionForm>
                        </header>
                        <table class="attempts">
                            <thead><tr><th>"#"</th><th>"When"</th><th>"Result"</th><th>"Latency"</th><th>"Response"</th></tr></thead>
                            <tbody>
                                {d.attempts.into_iter().map(|a| view! {
                                    <tr class="attempt">
                                        <td>{a.attempt}</td>
                                        <td>{format_time(a.attempted_at)}</td>
                                        <td>{match (a.status_code, a.error) {
                                            (Some(code), _) => format!("HTTP {code}"),
                                            (None, Some(err)) => err,
                                            (None, None) => "no answer".to_owned(),
                                        }}</td>
                                        <td>{format!("{} ms", a.latency_ms)}</td>
                                        <td><code class="excerpt">{a.response_excerpt.unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </li>
                }
            }).collect_view()}
        </ul>
        {older.map(|href| view! { <p><a href=href data-testid="older-deliveries">"Older messages"</a></p> })}
    }
}
