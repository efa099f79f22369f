//! The form that connects a bank account: the bank fields, the server's refusal, and the
//! submit button (busy while saving).

use super::PREFIX;
use crate::steps::{BankFields, BankFieldsState};
use crate::t;
use crate::ui::{ErrorAlert, Form, SubmitButton};
use leptos::prelude::*;

/// The "Add a bank account" section; `on_add` runs on submit.
pub fn add_bank_form(
    bank: BankFieldsState,
    form: Form,
    on_add: UnsyncCallback<()>,
) -> impl IntoView {
    view! {
        <section class="pf-section" aria-labelledby="pf-add-bank-heading">
            <h2 class="pf-subtitle" id="pf-add-bank-heading">
                {t!(add_bank_heading)}
            </h2>
            <form
                class="pf-form"
                novalidate=true
                node_ref=form.node
                data-testid="add-bank-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    on_add.run(());
                }
            >
                <BankFields state=bank prefix=PREFIX />
                {move || {
                    form.alert
                        .get()
                        .map(|details| {
                            view! {
                                <ErrorAlert
                                    message=t!(add_bank_failed)
                                    details=details.text()
                                    testid="add-bank-error"
                                />
                            }
                        })
                }}
                <div class="pf-actions">
                    <SubmitButton
                        label=t!(add_bank)
                        busy_label=t!(adding)
                        busy=form.busy
                        testid="add-bank-submit"
                    />
                </div>
            </form>
        </section>
    }
}
