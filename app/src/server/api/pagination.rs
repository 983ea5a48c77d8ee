//! Cursor pagination: `?limit=` (1 to 100, default 25) and the `cursor` a page hands out
//! as `next_cursor`: the id the next page starts after, which clients pass back as it is.

use super::error::ApiError;
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

/// The OpenAPI document gives its shape as the pattern `^([1-9][0-9]{0,17})?$`: empty, or
/// an id; empty (like none) means the first page.
pub fn decode_cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Ok(None) };
    let well_formed = raw.len() <= 18 && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0');
    well_formed
        .then(|| raw.parse::<i64>().ok())
        .flatten()
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(Some("cursor".into()), "cursor is not one this API handed out"))
}

pub fn encode_cursor(after: i64) -> String {
    after.to_string()
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
