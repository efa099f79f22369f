//! The compliance step's two screens: the W-9 / W-8BEN form (its tax id field follows the
//! country) and the confirmation with the masked tax id and Continue.

use super::{saved_lines, ComplianceFields, SAVED_HEADING};
use crate::identity::{country_options, mask_foreign_tax_id, mask_tin};
use crate::steps::{AddressFields, RecordedContinue};
use crate::t;
use crate::ui::{ErrorAlert, Field, Form, SelectField, SubmitButton, TextField};
use leptos::prelude::*;
use payout_model::identity::{Compliance, Submitted};
use payout_model::StepName;
use wasm_bindgen::JsCast;

/// What the form shows and reports: copyable handles the step owns.
#[derive(Clone, Copy)]
pub struct FormProps {
    pub fields: ComplianceFields,
    pub form: Form,
    /// Whether the chosen country is the US (a W-9).
    pub us: Memo<bool>,
    pub submit: UnsyncCallback<()>,
}

/// The SSN or ITIN in the US, the foreign tax id elsewhere.
fn tax_id_field(fields: ComplianceFields, us: bool) -> AnyView {
    let check = move |f: Field| f.checked_by(move |path, v| fields.check(path, v));
    if us {
        view! {
            <TextField
                hint=t!(tin_hint)
                field=fields.tin
                testid="compliance-tin"
                inputmode="numeric"
                autocomplete="off"
                mask=mask_tin
                check=check(fields.tin)
            />
        }
        .into_any()
    } else {
        view! {
            <TextField
                hint=t!(foreign_tax_id_hint)
                field=fields.foreign_tax_id
                testid="compliance-foreign-tax-id"
                autocomplete="off"
                mask=mask_foreign_tax_id
                check=check(fields.foreign_tax_id)
            />
        }
        .into_any()
    }
}

/// The tax form.
pub fn tax_form(props: FormProps) -> impl IntoView {
    let (fields, us) = (props.fields, props.us);
    let check = move |f: Field| f.checked_by(move |path, v| fields.check(path, v));
    let address_check =
        Callback::new(move |(path, value): (&'static str, String)| fields.check(path, value));
    let country_check = fields.country.checked_by(move |path, value| {
        // The tax id and address rules follow the country: their old messages may not apply.
        for f in [fields.tin, fields.foreign_tax_id] {
            f.error.set(None);
        }
        fields.address.clear_country_errors();
        fields.check(path, value)
    });
    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=props.form.node
            data-testid="compliance-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                props.submit.run(());
            }
            on:change=move |ev: leptos::ev::Event| {
                let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                if target.is_some_and(|el| el.id() == fields.country.id()) {
                    fields.country_picked.set_value(true);
                }
            }
        >
            <p class="pf-body">{t!(compliance_intro)}</p>
            <SelectField
                field=fields.country
                testid="compliance-country"
                options=country_options()
                autocomplete="country"
                check=country_check
            />
            <TextField
                field=fields.first_name
                testid="compliance-first-name"
                autocomplete="given-name"
                check=check(fields.first_name)
            />
            <TextField
                field=fields.last_name
                testid="compliance-last-name"
                autocomplete="family-name"
                check=check(fields.last_name)
            />
            <TextField
                field=fields.date_of_birth
                testid="compliance-dob"
                input_type="date"
                autocomplete="bday"
                check=check(fields.date_of_birth)
            />
            {move || tax_id_field(fields, us.get())}
            <AddressFields
                state=fields.address
                us=us
                testid="compliance"
                check=address_check
            />
            {move || {
                props
                    .form
                    .alert
                    .get()
                    .map(|details| {
                        view! {
                            <ErrorAlert
                                message=t!(compliance_failed)
                                details=details.text()
                                testid="compliance-error"
                            />
                        }
                    })
            }}
            <div class="pf-actions">
                <SubmitButton
                    label=t!(save_tax_info)
                    busy_label=t!(saving)
                    busy=props.form.busy
                    testid="compliance-submit"
                />
            </div>
        </form>
    }
}

/// The confirmation; the server has recorded the step. `on_file`: what is shown is the data
/// another save had put on file before this one could (the step was complete), not this one's.
pub fn saved_view(answer: Submitted<Compliance>, on_file: bool) -> impl IntoView {
    let (form_line, tax_id) = saved_lines(&answer.data);
    view! {
        <div class="pf-result pf-result--success" role="status" data-testid="compliance-saved">
            <h2 class="pf-subtitle" id=SAVED_HEADING tabindex="-1">
                {t!(compliance_saved_title)}
            </h2>
            {on_file
                .then(|| {
                    view! {
                        <p class="pf-body" data-testid="compliance-on-file">{t!(compliance_on_file)}</p>
                    }
                })}
            <p class="pf-body">{form_line}</p>
            {tax_id.map(|line| view! { <p class="pf-body" data-testid="compliance-saved-tax-id">{line}</p> })}
        </div>
        <RecordedContinue step=StepName::Compliance flow=answer.flow testid="compliance-continue" />
    }
}
