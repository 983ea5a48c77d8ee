//! The authorization server through its HTTP endpoints (DESIGN.md §4).

use crate::support::{Backend, Options, TestApp};
use crate::support::{answer, approve, authorize, query_of, PluginSpec, TestPlugin, VERIFIER};
use app::server::plugin_servers::jwt::{self, HandoverClaims};

async fn setup(backend: Backend) -> (TestApp, TestPlugin, reqwest::Client) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("task-sync").scopes("read:projects write:tasks")).await;
    let admin = app.sign_in("admin@acme.test").await;
    (app, plugin, admin)
}

fn with(params: &[(String, String)], name: &str, value: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<_> = params.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(v) = value {
        out.push((name.to_owned(), v.to_owned()));
    }
    out
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

async fn redirect_uri_must_match_exactly(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let good = plugin.authorize_params("read:projects", "xyz");
    let base = plugin.redirect_uri.clone();
    let variants = [
        format!("{base}/"),
        format!("{base}?extra=1"),
        base.replace("/oauth/callback", "/oauth/other"),
        base.replace(".example.com", ".example.com:8443"),
        base.replace("https://", "http://"),
        base.replace("https://", "https://user@"),
        base.replace("task-sync", "TASK-SYNC"),
        base.to_uppercase(),
    ];
    for bad in variants {
        let res = authorize(&app, &admin, &with(&good, "redirect_uri", Some(&bad))).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.headers().get("location").is_none(), "never a redirect for {bad}");
        assert!(res.text().await.unwrap().contains("Invalid return address"));
    }
    let res = authorize(&app, &admin, &with(&good, "redirect_uri", None)).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    let res = authorize(&app, &admin, &with(&good, "client_id", Some("pbc_nobody"))).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("Unknown plugin"));
    // The registered URI itself shows the consent screen.
    let res = authorize(&app, &admin, &good).await;
    assert_eq!(res.status(), 200);
}

async fn pkce_is_required_and_checked(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let good = plugin.authorize_params("read:projects", "st");
    // Missing challenge, plain method, missing method: back to the plugin, invalid_request.
    for params in [
        with(&good, "code_challenge", None),
        with(&good, "code_challenge_method", Some("plain")),
        with(&with(&good, "code_challenge_method", Some("plain")), "code_challenge", Some(VERIFIER)),
        with(&good, "code_challenge_method", None),
    ] {
        let res = authorize(&app, &admin, &params).await;
        assert_eq!(res.status(), 303);
        let q = query_of(res.headers()["location"].to_str().unwrap());
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["state"], "st");
    }
    // Wrong and short verifiers.
    let code = plugin.install(&app, &admin, "read:projects").await;
    let wrong = "b".repeat(43);
    let res = plugin
        .token(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &plugin.redirect_uri), ("code_verifier", &wrong)])
        .await;
    assert_eq!(error_code(res).await, (400, "invalid_grant".into()));
    let res = plugin
        .token(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &plugin.redirect_uri), ("code_verifier", "short")])
        .await;
    assert_eq!(error_code(res).await, (400, "invalid_request".into()));
    let res = plugin.token(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &plugin.redirect_uri)]).await;
    assert_eq!(error_code(res).await, (400, "invalid_request".into()), "missing verifier");
    // The right verifier still works: failed checks do not burn the code.
    assert_eq!(plugin.exchange(&app, &code).await.status(), 200);
}

async fn a_code_is_single_use_and_a_replay_revokes_the_first_tokens(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let code = plugin.install(&app, &admin, "read:projects").await;
    let res = plugin.exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let first: serde_json::Value = res.json().await.unwrap();
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 3600);
    assert_eq!(first["scope"], "read:projects");
    let access = first["access_token"].as_str().unwrap();
    assert!(access.starts_with("pba_") && first["refresh_token"].as_str().unwrap().starts_with("pbr_"));
    assert!(plugin.is_active(&app, access).await);
    assert_eq!(error_code(plugin.exchange(&app, &code).await).await, (400, "invalid_grant".into()));
    assert!(!plugin.is_active(&app, access).await, "the replay killed the first exchange's tokens");
    assert!(!plugin.is_active(&app, first["refresh_token"].as_str().unwrap()).await);
    // Only hashes are stored.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_tokens WHERE token_hash = $1")
        .bind(access)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

async fn twenty_parallel_exchanges_of_one_code_give_one_success(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let code = plugin.install(&app, &admin, "read:projects").await;
    let results = futures::future::join_all((0..20).map(|_| plugin.exchange(&app, &code))).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 1, "statuses: {:?}", results.iter().map(|r| r.status().as_u16()).collect::<Vec<_>>());
    assert!(results.iter().all(|r| r.status() == 200 || r.status() == 400));
}

async fn expired_and_misbound_codes_are_refused(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let other = app.register(PluginSpec::new("other-plugin").scopes("read:projects")).await;
    let code = plugin.install(&app, &admin, "read:projects").await;
    // Another client presenting this plugin's code.
    let res = other
        .token(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &plugin.redirect_uri), ("code_verifier", VERIFIER)])
        .await;
    assert_eq!(error_code(res).await, (400, "invalid_grant".into()));
    // Another of the plugin's own redirect URIs.
    let res = plugin
        .token(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &plugin.other_redirect_uri), ("code_verifier", VERIFIER)])
        .await;
    assert_eq!(error_code(res).await, (400, "invalid_grant".into()));
    // Five minutes later.
    sqlx::query("UPDATE oauth_codes SET expires_at = $1").bind(app::server::now() - 1).execute(app.db.pool()).await.unwrap();
    assert_eq!(error_code(plugin.exchange(&app, &code).await).await, (400, "invalid_grant".into()));
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_grant(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let first = plugin.install_and_exchange(&app, &admin, "read:projects write:tasks").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let res = plugin.refresh(&app, r1).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let second: serde_json::Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(second["scope"], "read:projects write:tasks");
    let a2 = second["access_token"].as_str().unwrap();
    assert!(plugin.is_active(&app, a2).await);
    // The old one again: somebody copied it. The whole grant dies.
    assert_eq!(error_code(plugin.refresh(&app, r1).await).await, (400, "invalid_grant".into()));
    assert!(!plugin.is_active(&app, a2).await);
    assert_eq!(error_code(plugin.refresh(&app, r2).await).await, (400, "invalid_grant".into()));
}

async fn a_parallel_refresh_race_revokes_the_grant(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let first = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let results = futures::future::join_all((0..8).map(|_| plugin.refresh(&app, r1))).await;
    let mut issued = Vec::new();
    for res in results {
        if res.status() == 200 {
            let body: serde_json::Value = res.json().await.unwrap();
            issued.push(body["access_token"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(error_code(res).await, (400, "invalid_grant".into()));
        }
    }
    assert!(issued.len() <= 1, "at most one rotation wins");
    for token in issued {
        assert!(!plugin.is_active(&app, &token).await, "the winner's tokens die with the grant");
    }
}

async fn refresh_is_bound_to_its_client_and_cannot_widen(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let other = app.register(PluginSpec::new("other-plugin").scopes("read:projects")).await;
    let first = plugin.install_and_exchange(&app, &admin, "read:projects write:tasks").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    assert_eq!(error_code(other.refresh(&app, r1).await).await, (400, "invalid_grant".into()));
    let res = plugin.token(&app, &[("grant_type", "refresh_token"), ("refresh_token", r1), ("scope", "read:projects read:users")]).await;
    assert_eq!(error_code(res).await, (400, "invalid_scope".into()));
    // Narrowing is fine, and the token carries the narrower scope.
    let res = plugin.token(&app, &[("grant_type", "refresh_token"), ("refresh_token", r1), ("scope", "read:projects")]).await;
    assert_eq!(res.status(), 200);
    let narrowed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(narrowed["scope"], "read:projects");
    let info = plugin.introspect(&app, narrowed["access_token"].as_str().unwrap()).await;
    assert_eq!(info["scope"], "read:projects");
}

async fn revocation_follows_rfc_7009(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let other = app.register(PluginSpec::new("other-plugin").scopes("read:projects")).await;
    let revoke = |p: &TestPlugin, token: String| {
        let (id, secret, url) = (p.creds.client_id.clone(), p.creds.client_secret.clone(), app.url("/oauth/revoke"));
        async move { crate::support::http().post(url).basic_auth(id, Some(secret)).form(&[("token", token)]).send().await.unwrap() }
    };
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Unknown tokens and other clients' tokens: 200, and nothing happens.
    assert_eq!(revoke(&plugin, "pba_unknown".into()).await.status(), 200);
    assert_eq!(revoke(&other, access.clone()).await.status(), 200);
    assert!(plugin.is_active(&app, &access).await);
    // Revoking the refresh token takes the access token with it.
    assert_eq!(revoke(&plugin, refresh.clone()).await.status(), 200);
    assert!(!plugin.is_active(&app, &access).await);
    assert_eq!(error_code(plugin.refresh(&app, &refresh).await).await, (400, "invalid_grant".into()));
    // An access token alone.
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(revoke(&plugin, access.clone()).await.status(), 200);
    assert!(!plugin.is_active(&app, &access).await);
    assert_eq!(plugin.refresh(&app, tokens["refresh_token"].as_str().unwrap()).await.status(), 200);
    // Without client authentication: 401.
    let res = crate::support::http().post(app.url("/oauth/revoke")).form(&[("token", "x")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn introspection_follows_rfc_7662(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let other = app.register(PluginSpec::new("other-plugin").scopes("read:projects")).await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects write:tasks").await;
    let access = tokens["access_token"].as_str().unwrap();
    let info = plugin.introspect(&app, access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["scope"], "read:projects write:tasks");
    assert_eq!(info["client_id"], plugin.creds.client_id.as_str());
    assert_eq!(info["token_type"], "access_token");
    assert!(info["exp"].as_i64().unwrap() > info["iat"].as_i64().unwrap());
    let acme = app.tenant_of("admin@acme.test").await;
    assert_eq!(info["tenant_id"], acme.get());
    // Another client cannot see it; unknown tokens are inactive, not errors.
    assert_eq!(other.introspect(&app, access).await, serde_json::json!({ "active": false }));
    assert_eq!(plugin.introspect(&app, "pba_nothing").await, serde_json::json!({ "active": false }));
    // JSON bodies and client_secret_post work as well as forms and Basic.
    let res = crate::support::http()
        .post(app.url("/oauth/introspect"))
        .json(&serde_json::json!({ "token": access, "client_id": plugin.creds.client_id, "client_secret": plugin.creds.client_secret }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["active"], true);
}

/// A token-endpoint call with HTTP Basic credentials, from `source` (behind the trusted
/// proxy at 127.0.0.1) or straight from the socket.
async fn token_call(app: &TestApp, id: &str, secret: &str, source: Option<&str>) -> reqwest::Response {
    let mut request = crate::support::http()
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "pbr_x")]);
    if let Some(source) = source {
        request = request.header("x-forwarded-for", source);
    }
    request.send().await.unwrap()
}

async fn client_authentication_failures_look_alike(backend: Backend) {
    let (app, plugin, _admin) = setup(backend).await;
    let unknown = token_call(&app, "pbc_unknown", "whatever", None).await;
    let wrong = token_call(&app, &plugin.creds.client_id, "pbs_wrong", None).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.headers()["www-authenticate"], "Basic realm=\"Plugboard\"");
    assert_eq!(unknown.text().await.unwrap(), wrong.text().await.unwrap(), "identical bodies");
}

/// Anyone can read a plugin's client id from an install link. Their failures slow them
/// down, never the plugin: credentials that verify are answered, from any source.
async fn a_strangers_failures_never_lock_out_the_right_secret(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { trusted_proxies: "127.0.0.1", ..Options::default() }).await;
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("task-sync").scopes("read:projects write:tasks")).await;
    let id = plugin.creds.client_id.as_str();
    let attacker = Some("203.0.113.7");
    let mut statuses = Vec::new();
    for _ in 0..15 {
        statuses.push(token_call(&app, id, "pbs_wrong", attacker).await.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert_eq!(&statuses[10..], &[429; 5], "the stranger is slowed down: {statuses:?}");
    let limited = token_call(&app, id, "pbs_wrong", attacker).await;
    assert!(limited.headers().get("retry-after").is_some());
    // The right secret passes authentication (and reaches the grant check: pbr_x is no
    // refresh token) from another source and from the attacker's own.
    for source in [Some("198.51.100.1"), attacker, None] {
        let (status, error) = error_code(token_call(&app, id, &plugin.creds.client_secret, source).await).await;
        assert_eq!((status, error.as_str()), (400, "invalid_grant"), "from {source:?}");
    }
    // Its installs go on too.
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    assert!(tokens["access_token"].as_str().is_some_and(|t| t.starts_with("pba_")));
}

/// Without a trusted proxy, `X-Forwarded-For` is whatever a client wrote: it changes
/// nothing, and failures count against the socket's address.
async fn a_forged_forwarded_for_does_not_escape_the_count(backend: Backend) {
    let (app, plugin, _admin) = setup(backend).await;
    let id = plugin.creds.client_id.as_str();
    let mut statuses = Vec::new();
    for n in 0..12 {
        let forged = format!("198.51.100.{n}");
        statuses.push(token_call(&app, id, "pbs_wrong", Some(&forged)).await.status().as_u16());
    }
    assert_eq!(&statuses[10..], &[429; 2], "{statuses:?}");
}

/// The per-client cap of 600 calls a minute was a ceiling on a plugin's size.
async fn seven_hundred_authenticated_calls_in_a_minute_are_answered(backend: Backend) {
    use futures::StreamExt;
    let (app, plugin, admin) = setup(backend).await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let http = crate::support::http();
    let statuses: Vec<u16> = futures::stream::iter(0..700)
        .map(|n| {
            // Revocations of tokens that do not exist (as for installations long gone),
            // and introspections of a live one.
            let form = if n % 7 == 0 { vec![("token", access.clone())] } else { vec![("token", format!("pbr_gone_{n}"))] };
            let path = if n % 7 == 0 { "/oauth/introspect" } else { "/oauth/revoke" };
            let request = http.post(app.url(path)).basic_auth(&plugin.creds.client_id, Some(&plugin.creds.client_secret)).form(&form);
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(statuses.len(), 700);
    assert!(statuses.iter().all(|s| *s == 200), "refused: {:?}", statuses.iter().filter(|s| **s != 200).count());
}

/// A grant refreshing in a tight loop waits (429 with Retry-After); what it holds stays valid.
async fn a_grant_refreshing_in_a_loop_is_limited(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let mut tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let mut limited = None;
    // The budget is 30 a minute; a minute's boundary inside the loop gives at most 60.
    for _ in 0..70 {
        let res = plugin.refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), 200);
        tokens = res.json().await.unwrap();
    }
    let limited = limited.expect("a refresh loop is limited");
    let retry_after: i64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // The refused refresh used nothing up: the grant and its latest tokens live on.
    assert!(plugin.is_active(&app, tokens["access_token"].as_str().unwrap()).await);
    assert!(plugin.is_active(&app, tokens["refresh_token"].as_str().unwrap()).await);
}

/// Errors went back to a draft's redirect URI before anyone knew it was published: any
/// developer could have Plugboard redirect anyone to an address nobody reviewed.
async fn a_drafts_redirect_uri_receives_nobody(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let bad = with(&plugin.authorize_params("read:projects", "s"), "response_type", Some("token"));
    // Published, the error goes back to the plugin (RFC 6749 §4.1.2.1): the control.
    let res = authorize(&app, &admin, &bad).await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with(&plugin.redirect_uri));

    sqlx::query("UPDATE plugins SET is_published = 0 WHERE client_id = $1")
        .bind(&plugin.creds.client_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    // Signed out: Plugboard's own sign-in page, never the plugin's address.
    let res = authorize(&app, &app.client(), &bad).await;
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(location.starts_with("/signin?"), "{} {location}", res.status());
    // Signed in (not its developer, staff included): an error page, for a bad request and
    // a good one alike.
    let staff = app.sign_in("staff@plugboard.test").await;
    for (who, browser) in [("admin", &admin), ("staff", &staff)] {
        for params in [&bad, &plugin.authorize_params("read:projects", "s")] {
            let res = authorize(&app, browser, params).await;
            assert_eq!(res.status(), 400, "{who}");
            assert!(res.headers().get("location").is_none(), "{who}");
            assert!(res.text().await.unwrap().contains("not published"), "{who}");
        }
    }
}

async fn state_comes_back_byte_identical(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let state = "a b&c=d/é%25+?#~";
    let location = approve(&app, &admin, &plugin.authorize_params("read:projects", state)).await;
    assert!(location.starts_with(&plugin.redirect_uri));
    let q = query_of(&location);
    assert_eq!(q["state"], state);
    assert_eq!(q["iss"], app.base);
    // Deny carries it too.
    let location = answer(&app, &admin, &plugin.authorize_params("read:projects", state), "deny").await;
    let q = query_of(&location);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], state);
    assert!(!q.contains_key("code"));
}

async fn the_consent_post_needs_its_token_and_our_origin(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let res = authorize(&app, &admin, &plugin.authorize_params("read:projects", "s")).await;
    assert_eq!(res.headers()["content-security-policy"].to_str().unwrap().split(';').next(), Some("frame-ancestors 'none'"));
    let html = res.text().await.unwrap();
    for part in ["Plugin task-sync", "Verified", "Acme Corp", "See your projects", ">Allow<", ">Deny<"] {
        assert!(html.contains(part), "consent page lacks {part}");
    }
    let consent = crate::support::consent_token(&html);
    // No token.
    let res = admin.post(app.url("/oauth/authorize")).header("origin", app.base.clone()).form(&[("decision", "allow")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
    // Another site posting the real token.
    let res = admin
        .post(app.url("/oauth/authorize"))
        .header("origin", "https://evil.example")
        .form(&[("consent", consent.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
    // Another user of the same tenant cannot answer this admin's screen.
    let owner = app.sign_in("owner@acme.test").await;
    let res = owner.post(app.url("/oauth/authorize")).form(&[("consent", consent.as_str()), ("decision", "allow")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // The admin can, once.
    let res = admin.post(app.url("/oauth/authorize")).form(&[("consent", consent.as_str()), ("decision", "allow")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = admin.post(app.url("/oauth/authorize")).form(&[("consent", consent.as_str()), ("decision", "allow")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

async fn only_owners_and_admins_approve(backend: Backend) {
    let (app, plugin, _admin) = setup(backend).await;
    let member = app.sign_in("member@acme.test").await;
    let res = authorize(&app, &member, &plugin.authorize_params("read:projects", "s")).await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("Only owners and admins of Acme Corp can install plugins"), "{html}");
    assert!(!html.contains("name=\"consent\""));
    // Signed out: to sign in, and back here afterwards.
    let res = authorize(&app, &app.client(), &plugin.authorize_params("read:projects", "s")).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/signin?next=%2Foauth%2Fauthorize%3F"), "{location}");
}

async fn scopes_must_be_registered(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    for scope in ["read:users", "admin:everything"] {
        let res = authorize(&app, &admin, &plugin.authorize_params(scope, "s")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "invalid_scope");
    }
    let res = authorize(&app, &admin, &with(&plugin.authorize_params("", "s"), "response_type", Some("token"))).await;
    assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "unsupported_response_type");
}

async fn tokens_are_bound_to_one_tenant(backend: Backend) {
    let (app, plugin, acme_admin) = setup(backend).await;
    let globex_owner = app.sign_in("owner@globex.test").await;
    let acme = plugin.install_and_exchange(&app, &acme_admin, "read:projects").await;
    let globex = plugin.install_and_exchange(&app, &globex_owner, "read:projects").await;
    let a = plugin.introspect(&app, acme["access_token"].as_str().unwrap()).await;
    let g = plugin.introspect(&app, globex["access_token"].as_str().unwrap()).await;
    assert_ne!(a["tenant_id"], g["tenant_id"]);
    assert_ne!(a["installation_id"], g["installation_id"]);
    // Globex uninstalling touches only Globex's tokens.
    let installation = g["installation_id"].as_i64().unwrap().to_string();
    let res = app.rpc(&globex_owner, "uninstall_plugin", &[("installation_id", installation.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert!(!plugin.is_active(&app, globex["access_token"].as_str().unwrap()).await);
    assert!(plugin.is_active(&app, acme["access_token"].as_str().unwrap()).await);
    // Acme cannot uninstall Globex's installation, nor Globex Acme's.
    let acme_installation = a["installation_id"].as_i64().unwrap().to_string();
    let res = app.rpc(&globex_owner, "uninstall_plugin", &[("installation_id", acme_installation.as_str())]).await;
    assert_eq!(res.status(), 404);
    assert!(plugin.is_active(&app, acme["access_token"].as_str().unwrap()).await);
}

async fn install_and_uninstall_change_the_installation(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let count = || async {
        app.listing("task-sync").await.install_count
    };
    let code = plugin.install(&app, &admin, "read:projects").await;
    // Consent alone: pending, not yet installed.
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(!html.contains("data-installed=\"task-sync\""));
    assert_eq!(count().await, 0);
    let tokens: serde_json::Value = plugin.exchange(&app, &code).await.json().await.unwrap();
    assert_eq!(count().await, 1);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("data-installed=\"task-sync\""), "{html}");
    assert!(html.contains("read:projects"));
    let (_, html) = app.get_html(&admin, "/marketplace?q=sync").await;
    assert!(crate::support::card_html(&html, "task-sync").contains("Installed"));
    // A member cannot uninstall; the admin can, and every token dies at once.
    let info = plugin.introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    let installation = info["installation_id"].as_i64().unwrap().to_string();
    let member = app.sign_in("member@acme.test").await;
    let res = app.rpc(&member, "uninstall_plugin", &[("installation_id", installation.as_str())]).await;
    assert_eq!(res.status(), 403);
    let res = app.rpc(&admin, "uninstall_plugin", &[("installation_id", installation.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert!(!plugin.is_active(&app, tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(error_code(plugin.refresh(&app, tokens["refresh_token"].as_str().unwrap()).await).await, (400, "invalid_grant".into()));
    assert_eq!(count().await, 0);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(!html.contains("data-installed=\"task-sync\""));
    // Reinstalling reuses the row.
    plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM installations i JOIN plugins p ON p.id = i.plugin_id WHERE p.slug = 'task-sync'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(count().await, 1);
}

async fn the_install_button_hands_over_to_the_plugin(backend: Backend) {
    let (app, plugin, admin) = setup(backend).await;
    let res = admin.get(app.url("/marketplace/task-sync/install")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&plugin.redirect_uri), "{location}");
    let q = query_of(location);
    // One signed token, nothing a forger could set alone.
    assert_eq!(q.keys().collect::<Vec<_>>(), vec!["install_token"], "{location}");
    let claims = plugin.verify_handover(&q["install_token"], &app.base);
    assert_eq!((claims.install.as_str(), claims.aud.as_str()), ("task-sync", plugin.creds.client_id.as_str()));
    assert_eq!(claims.tid, app.tenant_of("admin@acme.test").await.to_string());
    assert!(claims.exp - claims.iat <= 300 && !claims.jti.is_empty());
    // A plugin configured for another Plugboard refuses it, as it refuses a forged one.
    let secret = plugin.creds.webhook_secret.as_deref().unwrap();
    let now = app::server::now();
    let verify = |token: &str, issuer: &str| HandoverClaims::verify(secret, token, &plugin.creds.client_id, issuer, now);
    assert!(verify(&q["install_token"], "https://fake-plugboard.example").is_err());
    let forged = jwt::mint("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &claims).unwrap();
    assert!(verify(&forged, &app.base).is_err());
    let stale = HandoverClaims { iat: now - 600, exp: now - 300, ..claims.clone() };
    assert!(verify(&jwt::mint(secret, &stale).unwrap(), &app.base).is_err());
    let res = app.sign_in("member@acme.test").await.get(app.url("/marketplace/task-sync/install")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client().get(app.url("/marketplace/task-sync/install")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/signin?next=%2Fmarketplace%2Ftask-sync%2Finstall");
}

async fn metadata_lists_the_endpoints(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: serde_json::Value = crate::support::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], app.base);
    assert_eq!(doc["token_endpoint"], format!("{}/oauth/token", app.base));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert!(doc["scopes_supported"].as_array().unwrap().contains(&"write:tasks".into()));
}

/// The whole install with the `oauth2` crate as the plugin: Install click, consent,
/// code, exchange with PKCE, refresh.
async fn a_real_oauth_client_installs_and_refreshes(backend: Backend) {
    use oauth2::basic::BasicClient;
    use oauth2::{AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl};

    let (app, plugin, admin) = setup(backend).await;
    let client = BasicClient::new(ClientId::new(plugin.creds.client_id.clone()))
        .set_client_secret(ClientSecret::new(plugin.creds.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(plugin.redirect_uri.clone()).unwrap());
    let http = crate::support::http_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The admin clicks Install; Plugboard hands over to the plugin's redirect URI.
    let res = admin.get(app.url("/marketplace/task-sync/install")).send().await.unwrap();
    let handover = &query_of(res.headers()["location"].to_str().unwrap())["install_token"];
    assert_eq!(plugin.verify_handover(handover, &app.base).install, "task-sync");
    // The plugin starts the authorization with its own state and PKCE verifier.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read:projects".into()))
        .add_scope(Scope::new("write:tasks".into()))
        .set_pkce_challenge(challenge)
        .url();
    let params: Vec<(String, String)> = auth_url.query_pairs().into_owned().collect();
    let location = approve(&app, &admin, &params).await;
    let q = query_of(&location);
    assert_eq!(&q["state"], csrf.secret());
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    assert!(token.access_token().secret().starts_with("pba_"));
    assert_eq!(token.expires_in(), Some(std::time::Duration::from_secs(3600)));
    let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["read:projects", "write:tasks"]);
    let refreshed = client
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(refreshed.refresh_token().unwrap().secret(), token.refresh_token().unwrap().secret());
    assert!(plugin.is_active(&app, refreshed.access_token().secret()).await);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("data-installed=\"task-sync\""));
}

crate::on_both_databases!(
    redirect_uri_must_match_exactly,
    pkce_is_required_and_checked,
    a_code_is_single_use_and_a_replay_revokes_the_first_tokens,
    twenty_parallel_exchanges_of_one_code_give_one_success,
    expired_and_misbound_codes_are_refused,
    refresh_tokens_rotate_and_reuse_revokes_the_grant,
    a_parallel_refresh_race_revokes_the_grant,
    refresh_is_bound_to_its_client_and_cannot_widen,
    revocation_follows_rfc_7009,
    introspection_follows_rfc_7662,
    client_authentication_failures_look_alike,
    a_strangers_failures_never_lock_out_the_right_secret,
    a_forged_forwarded_for_does_not_escape_the_count,
    seven_hundred_authenticated_calls_in_a_minute_are_answered,
    a_grant_refreshing_in_a_loop_is_limited,
    a_drafts_redirect_uri_receives_nobody,
    state_comes_back_byte_identical,
    the_consent_post_needs_its_token_and_our_origin,
    only_owners_and_admins_approve,
    scopes_must_be_registered,
    tokens_are_bound_to_one_tenant,
    install_and_uninstall_change_the_installation,
    the_install_button_hands_over_to_the_plugin,
    metadata_lists_the_endpoints,
    a_real_oauth_client_installs_and_refreshes,
);
