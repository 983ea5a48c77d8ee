pub mod admin;
pub mod api_docs;
pub mod auth;
pub mod developer;
pub mod installed;
pub mod marketplace;
pub mod projects;
pub mod settings;
