//! The rules of the money forms, as pure functions: each field is checked with the model's rule
//! (so the app shows the same message the server would), the server's field errors are mapped
//! back onto the form's fields, and the payout amount and quote are worded. No browser, no
//! signals: unit tested with plain `#[test]`.
//!
//! A broken rule is the model's typed [`Rule`], worded here through the i18n as one sentence
//! with the field's label (`Routing number must be 9 digits`, [`rule_text`]). The server's 422
//! `fields` carry their rule too (`"rule":{"code":"wrong_code","tries_left":2}`), worded the
//! same way; only a field error without a rule this build knows (an older or newer server)
//! shows the server's English `message` after the label ([`server_message`]).

use crate::api::ApiFailure;
use crate::i18n::{failure_details, rule_text};
use crate::t;
use payout_model::money::{
    check_account_number, check_cashtag, check_positive_amount, check_routing_number, check_venmo,
    format_cents, parse_dollars, AccountType, BankAccount, Cents, FeeParty, NewBankAccount,
    NewPayoutMethod, PayoutMethod, PayoutPlatform, PayoutQuote,
};
use payout_model::user::check_email;
use payout_model::{FieldError, Invalid, Rule};
use std::collections::BTreeMap;

/// Field names, as the server names them in an error's `fields` (and the form's own
/// `account_number_confirm`).
pub mod field {
    /// ABA routing number.
    pub const ROUTING_NUMBER: &str = "routing_number";
    /// Bank account number.
    pub const ACCOUNT_NUMBER: &str = "account_number";
    /// The account number typed again (the form's own field; never sent).
    pub const ACCOUNT_NUMBER_CONFIRM: &str = "account_number_confirm";
    /// PayPal email.
    pub const EMAIL: &str = "email";
    /// Venmo handle or phone number.
    pub const HANDLE: &str = "handle";
    /// Cash App cashtag.
    pub const CASHTAG: &str = "cashtag";
    /// Payout amount.
    pub const AMOUNT: &str = "amount";
    /// The payout method of a payout.
    pub const PAYOUT_METHOD_ID: &str = "payout_method_id";
}

/// Field name → message for people, in field order.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// The name of `name`'s field as messages use it (`Routing number`).
pub fn field_label(name: &str) -> &'static str {
    match name {
        field::ROUTING_NUMBER => t!(field_routing_number),
        field::ACCOUNT_NUMBER => t!(field_account_number),
        field::ACCOUNT_NUMBER_CONFIRM => t!(field_account_number_confirm),
        field::EMAIL => t!(field_paypal_email),
        field::HANDLE => t!(field_venmo),
        field::CASHTAG => t!(field_cashtag),
        field::AMOUNT => t!(field_amount),
        _ => t!(field_payout_method),
    }
}

/// Field `name` broke `rule`, worded: `Routing number must be 9 digits`.
pub fn worded(name: &str, rule: Rule) -> String {
    rule_text(field_label(name), rule)
}

/// A field error from the server's 422 `fields`, worded with the field's `label`: from its
/// `rule` in the user's language, or, when it has none this build knows, the server's English
/// `message` after the label.
pub fn server_message(label: &str, field: &FieldError) -> String {
    match field.rule {
        Some(rule) => rule_text(label, rule),
        None => {
            let message = field.message.as_str();
            t!(field_message, label, message)
        }
    }
}

/// Checks `value` of the text field `name` by the model's rule; `Err` holds the worded message.
pub fn check_field(name: &str, value: &str) -> Result<(), String> {
    let rule = match name {
        field::ROUTING_NUMBER => check_routing_number(value),
        field::ACCOUNT_NUMBER => check_account_number(value),
        field::EMAIL => check_email(value),
        field::HANDLE => check_venmo(value),
        field::CASHTAG => check_cashtag(value),
        _ => Ok(()),
    };
    rule.map_err(|rule| worded(name, rule))
}

/// The account number typed again must be there and match.
pub fn check_confirmation(account_number: &str, confirmation: &str) -> Result<(), String> {
    if confirmation.trim().is_empty() {
        return Err(worded(field::ACCOUNT_NUMBER_CONFIRM, Rule::Required));
    }
    if confirmation.trim() != account_number.trim() {
        return Err(t!(account_numbers_differ).to_owned());
    }
    Ok(())
}

/// A bank account as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankInput {
    /// Routing number.
    pub routing_number: String,
    /// Account number.
    pub account_number: String,
    /// Account number, typed again.
    pub account_number_confirm: String,
    /// Checking or savings.
    pub account_type: AccountType,
}

impl BankInput {
    /// The account to send, or every field's error.
    pub fn check(&self) -> Result<NewBankAccount, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (name, value) in [
            (field::ROUTING_NUMBER, &self.routing_number),
            (field::ACCOUNT_NUMBER, &self.account_number),
        ] {
            if let Err(m) = check_field(name, value) {
                errors.insert(name, m);
            }
        }
        if let Err(m) = check_confirmation(&self.account_number, &self.account_number_confirm) {
            errors.insert(field::ACCOUNT_NUMBER_CONFIRM, m);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewBankAccount {
            routing_number: self.routing_number.trim().to_owned(),
            account_number: self.account_number.trim().to_owned(),
            account_type: self.account_type,
        })
    }
}

/// A payout method as typed: the chosen platform and what was typed for each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodInput {
    /// The chosen rail; only its fields are checked and sent.
    pub platform: PayoutPlatform,
    /// For ACH.
    pub bank: BankInput,
    /// For PayPal.
    pub email: String,
    /// For Venmo.
    pub handle: String,
    /// For Cash App.
    pub cashtag: String,
}

impl MethodInput {
    /// The method to send, or the chosen platform's fields' errors.
    pub fn check(&self) -> Result<NewPayoutMethod, FieldErrors> {
        let single = |name: &'static str, value: &str| {
            check_field(name, value)
                .map(|()| value.trim().to_owned())
                .map_err(|m| FieldErrors::from([(name, m)]))
        };
        Ok(match self.platform {
            PayoutPlatform::Ach => {
                let bank = self.bank.check()?;
                NewPayoutMethod::Ach {
                    routing_number: bank.routing_number,
                    account_number: bank.account_number,
                    account_type: bank.account_type,
                }
            }
            PayoutPlatform::Paypal => NewPayoutMethod::Paypal {
                email: single(field::EMAIL, &self.email)?,
            },
            PayoutPlatform::Venmo => NewPayoutMethod::Venmo {
                handle: single(field::HANDLE, &self.handle)?,
            },
            PayoutPlatform::CashApp => NewPayoutMethod::CashApp {
                cashtag: single(field::CASHTAG, &self.cashtag)?,
            },
        })
    }
}

/// The fields a platform's form shows, in order.
pub fn platform_fields(platform: PayoutPlatform) -> &'static [&'static str] {
    match platform {
        PayoutPlatform::Ach => &[
            field::ROUTING_NUMBER,
            field::ACCOUNT_NUMBER,
            field::ACCOUNT_NUMBER_CONFIRM,
        ],
        PayoutPlatform::Paypal => &[field::EMAIL],
        PayoutPlatform::Venmo => &[field::HANDLE],
        PayoutPlatform::CashApp => &[field::CASHTAG],
    }
}

/// Splits a failed request into the errors of the form's `fields` (worded, from the server's
/// 422 `fields`) and what is left for the form as a whole: the server's message, or the
/// browser's when no answer came. Both empty never happens: a failure always says something.
pub fn server_errors(
    failure: &ApiFailure,
    fields: &[&'static str],
) -> (FieldErrors, Option<String>) {
    let labelled: Vec<(&'static str, &'static str)> = fields
        .iter()
        .map(|name| (*name, field_label(name)))
        .collect();
    split_errors(failure, &labelled)
}

/// [`server_errors`] for forms whose fields are given as `(path, label)`: the path as the
/// request names it (`address.postal_code`), the label as messages use it (`ZIP code`). Client
/// checks that produce the model's [`ApiError`](payout_model::ApiError) go through here too, so
/// a rule reads the same whichever side caught it.
pub fn split_errors(
    failure: &ApiFailure,
    fields: &[(&'static str, &'static str)],
) -> (FieldErrors, Option<String>) {
    let mut mapped = FieldErrors::new();
    let mut rest = Vec::new();
    match failure.api_error() {
        Some(e) if !e.fields.is_empty() => {
            for f in &e.fields {
                match fields.iter().find(|(name, _)| *name == f.field) {
                    Some((name, label)) => {
                        mapped
                            .entry(name)
                            .or_insert_with(|| server_message(label, f));
                    }
                    None => rest.push(match f.rule {
                        Some(rule) => rule_text(&f.field, rule),
                        None => format!("{}: {}", f.field, f.message),
                    }),
                }
            }
        }
        _ => rest.push(failure_details(failure)),
    }
    (mapped, (!rest.is_empty()).then(|| rest.join("; ")))
}

/// [`split_errors`] for the model's own check, run before anything is sent: each broken rule
/// worded with its field's label; a field the form does not show goes to the form as a whole.
pub fn invalid_errors(
    invalid: &Invalid,
    fields: &[(&'static str, &'static str)],
) -> (FieldErrors, Option<String>) {
    let mut mapped = FieldErrors::new();
    let mut rest = Vec::new();
    for v in &invalid.0 {
        match fields.iter().find(|(name, _)| *name == v.field) {
            Some((name, label)) => {
                mapped
                    .entry(name)
                    .or_insert_with(|| rule_text(label, v.rule));
            }
            None => rest.push(rule_text(&v.field, v.rule)),
        }
    }
    (mapped, (!rest.is_empty()).then(|| rest.join("; ")))
}

/// The amount field checked: dollars as typed (`12.34`, `$1,234`), at least a cent, at least
/// the flow's `minimum` payout (worded as the sandbox words it: `must be at least $1.00`), at
/// most `withdrawable`. `Err` holds the worded message.
pub fn check_amount(input: &str, withdrawable: Cents, minimum: Cents) -> Result<Cents, String> {
    let label = field_label(field::AMOUNT);
    if input.trim().is_empty() {
        return Err(worded(field::AMOUNT, Rule::Required));
    }
    let cents = parse_dollars(input).map_err(|rule| worded(field::AMOUNT, rule))?;
    check_positive_amount(cents).map_err(|rule| worded(field::AMOUNT, rule))?;
    if cents < minimum {
        return Err(rule_text(label, Rule::AtLeastAmount { min: minimum }));
    }
    if cents > withdrawable {
        return Err(rule_text(
            label,
            Rule::AtMostBalance {
                balance: withdrawable,
            },
        ));
    }
    Ok(cents)
}

/// The quote for `amount` on `platform`, or why the amount cannot be paid out (the user would
/// pay a fee as large as the amount), worded for the amount field.
pub fn quote(
    amount: Cents,
    platform: PayoutPlatform,
    party: FeeParty,
) -> Result<PayoutQuote, String> {
    PayoutQuote::new(amount, platform, party).map_err(|rule| worded(field::AMOUNT, rule))
}

/// `cents` as the amount field shows it: `1234.56` (no `$`, no grouping: easy to edit).
pub fn amount_input(cents: Cents) -> String {
    format!("{}.{:02}", cents / 100, cents.rem_euclid(100))
}

/// `Fee $2.00, paid by the sender` or `Fee $2.00, deducted from your payout`.
pub fn fee_line(quote: &PayoutQuote) -> String {
    let fee = format_cents(quote.fee);
    match quote.payout_fee_party {
        FeeParty::Platform => t!(fee_paid_by_platform, fee),
        FeeParty::User => t!(fee_paid_by_user, fee),
    }
}

/// `You'll receive $98.00`.
pub fn receive_line(quote: &PayoutQuote) -> String {
    t!(you_receive, net = &format_cents(quote.net_amount))
}

/// A payout method as the user reads it: `PayPal · ada@example.com`, `ACH · checking ••••6789`
/// (`ACH · corriente ••••6789`), from its data, not the server's English `label`.
pub fn method_label(method: &PayoutMethod) -> String {
    let account = &method.account;
    match method.platform {
        PayoutPlatform::Ach => {
            let kind = match method.account_type {
                Some(AccountType::Savings) => t!(account_kind_savings),
                _ => t!(account_kind_checking),
            };
            t!(method_label_bank, kind, account)
        }
        PayoutPlatform::Paypal => t!(method_label, platform = t!(platform_paypal), account),
        PayoutPlatform::Venmo => t!(method_label, platform = t!(platform_venmo), account),
        PayoutPlatform::CashApp => t!(method_label, platform = t!(platform_cash_app), account),
    }
}

/// `Checking ••••6789`.
pub fn bank_account_label(account: &BankAccount) -> String {
    let kind = match account.account_type {
        AccountType::Checking => t!(account_type_checking),
        AccountType::Savings => t!(account_type_savings),
    };
    t!(
        bank_account_label,
        kind,
        last4 = &account.account_number_last4
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::{ApiError, ErrorCode, FieldError};

    fn bank(routing: &str, account: &str, confirm: &str) -> BankInput {
        BankInput {
            routing_number: routing.into(),
            account_number: account.into(),
            account_number_confirm: confirm.into(),
            account_type: AccountType::Savings,
        }
    }

    #[test]
    fn words_the_models_rules_with_the_field_label() {
        assert_eq!(
            check_field(field::ROUTING_NUMBER, "011000016"),
            Err("Routing number is not a valid routing number (check the digits)".into())
        );
        assert_eq!(
            check_field(field::EMAIL, "ada@"),
            Err("PayPal email must be an email address like name@example.com".into())
        );
        assert!(check_field(field::CASHTAG, "$ada").is_ok());
        assert!(check_field(field::HANDLE, "@ab").is_err());
    }

    #[test]
    fn bank_input_checks_every_field_and_trims_what_it_sends() {
        let errors = bank("12", "", "").check().unwrap_err();
        assert_eq!(
            errors[field::ROUTING_NUMBER],
            "Routing number must be 9 digits"
        );
        assert_eq!(errors[field::ACCOUNT_NUMBER], "Account number is required");
        assert_eq!(
            errors[field::ACCOUNT_NUMBER_CONFIRM],
            "Confirm account number is required"
        );
        let errors = bank("011000015", "123456789", "123456780")
            .check()
            .unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            vec![field::ACCOUNT_NUMBER_CONFIRM]
        );
        assert_eq!(
            errors[field::ACCOUNT_NUMBER_CONFIRM],
            "The account numbers don't match"
        );
        let new = bank(" 011000015", "123456789 ", "123456789")
            .check()
            .unwrap();
        assert_eq!(new.routing_number, "011000015");
        assert_eq!(new.account_number, "123456789");
        assert_eq!(new.account_type, AccountType::Savings);
    }

    #[test]
    fn method_input_checks_only_the_chosen_platform() {
        let mut input = MethodInput {
            platform: PayoutPlatform::Paypal,
            bank: bank("", "", ""),
            email: " ada@example.com ".into(),
            handle: "bad".into(),
            cashtag: String::new(),
        };
        assert_eq!(
            input.check(),
            Ok(NewPayoutMethod::Paypal {
                email: "ada@example.com".into()
            })
        );
        input.platform = PayoutPlatform::Venmo;
        assert_eq!(
            input.check().unwrap_err()[field::HANDLE],
            "Venmo handle or phone number must be a @handle or a 10-digit US phone number"
        );
        input.platform = PayoutPlatform::CashApp;
        assert!(input.check().unwrap_err().contains_key(field::CASHTAG));
        input.platform = PayoutPlatform::Ach;
        assert_eq!(input.check().unwrap_err().len(), 3);
    }

    #[test]
    fn server_field_errors_land_on_known_fields() {
        let failure = ApiFailure::Api(ApiError::invalid(vec![
            FieldError::new("routing_number", "must be 9 digits"),
            FieldError::new("account_type", "unknown type"),
        ]));
        let (fields, rest) = server_errors(&failure, platform_fields(PayoutPlatform::Ach));
        assert_eq!(
            fields[field::ROUTING_NUMBER],
            "Routing number must be 9 digits"
        );
        assert_eq!(rest.as_deref(), Some("account_type: unknown type"));

        // A rule, when the server sends one, is worded here; its English message is not shown.
        let failure = ApiFailure::Api(ApiError::invalid(vec![FieldError::new(
            "account_number",
            "whatever the server says",
        )
        .with_rule(Rule::DigitsBetween { min: 4, max: 17 })]));
        let (fields, _) = server_errors(&failure, platform_fields(PayoutPlatform::Ach));
        assert_eq!(
            fields[field::ACCOUNT_NUMBER],
            rule_text(
                field_label(field::ACCOUNT_NUMBER),
                Rule::DigitsBetween { min: 4, max: 17 }
            )
        );

        let conflict = ApiFailure::Api(ApiError::new(ErrorCode::Conflict, "already connected"));
        let (fields, rest) = server_errors(&conflict, &[field::EMAIL]);
        assert!(fields.is_empty());
        assert_eq!(rest.as_deref(), Some("already connected"));
        let (_, rest) = server_errors(&ApiFailure::Network("Failed to fetch".into()), &[]);
        assert_eq!(rest.as_deref(), Some("Failed to fetch"));
    }

    #[test]
    fn amount_must_be_a_cent_to_the_balance() {
        assert_eq!(check_amount("12.34", 5_000, 1), Ok(1_234));
        assert_eq!(check_amount("$50", 5_000, 1), Ok(5_000));
        assert_eq!(
            check_amount("0", 5_000, 1),
            Err("Amount must be at least 1 cent".into())
        );
        assert_eq!(
            check_amount("50.01", 5_000, 1),
            Err("Amount must be at most your balance of $50.00".into())
        );
        assert_eq!(check_amount("", 5_000, 1), Err("Amount is required".into()));
        assert_eq!(
            check_amount("1.234", 5_000, 1),
            Err("Amount must have at most two decimals".into())
        );
    }

    #[test]
    fn amount_must_reach_the_flow_minimum() {
        assert_eq!(
            check_amount("0.99", 5_000, 100),
            Err("Amount must be at least $1.00".into())
        );
        assert_eq!(check_amount("1", 5_000, 100), Ok(100));
        // A minimum above the balance still names the minimum, not the balance.
        assert_eq!(
            check_amount("0.50", 50, 100),
            Err("Amount must be at least $1.00".into())
        );
    }

    #[test]
    fn quote_lines_say_who_pays_the_fee() {
        let q = quote(10_000, PayoutPlatform::Paypal, FeeParty::Platform).unwrap();
        assert_eq!(fee_line(&q), "Fee $2.00, paid by the sender");
        assert_eq!(receive_line(&q), "You'll receive $100.00");
        let q = quote(10_000, PayoutPlatform::Paypal, FeeParty::User).unwrap();
        assert_eq!(fee_line(&q), "Fee $2.00, deducted from your payout");
        assert_eq!(receive_line(&q), "You'll receive $98.00");
        assert_eq!(
            quote(25, PayoutPlatform::Ach, FeeParty::User),
            Err("Amount must be more than the $0.25 fee".into())
        );
    }

    #[test]
    fn amounts_show_as_editable_numbers() {
        assert_eq!(amount_input(123_456), "1234.56");
        assert_eq!(amount_input(5), "0.05");
        assert_eq!(parse_dollars(&amount_input(987_654_321)), Ok(987_654_321));
    }
}
