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
}
