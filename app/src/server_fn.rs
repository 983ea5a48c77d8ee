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
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        set_http_status(err.status_code());
    }
    result
}
