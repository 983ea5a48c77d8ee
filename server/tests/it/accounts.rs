use crate::support::{error_of, Backend, Options, TestApp};
use app::error::AppError;
use sqlx::Row;

async fn sign_up_creates_a_tenant_its_owner_and_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let res = app
        .rpc(&client, "sign_up", &[("organisation", "Wayne Enterprises"), ("name", "Bruce"), ("email", "Bruce@Wayne.test"), ("password", "correct horse battery")])
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").expect("session cookie").to_str().unwrap().to_owned();
    assert!(cookie.starts_with("pb_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    // The database keeps a hash of the session id, never the id itself.
    let token = cookie.trim_start_matches("pb_session=").split(';').next().unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    let row = sqlx::query("SELECT u.email, u.role, u.password_hash, t.name FROM users u JOIN tenants t ON t.id = u.tenant_id")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("email"), "bruce@wayne.test");
    assert_eq!(row.get::<String, _>("role"), "owner");
    assert_eq!(row.get::<String, _>("name"), "Wayne Enterprises");
    assert!(row.get::<String, _>("password_hash").starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    let (_, html) = app.get_html(&client, "/marketplace").await;
    assert!(html.contains("Bruce") && html.contains("Wayne Enterprises") && html.contains("Owner"), "header shows who is signed in");
}

async fn duplicate_email_is_refused_without_partial_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let tenants_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(app.db.pool()).await.unwrap();
    let client = app.client();
    let res = app
        .rpc(&client, "sign_up", &[("organisation", "Copycat"), ("name", ""), ("email", "OWNER@acme.test"), ("password", "another long password")])
        .await;
    let (status, err) = error_of(res).await;
    assert_eq!(status, 422);
    assert!(matches!(&err, AppError::Invalid { field, .. } if field == "email"), "{err:?}");
    assert!(!err.to_string().to_lowercase().contains("exists"), "does not confirm the account exists: {err}");
    let tenants_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(tenants_before, tenants_after, "the tenant insert was rolled back");
}

async fn sign_up_validates_each_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    for (org, email, password, field) in [
        ("A", "a@b.test", "long enough password", "organisation"),
        ("Acme", "not-an-email", "long enough password", "email"),
        ("Acme", "a@b.test", "short", "password"),
    ] {
        let res = app.rpc(&client, "sign_up", &[("organisation", org), ("name", ""), ("email", email), ("password", password)]).await;
        let (status, err) = error_of(res).await;
        assert_eq!(status, 422);
        assert!(matches!(&err, AppError::Invalid { field: f, .. } if f == field), "{field}: {err:?}");
    }
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(users, 0);
}

async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    let wrong = app.rpc(&client, "sign_in", &[("email", "owner@acme.test"), ("password", "not the password")]).await;
    assert!(wrong.headers().get("set-cookie").is_none());
    let wrong = error_of(wrong).await;
    let unknown = error_of(app.rpc(&client, "sign_in", &[("email", "nobody@acme.test"), ("password", "not the password")]).await).await;
    assert_eq!(wrong, (401, AppError::BadCredentials));
    assert_eq!(unknown, wrong);
    assert_eq!(AppError::BadCredentials.to_string(), "Email or password is incorrect.");
}

async fn repeated_failures_lock_the_email_for_a_while(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    for _ in 0..5 {
        let res = app.rpc(&client, "sign_in", &[("email", "admin@acme.test"), ("password", "guess guess")]).await;
        assert_eq!(res.status(), 401);
    }
    // Now even the right password is refused, with a clear message.
    let res = app.rpc(&client, "sign_in", &[("email", "admin@acme.test"), ("password", server::seed::DEMO_PASSWORD)]).await;
    assert_eq!(error_of(res).await, (429, AppError::RateLimited));
    // Other people are not locked out by it.
    let res = app.rpc(&client, "sign_in", &[("email", "member@acme.test"), ("password", server::seed::DEMO_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
}

async fn sign_in_issues_a_new_session_and_sign_out_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.sign_in("owner@acme.test").await;
    let first: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.db.pool()).await.unwrap();
    // Signing in again replaces the presented session with a fresh one.
    let res = app.rpc(&client, "sign_in", &[("email", "owner@acme.test"), ("password", server::seed::DEMO_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
    let second: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);

    let res = app.rpc(&client, "current_user", &[]).await;
    let user: Option<app::domain::SessionUser> = res.json().await.unwrap();
    assert_eq!(user.expect("signed in").email, "owner@acme.test");

    let res = app.rpc(&client, "sign_out", &[]).await;
    assert_eq!(res.status(), 200);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(sessions, 0);
    let res = app.rpc(&client, "current_user", &[]).await;
    let user: Option<app::domain::SessionUser> = res.json().await.unwrap();
    assert!(user.is_none());
}

async fn idle_sessions_expire(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.sign_in("owner@acme.test").await;
    let idle = app::server::Settings::default().session_idle_secs;
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - $1").bind(idle + 1).execute(app.db.pool()).await.unwrap();
    let user: Option<app::domain::SessionUser> = app.rpc(&client, "current_user", &[]).await.json().await.unwrap();
    assert!(user.is_none(), "an idle session no longer signs anyone in");
}

async fn users_are_created_in_named_tenants(backend: Backend) {
    use app::domain::{Email, Password, Role, TenantName};
    use app::server::accounts::{create_user_in_tenant, NewUser};
    let app = TestApp::spawn(backend).await;
    let tenant = TenantName::parse("Stark Industries").unwrap();
    let password = Password::parse_new("a long password").unwrap();
    let (e1, e2) = (Email::parse("tony@stark.test").unwrap(), Email::parse("pepper@stark.test").unwrap());
    let (t1, _) = create_user_in_tenant(&app.db, &tenant, &NewUser { email: &e1, display_name: "Tony", password: &password, role: Role::Owner }).await.unwrap();
    let (t2, _) = create_user_in_tenant(&app.db, &tenant, &NewUser { email: &e2, display_name: "", password: &password, role: Role::Admin }).await.unwrap();
    assert_eq!(t1, t2, "the second user joins the existing tenant");
    let client = app.client();
    let res = app.rpc(&client, "sign_in", &[("email", "pepper@stark.test"), ("password", "a long password")]).await;
    assert_eq!(res.status(), 200);
}

/// Before: the failure counts were read, then the password checked, then the failure
/// written, so 64 guesses at once were all checked. Now each attempt is reserved
/// before the check: at most the allowance is ever checked in a window.
async fn parallel_guesses_check_at_most_the_allowance(backend: Backend) {
    use futures::StreamExt;
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    let statuses: Vec<u16> = futures::stream::iter(0..64)
        .map(|n| {
            let client = client.clone();
            let app = &app;
            async move {
                let guess = format!("guess number {n}");
                app.rpc(&client, "sign_in", &[("email", "admin@acme.test"), ("password", &guess)]).await.status().as_u16()
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let incorrect = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(incorrect <= 5, "{incorrect} guesses were checked: {statuses:?}");
    assert_eq!(incorrect + limited, 64, "every other answer is 429: {statuses:?}");
}

async fn sign_in_from(app: &TestApp, client: &reqwest::Client, email: &str, password: &str, from: &str) -> u16 {
    let request = client
        .post(app.url("/rpc/sign_in"))
        .header("accept", "application/json")
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", password)]);
    request.send().await.unwrap().status().as_u16()
}

/// 31 wrong sign-ins from one address, at 31 different emails (30 per address allowed).
async fn guess_from(app: &TestApp, from: &str) -> Vec<u16> {
    let client = app.client();
    let mut statuses = Vec::new();
    for n in 0..31 {
        statuses.push(sign_in_from(app, &client, &format!("nobody{n}@acme.test"), "guess guess", from).await);
    }
    statuses
}

/// Behind a trusted proxy, each client is counted by its own address; without one,
/// `X-Forwarded-For` is anybody's text and changes nothing.
async fn client_addresses_come_from_trusted_proxies_only(backend: Backend) {
    let sign_in = sign_in_from;
    let proxied = TestApp::spawn_with(backend, Options { trusted_proxies: "127.0.0.1", ..Options::default() }).await;
    proxied.seed_demo().await;
    let statuses = guess_from(&proxied, "203.0.113.7").await;
    assert_eq!(statuses.last(), Some(&429), "the address is locked: {statuses:?}");
    // Another client behind the same proxy signs in.
    assert_eq!(sign_in(&proxied, &proxied.client(), "member@acme.test", server::seed::DEMO_PASSWORD, "198.51.100.1").await, 200);

    let direct = TestApp::spawn(backend).await;
    direct.seed_demo().await;
    let statuses = guess_from(&direct, "203.0.113.7").await;
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // A forged header is no way out of the socket address's count.
    assert_eq!(sign_in(&direct, &direct.client(), "member@acme.test", server::seed::DEMO_PASSWORD, "198.51.100.1").await, 429);
}

/// Sign-up was not throttled: tenants in a loop, and a probe of which emails exist.
async fn sign_up_is_throttled_per_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    // Typos cost nothing: only sign-ups whose fields are valid count.
    for _ in 0..5 {
        let res = app.rpc(&client, "sign_up", &[("organisation", "Loop"), ("name", ""), ("email", "owner@loop.test"), ("password", "short")]).await;
        assert_eq!(res.status(), 422);
    }
    let mut statuses = Vec::new();
    for n in 0..12 {
        let email = format!("owner{n}@loop.test");
        let org = format!("Loop {n}");
        let res = app.rpc(&client, "sign_up", &[("organisation", &org), ("name", ""), ("email", &email), ("password", "long enough password")]).await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[200; 10], "{statuses:?}");
    assert_eq!(&statuses[10..], &[429; 2], "{statuses:?}");
    let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(tenants, 10);
}

crate::on_both_databases!(
    parallel_guesses_check_at_most_the_allowance,
    client_addresses_come_from_trusted_proxies_only,
    sign_up_is_throttled_per_address,
    sign_up_creates_a_tenant_its_owner_and_a_session,
    duplicate_email_is_refused_without_partial_data,
    sign_up_validates_each_field,
    wrong_password_and_unknown_user_get_the_same_answer,
    repeated_failures_lock_the_email_for_a_while,
    sign_in_issues_a_new_session_and_sign_out_ends_it,
    idle_sessions_expire,
    users_are_created_in_named_tenants,
);

mod forged {
    use crate::support::{Backend, TestApp};

    async fn a_sign_in_posted_from_another_site_is_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.seed_demo().await;
        let res = app
            .client()
            .post(app.url("/rpc/sign_in"))
            .header("origin", "https://evil.example")
            .form(&[("email", "owner@acme.test"), ("password", server::seed::DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(res.headers().get("set-cookie").is_none());
        // The same form from Plugboard's own pages works.
        let res = app
            .client()
            .post(app.url("/rpc/sign_in"))
            .header("origin", app.base.clone())
            .form(&[("email", "owner@acme.test"), ("password", server::seed::DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn pages_cannot_be_framed(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.client().get(app.url("/marketplace")).send().await.unwrap();
        let policy = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(res.headers().get("x-content-type-options").unwrap(), "nosniff");
        // Scripts: our origin, and inline only with this answer's nonce, which the
        // hydration script carries.
        let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_owned();
        assert!(policy.contains("script-src 'self' 'nonce-"), "{policy}");
        assert!(policy.contains("object-src 'none'") && policy.contains("base-uri 'none'"), "{policy}");
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
        let again = app.client().get(app.url("/marketplace")).send().await.unwrap();
        assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce), "a nonce serves one answer");
    }

    crate::on_both_databases!(a_sign_in_posted_from_another_site_is_refused, pages_cannot_be_framed);
}
