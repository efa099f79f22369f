//! The US bank account fields, shared by manage-payments and the ACH payout method: routing
//! number (ABA checksum), account number typed twice, checking or savings.
//!
//! The account number is sensitive: the inputs show dots (CSS `-webkit-text-security`, with a
//! Show toggle that reveals both; not `type=password`, which browsers offer to save in their
//! password managers whatever `autocomplete` says), `inputmode=numeric` for the phone keypad,
//! and `autocomplete=off`. What is typed stays in memory only and is kept on every error. A
//! screen reader reads a text input's digits as it would any field's (a password field's it
//! would not): the price of keeping the number out of password managers.

use crate::forms::{field, BankInput, Rejected};
use crate::t;
use crate::ui::{Choice, Field, Form, RadioGroup, TextField};
use leptos::prelude::*;
use payout_model::money::AccountType;

/// What the bank fields hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
pub struct BankFieldsState {
    /// Routing number.
    pub routing: Field,
    /// Account number.
    pub account: Field,
    /// Account number, typed again.
    pub confirm: Field,
    /// `checking` or `savings`.
    pub account_type: RwSignal<String>,
    /// Whether the account numbers show in clear.
    pub show: RwSignal<bool>,
}

impl BankFieldsState {
    /// Empty fields of `form`, checking selected.
    pub fn new(form: &Form) -> Self {
        BankFieldsState {
            routing: form.field(field::ROUTING_NUMBER, || t!(field_routing_number)),
            account: form.field(field::ACCOUNT_NUMBER, || t!(field_account_number)),
            confirm: form.field(field::ACCOUNT_NUMBER_CONFIRM, || {
                t!(field_account_number_confirm)
            }),
            account_type: form.kept("account_type", "checking"),
            show: RwSignal::new(false),
        }
    }

    /// What is typed, for checking.
    pub fn input(&self) -> BankInput {
        BankInput {
            routing_number: self.routing.text(),
            account_number: self.account.text(),
            account_number_confirm: self.confirm.text(),
            account_type: if self.account_type.get_untracked() == "savings" {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
        }
    }

    /// The text fields, in form order.
    pub fn fields(&self) -> [Field; 3] {
        [self.routing, self.account, self.confirm]
    }

    /// The inline check of the field at `path` holding `value`, by the whole account's rules.
    pub fn check(self, path: &'static str, value: String) -> Option<Rejected> {
        let mut input = self.input();
        match path {
            field::ROUTING_NUMBER => input.routing_number = value,
            field::ACCOUNT_NUMBER => input.account_number = value,
            field::ACCOUNT_NUMBER_CONFIRM => input.account_number_confirm = value,
            _ => return None,
        }
        input.check().err()
    }

    /// Empties the fields after a successful save.
    pub fn clear(&self) {
        for f in self.fields() {
            f.value.try_set(String::new());
            f.error.try_set(None);
        }
        self.show.try_set(false);
    }
}

/// The bank account fields; the account type's radio ids start with `prefix`.
#[component]
pub fn BankFields(
    /// What the fields hold.
    state: BankFieldsState,
    /// Element id prefix, unique on the screen.
    prefix: &'static str,
) -> impl IntoView {
    let check = move |f: Field| f.checked_by(move |path, value| state.check(path, value));
    let concealed = Signal::derive(move || !state.show.get());
    // The label says what a press does ("Hide" once shown), so the button is no toggle with
    // `aria-pressed` (review: a screen reader said "Hide, toggle button, pressed"); its name
    // says what it shows or hides, beginning with the word on it.
    let toggle_label = move || {
        if state.show.get() {
            t!(hide_account_numbers)
        } else {
            t!(show_account_numbers)
        }
    };
    let toggle_name = move || {
        if state.show.get() {
            t!(hide_account_numbers_name)
        } else {
            t!(show_account_numbers_name)
        }
    };
    let types = Signal::stored(vec![
        Choice::new(
            "checking",
            t!(account_type_checking),
            "account-type-checking",
        ),
        Choice::new("savings", t!(account_type_savings), "account-type-savings"),
    ]);
    view! {
        <TextField
            hint=t!(routing_number_hint)
            field=state.routing
            testid="routing-number"
            inputmode="numeric"
            autocomplete="off"
            check=check(state.routing)
        />
        <TextField
            hint=t!(account_number_hint)
            field=state.account
            testid="account-number"
            concealed=concealed
            inputmode="numeric"
            autocomplete="off"
            check=check(state.account)
        >
            <button
                type="button"
                class="pf-button pf-button--secondary pf-field__toggle"
                data-testid="account-number-show"
                aria-label=toggle_name
                on:click=move |_| state.show.update(|s| *s = !*s)
            >
                {toggle_label}
            </button>
        </TextField>
        <TextField
            field=state.confirm
            testid="account-number-confirm"
            concealed=concealed
            inputmode="numeric"
            autocomplete="off"
            check=check(state.confirm)
        />
        <RadioGroup
            name=format!("{prefix}-account-type")
            legend=t!(field_account_type)
            options=types
            selected=state.account_type
            testid="account-type"
        />
    }
}
