//! The marketplace: the plugin grid with its filters, and each plugin's page.

use crate::server_fn::set_http_status;
use crate::components::plugin_card::{format_count, PluginBadges, PluginCardView, PluginIcon, Rating};
use crate::components::format::format_date;
use crate::domain::{Category, MarketplaceQuery, PluginDetail, PluginPage, ReviewState, Sort};
use crate::error::AppError;
use crate::pages::installed::{AnswerUpdate, UpdateRequest};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;

/// How long typing must pause before the grid follows the search box.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

#[server(prefix = "/rpc", endpoint = "list_plugins")]
pub async fn list_plugins(query: MarketplaceQuery) -> Result<PluginPage, AppError> {
    crate::server_fn::with_status(list_plugins_inner(query).await)
}

#[cfg(feature = "ssr")]
async fn list_plugins_inner(query: MarketplaceQuery) -> Result<PluginPage, AppError> {
    use crate::server::{catalog, internal, session, AppState};
    let state = AppState::from_context()?;
    let viewer = session::current_user().await?;
    catalog::list_published(&state.db, &state.catalog, &query.normalized(), viewer.map(|u| u.tenant_id))
        .await
        .map_err(internal("listing plugins failed"))
}

#[server(prefix = "/rpc", endpoint = "plugin_detail")]
pub async fn get_plugin_detail(slug: String) -> Result<PluginDetail, AppError> {
    crate::server_fn::with_status(get_plugin_detail_inner(slug).await)
}

#[cfg(feature = "ssr")]
async fn get_plugin_detail_inner(slug: String) -> Result<PluginDetail, AppError> {
    use crate::server::{catalog, internal, session, AppState};
    let state = AppState::from_context()?;
    let viewer = session::current_user().await?;
    catalog::plugin_detail(&state.db, &slug, viewer.as_ref())
        .await
        .map_err(internal("loading a plugin failed"))?
        .ok_or_else(|| AppError::NotFound("No published plugin has this address.".to_owned()))
}

#[server(prefix = "/rpc", endpoint = "save_review")]
pub async fn save_review(slug: String, rating: i64, body: String) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::reviews::{self, Stars};
            let (state, user) = crate::server::session::signed_in().await?;
            let slug = crate::server::plugin_address(&slug)?;
            Ok(reviews::save_review(&state.db, &user, &slug, Stars::parse(rating)?, &body).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "reply_to_review")]
pub async fn reply_to_review(review_id: i64, reply: String) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            use crate::server::{reviews, session};
            let (state, user) = session::signed_in().await?;
            Ok(reviews::reply(&state.db, &user, review_id, &reply).await?)
        }
        .await,
    )
}

#[component]
pub fn MarketplacePage() -> impl IntoView {
    let (query, ignored) = use_query_map().with_untracked(|p| {
        MarketplaceQuery::from_params(p.get_str("q"), p.get_str("category"), p.get_str("sort"), p.get_str("page"))
    });
    let listing = OnceResource::new(list_plugins(query));

    view! {
        <Title text="Marketplace"/>
        <section class="hero">
            <h1>"Plugin marketplace"</h1>
            <p class="muted">"Connect your projects and tasks to the tools your team already uses."</p>
        </section>
        {(!ignored.is_empty()).then(|| view! {
            <p class="notice" role="status">
                {format!("Ignored an unknown value for {}; showing the default instead.", ignored.join(", "))}
            </p>
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading plugins…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(page) => view! { <Catalog page/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The filters and the grid: the marketplace's island. The server renders it with the
/// first page; once hydrated, the search box (after a pause in typing), the category and
/// the sort fetch the next page of cards and update the URL, without a page load.
#[island]
fn Catalog(page: PluginPage) -> impl IntoView {
    let query = StoredValue::new(page.query.clone());
    let shown = RwSignal::new(page);
    let failure = RwSignal::new(None::<String>);
    let asked = StoredValue::new(0_u64);
    let form = NodeRef::<leptos::html::Form>::new();
    // Fetches the grid for `next`; the last question asked is the one answered. Nothing
    // once the page script has moved to another page (islands are not disposed).
    let show = move |next: MarketplaceQuery, replace: bool| {
        if !form.get_untracked().is_some_and(|form| form.is_connected()) {
            return;
        }
        query.set_value(next.clone());
        remember_in_history(&next.href(), replace);
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let answer = list_plugins(next).await;
            if asked.get_value() == ticket {
                match answer {
                    Ok(page) => {
                        failure.set(None);
                        shown.set(page);
                    }
                    Err(err) => failure.set(Some(err.to_string())),
                }
            }
        });
    };
    let pending_search = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
        let search = move || show(MarketplaceQuery { q: text, page: 1, ..query.get_value() }, true);
        pending_search.set_value(set_timeout_with_handle(search, SEARCH_DEBOUNCE).ok());
    };
    let on_category = move |ev: leptos::ev::Event| {
        let category = Category::parse(&event_target_value(&ev));
        show(MarketplaceQuery { category, page: 1, ..query.get_value() }, false);
    };
    let on_sort = move |ev: leptos::ev::Event| {
        let sort = Sort::parse(&event_target_value(&ev)).unwrap_or_default();
        show(MarketplaceQuery { sort, page: 1, ..query.get_value() }, false);
    };
    let first = query.get_value();

    view! {
        // A plain GET form, so it works before the WASM loads (and with JavaScript off).
        <form node_ref=form method="GET" action="/marketplace" class="filter-bar" role="search">
            <label class="visually-hidden" for="marketplace-search">"Search plugins"</label>
            <input
                id="marketplace-search"
                class="search"
                type="search"
                name="q"
                placeholder="Search plugins"
                autocomplete="off"
                maxlength="200"
                value=first.q.clone()
                on:input=on_search
            />
            <label class="visually-hidden" for="marketplace-category">"Category"</label>
            <select id="marketplace-category" name="category" on:change=on_category>
                <option value="" selected=first.category.is_none()>"All categories"</option>
                {Category::ALL.into_iter().map(|c| view! {
                    <option value=c.as_str() selected=first.category == Some(c)>{c.label()}</option>
                }).collect_view()}
            </select>
            <label class="visually-hidden" for="marketplace-sort">"Sort by"</label>
            <select id="marketplace-sort" name="sort" on:change=on_sort>
                {Sort::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=first.sort == s>{s.label()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button">"Search"</button>
        </form>
        {move || failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        {move || view! { <PluginGrid page=shown.get()/> }}
    }
}

/// Puts the marketplace's new address in the history: typing replaces the entry, a
/// choice adds one (Back returns to it through the page script).
fn remember_in_history(href: &str, replace: bool) {
    let Some(history) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let _ = if replace {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href))
    } else {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href))
    };
}

#[component]
fn PluginGrid(page: PluginPage) -> impl IntoView {
    if page.plugins.is_empty() {
        let has_filters = page.query != MarketplaceQuery::default();
        return view! {
            <section class="empty-state" data-testid="empty-state">
                <h2>"No plugins match"</h2>
                <p>"Try other words or another category."</p>
                {has_filters.then(|| view! { <a href="/marketplace" class="button">"Clear filters"</a> })}
            </section>
        }
        .into_any();
    }
    let pages = page.page_count();
    let current = page.query.page;
    let first = page.query.offset() as i64 + 1;
    let last = first + page.plugins.len() as i64 - 1;
    let prev = (current > 1).then(|| page.query.with_page(current - 1).href());
    let next = (current < pages).then(|| page.query.with_page(current + 1).href());
    view! {
        <p class="result-count" data-testid="result-count">
            {format!("{}–{} of {} plugins", format_count(first), format_count(last), format_count(page.total))}
        </p>
        <div class="plugin-grid" data-testid="plugin-grid">
            {page.plugins.into_iter().map(|plugin| view! { <PluginCardView plugin/> }).collect_view()}
        </div>
        <nav class="pager" aria-label="Pages">
            {prev.map(|href| view! { <a href=href class="button" rel="prev">"← Previous"</a> })}
            <span class="muted">{format!("Page {current} of {}", format_count(pages as i64))}</span>
            {next.map(|href| view! { <a href=href class="button" rel="next">"Next →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
pub fn PluginDetailPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let save = ServerAction::<SaveReview>::new();
    let reply = ServerAction::<ReplyToReview>::new();
    let answer = ServerAction::<AnswerUpdate>::new();
    let detail = Resource::new(
        move || (slug.get(), save.version().get(), reply.version().get(), answer.version().get()),
        |(slug, _, _, _)| get_plugin_detail(slug),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(plugin) => view! { <PluginDetailView plugin save reply answer/> }.into_any(),
                    Err(AppError::NotFound(message)) => {
                        set_http_status(404);
                        view! {
                            <Title text="Plugin not found"/>
                            <section class="empty-state">
                                <h1>"Plugin not found"</h1>
                                <p>{message}</p>
                                <A href="/marketplace" attr:class="button primary">"Browse the marketplace"</A>
                            </section>
                        }
                        .into_any()
                    }
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PluginDetailView(plugin: PluginDetail, save: ServerAction<SaveReview>, reply: ServerAction<ReplyToReview>, answer: ServerAction<AnswerUpdate>) -> impl IntoView {
    let card = plugin.card.clone();
    let install_href = format!("/marketplace/{}/install", card.slug);
    let update = plugin.update.clone().zip(plugin.installation_id).map(|(update, installation_id)| {
        view! { <UpdateRequest update installation_id can_manage=true answer/> }
    });
    let releases = plugin.releases.clone();
    view! {
        <Title text=card.name.clone()/>
        {(plugin.state != ReviewState::Published || plugin.invited).then(|| if plugin.invited {
            view! {
                <p class="notice" data-testid="preview-notice">
                    <strong>"Test version. "</strong>
                    "Plugboard staff have not reviewed this plugin yet. Its developer invited your organisation to try it; besides them and staff, only the organisations they invited see it."
                </p>
            }.into_any()
        } else {
            view! {
                <p class="notice" data-testid="preview-notice">
                    {format!("Preview: this plugin is {} and not in the marketplace. Only its developer and Plugboard staff see this page.", plugin.state.label().to_lowercase())}
                </p>
            }.into_any()
        })}
        {(plugin.private && plugin.state == ReviewState::Published).then(|| view! {
            <p class="notice" data-testid="private-notice">"Private plugin: not listed in the marketplace. Only the organisations its developer invited can see and install it."</p>
        })}
        <p class="breadcrumbs"><A href="/marketplace">"Marketplace"</A> " / " {card.category.label()}</p>
        <article class="plugin-detail" data-plugin-slug=card.slug.clone()>
            <header class="detail-head">
                <PluginIcon name=card.name.clone() slug=card.slug.clone() icon_url=card.icon_url.clone() size="large"/>
                <div class="detail-title">
                    <h1>{card.name.clone()}</h1>
                    <p class="author">
                        "by "
                        {match plugin.author_url.clone() {
                            Some(url) => view! { <a href=url rel="noopener noreferrer nofollow" target="_blank">{card.author.clone()}</a> }.into_any(),
                            None => view! { <span>{card.author.clone()}</span> }.into_any(),
                        }}
                    </p>
                    <PluginBadges plugin=card.clone()/>
                    <p class="stats">
                        <Rating rating=card.rating count=card.review_count/>
                        <span class="muted">{format!(" · {} installs", format_count(card.install_count))}</span>
                    </p>
                </div>
                <div class="detail-actions">
                    {if card.is_installed {
                        view! {
                            <p class="muted">"Installed for your organisation."</p>
                            <A href="/installed" attr:class="button">"Manage installed plugins"</A>
                        }.into_any()
                    } else if plugin.can_install {
                        // rel=external: a full page load, since the install leaves for the plugin's site.
                        view! { <a class="button primary large" href=install_href rel="external" data-testid="install">"Install"</a> }.into_any()
                    } else if plugin.signed_in {
                        view! { <p class="muted">"Only owners and admins of your organisation can install plugins."</p> }.into_any()
                    } else {
                        view! { <A href="/signin" attr:class="button primary">"Sign in to install"</A> }.into_any()
                    }}
                </div>
            </header>
            {update}
            <div class="detail-body">
                <section class="description" inner_html=plugin.description_html.clone()></section>
                <aside class="side">
                    <section class="permissions">
                        <h2>"Permissions"</h2>
                        <p class="muted">"Once installed, this plugin can:"</p>
                        <ul>
                            {plugin.permissions.iter().map(|scope| view! {
                                <li data-scope=scope.as_str()>
                                    <span class="scope-sentence">{scope.sentence()}</span>
                                    <code>{scope.as_str()}</code>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                    {(!releases.is_empty()).then(|| view! {
                        <section class="releases" data-testid="releases">
                            <h2>"Version history"</h2>
                            <ol class="release-list">
                                {releases.into_iter().map(|r| view! {
                                    <li data-version=r.number>
                                        <strong>{format!("Version {}", r.number)}</strong>
                                        <span class="muted">{format!(" · {}", format_date(r.published_at))}</span>
                                        <div class="release-notes" inner_html=r.notes_html></div>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </section>
                    }.into_any())}
                </aside>
            </div>
            <Reviews plugin=plugin.clone() save reply/>
        </article>
    }
}

#[component]
fn Reviews(plugin: PluginDetail, save: ServerAction<SaveReview>, reply: ServerAction<ReplyToReview>) -> impl IntoView {
    let slug = plugin.card.slug.clone();
    let mine = plugin.reviews.iter().find(|r| r.is_mine).cloned();
    let can_reply = plugin.can_reply;
    view! {
        <section class="reviews" data-testid="reviews">
            <h2>{format!("Reviews ({})", plugin.reviews.len())}</h2>
            {plugin.reviews.is_empty().then(|| view! { <p class="muted">"No reviews yet."</p> })}
            {plugin.can_review.then(|| {
                let current = mine.as_ref().map_or(5, |r| r.rating);
                view! {
                    <ActionForm action=save attr:class="stacked-form review-form">
                        <h3>{if mine.is_some() { "Update your organisation's review" } else { "Review this plugin for your organisation" }}</h3>
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <label for="review-rating">"Rating"</label>
                        <select id="review-rating" name="rating">
                            {(1..=5).rev().map(|n| view! {
                                <option value=n selected=n == current>{format!("{} {}", "★".repeat(n as usize), if n == 1 { "star".to_owned() } else { format!("{n} stars") })}</option>
                            }).collect_view()}
                        </select>
                        <label for="review-body">"Review"</label>
                        <textarea id="review-body" name="body" rows="3" maxlength="2000">{mine.as_ref().map(|r| r.body.clone()).unwrap_or_default()}</textarea>
                        {move || save.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                        <button type="submit" class="button primary">{if mine.is_some() { "Update review" } else { "Post review" }}</button>
                    </ActionForm>
                }
            })}
            {move || reply.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <ul class="review-list">
                {plugin.reviews.into_iter().map(|r| view! {
                    <li class="review" data-review-id=r.id>
                        <p class="stars" aria-label=format!("{} out of 5", r.rating)>
                            {"★".repeat(r.rating.clamp(0, 5) as usize)}
                            <span class="muted">{"★".repeat((5 - r.rating.clamp(0, 5)) as usize)}</span>
                        </p>
                        <p class="review-body">{r.body.clone()}</p>
                        <p class="muted">{format!("{} · {} · {}", r.author_name, r.tenant_name, format_date(r.created_at))}</p>
                        {r.reply.clone().map(|text| view! { <blockquote class="reply"><strong>"Developer reply: "</strong>{text}</blockquote> })}
                        {can_reply.then(|| {
                            let (id, existing) = (r.id, r.reply.clone());
                            view! {
                            <ActionForm action=reply attr:class="stacked-form reply-form">
                                <input type="hidden" name="review_id" value=id/>
                                <label for=format!("reply-{id}")>{if existing.is_some() { "Change your public reply" } else { "Reply publicly" }}</label>
                                <textarea id=format!("reply-{id}") name="reply" rows="2" maxlength="2000" required>{existing.clone().unwrap_or_default()}</textarea>
                                <button type="submit" class="button">"Post reply"</button>
                            </ActionForm>
                            }
                        })}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
