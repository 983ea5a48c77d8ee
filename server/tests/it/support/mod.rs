//! What the integration tests share: a real server over a fresh database of its own
//! (`harness`), the one way to register a plugin and drive an install (`plugins`), the
//! peers a plugin would run (`receiver`, `reference_plugin`) and readers of the pages'
//! HTML (`pages`). Tests reach data through the store's functions and a member's scope,
//! as the server does; raw SQL in a test is for what no store function says: a row's
//! stored form (sealed, hashed), or a change another instance or the clock would make.

pub mod harness;
pub mod pages;
pub mod plugins;
pub mod receiver;
pub mod reference_plugin;

pub use harness::*;
pub use pages::*;
pub use plugins::*;
