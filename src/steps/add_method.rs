//! The add-payout-method form, used by manage-payouts and, in place, by the payout step when
//! the user has no method yet: a platform picker (PayPal, Venmo, Cash App, bank account by ACH)
//! showing only that platform's fields, checked with the model's rules as the user leaves each
//! field and again on submit ([`Form::submit`]). Server field errors land on their fields;
//! whatever the user typed is kept on any error and cleared only once the method is saved.

use crate::api::{or_found_after, ApiFailure, UnsureAdd};
use crate::context::use_services;
use crate::forms::{field, platform_name, MethodInput, Rejected};
use crate::i18n::keep;
use crate::steps::{BankFields, BankFieldsState};
use crate::t;
use crate::ui::{Choice, ErrorAlert, Field, Form, RadioGroup, SubmitButton, TextField};
use leptos::prelude::*;
use payout_model::money::{NewPayoutMethod, PayoutMethod, PayoutMethodList, PayoutPlatform};
use payout_model::{Denial, ErrorCode};
use std::rc::Rc;
use uuid::Uuid;

/// Element id prefix of this form's fields.
const PREFIX: &str = "pf-method";

/// The platforms offered, in order, with their wire names as values.
fn platform_choices() -> Vec<Choice> {
    [
        PayoutPlatform::Paypal,
        PayoutPlatform::Venmo,
        PayoutPlatform::CashApp,
        PayoutPlatform::Ach,
    ]
    .into_iter()
    .map(|p| {
        Choice::new(
            p.as_str(),
            platform_name(p),
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
    /// The chosen platform's wire name.
    platform: RwSignal<String>,
    bank: BankFieldsState,
    email: Field,
    handle: Field,
    cashtag: Field,
}

impl MethodFields {
    fn new(form: &Form) -> Self {
        MethodFields {
            platform: form.kept("platform", PayoutPlatform::Paypal.as_str()),
            bank: BankFieldsState::new(form),
            email: form.field(field::EMAIL, || t!(field_paypal_email)),
            handle: form.field(field::HANDLE, || t!(field_venmo)),
            cashtag: form.field(field::CASHTAG, || t!(field_cashtag)),
        }
    }

    fn chosen(self) -> PayoutPlatform {
        platform_of(&self.platform.get_untracked())
    }

    /// The chosen platform's fields, in the form's order.
    fn shown(self) -> Vec<Field> {
        match self.chosen() {
            PayoutPlatform::Ach => self.bank.fields().to_vec(),
            PayoutPlatform::Paypal => vec![self.email],
            PayoutPlatform::Venmo => vec![self.handle],
            PayoutPlatform::CashApp => vec![self.cashtag],
        }
    }

    /// What was typed, for the chosen platform.
    fn input(self) -> MethodInput {
        MethodInput {
            platform: self.chosen(),
            bank: self.bank.input(),
            email: self.email.text(),
            handle: self.handle.text(),
            cashtag: self.cashtag.text(),
        }
    }

    /// The inline check of a single-value field (an email, a handle, a cashtag).
    fn check(self, path: &'static str, value: String) -> Option<Rejected> {
        let mut input = self.input();
        match path {
            field::EMAIL => input.email = value,
            field::HANDLE => input.handle = value,
            field::CASHTAG => input.cashtag = value,
            _ => return None,
        }
        input.check().err()
    }

    /// Empties every field (the method was saved).
    fn clear(self) {
        self.bank.clear();
        for f in [self.email, self.handle, self.cashtag] {
            f.value.try_set(String::new());
        }
    }
}

/// Whether `failure` is the payout step's refusal of a second method (403 `step_not_allowed`,
/// [`Denial::PayoutStepHasMethods`], which the server words as the denial's text): then an
/// earlier add, whose answer was lost, made the first.
fn has_a_method_already(failure: &ApiFailure) -> bool {
    matches!(failure, ApiFailure::Api(e) if e.code == ErrorCode::StepNotAllowed
        && e.message == Denial::PayoutStepHasMethods.to_string())
}

/// Whether `stored` (a method's `account` as the server wrote it) is the account `typed` shows
/// ([`NewPayoutMethod::account_shown`] of what was sent, before the server's own clean-up): a
/// bank account's kept digits end its number's tail (the server may keep fewer), a phone
/// number's digits are the same (`415-555-0123` is kept as `(415) 555-0123`), and anything else
/// is the same text, case aside.
fn same_account(stored: &str, typed: &str) -> bool {
    use payout_model::digits;
    if typed.starts_with('•') {
        let kept = digits(stored);
        return stored.starts_with('•') && !kept.is_empty() && digits(typed).ends_with(&kept);
    }
    if !typed.chars().any(char::is_alphabetic) && !digits(typed).is_empty() {
        return digits(stored) == digits(typed);
    }
    stored.eq_ignore_ascii_case(typed)
}

/// Adds a payout method; `on_added` gets it once the server has saved it. An add that failed
/// but may have been saved (no answer, or a 5xx), or (with `first_only`) was refused because
/// the user has a method already, looks for it among the user's methods and, found, adds it as
/// if answered: so a press of Add again makes no second one, and the payout step is not left
/// refusing the retry. Found is the newest of that rail and account type that the screen did
/// not show when the add was sent (not by its account, which the server may write otherwise:
/// a Venmo phone number, a short bank account's tail); when the screen showed no list (still
/// loading, or its load failed), by its account too, so one the user had is not taken for it.
/// Should that lookup fail too, the next press of the same add looks first ([`or_found_after`]).
#[component]
pub fn AddMethodForm(
    /// Runs with the saved method.
    #[prop(into)]
    on_added: UnsyncCallback<PayoutMethod>,
    /// The ids of the methods the screen shows, or `None` while it shows no list.
    #[prop(into)]
    shown: Signal<Option<Vec<Uuid>>>,
    /// Whether the step adds only a first method (the payout step).
    #[prop(optional)]
    first_only: bool,
) -> impl IntoView {
    // Kept across a change of language: a method being added is not lost when the form is
    // drawn again.
    let (api, form, fields, unsure) = keep("add-method", || {
        let form = Form::new(PREFIX);
        let unsure: UnsureAdd<NewPayoutMethod, PayoutMethod, PayoutMethodList> = Rc::default();
        (use_services().api, form, MethodFields::new(&form), unsure)
    });
    let submit = move || {
        let (api, unsure) = (api.clone(), unsure.clone());
        form.submit(
            move || fields.shown(),
            fields.input().check(),
            move |new: NewPayoutMethod| {
                let (platform, account_type) = (new.platform(), new.account_type());
                let (known, account) = (shown.get_untracked(), new.account_shown());
                // By the account too where the screen showed no list to leave out, and in the
                // payout step, whose list is empty: a method of that rail made elsewhere (another
                // tab, the host) is not taken for this one.
                let by_account = first_only || known.is_none();
                let found = move |list: PayoutMethodList, later: bool| {
                    let mut list = list.data.into_iter().rev();
                    list.find(|m| {
                        known.as_ref().is_none_or(|known| !known.contains(&m.id))
                            && (!(by_account || later) || same_account(&m.account, &account))
                            && m.platform == platform
                            && m.account_type == account_type
                    })
                };
                let methods = api.clone();
                let list = move || methods.payout_methods();
                let saved_before = if first_only {
                    has_a_method_already
                } else {
                    |_: &ApiFailure| false
                };
                let add = move |new| api.add_payout_method(new);
                or_found_after(new, &unsure, add, saved_before, list, found)
            },
            move |method| {
                fields.clear();
                on_added.run(method);
            },
        );
    };

    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=form.node
            data-testid="add-method-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                submit();
            }
        >
            <RadioGroup
                name=format!("{PREFIX}-platform")
                legend=t!(field_platform)
                options=Signal::stored(platform_choices())
                selected=fields.platform
                testid="platform"
            />
            <PlatformFields fields=fields />
            {move || {
                form.alert
                    .get()
                    .map(|details| {
                        view! {
                            <ErrorAlert
                                message=t!(add_method_failed)
                                details=details.text()
                                testid="add-method-error"
                            />
                        }
                    })
            }}
            <div class="pf-actions">
                <SubmitButton
                    label=t!(add_method)
                    busy_label=t!(adding)
                    busy=form.busy
                    testid="add-method-submit"
                />
            </div>
        </form>
    }
}

/// The chosen platform's fields.
#[component]
fn PlatformFields(
    /// Every platform's fields, and the chosen platform.
    fields: MethodFields,
) -> impl IntoView {
    let single = move |field: Field, hint, testid, inputmode, autocomplete| {
        single_field(field, fields, hint, testid, inputmode, autocomplete).into_any()
    };
    move || match platform_of(&fields.platform.get()) {
        PayoutPlatform::Paypal => single(
            fields.email,
            t!(paypal_email_hint),
            "paypal-email",
            "email",
            "email",
        ),
        PayoutPlatform::Venmo => {
            single(fields.handle, t!(venmo_hint), "venmo-handle", "text", "off")
        }
        PayoutPlatform::CashApp => {
            single(fields.cashtag, t!(cashtag_hint), "cashtag", "text", "off")
        }
        PayoutPlatform::Ach => view! { <BankFields state=fields.bank prefix=PREFIX /> }.into_any(),
    }
}

/// The one field of a platform that takes a single value (an email, a handle, a cashtag).
fn single_field(
    field: Field,
    fields: MethodFields,
    hint: &'static str,
    testid: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <TextField
            hint=hint
            field=field
            testid=testid
            inputmode=inputmode
            autocomplete=autocomplete
            check=field.checked_by(move |path, value| fields.check(path, value))
        />
    }
}

#[cfg(test)]
mod tests {
    use super::same_account;

    #[test]
    fn an_account_is_known_in_the_servers_writing() {
        assert!(same_account("ada@example.com", "Ada@Example.com"));
        assert!(!same_account("bob@example.com", "ada@example.com"));
        assert!(same_account("(415) 555-0123", "415-555-0123"));
        assert!(!same_account("(415) 555-0124", "415-555-0123"));
        assert!(same_account("@ada", "@ada"));
        assert!(!same_account("@ada1", "@ada2"));
        assert!(same_account("••••6789", "••••6789"));
        assert!(
            same_account("••••456", "••••3456"),
            "a short number's shorter tail"
        );
        assert!(!same_account("••••1234", "••••6789"));
        assert!(same_account("$ada", "$Ada"));
    }
}
