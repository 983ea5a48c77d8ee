//! The ids of tenant objects and of the people and plugins around them: a newtype each,
//! so that one kind cannot be passed where another is expected, with a private field, so
//! that code cannot invent one from a number. An id comes into being in three ways only:
//! read from a row by the store (`server::store::StoredId` is the key, and only the store
//! makes one), parsed from a request (`Deserialize` for JSON and server-function
//! arguments, `FromStr` for a path segment), or in a test through the same two doors.
//! Parsing an id proves nothing about whose it is: the store functions that take one also
//! take the scope, and add its condition themselves.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The number, as URLs, JSON and SQL carry it.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        /// A path segment or form value: a positive integer, nothing else.
        impl std::str::FromStr for $name {
            type Err = BadId;

            fn from_str(raw: &str) -> Result<Self, BadId> {
                positive(raw).map($name)
            }
        }

        #[cfg(feature = "ssr")]
        impl From<crate::server::store::StoredId> for $name {
            fn from(stored: crate::server::store::StoredId) -> Self {
                $name(stored.get())
            }
        }
    };
}

/// Text that is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct BadId;

fn positive(raw: &str) -> Result<i64, BadId> {
    // Digits only: `i64::from_str` would also take "+7".
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadId);
    }
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(BadId)
}

id_type!(
    /// One customer organisation; every row of tenant data carries it.
    TenantId
);
id_type!(
    /// A person who signs in.
    UserId
);
id_type!(
    /// A plugin in the registry.
    PluginId
);
id_type!(
    /// One plugin installed in one tenant (unique per pair).
    InstallationId
);
id_type!(
    /// A tenant's project.
    ProjectId
);
id_type!(
    /// A task in one of a tenant's projects.
    TaskId
);

/// A run of a plugin on a task: random text that Plugboard makes and sends the plugin,
/// which answers with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "ssr")]
impl JobId {
    /// A new job's id: `job_` and random bits.
    pub fn generate() -> Self {
        JobId(crate::server::secrets::random_token("job_"))
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::store::StoredText> for JobId {
    fn from(stored: crate::server::store::StoredText) -> Self {
        JobId(stored.into_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_in_a_path_is_a_positive_integer_and_nothing_else() {
        assert_eq!("42".parse::<TaskId>().map(TaskId::get), Ok(42));
        for bad in ["", "0", "-1", "+7", "4.0", "1e3", " 4", "99999999999999999999", "abc"] {
            assert_eq!(bad.parse::<TaskId>(), Err(BadId), "{bad:?}");
        }
    }

    #[test]
    fn ids_travel_as_bare_numbers() {
        let id: ProjectId = serde_json::from_str("17").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "17");
        assert_eq!(id.to_string(), "17");
        let job: JobId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&job).unwrap(), "\"abc\"");
    }
}
