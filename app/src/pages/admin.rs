//! Staff (`/admin`): the review queue, and each plugin as tenants will see it with what it
//! may reach, the version in review against the live one, and the decisions: publish,
//! reject with a reason, verify, unpublish, suspend and lift a suspension.

use crate::components::format::format_time;
use crate::components::layout::load_failure;
use crate::components::plugin_card::PluginIcon;
use crate::components::versions::{VersionDiffView, VersionHistory};
use crate::domain::{DecisionKind, QueueItem, ReviewState, StaffPlugin};
use crate::error::AppError;
use crate::pages::developer::{DecisionHistory, StateBadge};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

#[server(prefix = "/rpc", endpoint = "review_queue")]
pub async fn review_queue(state: String, #[server(default)] q: String) -> Result<Vec<QueueItem>, AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::{session, staff};
            let (app, user) = session::signed_in().await?;
            let state = ReviewState::parse(&state).unwrap_or(ReviewState::InReview);
            Ok(staff::queue(&app.db, &user, state, &q).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "staff_plugin")]
pub async fn load_staff_plugin(slug: String) -> Result<StaffPlugin, AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::{session, staff};
            let (app, user) = session::signed_in().await?;
            let slug = crate::server::plugin_address(&slug)?;
            Ok(staff::plugin(&app.db, &user, &slug).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "decide")]
pub async fn decide(slug: String, decision: String, reason: String) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::{session, staff};
            let (app, user) = session::signed_in().await?;
            let slug = crate::server::plugin_address(&slug)?;
            let kind = DecisionKind::parse(&decision).ok_or_else(|| AppError::invalid("decision", "Unknown decision."))?;
            Ok(staff::decide(&app.db, &user, &slug, kind, &reason).await?)
        }
        .await,
    )
}

#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| {
        query.with(|q| q.get("state").and_then(|s| ReviewState::parse(&s))).unwrap_or(ReviewState::InReview)
    });
    let search = Memo::new(move |_| query.with(|q| q.get("q")).unwrap_or_default());
    let items = Resource::new(move || (state.get(), search.get()), |(s, q)| review_queue(s.as_str().to_owned(), q));
    view! {
        <Title text="Review queue"/>
        <section class="hero">
            <h1>"Plugin review"</h1>
            <p class="muted">"Plugins waiting for a decision, oldest submission first."</p>
        </section>
        <nav class="tabs" aria-label="Review states">
            {ReviewState::ALL.into_iter().filter(|s| *s != ReviewState::Draft).map(|s| view! {
                <A href=format!("/admin?state={}", s.as_str())
                    attr:class=move || if state.get() == s { "tab current" } else { "tab" }>{s.label()}</A>
            }).collect_view()}
        </nav>
        // A plain GET form: the state and the words live in the URL.
        <Form method="GET" action="/admin" attr:class="filter-bar" attr:role="search">
            <input type="hidden" name="state" value=move || state.get().as_str()/>
            <label class="visually-hidden" for="queue-search">"Search plugins"</label>
            <input id="queue-search" class="search" type="search" name="q" placeholder="Search by name or description"
                value=move || search.get() maxlength="200"/>
            <button type="submit" class="button">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match items.await {
                    Err(e) => load_failure(e, "Sign in with a staff account.", "/admin"),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state muted">"Nothing here."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="console-list" data-testid="queue">
                            {list.into_iter().map(|item| view! {
                                <li class="console-row" data-queue-plugin=item.slug.clone()>
                                    <div class="console-main">
                                        <h3><A href=format!("/admin/plugins/{}", item.slug)>{item.name.clone()}</A></h3>
                                        <p class="muted">
                                            {format!("by {}", item.author)}
                                            {item.version.map(|n| format!(" · version {n}"))}
                                            {item.submitted_at.map(|t| format!(" · submitted {}", format_time(t)))}
                                        </p>
                                    </div>
                                    <StateBadge state=item.state/>
                                    {item.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn StaffPluginPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let decide = ServerAction::<Decide>::new();
    let plugin = Resource::new(move || (slug.get(), decide.version().get()), |(slug, _)| load_staff_plugin(slug));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plugin.await {
                    Err(e) => load_failure(e, "Sign in with a staff account.", "/admin"),
                    Ok(p) => view! { <StaffPluginView plugin=p decide/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StaffPluginView(plugin: StaffPlugin, decide: ServerAction<Decide>) -> AnyView {
    let slug = plugin.slug.clone();
    let state = plugin.state;
    let in_review = plugin.candidate.is_some();
    let suspended = plugin.suspension.is_some();
    let has_live = plugin.versions.iter().any(|v| v.live);
    let candidate = plugin.candidate.clone();
    let versions = plugin.versions.clone();
    // One small form per decision; the ones that need a reason carry a text box.
    let decision_form = move |kind: DecisionKind, label: &'static str, class: &'static str| {
        let slug = slug.clone();
        view! {
            <ActionForm action=decide attr:class="decision-form">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="decision" value=kind.as_str()/>
                {if kind.needs_reason() {
                    let id = format!("reason-{}", kind.as_str());
                    view! {
                        <label for=id.clone()>{format!("Reason for the developer ({})", label.to_lowercase())}</label>
                        <textarea id=id name="reason" rows="2" required></textarea>
                    }.into_any()
                } else {
                    view! { <input type="hidden" name="reason" value=""/> }.into_any()
                }}
                <button type="submit" class=format!("button {class}")>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <Title text=format!("Review {}", plugin.name)/>
        <p class="breadcrumbs"><A href="/admin">"Review queue"</A> " / " {plugin.name.clone()}</p>
        <header class="console-head">
            <PluginIcon name=plugin.name.clone() slug=plugin.slug.clone() icon_url=plugin.icon_url.clone() size="large"/>
            <h1>{plugin.name.clone()}</h1>
            <StateBadge state/>
            {plugin.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
        </header>
        <p class="muted">
            {format!("by {} · {}", plugin.author, plugin.category.label())}
            {plugin.developer_email.clone().map(|e| format!(" · developer {e}"))}
            {plugin.submitted_at.map(|t| format!(" · submitted {}", format_time(t)))}
        </p>
        <p><a href=format!("/marketplace/{}", plugin.slug) rel="external">"See its page as tenants will"</a></p>
        {move || decide.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        {plugin.suspension.clone().map(|s| view! {
            <p class="form-error" role="alert" data-testid="suspension">{format!("Suspended {}: {}", format_time(s.at), s.reason)}</p>
        })}
        {candidate.map(|diff| view! { <section class="panel"><h2>"What changes"</h2><VersionDiffView diff/></section> })}
        <section class="panel decisions-panel" data-testid="decisions">
            <h2>"Decision"</h2>
            {in_review.then(|| view! {
                {decision_form(DecisionKind::Published, "Publish", "primary")}
                {decision_form(DecisionKind::Rejected, "Reject", "danger")}
            })}
            {(state == ReviewState::Published).then(|| decision_form(DecisionKind::Unpublished, "Unpublish", "danger"))}
            // Any plugin with a published version runs somewhere, listed or not.
            {(has_live && !suspended).then(|| decision_form(DecisionKind::Suspended, "Suspend", "danger"))}
            {suspended.then(|| decision_form(DecisionKind::Reinstated, "Lift the suspension", ""))}
            {if plugin.is_verified {
                decision_form(DecisionKind::Unverified, "Remove verified badge", "").into_any()
            } else {
                decision_form(DecisionKind::Verified, "Mark verified", "").into_any()
            }}
        </section>
        <div class="detail-body">
            <section class="description" inner_html=plugin.description_html.clone()></section>
            <aside class="side">
                <section class="permissions">
                    <h2>"Permissions"</h2>
                    <ul>
                        {plugin.scopes.iter().map(|s| view! {
                            <li data-scope=s.as_str()><span class="scope-sentence">{s.sentence()}</span><code>{s.as_str()}</code></li>
                        }).collect_view()}
                    </ul>
                </section>
                <section>
                    <h2>"URLs"</h2>
                    <dl class="urls">
                        <dt>"Redirect URIs"</dt>
                        {plugin.redirect_uris.iter().map(|u| view! { <dd><code>{u.clone()}</code></dd> }).collect_view()}
                        <dt>"Webhook URL"</dt><dd><code>{plugin.webhook_url.clone().unwrap_or_else(|| "none".into())}</code></dd>
                        <dt>"Author website"</dt><dd><code>{plugin.author_url.clone().unwrap_or_else(|| "none".into())}</code></dd>
                        <dt>"Icon"</dt><dd><code>{plugin.icon_url.clone().unwrap_or_else(|| "none".into())}</code></dd>
                    </dl>
                </section>
            </aside>
        </div>
        <VersionHistory versions/>
        <DecisionHistory decisions=plugin.decisions.clone()/>
    }
    .into_any()
}
