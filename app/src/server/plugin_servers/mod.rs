//! Plugin servers (DESIGN.md §6, the App Connect contract): the calls Plugboard makes to a
//! plugin's `server_url`, each carrying a short-lived JWT the plugin can verify.

pub mod client;
pub mod jwt;
pub mod license;
