//! The card every screen renders into: one `<h1>` per screen, focusable by script (`tabindex=-1`)
//! so the shell can move focus to it when the screen changes.

use crate::t;
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
    /// Marks the screen `aria-busy` while what it shows is about to be replaced (loading, a form
    /// of it submitting). Not while a `role=status` inside it reports work the user waits on
    /// (a payout sending, a step saving before leaving): a screen reader may hold back what
    /// changes in a busy region until it is no longer busy.
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

/// The app's name and logo above the flow, from the flow page's `<meta name="pf-app-name">`
/// and `<meta name="pf-logo-url">` (the sandbox writes them from the app's validated
/// appearance, issue 12); nothing when the page has neither. Beside the name the logo is
/// decorative (empty alt, so the name is not read twice); alone, its alt text is "Logo".
#[component]
pub fn BrandHeader() -> impl IntoView {
    let meta = |name: &str| {
        document()
            .query_selector(&format!("meta[name=\"{name}\"]"))
            .ok()
            .flatten()
            .and_then(|el| el.get_attribute("content"))
            .filter(|content| !content.is_empty())
    };
    let name = meta("pf-app-name");
    let logo = meta("pf-logo-url").filter(|url| url.starts_with("https://"));
    (name.is_some() || logo.is_some()).then(|| {
        // Follows the language (review: read once, it kept the first language's word after
        // `setLocale`): the header is outside the steps' `localized` views.
        let named = name.is_some();
        let language = crate::i18n::locale_signal();
        let alt = move || {
            language.track();
            if named {
                ""
            } else {
                t!(brand_logo)
            }
        };
        view! {
            <header class="pf-brand" data-testid="brand">
                {logo.map(|src| {
                    view! {
                        <img class="pf-brand__logo" src=src alt=alt referrerpolicy="no-referrer" />
                    }
                })}
                {name.map(|name| view! { <span data-testid="brand-name">{name}</span> })}
            </header>
        }
    })
}
