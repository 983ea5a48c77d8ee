//! Plugboard's application: the pages, the types they share with the server, and the
//! server functions behind them. With the `ssr` feature it also holds the server side
//! (`server`): storage, accounts, the catalog and the HTTP router.

pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod server_fn;

use components::layout::{Header, NotFound};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};
use pages::admin::{ReviewQueuePage, StaffPluginPage};
use pages::api_docs::ApiDocsPage;
use pages::auth::{AuthContext, SignInPage, SignUpPage};
use pages::developer::{deliveries::DeliveriesPage, form::NewPluginPage, home::DeveloperHomePage, plugin::DeveloperPluginPage, stats::StatsPage};
use pages::installed::InstalledPage;
use pages::invites::InvitePage;
use pages::marketplace::{MarketplacePage, PluginDetailPage};
use pages::members::MembersPage;
use pages::projects::ProjectsPage;
use pages::settings::InstallationSettingsPage;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::http::send_page_security_policy();
    #[cfg(feature = "ssr")]
    let hydration = server::http::hydrate_when_idle(&options);
    #[cfg(not(feature = "ssr"))]
    let hydration = ();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                // By the hashed name of this build (cargo-leptos `hash-files`) when it has one.
                <HashedStylesheet options=options.clone() id="leptos"/>
                {hydration}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    AuthContext::provide();

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Plugboard: plugins for your projects and tasks."/>
        <Title formatter=|text: String| if text.is_empty() { "Plugboard".to_owned() } else { format!("{text} · Plugboard") }/>
        <Router>
            <Header/>
            <main class="page">
                // Async rendering: the whole page, status code included, is ready before the
                // first byte, so it reads and works with JavaScript off.
                <Routes fallback=NotFound>
                    // The marketplace, a plugin's page and the installed plugins are in the main
                    // WASM: a first visit hydrates them without waiting for a second download.
                    // The rest (the host product's projects, the consoles, signing in, the API
                    // guide) are lazy: `--split` puts each page's code in chunks of its own.
                    <Route path=path!("/") view=|| view! { <Redirect path="/marketplace"/> }/>
                    <Route path=path!("/marketplace") view=MarketplacePage ssr=SsrMode::Async/>
                    <Route path=path!("/marketplace/:slug") view=PluginDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/installed") view=InstalledPage ssr=SsrMode::Async/>
                    <Route path=path!("/installed/:slug/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view={Lazy::<ProjectsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/invites/:token") view={Lazy::<InviteRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/members") view={Lazy::<MembersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/developer") view={Lazy::<DeveloperHomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/developer/new") view={Lazy::<NewPluginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug") view={Lazy::<DeveloperPluginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug/deliveries") view={Lazy::<DeliveriesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug/stats") view={Lazy::<StatsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<ReviewQueueRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/plugins/:slug") view={Lazy::<StaffPluginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/docs/api") view={Lazy::<ApiDocsRoute>::new()}/>
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()}/>
                    <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// Declares a lazily loaded route for a page component: with `cargo leptos build --split`
/// the page's code goes into its own WASM chunk, fetched the first time the page is shown
/// (or hydrated), so a visitor of the marketplace never downloads the console's code.
/// On the server it is an ordinary route. Every WASM build must be split: without
/// `--split` the JS imports a module named `__wasm_split_placeholder__` and no page hydrates.
macro_rules! lazy_page {
    ($($route:ident => $page:ident;)*) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    ProjectsRoute => ProjectsPage;
    InviteRoute => InvitePage;
    MembersRoute => MembersPage;
    SettingsRoute => InstallationSettingsPage;
    DeveloperHomeRoute => DeveloperHomePage;
    NewPluginRoute => NewPluginPage;
    DeveloperPluginRoute => DeveloperPluginPage;
    DeliveriesRoute => DeliveriesPage;
    StatsRoute => StatsPage;
    ReviewQueueRoute => ReviewQueuePage;
    StaffPluginRoute => StaffPluginPage;
    ApiDocsRoute => ApiDocsPage;
    SignInRoute => SignInPage;
    SignUpRoute => SignUpPage;
}
