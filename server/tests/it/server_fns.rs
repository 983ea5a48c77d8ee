//! Every registered server function, fed garbage: the caller's fault is a 4xx with the
//! one JSON error shape, never a 5xx. The list comes from server_fn's registry, so a
//! server function added later is covered without touching this test.

use crate::support::{Backend, TestApp};
use app::error::AppError;

/// Bodies a broken form, a stale page or a stranger could send, with their content type.
fn garbage() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let form = "application/x-www-form-urlencoded";
    vec![
        ("empty body", form, Vec::new()),
        ("unknown field only", form, b"zzz=1".to_vec()),
        ("wrong types", form, b"rating=abc&page=-x&id=%%&slug=&sort=sideways&category=nope&decision=maybe".to_vec()),
        ("bad UTF-8", form, vec![b'a', b'=', 0xff, 0xfe, 0xfd]),
        ("binary", form, (0u8..=255).rev().cycle().take(2048).collect()),
        ("JSON where a form is due", form, br#"{"email": 1}"#.to_vec()),
        ("nested brackets", form, b"a[b][c][d][e][f]=1&a[]=2".to_vec()),
        ("unknown content type", "application/x-unknown", b"\x00\x01".to_vec()),
    ]
}

async fn garbage_to_every_server_function_is_a_4xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let mut paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "the registry lists the server functions: {paths:?}");
    let signed_out = app.client();
    let signed_in = app.sign_in("owner@acme.test").await;
    let mut faults = Vec::new();
    for (path, method) in &paths {
        for (who, client) in [("signed out", &signed_out), ("owner", &signed_in)] {
            for (what, content_type, body) in garbage() {
                let request = match method.as_str() {
                    "GET" => client.get(app.url(&format!("{path}?{}", String::from_utf8_lossy(&body)))),
                    _ => client.post(app.url(path)).header("content-type", content_type).body(body.clone()),
                };
                let res = request.header("accept", "application/json").send().await.expect("answer");
                let status = res.status().as_u16();
                let text = res.text().await.expect("body");
                if status >= 500 {
                    faults.push(format!("{method} {path} ({who}, {what}): {status} {text}"));
                } else if status >= 400 && serde_json::from_str::<AppError>(&text).is_err() {
                    faults.push(format!("{method} {path} ({who}, {what}): {status} is not the JSON error shape: {text}"));
                }
            }
        }
    }
    assert!(faults.is_empty(), "{} answers were server faults:\n{}", faults.len(), faults.join("\n"));
}

async fn malformed_arguments_are_400_and_unknown_choices_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let client = app.client();
    // A required field missing: the request is malformed.
    let res = app.rpc(&client, "sign_in", &[("email", "owner@acme.test")]).await;
    let (status, error) = crate::support::error_of(res).await;
    assert_eq!(status, 400, "{error:?}");
    assert!(matches!(error, AppError::BadRequest(_)), "{error:?}");
    // A value outside its set: the request is readable, the value is not allowed.
    let res = app.rpc(&client, "list_plugins", &[("query[q]", ""), ("query[sort]", "sideways"), ("query[page]", "1")]).await;
    let (status, error) = crate::support::error_of(res).await;
    assert_eq!(status, 422, "{error:?}");
    assert!(error.field_message("request").is_some(), "{error:?}");
}

/// The page number a server function receives is clamped as the page's URL is: the
/// largest `u32` once overflowed the offset.
async fn a_huge_page_number_is_clamped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let res = app
        .rpc(&app.client(), "list_plugins", &[("query[q]", ""), ("query[sort]", "newest"), ("query[page]", &u32::MAX.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let page: app::domain::PluginPage = res.json().await.expect("a page");
    assert_eq!((page.query.page, page.plugins.len()), (5_000, 0));
}

crate::on_both_databases!(
    garbage_to_every_server_function_is_a_4xx,
    malformed_arguments_are_400_and_unknown_choices_422,
    a_huge_page_number_is_clamped
);
