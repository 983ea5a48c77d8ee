//! Types shared by the server and the hydrated frontend. Each one can only hold
//! a valid value: parse at the edge, then trust the type.

mod account;
mod category;
mod ids;
mod listing;
mod scope;
mod slug;

pub use account::{Email, Password, Role, SessionUser, TenantName};
pub use category::Category;
pub use ids::{PluginId, TenantId, UserId};
pub use listing::{
    MarketplaceQuery, PluginCard, PluginDetail, PluginPage, ReviewView, Sort, PAGE_SIZE,
};
pub use scope::Scope;
pub use slug::PluginSlug;
