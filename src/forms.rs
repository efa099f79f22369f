//! The pure half of every form (the other half is [`crate::ui::Form`]): what is wrong with a
//! form ([`Rejected`], from the model's `Validate` before sending or the server's 422 `fields`
//! after), and where each error goes ([`Rejected::place`], [`place_failure`]): under the field
//! it names, worded with the field's label, or to the form's alert. Also the money forms' inputs
//! as typed ([`BankInput`], [`MethodInput`]), the payout amount and quote, and how money and
//! methods are worded. No browser, no signals: unit tested with plain `#[test]`.
//!
//! A broken rule is the model's typed [`Rule`], worded here through the i18n as one sentence
//! with the field's label (`Routing number must be 9 digits`, [`rule_text`]). The server's 422
//! `fields` carry their rule too (`"rule":{"code":"wrong_code","tries_left":2}`), worded the
//! same way; only a field error without a rule this build knows (an older or newer server)
//! shows the server's English `message` after the label ([`Reason::Said`]).

use crate::api::ApiFailure;
use crate::i18n::{failure_details, rule_text};
use crate::t;
use payout_model::money::{
    check_positive_amount, format_cents, parse_dollars, AccountType, BankAccount, Cents, FeeParty,
    NewBankAccount, NewPayoutMethod, PayoutMethod, PayoutPlatform, PayoutQuote,
};
use payout_model::{FieldError, Invalid, Rule, Validate};
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

/// Field path → message for people, in path order.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Why one field of a form is wrong, before words: a model [`Rule`], a server's field error
/// without a rule this build knows (its English `message`), or a message the app's own check
/// has already worded (the account number typed twice, the amount against the balance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A rule the field broke, worded with the field's label.
    Rule(Rule),
    /// The server's English message, shown after the label.
    Said(String),
    /// Already worded.
    Worded(String),
}

impl Reason {
    /// The reason a server's field error gives: its rule, or its English message.
    pub fn of(field: &FieldError) -> Self {
        match field.rule {
            Some(rule) => Reason::Rule(rule),
            None => Reason::Said(field.message.clone()),
        }
    }

    /// The message with the field's `label`.
    pub fn word(&self, label: &str) -> String {
        match self {
            Reason::Rule(rule) => rule_text(label, *rule),
            Reason::Said(message) => t!(field_message, label, message),
            Reason::Worded(message) => message.clone(),
        }
    }
}

/// What is wrong with a form, field path by field path (`address.postal_code`), in the order
/// found: the model's [`Invalid`] before anything is sent, or the server's 422 `fields` after.
/// Never empty when it is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejected(pub Vec<(String, Reason)>);

impl From<Invalid> for Rejected {
    fn from(invalid: Invalid) -> Self {
        Rejected(
            invalid
                .0
                .into_iter()
                .map(|v| (v.field, Reason::Rule(v.rule)))
                .collect(),
        )
    }
}

impl Rejected {
    /// One field wrong for `reason`.
    pub fn one(path: &str, reason: Reason) -> Self {
        Rejected(vec![(path.to_owned(), reason)])
    }

    /// `self` with `path` wrong for `reason` too.
    pub fn add(&mut self, path: &str, reason: Reason) {
        self.0.push((path.to_owned(), reason));
    }

    /// `Ok(())` when nothing is wrong.
    pub fn finish(self) -> Result<(), Rejected> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The message for the field at `path`, worded with its `label` (a field's inline check:
    /// the whole form checked with the field's value, so rules across fields apply).
    pub fn about(&self, path: &str, label: &str) -> Option<String> {
        let (_, reason) = self.0.iter().find(|(p, _)| p == path)?;
        Some(reason.word(label))
    }

    /// Splits the errors between the form's `fields`, given as `(path, label)` (each worded
    /// with its label; the first error of a field wins) and the rest, for the form as a whole
    /// (worded with the path, since no field shows them). An error about a group of fields
    /// (`address`, whose fields are `address.line1` …) goes to the group's first field, so the
    /// form marks it and moves focus there.
    pub fn place(&self, fields: &[(&'static str, &str)]) -> Placed {
        let mut placed = Placed::default();
        let mut rest = Vec::new();
        let in_group = |name: &str, group: &str| {
            name.strip_prefix(group)
                .is_some_and(|inner| inner.starts_with('.'))
        };
        for (path, reason) in &self.0 {
            let field = fields
                .iter()
                .find(|(name, _)| name == path)
                .or_else(|| fields.iter().find(|(name, _)| in_group(name, path)));
            match field {
                Some((name, label)) => {
                    if !placed.fields.contains_key(name) {
                        placed.fields.insert(name, reason.word(label));
                        placed.reasons.insert(name, reason.clone());
                    }
                }
                None => rest.push(match (unshown_label(path), reason) {
                    (Some(label), reason) => reason.word(label),
                    (None, Reason::Said(message)) => format!("{path}: {message}"),
                    (None, other) => other.word(path),
                }),
            }
        }
        placed.rest = (!rest.is_empty()).then(|| rest.join("; "));
        placed
    }
}

/// The words for a field the server may name that the form in front of the user does not show
/// (sign-in's code form, when the number turns out to be someone else's), for the form's alert;
/// `None` for a path only a developer would know, which the alert then names as is.
fn unshown_label(path: &str) -> Option<&'static str> {
    Some(match path {
        "phone_number" => t!(field_phone),
        "country_code" => t!(field_country_code),
        "code" => t!(field_code),
        "email" => t!(field_email),
        "first_name" => t!(field_first_name),
        "last_name" => t!(field_last_name),
        "date_of_birth" => t!(field_date_of_birth),
        "country" => t!(field_country),
        "ssn" => t!(field_ssn),
        "tin" => t!(field_tin),
        "foreign_tax_id" => t!(field_foreign_tax_id),
        // Fields a form swaps out with a choice (the country, the payout platform): a refusal
        // may name one after it has gone.
        "address" | "address.line1" => t!(field_line1),
        "address.line2" => t!(field_line2),
        "address.city" => t!(field_city),
        "address.region" => t!(field_region_named),
        "address.postal_code" => t!(field_postal_code_named),
        field::ROUTING_NUMBER => t!(field_routing_number),
        field::ACCOUNT_NUMBER => t!(field_account_number),
        field::HANDLE => t!(field_venmo),
        field::CASHTAG => t!(field_cashtag),
        // A payout link's flow shows no amount (the link's is paid), yet a refusal may name it.
        "amount" => t!(field_amount),
        "payout_method_id" => t!(field_payout_method),
        _ => return None,
    })
}

/// Where the errors of a submit go: the form's fields, by path, and what no field took, for the
/// form's alert.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placed {
    /// Messages under fields.
    pub fields: FieldErrors,
    /// Why, before words, for each field in [`Placed::fields`]: to word it again in another
    /// language.
    pub reasons: BTreeMap<&'static str, Reason>,
    /// The form's alert.
    pub rest: Option<String>,
}

/// Splits a failed request like [`Rejected::place`]: the server's 422 `fields` onto the form's
/// fields, everything else (the server's message, or the browser's when no answer came) to the
/// form's alert. A failure always says something.
pub fn place_failure(failure: &ApiFailure, fields: &[(&'static str, &str)]) -> Placed {
    match failure.api_error() {
        Some(e) if !e.fields.is_empty() => Rejected(
            e.fields
                .iter()
                .map(|f| (f.field.clone(), Reason::of(f)))
                .collect(),
        )
        .place(fields),
        _ => Placed {
            rest: Some(failure_details(failure)),
            ..Placed::default()
        },
    }
}

/// The account number typed again must be there and match.
fn check_confirmation(account_number: &str, confirmation: &str) -> Option<Reason> {
    if confirmation.trim().is_empty() {
        return Some(Reason::Rule(Rule::Required));
    }
    (confirmation.trim() != account_number.trim())
        .then(|| Reason::Worded(t!(account_numbers_differ).to_owned()))
}

/// A bank account as typed. Its `Debug` leaves out the account number.
#[derive(Clone, PartialEq, Eq)]
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

impl std::fmt::Debug for BankInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankInput")
            .field("routing_number", &self.routing_number)
            .field("account_number", &"<redacted>")
            .field("account_type", &self.account_type)
            .finish_non_exhaustive()
    }
}

impl BankInput {
    /// The account to send (trimmed), or every wrong field: the model's rules, and the
    /// confirmation.
    pub fn check(&self) -> Result<NewBankAccount, Rejected> {
        let new = NewBankAccount {
            routing_number: self.routing_number.trim().to_owned(),
            account_number: self.account_number.trim().to_owned(),
            account_type: self.account_type,
        };
        let mut rejected = new.validate().err().map(Rejected::from).unwrap_or_default();
        if let Some(reason) = check_confirmation(&self.account_number, &self.account_number_confirm)
        {
            rejected.add(field::ACCOUNT_NUMBER_CONFIRM, reason);
        }
        rejected.finish().map(|()| new)
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
    /// The method to send (trimmed), or the chosen platform's wrong fields, by the model's
    /// rules.
    pub fn check(&self) -> Result<NewPayoutMethod, Rejected> {
        let new = match self.platform {
            PayoutPlatform::Ach => {
                let bank = self.bank.check()?;
                NewPayoutMethod::Ach {
                    routing_number: bank.routing_number,
                    account_number: bank.account_number,
                    account_type: bank.account_type,
                }
            }
            PayoutPlatform::Paypal => NewPayoutMethod::Paypal {
                email: self.email.trim().to_owned(),
            },
            PayoutPlatform::Venmo => NewPayoutMethod::Venmo {
                handle: self.handle.trim().to_owned(),
            },
            PayoutPlatform::CashApp => NewPayoutMethod::CashApp {
                cashtag: self.cashtag.trim().to_owned(),
            },
        };
        new.validate().map_err(Rejected::from)?;
        Ok(new)
    }
}

/// The amount field checked: dollars as typed (`12.34`, `$1,234`), at least a cent, at least
/// the flow's `minimum` payout (worded as the sandbox words it: `must be at least $1.00`), at
/// most `withdrawable`. `Err` holds the worded message.
pub fn check_amount(input: &str, withdrawable: Cents, minimum: Cents) -> Result<Cents, String> {
    let label = t!(field_amount);
    if input.trim().is_empty() {
        return Err(rule_text(label, Rule::Required));
    }
    let cents = parse_dollars(input).map_err(|rule| rule_text(label, rule))?;
    check_positive_amount(cents).map_err(|rule| rule_text(label, rule))?;
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
    PayoutQuote::new(amount, platform, party).map_err(|rule| rule_text(t!(field_amount), rule))
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

/// The name of `platform` ("PayPal", "Bank account (ACH)").
pub fn platform_name(platform: PayoutPlatform) -> &'static str {
    match platform {
        PayoutPlatform::Paypal => t!(platform_paypal),
        PayoutPlatform::Venmo => t!(platform_venmo),
        PayoutPlatform::CashApp => t!(platform_cash_app),
        PayoutPlatform::Ach => t!(platform_ach),
    }
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
        platform => t!(method_label, platform = platform_name(platform), account),
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
    use payout_model::{ApiError, ErrorCode};

    fn bank(routing: &str, account: &str, confirm: &str) -> BankInput {
        BankInput {
            routing_number: routing.into(),
            account_number: account.into(),
            account_number_confirm: confirm.into(),
            account_type: AccountType::Savings,
        }
    }

    /// What is typed into the bank form, and a request's token and body, stay out of their
    /// `Debug`: a log or a panic message never shows them.
    #[test]
    fn typed_secrets_stay_out_of_debug() {
        let typed = format!("{:?}", bank("011000015", "123456789", "123456789"));
        assert!(!typed.contains("123456789"), "{typed}");
        let request = crate::api::HttpRequest {
            method: payout_model::endpoint::Method::Post,
            url: "/api/flow/compliance".into(),
            token: Some("session-token".into()),
            body: crate::api::HttpBody::Json(r#"{"tin":"123456789"}"#.into()),
            abort: None,
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("123456789"), "{shown}");
        assert!(!shown.contains("session-token"), "{shown}");
        let answer = crate::api::HttpResponse {
            status: 200,
            body: r#"{"token":"session-token"}"#.into(),
        };
        let shown = format!("{answer:?}");
        assert!(!shown.contains("session-token"), "{shown}");
    }

    /// The bank form's fields as the form labels them.
    fn bank_labels() -> [(&'static str, &'static str); 3] {
        [
            (field::ROUTING_NUMBER, "Routing number"),
            (field::ACCOUNT_NUMBER, "Account number"),
            (field::ACCOUNT_NUMBER_CONFIRM, "Confirm account number"),
        ]
    }

    #[test]
    fn words_the_models_rules_with_the_field_label() {
        let mut input = MethodInput {
            platform: PayoutPlatform::Paypal,
            bank: bank("011000016", "", ""),
            email: "ada@".into(),
            handle: "@ab".into(),
            cashtag: "$ada".into(),
        };
        assert_eq!(
            input
                .check()
                .unwrap_err()
                .about(field::EMAIL, "PayPal email"),
            Some("PayPal email must be an email address like name@example.com".into())
        );
        input.platform = PayoutPlatform::Ach;
        assert_eq!(
            input
                .check()
                .unwrap_err()
                .about(field::ROUTING_NUMBER, "Routing number"),
            Some("Routing number is not a valid routing number (check the digits)".into())
        );
        input.platform = PayoutPlatform::CashApp;
        assert!(input.check().is_ok());
        input.platform = PayoutPlatform::Venmo;
        assert!(input.check().is_err());
    }

    #[test]
    fn bank_input_checks_every_field_and_trims_what_it_sends() {
        let errors = bank("12", "", "")
            .check()
            .unwrap_err()
            .place(&bank_labels());
        assert_eq!(
            errors.fields[field::ROUTING_NUMBER],
            "Routing number must be 9 digits"
        );
        assert_eq!(
            errors.fields[field::ACCOUNT_NUMBER],
            "Account number is required"
        );
        assert_eq!(
            errors.fields[field::ACCOUNT_NUMBER_CONFIRM],
            "Confirm account number is required"
        );
        assert_eq!(errors.rest, None);
        let errors = bank("011000015", "123456789", "123456780")
            .check()
            .unwrap_err()
            .place(&bank_labels());
        assert_eq!(
            errors.fields.keys().copied().collect::<Vec<_>>(),
            vec![field::ACCOUNT_NUMBER_CONFIRM]
        );
        assert_eq!(
            errors.fields[field::ACCOUNT_NUMBER_CONFIRM],
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
            input
                .check()
                .unwrap_err()
                .about(field::HANDLE, "Venmo handle or phone number"),
            Some(
                "Venmo handle or phone number must be a @handle or a 10-digit US phone number"
                    .into()
            )
        );
        input.platform = PayoutPlatform::CashApp;
        assert!(input
            .check()
            .unwrap_err()
            .about(field::CASHTAG, "Cashtag")
            .is_some());
        input.platform = PayoutPlatform::Ach;
        assert_eq!(input.check().unwrap_err().0.len(), 3);
    }

    #[test]
    fn model_rules_place_on_shown_fields_and_the_rest_on_the_form() {
        let mut invalid = Invalid::one("address.postal_code", Rule::Zip);
        invalid.add("tin", Rule::TinDigits);
        invalid.add("address.postal_code", Rule::Required);
        let placed = Rejected::from(invalid).place(&[("address.postal_code", "ZIP code")]);
        assert_eq!(
            placed.fields["address.postal_code"],
            rule_text("ZIP code", Rule::Zip),
            "the first error of a field wins"
        );
        assert_eq!(placed.fields.len(), 1);
        // A field the form does not show is worded in the alert with its words, not its key.
        assert_eq!(placed.rest, Some(rule_text("SSN or ITIN", Rule::TinDigits)));
        // Review: a payout link's flow shows no amount field; a refusal of the amount (the
        // balance changed meanwhile) was worded with the key "amount".
        let placed = Rejected::from(Invalid::one("amount", Rule::AtMostBalance { balance: 500 }))
            .place(&[("payout_method_id", "Pay out to")]);
        assert_eq!(
            placed.rest,
            Some(rule_text("Amount", Rule::AtMostBalance { balance: 500 }))
        );
        assert_eq!(Rejected::default().finish(), Ok(()));
    }

    /// Review: an error about a field the form had swapped out when the answer came (the
    /// address, once the background check's country is not the US; the bank fields, once
    /// another platform is chosen) was worded with its request path: "address.postal_code must
    /// match …". It is worded with the field's label.
    #[test]
    fn an_error_about_a_field_swapped_out_is_worded_with_its_label() {
        let failure = ApiFailure::Api(ApiError::invalid(vec![
            FieldError::broke("address.postal_code", Rule::MatchesTaxInformation),
            FieldError::broke(field::ROUTING_NUMBER, Rule::Required),
        ]));
        let rest = place_failure(&failure, &[("country", "Country")])
            .rest
            .expect("the alert");
        assert_eq!(
            rest,
            format!(
                "{}; {}",
                rule_text(t!(field_postal_code_named), Rule::MatchesTaxInformation),
                rule_text(t!(field_routing_number), Rule::Required)
            )
        );
    }

    /// The server names a group (the address as a whole must match the background check):
    /// its first field shows it, not the form's alert with the group's key as a label.
    #[test]
    fn an_error_about_a_group_lands_on_its_first_field() {
        let fields = [
            ("tin", "SSN"),
            ("address.line1", "Street address"),
            ("address.city", "City"),
            ("address_other", "Other"),
        ];
        let failure = ApiFailure::Api(ApiError::invalid(vec![FieldError::broke(
            "address",
            Rule::MatchesBackgroundCheck,
        )]));
        let placed = place_failure(&failure, &fields);
        assert_eq!(
            placed.fields["address.line1"],
            rule_text("Street address", Rule::MatchesBackgroundCheck)
        );
        assert_eq!(placed.fields.len(), 1);
        assert_eq!(placed.rest, None);
        // A key that merely starts the same is no group.
        let failure = ApiFailure::Api(ApiError::invalid(vec![FieldError::broke(
            "address_o",
            Rule::Required,
        )]));
        assert!(place_failure(&failure, &fields).fields.is_empty());
    }

    #[test]
    fn server_field_errors_land_on_known_fields() {
        let failure = ApiFailure::Api(ApiError::invalid(vec![
            FieldError::new("routing_number", "must be 9 digits"),
            FieldError::new("account_type", "unknown type"),
        ]));
        let placed = place_failure(&failure, &bank_labels());
        assert_eq!(
            placed.fields[field::ROUTING_NUMBER],
            "Routing number must be 9 digits"
        );
        assert_eq!(placed.rest.as_deref(), Some("account_type: unknown type"));

        // A rule, when the server sends one, is worded here; its English message is not shown.
        let failure = ApiFailure::Api(ApiError::invalid(vec![FieldError::new(
            "account_number",
            "whatever the server says",
        )
        .with_rule(Rule::DigitsBetween { min: 4, max: 17 })]));
        let placed = place_failure(&failure, &bank_labels());
        assert_eq!(
            placed.fields[field::ACCOUNT_NUMBER],
            rule_text("Account number", Rule::DigitsBetween { min: 4, max: 17 })
        );

        let conflict = ApiFailure::Api(ApiError::new(ErrorCode::Conflict, "already connected"));
        let placed = place_failure(&conflict, &[(field::EMAIL, "PayPal email")]);
        assert!(placed.fields.is_empty());
        assert_eq!(placed.rest.as_deref(), Some("already connected"));
        let placed = place_failure(&ApiFailure::Network("Failed to fetch".into()), &[]);
        assert_eq!(placed.rest.as_deref(), Some("Failed to fetch"));
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
