//! What every server function and every page shares about answers: the HTTP status of a
//! server-rendered response, and a server function's failure answered with its own status.
//! A leaf: it depends on nothing of the app but its error type, so pages, components and
//! the server side all use it without depending on one another.

use crate::error::AppError;

/// Sets the HTTP status of the server-rendered response (no effect in the browser).
pub fn set_http_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Gives a server function's failure its HTTP status (401, 404, 409, 422, 429…) instead of 500.
/// Not for a plain form post (JavaScript off, `Accept: text/html`): Leptos answers that with
/// a redirect back to the form's page carrying the error (`?__err=`), which a status set
/// here would turn into a page of JSON.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if !is_plain_form_post() {
            set_http_status(err.status_code());
        }
    }
    result
}

fn is_plain_form_post() -> bool {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html")))
            .unwrap_or(false)
    }
    #[cfg(not(feature = "ssr"))]
    false
}
