//! The operator commands, run as the real binary against a test server's database.

use crate::support::{Backend, TestApp};

fn server_command(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "error")
        .output()
        .expect("run the server binary")
}

async fn token_status(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    crate::support::http()
        .post(app.url("/oauth/introspect"))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", "pba_anything")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn plugins_create_and_rotate_secret_print_working_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let out = server_command(
        &app,
        &[
            "plugins", "create", "--name", "Ops Plugin", "--slug", "ops-plugin", "--category", "automation",
            "--redirect-uri", "https://ops.example.com/cb", "https://ops.example.com/cb2",
            "--scope", "read:tasks", "write:tasks", "--webhook-url", "https://ops.example.com/hooks", "--publish", "--verified",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(created["slug"], "ops-plugin");
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("pbc_") && first_secret.starts_with("pbs_"));
    assert!(created["webhook_secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(token_status(&app, &client_id, &first_secret).await, 200);
    // As stored: the JSON the registry writes, and the flags.
    let (uris, published, verified): (String, i64, i64) =
        sqlx::query_as("SELECT redirect_uris, is_published, is_verified FROM plugins WHERE slug = 'ops-plugin'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(uris, r#"["https://ops.example.com/cb","https://ops.example.com/cb2"]"#);
    assert_eq!((published, verified), (1, 1));

    let out = server_command(&app, &["plugins", "rotate-secret", "--slug", "ops-plugin"]);
    assert!(out.status.success());
    let rotated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_eq!(rotated["client_id"], client_id.as_str());
    assert_eq!(token_status(&app, &client_id, &first_secret).await, 401, "the old secret stops working");
    assert_eq!(token_status(&app, &client_id, new_secret).await, 200);

    // Bad input: a clear message and a failing exit code, nothing written.
    for bad in [
        vec!["plugins", "create", "--name", "X", "--slug", "Bad Slug", "--category", "automation", "--redirect-uri", "https://x.example.com/cb"],
        vec!["plugins", "create", "--name", "X", "--slug", "x-plugin", "--category", "nope", "--redirect-uri", "https://x.example.com/cb"],
        vec!["plugins", "create", "--name", "X", "--slug", "x-plugin", "--category", "automation", "--redirect-uri", "http://x.example.com/cb"],
        vec!["plugins", "create", "--name", "X", "--slug", "x-plugin", "--category", "automation", "--redirect-uri", "https://x.example.com/cb", "--scope", "admin"],
        vec!["plugins", "create", "--name", "X", "--slug", "ops-plugin", "--category", "automation", "--redirect-uri", "https://x.example.com/cb"],
        vec!["plugins", "rotate-secret", "--slug", "no-such-plugin"],
    ] {
        let out = server_command(&app, &bad);
        assert!(!out.status.success(), "{bad:?} should fail");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plugins").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 1);
}

async fn users_create_makes_staff_and_developers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let password = server::seed::DEMO_PASSWORD;
    let out = server_command(
        &app,
        &["users", "create", "--email", "ops@plugboard.test", "--password", password, "--tenant", "Plugboard", "--staff"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(", staff"));
    let out = server_command(
        &app,
        &["users", "create", "--email", "dev@partner.test", "--password", password, "--tenant", "Partner", "--role", "owner", "--developer"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let staff = app.sign_in("ops@plugboard.test").await;
    assert_eq!(app.get_html(&staff, "/admin").await.0, 200);
    assert_eq!(app.get_html(&staff, "/developer").await.0, 200);
    let developer = app.sign_in("dev@partner.test").await;
    assert_eq!(app.get_html(&developer, "/admin").await.0, 403);
    let (status, html) = app.get_html(&developer, "/developer").await;
    assert_eq!(status, 200);
    assert!(html.contains("Register a plugin"), "a developer profile from the start");
}

crate::on_both_databases!(plugins_create_and_rotate_secret_print_working_credentials, users_create_makes_staff_and_developers);
