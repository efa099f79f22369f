//! One component per step, named `<Name>Step` in `steps/<snake>.rs`. [`StepView`] picks the
//! component for a step; steps this version does not build yet show [`UnavailableStep`].

mod redirect;
mod unavailable;

pub use redirect::RedirectStep;
pub use unavailable::UnavailableStep;

use leptos::prelude::*;
use payout_model::Step;

/// The component for `step`.
#[component]
pub fn StepView(
    /// The step to show.
    step: Step,
) -> impl IntoView {
    match step {
        Step::Redirect { redirect_url } => view! { <RedirectStep url=redirect_url /> }.into_any(),
        // auth, compliance, id-verification, background-check, manage-payments,
        // manage-payouts and payout are built by later issues.
        other => view! { <UnavailableStep step=other.name() /> }.into_any(),
    }
}
