//! Entry point: panic messages to the console, then the page's loading screen (`index.html`,
//! shown while the app downloaded) gives way to the app, mounted on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    if let Some(boot) = leptos::prelude::document().get_element_by_id("pf-boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(payout_flows::App);
}
