//! Migrations on data as an earlier release stored it: the demo as commit 5553d49 seeded
//! it (at migration 0009, `tests/fixtures/demo-0009.*.sql`), with plugins in every review
//! state, migrated by the server as it starts, then used through the real server.

use crate::support::{Backend, Options, TestApp};
use server::scratch::{Engine, Scratch};
use sqlx::migrate::Migrator;
use std::borrow::Cow;

/// A scratch database at migration `upto`, holding `fixture`.
async fn stored_at(backend: Backend, upto: i64, fixture: &str) -> Scratch {
    let (engine, dir) = match backend {
        Backend::Sqlite => (Engine::Sqlite, "sqlite"),
        Backend::Postgres => (Engine::Postgres, "postgres"),
    };
    let scratch = Scratch::create(engine).await.expect("scratch database");
    let db = app::server::Db::connect(&scratch.url, 1).await.expect("connect");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(dir);
    let mut migrator = Migrator::new(path).await.expect("migrations");
    // `migrations` is sqlx's own (hidden) field: the first `upto` of them, as that release had.
    migrator.migrations = Cow::Owned(migrator.migrations.iter().filter(|m| m.version <= upto).cloned().collect());
    migrator.run(db.pool()).await.expect("migrate to the earlier release");
    sqlx::raw_sql(fixture).execute(db.pool()).await.expect("load the fixture");
    db.close().await;
    scratch
}

/// Every plugin of the demo becomes one version; each review state maps to a version's;
/// the bundles move to their content addresses; the server serves it all.
async fn versions_migration_turns_each_plugin_into_one_version(backend: Backend) {
    let fixture = match backend {
        Backend::Sqlite => include_str!("../fixtures/demo-0009.sqlite.sql"),
        Backend::Postgres => include_str!("../fixtures/demo-0009.postgres.sql"),
    };
    let scratch = stored_at(backend, 9, fixture).await;
    // The demo is all published; the other states as the console and staff left them, an
    // uploaded icon and a staff decision.
    let db = app::server::Db::connect(&scratch.url, 1).await.expect("connect");
    let icon = match backend {
        Backend::Sqlite => "INSERT INTO plugin_icons (plugin_id, content_type, bytes, updated_at) VALUES (9, 'image/png', X'89504E47', 1790000000)",
        Backend::Postgres => "INSERT INTO plugin_icons (plugin_id, content_type, bytes, updated_at) VALUES (9, 'image/png', '\\x89504E47'::bytea, 1790000000)",
    };
    for sql in [
        icon,
        "UPDATE plugins SET icon_url = '/icons/github-sync?v=1790000000' WHERE slug = 'github-sync'",
        "INSERT INTO plugin_decisions (plugin_id, actor_id, action, reason, created_at) VALUES (9, NULL, 'published', NULL, 1795000000)",
        "UPDATE plugins SET review_state = 'draft', is_published = 0 WHERE slug = 'focus-timer'",
        "UPDATE plugins SET review_state = 'in_review', is_published = 0, submitted_at = 1796000000 WHERE slug = 'daily-planner'",
        "UPDATE plugins SET review_state = 'rejected', is_published = 0, review_reason = 'Say what it sends.' WHERE slug = 'gitlab-link'",
        "UPDATE plugins SET review_state = 'unpublished', is_published = 0, review_reason = 'Gone.' WHERE slug = 'recurring-tasks'",
    ] {
        sqlx::query(sql).execute(db.pool()).await.expect("old states");
    }
    db.close().await;

    let app = TestApp::spawn_on(scratch, Options { webhook_worker: false, ..Options::default() }).await;
    let versions: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT p.slug, v.number, v.state, v.release_notes FROM plugins p JOIN plugin_versions v ON v.plugin_id = p.id ORDER BY p.id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(versions.len(), 42, "one version a plugin");
    assert!(versions.iter().all(|v| v.1 == 1));
    let state = |slug: &str| versions.iter().find(|v| v.0 == slug).map(|v| v.2.clone()).unwrap();
    assert_eq!(
        [state("focus-timer"), state("daily-planner"), state("gitlab-link"), state("recurring-tasks"), state("github-sync")],
        ["draft", "in_review", "rejected", "published", "published"]
    );
    // Every version holds what its plugin's row held.
    let differing: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM plugins p JOIN plugin_versions v ON v.plugin_id = p.id \
         WHERE p.name <> v.name OR p.description <> v.description OR p.permissions <> v.permissions OR p.category <> v.category \
            OR COALESCE(p.server_url, '') <> COALESCE(v.server_url, '') OR COALESCE(p.bundle_sha256, '') <> COALESCE(v.bundle_sha256, '') \
            OR p.client_origins <> v.client_origins",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(differing, 0);
    let (decided, decision_version): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT v.decided_at, d.version FROM plugin_versions v JOIN plugin_decisions d ON d.plugin_id = v.plugin_id WHERE v.plugin_id = 9",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((decided, decision_version), (Some(1795000000), Some(1)), "published when staff decided; the decision is version 1's");

    // The server on the migrated data: the listed plugins, their history, the frames.
    let (status, html) = app.get_html(&app.client(), "/marketplace").await;
    assert_eq!(status, 200);
    assert!(html.contains("1–24 of 38 plugins"), "the draft, in-review, rejected and unpublished ones are not listed");
    let (_, page) = app.get_html(&app.client(), "/marketplace/github-sync").await;
    assert!(page.contains("data-testid=\"releases\"") && page.contains("The version published before Plugboard kept versions."));
    let icon = app.client().get(app.url("/icons/github-sync?v=1790000000")).send().await.unwrap();
    assert_eq!(icon.status(), 200, "the uploaded icon keeps its address");
    assert_eq!(icon.bytes().await.unwrap().as_ref(), b"\x89PNG");
    let member = app.sign_in("member@acme.test").await;
    let frame = member.get(app.url("/plugins/task-counter/frame")).send().await.unwrap();
    assert_eq!(frame.status(), 200);
    let html = frame.text().await.unwrap();
    let start = html.find("/bundles/").unwrap();
    let bundle = crate::support::get(app.url(&html[start..start + 9 + 64 + 3])).await.unwrap();
    assert_eq!(bundle.status(), 200, "the bundle is at its content address");
    let staff = app.sign_in("staff@plugboard.test").await;
    let queue: Vec<app::domain::QueueItem> = app.rpc(&staff, "review_queue", &[("state", "in_review")]).await.json().await.unwrap();
    assert_eq!(queue.iter().map(|q| (q.slug.as_str(), q.version)).collect::<Vec<_>>(), [("daily-planner", Some(1))]);
    let developer = app.sign_in("developer@partners.test").await;
    let draft: app::domain::ConsolePlugin = app.rpc(&developer, "developer_plugin", &[("slug", "focus-timer")]).await.json().await.unwrap();
    assert_eq!(draft.version.map(|v| (v.number, v.state)), Some((1, app::domain::VersionState::Draft)));
    // A plugin that went back to review while published is still installed elsewhere:
    // an edit goes into a draft, and those organisations keep running what they ran.
    let mut form = app.rpc(&developer, "developer_plugin", &[("slug", "gitlab-link")]).await.json::<app::domain::ConsolePlugin>().await.unwrap().form;
    form.name = "GitLab Link Unreviewed".into();
    let mut pairs: Vec<(String, String)> = vec![("slug".into(), "gitlab-link".into())];
    for (name, value) in [("name", &form.name), ("description", &form.description), ("author", &form.author), ("category", &form.category), ("redirect_uris", &form.redirect_uris)] {
        pairs.push((format!("form[{name}]"), value.clone()));
    }
    pairs.extend(form.scopes.iter().enumerate().map(|(i, s)| (format!("form[scopes][{i}]"), s.clone())));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = app.rpc(&developer, "update_plugin", &pairs).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(saved.json::<Option<i64>>().await.unwrap(), Some(2));
    let globex = app.sign_in("owner@globex.test").await;
    let (_, installed) = app.get_html(&globex, "/installed").await;
    assert!(installed.contains(">GitLab Link<") && !installed.contains("Unreviewed"), "Globex runs what it ran");
}

crate::on_both_databases!(versions_migration_turns_each_plugin_into_one_version);
