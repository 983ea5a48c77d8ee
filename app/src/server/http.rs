//! The HTTP surface: health check, the Leptos pages and server functions, static files.
//! Each area (OAuth, the REST API, icons, plugin servers, client-side plugins) brings its own
//! `router()`, merged here.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;

/// The app's routes, generated once per process. Generating them renders the app with a
/// process-global "don't load resources" flag set, and a resource first polled by a
/// render elsewhere while it is set never resolves (leptos#4773): so it happens once,
/// before any router exists to render anything.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(crate::App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let shell_options = state.leptos_options.clone();
    let time_limit = state.settings.request_time_limit;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(super::oauth::router())
        .merge(super::api::router(state.clone()))
        .merge(super::icons::router())
        .merge(super::plugin_servers::routes::router())
        .merge(super::client_plugins::bundles::router())
        .merge(super::developer_api::router())
        .merge(super::client_plugins::frame::router())
        .nest_service("/pkg", built_assets(&state.leptos_options))
        .leptos_routes(&state, routes, move || crate::shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(crate::shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(refuse_cross_origin_posts))
        .layer(middleware::from_fn_with_state(time_limit, answer_in_time))
        .layer(middleware::from_fn_with_state(state.settings.secure_cookies, strict_transport_security))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        // A page is its signed-in person's, of this moment: revalidated on every visit.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, |response: &Response| {
            is_page(response).then(|| HeaderValue::from_static("no-cache"))
        }))
        // Compressed on the way out (brotli where the client accepts it, else gzip), unless
        // already compressed (the built assets are served precompressed). Level 4: most of
        // the gain for a small part of the time of the best levels, on every answer.
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true).quality(tower_http::CompressionLevel::Precise(4)))
        .with_state(state)
}

/// The built WASM, JavaScript and CSS (`/pkg`), served as precompressed at build time
/// (`server precompress`) when the client accepts it. With hashed file names (cargo-leptos
/// `hash-files`, as release builds have) browsers keep them for a year without asking;
/// without, they revalidate.
///
/// Except the main JS and WASM of a split build (`--split`), revalidated every time: they
/// name the split loader (`__wasm_split.<hash>.js`), and cargo-leptos 0.3.10 hashes their
/// names before it writes the loader's name into them, so a build that changes only a lazy
/// page's code serves new contents under the old names. Cached for a year, a browser's old
/// copy would ask for a loader that is gone, and no page would hydrate.
fn built_assets(options: &leptos::prelude::LeptosOptions) -> Router {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let naming = AssetNaming { hashed: options.hash_files, main: options.output_name.to_string().into() };
    Router::new().fallback_service(files).layer(middleware::from_fn_with_state(naming, asset_cache_control))
}

#[derive(Clone)]
struct AssetNaming {
    hashed: bool,
    /// The main JS's and WASM's name before the hash (`LEPTOS_OUTPUT_NAME`).
    main: std::sync::Arc<str>,
}

impl AssetNaming {
    /// Whether browsers may keep `file` (a name under `/pkg`) for a year without asking.
    fn immutable(&self, file: &str) -> bool {
        let main_module = file
            .strip_prefix(&*self.main)
            .is_some_and(|rest| rest.starts_with('.') && (rest.ends_with(".js") || rest.ends_with(".wasm")));
        self.hashed && !main_module
    }
}

async fn asset_cache_control(State(naming): State<AssetNaming>, request: Request, next: Next) -> Response {
    let file = request.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let cache = if naming.immutable(&file) { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// The Content-Security-Policy of an app page, sent from the shell as it renders: scripts
/// only from Plugboard's origin (the WASM bundle and its loader) and inline only with this
/// answer's nonce, which leptos_axum puts on the hydration script and the resource data it
/// streams; WebAssembly may compile; no plugins (`object-src`), no `<base>`, no framing.
/// Styles may be inline (`style` attributes); images may come from https (linked icons).
/// Live reload (`cargo leptos watch`, debug builds) needs its websocket.
pub fn send_page_security_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    let live_reload = if cfg!(debug_assertions) { " ws: wss:" } else { "" };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' https: data:; connect-src 'self'{live_reload}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The page's one script (`client.js`), in place of Leptos' `HydrationScripts`: once the
/// browser is idle it fetches the JavaScript and the WASM and hydrates the page's islands,
/// then moves between pages without a page load. It adds none of the preload links
/// `HydrationScripts` puts first in the head: the server-rendered page works before
/// hydration, so the first paint never waits for, or shares a phone's bandwidth with, the
/// WASM. It carries this answer's nonce (the CSP admits no other inline script).
pub fn page_script(options: &leptos::prelude::LeptosOptions) -> impl leptos::prelude::IntoView {
    use leptos::prelude::*;
    // Islands mode: only what renders inside an island is hydrated, so only its resources
    // are serialized into the page (what `HydrationScripts islands=true` would set).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let (js, wasm) = built_names(options);
    let pkg = &options.site_pkg_dir;
    let script = include_str!("client.js")
        .replace("__JS__", &format!("{:?}", format!("/{pkg}/{js}.js")))
        .replace("__WASM__", &format!("{:?}", format!("/{pkg}/{wasm}.wasm")));
    view! { <script type="module" data-page-script nonce=leptos::nonce::use_nonce()>{script}</script> }
}

/// The built JavaScript's and WASM's names (without extension), as Leptos finds them: by
/// `hash.txt` beside the binary when names are hashed, else the output name (the WASM
/// `_bg` only when no LEPTOS_OUTPUT_NAME was set at compile time).
fn built_names(options: &leptos::prelude::LeptosOptions) -> (String, String) {
    let (mut js, mut wasm) = (options.output_name.to_string(), options.output_name.to_string());
    if options.hash_files {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        for (kind, hash) in hashes.lines().filter_map(|line| line.split_once(':')) {
            match kind.trim() {
                "js" => js = format!("{js}.{}", hash.trim()),
                "wasm" => wasm = format!("{wasm}.{}", hash.trim()),
                _ => {}
            }
        }
    } else if option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        wasm.push_str("_bg");
    }
    (js, wasm)
}

/// Served over https (`PLUGBOARD_SECURE_COOKIES=1`, implied by production): browsers are
/// told to come back over https only, for a year.
async fn strict_transport_security(State(https): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if https {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Every request is answered within `limit`: a page or server function that has not
/// finished by then (a stalled render, a database that does not answer) gets a 503
/// and is logged with its path, never left hanging. Pages and server-function answers
/// are read to the end within the limit too, so a body that stalls midway is caught
/// before its first byte leaves (pages render whole before sending anyway).
async fn answer_in_time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let deadline = tokio::time::Instant::now() + limit;
    let response = match tokio::time::timeout_at(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => return too_slow(&path, limit),
    };
    if !(is_page(&response) || path.starts_with("/rpc/")) {
        return response;
    }
    let (parts, body) = response.into_parts();
    match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, usize::MAX)).await {
        Ok(Ok(bytes)) => Response::from_parts(parts, axum::body::Body::from(bytes)),
        Ok(Err(error)) => {
            tracing::error!(%path, %error, "the answer's body failed midway");
            unavailable(&path)
        }
        Err(_) => too_slow(&path, limit),
    }
}

fn is_page(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

fn too_slow(path: &str, limit: Duration) -> Response {
    tracing::error!(%path, limit_secs = limit.as_secs_f64(), "no answer within the time limit: answered 503");
    unavailable(path)
}

fn unavailable(path: &str) -> Response {
    let mut response = if path.starts_with("/rpc/") {
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(crate::error::AppError::Busy)).into_response()
    } else {
        super::oauth::pages::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "This page took too long",
            "Plugboard could not finish this page in time. Please try again in a moment.",
        )
    };
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// A server function whose arguments do not decode fails before its body runs, and
/// server_fn answers every such failure 500. The error in the body knows its status
/// (`AppError::status_code`), so it is set here, in one place, for every server function.
async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/rpc/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(crate::error::AppError::Internal)).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Browsers send `Origin` with every POST; one from another site is a forged form
/// (sign someone into the attacker's account, say), so it is refused before any
/// server function runs. Requests without `Origin` (scripts, curl) carry no cookies
/// of a victim and pass.
async fn refuse_cross_origin_posts(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(request.headers()) {
        return (StatusCode::FORBIDDEN, "cross-origin form posts are refused").into_response();
    }
    next.run(request).await
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn only_assets_named_by_their_whole_contents_are_kept_for_a_year() {
        let hashed = AssetNaming { hashed: true, main: "plugboard".into() };
        for file in ["plugboard.ZDsg8MnCJyiZxoiUykj-3A.css", "__wasm_split.xSU9OWEAWnx0mvormVHFzg.js", "chunk_14.qHQOTxTkhbOouPWv0Yh_nA.wasm"] {
            assert!(hashed.immutable(file), "{file}");
        }
        // The main JS and WASM name the split loader after their names were hashed.
        for file in ["plugboard.W70IYtg2isxO_5rhrJQEjg.js", "plugboard.MNNH_W-FH3oQwMAojk6CZw.wasm"] {
            assert!(!hashed.immutable(file), "{file}");
        }
        let plain = AssetNaming { hashed: false, main: "plugboard".into() };
        assert!(!plain.immutable("plugboard.css") && !plain.immutable("chunk_14.wasm"));
    }

    #[test]
    fn origin_must_match_the_host() {
        assert!(same_origin(&headers(None, "127.0.0.1:3000")));
        assert!(same_origin(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000")));
        assert!(!same_origin(&headers(Some("https://evil.example"), "127.0.0.1:3000")));
        assert!(!same_origin(&headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000")));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:3000")));
    }
}
