//! The ids of tenant objects and of the people and plugins around them: a newtype each,
//! so that one kind cannot be passed where another is expected, with a private field, so
//! that code does not make one up from a number it holds. An id comes from a row the
//! store read (`server::store::StoredId` is the key, and only the store makes one), or
//! from a request: `Deserialize` for JSON and server-function arguments, `FromStr` for
//! the ids that paths and pages carry (installations, projects, tasks, users). A request may name any number; whether
//! the tenant has such an object is the store's question, which it answers through the
//! scope (a number no row has names nothing, as before ids were typed).

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

        #[cfg(feature = "ssr")]
        impl From<crate::server::store::StoredId> for $name {
            fn from(stored: crate::server::store::StoredId) -> Self {
                $name(stored.get())
            }
        }
    };
}

/// `FromStr` for an id that a path carries: an integer (as `i64` reads it), nothing else.
macro_rules! in_paths {
    ($($name:ident),*) => {$(
        impl std::str::FromStr for $name {
            type Err = BadId;

            fn from_str(raw: &str) -> Result<Self, BadId> {
                raw.parse::<i64>().map($name).map_err(|_| BadId)
            }
        }
    )*};
}

/// Text that is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct BadId;

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

in_paths!(InstallationId, ProjectId, TaskId, UserId);

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
    fn an_id_in_a_path_is_an_integer_and_nothing_else() {
        assert_eq!("42".parse::<TaskId>().map(TaskId::get), Ok(42));
        assert_eq!("0".parse::<ProjectId>().map(ProjectId::get), Ok(0), "no row has it; the store says so");
        for bad in ["", "4.0", "1e3", " 4", "99999999999999999999", "abc"] {
            assert_eq!(bad.parse::<TaskId>(), Err(BadId), "{bad:?}");
        }
    }

    #[test]
    fn ids_travel_as_bare_numbers() {
        let id: ProjectId = serde_json::from_str("17").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "17");
        assert_eq!(id.to_string(), "17");
        assert!(serde_json::from_str::<ProjectId>("\"17\"").is_err());
        let job: JobId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&job).unwrap(), "\"abc\"");
    }
}
