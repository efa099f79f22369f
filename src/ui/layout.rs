//! The card every screen renders into: one `<h1>` per screen, focusable by script (`tabindex=-1`)
//! so the shell can move focus to it when the screen changes.

use leptos::prelude::*;

/// A screen: a card with its heading and content.
#[component]
pub fn ScreenCard(
    /// `data-testid` of the screen (`screen-done`, `step-redirect`, …).
    #[prop(into)]
    testid: String,
    /// The screen's heading.
    #[prop(into)]
    title: String,
    /// Marks the screen `aria-busy` while work is in progress.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// The screen's content below the heading.
    children: Children,
) -> impl IntoView {
    view! {
        <section
            class="pf-card"
            data-testid=testid
            aria-busy=move || if busy.get() { "true" } else { "false" }
        >
            <h1 class="pf-title" tabindex="-1" data-testid="screen-title">
                {title}
            </h1>
            {children()}
        </section>
    }
}
