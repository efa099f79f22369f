//! The add-payout-method form, used by manage-payouts and, in place, by the payout step when
//! the user has no method yet: a platform picker (PayPal, Venmo, Cash App, bank account by ACH)
//! showing only that platform's fields, checked with the model's rules as the user leaves each
//! field and again on submit. Server field errors land on their fields; whatever the user typed
//! is kept on any error and cleared only once the method is saved.

use crate::context::use_services;
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

/// Adds a payout method; `on_added` gets it once the server has saved it.
#[component]
pub fn AddMethodForm(
    /// Runs with the saved method.
    #[prop(into)]
    on_added: UnsyncCallback<PayoutMethod>,
) -> impl IntoView {
    let services = use_services();
    let platform = RwSignal::new(PayoutPlatform::Paypal.as_str().to_owned());
    let bank = BankFieldsState::new();
    let email = FieldState::new();
    let handle = FieldState::new();
    let cashtag = FieldState::new();
    let saving = RwSignal::new(false);
    let form_error = RwSignal::new(None::<String>);
    let form = NodeRef::<html::Form>::new();

    let all_fields = move || {
        let [r, a, c] = bank.fields();
        [
            r,
            a,
            c,
            (field::EMAIL, email),
            (field::HANDLE, handle),
            (field::CASHTAG, cashtag),
        ]
    };
    let chosen_fields = move |p: PayoutPlatform| -> Vec<(&'static str, FieldState)> {
        let names = platform_fields(p);
        all_fields()
            .into_iter()
            .filter(|(name, _)| names.contains(name))
            .collect()
    };

    let submit = UnsyncCallback::new(move |()| {
        if saving.get_untracked() {
            return;
        }
        let p = platform_of(&platform.get_untracked());
        let input = MethodInput {
            platform: p,
            bank: bank.input(),
            email: email.text(),
            handle: handle.text(),
            cashtag: cashtag.text(),
        };
        form_error.set(None);
        let new = match input.check() {
            Ok(new) => new,
            Err(errors) => {
                show_errors(form, PREFIX, &chosen_fields(p), &errors);
                return;
            }
        };
        saving.set(true);
        let (api, on_added) = (services.api.clone(), on_added);
        spawn_local(async move {
            let result = api.add_payout_method(new).await;
            saving.try_set(false);
            match result {
                Ok(method) => {
                    bank.clear();
                    for f in [email, handle, cashtag] {
                        f.value.try_set(String::new());
                    }
                    on_added.run(method);
                }
                Err(failure) => {
                    let fields = chosen_fields(p);
                    let names: Vec<&'static str> = fields.iter().map(|(n, _)| *n).collect();
                    let (mapped, rest) = server_errors(&failure, &names);
                    if !mapped.is_empty() {
                        show_errors(form, PREFIX, &fields, &mapped);
                    }
                    form_error.try_set(rest);
                }
            }
        });
    });

    let single = move |name: &'static str,
                       state: FieldState,
                       label: &'static str,
                       hint: &'static str,
                       testid: &'static str,
                       inputmode: &'static str,
                       autocomplete: &'static str| {
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
    };
    let fields = move || match platform_of(&platform.get()) {
        PayoutPlatform::Paypal => single(
            field::EMAIL,
            email,
            t!(field_paypal_email),
            t!(paypal_email_hint),
            "paypal-email",
            "email",
            "email",
        )
        .into_any(),
        PayoutPlatform::Venmo => single(
            field::HANDLE,
            handle,
            t!(field_venmo),
            t!(venmo_hint),
            "venmo-handle",
            "text",
            "off",
        )
        .into_any(),
        PayoutPlatform::CashApp => single(
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
    };

    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=form
            data-testid="add-method-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                submit.run(());
            }
        >
            <RadioGroup
                name=format!("{PREFIX}-platform")
                legend=t!(field_platform)
                options=Signal::stored(platform_choices())
                selected=platform
                testid="platform"
            />
            {fields}
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
                    busy=saving
                    testid="add-method-submit"
                />
            </div>
        </form>
    }
}
