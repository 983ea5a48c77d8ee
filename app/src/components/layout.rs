use crate::pages::auth::AuthContext;
use crate::server_fn::set_http_status;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    let auth = AuthContext::get();
    view! {
        <header class="site-header">
            <div class="site-header-inner">
                <Brand/>
                <nav class="site-nav" aria-label="Main">
                    <A href="/marketplace">"Marketplace"</A>
                    <A href="/installed">"Installed plugins"</A>
                    <A href="/projects">"Projects"</A>
                    <A href="/members">"Members"</A>
                    <A href="/docs/api">"Plugin API"</A>
                    <A href="/developer">"Developers"</A>
                </nav>
                <div class="account">
                    // The one place the header reads the user: a resource read under two
                    // Suspense boundaries can stall a server-rendered response (leptos#4851).
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match auth.user.await {
                                Ok(Some(user)) => view! {
                                    {user.is_staff.then(|| view! { <A href="/admin" attr:class="button subtle">"Review queue"</A> })}
                                    <span class="who" data-testid="signed-in-as">
                                        <strong>{user.display_name}</strong>
                                        <span class="muted">" · " {user.tenant_name} " · " {user.role.label()}</span>
                                    </span>
                                    <ActionForm action=auth.sign_out attr:class="inline-form">
                                        <button type="submit" class="button subtle">"Sign out"</button>
                                    </ActionForm>
                                }
                                .into_any(),
                                _ => view! {
                                    <A href="/signin" attr:class="button subtle">"Sign in"</A>
                                    <A href="/signup" attr:class="button primary">"Sign up"</A>
                                }
                                .into_any(),
                            }
                        })}
                    </Transition>
                </div>
            </div>
        </header>
    }
}

/// The logo, linking home; also on the pages served without the app (the consent screen).
#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a class="brand" href="/marketplace">
            <span class="brand-mark" aria-hidden="true">"⊞"</span>
            " Plugboard"
        </a>
    }
}

/// How every page's `<title>` reads: "Page · Plugboard".
pub fn page_title(text: &str) -> String {
    if text.is_empty() { "Plugboard".to_owned() } else { format!("{text} · Plugboard") }
}

/// The page's `<title>` from inside an island. An island has no `<Title>` formatter of the
/// App's in the browser, so it brings its own: hydrating it sets the same title.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <Title formatter=|text: String| page_title(&text) text/> }
}

/// What a signed-out visitor sees on a page that needs an account.
#[component]
pub fn SignInPrompt(message: &'static str, next: &'static str) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p>{message}</p>
            <a href=format!("/signin?next={next}") class="button primary">"Sign in"</a>
        </div>
    }
}

/// What a page shows when its data could not be had: a sign-in prompt (returning to
/// `home`), a real 404, or the error's message.
pub fn load_failure(err: crate::error::AppError, sign_in_message: &'static str, home: &'static str) -> AnyView {
    use crate::error::AppError;
    match err {
        AppError::NotSignedIn => view! { <SignInPrompt message=sign_in_message next=home/> }.into_any(),
        AppError::NotFound(message) => {
            set_http_status(404);
            view! {
                <section class="empty-state">
                    <h1>"Not found"</h1>
                    <p>{message}</p>
                    <a href=home class="button primary">"Back"</a>
                </section>
            }
            .into_any()
        }
        other => view! { <p class="form-error" role="alert">{other.to_string()}</p> }.into_any(),
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text="Not found"/>
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="button primary" href="/marketplace">"Browse the marketplace"</a>
        </section>
    }
}
