//! One component per step, named `<Name>Step` in `steps/<snake>.rs`, and [`AuthStep`] for
//! sign-in. [`StepView`] picks the component for a step.
//!
//! Pieces the steps share live here too: the bank account and address fields, the
//! add-payout-method form, the Continue buttons that record a step, and [`LoadedList`] for a
//! list a step fetches. Forms are built on [`crate::ui::Form`].

mod add_method;
mod address_fields;
mod auth;
mod background_check;
mod bank_fields;
mod compliance;
mod finish;
mod id_verification;
mod manage_payments;
mod manage_payouts;
mod payout;
mod redirect;

pub use add_method::AddMethodForm;
pub use address_fields::{AddressFields, AddressState};
pub use auth::AuthStep;
pub use background_check::BackgroundCheckStep;
pub use bank_fields::{BankFields, BankFieldsState};
pub use compliance::ComplianceStep;
pub use finish::{
    finish_recorded, finish_step, record_in_background, record_step, ContinueButton, RecordStatus,
    RecordedContinue, Recording,
};
pub use id_verification::IdVerificationStep;
pub use manage_payments::ManagePaymentsStep;
pub use manage_payouts::ManagePayoutsStep;
pub use payout::{Attempt, PayoutStep};
pub use redirect::RedirectStep;

use crate::api::ApiFailure;
use crate::i18n::failure_details;
use crate::requests::{reload, Fetched};
use crate::ui::{focus_id_soon, ErrorAlert, LoadingLine};
use leptos::prelude::*;
use payout_model::{FlowState, Step};

/// The component for `step` of `flow`.
#[component]
pub fn StepView(
    /// The step to show.
    step: Step,
    /// The flow it belongs to (its id, who pays payout fees).
    flow: FlowState,
) -> impl IntoView {
    match step {
        Step::Redirect { redirect_url } => view! { <RedirectStep url=redirect_url /> }.into_any(),
        Step::ManagePayments {
            hide_continue_button,
        } => view! { <ManagePaymentsStep hide_continue_button=hide_continue_button /> }.into_any(),
        Step::ManagePayouts {
            hide_continue_button,
        } => view! { <ManagePayoutsStep hide_continue_button=hide_continue_button /> }.into_any(),
        Step::Payout { .. } => {
            view! { <PayoutStep flow_id=flow.id fee_party=flow.payout_fee_party /> }.into_any()
        }
        Step::Compliance => view! { <ComplianceStep /> }.into_any(),
        Step::IdVerification => view! { <IdVerificationStep /> }.into_any(),
        Step::BackgroundCheck => view! { <BackgroundCheckStep /> }.into_any(),
    }
}

/// What a list area shows: follows a [`Fetched`] list only as far as its shape, so a view built
/// on it is not rebuilt (and its rows not re-mounted) when an item changes.
#[derive(Clone, Debug, PartialEq)]
pub enum ListShape {
    /// Loading.
    Loading,
    /// Failed with this message.
    Failed(String),
    /// Loaded, nothing in it.
    Empty,
    /// Loaded, with items.
    Items,
}

impl ListShape {
    /// The shape of a list's resource value (`None` while it loads).
    pub fn of<T>(load: Option<Result<&Vec<T>, &ApiFailure>>) -> Self {
        match load {
            None => ListShape::Loading,
            Some(Err(failure)) => ListShape::Failed(failure_details(failure)),
            Some(Ok(list)) if list.is_empty() => ListShape::Empty,
            Some(Ok(_)) => ListShape::Items,
        }
    }
}

/// A list fetched from the server (a resource), in its four states: a loading line, an error
/// with "Try again" (which loads it again), an empty note, or one row per item. The view follows the list's shape only, so rows
/// stay mounted (and focused) while items change. Test hooks: `{testid}-loading`,
/// `{testid}-error`, `{testid}-empty`, and `{testid}` on the `<ul>`.
#[component]
pub fn LoadedList<T, EF, N, KF, K>(
    /// The list's resource.
    items: Fetched<Vec<T>>,
    /// Identifies an item across reloads.
    key: KF,
    /// One row.
    row: EF,
    /// Prefix of the test hooks (`bank-accounts`).
    testid: &'static str,
    /// Shown while loading.
    loading: &'static str,
    /// Shown when loading failed.
    failed: &'static str,
    /// Shown when the list is empty.
    empty: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    EF: Fn(T) -> N + Send + Clone + 'static,
    N: IntoView + 'static,
    KF: Fn(&T) -> K + Send + Clone + 'static,
    K: Eq + std::hash::Hash + 'static,
{
    let shape = Memo::new(move |_| items.with(ListShape::of));
    move || match shape.get() {
        ListShape::Loading => view! {
            <LoadingLine text=loading testid=format!("{testid}-loading") />
        }
        .into_any(),
        ListShape::Failed(details) => view! {
            <ErrorAlert
                message=failed
                details=details
                testid=format!("{testid}-error")
                on_retry=UnsyncCallback::new(move |()| reload(items))
            />
        }
        .into_any(),
        ListShape::Empty => view! {
            <p class="pf-empty" data-testid=format!("{testid}-empty")>{empty}</p>
        }
        .into_any(),
        ListShape::Items => {
            let key = key.clone();
            let row = row.clone();
            view! {
                <ul class="pf-list" data-testid=testid>
                    <For
                        each=move || {
                            items
                                .with(|load| match load {
                                    Some(Ok(list)) => list.clone(),
                                    _ => Vec::new(),
                                })
                        }
                        key=key
                        children=row
                    />
                </ul>
            }
            .into_any()
        }
    }
}

/// `on_ok` for [`Form::submit`](crate::ui::Form::submit) when the answer replaces the form: keep it in `answer` and
/// move focus to the element `result_focus` (the result's heading) rather than let it fall to
/// the page.
pub fn show_answer<T: Send + Sync + 'static>(
    answer: RwSignal<Option<T>>,
    result_focus: &'static str,
) -> impl Fn(T) + 'static {
    move |value| {
        if answer.try_set(Some(value)).is_none() {
            focus_id_soon(result_focus.to_owned());
        }
    }
}
