//! The developer console (`/developer`): a developer profile, plugin registration and
//! editing, credentials shown once, submission for review, webhook deliveries with
//! Redeliver, and install statistics drawn as SVG by the app. One module a capability,
//! each with its server functions and its views; what several share is here.

pub mod deliveries;
pub mod form;
pub mod home;
pub mod plugin;
pub mod stats;

use crate::components::format::format_time;
use crate::domain::{Decision, ReviewState};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Runs `action` on the signed-in developer's plugin `slug`; a failure answers with its
/// HTTP status.
#[cfg(feature = "ssr")]
pub(super) async fn with_my_plugin<T, Fut>(
    slug: &str,
    action: impl FnOnce(crate::server::AppState, crate::server::scope::Member, crate::domain::PluginSlug) -> Fut,
) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            let slug = crate::server::plugin_address(slug)?;
            action(state, user, slug).await
        }
        .await,
    )
}

/// An error as the console shows it by a form. Field problems are shown on their fields,
/// so the summary only points at them.
pub(super) fn error_view(err: &AppError) -> impl IntoView {
    let text = match err {
        AppError::InvalidFields(errors) if errors.len() == 1 => "One field needs attention: see its message above.".to_owned(),
        AppError::InvalidFields(errors) => format!("{} fields need attention: see their messages above.", errors.len()),
        other => other.to_string(),
    };
    view! { <p class="form-error" role="alert">{text}</p> }
}

#[component]
pub fn StateBadge(state: ReviewState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str()) data-state=state.as_str()>{state.label()}</span> }
}

pub(super) fn slug_from_route() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()))
}

/// Links between a plugin's console pages.
#[component]
pub(super) fn ConsoleTabs(slug: String, current: &'static str) -> impl IntoView {
    let tabs = [("Settings", ""), ("Webhook deliveries", "/deliveries"), ("Statistics", "/stats")];
    view! {
        <nav class="tabs" aria-label="Plugin console">
            {tabs.into_iter().map(|(label, suffix)| {
                let href = format!("/developer/plugins/{slug}{suffix}");
                view! { <a href=href class=if suffix == current { "tab current" } else { "tab" }>{label}</a> }
            }).collect_view()}
            <a class="tab" href=format!("/marketplace/{slug}")>"Public page"</a>
        </nav>
    }
}

/// Who decided what about a plugin, and when.
#[component]
pub fn DecisionHistory(decisions: Vec<Decision>) -> impl IntoView {
    view! {
        <section class="panel decisions">
            <h2>"Review history"</h2>
            {decisions.is_empty().then(|| view! { <p class="muted">"Nothing yet."</p> })}
            <ol class="decision-list">
                {decisions.into_iter().map(|d| view! {
                    <li data-decision=d.kind.as_str()>
                        <strong>{d.kind.as_str().to_owned()}</strong>
                        {d.version.map(|n| format!(" version {n}"))}
                        {format!(" by {} on {}", d.actor, format_time(d.at))}
                        {d.reason.map(|r| view! { <blockquote>{r}</blockquote> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
