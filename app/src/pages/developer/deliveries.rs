//! The plugin's webhook deliveries, with Redeliver and re-enabling a disabled endpoint.

use crate::components::format::format_time;
use crate::components::layout::load_failure;
use crate::domain::DeliveryLog;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use super::{error_view, slug_from_route, ConsoleTabs};
#[cfg(feature = "ssr")]
use super::with_my_plugin;

#[server(prefix = "/rpc", endpoint = "plugin_deliveries")]
pub async fn plugin_deliveries(slug: String) -> Result<DeliveryLog, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::publishing::deliveries::log(&state.db, &user, &slug).await?) }).await
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
    let slug = slug_from_route();
    let redeliver = ServerAction::<Redeliver>::new();
    let reenable = ServerAction::<ReenableWebhooks>::new();
    let log = Resource::new(
        move || (slug.get(), redeliver.version().get(), reenable.version().get()),
        |(slug, _, _)| plugin_deliveries(slug),
    );
    view! {
        <Title text="Webhook deliveries"/>
        {move || redeliver.value().get().and_then(Result::err).map(|e| error_view(&e))}
        {move || reenable.value().get().and_then(Result::err).map(|e| error_view(&e))}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(log) => view! { <DeliveryLogView log slug=slug.get_untracked() redeliver reenable/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeliveryLogView(log: DeliveryLog, slug: String, redeliver: ServerAction<Redeliver>, reenable: ServerAction<ReenableWebhooks>) -> impl IntoView {
    let endpoint = log.webhook.clone();
    let slug_reenable = slug.clone();
    view! {
        <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / " {log.plugin_name.clone()}</p>
        <h1>{format!("{}: webhook deliveries", log.plugin_name)}</h1>
        <ConsoleTabs slug=slug.clone() current="/deliveries"/>
        <section class="panel endpoint" data-testid="endpoint">
            {match (&endpoint.url, endpoint.disabled_at) {
                (None, _) => view! { <p class="muted">"No webhook URL: add one in the plugin's settings to receive lifecycle events."</p> }.into_any(),
                (Some(url), Some(at)) => view! {
                    <p class="form-error" role="alert" data-testid="endpoint-disabled">
                        {format!("Deliveries to {url} are disabled since {}: {}", format_time(at), endpoint.disabled_reason.clone().unwrap_or_default())}
                    </p>
                    <ActionForm action=reenable attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug_reenable.clone()/>
                        <button type="submit" class="button primary">"Re-enable deliveries"</button>
                    </ActionForm>
                }.into_any(),
                (Some(url), None) => view! {
                    <p>"Sending to " <code>{url.clone()}</code></p>
                    {endpoint.failing_since.map(|since| view! {
                        <p class="notice">{format!("Failing since {}. After 5 days of failures the endpoint is disabled.", format_time(since))}</p>
                    })}
                }.into_any(),
            }}
        </section>
        {log.deliveries.is_empty().then(|| view! { <p class="muted">"No webhook messages yet."</p> })}
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
    }
}
