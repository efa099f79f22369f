//! One component per step, named `<Name>Step` in `steps/<snake>.rs`, and [`AuthStep`] for
//! sign-in. [`StepView`] picks the component for a step.
//!
//! Pieces the steps share live here too: the bank account and address fields, the
//! add-payout-method form, the Continue buttons that record a step, [`Load`] for what a step
//! fetches, and putting a failure's field errors on a form.

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
use crate::forms::{invalid_errors, split_errors, FieldErrors};
use crate::i18n::rule_text;
use crate::ui::{focus_id_soon, focus_within, ErrorAlert, FieldState, LoadingLine};
use leptos::html;
use leptos::prelude::*;
use payout_model::Invalid;
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
        Step::Payout => {
            view! { <PayoutStep flow_id=flow.id fee_party=flow.payout_fee_party /> }.into_any()
        }
        Step::Compliance => view! { <ComplianceStep /> }.into_any(),
        Step::IdVerification => view! { <IdVerificationStep /> }.into_any(),
        Step::BackgroundCheck => view! { <BackgroundCheckStep /> }.into_any(),
    }
}

/// What a step fetched: still loading, failed (with the message for the details line), or
/// here.
#[derive(Clone, Debug, PartialEq)]
pub enum Load<T> {
    /// The request is in flight.
    Loading,
    /// It failed; a retry may help.
    Failed(String),
    /// The answer.
    Ready(T),
}

/// What a list area shows: follows a [`Load`] of a list only as far as its shape, so a view
/// built on it is not rebuilt (and its rows not re-mounted) when an item changes.
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
    /// The shape of `load`.
    pub fn of<T>(load: &Load<Vec<T>>) -> Self {
        match load {
            Load::Loading => ListShape::Loading,
            Load::Failed(details) => ListShape::Failed(details.clone()),
            Load::Ready(list) if list.is_empty() => ListShape::Empty,
            Load::Ready(_) => ListShape::Items,
        }
    }
}

/// A list fetched from the server, in its four states: a loading line, an error with "Try
/// again", an empty note, or one row per item. The view follows the list's shape only, so rows
/// stay mounted (and focused) while items change. Test hooks: `{testid}-loading`,
/// `{testid}-error`, `{testid}-empty`, and `{testid}` on the `<ul>`.
#[component]
pub fn LoadedList<T, EF, N, KF, K>(
    /// The list as loaded.
    items: RwSignal<Load<Vec<T>>>,
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
    /// Loads the list again.
    on_retry: UnsyncCallback<()>,
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
                on_retry=on_retry
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
                        each=move || match items.get() {
                            Load::Ready(list) => list,
                            _ => Vec::new(),
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

/// The element id of form field `name` in the form whose ids start with `prefix` (a path's dots
/// become dashes: `pf-compliance-address-line1`, usable in a CSS selector).
pub fn field_id(prefix: &str, name: &str) -> String {
    format!("{prefix}-{}", name.replace('.', "-"))
}

/// One field of a form whose rules come from the model: its path in the request
/// (`address.postal_code`), its label as messages use it (`ZIP code`), and its state.
#[derive(Clone, Copy, Debug)]
pub struct LabelledField {
    /// The field's path in the request and in the error envelope's `fields`.
    pub path: &'static str,
    /// The field's name in messages.
    pub label: &'static str,
    /// What the field holds and shows.
    pub state: FieldState,
}

/// Puts `failure` on a form: errors about `fields` show under them (with their label, focus on
/// the first), every other field is cleared; whatever is not about one of `fields` is returned
/// for the form's alert. The model's own check fails the same way through [`show_invalid`].
pub fn show_failure(
    form: NodeRef<html::Form>,
    prefix: &str,
    fields: &[LabelledField],
    failure: &ApiFailure,
) -> Option<String> {
    let labels: Vec<(&'static str, &'static str)> =
        fields.iter().map(|f| (f.path, f.label)).collect();
    let (mapped, rest) = split_errors(failure, &labels);
    let states: Vec<(&'static str, FieldState)> =
        fields.iter().map(|f| (f.path, f.state)).collect();
    show_errors(form, prefix, &states, &mapped);
    rest
}

/// [`show_failure`] for the model's own check (`Validate`), before anything is sent: each broken
/// rule worded through the i18n.
pub fn show_invalid(
    form: NodeRef<html::Form>,
    prefix: &str,
    fields: &[LabelledField],
    invalid: &Invalid,
) -> Option<String> {
    let labels: Vec<(&'static str, &'static str)> =
        fields.iter().map(|f| (f.path, f.label)).collect();
    let (mapped, rest) = invalid_errors(invalid, &labels);
    let states: Vec<(&'static str, FieldState)> =
        fields.iter().map(|f| (f.path, f.state)).collect();
    show_errors(form, prefix, &states, &mapped);
    rest
}

/// The submit of a form the model checks before it is sent (compliance, the background check,
/// the code and profile stages of sign-in): with `input()` wrong, every wrong field shows its
/// message and nothing is sent; otherwise `send` runs once at a time (`busy`), and its answer
/// goes to `on_ok` or, failing, its field errors onto the same fields and the rest (a message
/// no field took, or `None`) to `on_rest`, which also hears `None` as each submit starts. What
/// was typed is never touched.
#[allow(clippy::too_many_arguments)]
pub fn submit_checked<N: 'static, T: 'static, L: AsRef<[LabelledField]>>(
    form: NodeRef<html::Form>,
    prefix: &'static str,
    busy: RwSignal<bool>,
    fields: impl Fn() -> L + Clone + 'static,
    input: impl Fn() -> Result<N, Invalid> + 'static,
    send: impl Fn(N) -> crate::api::LocalFuture<Result<T, ApiFailure>> + 'static,
    on_ok: impl Fn(T) + 'static,
    on_rest: impl Fn(Option<String>) + Clone + 'static,
) -> UnsyncCallback<()> {
    let on_ok = std::rc::Rc::new(on_ok);
    UnsyncCallback::new(move |()| {
        if busy.get_untracked() {
            return;
        }
        on_rest(None);
        let new = match input() {
            Ok(new) => new,
            Err(invalid) => {
                on_rest(show_invalid(form, prefix, fields().as_ref(), &invalid));
                return;
            }
        };
        busy.set(true);
        let call = send(new);
        let (fields, on_ok, on_rest) = (fields.clone(), on_ok.clone(), on_rest.clone());
        leptos::task::spawn_local(async move {
            let result = call.await;
            if busy.try_set(false).is_some() {
                // The step went away meanwhile: nothing left to show the answer on.
                return;
            }
            match result {
                Ok(value) => on_ok(value),
                Err(failure) => on_rest(show_failure(form, prefix, fields().as_ref(), &failure)),
            }
        });
    })
}

/// `on_ok` for [`submit_checked`] when the answer replaces the form: keep it in `answer` and
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

/// The message for `path` in what a model rule answered, worded with `label` (the inline check
/// of one field, run on the whole form so cross-field rules apply).
pub fn rule_message(result: Result<(), Invalid>, path: &str, label: &str) -> Option<String> {
    let rule = result.err()?.rule(path)?;
    Some(rule_text(label, rule))
}

/// Shows `errors` on `fields` (clearing the others) and moves focus to the first field, in the
/// order given, that has one.
pub fn show_errors(
    form: NodeRef<html::Form>,
    prefix: &str,
    fields: &[(&'static str, FieldState)],
    errors: &FieldErrors,
) {
    let mut first = None;
    for (name, state) in fields {
        let error = errors.get(name).cloned();
        if error.is_some() && first.is_none() {
            first = Some(*name);
        }
        state.error.set(error);
    }
    if let (Some(name), Some(form)) = (first, form.get_untracked()) {
        focus_within(&form, &field_id(prefix, name));
    }
}
