//! Publishing: what the developer console, the staff review queue and reviews share
//! between the server and the browser.

use super::{Category, EventType, InstallationId, Scope};
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
    /// Staff stopped a published plugin everywhere (every token revoked, nothing runs).
    Suspended,
    /// Staff lifted a suspension.
    Reinstated,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 8] = [
        DecisionKind::Submitted,
        DecisionKind::Published,
        DecisionKind::Rejected,
        DecisionKind::Verified,
        DecisionKind::Unverified,
        DecisionKind::Unpublished,
        DecisionKind::Suspended,
        DecisionKind::Reinstated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Submitted => "submitted",
            DecisionKind::Published => "published",
            DecisionKind::Rejected => "rejected",
            DecisionKind::Verified => "verified",
            DecisionKind::Unverified => "unverified",
            DecisionKind::Unpublished => "unpublished",
            DecisionKind::Suspended => "suspended",
            DecisionKind::Reinstated => "reinstated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    /// The decisions that need a reason the developer will read.
    pub fn needs_reason(self) -> bool {
        matches!(self, DecisionKind::Rejected | DecisionKind::Unpublished | DecisionKind::Suspended)
    }
}

/// One recorded decision: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    pub actor: String,
    pub reason: Option<String>,
    pub at: i64,
    /// The version a submission, publication or rejection was about.
    pub version: Option<i64>,
}

/// Where a version stands. Published versions never change; the last one published is
/// the plugin's live version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    Draft,
    InReview,
    Published,
    Rejected,
}

impl VersionState {
    pub const ALL: [VersionState; 4] = [VersionState::Draft, VersionState::InReview, VersionState::Published, VersionState::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::InReview => "in_review",
            VersionState::Published => "published",
            VersionState::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VersionState::Draft => "Draft",
            VersionState::InReview => "In review",
            VersionState::Published => "Published",
            VersionState::Rejected => "Rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One version in a plugin's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub number: i64,
    pub state: VersionState,
    /// The version tenants run.
    pub live: bool,
    /// "What's new", as the developer wrote it when submitting.
    pub release_notes: Option<String>,
    /// Why staff rejected it.
    pub review_reason: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    /// When staff published or rejected it.
    pub decided_at: Option<i64>,
}

/// A published version as the plugin's public page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseNote {
    pub number: i64,
    pub published_at: i64,
    /// Safe markdown, rendered and sanitised on the server.
    pub notes_html: String,
}

/// A reviewed field whose value differs between two versions, as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A client-side bundle as a version names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleRef {
    pub sha256: String,
    pub bytes: i64,
}

/// What staff compare before they decide: a version against the live one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub number: i64,
    pub state: VersionState,
    /// The live version it is compared with; `None` for a plugin's first version.
    pub live_number: Option<i64>,
    pub release_notes: Option<String>,
    /// Every other reviewed field that differs.
    pub changes: Vec<FieldChange>,
    pub scopes_added: Vec<Scope>,
    pub scopes_removed: Vec<Scope>,
    pub origins_added: Vec<String>,
    pub origins_removed: Vec<String>,
    /// Whether the client-side code differs, and from what to what.
    pub bundle_changed: bool,
    pub bundle_before: Option<BundleRef>,
    pub bundle_after: Option<BundleRef>,
}

impl VersionDiff {
    /// Nothing differs from the live version.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.scopes_added.is_empty()
            && self.scopes_removed.is_empty()
            && self.origins_added.is_empty()
            && self.origins_removed.is_empty()
            && !self.bundle_changed
    }
}

/// Staff suspended the plugin: why and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suspension {
    pub at: i64,
    pub reason: String,
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
    /// The settings schema (JSON; empty: no settings).
    #[serde(default)]
    pub settings_schema: String,
    /// Checked data event types, by name (issue 19).
    #[serde(default)]
    pub events: Vec<String>,
    /// Published for the invited organisations only, never listed in the marketplace.
    #[serde(default)]
    pub private: bool,
}

/// The console's front page: the developer profile and its plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeveloperOverview {
    pub is_developer: bool,
    /// The public name plugins are published under (the default author).
    pub developer_name: String,
    pub plugins: Vec<DeveloperPlugin>,
    /// Their live developer tokens, newest first.
    pub tokens: Vec<DeveloperToken>,
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
    /// Its webhook endpoint failing for a day or more, or turned off.
    pub webhook_alert: Option<EndpointAlert>,
}

/// What the console shows of one of the developer's plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsolePlugin {
    pub form: PluginForm,
    pub client_id: String,
    /// The `plugin_id` its webhooks and plugin-server calls carry.
    pub plugin_id: i64,
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
    /// The version the form shows: the draft, or else the latest one (in review, live or
    /// rejected), which an edit copies into a new draft.
    pub version: Option<VersionSummary>,
    /// Newest first.
    pub versions: Vec<VersionSummary>,
    /// What the form's version changes against the live one (none when there is no
    /// live version or nothing differs).
    pub pending: Option<VersionDiff>,
    pub suspension: Option<Suspension>,
    /// Organisations invited to install it before staff publish it, newest first.
    pub invites: Vec<InviteView>,
}

/// A developer token (a personal access token for the CLI) as the console lists it; the
/// token itself is shown once, when made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeveloperToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An invitation to install a plugin before staff publish it (a test install).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub id: i64,
    /// The organisation's name as the developer typed it.
    pub organisation: String,
    pub created_at: i64,
    /// Who accepted it for the organisation, and when.
    pub accepted: Option<(String, i64)>,
    /// The organisation has the plugin installed now.
    pub installed: bool,
}

/// A new invite's link: shown once (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteLink {
    pub organisation: String,
    pub url: String,
}

/// An invite as the person who opens its link sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteDetails {
    pub plugin_name: String,
    pub slug: String,
    pub author: String,
    pub organisation: String,
    /// Its organisation accepted it (maybe just now).
    pub accepted: bool,
    /// The plugin was published since: anybody may install it from the marketplace.
    pub published: bool,
    /// Why the signed-in person cannot accept it (`None`: they can, or it is accepted).
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub url: Option<String>,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
    /// What the developer is warned of, as of the read.
    pub alert: Option<EndpointAlert>,
}

/// What the console warns a developer of about their webhook endpoint: failing without
/// a break for a day or more (and when it will be turned off), or turned off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EndpointAlert {
    Failing { since: i64, disables_at: i64 },
    Disabled { at: i64, reason: String },
}

impl EndpointAlert {
    /// Failing for this long before the console warns.
    pub const WARN_AFTER_SECS: i64 = 86_400;

    /// From the endpoint's state at `now`; `disable_after` is how long failures last
    /// before the endpoint is turned off.
    pub fn of(disabled_at: Option<i64>, disabled_reason: Option<&str>, failing_since: Option<i64>, now: i64, disable_after: i64) -> Option<Self> {
        match (disabled_at, failing_since) {
            (Some(at), _) => Some(EndpointAlert::Disabled { at, reason: disabled_reason.unwrap_or_default().to_owned() }),
            (None, Some(since)) if now - since >= Self::WARN_AFTER_SECS => Some(EndpointAlert::Failing { since, disables_at: since + disable_after }),
            _ => None,
        }
    }
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
    /// Newest first, as filtered.
    pub deliveries: Vec<Delivery>,
    /// The filter shown.
    pub filter: DeliveryFilter,
    /// `before` for the next (older) page, when there is one.
    pub older: Option<i64>,
    /// The default of "Resend failed since": when the oldest message that failed since the
    /// endpoint began failing (else in the last day) was made (`YYYY-MM-DDTHH:MM`, UTC).
    pub resend_from: String,
}

/// Which deliveries the log lists: of one event type, with one outcome, older than an id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryFilter {
    #[serde(default)]
    pub event_type: Option<EventType>,
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    #[serde(default)]
    pub before: Option<i64>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    /// Pending, held while the plugin or its installation is suspended.
    Held,
    Delivered,
    Failed,
    Skipped,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [DeliveryStatus::Pending, DeliveryStatus::Held, DeliveryStatus::Delivered, DeliveryStatus::Failed, DeliveryStatus::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Held => "held",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
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
    pub token_health: TokenHealth,
}

/// What went wrong when a plugin presented one of its codes or refresh tokens at the
/// token endpoint (recorded for the developer's console, per installation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenFailure {
    /// A refresh token was presented after it had been used: Plugboard revoked the grant.
    RefreshReused,
    /// An authorization code was presented a second time: Plugboard revoked the grant.
    CodeReused,
    /// A refresh token of a grant revoked before (for reuse, or by the plugin itself).
    GrantRevoked,
    /// A refresh token unused for 90 days.
    Expired,
    /// A refresh asked for scopes beyond the grant.
    ScopeTooWide,
    /// The grant refreshed more often than its budget allows.
    RateLimited,
}

impl TokenFailure {
    pub const ALL: [TokenFailure; 6] =
        [TokenFailure::RefreshReused, TokenFailure::CodeReused, TokenFailure::GrantRevoked, TokenFailure::Expired, TokenFailure::ScopeTooWide, TokenFailure::RateLimited];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenFailure::RefreshReused => "refresh_reused",
            TokenFailure::CodeReused => "code_reused",
            TokenFailure::GrantRevoked => "grant_revoked",
            TokenFailure::Expired => "expired",
            TokenFailure::ScopeTooWide => "scope_too_wide",
            TokenFailure::RateLimited => "rate_limited",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Reuse detection revoked the grant: the installation needs its admins to reconnect it.
    pub fn is_reuse(self) -> bool {
        matches!(self, TokenFailure::RefreshReused | TokenFailure::CodeReused)
    }

    /// What happened, for the console.
    pub fn sentence(self) -> &'static str {
        match self {
            TokenFailure::RefreshReused => "Reuse detected: a refresh token was presented after it had been used, so Plugboard revoked the grant. Store each new refresh token before you use the access token, and refresh from one place at a time.",
            TokenFailure::CodeReused => "Reuse detected: an authorization code was exchanged a second time, so Plugboard revoked the grant it had started.",
            TokenFailure::GrantRevoked => "A refresh token of a revoked grant was presented. The installation's admins must reconnect the plugin.",
            TokenFailure::Expired => "A refresh token unused for 90 days was presented.",
            TokenFailure::ScopeTooWide => "A refresh asked for scopes beyond what the installation granted.",
            TokenFailure::RateLimited => "The grant refreshed more often than its budget allows.",
        }
    }
}

/// One refused code or refresh token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenFailureView {
    pub at: i64,
    pub kind: TokenFailure,
    pub installation_id: InstallationId,
    pub tenant_name: String,
}

/// A plugin's refused codes and refresh tokens over the statistics' period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenHealth {
    /// Refused refreshes, reuse included.
    pub refresh_failures: i64,
    /// Grants revoked for reuse (of a refresh token or a code).
    pub reuse_detected: i64,
    /// The latest, newest first.
    pub recent: Vec<TokenFailureView>,
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
    /// The version in review against the live one.
    pub candidate: Option<VersionDiff>,
    /// Newest first.
    pub versions: Vec<VersionSummary>,
    pub suspension: Option<Suspension>,
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
    /// The version in review, for the queue of submissions.
    pub version: Option<i64>,
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
        for v in VersionState::ALL {
            assert_eq!(VersionState::parse(v.as_str()), Some(v));
        }
    }
}
