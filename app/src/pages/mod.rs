pub mod auth;
pub mod marketplace;
