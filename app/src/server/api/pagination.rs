//! Cursor pagination: `?limit=` (1 to 100, default 25) and the opaque `cursor` a page
//! hands out as `next_cursor`.

use super::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;

pub fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(Some("limit".into()), format!("limit must be between 1 and {MAX_LIMIT}"))),
    }
}

pub fn decode_cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Ok(None) };
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("after:").and_then(|n| n.parse::<i64>().ok()))
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(Some("cursor".into()), "cursor is not one this API handed out"))
}

pub fn encode_cursor(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{after}"))
}

/// A page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl<T> From<crate::server::work::Page<T>> for List<T> {
    fn from(page: crate::server::work::Page<T>) -> Self {
        Self { data: page.items, next_cursor: page.next_after.map(encode_cursor) }
    }
}
