//! The load-speed benchmark's baseline (issue 12, `scripts/bench.sh`): the smallest Leptos CSR
//! app doing what a flow's first screen does, built with the app's release profile and trunk
//! settings (`index.html` here: `data-wasm-opt="z"`) and served by the sandbox like the app. It
//! fetches once from the server (`/healthz`), then shows a heading and a button, enabled once
//! the answer is in: that button enabled is when it is usable.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

fn main() {
    leptos::mount::mount_to_body(Minimal);
}

/// A heading and a button that waits for one fetch.
#[component]
fn Minimal() -> impl IntoView {
    let ready = RwSignal::new(false);
    spawn_local(async move {
        let Some(window) = web_sys::window() else {
            return;
        };
        if JsFuture::from(window.fetch_with_str("/healthz"))
            .await
            .is_ok()
        {
            ready.set(true);
        }
    });
    view! {
        <main>
            <h1>"Your payout"</h1>
            <button type="button" data-testid="minimal-ready" disabled=move || !ready.get()>
                "Continue"
            </button>
        </main>
    }
}
