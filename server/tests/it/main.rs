//! Integration tests: one binary, every test against the real HTTP server, each
//! database test on SQLite and on PostgreSQL.

mod accounts;
mod api;
mod api_property;
mod cli;
mod developer_cli;
mod client_plugins;
mod hardening;
mod health;
mod marketplace;
mod members;
mod migrations;
mod oauth;
mod plugin_servers;
mod publishing;
mod connections;
mod events;
mod runs;
mod server_fns;
mod settings;
mod support;
mod test_installs;
mod token_health;
mod transfer;
mod versions;
mod webhooks;
