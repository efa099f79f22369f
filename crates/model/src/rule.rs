//! Typed validation outcomes (issue 9, "typed rules, words at the edge"): which [`Rule`] a field
//! broke, with the rule's parameters, and never words. The [`Validate`] trait is how every wire
//! input is checked; [`Invalid`] lists what broke.
//!
//! Words are added at the edges: the app words a rule through its i18n as a whole sentence
//! with the field's label (`src/i18n.rs`), and the sandbox sends the English wire text of
//! [`Rule`]'s `Display` in a 422's `fields` (`{"field":"routing_number","message":"must be 9
//! digits"}`, README "Errors"). That text lives here rather than in the sandbox because it is
//! part of the API contract the wire types pin, and because the app's browser tests play the
//! sandbox with fakes that must send the same text; the app itself never shows it.

use crate::error::{ApiError, FieldError};
use crate::money::{format_cents, Cents};
use crate::step::StepName;
use chrono::NaiveDate;
use std::fmt;

/// A rule a field broke, with what the rule needs to be stated. Each says what the field must
/// be; [`fmt::Display`] gives the sandbox's English wire text (a lowercase predicate, no period).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The field is missing or blank.
    Required,
    /// An upload has no bytes.
    Empty,
    /// Text longer than `max` characters.
    MaxChars {
        /// Most characters allowed.
        max: usize,
    },
    /// Text with a control character (a newline, a tab…).
    NoControlChars,
    /// Something other than digits (and separators) was typed where only digits go.
    OnlyDigits,
    /// Something other than letters, digits and separators was typed.
    OnlyLettersAndDigits,
    /// Not exactly `count` digits.
    Digits {
        /// Digits required.
        count: u8,
    },
    /// Not `min` to `max` digits.
    DigitsBetween {
        /// Fewest digits.
        min: u8,
        /// Most digits.
        max: u8,
    },
    /// Not `min` to `max` letters or digits (separators ignored).
    LettersOrDigitsBetween {
        /// Fewest.
        min: u8,
        /// Most.
        max: u8,
    },
    /// Not an email address.
    Email,
    /// Not a country calling code: 1 to 3 digits.
    CountryCallingCode,
    /// A national number of the wrong length for its calling code (10 digits for `1`).
    PhoneDigitsForCountryCode {
        /// Digits required.
        digits: u8,
        /// The calling code.
        country_code: u16,
    },
    /// A phone number of the wrong length.
    PhoneLength {
        /// Fewest digits.
        min: u8,
        /// Most digits.
        max: u8,
    },
    /// Not a one-time code of `digits` digits.
    SentCode {
        /// Digits in a code.
        digits: u8,
    },
    /// Not a two-letter US state.
    UsState,
    /// Not a US ZIP code (`94103` or `94103-1234`).
    Zip,
    /// A postal code outside the US: more than `max` letters, digits, spaces or dashes.
    ForeignPostalCode {
        /// Most characters.
        max: u8,
    },
    /// Not an ISO 3166-1 alpha-2 country code.
    CountryCode,
    /// Not a date (`YYYY-MM-DD`).
    Date,
    /// A date in the future.
    NotInFuture,
    /// A date in or before `year`.
    After {
        /// The year the date must come after.
        year: i32,
    },
    /// A date of birth less than `years` years ago.
    MinAge {
        /// Age required.
        years: u32,
    },
    /// A US taxpayer id not of nine digits.
    TinDigits,
    /// Nine digits the SSA never issues as an SSN or ITIN.
    TinIssued,
    /// Not `front`, `back` or `selfie`.
    DocumentSide,
    /// Not a JPEG, PNG or WebP image.
    ImageType,
    /// An upload larger than `max` megabytes.
    MaxMegabytes {
        /// Most megabytes.
        max: u64,
    },
    /// Metadata larger than `max` bytes of JSON.
    MetadataSize {
        /// Most bytes.
        max: usize,
    },
    /// Metadata neither an object nor a string.
    MetadataShape,
    /// A flow with no steps.
    AtLeastOneStep,
    /// A step listed twice in one flow.
    StepTwice {
        /// The step.
        step: StepName,
    },
    /// A transfer of zero cents.
    NonZero,
    /// An amount beyond `max` cents, either way.
    MaxCentsEitherWay {
        /// Largest amount, in cents.
        max: Cents,
    },
    /// An amount less than a cent.
    AtLeastOneCent,
    /// An amount beyond `max` cents.
    MaxCents {
        /// Largest amount, in cents.
        max: Cents,
    },
    /// Dollars typed in a shape that is no amount.
    AmountFormat,
    /// Dollars typed with more than two decimals.
    TwoDecimals,
    /// Dollars typed beyond `max` cents.
    AtMostAmount {
        /// Largest amount, in cents.
        max: Cents,
    },
    /// An amount below `min` cents (a flow's minimum payout).
    AtLeastAmount {
        /// Smallest amount, in cents.
        min: Cents,
    },
    /// An amount above the `balance` the user can withdraw.
    AtMostBalance {
        /// The withdrawable balance, in cents.
        balance: Cents,
    },
    /// A payout whose fee, paid by the user, is as large as the amount.
    MoreThanFee {
        /// The fee, in cents.
        fee: Cents,
    },
    /// An idempotency key empty, longer than 255 bytes, or with control characters.
    IdempotencyKey,
    /// Nine digits whose ABA routing checksum does not hold.
    RoutingChecksum,
    /// A Venmo `@handle` of the wrong shape.
    VenmoHandle,
    /// Neither a Venmo `@handle` nor a 10-digit US phone number.
    VenmoHandleOrPhone,
    /// Not a Cash App `$cashtag`.
    Cashtag,
    /// A URL that is not `http://` or `https://`.
    HttpUrl,
    /// A URL without a host.
    UrlHost,
    /// Text with a space or a control character.
    NoSpacesOrControlChars,
    /// Not an origin a host may embed flows from: `https://host[:port]`, or `http://` on
    /// loopback only (issue 10).
    EmbedOrigin,
    /// A list longer than `max` items.
    MaxItems {
        /// Most items allowed.
        max: usize,
    },
}

impl fmt::Display for Rule {
    /// The sandbox's English wire text (README pins some: `must be 9 digits`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::Required => f.write_str("is required"),
            Rule::Empty => f.write_str("is empty"),
            Rule::MaxChars { .. }
            | Rule::HttpUrl
            | Rule::UrlHost
            | Rule::NoSpacesOrControlChars => UrlRuleText(*self).fmt(f),
            Rule::NoControlChars => f.write_str("must not contain control characters"),
            Rule::OnlyDigits => f.write_str("must contain only digits"),
            Rule::OnlyLettersAndDigits => f.write_str("must contain only letters and digits"),
            Rule::Digits { count } => write!(f, "must be {count} digits"),
            Rule::DigitsBetween { min, max } => write!(f, "must be {min} to {max} digits"),
            Rule::LettersOrDigitsBetween { min, max } => {
                write!(f, "must be {min} to {max} letters or digits")
            }
            Rule::Email => f.write_str("must be an email address like name@example.com"),
            Rule::CountryCallingCode => f.write_str("must be 1 to 3 digits, like 1 or 44"),
            Rule::PhoneDigitsForCountryCode {
                digits,
                country_code,
            } => write!(f, "must be {digits} digits for country code {country_code}"),
            Rule::PhoneLength { min, max } => {
                write!(f, "must be a phone number of {min} to {max} digits")
            }
            Rule::SentCode { digits } => write!(f, "must be the {digits} digits we sent"),
            Rule::UsState => f.write_str("must be a US state, like CA or NY"),
            Rule::Zip => f.write_str("must be a ZIP code like 94103 or 94103-1234"),
            Rule::ForeignPostalCode { max } => {
                write!(f, "must be at most {max} letters, digits, spaces or dashes")
            }
            Rule::CountryCode => f.write_str("must be a two-letter country code, like US or GB"),
            Rule::Date => f.write_str("must be a date like 1990-04-25"),
            Rule::NotInFuture => f.write_str("must not be in the future"),
            Rule::After { year } => write!(f, "must be after {year}"),
            Rule::MinAge { years } => write!(f, "must be at least {years} years ago"),
            Rule::TinDigits => f.write_str("must be 9 digits, like 123-45-6789"),
            Rule::TinIssued => f.write_str("is not a valid SSN or ITIN"),
            Rule::DocumentSide => f.write_str("must be front, back or selfie"),
            Rule::ImageType => f.write_str("must be a JPEG, PNG or WebP image"),
            Rule::MaxMegabytes { max } => write!(f, "must be at most {max} MB"),
            Rule::MetadataSize { max } => write!(f, "must be at most {max} bytes of JSON"),
            Rule::MetadataShape => f.write_str("must be an object of key-value pairs or a string"),
            Rule::AtLeastOneStep => f.write_str("must list at least one step"),
            Rule::StepTwice { step } => write!(f, "\"{step}\" is listed twice"),
            Rule::NonZero => f.write_str("must not be zero"),
            Rule::MaxCentsEitherWay { max } => write!(f, "must be at most {max} cents either way"),
            Rule::AtLeastOneCent => f.write_str("must be at least 1 cent"),
            Rule::MaxCents { max } => write!(f, "must be at most {max} cents"),
            Rule::AmountFormat => f.write_str("must be an amount like 12.34"),
            Rule::TwoDecimals => f.write_str("must have at most two decimals"),
            Rule::AtMostAmount { max } => write!(f, "must be at most {}", format_cents(max)),
            Rule::AtLeastAmount { min } => write!(f, "must be at least {}", format_cents(min)),
            Rule::AtMostBalance { balance } => {
                write!(f, "must be at most {}, your balance", format_cents(balance))
            }
            Rule::MoreThanFee { fee } => {
                write!(f, "must be more than the {} fee", format_cents(fee))
            }
            Rule::IdempotencyKey => f.write_str("must be 1 to 255 printable characters"),
            Rule::RoutingChecksum => {
                f.write_str("is not a valid routing number (check the digits)")
            }
            Rule::VenmoHandle => f.write_str("must be @ and 5 to 30 letters, digits, - or _"),
            Rule::VenmoHandleOrPhone => {
                f.write_str("must be a @handle or a 10-digit US phone number")
            }
            Rule::Cashtag => f.write_str("must be $ and 1 to 20 letters or digits, like $ada"),
            Rule::EmbedOrigin => f.write_str(
                "must be an origin like https://host.example (http only on localhost or 127.0.0.1)",
            ),
            Rule::MaxItems { max } => write!(f, "must list at most {max} items"),
        }
    }
}

/// The wire text of the rules a URL breaks ([`crate::step::check_redirect_url`]), on its own so
/// that wording a step's `redirect_url` (which the app parses too) does not link every rule's
/// English into the app's wasm (~4 KB); [`Rule`]'s `Display` words these rules through it.
#[derive(Clone, Copy, Debug)]
pub struct UrlRuleText(pub Rule);

impl fmt::Display for UrlRuleText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Rule::MaxChars { max } => write!(f, "must be at most {max} characters"),
            Rule::HttpUrl => f.write_str("must start with http:// or https://"),
            Rule::UrlHost => f.write_str("must name a host"),
            Rule::NoSpacesOrControlChars => {
                f.write_str("must not contain spaces or control characters")
            }
            _ => f.write_str("must be an http(s) URL"),
        }
    }
}

/// One field that broke a rule: its path in the request (`address.postal_code`) and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field, as the error envelope's `fields` names it.
    pub field: String,
    /// The rule it broke.
    pub rule: Rule,
}

/// Every field of a value that broke a rule, in the order they were checked; never empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<Violation>);

impl Invalid {
    /// One field that broke `rule`.
    pub fn one(field: impl Into<String>, rule: Rule) -> Self {
        Invalid(vec![Violation {
            field: field.into(),
            rule,
        }])
    }

    /// Records that `field` breaks `rule`.
    pub fn add(&mut self, field: impl Into<String>, rule: Rule) {
        self.0.push(Violation {
            field: field.into(),
            rule,
        });
    }

    /// Records `field`'s failed check, if it failed.
    pub fn check(&mut self, field: impl Into<String>, result: Result<(), Rule>) {
        if let Err(rule) = result {
            self.add(field, rule);
        }
    }

    /// `Ok(())` when nothing was recorded, else `Err(self)`.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The first rule `field` broke, if it broke one.
    pub fn rule(&self, field: &str) -> Option<Rule> {
        self.0.iter().find(|v| v.field == field).map(|v| v.rule)
    }
}

impl From<Invalid> for ApiError {
    /// The 422 envelope, each rule in its English wire text.
    fn from(invalid: Invalid) -> Self {
        ApiError::invalid(
            invalid
                .0
                .into_iter()
                .map(|v| FieldError::new(v.field, v.rule.to_string()))
                .collect(),
        )
    }
}

/// A wire input that checks its own rules: `Ok` when every rule holds, else every field that
/// broke one. Inputs whose rules depend on the date are checked through [`AsOf`].
pub trait Validate {
    /// Checks every rule; the error names each field that broke one.
    fn validate(&self) -> Result<(), Invalid>;
}

/// A value to be checked as of `today` (an age, a date not in the future): `new.as_of(today)`
/// on the inputs that need it, then [`Validate::validate`].
#[derive(Clone, Copy, Debug)]
pub struct AsOf<'a, T> {
    /// The value.
    pub value: &'a T,
    /// The date its rules are checked on.
    pub today: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_becomes_the_422_envelope_with_wire_text() {
        let mut invalid = Invalid::default();
        invalid.add("routing_number", Rule::Digits { count: 9 });
        invalid.check("account_number", Ok(()));
        invalid.check("email", Err(Rule::Required));
        assert_eq!(invalid.rule("email"), Some(Rule::Required));
        let e = ApiError::from(invalid);
        assert_eq!(e.message, "routing_number: must be 9 digits");
        assert_eq!(e.field("email"), Some("is required"));
        assert_eq!(e.fields.len(), 2);
        assert_eq!(Invalid::default().finish(), Ok(()));
    }
}
