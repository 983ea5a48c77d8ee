//! The WASM entry. Pages are rendered on the server; only their islands (`#[island]`
//! components in `app`) run here, each hydrated by the page script (`client.js`) through
//! its export. `hydrate` starts the reactive runtime they share.

// The islands (`#[island]` in `app`) are WASM exports of the app crate: link it.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
