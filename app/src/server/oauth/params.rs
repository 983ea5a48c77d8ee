//! The parameters of a token, revocation or introspection request: form-encoded
//! (the standard) or a JSON object of strings. A parameter given twice is an error
//! (RFC 6749 §3.2).

use super::error::OAuthError;
use axum::http::{header, HeaderMap};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        let mut map = HashMap::new();
        match content_type.as_str() {
            "application/x-www-form-urlencoded" | "" => {
                for (key, value) in form_urlencoded::parse(body) {
                    if map.insert(key.into_owned(), value.into_owned()).is_some() {
                        return Err(OAuthError::invalid_request("a parameter was given more than once"));
                    }
                }
            }
            "application/json" => {
                let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
                    .map_err(|_| OAuthError::invalid_request("the body is not a JSON object"))?;
                for (key, value) in object {
                    match value {
                        serde_json::Value::String(s) => {
                            map.insert(key, s);
                        }
                        serde_json::Value::Null => {}
                        _ => return Err(OAuthError::invalid_request(format!("{key} must be a string"))),
                    }
                }
            }
            _ => {
                return Err(OAuthError::invalid_request(
                    "send the parameters as application/x-www-form-urlencoded or application/json",
                ))
            }
        }
        Ok(Self(map))
    }

    /// A parameter, treating an empty value as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    }
}
