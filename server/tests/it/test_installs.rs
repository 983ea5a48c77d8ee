//! Test installs (issue 20): a developer invites a named organisation to install a plugin
//! staff have not published; an owner or admin of that organisation accepts the link, and
//! the organisation then sees and installs the plugin through the usual consent screen,
//! marked as a test version, until the developer withdraws the invite, which uninstalls
//! it there. Nobody else sees the draft.

use crate::support::plugins::{approve, authorize, consent_token, drafted};
use crate::support::receiver::Receiver;
use crate::support::{error_of, Backend, PluginSpec, TestApp};
use app::domain::{ConsolePlugin, InviteDetails, InviteLink};
use serde_json::{json, Value};

const SLUG: &str = "trial-robot";

async fn invite(app: &TestApp, developer: &reqwest::Client, organisation: &str) -> String {
    let res = app.rpc(developer, "invite_organisation", &[("slug", SLUG), ("organisation", organisation)]).await;
    assert_eq!(res.status(), 200, "invite {organisation}");
    let link: InviteLink = res.json().await.unwrap();
    let token = link.url.rsplit_once("/invites/").expect("an invite URL").1.to_owned();
    assert_eq!(link.url, app.url(&format!("/invites/{token}")));
    token
}

async fn load(app: &TestApp, browser: &reqwest::Client, token: &str) -> InviteDetails {
    let res = app.rpc(browser, "load_invite", &[("token", token)]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn console(app: &TestApp, developer: &reqwest::Client) -> ConsolePlugin {
    crate::support::plugins::console(app, developer, SLUG).await
}

async fn api(token: &str, app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = crate::support::http().request(method, app.url(&format!("/api/v1{path}"))).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn an_invited_organisation_installs_the_draft_until_the_invite_is_withdrawn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(204).await;
    let spec = PluginSpec::new(SLUG).scopes("read:projects write:tasks").webhook(receiver.url.clone());
    let (plugin, _) = drafted(&app, spec, &[]).await;
    let developer = app.sign_in("developer@partners.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let globex = app.sign_in("owner@globex.test").await;
    let params = plugin.authorize_params("read:projects write:tasks", "st");

    // Before any invite: a draft is nobody's but its developer's.
    assert_eq!(app.get_html(&admin, &format!("/marketplace/{SLUG}")).await.0, 404);
    let refused = authorize(&app, &admin, &params).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("is not published in the marketplace"));

    // The name is matched whatever its case and spacing; a blank one is refused on its field.
    let (status, err) = error_of(app.rpc(&developer, "invite_organisation", &[("slug", SLUG), ("organisation", " ")]).await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("organisation").is_some(), "{err:?}");
    let token = invite(&app, &developer, "acme   CORP").await;
    let waiting = console(&app, &developer).await.invites;
    assert_eq!((waiting.len(), waiting[0].accepted.is_none()), (1, true));

    // Who may not accept it, and why.
    let signed_out = load(&app, &app.client(), &token).await;
    assert!(signed_out.refusal.as_deref().is_some_and(|r| r.starts_with("Sign in as an owner or admin of acme   CORP")), "{signed_out:?}");
    let other = load(&app, &globex, &token).await;
    assert!(other.refusal.as_deref().is_some_and(|r| r.contains("you are signed in to Globex")), "{other:?}");
    assert_eq!(error_of(app.rpc(&globex, "accept_invite", &[("token", &token)]).await).await.0, 403);
    let member = app.sign_in("member@acme.test").await;
    assert_eq!(error_of(app.rpc(&member, "accept_invite", &[("token", &token)]).await).await.0, 403);
    assert_eq!(error_of(app.rpc(&admin, "accept_invite", &[("token", "pbi_nothing")]).await).await.0, 404);

    // Acme's admin accepts (twice: the second changes nothing); Globex cannot take it over.
    for _ in 0..2 {
        let res = app.rpc(&admin, "accept_invite", &[("token", &token)]).await;
        assert_eq!(res.status(), 200);
        let accepted: InviteDetails = res.json().await.unwrap();
        assert!(accepted.accepted && accepted.refusal.is_none(), "{accepted:?}");
    }
    assert!(load(&app, &globex, &token).await.refusal.unwrap().contains("Another organisation accepted"));
    let (_, page) = app.get_html(&admin, &format!("/invites/{token}")).await;
    assert!(page.contains(&format!("href=\"/marketplace/{SLUG}/install\"")), "the accepted invite offers Install");

    // Acme sees the plugin as a test version and installs it through the consent screen.
    let (status, page) = app.get_html(&admin, &format!("/marketplace/{SLUG}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Test version.") && page.contains("data-testid=\"install\""), "{page}");
    let consent = authorize(&app, &admin, &params).await;
    assert_eq!(consent.status(), 200);
    assert!(consent.text().await.unwrap().contains("data-testid=\"consent-test-version\""));
    let location = approve(&app, &admin, &params).await;
    let code = crate::support::query_of(&location)["code"].clone();
    let res = plugin.exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, installed) = app.get_html(&admin, "/installed").await;
    assert!(installed.contains(&format!("data-installed=\"{SLUG}\"")) && installed.contains("data-testid=\"test-version\""));
    assert_eq!(receiver.wait_for(1).await[0].json()["type"], "plugin.installed");

    // A project Acme made on /projects, and the draft creates a task in it.
    assert_eq!(app.rpc(&admin, "add_project", &[("name", "Trial run")]).await.status(), 200);
    let (_, projects) = api(&access, &app, reqwest::Method::GET, "/projects?limit=100", None).await;
    let project = projects["data"].as_array().unwrap().iter().find(|p| p["name"] == "Trial run").expect("Acme's new project")["id"].clone();
    let (status, task) = api(&access, &app, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": "Made by the draft" }))).await;
    assert_eq!(status, 201, "{task}");

    // Globex, not invited, still cannot.
    assert_eq!(authorize(&app, &globex, &params).await.status(), 400);
    assert_eq!(app.get_html(&globex, &format!("/marketplace/{SLUG}")).await.0, 404);

    // The console shows who accepted and that it is installed; withdrawing uninstalls it.
    let listed = console(&app, &developer).await.invites;
    assert_eq!(listed[0].accepted.as_ref().map(|(who, _)| who.as_str()), Some("Adam Admin"));
    assert!(listed[0].installed);
    let res = app.rpc(&developer, "revoke_invite", &[("slug", SLUG), ("invite_id", &listed[0].id.to_string())]).await;
    assert_eq!(res.status(), 200);
    assert!(console(&app, &developer).await.invites.is_empty());
    assert!(!plugin.is_active(&app, &access).await, "the test install's tokens died");
    assert_eq!(api(&access, &app, reqwest::Method::GET, "/projects", None).await.0, 401);
    let (_, installed) = app.get_html(&admin, "/installed").await;
    assert!(!installed.contains(&format!("data-installed=\"{SLUG}\"")));
    assert_eq!(receiver.wait_for(2).await[1].json()["type"], "plugin.uninstalled");
    assert_eq!(authorize(&app, &admin, &params).await.status(), 400);
    assert_eq!(error_of(app.rpc(&admin, "load_invite", &[("token", &token)]).await).await.0, 404);
    // Withdrawing it again is a clear conflict, not a second uninstall.
    let again = app.rpc(&developer, "revoke_invite", &[("slug", SLUG), ("invite_id", &listed[0].id.to_string())]).await;
    assert_eq!(error_of(again).await.0, 409);
}

async fn invites_are_only_for_unpublished_plugins_of_ones_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    drafted(&app, PluginSpec::new(SLUG).scopes("read:projects"), &[]).await;
    let developer = app.sign_in("developer@partners.test").await;
    // Somebody else's plugin (a member who is no developer, and another developer), and
    // a plugin that is published.
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(error_of(app.rpc(&admin, "invite_organisation", &[("slug", SLUG), ("organisation", "Globex")]).await).await.0, 403);
    let other = app.sign_in("owner@globex.test").await;
    assert_eq!(app.rpc(&other, "become_developer", &[("developer_name", "Globex Labs")]).await.status(), 200);
    assert_eq!(error_of(app.rpc(&other, "invite_organisation", &[("slug", SLUG), ("organisation", "Globex")]).await).await.0, 404);
    invite(&app, &developer, "Globex").await;
    crate::support::plugins::release(&app, &developer, SLUG, "First release.").await;
    assert_eq!(error_of(app.rpc(&developer, "invite_organisation", &[("slug", SLUG), ("organisation", "Initech")]).await).await.0, 409);
}

/// Demo data, a draft reading projects, and Acme invited to it (its admin accepted).
async fn acme_invited(backend: Backend) -> (TestApp, crate::support::TestPlugin, reqwest::Client, reqwest::Client) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (plugin, _) = drafted(&app, PluginSpec::new(SLUG).scopes("read:projects"), &[]).await;
    let developer = app.sign_in("developer@partners.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let token = invite(&app, &developer, "Acme Corp").await;
    assert_eq!(app.rpc(&admin, "accept_invite", &[("token", &token)]).await.status(), 200);
    (app, plugin, developer, admin)
}

async fn an_invite_withdrawn_during_the_consent_issues_no_code(backend: Backend) {
    let (app, plugin, developer, admin) = acme_invited(backend).await;
    let res = authorize(&app, &admin, &plugin.authorize_params("read:projects", "st")).await;
    assert_eq!(res.status(), 200);
    let consent = consent_token(&res.text().await.unwrap());
    let id = console(&app, &developer).await.invites[0].id.to_string();
    assert_eq!(app.rpc(&developer, "revoke_invite", &[("slug", SLUG), ("invite_id", &id)]).await.status(), 200);
    let res = admin
        .post(app.url("/oauth/authorize"))
        .header("origin", app.base.clone())
        .form(&[("consent", consent.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "no redirect with a code");
    assert!(res.text().await.unwrap().contains("withdrew the invite"));
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_codes").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(pending, 0);
}

async fn testers_run_what_the_developer_saves_until_staff_publish(backend: Backend) {
    let (app, plugin, developer, admin) = acme_invited(backend).await;
    plugin.install_and_exchange(&app, &admin, "read:projects").await;
    // A tester's installation does not freeze the draft: the next save runs there too.
    let mut form = console(&app, &developer).await.form;
    form.name = "Trial Robot 2".into();
    crate::support::plugins::save(&app, &developer, &form).await;
    let (_, installed) = app.get_html(&admin, "/installed").await;
    assert!(installed.contains("Trial Robot 2"), "the tester runs the saved draft");
}

async fn a_private_plugin_is_reviewed_then_installable_only_where_invited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (plugin, _) = drafted(&app, PluginSpec::new(SLUG).scopes("read:projects"), &[("form[private]", "true")]).await;
    let developer = app.sign_in("developer@partners.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let globex = app.sign_in("owner@globex.test").await;
    assert!(console(&app, &developer).await.form.private);
    let token = invite(&app, &developer, "Acme Corp").await;
    assert_eq!(app.rpc(&admin, "accept_invite", &[("token", &token)]).await.status(), 200);
    // Staff review it like any plugin; publishing it lists it nowhere.
    crate::support::plugins::release(&app, &developer, SLUG, "Internal tool.").await;
    let anonymous = app.client();
    for browser in [&anonymous, &globex, &admin] {
        let (_, html) = app.get_html(browser, &format!("/marketplace?q={SLUG}")).await;
        assert!(!crate::support::card_slugs(&html).contains(&SLUG.to_owned()), "a private plugin is never listed");
    }
    assert_eq!(app.get_html(&globex, &format!("/marketplace/{SLUG}")).await.0, 404);
    assert_eq!(app.get_html(&anonymous, &format!("/marketplace/{SLUG}")).await.0, 404);
    let params = plugin.authorize_params("read:projects", "st");
    assert_eq!(authorize(&app, &globex, &params).await.status(), 400);
    // The invited organisation sees it as private (reviewed: no test-version mark) and installs it.
    let (status, page) = app.get_html(&admin, &format!("/marketplace/{SLUG}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-testid=\"private-notice\"") && !page.contains("Test version."), "{page}");
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let (_, installed) = app.get_html(&admin, "/installed").await;
    assert!(installed.contains(&format!("data-installed=\"{SLUG}\"")) && !installed.contains("data-testid=\"test-version\""));
    // Invites go on after publishing, and withdrawing one still uninstalls.
    invite(&app, &developer, "Initech").await;
    let acme = console(&app, &developer).await.invites.into_iter().find(|i| i.organisation == "Acme Corp").unwrap();
    assert_eq!(app.rpc(&developer, "revoke_invite", &[("slug", SLUG), ("invite_id", &acme.id.to_string())]).await.status(), 200);
    assert!(!plugin.is_active(&app, tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(authorize(&app, &admin, &params).await.status(), 400);
    // A later version made public (reviewed like any change) is listed for everybody.
    let mut form = console(&app, &developer).await.form;
    form.private = false;
    crate::support::plugins::save(&app, &developer, &form).await;
    let diff = console(&app, &developer).await.pending.expect("a draft that differs");
    assert!(format!("{diff:?}").contains("Public: listed in the marketplace"), "{diff:?}");
    crate::support::plugins::release(&app, &developer, SLUG, "Now for everyone.").await;
    let (_, html) = app.get_html(&globex, &format!("/marketplace?q={SLUG}")).await;
    assert!(crate::support::card_slugs(&html).contains(&SLUG.to_owned()), "listed once public");
    assert_eq!(authorize(&app, &globex, &params).await.status(), 200);
}

async fn organisations_that_installed_a_plugin_before_it_turned_private_keep_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (plugin, _) = drafted(&app, PluginSpec::new(SLUG).scopes("read:projects"), &[]).await;
    let developer = app.sign_in("developer@partners.test").await;
    crate::support::plugins::release(&app, &developer, SLUG, "For everyone.").await;
    let globex = app.sign_in("owner@globex.test").await;
    plugin.install_and_exchange(&app, &globex, "read:projects").await;
    let mut form = console(&app, &developer).await.form;
    form.private = true;
    crate::support::plugins::save(&app, &developer, &form).await;
    crate::support::plugins::release(&app, &developer, SLUG, "Internal from now on.").await;
    // Globex keeps it: its page, its consent (a reconnect or an update), its Install link.
    let params = plugin.authorize_params("read:projects", "st");
    assert_eq!(app.get_html(&globex, &format!("/marketplace/{SLUG}")).await.0, 200);
    assert_eq!(authorize(&app, &globex, &params).await.status(), 200);
    let tokens = plugin.install_and_exchange(&app, &globex, "read:projects").await;
    assert!(plugin.is_active(&app, tokens["access_token"].as_str().unwrap()).await);
    let res = globex.get(app.url(&format!("/marketplace/{SLUG}/install"))).send().await.unwrap();
    assert_eq!(res.status(), 303, "Reconnect hands over");
    // Nobody else: Initech neither sees nor installs it.
    let initech = app.sign_in("owner@initech.test").await;
    assert_eq!(app.get_html(&initech, &format!("/marketplace/{SLUG}")).await.0, 404);
    assert_eq!(authorize(&app, &initech, &params).await.status(), 400);
    assert_eq!(initech.get(app.url(&format!("/marketplace/{SLUG}/install"))).send().await.unwrap().status(), 404);
    // Once Globex uninstalls, it is outside too.
    let installation = app.installation_id(SLUG, "owner@globex.test").await;
    assert_eq!(app.rpc(&globex, "uninstall_plugin", &[("installation_id", &installation.get().to_string())]).await.status(), 200);
    assert_eq!(authorize(&app, &globex, &params).await.status(), 400);
}

crate::on_both_databases!(
    organisations_that_installed_a_plugin_before_it_turned_private_keep_it,
    testers_run_what_the_developer_saves_until_staff_publish,
    a_private_plugin_is_reviewed_then_installable_only_where_invited,
    an_invited_organisation_installs_the_draft_until_the_invite_is_withdrawn,
    an_invite_withdrawn_during_the_consent_issues_no_code,
    invites_are_only_for_unpublished_plugins_of_ones_own,
);
