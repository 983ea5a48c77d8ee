//! The developer console, staff review and reviews (issue 5): who may do what, through
//! the server functions the pages call, on both databases.

use crate::support::{error_of, Backend, Options, TestApp};
use crate::support::TestPlugin;
use crate::support::receiver::Receiver;
use app::domain::{ConsolePlugin, DeliveryLog, InstallStats, ShownSecrets};
use app::error::AppError;
use app::server::outbound::{parse_allowlist, OutboundPolicy};
use app::server::registry::Credentials;
use app::server::webhooks::worker::{Worker, WorkerConfig};
use std::sync::Arc;

const DEVELOPER: &str = "developer@partners.test";
const STAFF: &str = "staff@plugboard.test";

/// The plugin form as the console posts it (`form[…]` fields; scopes by index).
fn plugin_form(slug: &str, webhook_url: &str) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("form[slug]", slug),
        ("form[name]", "Invoice Robot"),
        ("form[description]", "Turns **finished tasks** into invoices."),
        ("form[author]", "Robot Works"),
        ("form[author_url]", "https://robot.example.com"),
        ("form[icon_url]", ""),
        ("form[category]", "finance"),
        ("form[redirect_uris]", "https://robot.example.com/oauth/callback\r\nhttps://robot.example.com/other/callback"),
        ("form[webhook_url]", webhook_url),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // As a browser sends checked boxes: index 0 (read:projects) and 3 (write:tasks).
    form.push(("form[scopes][0]".into(), "read:projects".into()));
    form.push(("form[scopes][3]".into(), "write:tasks".into()));
    form
}

fn as_pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn ok_json<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> T {
    let status = res.status();
    let body = res.text().await.expect("body");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Registers "invoice-robot" as the demo developer; returns the secrets shown once.
async fn register(app: &TestApp, developer: &reqwest::Client, webhook_url: &str) -> ShownSecrets {
    let form = plugin_form("invoice-robot", webhook_url);
    ok_json(app.rpc(developer, "create_plugin", &as_pairs(&form)).await).await
}

/// A test plugin driven by the credentials the console showed.
fn as_test_plugin(secrets: &ShownSecrets) -> TestPlugin {
    TestPlugin {
        creds: Credentials {
            slug: secrets.slug.clone(),
            client_id: secrets.client_id.clone(),
            client_secret: secrets.client_secret.clone().expect("client secret shown"),
            webhook_secret: secrets.webhook_secret.clone(),
        },
        redirect_uri: "https://robot.example.com/oauth/callback".into(),
        other_redirect_uri: "https://robot.example.com/other/callback".into(),
    }
}

async fn console_plugin(app: &TestApp, developer: &reqwest::Client, slug: &str) -> ConsolePlugin {
    ok_json(app.rpc(developer, "developer_plugin", &[("slug", slug)]).await).await
}

async fn decide(app: &TestApp, staff: &reqwest::Client, decision: &str, reason: &str) -> reqwest::Response {
    app.rpc(staff, "decide", &[("slug", "invoice-robot"), ("decision", decision), ("reason", reason)]).await
}

/// Whether the client secret authenticates (revocation answers 401 to a bad client).
async fn client_secret_works(app: &TestApp, client_id: &str, secret: &str) -> bool {
    let res = crate::support::http()
        .post(app.url("/oauth/revoke"))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    res.status() == 200
}

async fn developers_register_edit_and_submit_their_own_plugins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;

    // Not a developer yet: no plugin; a profile first.
    let admin = app.sign_in("admin@acme.test").await;
    let form = plugin_form("invoice-robot", "");
    let (status, _) = error_of(app.rpc(&admin, "create_plugin", &as_pairs(&form)).await).await;
    assert_eq!(status, 403);
    let anonymous = app.client();
    let (status, err) = error_of(app.rpc(&anonymous, "create_plugin", &as_pairs(&form)).await).await;
    assert_eq!((status, err), (401, AppError::NotSignedIn));

    // Every bad field is named in one answer; nothing is stored.
    let bad: Vec<(&str, &str)> = vec![
        ("form[slug]", "Invoice Robot"),
        ("form[name]", "I"),
        ("form[description]", ""),
        ("form[author]", "Robot Works"),
        ("form[author_url]", "http://robot.example.com"),
        ("form[icon_url]", ""),
        ("form[category]", "games"),
        ("form[redirect_uris]", "http://robot.example.com/cb"),
        ("form[webhook_url]", "https://10.1.2.3/hooks"),
        ("form[scopes][0]", "admin:everything"),
    ];
    let (status, err) = error_of(app.rpc(&developer, "create_plugin", &bad).await).await;
    assert_eq!(status, 422);
    let AppError::InvalidFields(errors) = err else { panic!("{err:?}") };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["slug", "name", "description", "author_url", "category", "scopes", "redirect_uris", "webhook_url"]);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plugins WHERE developer_id IS NOT NULL AND slug = 'invoice-robot'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);

    // A good form: a draft, with its secrets shown this once.
    let secrets = register(&app, &developer, "").await;
    assert!(secrets.client_secret.as_deref().is_some_and(|s| s.starts_with("pbs_")));
    assert!(secrets.webhook_secret.as_deref().is_some_and(|s| s.starts_with("whsec_")));
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert_eq!(plugin.state, app::domain::ReviewState::Draft);
    assert_eq!(plugin.form.scopes, ["read:projects", "write:tasks"]);
    assert_eq!(plugin.client_id, secrets.client_id);
    let stored = serde_json::to_string(&plugin).unwrap();
    assert!(!stored.contains(secrets.client_secret.as_deref().unwrap()), "the console never shows the secret again");

    // The same address again is refused on its field.
    let (status, err) = error_of(app.rpc(&developer, "create_plugin", &as_pairs(&plugin_form("invoice-robot", ""))).await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("slug").is_some_and(|m| m.contains("taken")), "{err:?}");

    // A draft is not in the marketplace, except for its developer (and staff).
    assert_eq!(app.get_html(&anonymous, "/marketplace/invoice-robot").await.0, 404);
    assert_eq!(app.get_html(&admin, "/marketplace/invoice-robot").await.0, 404);
    let (status, html) = app.get_html(&developer, "/marketplace/invoice-robot").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"preview-notice\""));
    let staff = app.sign_in(STAFF).await;
    assert_eq!(app.get_html(&staff, "/marketplace/invoice-robot").await.0, 200);

    // Someone else's console cannot see or change it.
    let other = app.sign_in("owner@globex.test").await;
    assert_eq!(app.rpc(&other, "become_developer", &[("developer_name", "Globex Labs")]).await.status(), 200);
    assert_eq!(error_of(app.rpc(&other, "developer_plugin", &[("slug", "invoice-robot")]).await).await.0, 404);
    let mut edit = plugin_form("invoice-robot", "");
    edit.push(("slug".into(), "invoice-robot".into()));
    assert_eq!(error_of(app.rpc(&other, "update_plugin", &as_pairs(&edit)).await).await.0, 404);
    assert_eq!(error_of(app.rpc(&other, "rotate_secret", &[("slug", "invoice-robot"), ("secret", "client")]).await).await.0, 404);
    assert_eq!(error_of(app.rpc(&other, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "Mine now.")]).await).await.0, 404);

    // Edits keep the address, whatever the form says.
    let mut edit = plugin_form("renamed-robot", "");
    edit.retain(|(k, _)| k != "form[name]");
    edit.push(("form[name]".into(), "Invoice Robot Pro".into()));
    edit.push(("slug".into(), "invoice-robot".into()));
    assert_eq!(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await.status(), 200);
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert_eq!((plugin.form.name.as_str(), plugin.form.slug.as_str()), ("Invoice Robot Pro", "invoice-robot"));

    // Rotation: the new secret works, the old one stops at once.
    let old = secrets.client_secret.clone().unwrap();
    assert!(client_secret_works(&app, &secrets.client_id, &old).await);
    let rotated: ShownSecrets = ok_json(app.rpc(&developer, "rotate_secret", &[("slug", "invoice-robot"), ("secret", "client")]).await).await;
    let new = rotated.client_secret.unwrap();
    assert!(client_secret_works(&app, &secrets.client_id, &new).await);
    assert!(!client_secret_works(&app, &secrets.client_id, &old).await);
    let webhook: ShownSecrets = ok_json(app.rpc(&developer, "rotate_secret", &[("slug", "invoice-robot"), ("secret", "webhook")]).await).await;
    assert_ne!(webhook.webhook_secret, secrets.webhook_secret);
    assert!(webhook.client_secret.is_none(), "rotating the webhook secret leaves the client secret alone");
    assert!(client_secret_works(&app, &secrets.client_id, &new).await);

    // A submission says what is new; submit once; a second submit is refused while it waits.
    let (status, err) = error_of(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "  ")]).await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("release_notes").is_some(), "{err:?}");
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "First release.")]).await.status(), 200);
    assert_eq!(console_plugin(&app, &developer, "invoice-robot").await.state, app::domain::ReviewState::InReview);
    assert_eq!(error_of(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "Again.")]).await).await.0, 409);
    // What staff review stays as submitted.
    let (status, err) = error_of(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await).await;
    assert_eq!(status, 409);
    assert!(err.to_string().contains("reviewing"), "{err}");
}

async fn staff_decide_and_every_decision_is_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;
    register(&app, &developer, "").await;
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "First release.")]).await.status(), 200);

    // Only staff decide.
    for who in [&developer, &app.sign_in("owner@acme.test").await] {
        assert_eq!(error_of(decide(&app, who, "published", "").await).await.0, 403);
        assert_eq!(error_of(app.rpc(who, "review_queue", &[("state", "in_review")]).await).await.0, 403);
    }
    let staff = app.sign_in(STAFF).await;
    let queue: Vec<app::domain::QueueItem> = ok_json(app.rpc(&staff, "review_queue", &[("state", "in_review")]).await).await;
    assert_eq!(queue.iter().map(|q| q.slug.as_str()).collect::<Vec<_>>(), ["invoice-robot"]);

    // A rejection needs a reason, which the developer reads.
    let (status, err) = error_of(decide(&app, &staff, "rejected", "  ").await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("reason").is_some());
    assert_eq!(decide(&app, &staff, "rejected", "Say what the plugin sends where.").await.status(), 200);
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert_eq!(plugin.state, app::domain::ReviewState::Rejected);
    assert_eq!(plugin.review_reason.as_deref(), Some("Say what the plugin sends where."));
    // Publishing needs a submission.
    assert_eq!(error_of(decide(&app, &staff, "published", "").await).await.0, 409);
    // Submitting is the developer's step: as a staff decision it is a bad field, not a conflict.
    let (status, err) = error_of(decide(&app, &staff, "submitted", "").await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("decision").is_some(), "{err:?}");

    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "First release.")]).await.status(), 200);
    assert_eq!(decide(&app, &staff, "published", "").await.status(), 200);
    assert_eq!(decide(&app, &staff, "verified", "").await.status(), 200);
    assert_eq!(error_of(decide(&app, &staff, "verified", "").await).await.0, 409, "verified already");
    // Staff find it among the published by searching (a long list is cut at one page).
    let found: Vec<app::domain::QueueItem> =
        ok_json(app.rpc(&staff, "review_queue", &[("state", "published"), ("q", "invoice robot")]).await).await;
    assert_eq!(found.iter().map(|q| q.slug.as_str()).collect::<Vec<_>>(), ["invoice-robot"]);
    let page: Vec<app::domain::QueueItem> = ok_json(app.rpc(&staff, "review_queue", &[("state", "published")]).await).await;
    assert!(!page.is_empty() && page.len() as i64 <= app::server::staff::QUEUE_PAGE);
    let (status, html) = app.get_html(&staff, "/admin?state=published&q=invoice+robot").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-queue-plugin=\"invoice-robot\""));
    let anonymous = app.client();
    let (status, html) = app.get_html(&anonymous, "/marketplace?q=invoice+robot").await;
    assert_eq!(status, 200);
    assert_eq!(crate::support::card_slugs(&html), ["invoice-robot"]);
    assert!(crate::support::card_html(&html, "invoice-robot").contains("Verified"));

    // Saving what is live starts no version; asking for more goes into the next draft
    // (version 3: the rejected version 1 was resubmitted as version 2),
    // and the live plugin stays in the marketplace as it was while staff review it.
    let mut edit = plugin_form("invoice-robot", "");
    edit.push(("slug".into(), "invoice-robot".into()));
    assert_eq!(ok_json::<Option<i64>>(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await).await, None);
    assert_eq!(app.get_html(&anonymous, "/marketplace/invoice-robot").await.0, 200);
    edit.push(("form[scopes][4]".into(), "read:users".into()));
    assert_eq!(ok_json::<Option<i64>>(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await).await, Some(3));
    assert_eq!(console_plugin(&app, &developer, "invoice-robot").await.state, app::domain::ReviewState::Published);
    assert_eq!(error_of(decide(&app, &staff, "published", "").await).await.0, 409, "nothing is in review yet");
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "Now lists your team.")]).await.status(), 200);
    let (status, html) = app.get_html(&anonymous, "/marketplace/invoice-robot").await;
    assert_eq!(status, 200, "a live plugin stays in the marketplace while its next version is in review");
    assert!(!html.contains("data-scope=\"read:users\""), "the live version's permissions until staff publish");
    assert_eq!(decide(&app, &staff, "published", "").await.status(), 200);
    let (status, html) = app.get_html(&anonymous, "/marketplace/invoice-robot").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-scope=\"read:users\"") && html.contains("Now lists your team."), "version 2 is live, with its notes");

    // Unpublishing takes it out of the marketplace, with a reason.
    assert_eq!(error_of(decide(&app, &staff, "unpublished", "").await).await.0, 422);
    assert_eq!(decide(&app, &staff, "unpublished", "Its webhook endpoint leaks tokens.").await.status(), 200);
    assert_eq!(app.get_html(&anonymous, "/marketplace/invoice-robot").await.0, 404);
    let (_, html) = app.get_html(&anonymous, "/marketplace?q=invoice+robot").await;
    assert!(crate::support::card_slugs(&html).is_empty());

    // Who did what, in order: staff see the reviewers' names, the developer sees Plugboard's.
    let reviewed: app::domain::StaffPlugin = ok_json(app.rpc(&staff, "staff_plugin", &[("slug", "invoice-robot")]).await).await;
    let history: Vec<(&str, &str)> = reviewed.decisions.iter().map(|d| (d.kind.as_str(), d.actor.as_str())).collect();
    assert_eq!(
        history,
        [
            ("submitted", "Dana Developer"),
            ("rejected", "Sam Staff"),
            ("submitted", "Dana Developer"),
            ("published", "Sam Staff"),
            ("verified", "Sam Staff"),
            ("submitted", "Dana Developer"),
            ("published", "Sam Staff"),
            ("unpublished", "Sam Staff"),
        ]
    );
    assert!(reviewed.decisions.iter().all(|d| d.at > 0));
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    let actors: Vec<&str> = plugin.decisions.iter().map(|d| d.actor.as_str()).collect();
    assert_eq!(
        actors,
        ["Dana Developer", "Plugboard review", "Dana Developer", "Plugboard review", "Plugboard review", "Dana Developer", "Plugboard review", "Plugboard review"]
    );
    let versions: Vec<Option<i64>> = plugin.decisions.iter().map(|d| d.version).collect();
    assert_eq!(versions, [Some(1), Some(1), Some(2), Some(2), None, Some(3), Some(3), None], "a rejected version is resubmitted as the next");
    assert_eq!(plugin.review_reason.as_deref(), Some("Its webhook endpoint leaks tokens."));

    // Unlisted, its installations still run the live version: staff can suspend it too,
    // and lifting the suspension does not list it again.
    let (_, html) = app.get_html(&staff, "/admin/plugins/invoice-robot").await;
    assert!(html.contains(">Suspend<"), "offered for a plugin with a published version");
    assert_eq!(decide(&app, &staff, "suspended", "Leaks tokens, we said.").await.status(), 200);
    assert!(app.get_html(&staff, "/admin/plugins/invoice-robot").await.1.contains(">Lift the suspension<"));
    assert_eq!(decide(&app, &staff, "reinstated", "").await.status(), 200);
    assert_eq!(app.get_html(&anonymous, "/marketplace/invoice-robot").await.0, 404, "still unpublished");
}

async fn rating(app: &TestApp, slug: &str) -> (f64, i64) {
    let listing = app.listing(slug).await;
    (listing.rating, listing.review_count)
}

async fn review(app: &TestApp, who: &reqwest::Client, slug: &str, stars: &str, body: &str) -> reqwest::Response {
    app.rpc(who, "save_review", &[("slug", slug), ("rating", stars), ("body", body)]).await
}

async fn reviews_are_one_per_organisation_by_its_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    // Acme has github-sync installed, not focus-timer.
    let (before, count_before) = rating(&app, "github-sync").await;
    let acme = app.tenant_of("admin@acme.test").await;
    let acme_had: Option<i64> = app.reviews_of("github-sync").await.iter().find(|r| r.tenant_id == acme).map(|r| r.rating);

    let member = app.sign_in("member@acme.test").await;
    assert_eq!(error_of(review(&app, &member, "github-sync", "1", "Nope").await).await.0, 403);
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(error_of(review(&app, &admin, "focus-timer", "5", "Never used it").await).await.0, 403);
    assert_eq!(error_of(review(&app, &admin, "github-sync", "6", "Too good").await).await.0, 422);
    assert_eq!(error_of(review(&app, &admin, "github-sync", "5", &"x".repeat(2001)).await).await.0, 422);
    assert_eq!(rating(&app, "github-sync").await, (before, count_before), "refusals change nothing");

    // The organisation's review, then the owner replaces it: one review, the mean follows.
    let script = "<script>alert('x')</script> Works with our monorepo.";
    assert_eq!(review(&app, &admin, "github-sync", "1", script).await.status(), 200);
    let owner = app.sign_in("owner@acme.test").await;
    assert_eq!(review(&app, &owner, "github-sync", "2", script).await.status(), 200);
    let others: Vec<i64> = app.reviews_of("github-sync").await.iter().filter(|r| r.tenant_id != acme).map(|r| r.rating).collect();
    let expected = (others.iter().sum::<i64>() + 2) as f64 / (others.len() + 1) as f64;
    let (mean, count) = rating(&app, "github-sync").await;
    assert_eq!(count, others.len() as i64 + 1);
    assert!((mean - expected).abs() < 1e-9, "{mean} vs {expected}");
    assert_eq!(count, count_before + i64::from(acme_had.is_none()));

    // Shown as text, never as markup.
    let (_, html) = app.get_html(&app.client(), "/marketplace/github-sync").await;
    assert!(html.contains("&lt;script&gt;alert("), "review text is escaped");
    assert!(!html.contains("<script>alert("));

    // Only the plugin's developer replies, once per review (a new reply replaces it).
    let review_id = app.reviews_of("github-sync").await.iter().find(|r| r.tenant_id == acme).expect("Acme's review").id;
    let id = review_id.to_string();
    assert_eq!(error_of(app.rpc(&owner, "reply_to_review", &[("review_id", &id), ("reply", "Thanks!")]).await).await.0, 404);
    let developer = app.sign_in(DEVELOPER).await;
    assert_eq!(error_of(app.rpc(&developer, "reply_to_review", &[("review_id", &id), ("reply", " ")]).await).await.0, 422);
    assert_eq!(app.rpc(&developer, "reply_to_review", &[("review_id", &id), ("reply", "Sorry! Fixed in 2.1.")]).await.status(), 200);
    assert_eq!(app.rpc(&developer, "reply_to_review", &[("review_id", &id), ("reply", "Fixed in 2.1.1.")]).await.status(), 200);
    let replies: Vec<Option<String>> = app.reviews_of("github-sync").await.into_iter().filter(|r| r.id == review_id).map(|r| r.reply).collect();
    assert_eq!(replies, [Some("Fixed in 2.1.1.".to_owned())]);

    // Organisations reviewing at once: the stored mean and count still match the reviews.
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN installations i ON i.tenant_id = u.tenant_id JOIN plugins p ON p.id = i.plugin_id \
         WHERE p.slug = 'github-sync' AND i.status = 'active' AND u.role = 'owner' ORDER BY u.email",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert!(owners.len() >= 2, "{owners:?}");
    let mut clients = Vec::new();
    for email in &owners {
        clients.push(app.sign_in(email).await);
    }
    for round in 0..3 {
        let stars = (round + 3).to_string();
        let sent = futures::future::join_all(clients.iter().map(|c| review(&app, c, "github-sync", &stars, "Round of reviews"))).await;
        assert!(sent.iter().all(|r| r.status() == 200));
        let (mean, count) = rating(&app, "github-sync").await;
        let reviews = app.reviews_of("github-sync").await;
        let n = reviews.len() as i64;
        let avg = reviews.iter().map(|r| r.rating).sum::<i64>() as f64 / n as f64;
        assert_eq!(count, n);
        assert!((mean - avg).abs() < 1e-9, "round {round}: stored {mean}, reviews say {avg}");
    }

    // Top rated follows the means.
    let (_, html) = app.get_html(&app.client(), "/marketplace?sort=rating").await;
    let slugs = crate::support::card_slugs(&html);
    let mut means = Vec::new();
    for slug in &slugs {
        means.push(rating(&app, slug).await.0);
    }
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "{slugs:?} {means:?}");
}

async fn deliveries_can_be_redelivered_and_a_disabled_endpoint_re_enabled(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    // The receiver fails the first attempt, answers 410 to the third, 200 otherwise.
    let receiver = Receiver::start(|n| (match n { 0 => 500, 2 => 410, _ => 200 }, std::time::Duration::ZERO)).await;
    let developer = app.sign_in(DEVELOPER).await;
    let secrets = register(&app, &developer, &receiver.url).await;
    // Its developer tries the draft in their own organisation.
    as_test_plugin(&secrets).install_and_exchange(&app, &developer, "read:projects").await;

    let policy = OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() };
    let worker = Worker::new(app.db.clone(), Arc::new(policy), app.state().vault, WorkerConfig::default());
    let now = app::server::now();
    assert_eq!(worker.deliver_due(now).await.unwrap(), 1);
    let log: DeliveryLog = ok_json(app.rpc(&developer, "plugin_deliveries", &[("slug", "invoice-robot")]).await).await;
    let delivery = &log.deliveries[0];
    assert_eq!((delivery.event_type.as_str(), delivery.status.as_str()), ("plugin.installed", "pending"));
    assert_eq!(delivery.attempts.len(), 1);
    assert_eq!(delivery.attempts[0].status_code, Some(500));
    assert_eq!(delivery.next_attempt_at, Some(now + 5), "the next retry is shown");

    // Redeliver now instead of waiting for the retry; others' consoles cannot.
    let event = delivery.event_id.to_string();
    let other = app.sign_in("owner@globex.test").await;
    app.rpc(&other, "become_developer", &[("developer_name", "Globex Labs")]).await;
    assert_eq!(error_of(app.rpc(&other, "redeliver", &[("slug", "invoice-robot"), ("event_id", &event)]).await).await.0, 404);
    // An event id that is none of this plugin's names nothing (404), unlike one being delivered (409).
    let unknown = (delivery.event_id + 1000).to_string();
    assert_eq!(error_of(app.rpc(&developer, "redeliver", &[("slug", "invoice-robot"), ("event_id", &unknown)]).await).await.0, 404);
    assert_eq!(app.rpc(&developer, "redeliver", &[("slug", "invoice-robot"), ("event_id", &event)]).await.status(), 200);
    assert_eq!(worker.deliver_due(app::server::now()).await.unwrap(), 1);
    let log: DeliveryLog = ok_json(app.rpc(&developer, "plugin_deliveries", &[("slug", "invoice-robot")]).await).await;
    assert_eq!(log.deliveries[0].status, "delivered");
    assert_eq!(log.deliveries[0].attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(), [Some(500), Some(200)]);
    // A delivered message can be sent again too (receivers deduplicate on webhook-id).
    assert_eq!(app.rpc(&developer, "redeliver", &[("slug", "invoice-robot"), ("event_id", &event)]).await.status(), 200);
    assert_eq!(worker.deliver_due(app::server::now()).await.unwrap(), 1);
    let got = receiver.wait_for(3).await;
    assert_eq!(got[0].header("webhook-id"), got[2].header("webhook-id"));

    // 410 disabled the endpoint: the console says why; redelivery waits for re-enabling.
    let log: DeliveryLog = ok_json(app.rpc(&developer, "plugin_deliveries", &[("slug", "invoice-robot")]).await).await;
    assert!(log.webhook.disabled_at.is_some());
    assert!(log.webhook.disabled_reason.as_deref().is_some_and(|r| r.contains("410")));
    let (status, err) = error_of(app.rpc(&developer, "redeliver", &[("slug", "invoice-robot"), ("event_id", &event)]).await).await;
    assert_eq!(status, 409);
    assert!(err.to_string().contains("re-enable"), "{err}");
    assert_eq!(app.rpc(&developer, "reenable_webhooks", &[("slug", "invoice-robot")]).await.status(), 200);
    assert_eq!(app.rpc(&developer, "redeliver", &[("slug", "invoice-robot"), ("event_id", &event)]).await.status(), 200);
    assert_eq!(worker.deliver_due(app::server::now()).await.unwrap(), 1);
    let log: DeliveryLog = ok_json(app.rpc(&developer, "plugin_deliveries", &[("slug", "invoice-robot")]).await).await;
    assert!(log.webhook.disabled_at.is_none());
    assert_eq!(log.deliveries[0].status, "delivered");
    assert_eq!(log.deliveries[0].attempts.len(), 4);
}

async fn statistics_count_installs_and_uninstalls_by_day(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;
    let secrets = register(&app, &developer, "").await;
    let plugin = as_test_plugin(&secrets);
    // Its developer installs the draft in their own organisation, and so does Acme after publishing.
    plugin.install_and_exchange(&app, &developer, "read:projects").await;
    assert_eq!(error_of(review(&app, &developer, "invoice-robot", "5", "Great, if I say so myself.").await).await.0, 403, "a draft");
    let staff = app.sign_in(STAFF).await;
    app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "First release.")]).await;
    assert_eq!(decide(&app, &staff, "published", "").await.status(), 200);
    assert_eq!(error_of(review(&app, &developer, "invoice-robot", "5", "Great, if I say so myself.").await).await.0, 403, "its own");
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let installation = plugin.introspect(&app, tokens["access_token"].as_str().unwrap()).await["installation_id"].to_string();
    assert_eq!(review(&app, &admin, "invoice-robot", "4", "Saves us an hour a week.").await.status(), 200);
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", &installation)]).await.status(), 200);

    let stats: InstallStats = ok_json(app.rpc(&developer, "plugin_stats", &[("slug", "invoice-robot")]).await).await;
    assert_eq!(stats.days.len(), 30);
    // Everything happened today (or, across midnight, yesterday and today).
    let recent = &stats.days[28..];
    let sum = |f: fn(&app::domain::DayStats) -> i64| recent.iter().map(f).sum::<i64>();
    assert_eq!((sum(|d| d.installs), sum(|d| d.uninstalls)), (2, 1));
    assert_eq!(stats.days.last().unwrap().rating, Some(4.0));
    assert!(stats.days[..28].iter().all(|d| d.installs == 0 && d.uninstalls == 0 && d.rating.is_none()));
    assert_eq!(stats.active_installations, 1);
    assert_eq!((stats.rating, stats.review_count), (4.0, 1));
    assert_eq!(error_of(app.rpc(&admin, "plugin_stats", &[("slug", "invoice-robot")]).await).await.0, 403);

    // The chart is the app's own SVG, one group a day.
    let (status, html) = app.get_html(&developer, "/developer/plugins/invoice-robot/stats").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"installs-chart\""));
    assert_eq!(html.matches(" class=\"day\">").count(), 30);
    let drawn: usize = ["data-installs=\"2\" data-uninstalls=\"1\"", "data-installs=\"1\" data-uninstalls=\"1\""]
        .iter()
        .map(|bar| html.matches(bar).count())
        .sum();
    assert!(drawn >= 1, "today's bar is drawn");
}

/// A tiny PNG: the signature and an IHDR chunk are what the sniffer looks at.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload_icon(app: &TestApp, who: &reqwest::Client, slug: &str, bytes: &[u8], file_name: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned());
    who.post(app.url(&format!("/developer/plugins/{slug}/icon")))
        .multipart(reqwest::multipart::Form::new().part("icon", part))
        .send()
        .await
        .expect("upload")
}

fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn developers_upload_icons_that_are_sniffed_and_served_safely(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;
    register(&app, &developer, "").await;

    // Refused uploads say why, on the console page; nothing is stored.
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let res = upload_icon(&app, &developer, "invoice-robot", svg, "icon.png").await;
    assert_eq!(location(&res), "/developer/plugins/invoice-robot?icon_error=type");
    let big = [PNG, &vec![0u8; 300 * 1024]].concat();
    let res = upload_icon(&app, &developer, "invoice-robot", &big, "big.png").await;
    assert_eq!(location(&res), "/developer/plugins/invoice-robot?icon_error=too-large");
    let (_, html) = app.get_html(&developer, "/developer/plugins/invoice-robot?icon_error=too-large").await;
    assert!(html.contains("The icon must be at most 256 KiB."));
    assert_eq!(app.get_html(&app.client(), "/icons/invoice-robot").await.0, 404);

    // Not theirs, or not signed in: nothing changes.
    let other = app.sign_in("owner@globex.test").await;
    app.rpc(&other, "become_developer", &[("developer_name", "Globex Labs")]).await;
    assert_eq!(upload_icon(&app, &other, "invoice-robot", PNG, "i.png").await.status(), 404);
    let res = upload_icon(&app, &app.client(), "invoice-robot", PNG, "i.png").await;
    assert!(location(&res).starts_with("/signin?next="));

    // A PNG is stored and served with its sniffed type, in a sandbox, at a versioned address.
    let res = upload_icon(&app, &developer, "invoice-robot", PNG, "whatever.gif").await;
    assert_eq!(location(&res), "/developer/plugins/invoice-robot");
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert!(plugin.form.icon_url.starts_with("/icons/invoice-robot?v="), "{}", plugin.form.icon_url);
    // A draft's icon is for its developer (and staff) only, like its page.
    assert_eq!(app.client().get(app.url(&plugin.form.icon_url)).send().await.unwrap().status(), 404);
    let staff = app.sign_in(STAFF).await;
    assert_eq!(staff.get(app.url(&plugin.form.icon_url)).send().await.unwrap().status(), 200);
    let served = developer.get(app.url(&plugin.form.icon_url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(served.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    // Saving the form keeps the uploaded icon; another plugin's icon address is refused.
    let mut edit = plugin_form("invoice-robot", "");
    edit.retain(|(k, _)| k != "form[icon_url]");
    edit.push(("form[icon_url]".into(), plugin.form.icon_url.clone()));
    edit.push(("slug".into(), "invoice-robot".into()));
    assert_eq!(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await.status(), 200);
    let mut stolen = plugin_form("invoice-robot", "");
    stolen.retain(|(k, _)| k != "form[icon_url]");
    stolen.push(("form[icon_url]".into(), "/icons/github-sync?v=1".into()));
    stolen.push(("slug".into(), "invoice-robot".into()));
    let (status, err) = error_of(app.rpc(&developer, "update_plugin", &as_pairs(&stolen)).await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("icon_url").is_some());

    // Published, the icon is everybody's.
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "invoice-robot"), ("release_notes", "First release.")]).await.status(), 200);
    assert_eq!(decide(&app, &staff, "published", "").await.status(), 200);
    assert_eq!(app.client().get(app.url(&plugin.form.icon_url)).send().await.unwrap().status(), 200);
}

async fn the_plugin_server_manifest_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;
    let mut form = plugin_form("invoice-robot", "");
    form.push(("form[monetized]".into(), "true".into()));
    let (status, err) = error_of(app.rpc(&developer, "create_plugin", &as_pairs(&form)).await).await;
    assert_eq!(status, 422);
    assert!(err.field_message("server_url").is_some(), "a license needs a plugin server: {err:?}");
    form.push(("form[server_url]".into(), "https://robot.example.com/app".into()));
    form.push(("form[show_authorization_button]".into(), "true".into()));
    ok_json::<ShownSecrets>(app.rpc(&developer, "create_plugin", &as_pairs(&form)).await).await;
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert_eq!(plugin.form.server_url, "https://robot.example.com/app");
    assert!(plugin.form.monetized && plugin.form.show_authorization_button);
    // Unchecked boxes send nothing: saving without them turns both off.
    let mut edit = plugin_form("invoice-robot", "");
    edit.push(("form[server_url]".into(), "https://robot.example.com/app".into()));
    edit.push(("slug".into(), "invoice-robot".into()));
    assert_eq!(app.rpc(&developer, "update_plugin", &as_pairs(&edit)).await.status(), 200);
    let plugin = console_plugin(&app, &developer, "invoice-robot").await;
    assert!(!plugin.form.monetized && !plugin.form.show_authorization_button);
}

async fn console_pages_answer_with_the_right_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in(DEVELOPER).await;
    register(&app, &developer, "").await;
    for path in ["/developer", "/developer/new", "/developer/plugins/invoice-robot", "/developer/plugins/invoice-robot/deliveries"] {
        let (status, html) = app.get_html(&developer, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("form-error"), "{path}");
    }
    assert_eq!(app.get_html(&developer, "/developer/plugins/github-sync-nope").await.0, 404);
    let (status, html) = app.get_html(&app.client(), "/developer").await;
    assert_eq!(status, 401);
    assert!(html.contains("Sign in"));
    let member = app.sign_in("member@acme.test").await;
    let (status, html) = app.get_html(&member, "/developer").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"become-developer\""));
    assert_eq!(app.get_html(&member, "/admin").await.0, 403);
    let staff = app.sign_in(STAFF).await;
    let (status, html) = app.get_html(&staff, "/admin?state=draft").await;
    assert_eq!(status, 200, "{html}");
    let (status, html) = app.get_html(&staff, "/admin/plugins/invoice-robot").await;
    assert_eq!(status, 200);
    assert!(html.contains("https://robot.example.com/oauth/callback"));
}

crate::on_both_databases!(
    developers_register_edit_and_submit_their_own_plugins,
    staff_decide_and_every_decision_is_recorded,
    reviews_are_one_per_organisation_by_its_admins,
    deliveries_can_be_redelivered_and_a_disabled_endpoint_re_enabled,
    statistics_count_installs_and_uninstalls_by_day,
    console_pages_answer_with_the_right_status,
    developers_upload_icons_that_are_sniffed_and_served_safely,
    the_plugin_server_manifest_is_kept,
);
