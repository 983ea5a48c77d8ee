//! The error every server function returns. Its `Display` is the message a person
//! reads on the page; internal causes are logged on the server and never sent.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    NotSignedIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input, with the field it concerns.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// A form with several fields that need attention, one message each.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    InvalidFields(Vec<FieldError>),
    #[error("Email or password is incorrect.")]
    BadCredentials,
    #[error("Too many attempts. Wait a few minutes and try again.")]
    RateLimited,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call itself failed (network, encoding); the text is safe to show.
    #[error("Could not reach Plugboard: {0}")]
    Transport(String),
}

/// What is wrong with one field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

impl AppError {
    /// The message for `field`, when this error names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid { field: f, message } if f == field => Some(message.clone()),
            Self::InvalidFields(errors) => errors.iter().find(|e| e.field == field).map(|e| e.message.clone()),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl AppError {
    /// The HTTP status a server function answers with when it fails with this error.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::NotSignedIn | Self::BadCredentials => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Invalid { .. } | Self::InvalidFields(_) => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::invalid("request", format!("The form was incomplete: {msg}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}
