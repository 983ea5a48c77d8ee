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
use leptos_router::{path, SsrMode};
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
    let hydration = server::http::page_script(&options);
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
        <Title formatter=|text: String| components::layout::page_title(&text)/>
        <Router>
            <Header/>
            <main class="page">
                // Async rendering: the whole page, status code included, is ready before the
                // first byte, so it reads and works with JavaScript off.
                <Routes fallback=NotFound>
                    // Islands: pages are rendered here and only their islands are hydrated in
                    // the browser. The marketplace's is in the main WASM; the host product's
                    // projects, a plugin's settings and the console's are `#[island(lazy)]`:
                    // `--split` puts each in a chunk of its own.
                    <Route path=path!("/") view=|| view! { <Redirect path="/marketplace"/> }/>
                    <Route path=path!("/marketplace") view=MarketplacePage ssr=SsrMode::Async/>
                    <Route path=path!("/marketplace/:slug") view=PluginDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/installed") view=InstalledPage ssr=SsrMode::Async/>
                    <Route path=path!("/installed/:slug/settings") view=InstallationSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=path!("/invites/:token") view=InvitePage ssr=SsrMode::Async/>
                    <Route path=path!("/members") view=MembersPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer") view=DeveloperHomePage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/new") view=NewPluginPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug") view=DeveloperPluginPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug/deliveries") view=DeliveriesPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/plugins/:slug/stats") view=StatsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=ReviewQueuePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/plugins/:slug") view=StaffPluginPage ssr=SsrMode::Async/>
                    <Route path=path!("/docs/api") view=ApiDocsPage/>
                    <Route path=path!("/signin") view=SignInPage/>
                    <Route path=path!("/signup") view=SignUpPage/>
                </Routes>
            </main>
        </Router>
    }
}
