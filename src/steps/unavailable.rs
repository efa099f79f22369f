//! The screen for a step this version does not build yet. It says so plainly and offers no way
//! past it: skipping a step silently could leave a payout without the data it needs.

use crate::context::use_services;
use crate::i18n::{step_title, t, tr, Key};
use crate::ui::ScreenCard;
use leptos::prelude::*;
use payout_model::StepName;

/// "<Step title> isn't available in this version", naming the step; tells the host by an `error`
/// message.
#[component]
pub fn UnavailableStep(
    /// The step that cannot be shown.
    step: StepName,
) -> impl IntoView {
    use_services()
        .bridge
        .error(&format!("step \"{step}\" is not available in this version"));
    view! {
        <ScreenCard
            testid="step-unavailable"
            title=tr(Key::UnavailableTitle, &[("step", step_title(step))])
        >
            <p class="pf-body">{t(Key::UnavailableBody)}</p>
            <p class="pf-details" data-testid="unavailable-step-name">
                {tr(Key::UnavailableStepName, &[("name", step.as_str())])}
            </p>
        </ScreenCard>
    }
}
