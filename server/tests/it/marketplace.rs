use crate::support::{card_html, card_slugs, Backend, Options, TestApp};
use app::domain::Category;

/// Adds a plugin outside the demo seed; returns nothing, the slug is the handle.
async fn add_plugin(app: &TestApp, slug: &str, name: &str, description: &str, published: bool) {
    sqlx::query(
        "INSERT INTO plugins (slug, name, description, author, category, is_published, client_id, client_secret_hash, permissions, created_at, updated_at) \
         VALUES ($1, $2, $3, 'Test Author', 'productivity', $4, $5, 'x', '[\"read:tasks\"]', 1, 1)",
    )
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(i64::from(published))
    .bind(format!("pbc_test_{slug}"))
    .execute(app.db.pool())
    .await
    .expect("insert plugin");
}

async fn grid_lists_published_plugins_most_installed_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    add_plugin(&app, "secret-draft", "Secret Draft", "Not yet reviewed.", false).await;
    let (status, html) = app.get_html(&app.client(), "/marketplace").await;
    assert_eq!(status, 200);
    let slugs = card_slugs(&html);
    assert_eq!(slugs.len(), 24, "one page of 24");
    assert_eq!(&slugs[..3], ["github-sync", "zapier-connector", "slack-bridge"]);
    assert!(!html.contains("secret-draft"), "unpublished plugins stay out");
    assert!(html.contains("1–24 of 42 plugins"), "count shown");
    let card = card_html(&html, "github-sync");
    for part in ["GitHub Sync", "by ", "Octoforge", "Developer tools", "31,200", "Verified", "★"] {
        assert!(card.contains(part), "card lacks {part}: {card}");
    }
    assert!(!card.contains("Installed"), "nobody is signed in");
}

async fn second_page_continues_the_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    let (_, first) = app.get_html(&client, "/marketplace").await;
    let (_, second) = app.get_html(&client, "/marketplace?page=2").await;
    let (a, b) = (card_slugs(&first), card_slugs(&second));
    assert_eq!(b.len(), 18);
    assert!(a.iter().all(|s| !b.contains(s)), "pages do not overlap");
    assert!(second.contains("25–42 of 42 plugins"));
    assert!(second.contains("rel=\"prev\""));
}

async fn search_matches_words_case_insensitively_through_the_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    add_plugin(&app, "asyncify", "Asyncify", "Makes things asynchronous.", true).await;
    let client = app.client();
    let (_, html) = app.get_html(&client, "/marketplace?q=GIT").await;
    let mut slugs = card_slugs(&html);
    slugs.sort();
    assert_eq!(slugs, ["github-sync", "gitlab-link"]);
    // Words in the description count, and every word must match.
    let (_, html) = app.get_html(&client, "/marketplace?q=pipeline%20branch").await;
    assert_eq!(card_slugs(&html), ["gitlab-link"]);
    // Word search: "sync" is a word of "GitHub Sync", not a substring match inside "Asyncify".
    let (_, html) = app.get_html(&client, "/marketplace?q=sync").await;
    let slugs = card_slugs(&html);
    assert!(slugs.contains(&"github-sync".to_owned()) && !slugs.contains(&"asyncify".to_owned()), "{slugs:?}");
    // The last word matches as a prefix, so results follow typing.
    let (_, html) = app.get_html(&client, "/marketplace?q=burnd").await;
    assert_eq!(card_slugs(&html), ["burndown-charts"]);
}

async fn category_filter_and_sorts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    let (_, html) = app.get_html(&client, "/marketplace?category=finance").await;
    let mut finance = card_slugs(&html);
    assert_eq!(finance.len(), 4);
    finance.sort();
    assert_eq!(finance, ["budget-tracker", "expense-capture", "quickbooks-sync", "time-billing"]);

    let (_, html) = app.get_html(&client, "/marketplace?sort=name&category=support").await;
    assert_eq!(card_slugs(&html), ["feedback-board", "intercom-inbox", "sla-monitor", "zendesk-escalations"]);

    let (_, html) = app.get_html(&client, "/marketplace?sort=newest").await;
    assert_eq!(card_slugs(&html)[0], "focus-timer", "the most recently created demo plugin");

    let ratings: Vec<f64> = sqlx::query_scalar("SELECT rating FROM plugins WHERE is_published = 1 ORDER BY rating DESC, review_count DESC, id DESC LIMIT 3")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(ratings[0] >= ratings[1] && ratings[1] >= ratings[2]);
    let expected: Vec<String> = sqlx::query_scalar("SELECT slug FROM plugins WHERE is_published = 1 ORDER BY rating DESC, review_count DESC, id DESC LIMIT 24")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let (_, html) = app.get_html(&client, "/marketplace?sort=rating").await;
    assert_eq!(card_slugs(&html), expected);
}

async fn installed_badge_marks_the_signed_in_tenants_plugins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let acme = app.sign_in("member@acme.test").await;
    let (_, html) = app.get_html(&acme, "/marketplace?category=developer-tools").await;
    assert!(card_html(&html, "github-sync").contains("badge installed"));
    assert!(!card_html(&html, "gitlab-link").contains("badge installed"));
    // Another tenant sees its own installations, not Acme's.
    let hooli = app.sign_in("owner@hooli.test").await;
    let hooli_scope = app.member_of("owner@hooli.test").await.scope();
    let installed: Vec<String> =
        app::server::store::installations::active(&app.db, &hooli_scope).await.unwrap().into_iter().map(|(i, _, _)| i.slug.as_str().to_owned()).collect();
    let (_, html) = app.get_html(&hooli, "/marketplace?category=developer-tools").await;
    for slug in card_slugs(&html) {
        assert_eq!(card_html(&html, &slug).contains("badge installed"), installed.contains(&slug), "{slug}");
    }
}

async fn odd_query_strings_give_a_page_never_a_500(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    let long = "x".repeat(20_000);
    let queries = [
        format!("q={long}"),
        "q=%22%27%3B--%20DROP%20TABLE%20plugins".to_owned(),
        "q=*".to_owned(),
        "q=NEAR(a%20b)%20OR%20%22".to_owned(),
        "q=a%3A*%20%26%20!b%20%7C".to_owned(),
        "q=%00%01%02".to_owned(),
        "q=%F0%9F%A6%80%20caf%C3%A9".to_owned(),
        "q=%FF%FE".to_owned(),
        "category=nope&sort=../../etc&page=-7".to_owned(),
        "page=99999999999999999999999".to_owned(),
        "page=3000".to_owned(),
        "category[]=finance&sort[x]=1".to_owned(),
        "q&category&sort&page".to_owned(),
        "%%%".to_owned(),
    ];
    for query in queries {
        let (status, html) = app.get_html(&client, &format!("/marketplace?{query}")).await;
        assert_eq!(status, 200, "{}", &query[..query.len().min(80)]);
        assert!(html.contains("plugin-grid") || html.contains("No plugins match"), "a grid or the empty state for {}", &query[..query.len().min(80)]);
    }
    let (_, html) = app.get_html(&client, "/marketplace?sort=sideways").await;
    assert!(html.contains("Ignored an unknown value for sort"));
    assert_eq!(card_slugs(&html)[0], "github-sync", "falls back to most installed");
}

async fn empty_state_offers_to_clear_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (status, html) = app.get_html(&app.client(), "/marketplace?q=zzzyyyxxx").await;
    assert_eq!(status, 200);
    assert!(html.contains("No plugins match") && html.contains("Clear filters"));
    assert!(card_slugs(&html).is_empty());
}

async fn detail_page_shows_description_permissions_and_reviews(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (status, html) = app.get_html(&app.client(), "/marketplace/github-sync").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h2>What it does</h2>"), "markdown rendered");
    for scope in ["read:projects", "read:tasks", "write:tasks"] {
        assert!(html.contains(&format!("data-scope=\"{scope}\"")), "{scope}");
    }
    assert!(html.contains(app::domain::Scope::WriteTasks.sentence()));
    assert!(html.contains("Octoforge"));
    let reviews = app.reviews_of("github-sync").await.len();
    assert!(reviews > 0);
    assert!(html.contains(&format!("Reviews ({reviews})")));
    assert!(html.contains("Sign in to install"), "signed-out visitors are asked to sign in");
}

async fn install_button_is_for_owners_and_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    // gitlab-link is not installed for Acme.
    let admin = app.sign_in("admin@acme.test").await;
    let (_, html) = app.get_html(&admin, "/marketplace/gitlab-link").await;
    assert!(html.contains(">Install</a>"), "admin sees Install");
    let member = app.sign_in("member@acme.test").await;
    let (_, html) = app.get_html(&member, "/marketplace/gitlab-link").await;
    assert!(!html.contains(">Install</a>"));
    assert!(html.contains("Only owners and admins"));
    let (_, html) = app.get_html(&admin, "/marketplace/github-sync").await;
    assert!(html.contains("Installed for your organisation"));
}

async fn description_markdown_is_rendered_safely(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_plugin(&app, "sneaky", "Sneaky", "Hello <script>alert('x')</script><img src=x onerror=alert(1)> [click](javascript:alert(1))", true).await;
    let (status, html) = app.get_html(&app.client(), "/marketplace/sneaky").await;
    assert_eq!(status, 200);
    let description = html.split("class=\"description\"").nth(1).expect("description").split("</section>").next().unwrap();
    assert!(!description.contains("<script"), "{description}");
    assert!(!description.contains("onerror"), "{description}");
    assert!(!description.contains("javascript:"), "{description}");
}

async fn unknown_and_unpublished_plugins_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_plugin(&app, "hidden-one", "Hidden One", "Draft.", false).await;
    for path in ["/marketplace/hidden-one", "/marketplace/no-such-plugin", "/marketplace/%F0%9F%A6%80"] {
        let (status, html) = app.get_html(&app.client(), path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Plugin not found"), "{path}");
    }
}

async fn synthetic_seed_fills_every_category(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let added = server::seed::seed_synthetic(&app.db, 1_000).await.unwrap();
    assert_eq!(added, 1_000);
    let per_category: Vec<(String, i64)> = sqlx::query_as("SELECT category, COUNT(*) FROM plugins WHERE is_published = 1 GROUP BY category")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(per_category.len(), Category::ALL.len());
    // Searching the generated words goes through the index on both engines.
    let (_, html) = app.get_html(&app.client(), "/marketplace?q=invoices").await;
    assert!(!card_slugs(&html).is_empty());
    // A second run adds more, it does not collide.
    assert_eq!(server::seed::seed_synthetic(&app.db, 10).await.unwrap(), 10);
}

/// Each instance answers from its own in-memory index; what another instance (or any
/// writer) changes in the database shows in its next answer, never a stale one.
async fn every_instance_sees_changes_made_elsewhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let other = app.another_instance(Options::default()).await;
    let client = app.client();
    let other_page = |path: &'static str| {
        let (client, base) = (client.clone(), other.base.clone());
        async move {
            let res = client.get(format!("{base}{path}")).send().await.expect("request");
            assert_eq!(res.status(), 200);
            card_slugs(&res.text().await.expect("body"))
        }
    };
    assert!(other_page("/marketplace?q=zephyr").await.is_empty(), "loaded, and nothing matches yet");

    // Published elsewhere: found at once, by a word of its description too.
    add_plugin(&app, "zephyr-notes", "Zephyr Notes", "Keeps quokka minutes.", true).await;
    assert_eq!(other_page("/marketplace?q=zephyr").await, ["zephyr-notes"]);
    assert_eq!(other_page("/marketplace?q=quok").await, ["zephyr-notes"]);

    // Installed many times elsewhere: first in the most-installed order.
    sqlx::query("UPDATE plugins SET install_count = 1000000 WHERE slug = 'zephyr-notes'").execute(app.db.pool()).await.unwrap();
    assert_eq!(other_page("/marketplace").await.first().map(String::as_str), Some("zephyr-notes"));

    // Renamed and moved: the old words and category no longer find it.
    sqlx::query("UPDATE plugins SET name = 'Aurora Notes', category = 'finance' WHERE slug = 'zephyr-notes'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(other_page("/marketplace?q=zephyr").await.is_empty());
    assert_eq!(other_page("/marketplace?q=aurora&category=finance").await, ["zephyr-notes"]);
    assert!(other_page("/marketplace?q=aurora&category=productivity").await.is_empty());

    // Unpublished by staff, or deleted: gone from every listing and count.
    sqlx::query("UPDATE plugins SET is_published = 0, review_state = 'unpublished' WHERE slug = 'zephyr-notes'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(other_page("/marketplace?q=aurora").await.is_empty());
    let res = client.get(format!("{}/marketplace", other.base)).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("of 42 plugins"), "the count left it out too");
    add_plugin(&app, "nimbus-board", "Nimbus Board", "A board.", true).await;
    assert_eq!(other_page("/marketplace?q=nimbus").await, ["nimbus-board"]);
    // Deleted, and another plugin added before the instance looks again (on SQLite it
    // takes the deleted one's id): the removal and the addition apply in their order.
    sqlx::query("DELETE FROM plugins WHERE slug = 'nimbus-board'").execute(app.db.pool()).await.unwrap();
    add_plugin(&app, "orion-board", "Orion Board", "Another board.", true).await;
    assert!(other_page("/marketplace?q=nimbus").await.is_empty());
    assert_eq!(other_page("/marketplace?q=orion").await, ["orion-board"]);
    sqlx::query("DELETE FROM plugins WHERE slug = 'orion-board'").execute(app.db.pool()).await.unwrap();
    let res = client.get(format!("{}/marketplace", other.base)).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("of 42 plugins"));
}

/// Catalog versions become visible in the order they were taken: a change waits for
/// the one before it to commit, so an instance never reads version 8 while 7 may still
/// come (it would never load 7).
async fn catalog_versions_commit_in_the_order_they_were_taken(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_plugin(&app, "first", "First", "One.", true).await;
    add_plugin(&app, "second", "Second", "Two.", true).await;
    let version = |slug: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT catalog_version FROM plugins WHERE slug = $1")
                .bind(slug)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let mut first = app.db.begin_write().await.unwrap();
    sqlx::query("UPDATE plugins SET install_count = 5 WHERE slug = 'first'").execute(&mut *first).await.unwrap();
    let db = app.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("UPDATE plugins SET install_count = 7 WHERE slug = 'second'").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the later change waits for the earlier one's commit");
    first.commit().await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), second).await.expect("then it goes on").unwrap();
    assert!(version("second").await > version("first").await);
}

/// Plugins stored before catalog versions existed (all at version 0, as migration 0009
/// leaves them) are listed by an instance that starts on that database.
async fn plugins_stored_before_catalog_versions_are_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    sqlx::query("UPDATE plugins SET catalog_version = 0").execute(app.db.pool()).await.unwrap();
    let other = app.another_instance(Options::default()).await;
    let res = app.client().get(format!("{}/marketplace", other.base)).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("1–24 of 42 plugins"), "{}", card_slugs(&html).len());
}

crate::on_both_databases!(
    plugins_stored_before_catalog_versions_are_listed,
    catalog_versions_commit_in_the_order_they_were_taken,
    every_instance_sees_changes_made_elsewhere,
    grid_lists_published_plugins_most_installed_first,
    second_page_continues_the_first,
    search_matches_words_case_insensitively_through_the_index,
    category_filter_and_sorts,
    installed_badge_marks_the_signed_in_tenants_plugins,
    odd_query_strings_give_a_page_never_a_500,
    empty_state_offers_to_clear_filters,
    detail_page_shows_description_permissions_and_reviews,
    install_button_is_for_owners_and_admins,
    description_markdown_is_rendered_safely,
    unknown_and_unpublished_plugins_are_404,
    synthetic_seed_fills_every_category,
);
