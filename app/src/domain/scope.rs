use serde::{Deserialize, Serialize};

/// What a plugin may do with a tenant's data. `write:X` implies `read:X`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "read:projects")]
    ReadProjects,
    #[serde(rename = "write:projects")]
    WriteProjects,
    #[serde(rename = "read:tasks")]
    ReadTasks,
    #[serde(rename = "write:tasks")]
    WriteTasks,
    #[serde(rename = "read:users")]
    ReadUsers,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::ReadProjects,
        Scope::WriteProjects,
        Scope::ReadTasks,
        Scope::WriteTasks,
        Scope::ReadUsers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadProjects => "read:projects",
            Scope::WriteProjects => "write:projects",
            Scope::ReadTasks => "read:tasks",
            Scope::WriteTasks => "write:tasks",
            Scope::ReadUsers => "read:users",
        }
    }

    /// The sentence a tenant admin reads before granting the scope.
    pub fn sentence(self) -> &'static str {
        match self {
            Scope::ReadProjects => "See your projects: their names, descriptions and whether they are archived.",
            Scope::WriteProjects => "Create, rename, archive and delete your projects.",
            Scope::ReadTasks => "See the tasks in your projects: titles, status, assignees and due dates.",
            Scope::WriteTasks => "Create, edit, move and delete tasks in your projects.",
            Scope::ReadUsers => "See the names and email addresses of the people in your organisation.",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether holding `self` allows what `needed` allows.
    pub fn covers(self, needed: Scope) -> bool {
        self == needed
            || matches!(
                (self, needed),
                (Scope::WriteProjects, Scope::ReadProjects) | (Scope::WriteTasks, Scope::ReadTasks)
            )
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, kept sorted and without repeats: what a plugin asks for, what a
/// tenant granted, what a token carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut v: Vec<Scope> = scopes.into_iter().collect();
        v.sort();
        v.dedup();
        Self(v)
    }

    /// The OAuth `scope` parameter: names separated by spaces. An unknown name is an
    /// error naming it; an empty string is the empty set.
    pub fn parse_oauth(raw: &str) -> Result<Self, String> {
        raw.split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| Scope::parse(s).ok_or_else(|| format!("unknown scope {s:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// How scopes are stored: a JSON array of names (the store reads it back strictly).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_owned())
    }

    pub fn to_oauth(&self) -> String {
        self.0.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether every scope of `self` is also in `other` (as a name, not by implication:
    /// a grant is exactly what the admin saw).
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.0.contains(s))
    }

    /// Whether holding this set allows what `needed` allows (`write:X` covers `read:X`).
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.iter().any(|s| s.covers(needed))
    }

    /// The scopes of `self` that `other` lacks (by name, as [`Self::is_subset_of`]).
    pub fn without(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet::new(self.0.iter().copied().filter(|s| !other.0.contains(s)))
    }

    /// The scopes in both.
    pub fn intersect(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet::new(self.0.iter().copied().filter(|s| other.0.contains(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read_and_nothing_else() {
        assert!(Scope::WriteTasks.covers(Scope::ReadTasks));
        assert!(Scope::WriteProjects.covers(Scope::ReadProjects));
        assert!(!Scope::ReadTasks.covers(Scope::WriteTasks));
        assert!(!Scope::WriteTasks.covers(Scope::ReadProjects));
        assert!(!Scope::WriteProjects.covers(Scope::ReadUsers));
    }

    #[test]
    fn wire_names_round_trip() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn scope_sets_parse_the_oauth_form_and_compare_as_sets() {
        let asked = ScopeSet::parse_oauth("write:tasks  read:projects write:tasks").unwrap();
        assert_eq!(asked.to_oauth(), "read:projects write:tasks");
        assert_eq!(serde_json::from_str::<ScopeSet>(&asked.to_json()).unwrap(), asked);
        assert!(ScopeSet::parse_oauth("read:tasks").unwrap().is_subset_of(&ScopeSet::parse_oauth("read:tasks read:users").unwrap()));
        assert!(!ScopeSet::parse_oauth("read:tasks read:users").unwrap().is_subset_of(&ScopeSet::parse_oauth("write:tasks").unwrap()));
        assert!(asked.allows(Scope::ReadTasks));
        assert_eq!(ScopeSet::parse_oauth("read:tasks admin").unwrap_err(), "unknown scope \"admin\"");
        assert!(ScopeSet::parse_oauth("").unwrap().is_empty());
        let granted = ScopeSet::parse_oauth("read:tasks read:users").unwrap();
        let live = ScopeSet::parse_oauth("read:tasks write:tasks").unwrap();
        assert_eq!(live.without(&granted), ScopeSet::parse_oauth("write:tasks").unwrap());
        assert_eq!(granted.without(&live), ScopeSet::parse_oauth("read:users").unwrap());
        assert_eq!(granted.intersect(&live), ScopeSet::parse_oauth("read:tasks").unwrap());
    }
}
