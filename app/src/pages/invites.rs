//! An invite to test an unpublished plugin (`/invites/{token}`): what it is, and for an
//! owner or admin of the organisation it names, Accept and then Install. A plain form
//! that works before hydration.

use crate::components::layout::load_failure;
use crate::domain::InviteDetails;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[server(prefix = "/rpc", endpoint = "load_invite")]
pub async fn load_invite(token: String) -> Result<InviteDetails, AppError> {
    crate::server_fn::with_status(load_invite_inner(token).await)
}

#[cfg(feature = "ssr")]
async fn load_invite_inner(token: String) -> Result<InviteDetails, AppError> {
    use crate::server::{session, AppState};
    let state = AppState::from_context()?;
    let viewer = session::current_user().await?;
    Ok(crate::server::invites::details(&state.db, viewer.as_ref(), &token).await?)
}

/// Accepts the invite for the signed-in owner's or admin's organisation.
#[server(prefix = "/rpc", endpoint = "accept_invite")]
pub async fn accept_invite(token: String) -> Result<InviteDetails, AppError> {
    crate::server_fn::with_status(accept_invite_inner(token).await)
}

#[cfg(feature = "ssr")]
async fn accept_invite_inner(token: String) -> Result<InviteDetails, AppError> {
    let (state, user) = crate::server::session::signed_in().await?;
    Ok(crate::server::invites::accept(&state.db, &user, &token).await?)
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let accept = ServerAction::<AcceptInvite>::new();
    let invite = Resource::new(move || (token(), accept.version().get()), |(token, _)| load_invite(token));
    view! {
        <Title text="Invitation to test a plugin"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match invite.await {
                    Err(e) => load_failure(e, "Sign in to see this invite.", "/marketplace"),
                    Ok(invite) => view! { <InviteView invite token=token() accept/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InviteView(invite: InviteDetails, token: String, accept: ServerAction<AcceptInvite>) -> impl IntoView {
    let InviteDetails { plugin_name, slug, author, organisation, accepted, published, refusal } = invite;
    let sign_in = format!("/signin?next=/invites/{token}");
    let lead = format!(
        "{author} invites {organisation} to install {plugin_name} as a test version: Plugboard staff have not reviewed it yet. \
         Once accepted, owners and admins of {organisation} install it through the usual consent screen, which shows what it may do. \
         The developer can withdraw the invite at any time, which uninstalls it."
    );
    let title = format!("Try {plugin_name} before it is published");
    let signed_out = refusal.as_deref().is_some_and(|r| r.starts_with("Sign in as"));
    let next_step = if published {
        view! {
            <p class="notice" data-testid="invite-published">
                "Plugboard staff have published it since: install it from the marketplace like any plugin. "
                <A href=format!("/marketplace/{slug}")>"Open its page"</A>
            </p>
        }
        .into_any()
    } else if accepted {
        view! {
            <p class="notice" role="status" data-testid="invite-accepted">{format!("Accepted for {organisation}. Owners and admins of it can install the test version now.")}</p>
            <p class="actions">
                // rel=external: a full page load, since the install leaves for the plugin's site.
                <a class="button primary" href=format!("/marketplace/{slug}/install") rel="external" data-testid="invite-install">{format!("Install {plugin_name}")}</a>
                " "
                <A href=format!("/marketplace/{slug}")>"See its page"</A>
            </p>
        }
        .into_any()
    } else if let Some(why) = refusal {
        view! {
            <p class="form-error" role="alert" data-testid="invite-refusal">{why}</p>
            {signed_out.then(|| view! { <a class="button primary" href=sign_in>"Sign in"</a> })}
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=accept attr:class="stacked-form">
                <input type="hidden" name="token" value=token/>
                <button type="submit" class="button primary" data-testid="invite-accept">{format!("Accept for {organisation}")}</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="hero">
            <h1>{title}</h1>
            <p>{lead}</p>
        </section>
        <section class="panel" data-testid="invite">
            {next_step}
            {move || accept.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}
