//! Publishing: what the developer console, the staff review queue and reviews share
//! between the server and the browser.

use super::{Category, Scope};
use serde::{Deserialize, Serialize};

/// Where a plugin stands on its way to the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Draft,
    InReview,
    Published,
    Rejected,
    Unpublished,
}

impl ReviewState {
    pub const ALL: [ReviewState; 5] =
        [ReviewState::Draft, ReviewState::InReview, ReviewState::Published, ReviewState::Rejected, ReviewState::Unpublished];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::InReview => "in_review",
            ReviewState::Published => "published",
            ReviewState::Rejected => "rejected",
            ReviewState::Unpublished => "unpublished",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Draft => "Draft",
            ReviewState::InReview => "In review",
            ReviewState::Published => "Published",
            ReviewState::Rejected => "Rejected",
            ReviewState::Unpublished => "Unpublished",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The developer may (re)submit from here.
    pub fn can_submit(self) -> bool {
        matches!(self, ReviewState::Draft | ReviewState::Rejected | ReviewState::Unpublished)
    }
}

/// A staff decision, as recorded and as the queue's buttons name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Submitted,
    Published,
    Rejected,
    Verified,
    Unverified,
    Unpublished,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 6] = [
        DecisionKind::Submitted,
        DecisionKind::Published,
        DecisionKind::Rejected,
        DecisionKind::Verified,
        DecisionKind::Unverified,
        DecisionKind::Unpublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Submitted => "submitted",
            DecisionKind::Published => "published",
            DecisionKind::Rejected => "rejected",
            DecisionKind::Verified => "verified",
            DecisionKind::Unverified => "unverified",
            DecisionKind::Unpublished => "unpublished",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    /// The decisions that need a reason the developer will read.
    pub fn needs_reason(self) -> bool {
        matches!(self, DecisionKind::Rejected | DecisionKind::Unpublished)
    }
}

/// One recorded decision: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    pub actor: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// The plugin form as typed: every field a string, checked on the server, which
/// answers with one message per field that needs attention.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginForm {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub author_url: String,
    #[serde(default)]
    pub icon_url: String,
    #[serde(default)]
    pub category: String,
    /// Checked scopes, by name.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// One redirect URI per line.
    #[serde(default)]
    pub redirect_uris: String,
    #[serde(default)]
    pub webhook_url: String,
    /// The plugin server Plugboard calls (DESIGN.md §6); optional.
    #[serde(default)]
    pub server_url: String,
    /// Show Connect/Logout on the installed plugin (the plugin server answers `checkAuth`).
    #[serde(default)]
    pub show_authorization_button: bool,
    /// A paid plugin: its server reports license status.
    #[serde(default)]
    pub monetized: bool,
    /// The plugin server processes content: a Run action on tasks.
    #[serde(default)]
    pub processes_content: bool,
    /// Plugboard as the OAuth client of the plugin's own service (all empty: none).
    #[serde(default)]
    pub oauth_authorization_url: String,
    #[serde(default)]
    pub oauth_token_url: String,
    #[serde(default)]
    pub oauth_client_id: String,
    /// Write-only: empty on an edit keeps the stored secret.
    #[serde(default)]
    pub oauth_client_secret: String,
    /// Space-separated.
    #[serde(default)]
    pub oauth_scopes: String,
    /// Network origins the client-side code may reach, one per line.
    #[serde(default)]
    pub client_origins: String,
}

/// The console's front page: the developer profile and its plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeveloperOverview {
    pub is_developer: bool,
    /// The public name plugins are published under (the default author).
    pub developer_name: String,
    pub plugins: Vec<DeveloperPlugin>,
}

/// One line of a developer's plugin list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeveloperPlugin {
    pub slug: String,
    pub name: String,
    pub icon_url: Option<String>,
    pub state: ReviewState,
    pub is_verified: bool,
    pub active_installs: i64,
    pub rating: f64,
    pub review_count: i64,
    pub updated_at: i64,
}

/// What the console shows of one of the developer's plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsolePlugin {
    pub form: PluginForm,
    pub client_id: String,
    pub state: ReviewState,
    /// Why it was last rejected or unpublished.
    pub review_reason: Option<String>,
    pub is_verified: bool,
    pub webhook: WebhookEndpoint,
    pub decisions: Vec<Decision>,
    /// Whether a client secret for the plugin's service is stored (it is never shown).
    pub oauth_client_secret_set: bool,
    /// The redirect URI to register at the plugin's service for Plugboard's OAuth client.
    pub oauth_callback_url: String,
    /// The uploaded client-side bundle: its SHA-256 and size in bytes.
    pub bundle: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub url: Option<String>,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
}

/// Secrets as they are shown: once, when made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownSecrets {
    pub slug: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub webhook_secret: Option<String>,
}

/// One webhook message and every attempt to deliver it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: i64,
    pub message_id: String,
    pub event_type: String,
    /// pending, delivered, failed or skipped.
    pub status: String,
    pub created_at: i64,
    /// When the next attempt is due, while one is.
    pub next_attempt_at: Option<i64>,
    pub attempts: Vec<DeliveryAttempt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryLog {
    pub plugin_name: String,
    pub webhook: WebhookEndpoint,
    pub deliveries: Vec<Delivery>,
}

/// One day of a plugin's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    /// Midnight UTC of the day, unix seconds.
    pub day: i64,
    pub installs: i64,
    pub uninstalls: i64,
    /// The mean rating of the reviews as they stood at the end of the day.
    pub rating: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallStats {
    pub plugin_name: String,
    pub active_installations: i64,
    pub rating: f64,
    pub review_count: i64,
    pub days: Vec<DayStats>,
}

/// A plugin as staff review it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffPlugin {
    pub slug: String,
    pub name: String,
    pub author: String,
    pub developer_email: Option<String>,
    pub category: Category,
    pub state: ReviewState,
    pub is_verified: bool,
    pub submitted_at: Option<i64>,
    pub scopes: Vec<Scope>,
    pub redirect_uris: Vec<String>,
    pub webhook_url: Option<String>,
    pub author_url: Option<String>,
    pub icon_url: Option<String>,
    pub description_html: String,
    pub review_reason: Option<String>,
    pub decisions: Vec<Decision>,
}

/// One line of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub slug: String,
    pub name: String,
    pub author: String,
    pub state: ReviewState,
    pub is_verified: bool,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_decisions_round_trip() {
        for s in ReviewState::ALL {
            assert_eq!(ReviewState::parse(s.as_str()), Some(s));
        }
        for d in DecisionKind::ALL {
            assert_eq!(DecisionKind::parse(d.as_str()), Some(d));
        }
        assert!(ReviewState::Rejected.can_submit());
        assert!(!ReviewState::InReview.can_submit());
        assert!(!ReviewState::Published.can_submit());
    }
}
