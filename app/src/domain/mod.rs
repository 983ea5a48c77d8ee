//! Types shared by the server and the hydrated frontend. Each one can only hold
//! a valid value: parse at the edge, then trust the type.

mod account;
mod bridge;
mod category;
mod events;
mod ids;
mod installation;
mod listing;
mod publishing;
mod scope;
mod settings;
mod slug;
mod work;

pub use account::{Email, MembersPage, OrgUser, Password, Role, SessionUser, TenantName};
pub use bridge::{BridgeError, BridgeMethod, ClientPlugin};
pub use category::Category;
pub use events::{EventDoc, EventType, Subscriptions};
pub use installation::{connect_problem, ConnectionView, InstalledOverview, InstalledPlugin, JobStatus, JobView, LicenseView, RunnablePlugin, ScopeUpdate};
pub use ids::{BadId, InstallationId, JobId, PluginId, ProjectId, TaskId, TenantId, UserId};
pub use listing::{
    MarketplaceQuery, PluginCard, PluginDetail, PluginPage, ReviewView, Sort, PAGE_SIZE,
};
pub use publishing::{
    BundleRef, ConsolePlugin, DayStats, Decision, DecisionKind, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryLog, DeliveryStatus, DeveloperOverview, DeveloperPlugin, DeveloperToken,
    EndpointAlert, FieldChange, InstallStats, InviteDetails, InviteLink, InviteView, PluginForm, QueueItem, ReleaseNote, ReviewState, ShownSecrets, StaffPlugin, Suspension, TokenFailure, TokenFailureView, TokenHealth, VersionDiff,
    VersionState, VersionSummary, WebhookEndpoint,
};
pub use scope::{Scope, ScopeSet};
pub use settings::{SettingField, SettingKind, SettingValue, SettingsPage, SettingsSchema, TextFormat};
pub use slug::PluginSlug;
pub use work::{parse_due_date, parse_long_text, parse_text, PluginActivity, Project, ProjectBoard, Task, TaskCard, TaskStatus, WorkOverview};
