//! Entry point: panic messages to the console, then the app, mounted on `<body>`. The page's
//! own screen (`index.html`: loading, or sign-in's phone form) stays in front of it until the
//! app's first screen is drawn (src/app.rs hands over), so an app that fails to start leaves
//! the page to say so.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(payout_flows::App);
}
