//! The Members page's people (issue 20): owners and admins add, change and remove people
//! through the page's server functions, with the role rules, and each change reaches the
//! plugins that subscribe and may read users as `member.*` events that fit the published
//! schemas; removing a person unassigns their tasks first (`task.updated` each).

use crate::events::Schemas;
use crate::support::receiver::Receiver;
use crate::support::{error_of, Backend, PluginSpec, TestApp};
use app::domain::{MembersPage, OrgUser};
use serde_json::{json, Value};

const NEWCOMER: &str = "nia@acme.test";

async fn add(app: &TestApp, by: &reqwest::Client, email: &str, role: &str) -> reqwest::Response {
    app.rpc(by, "add_member", &[("email", email), ("name", "Nia Newcomer"), ("role", role), ("password", server::seed::DEMO_PASSWORD)]).await
}

async fn people(app: &TestApp, by: &reqwest::Client) -> MembersPage {
    let res = app.rpc(by, "load_members", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn owners_and_admins_manage_people_and_subscribed_plugins_hear_of_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(204).await;
    let spec = PluginSpec::new("people-sync").scopes("read:users write:tasks").webhook(receiver.url.clone()).events("member.added member.updated member.removed task.updated");
    let plugin = app.register(spec).await;
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:users write:tasks").await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(receiver.wait_for(1).await[0].json()["type"], "plugin.installed");

    // An admin adds a person, who can then sign in.
    let res = add(&app, &admin, NEWCOMER, "member").await;
    assert_eq!(res.status(), 200);
    let added: OrgUser = res.json().await.unwrap();
    let newcomer = app.sign_in(NEWCOMER).await;
    assert!(people(&app, &newcomer).await.people.iter().any(|p| p.email == NEWCOMER));
    // Admins make no owners, change no owner, and nobody changes themselves.
    assert_eq!(error_of(add(&app, &admin, "olga@acme.test", "owner").await).await.0, 403);
    let page = people(&app, &admin).await;
    let owner = page.people.iter().find(|p| p.email == "owner@acme.test").unwrap().id.get().to_string();
    assert_eq!(error_of(app.rpc(&admin, "change_member_role", &[("user_id", &owner), ("role", "viewer")]).await).await.0, 403);
    assert_eq!(error_of(app.rpc(&admin, "change_member_role", &[("user_id", &page.me.get().to_string()), ("role", "viewer")]).await).await.0, 403);
    assert_eq!(error_of(app.rpc(&admin, "remove_member", &[("user_id", &owner)]).await).await.0, 403);
    let newcomer_id = added.id.get().to_string();
    assert_eq!(error_of(app.rpc(&admin, "change_member_role", &[("user_id", &newcomer_id), ("role", "owner")]).await).await.0, 403, "admins make no owners");
    // A member manages nobody.
    let id = added.id.get().to_string();
    assert_eq!(error_of(app.rpc(&newcomer, "remove_member", &[("user_id", &owner)]).await).await.0, 403);
    // Another organisation's person does not exist here.
    let globex = app.sign_in("owner@globex.test").await;
    assert_eq!(error_of(app.rpc(&globex, "remove_member", &[("user_id", &id)]).await).await.0, 404);

    // A role change; a task assigned to the newcomer; then the newcomer removed.
    let res = app.rpc(&admin, "change_member_role", &[("user_id", &id), ("role", "viewer")]).await;
    assert_eq!(res.status(), 200);
    let task = app.first_task("admin@acme.test").await.get();
    let res = crate::support::http()
        .patch(app.url(&format!("/api/v1/tasks/{task}")))
        .bearer_auth(&token)
        .json(&json!({ "assignee_id": added.id.get() }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.rpc(&admin, "remove_member", &[("user_id", &id)]).await.status(), 200);
    assert_eq!(error_of(app.rpc(&newcomer, "load_members", &[]).await).await.0, 401, "their session went with them");
    assert!(!people(&app, &admin).await.people.iter().any(|p| p.email == NEWCOMER));
    // Removed, not deleted: the id is never given again, and they sign in nowhere.
    let res = add(&app, &admin, "noor@acme.test", "member").await;
    let next: OrgUser = res.json().await.unwrap();
    assert!(next.id.get() > added.id.get(), "a removed person's id is not reused");
    let res = app.rpc(&app.client(), "sign_in", &[("email", NEWCOMER), ("password", server::seed::DEMO_PASSWORD)]).await;
    assert_eq!(res.status(), 401);
    let res = crate::support::http().get(app.url(&format!("/api/v1/users/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 404, "plugins no longer see them");

    // What the plugin heard, in order, each fitting the published schemas.
    let got: Vec<Value> = receiver.wait_for(7).await.iter().map(|r| r.json()).collect();
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["plugin.installed", "member.added", "member.updated", "task.updated", "task.updated", "member.removed", "member.added"]);
    assert_eq!(got[1]["data"]["user"], json!({ "id": added.id.get(), "name": "Nia Newcomer", "email": NEWCOMER, "role": "member" }));
    assert_eq!(got[1]["data"]["actor"], json!({ "type": "user", "id": page.me.get() }));
    assert_eq!((got[2]["data"]["user"]["role"].clone(), got[2]["data"]["changed"].clone()), (json!("viewer"), json!(["role"])));
    assert_eq!(got[4]["data"]["task"]["assignee_id"], Value::Null, "unassigned before the person goes");
    assert_eq!(got[4]["data"]["changed"], json!(["assignee_id"]));
    assert_eq!(got[5]["data"]["user"]["email"], NEWCOMER, "the person as they were");
    let schemas = Schemas::fetch(&app).await;
    for event in &got {
        assert_eq!(schemas.problems(event), Vec::<String>::new());
    }
}

async fn bad_people_are_refused_on_their_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let owner = app.sign_in("owner@acme.test").await;
    let res = app.rpc(&owner, "add_member", &[("email", "not an email"), ("role", "boss"), ("password", "short")]).await;
    let (status, err) = error_of(res).await;
    assert_eq!(status, 422);
    for field in ["email", "role", "password"] {
        assert!(err.field_message(field).is_some(), "{field}: {err:?}");
    }
    assert_eq!(error_of(add(&app, &owner, "admin@acme.test", "member").await).await.1.field_message("email").as_deref(), Some("Someone already has this email address."));
    // Owners may make owners and change them; the page shows the forms to managers only.
    let res = add(&app, &owner, "olga@acme.test", "owner").await;
    let olga: OrgUser = res.json().await.unwrap();
    let (_, html) = app.get_html(&owner, "/members").await;
    assert!(html.contains("data-testid=\"add-member\"") && html.contains("olga@acme.test") && html.contains(">Remove<"));
    assert_eq!(app.rpc(&owner, "change_member_role", &[("user_id", &olga.id.get().to_string()), ("role", "admin")]).await.status(), 200);
    // A Plugboard developer or staff member's account is kept: their plugins and reviews depend on it.
    let developer = app.sign_in("developer@partners.test").await;
    let staff = people(&app, &developer).await.people.into_iter().find(|p| p.email == "staff@plugboard.test").unwrap();
    let (status, err) = error_of(app.rpc(&developer, "remove_member", &[("user_id", &staff.id.get().to_string())]).await).await;
    assert_eq!(status, 409, "{err:?}");
    let viewer = app.sign_in("viewer@acme.test").await;
    let (status, html) = app.get_html(&viewer, "/members").await;
    assert_eq!(status, 200);
    assert!(!html.contains("data-testid=\"add-member\"") && !html.contains(">Remove<"));
}

crate::on_both_databases!(
    owners_and_admins_manage_people_and_subscribed_plugins_hear_of_it,
    bad_people_are_refused_on_their_fields,
);
