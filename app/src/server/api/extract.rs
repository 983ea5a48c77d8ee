//! Extractors whose failures are API errors with the field named, instead of axum's
//! plain-text rejections.

use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::header;
use serde::de::{self, DeserializeOwned, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// Request bodies are limited to this size.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body: `Content-Type: application/json`, at most 64 KiB, unknown fields refused
/// (by the types' `deny_unknown_fields`), wrong types named by their path.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad_request(None, "The request body could not be read.")
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let path = err.path().to_string();
            let field = (path != ".").then_some(path);
            ApiError::bad_request(field, clean(err.inner().to_string()))
        })?;
        de.end().map_err(|_| ApiError::bad_request(None, "Unexpected data after the JSON value."))?;
        Ok(Self(value))
    }
}

/// serde's messages without their " at line 1 column 12" tails.
fn clean(message: String) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}

/// A JSON value already parsed (a bridge call's `params`) as `T`, with the same errors as
/// a body: the field named, unknown fields refused.
pub(crate) fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        ApiError::bad_request((path != ".").then_some(path), clean(err.inner().to_string()))
    })
}

/// Query parameters, each named when it is wrong.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Self).map_err(|err| {
            let path = err.path().to_string();
            ApiError::bad_request((path != ".").then_some(path), clean(err.inner().to_string()))
        })
    }
}

/// An id in the path (`ProjectId`, `TaskId`); anything else is simply not found.
pub struct ApiId<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> FromRequestParts<S> for ApiId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse::<T>().map(Self).map_err(|_| ApiError::NotFound)
    }
}

/// An integer in a JSON body. JSON Schema's `integer` includes numbers written with a
/// zero fraction, such as `42.0`, which serde's `i64` refuses; this takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonInt(pub i64);

impl JsonInt {
    /// The id this integer names, read through the id's own door (`Deserialize`), as a
    /// JSON body with a plain integer would give it. Whether the tenant has such an object
    /// is the store's question.
    pub fn id<T: de::DeserializeOwned>(self) -> Option<T> {
        T::deserialize(de::value::I64Deserializer::<de::value::Error>::new(self.0)).ok()
    }
}

impl<'de> Deserialize<'de> for JsonInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntegerVisitor;
        impl Visitor<'_> for IntegerVisitor {
            type Value = JsonInt;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonInt, E> {
                Ok(JsonInt(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonInt, E> {
                i64::try_from(v).map(JsonInt).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"an integer below 2^63"))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonInt, E> {
                // 2^63 is exactly representable; anything at or past it does not fit.
                if v.fract() == 0.0 && v >= -9_223_372_036_854_775_808.0 && v < 9_223_372_036_854_775_808.0 {
                    Ok(JsonInt(v as i64))
                } else {
                    Err(E::invalid_value(Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(IntegerVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::JsonInt;

    #[test]
    fn integers_may_carry_a_zero_fraction() {
        let parse = |raw: &str| serde_json::from_str::<JsonInt>(raw).map(|i| i.0);
        assert_eq!(parse("42").unwrap(), 42);
        assert_eq!(parse("-7.0").unwrap(), -7);
        assert_eq!(parse("1e3").unwrap(), 1000);
        assert!(parse("1.5").is_err());
        assert!(parse("9223372036854775808").is_err());
        assert!(parse("1e300").is_err());
        assert!(parse("\"3\"").is_err());
    }
}
