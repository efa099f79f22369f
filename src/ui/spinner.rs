//! A spinner for work in progress. Decorative: the text next to it says what is happening, and
//! it stops spinning under `prefers-reduced-motion` (style/main.css).

use leptos::prelude::*;

/// A spinning ring, hidden from assistive technology.
#[component]
pub fn Spinner() -> impl IntoView {
    view! { <span class="pf-spinner" aria-hidden="true" data-testid="spinner"></span> }
}
