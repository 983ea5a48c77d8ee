//! The organisation's people (`/members`): everyone sees who is in it; owners and admins
//! add a person, change a role and remove a person, with plain forms that work before
//! hydration. Each change is a data event for the plugins that may read users.

use crate::components::layout::load_failure;
use crate::domain::{MembersPage, OrgUser, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/rpc", endpoint = "load_members")]
pub async fn load_members() -> Result<MembersPage, AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::members::page(&state.db, &user).await?)
        }
        .await,
    )
}

/// Adds a person with a first password, which the owner or admin hands over.
#[server(prefix = "/rpc", endpoint = "add_member")]
pub async fn add_member(email: String, #[server(default)] name: String, role: String, password: String) -> Result<OrgUser, AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            let form = crate::server::members::NewMember { email: &email, name: &name, role: &role, password: &password };
            let added = crate::server::members::add(&state.db, &user, &form).await?;
            state.webhook_wakeup.notify_one();
            Ok(added)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "change_member_role")]
pub async fn change_member_role(user_id: crate::domain::UserId, role: String) -> Result<OrgUser, AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            let changed = crate::server::members::change_role(&state.db, &user, user_id, &role).await?;
            state.webhook_wakeup.notify_one();
            Ok(changed)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "remove_member")]
pub async fn remove_member(user_id: crate::domain::UserId) -> Result<(), AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            crate::server::members::remove(&state.db, &user, user_id).await?;
            state.webhook_wakeup.notify_one();
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    // Rendered on the server only: each form is a plain post, whose redirect brings the
    // page back (a refused one with its error, which these actions read from the address).
    let page = OnceResource::new(load_members());
    let failure = move || [change.value().get().and_then(Result::err), remove.value().get().and_then(Result::err)].into_iter().flatten().next();
    view! {
        <Title text="Members"/>
        <section class="hero">
            <h1>"Members"</h1>
            <p class="muted">"The people of your organisation and their roles. Plugins granted “See the names and email addresses of the people in your organisation” read this list."</p>
        </section>
        {move || failure().map(|e| view! { <p class="form-error" role="alert" data-testid="members-error">{e.to_string()}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => load_failure(e, "Sign in to see your organisation's people.", "/members"),
                    Ok(page) => view! { <MembersView page add change remove/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn role_options(is_owner: bool, current: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .filter(move |r| is_owner || *r != Role::Owner || *r == current)
        .map(move |r| view! { <option value=r.as_str() selected=r == current>{r.label()}</option> })
        .collect_view()
}

#[component]
fn MembersView(page: MembersPage, add: ServerAction<AddMember>, change: ServerAction<ChangeMemberRole>, remove: ServerAction<RemoveMember>) -> impl IntoView {
    let MembersPage { people, me, may_manage, is_owner } = page;
    view! {
        <table class="docs-table members" data-testid="members">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                {may_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
            <tbody>
                {people.into_iter().map(|person| {
                    let editable = may_manage && person.id != me && (is_owner || person.role != Role::Owner);
                    let who = format!("{} ({})", person.name, person.email);
                    let remove_label = format!("Remove {who}");
                    view! {
                        <tr data-member=person.email.clone()>
                            <td>{person.name.clone()}{(person.id == me).then_some(" (you)")}</td>
                            <td>{person.email.clone()}</td>
                            <td>{if editable {
                                view! {
                                    <ActionForm action=change attr:class="inline-form">
                                        <input type="hidden" name="user_id" value=person.id.get()/>
                                        <label class="visually-hidden" for=format!("role-{}", person.id.get())>{format!("Role of {who}")}</label>
                                        <select id=format!("role-{}", person.id.get()) name="role">{role_options(is_owner, person.role)}</select>
                                        <button type="submit" class="button subtle" aria-label=format!("Change the role of {who}")>"Change role"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <span data-role=person.role.as_str()>{person.role.label()}</span> }.into_any()
                            }}</td>
                            {may_manage.then(|| view! {
                                <td>{editable.then(|| view! {
                                    <ActionForm action=remove attr:class="inline-form">
                                        <input type="hidden" name="user_id" value=person.id.get()/>
                                        <button type="submit" class="button danger" aria-label=remove_label.clone()>"Remove"</button>
                                    </ActionForm>
                                })}</td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {may_manage.then(|| view! {
            <section class="panel" data-testid="add-member">
                <h2>"Add a person"</h2>
                <ActionForm action=add attr:class="stacked-form">
                    <label for="member-email">"Email"</label>
                    <input id="member-email" name="email" type="email" required autocomplete="off"/>
                    <label for="member-name">"Name"</label>
                    <input id="member-name" name="name" maxlength="80" autocomplete="off"/>
                    <label for="member-role">"Role"</label>
                    <select id="member-role" name="role">{role_options(is_owner, Role::Member)}</select>
                    <label for="member-password">"First password (hand it over; at least 10 characters)"</label>
                    <input id="member-password" name="password" type="password" required minlength="10" autocomplete="new-password"/>
                    {move || add.value().get().and_then(Result::err).map(|e| {
                        let text = ["email", "name", "role", "password"].into_iter().filter_map(|f| e.field_message(f)).collect::<Vec<_>>().join(" ");
                        view! { <p class="form-error" role="alert" data-testid="add-member-error">{if text.is_empty() { e.to_string() } else { text }}</p> }
                    })}
                    <button type="submit" class="button primary">"Add person"</button>
                </ActionForm>
            </section>
        })}
    }
}
