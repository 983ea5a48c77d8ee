pub mod api_docs;
pub mod auth;
pub mod installed;
pub mod marketplace;
pub mod projects;
