//! The US bank account fields, shared by manage-payments and the ACH payout method: routing
//! number (ABA checksum), account number typed twice, checking or savings.
//!
//! The account number is sensitive: the inputs are `type=password` (with a Show toggle that
//! reveals both), `inputmode=numeric` for the phone keypad, and `autocomplete=off`. What is typed
//! stays in memory only and is kept on every error.

use crate::forms::{check_confirmation, check_field, field, BankInput, FieldErrors};
use crate::steps::field_id;
use crate::t;
use crate::ui::{Choice, FieldState, RadioGroup, TextField};
use leptos::prelude::*;
use payout_model::money::AccountType;

/// What the bank fields hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy, Debug)]
pub struct BankFieldsState {
    /// Routing number.
    pub routing: FieldState,
    /// Account number.
    pub account: FieldState,
    /// Account number, typed again.
    pub confirm: FieldState,
    /// `checking` or `savings`.
    pub account_type: RwSignal<String>,
    /// Whether the account numbers show in clear.
    pub show: RwSignal<bool>,
}

impl BankFieldsState {
    /// Empty fields, checking selected.
    pub fn new() -> Self {
        BankFieldsState {
            routing: FieldState::new(),
            account: FieldState::new(),
            confirm: FieldState::new(),
            account_type: RwSignal::new("checking".to_owned()),
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

    /// The text fields by their server names, in form order.
    pub fn fields(&self) -> [(&'static str, FieldState); 3] {
        [
            (field::ROUTING_NUMBER, self.routing),
            (field::ACCOUNT_NUMBER, self.account),
            (field::ACCOUNT_NUMBER_CONFIRM, self.confirm),
        ]
    }

    /// Empties the fields after a successful save.
    pub fn clear(&self) {
        for (_, f) in self.fields() {
            f.value.set(String::new());
            f.error.set(None);
        }
        self.show.set(false);
    }

    /// Whether `errors` names one of these fields.
    pub fn has_errors(errors: &FieldErrors) -> bool {
        [
            field::ROUTING_NUMBER,
            field::ACCOUNT_NUMBER,
            field::ACCOUNT_NUMBER_CONFIRM,
        ]
        .iter()
        .any(|f| errors.contains_key(f))
    }
}

impl Default for BankFieldsState {
    fn default() -> Self {
        Self::new()
    }
}

/// The bank account fields; element ids start with `prefix`.
#[component]
pub fn BankFields(
    /// What the fields hold.
    state: BankFieldsState,
    /// Element id prefix, unique on the screen.
    prefix: &'static str,
) -> impl IntoView {
    let account = state.account;
    let masked = Signal::derive(move || if state.show.get() { "text" } else { "password" });
    let toggle_label = move || {
        if state.show.get() {
            t!(hide_account_numbers)
        } else {
            t!(show_account_numbers)
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
            id=field_id(prefix, field::ROUTING_NUMBER)
            label=t!(field_routing_number)
            hint=t!(routing_number_hint)
            field=state.routing
            testid="routing-number"
            inputmode="numeric"
            autocomplete="off"
            check=Callback::new(|v: String| check_field(field::ROUTING_NUMBER, &v).err())
        />
        <TextField
            id=field_id(prefix, field::ACCOUNT_NUMBER)
            label=t!(field_account_number)
            hint=t!(account_number_hint)
            field=account
            testid="account-number"
            input_type=masked
            inputmode="numeric"
            autocomplete="off"
            check=Callback::new(|v: String| check_field(field::ACCOUNT_NUMBER, &v).err())
        >
            <button
                type="button"
                class="pf-button pf-button--secondary pf-field__toggle"
                data-testid="account-number-show"
                aria-pressed=move || if state.show.get() { "true" } else { "false" }
                on:click=move |_| state.show.update(|s| *s = !*s)
            >
                {toggle_label}
            </button>
        </TextField>
        <TextField
            id=field_id(prefix, field::ACCOUNT_NUMBER_CONFIRM)
            label=t!(field_account_number_confirm)
            field=state.confirm
            testid="account-number-confirm"
            input_type=masked
            inputmode="numeric"
            autocomplete="off"
            check=Callback::new(move |v: String| {
                check_confirmation(&account.value.get_untracked(), &v).err()
            })
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
