//! The host product's data that plugins act on (DESIGN.md §2): projects and tasks.

use super::{ProjectId, TaskId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TaskStatus {
    Todo,
    Doing,
    Done,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Todo, TaskStatus::Doing, TaskStatus::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::Doing => "doing",
            TaskStatus::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Todo => "To do",
            TaskStatus::Doing => "Doing",
            TaskStatus::Done => "Done",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub archived: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Task {
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub id: TaskId,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub project_id: ProjectId,
    pub title: String,
    pub status: TaskStatus,
    /// A user of the same tenant.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub assignee_id: Option<UserId>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A project as the tenant's people see it on the Projects page: with its tasks and
/// the plugins that created or last changed it (none when a person did).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectBoard {
    pub project: Project,
    pub activity: PluginActivity,
    pub tasks: Vec<TaskCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskCard {
    pub task: Task,
    pub assignee: Option<String>,
    pub activity: PluginActivity,
}

/// Which plugins created and last changed an object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginActivity {
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

impl PluginActivity {
    /// "Added by Zapier Connector", "Changed by GitHub Sync", or both.
    pub fn summary(&self) -> Option<String> {
        match (&self.created_by, &self.updated_by) {
            (None, None) => None,
            (Some(c), None) => Some(format!("Added by {c}")),
            (None, Some(u)) => Some(format!("Changed by {u}")),
            // Creating also sets `updated_by`.
            (Some(c), Some(u)) if c == u => Some(format!("Added by {c}")),
            (Some(c), Some(u)) => Some(format!("Added by {c}, changed by {u}")),
        }
    }
}

/// The Projects page: the tenant's projects, newest first, and how many were left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOverview {
    pub boards: Vec<ProjectBoard>,
    pub more_projects: i64,
    /// Whether the reader may add and change projects and tasks (viewers may not).
    #[serde(default)]
    pub may_edit: bool,
    /// Whether the reader may delete projects (owners and admins).
    #[serde(default)]
    pub may_delete_projects: bool,
}

/// A name or title: trimmed, 1 to `max` characters, no control characters.
pub fn parse_text(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// A longer text such as a description: at most `max` characters, line breaks and tabs
/// allowed, other control characters (NUL among them, which PostgreSQL cannot store) not.
pub fn parse_long_text(raw: &str, max: usize) -> Result<String, String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters other than line breaks and tabs".into());
    }
    Ok(raw.to_owned())
}

/// A calendar date `YYYY-MM-DD` that exists (RFC 3339 `full-date`, any four-digit year).
pub fn parse_due_date(raw: &str) -> Result<String, String> {
    let bad = || format!("{raw:?} is not a date of the form YYYY-MM-DD");
    let parts: Vec<&str> = raw.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 || !raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(bad());
    }
    let (y, m, d): (u32, u32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d == 0 || d > days {
        return Err(bad());
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_texts_are_checked() {
        assert!(parse_due_date("2026-02-28").is_ok());
        assert!(parse_due_date("2024-02-29").is_ok());
        assert!(parse_due_date("0003-12-20").is_ok());
        assert!(parse_due_date("1900-02-29").is_err());
        assert!(parse_due_date("2026-02-29").is_err());
        assert!(parse_due_date("2026-13-01").is_err());
        assert!(parse_due_date("26-1-1").is_err());
        assert!(parse_due_date("2026-01-01T00:00").is_err());
        assert_eq!(parse_text("  Launch  ", 10).unwrap(), "Launch");
        assert!(parse_text("   ", 10).is_err());
        assert!(parse_text("a\u{0}b", 10).is_err());
        assert!(parse_text(&"x".repeat(11), 10).is_err());
        assert_eq!(parse_long_text("Line one\n\tLine two", 100).unwrap(), "Line one\n\tLine two");
        assert!(parse_long_text("nul \u{0} byte", 100).is_err());
        assert!(parse_long_text(&"x".repeat(101), 100).is_err());
    }
}
