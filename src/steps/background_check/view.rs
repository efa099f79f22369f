//! The background-check step's three screens: the form (country, and for US residents SSN, date
//! of birth and address), the summary of the tax details on file with one button, and the
//! outcome with its Continue. They show what they are given and report submits.

use super::{address_line, country_name, outcome, CheckFields, RESULT_HEADING};
use crate::identity::{country_options, is_us, mask_tin};
use crate::steps::{AddressFields, RecordedContinue};
use crate::t;
use crate::ui::{ErrorAlert, Field, Form, SelectField, SubmitButton, TextField};
use leptos::prelude::*;
use payout_model::identity::{BackgroundCheck, Compliance, Submitted};
use payout_model::StepName;

/// What the form shows and reports: copyable handles the step owns.
#[derive(Clone, Copy)]
pub struct CheckForm {
    pub fields: CheckFields,
    pub form: Form,
    /// Whether the chosen country is the US (the only one with something to check).
    pub us: Memo<bool>,
    pub submit: UnsyncCallback<()>,
}

/// The server's refusal that names no field.
fn submit_error(form: Form) -> impl IntoView {
    move || {
        form.alert.get().map(|details| {
            view! {
                <ErrorAlert message=t!(bgc_submit_failed) details=details.text() testid="bgc-error" />
            }
        })
    }
}

/// "Outside the US there is nothing to check".
fn us_only() -> impl IntoView {
    view! {
        <p class="pf-notice pf-notice--info" data-testid="bgc-us-only">
            {t!(bgc_us_only)}
        </p>
    }
}

/// The SSN, date of birth and address of a US resident.
fn us_fields(fields: CheckFields) -> impl IntoView {
    let check = move |f: Field| f.checked_by(move |path, value| fields.check(path, value));
    let address_check =
        Callback::new(move |(path, value): (&'static str, String)| fields.check(path, value));
    view! {
        <TextField
            hint=t!(tin_hint)
            field=fields.ssn
            testid="bgc-ssn"
            inputmode="numeric"
            autocomplete="off"
            mask=mask_tin
            check=check(fields.ssn)
        />
        <TextField
            field=fields.date_of_birth
            testid="bgc-dob"
            input_type="date"
            autocomplete="bday"
            check=check(fields.date_of_birth)
        />
        <AddressFields
            state=fields.address
            us=true
            testid="bgc"
            check=address_check
        />
    }
}

/// The form, for a user without tax details on file.
pub fn check_form(props: CheckForm) -> impl IntoView {
    let (fields, us, submit) = (props.fields, props.us, props.submit);
    let check_country = fields
        .country
        .checked_by(move |path, value| fields.check(path, value));
    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=props.form.node
            data-testid="bgc-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                submit.run(());
            }
        >
            <p class="pf-body">{t!(bgc_intro)}</p>
            <SelectField
                field=fields.country
                testid="bgc-country"
                options=country_options()
                autocomplete="country"
                check=check_country
            />
            {move || (!us.get()).then(us_only)}
            {move || us.get().then(|| us_fields(fields))}
            {submit_error(props.form)}
            <div class="pf-actions">
                {move || {
                    let label = if us.get() { t!(run_check) } else { t!(continue_step) };
                    view! {
                        <SubmitButton
                            label=label
                            busy_label=t!(checking)
                            busy=props.form.busy
                            testid="bgc-submit"
                        />
                    }
                }}
            </div>
        </form>
    }
}

/// The tax details on file and one button that runs the check on them (`on_run`).
pub fn on_file_view(saved: Compliance, on_run: UnsyncCallback<()>, form: Form) -> impl IntoView {
    let us_file = is_us(&saved.country);
    let ssn = saved
        .tin_last4
        .as_deref()
        .filter(|_| us_file)
        .map(|last4| t!(ssn_last4, last4));
    view! {
        <form
            class="pf-form"
            novalidate=true
            data-testid="bgc-on-file"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                on_run.run(());
            }
        >
            <p class="pf-body">{t!(bgc_on_file_intro)}</p>
            <dl class="pf-summary">
                <div>
                    <dt>{t!(field_country)}</dt>
                    <dd data-testid="bgc-file-country">{country_name(&saved.country)}</dd>
                </div>
                <div>
                    <dt>{t!(field_date_of_birth)}</dt>
                    <dd data-testid="bgc-file-dob">{saved.date_of_birth.clone()}</dd>
                </div>
                {ssn
                    .map(|ssn| {
                        view! {
                            <div>
                                <dt>{t!(field_ssn)}</dt>
                                <dd data-testid="bgc-file-ssn">{ssn}</dd>
                            </div>
                        }
                    })}
                <div>
                    <dt>{t!(bgc_on_file_address)}</dt>
                    <dd data-testid="bgc-file-address">{address_line(&saved.address)}</dd>
                </div>
            </dl>
            {(!us_file).then(us_only)}
            {submit_error(form)}
            <div class="pf-actions">
                <SubmitButton
                    label=if us_file { t!(run_check) } else { t!(continue_step) }
                    busy_label=t!(checking)
                    busy=form.busy
                    testid="bgc-submit"
                />
            </div>
        </form>
    }
}

/// The check's outcome and the Continue (the server has recorded the step).
pub fn outcome_view(answer: Submitted<BackgroundCheck>) -> impl IntoView {
    let (title, body, status, tone) = outcome(&answer.data);
    view! {
        <div class=format!("pf-result {tone}") role="status" data-testid="bgc-result" data-status=status>
            <h2 class="pf-subtitle" id=RESULT_HEADING tabindex="-1">
                {title}
            </h2>
            <p class="pf-body">{body}</p>
        </div>
        <RecordedContinue step=StepName::BackgroundCheck flow=answer.flow testid="bgc-continue" />
    }
}
