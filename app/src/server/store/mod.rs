//! The store: the application's SQL, one module per aggregate, and rows decoded once,
//! strictly, into typed records (`#[derive(sqlx::FromRow)]`): a flag that is neither 0
//! nor 1, or a name an enum does not know, is a decode error (logged by the caller,
//! answered as an internal error), never a default. Nothing else in `app` names sqlx
//! but the database setup (`server/db.rs`); the test at the end of this file checks it.
//!
//! Functions that find a tenant's data take a
//! [`TenantScope`](crate::server::scope::TenantScope) and add the tenant condition
//! themselves; the steps that end an uninstalled installation take the `Uninstalled`
//! proof of the scoped step before them, and the code exchange (a plugin with its
//! credentials and a one-time code, no person) takes the installation the code names. A developer's plugin is
//! found through a [`DeveloperScope`](crate::server::scope::DeveloperScope)
//! (`plugins::owned_by`), which gives an `OwnedPlugin` that the steps on it take; the
//! review queue's functions take a [`StaffScope`](crate::server::scope::StaffScope) as
//! proof that staff ask.
//!
//! Four statements are put together at run time: the cards of a page of ids
//! (`catalog::cards`), the staff queue's search (`plugins::queue`), the installation
//! loader (`installations::plugin_installs`) and the projects settings name
//! (`settings::existing_projects`). Each numbers its few placeholders next to
//! its binds in one function; a query builder (sea-query with its sqlx binder) was
//! weighed and not taken, as it would bring a second way of writing SQL, and a
//! dependency, for four statements.

pub mod accounts;
pub mod catalog;
pub mod connections;
pub mod consents;
pub mod developer_tokens;
pub mod grants;
pub mod icons;
pub mod installations;
pub mod invites;
pub mod jobs;
pub mod plugins;
pub mod rate_limits;
pub mod reviews;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod versions;
pub mod webhooks;
pub mod work;

use std::fmt;

/// What a store function fails with: the database's own error, logged by the caller and
/// answered as an internal error.
pub type Error = sqlx::Error;

/// A connection inside a transaction, for the steps of one that several areas share
/// (a consent records the installation and issues the code in one).
pub type Conn = sqlx::AnyConnection;

/// A write's outcome when a unique constraint may refuse it: `Ok(Err(conflict))` for that
/// refusal, an error for anything else.
fn unless_taken<T, C>(result: Result<T, Error>, conflict: C) -> Result<Result<T, C>, Error> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(e) if crate::server::db::is_unique_violation(&e) => Ok(Err(conflict)),
        Err(e) => Err(e),
    }
}

/// A stored value that does not decode: logged with the column, never shown.
pub(crate) fn decode_error(column: &'static str, raw: &str) -> Error {
    let shown: String = raw.chars().take(80).collect();
    sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(UnknownValue { what: column, value: shown }) }
}

/// A JSON array of scope names, as installations and tokens store their grant: a name
/// the code does not know, or anything but such an array, is a decode error.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScopes(pub crate::domain::ScopeSet);

impl TryFrom<String> for StoredScopes {
    type Error = UnknownValue;

    fn try_from(json: String) -> Result<Self, UnknownValue> {
        let bad = |json: &str| UnknownValue { what: "scope list", value: json.chars().take(80).collect() };
        let names: Vec<String> = serde_json::from_str(&json).map_err(|_| bad(&json))?;
        let scopes = names.iter().map(|n| crate::domain::Scope::parse(n)).collect::<Option<Vec<_>>>().ok_or_else(|| bad(&json))?;
        Ok(StoredScopes(crate::domain::ScopeSet::new(scopes)))
    }
}

/// A JSON array of data event type names a version subscribes to: anything else is a
/// decode error.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubscriptions(pub crate::domain::Subscriptions);

impl TryFrom<String> for StoredSubscriptions {
    type Error = UnknownValue;

    fn try_from(json: String) -> Result<Self, UnknownValue> {
        let bad = |json: &str| UnknownValue { what: "event type list", value: json.chars().take(80).collect() };
        let names: Vec<String> = serde_json::from_str(&json).map_err(|_| bad(&json))?;
        crate::domain::Subscriptions::parse(names.iter().map(String::as_str)).map(StoredSubscriptions).map_err(|_| bad(&json))
    }
}

/// A JSON array of redirect URIs, each one that registration accepted: anything else is
/// a decode error.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRedirectUris(pub Vec<crate::server::oauth::redirect_uri::RedirectUri>);

impl TryFrom<String> for StoredRedirectUris {
    type Error = UnknownValue;

    fn try_from(json: String) -> Result<Self, UnknownValue> {
        let bad = |raw: &str| UnknownValue { what: "redirect URI list", value: raw.chars().take(80).collect() };
        let raw: Vec<String> = serde_json::from_str(&json).map_err(|_| bad(&json))?;
        raw.iter().map(|r| crate::server::oauth::redirect_uri::RedirectUri::parse(r).map_err(|_| bad(r))).collect::<Result<_, _>>().map(StoredRedirectUris)
    }
}

/// A JSON array of the origins a client-side plugin's frame may talk to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrigins(pub Vec<String>);

impl TryFrom<String> for StoredOrigins {
    type Error = UnknownValue;

    fn try_from(json: String) -> Result<Self, UnknownValue> {
        serde_json::from_str(&json).map(StoredOrigins).map_err(|_| UnknownValue { what: "origin list", value: json.chars().take(80).collect() })
    }
}

/// A plugin's OAuth client at its own service (`oauth_config`, JSON), if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredServiceOAuth(pub Option<crate::server::plugin_servers::service_oauth::ServiceOAuth>);

impl TryFrom<Option<String>> for StoredServiceOAuth {
    type Error = UnknownValue;

    fn try_from(json: Option<String>) -> Result<Self, UnknownValue> {
        use crate::server::plugin_servers::service_oauth::ServiceOAuth;
        match json {
            None => Ok(StoredServiceOAuth(None)),
            Some(raw) => ServiceOAuth::from_json(&raw)
                .map(|o| StoredServiceOAuth(Some(o)))
                .ok_or_else(|| UnknownValue { what: "OAuth client", value: raw.chars().take(80).collect() }),
        }
    }
}

/// The key to turning a stored number into a typed id (`impl From<StoredId>` for each
/// id in `domain::ids`): only the store makes one, from a row it read, so only the store
/// turns numbers into ids.
pub struct StoredId(i64);

impl StoredId {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// The same key for an id that is text (a job's).
pub struct StoredText(String);

impl StoredText {
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Ids bind and decode as the integer (or text) they wrap, so records and statements
/// carry the typed id, never a bare number.
macro_rules! sql_id {
    ($id:ty, $raw:ty, $key:ident, |$this:ident| $bind:expr) => {
        impl sqlx::Type<sqlx::Any> for $id {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <$raw as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <$raw as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $id {
            fn encode_by_ref(&self, buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let $this = self;
                <$raw as sqlx::Encode<'q, sqlx::Any>>::encode($bind, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $id {
            fn decode(value: <sqlx::Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<$id>::from($key(<$raw as sqlx::Decode<'r, sqlx::Any>>::decode(value)?)))
            }
        }
    };
    ($($id:ty),* $(,)?) => {$(
        sql_id!($id, i64, StoredId, |id| id.get());
    )*};
}

sql_id!(crate::domain::TenantId, crate::domain::UserId, crate::domain::PluginId, crate::domain::InstallationId, crate::domain::ProjectId, crate::domain::TaskId);
sql_id!(crate::domain::JobId, String, StoredText, |id| id.as_str().to_owned());

/// A flag column: both engines store flags as the integers 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl TryFrom<i64> for Flag {
    type Error = UnknownValue;

    fn try_from(value: i64) -> Result<Self, UnknownValue> {
        match value {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            other => Err(UnknownValue { what: "flag", value: other.to_string() }),
        }
    }
}

/// A text column holding one of an enum's names.
pub trait Named: Sized {
    /// What the column holds, for the error.
    const WHAT: &'static str;
    fn from_name(name: &str) -> Option<Self>;
}

/// A named value read strictly: a name the code does not know is a decode error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known<T>(pub T);

impl<T: Named> TryFrom<String> for Known<T> {
    type Error = UnknownValue;

    fn try_from(name: String) -> Result<Self, UnknownValue> {
        T::from_name(&name).map(Known).ok_or(UnknownValue { what: T::WHAT, value: name })
    }
}

/// A nullable named value read strictly: NULL is `None`, a name the code does not know
/// is a decode error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownOpt<T>(pub Option<T>);

impl<T: Named> TryFrom<Option<String>> for KnownOpt<T> {
    type Error = UnknownValue;

    fn try_from(name: Option<String>) -> Result<Self, UnknownValue> {
        name.map(|n| Known::<T>::try_from(n).map(|k| k.0)).transpose().map(KnownOpt)
    }
}

/// A stored value the code does not know.
#[derive(Debug)]
pub struct UnknownValue {
    what: &'static str,
    value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?} in the database", self.what, self.value)
    }
}

impl std::error::Error for UnknownValue {}

/// `Named` for a domain enum that parses its own stored names (`T::parse`).
macro_rules! named_by_parse {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl Named for $ty {
            const WHAT: &'static str = $what;

            fn from_name(name: &str) -> Option<Self> {
                Self::parse(name)
            }
        }
    )*};
}

named_by_parse! {
    crate::domain::Role => "role",
    crate::domain::TaskStatus => "task status",
    crate::domain::JobStatus => "job status",
    crate::domain::ReviewState => "review state",
    crate::domain::DecisionKind => "review decision",
    crate::domain::VersionState => "version state",
    crate::domain::Category => "category",
    crate::domain::TokenFailure => "token failure",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskStatus;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn only_the_store_and_the_database_setup_name_sqlx() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 50, "the walk found the sources: {}", files.len());
        let mut offenders = Vec::new();
        for path in files {
            let name = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            if name.starts_with("server/store/") || name == "server/db.rs" {
                continue;
            }
            if std::fs::read_to_string(&path).expect("read").contains("sqlx") {
                offenders.push(name);
            }
        }
        assert!(offenders.is_empty(), "SQL belongs in server/store/; these files name sqlx: {offenders:?}");
    }

    #[test]
    fn flags_are_zero_or_one_and_nothing_else() {
        assert_eq!(Flag::try_from(0).unwrap(), Flag(false));
        assert_eq!(Flag::try_from(1).unwrap(), Flag(true));
        let err = Flag::try_from(2).unwrap_err();
        assert_eq!(err.to_string(), "unknown flag \"2\" in the database");
    }

    #[test]
    fn a_stored_grant_names_known_scopes_only() {
        let read = StoredScopes::try_from(r#"["read:projects","write:tasks"]"#.to_owned()).unwrap();
        assert_eq!(read.0.to_oauth(), "read:projects write:tasks");
        assert_eq!(StoredScopes::try_from("[]".to_owned()).unwrap().0.to_oauth(), "");
        for bad in [r#"["read:projects","admin:everything"]"#, "read:projects", r#"{"scopes":[]}"#, ""] {
            let err = StoredScopes::try_from(bad.to_owned()).unwrap_err();
            assert!(err.to_string().starts_with("unknown scope list"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_default() {
        assert_eq!(Known::<TaskStatus>::try_from("doing".to_owned()).unwrap(), Known(TaskStatus::Doing));
        let err = Known::<TaskStatus>::try_from("blocked".to_owned()).unwrap_err();
        assert_eq!(err.to_string(), "unknown task status \"blocked\" in the database");
    }
}
