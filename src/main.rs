//! Entry point: panic messages to the console, then the app, mounted on `<body>`, takes the
//! place of the page's loading screen (`index.html`, shown while the app downloaded). The
//! screen goes once the app is mounted (in the same task: no frame shows both), so an app that
//! fails to start leaves it to say so.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(payout_flows::App);
    if let Some(boot) = leptos::prelude::document().get_element_by_id("pf-boot") {
        boot.remove();
    }
}
