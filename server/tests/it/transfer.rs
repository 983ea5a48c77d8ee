//! What goes over the wire: compressed where the client accepts it, cached as long as it
//! can be, and revalidated where it must be.

use crate::support::{Backend, TestApp};

async fn answers_are_compressed_as_the_client_accepts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let http = crate::support::http();
    for path in ["/marketplace", "/api/v1/openapi.json", "/docs/api"] {
        for (accepted, expected) in [("br, gzip", Some("br")), ("gzip", Some("gzip")), ("identity", None)] {
            let res = http.get(app.url(path)).header("accept-encoding", accepted).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let encoding = res.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(encoding.as_deref(), expected, "{path} with {accepted}");
            let body = res.bytes().await.unwrap();
            if expected.is_none() {
                assert!(body.len() > 1000, "{path}: {} bytes", body.len());
            }
        }
    }
    // Compressed is much smaller: the marketplace page, brotli against plain.
    let plain = http.get(app.url("/marketplace")).header("accept-encoding", "identity").send().await.unwrap().bytes().await.unwrap();
    let br = http.get(app.url("/marketplace")).header("accept-encoding", "br").send().await.unwrap().bytes().await.unwrap();
    assert!(br.len() * 4 < plain.len(), "brotli {} bytes, plain {}", br.len(), plain.len());
}

async fn pages_are_revalidated_and_the_openapi_document_is_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http = crate::support::http();
    let page = http.get(app.url("/marketplace")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let doc = http.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(doc.headers()["cache-control"], "public, max-age=3600");
    let etag = doc.headers()["etag"].to_str().unwrap().to_owned();
    let body: serde_json::Value = doc.json().await.unwrap();
    assert_eq!(body["openapi"], "3.1.0");
    let again = http.get(app.url("/api/v1/openapi.json")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = http.get(app.url("/api/v1/openapi.json")).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(stale.status(), 200);
}

crate::on_both_databases!(answers_are_compressed_as_the_client_accepts, pages_are_revalidated_and_the_openapi_document_is_cached);
