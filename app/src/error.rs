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
    /// The request is sound but the thing it acts on is not in a state that allows it
    /// (already submitted, being delivered right now); the message says what to do.
    #[error("{0}")]
    Conflict(String),
    #[error("Email or password is incorrect.")]
    BadCredentials,
    /// The request itself could not be read: a body that does not decode, a missing field.
    #[error("Plugboard could not read this request: {0}")]
    BadRequest(String),
    #[error("Too many attempts. Wait a few minutes and try again.")]
    RateLimited,
    /// Plugboard is at capacity for this kind of work (or it took too long); nothing was done.
    #[error("Plugboard is busy right now. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call itself failed (network, encoding); the text is safe to show.
    #[error("Could not reach Plugboard: {0}")]
    Transport(String),
}

/// The first line of a decoder's message, kept short: it is shown to the caller.
fn short(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    line.chars().take(200).collect()
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
            Self::BadRequest(_) => 400,
            Self::NotSignedIn | Self::BadCredentials => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Invalid { .. } | Self::InvalidFields(_) => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Busy => 503,
            Self::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// On the server these are calls whose arguments do not decode: a value outside its set
    /// (an unknown sort) is 422 on the `request` field, anything else malformed 400. On the
    /// client they are failures to reach the server or to read its answer.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let malformed = match &value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => Some(msg),
            ServerFnErrorErr::Deserialization(msg) | ServerFnErrorErr::Request(msg) if cfg!(feature = "ssr") => Some(msg),
            _ => None,
        };
        match malformed {
            Some(msg) if msg.contains("unknown variant") => {
                Self::invalid("request", format!("A value is not one of the allowed choices: {}", short(msg)))
            }
            Some(msg) => Self::BadRequest(short(msg)),
            None => Self::Transport(value.to_string()),
        }
    }

}
