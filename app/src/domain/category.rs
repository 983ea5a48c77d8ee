use serde::{Deserialize, Serialize};

/// The fixed list of marketplace categories. The wire form (`as_str`) is what URLs,
/// the database and the API use; `label` is what people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Productivity,
    Communication,
    DeveloperTools,
    Analytics,
    Automation,
    Security,
    Finance,
    Marketing,
    Support,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Productivity,
        Category::Communication,
        Category::DeveloperTools,
        Category::Analytics,
        Category::Automation,
        Category::Security,
        Category::Finance,
        Category::Marketing,
        Category::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Productivity => "productivity",
            Category::Communication => "communication",
            Category::DeveloperTools => "developer-tools",
            Category::Analytics => "analytics",
            Category::Automation => "automation",
            Category::Security => "security",
            Category::Finance => "finance",
            Category::Marketing => "marketing",
            Category::Support => "support",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Productivity => "Productivity",
            Category::Communication => "Communication",
            Category::DeveloperTools => "Developer tools",
            Category::Analytics => "Analytics",
            Category::Automation => "Automation",
            Category::Security => "Security",
            Category::Finance => "Finance",
            Category::Marketing => "Marketing",
            Category::Support => "Support",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_round_trips_for_every_category() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(Category::parse("Productivity"), None);
    }
}
