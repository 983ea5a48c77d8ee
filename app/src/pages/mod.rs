pub mod auth;
pub mod installed;
pub mod marketplace;
