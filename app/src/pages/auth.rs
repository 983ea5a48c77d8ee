//! Sign up, sign in, sign out: the forms and the server functions behind them.

use crate::domain::SessionUser;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    crate::server_fn::with_status(current_user_inner().await)
}

#[cfg(feature = "ssr")]
async fn current_user_inner() -> Result<Option<SessionUser>, AppError> {
    Ok(crate::server::session::current_user().await?.map(crate::server::scope::Member::into_user))
}

/// Where to go after signing in: `next` when it is a place on this site, else the
/// marketplace. `next` is read as a browser would read a link on one of our pages
/// (tabs and newlines dropped, backslashes as slashes, `//host` as another site), and
/// kept only if that leaves the origin unchanged; what comes back is the parsed path,
/// query and fragment, so a browser cannot read it any other way.
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/marketplace";
    let Ok(base) = url::Url::parse("https://plugboard.invalid/") else { return HOME.to_owned() };
    let Some(target) = next.and_then(|n| base.join(n).ok()) else { return HOME.to_owned() };
    let kept = &target[url::Position::BeforePath..];
    // `/.//evil.example` stays on our origin as a URL but serialises as `//evil.example`,
    // which a browser then reads as another site: refused too.
    if target.origin() != base.origin() || kept.starts_with("//") || kept.starts_with("/\\") {
        return HOME.to_owned();
    }
    kept.to_owned()
}

/// Signs in; answers where to go next (see `safe_next`).
#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<String, AppError> {
    crate::server_fn::with_status(sign_in_inner(email, password, next).await)
}

#[cfg(feature = "ssr")]
async fn sign_in_inner(email: String, password: String, next: Option<String>) -> Result<String, AppError> {
    use crate::server::{accounts, client_addr, AppState};

    let state = AppState::from_context()?;
    let client_ip = client_addr::of_server_fn(&state).await;
    let user = accounts::authenticate(&state.db, &state.settings, &email, &password, client_ip).await?;
    let target = safe_next(next.as_deref());
    start_session(&state, user, &target).await?;
    Ok(target)
}

#[server(prefix = "/rpc", endpoint = "sign_up")]
pub async fn sign_up(
    organisation: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    crate::server_fn::with_status(sign_up_inner(organisation, name, email, password).await)
}

#[cfg(feature = "ssr")]
async fn sign_up_inner(
    organisation: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use crate::domain::{Email, Password, Role, TenantName};
    use crate::server::{accounts, client_addr, AppState};

    let state = AppState::from_context()?;
    let tenant = TenantName::parse(&organisation).map_err(|m| AppError::invalid("organisation", m))?;
    let email = Email::parse(&email).map_err(|m| AppError::invalid("email", m))?;
    let password = Password::parse_new(&password).map_err(|m| AppError::invalid("password", m))?;
    accounts::allow_sign_up(&state.db, &state.settings, client_addr::of_server_fn(&state).await).await?;
    let owner = accounts::NewUser { email: &email, display_name: &name, password: &password, role: Role::Owner };
    let (_, user) = accounts::create_tenant_with_owner(&state.db, &tenant, &owner).await?;
    start_session(&state, user, "/marketplace").await
}

#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::server_fn::with_status(sign_out_inner().await)
}

#[cfg(feature = "ssr")]
async fn sign_out_inner() -> Result<(), AppError> {
    use crate::server::{session, AppState};

    let state = AppState::from_context()?;
    end_presented_session(&state).await?;
    session::send_cookie(session::clear_cookie_header());
    leptos_axum::redirect("/marketplace");
    Ok(())
}

/// Signs `user` in: a fresh session id every time (no fixation), replacing any presented one.
#[cfg(feature = "ssr")]
async fn start_session(state: &crate::server::AppState, person: crate::server::accounts::Authenticated, then: &str) -> Result<(), AppError> {
    use crate::server::{internal, session};
    end_presented_session(state).await?;
    let token = session::create(&state.db, person).await.map_err(internal("creating a session failed"))?;
    session::send_cookie(session::set_cookie_header(&state.settings, &token));
    leptos_axum::redirect(then);
    Ok(())
}

/// Deletes the session whose cookie came with this request, if any.
#[cfg(feature = "ssr")]
async fn end_presented_session(state: &crate::server::AppState) -> Result<(), AppError> {
    use crate::server::{internal, session};
    let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    if let Some(token) = session::token_from_headers(&headers) {
        session::delete(&state.db, &token).await.map_err(internal("ending a session failed"))?;
    }
    Ok(())
}

/// Who is signed in and the sign-out action, shared by the header and the pages.
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub sign_out: ServerAction<SignOut>,
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl AuthContext {
    pub fn provide() -> Self {
        let ctx = Self { sign_out: ServerAction::<SignOut>::new(), user: Resource::new(|| (), |_| current_user()) };
        provide_context(ctx);
        ctx
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}

/// The error of an action's last run, shown under its form.
fn action_error<T>(value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static) -> impl IntoView
{
    move || {
        value.get().and_then(Result::err).map(|e| {
            view! { <p class="form-error" role="alert">{e.to_string()}</p> }
        })
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    // Made under the router, which hands a refused plain form post's error to it.
    let sign_in = ServerAction::<SignIn>::new();
    // Sent as it came; the server decides where it may lead (`safe_next`), and sends the
    // browser there.
    let next = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("next"));
    let page_load = next.is_some().then_some("");
    view! {
        <Title text="Sign in"/>
        <section class="auth-card">
            <h1>"Sign in to Plugboard"</h1>
            // With `next`, the browser posts it itself: the redirect may lead to another site
            // (an install's hand-over to the plugin), which the page script cannot follow.
            <ActionForm action=sign_in attr:class="stacked-form" attr:data-page-load=page_load>
                <label for="signin-email">"Email"</label>
                <input id="signin-email" type="email" name="email" autocomplete="username" required/>
                <label for="signin-password">"Password"</label>
                <input id="signin-password" type="password" name="password" autocomplete="current-password" required/>
                {next.map(|n| view! { <input type="hidden" name="next" value=n/> })}
                {action_error(sign_in.value())}
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            <p class="muted">"New to Plugboard? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    view! {
        <Title text="Create an account"/>
        <section class="auth-card">
            <h1>"Create your organisation"</h1>
            <p class="muted">"You become its owner and can install plugins for everyone in it."</p>
            <ActionForm action=sign_up attr:class="stacked-form">
                <label for="signup-organisation">"Organisation"</label>
                <input id="signup-organisation" type="text" name="organisation" autocomplete="organization" required/>
                <label for="signup-name">"Your name"</label>
                <input id="signup-name" type="text" name="name" autocomplete="name"/>
                <label for="signup-email">"Email"</label>
                <input id="signup-email" type="email" name="email" autocomplete="username" required/>
                <label for="signup-password">"Password"</label>
                <input id="signup-password" type="password" name="password" autocomplete="new-password" minlength="10" required/>
                <p class="hint">"At least 10 characters."</p>
                {action_error(sign_up.value())}
                <button type="submit" class="button primary">"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for (next, expected) in [
            ("/installed", "/installed"),
            ("/oauth/authorize?client_id=x&scope=a%20b", "/oauth/authorize?client_id=x&scope=a%20b"),
            ("/marketplace/task-sync#reviews", "/marketplace/task-sync#reviews"),
            // Encoded slashes and tabs stay encoded in the path: never a host.
            ("/%2F/evil.example", "/%2F/evil.example"),
            ("/%09/evil.example", "/%09/evil.example"),
            // Unicode slashes are path characters, not separators.
            ("/\u{2215}\u{2215}evil.example", "/%E2%88%95%E2%88%95evil.example"),
        ] {
            assert_eq!(safe_next(Some(next)), expected, "{next:?}");
        }
    }

    #[test]
    fn next_cannot_leave_this_site() {
        for next in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,hi",
            " //evil.example",
            "https://plugboard.invalid.evil.example/",
            "/.//evil.example",
            "/a/..//evil.example",
            "/%2e//evil.example",
            "/./\\evil.example",
        ] {
            assert_eq!(safe_next(Some(next)), "/marketplace", "{next:?}");
        }
        assert_eq!(safe_next(None), "/marketplace");
    }
}
