use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
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
