//! The add-payout-method form, used by manage-payouts and, in place, by the payout step when
//! the user has no method yet: a platform picker (PayPal, Venmo, Cash App, bank account by ACH)
//! showing only that platform's fields, checked with the model's rules as the user leaves each
//! field and again on submit. Server field errors land on their fields; whatever the user typed
//! is kept on any error and cleared only once the method is saved.

use crate::context::{use_services, SessionApi};
use crate::forms::{check_field, field, platform_fields, server_errors, MethodInput};
use crate::steps::{field_id, show_errors, BankFields, BankFieldsState};
use crate::t;
use crate::ui::{Choice, ErrorAlert, FieldState, RadioGroup, SubmitButton, TextField};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::money::{PayoutMethod, PayoutPlatform};

/// Element id prefix of this form's fields.
const PREFIX: &str = "pf-method";

/// The platforms offered, in order, with their wire names as values.
fn platform_choices() -> Vec<Choice> {
    [
        (PayoutPlatform::Paypal, t!(platform_paypal)),
        (PayoutPlatform::Venmo, t!(platform_venmo)),
        (PayoutPlatform::CashApp, t!(platform_cash_app)),
        (PayoutPlatform::Ach, t!(platform_ach)),
    ]
    .into_iter()
    .map(|(p, key)| {
        Choice::new(
            p.as_str(),
            key,
            format!("platform-{}", p.as_str().replace('_', "-")),
        )
    })
    .collect()
}

fn platform_of(value: &str) -> PayoutPlatform {
    PayoutPlatform::ALL
        .into_iter()
        .find(|p| p.as_str() == value)
        .unwrap_or(PayoutPlatform::Paypal)
}

/// The fields of every platform; only the chosen platform's show and are sent. Copy, so
/// handlers capture it freely.
#[derive(Clone, Copy)]
struct MethodFields {
    bank: BankFieldsState,
    email: FieldState,
    handle: FieldState,
    cashtag: FieldState,
}

impl MethodFields {
    fn new() -> Self {
        MethodFields {
            bank: BankFieldsState::new(),
            email: FieldState::new(),
            handle: FieldState::new(),
            cashtag: FieldState::new(),
        }
    }

    /// Platform `p`'s fields, by name, in the form's order.
    fn chosen(self, p: PayoutPlatform) -> Vec<(&'static str, FieldState)> {
        let names = platform_fields(p);
        let [r, a, c] = self.bank.fields();
        [
            r,
            a,
            c,
            (field::EMAIL, self.email),
            (field::HANDLE, self.handle),
            (field::CASHTAG, self.cashtag),
        ]
        .into_iter()
        .filter(|(name, _)| names.contains(name))
        .collect()
    }

    /// What was typed, for platform `p`.
    fn input(self, p: PayoutPlatform) -> MethodInput {
        MethodInput {
            platform: p,
            bank: self.bank.input(),
            email: self.email.text(),
            handle: self.handle.text(),
            cashtag: self.cashtag.text(),
        }
    }

    /// Empties every field (the method was saved).
    fn clear(self) {
        self.bank.clear();
        for f in [self.email, self.handle, self.cashtag] {
            f.value.try_set(String::new());
        }
    }
}

/// The form's state. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct MethodForm {
    form: NodeRef<html::Form>,
    /// The chosen platform's wire name.
    platform: RwSignal<String>,
    fields: MethodFields,
    saving: RwSignal<bool>,
    form_error: RwSignal<Option<String>>,
}

impl MethodForm {
    /// Checks the chosen platform's fields, then saves the method once at a time.
    fn submit(self, api: &SessionApi, on_added: UnsyncCallback<PayoutMethod>) {
        if self.saving.get_untracked() {
            return;
        }
        let p = platform_of(&self.platform.get_untracked());
        self.form_error.set(None);
        let new = match self.fields.input(p).check() {
            Ok(new) => new,
            Err(errors) => {
                show_errors(self.form, PREFIX, &self.fields.chosen(p), &errors);
                return;
            }
        };
        self.saving.set(true);
        let call = api.add_payout_method(new);
        spawn_local(async move {
            let result = call.await;
            self.saving.try_set(false);
            match result {
                Ok(method) => {
                    self.fields.clear();
                    on_added.run(method);
                }
                Err(failure) => {
                    let fields = self.fields.chosen(p);
                    let names: Vec<&'static str> = fields.iter().map(|(n, _)| *n).collect();
                    let (mapped, rest) = server_errors(&failure, &names);
                    if !mapped.is_empty() {
                        show_errors(self.form, PREFIX, &fields, &mapped);
                    }
                    self.form_error.try_set(rest);
                }
            }
        });
    }
}

/// Adds a payout method; `on_added` gets it once the server has saved it.
#[component]
pub fn AddMethodForm(
    /// Runs with the saved method.
    #[prop(into)]
    on_added: UnsyncCallback<PayoutMethod>,
) -> impl IntoView {
    let api = use_services().api;
    let m = MethodForm {
        form: NodeRef::new(),
        platform: RwSignal::new(PayoutPlatform::Paypal.as_str().to_owned()),
        fields: MethodFields::new(),
        saving: RwSignal::new(false),
        form_error: RwSignal::new(None),
    };
    let form_error = m.form_error;

    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=m.form
            data-testid="add-method-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                m.submit(&api, on_added);
            }
        >
            <RadioGroup
                name=format!("{PREFIX}-platform")
                legend=t!(field_platform)
                options=Signal::stored(platform_choices())
                selected=m.platform
                testid="platform"
            />
            <PlatformFields platform=m.platform fields=m.fields />
            {move || {
                form_error
                    .get()
                    .map(|details| {
                        view! {
                            <ErrorAlert
                                message=t!(add_method_failed)
                                details=details
                                testid="add-method-error"
                            />
                        }
                    })
            }}
            <div class="pf-actions">
                <SubmitButton
                    label=t!(add_method)
                    busy_label=t!(adding)
                    busy=m.saving
                    testid="add-method-submit"
                />
            </div>
        </form>
    }
}

/// The chosen platform's fields.
#[component]
fn PlatformFields(
    /// The chosen platform's wire name.
    platform: RwSignal<String>,
    /// Every platform's fields.
    fields: MethodFields,
) -> impl IntoView {
    let MethodFields {
        bank,
        email,
        handle,
        cashtag,
    } = fields;
    move || match platform_of(&platform.get()) {
        PayoutPlatform::Paypal => single_field(
            field::EMAIL,
            email,
            t!(field_paypal_email),
            t!(paypal_email_hint),
            "paypal-email",
            "email",
            "email",
        )
        .into_any(),
        PayoutPlatform::Venmo => single_field(
            field::HANDLE,
            handle,
            t!(field_venmo),
            t!(venmo_hint),
            "venmo-handle",
            "text",
            "off",
        )
        .into_any(),
        PayoutPlatform::CashApp => single_field(
            field::CASHTAG,
            cashtag,
            t!(field_cashtag),
            t!(cashtag_hint),
            "cashtag",
            "text",
            "off",
        )
        .into_any(),
        PayoutPlatform::Ach => view! { <BankFields state=bank prefix=PREFIX /> }.into_any(),
    }
}

/// The one field of a platform that takes a single value (an email, a handle, a cashtag).
fn single_field(
    name: &'static str,
    state: FieldState,
    label: &'static str,
    hint: &'static str,
    testid: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <TextField
            id=field_id(PREFIX, name)
            label=label
            hint=hint
            field=state
            testid=testid
            inputmode=inputmode
            autocomplete=autocomplete
            check=Callback::new(move |v: String| check_field(name, &v).err())
        />
    }
}
