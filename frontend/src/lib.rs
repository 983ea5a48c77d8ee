//! The WASM entry: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) else {
        leptos::logging::error!("Plugboard: no <body> to hydrate");
        return;
    };
    // Asynchronous hydration: a lazy route (its own WASM chunk under `cargo leptos build
    // --split`) is fetched before the page it rendered on the server is hydrated.
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        // Lets end-to-end tests (and curious people) know the page is interactive. Not set
        // when hydration panics (a chunk that failed to load, say).
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
