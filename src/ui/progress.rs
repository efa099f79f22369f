//! "Step N of M" with a progress bar that assistive technology reads as such.

use crate::t;
use leptos::prelude::*;

/// Where the user is in the flow.
#[component]
pub fn ProgressIndicator(
    /// The current step, numbered from 1.
    current: usize,
    /// How many steps the flow has.
    total: usize,
) -> impl IntoView {
    let text = t!(progress_step, current, total);
    let percent = (current * 100).checked_div(total).unwrap_or(0).min(100);
    view! {
        <div class="pf-progress" data-testid="progress">
            <p class="pf-progress__label" data-testid="progress-text">
                {text.clone()}
            </p>
            <div
                class="pf-progress__bar"
                role="progressbar"
                aria-label=t!(progress_label)
                aria-valuemin="1"
                aria-valuemax=total.to_string()
                aria-valuenow=current.to_string()
                aria-valuetext=text
            >
                <div class="pf-progress__fill" style:width=format!("{percent}%")></div>
            </div>
        </div>
    }
}
