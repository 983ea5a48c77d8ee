pub mod charts;
pub mod client_plugins;
pub mod format;
pub mod layout;
pub mod plugin_card;
pub mod versions;
