//! Typed validation outcomes (issue 9, "typed rules, words at the edge"): which [`Rule`] a field
//! broke, with the rule's parameters, and never words. The [`Validate`] trait is how every wire
//! input is checked; [`Invalid`] lists what broke.
//!
//! Words are added at the edges: the app words a rule through its i18n as a whole sentence
//! with the field's label (`src/i18n.rs`), and the sandbox sends the English wire text of
//! [`Rule`]'s `Display` in a 422's `fields` (`{"field":"routing_number","message":"must be 9
//! digits"}`, README "Errors"). That text lives here rather than in the sandbox because it is
//! part of the API contract the wire types pin, and because the app's browser tests play the
//! sandbox with fakes that must send the same text. Each field error also carries its rule as data
//! (`"rule":{"code":"digits","count":9}`), which is what the app words; it shows the English only
//! for a field error without a rule it knows.

use crate::error::{ApiError, FieldError};
use crate::money::{format_cents, Cents};
use crate::step::StepName;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A rule a field broke, with what the rule needs to be stated. Each says what the field must
/// be; [`fmt::Display`] gives the sandbox's English wire text (a lowercase predicate, no period).
/// On the wire it is a field error's `rule`: `{"code":"digits","count":9}` (README "Errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
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
    /// An international number whose first digits are no country's calling code.
    UnknownCountryCallingCode,
    /// A country calling code given on its own that no country has (`999`).
    NoSuchCountryCallingCode,
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
    /// A time that must lie ahead (a payout link's `expires_at`).
    InFuture,
    /// A time more than `max` days ahead (a payout link's `expires_at`).
    AtMostDaysAhead {
        /// Most days ahead.
        max: u16,
    },
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
    /// Metadata nested more than `max` levels deep.
    MetadataDepth {
        /// Most levels.
        max: usize,
    },
    /// Metadata neither an object nor a string.
    MetadataShape,
    /// A flow with no steps.
    AtLeastOneStep,
    /// An item of a batch whose idempotency key an earlier item of the same batch has.
    RepeatedKey,
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
    // Rules only the sandbox can check (it holds the data); the app words them all the same.
    /// A one-time code that is not the one sent; `tries_left` more may be tried.
    WrongCode {
        /// Tries left before the code is used up.
        tries_left: u32,
    },
    /// A one-time code tried too often; a new one must be asked for.
    TooManyTries,
    /// A one-time code past its lifetime; a new one must be asked for.
    CodeExpired,
    /// A phone number no carrier uses for calling code `country_code`.
    PhoneNotInService {
        /// The calling code.
        country_code: u16,
    },
    /// A phone number not the one of the person the flow is for.
    NotThisPersonsPhone,
    /// A value that differs from what a background check already ran on.
    MatchesBackgroundCheck,
    /// A value that differs from the tax information on file.
    MatchesTaxInformation,
    /// An upload that could not be read; trying again may work.
    Unreadable,
    /// An upload whose bytes are not a JPEG, PNG or WebP image, whatever its type says.
    ImageContent,
    /// A user id naming no user of this app.
    NoSuchUser,
    /// A payout method id not naming one of the user's payout methods.
    NotYourPayoutMethod,
    /// A platform that does not match the payout method's.
    PlatformMismatch,
    /// A platform for which the user has no payout method.
    NoPayoutMethod,
    /// An amount larger than the account's balance.
    InsufficientFunds,
    /// An amount beyond what the ledger can hold.
    LedgerRange,
    /// A header that is not an IP address.
    IpAddress,
    /// A cursor or id naming nothing (pagination).
    NoSuchItem,
    /// A value the sandbox could not parse in the shape its field takes.
    Malformed,
    /// A webhook endpoint URL the sandbox will not deliver to (the message says why).
    EndpointUrl,
    /// A page size that is not a whole number from `min` to `max`.
    WholeNumberBetween {
        /// Smallest.
        min: u32,
        /// Largest.
        max: u32,
    },
    /// A payout that would take the user's reportable payouts this year past the app's
    /// reporting `threshold` while no compliance (W-9 or W-8BEN) is on file (issue 11).
    ComplianceRequired {
        /// The app's yearly reporting threshold, in cents.
        threshold: Cents,
    },
    /// Two query parameters that cannot be used together.
    NotTogether,
    /// A step name no flow has.
    UnknownStep,
    // An app's appearance (issue 12, "Theming per app"; `crate::appearance`).
    /// Not an opaque colour: `#rgb`, `#rrggbb`, `rgb()` or `hsl()`.
    Color,
    /// Not a list of font family names (letters, digits, spaces, hyphens).
    FontFamily,
    /// Not a length (px, rem or em; rem and em at 16px) from `min` to `max` px.
    LengthPx {
        /// Smallest, in px.
        min: u16,
        /// Largest, in px.
        max: u16,
    },
    /// Not a font weight from 100 to 900 in hundreds.
    FontWeight,
    /// Not `none` or up to two shadows in px with a colour.
    Shadow,
    /// Not an `https://` URL with a host.
    HttpsUrl,
    /// A field that may not be set where it was (an embed's override setting the app's name).
    NotAllowedHere,
    /// Text (or a focus ring or an input's border) whose contrast with what it is drawn on is
    /// under WCAG AA's minimum for it: 4.5:1 for text, 3:1 for those ([`ContrastPair::min`]).
    Contrast {
        /// The two colours.
        pair: ContrastPair,
        /// Their contrast ratio, in hundredths (`312`: 3.12:1).
        ratio: u16,
    },
}

/// Two colours of a theme the flow draws with, one on the other, as a [`Rule::Contrast`] names
/// them. A "tint" is a colour mixed into `colorSurface` (an alert's background); a "shade" is
/// `colorPrimary` mixed toward `colorText` (a badge's text): the sandbox derives both, and the
/// rule checks what is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContrastPair {
    /// `colorText` on `colorBackground`.
    TextOnBackground,
    /// `colorText` on `colorSurface` (the cards).
    TextOnSurface,
    /// `colorTextSecondary` on `colorSurface`.
    TextSecondaryOnSurface,
    /// `colorTextSecondary` on `colorBackground` (the progress label above the card).
    TextSecondaryOnBackground,
    /// `colorPrimaryText` on `colorPrimary` (buttons).
    PrimaryTextOnPrimary,
    /// `colorPrimaryText` on `colorDanger` (a button that removes something).
    PrimaryTextOnDanger,
    /// `colorPrimaryText` on the primary shade (a button under the pointer).
    PrimaryTextOnPrimaryShade,
    /// `colorDanger` on `colorSurface` (a field's error).
    DangerOnSurface,
    /// `colorDanger` on the danger tint (an alert).
    DangerOnDangerTint,
    /// `colorText` on the danger tint (a failed result's text).
    TextOnDangerTint,
    /// `colorSuccess` on `colorSurface` (a saved notice).
    SuccessOnSurface,
    /// `colorText` on the success tint (a successful result's text).
    TextOnSuccessTint,
    /// `colorText` on the primary tint (an information notice).
    TextOnPrimaryTint,
    /// The primary shade on the primary tint (a badge).
    PrimaryShadeOnPrimaryTint,
    /// `colorFocus` on `colorSurface`: the focus ring (3:1).
    FocusOnSurface,
    /// `colorFocus` on `colorBackground`: the focus ring outside the cards (3:1).
    FocusOnBackground,
    /// `inputBorderColor` on `colorSurface`: where a field is (3:1).
    InputBorderOnSurface,
}

impl ContrastPair {
    /// Every pair, in the order they are checked.
    pub const ALL: [ContrastPair; 17] = [
        ContrastPair::TextOnBackground,
        ContrastPair::TextOnSurface,
        ContrastPair::TextSecondaryOnSurface,
        ContrastPair::TextSecondaryOnBackground,
        ContrastPair::PrimaryTextOnPrimary,
        ContrastPair::PrimaryTextOnDanger,
        ContrastPair::PrimaryTextOnPrimaryShade,
        ContrastPair::DangerOnSurface,
        ContrastPair::DangerOnDangerTint,
        ContrastPair::TextOnDangerTint,
        ContrastPair::SuccessOnSurface,
        ContrastPair::TextOnSuccessTint,
        ContrastPair::TextOnPrimaryTint,
        ContrastPair::PrimaryShadeOnPrimaryTint,
        ContrastPair::FocusOnSurface,
        ContrastPair::FocusOnBackground,
        ContrastPair::InputBorderOnSurface,
    ];

    /// What is drawn and what it is drawn on, as the theme's variables name them
    /// (`colorText`, `colorBackground`; a derived colour as `colorDanger tint`).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            ContrastPair::TextOnBackground => ("colorText", "colorBackground"),
            ContrastPair::TextOnSurface => ("colorText", "colorSurface"),
            ContrastPair::TextSecondaryOnSurface => ("colorTextSecondary", "colorSurface"),
            ContrastPair::TextSecondaryOnBackground => ("colorTextSecondary", "colorBackground"),
            ContrastPair::PrimaryTextOnPrimary => ("colorPrimaryText", "colorPrimary"),
            ContrastPair::PrimaryTextOnDanger => ("colorPrimaryText", "colorDanger"),
            ContrastPair::PrimaryTextOnPrimaryShade => ("colorPrimaryText", "colorPrimary shade"),
            ContrastPair::DangerOnSurface => ("colorDanger", "colorSurface"),
            ContrastPair::DangerOnDangerTint => ("colorDanger", "colorDanger tint"),
            ContrastPair::TextOnDangerTint => ("colorText", "colorDanger tint"),
            ContrastPair::SuccessOnSurface => ("colorSuccess", "colorSurface"),
            ContrastPair::TextOnSuccessTint => ("colorText", "colorSuccess tint"),
            ContrastPair::TextOnPrimaryTint => ("colorText", "colorPrimary tint"),
            ContrastPair::PrimaryShadeOnPrimaryTint => ("colorPrimary shade", "colorPrimary tint"),
            ContrastPair::FocusOnSurface => ("colorFocus", "colorSurface"),
            ContrastPair::FocusOnBackground => ("colorFocus", "colorBackground"),
            ContrastPair::InputBorderOnSurface => ("inputBorderColor", "colorSurface"),
        }
    }

    /// The least contrast WCAG 2 AA asks of the pair, in hundredths: 4.5:1 for text (1.4.3),
    /// 3:1 for a focus ring and a field's border (1.4.11, non-text).
    pub fn min(self) -> u16 {
        match self {
            ContrastPair::FocusOnSurface
            | ContrastPair::FocusOnBackground
            | ContrastPair::InputBorderOnSurface => 300,
            _ => 450,
        }
    }

    fn from_wire(name: &str) -> Option<ContrastPair> {
        ContrastPair::ALL
            .into_iter()
            .find(|pair| pair.wire_name() == name)
    }

    /// The wire name (`text_on_background`), as the derived `Serialize` writes it.
    pub fn wire_name(self) -> &'static str {
        match self {
            ContrastPair::TextOnBackground => "text_on_background",
            ContrastPair::TextOnSurface => "text_on_surface",
            ContrastPair::TextSecondaryOnSurface => "text_secondary_on_surface",
            ContrastPair::TextSecondaryOnBackground => "text_secondary_on_background",
            ContrastPair::PrimaryTextOnPrimary => "primary_text_on_primary",
            ContrastPair::PrimaryTextOnDanger => "primary_text_on_danger",
            ContrastPair::PrimaryTextOnPrimaryShade => "primary_text_on_primary_shade",
            ContrastPair::DangerOnSurface => "danger_on_surface",
            ContrastPair::DangerOnDangerTint => "danger_on_danger_tint",
            ContrastPair::TextOnDangerTint => "text_on_danger_tint",
            ContrastPair::SuccessOnSurface => "success_on_surface",
            ContrastPair::TextOnSuccessTint => "text_on_success_tint",
            ContrastPair::TextOnPrimaryTint => "text_on_primary_tint",
            ContrastPair::PrimaryShadeOnPrimaryTint => "primary_shade_on_primary_tint",
            ContrastPair::FocusOnSurface => "focus_on_surface",
            ContrastPair::FocusOnBackground => "focus_on_background",
            ContrastPair::InputBorderOnSurface => "input_border_on_surface",
        }
    }
}

/// A contrast ratio in hundredths as people write it: `4.47`.
pub fn ratio_text(ratio: u16) -> String {
    format!("{}.{:02}", ratio / 100, ratio % 100)
}

/// A minimum ratio as WCAG writes it: `4.5`, `3`.
pub fn min_ratio_text(min: u16) -> String {
    let text = ratio_text(min);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
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
            Rule::UnknownCountryCallingCode => {
                f.write_str("must start with a country calling code, like +1 or +44")
            }
            Rule::NoSuchCountryCallingCode => {
                f.write_str("is no country's calling code, like 1 or 44")
            }
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
            Rule::InFuture => f.write_str("must be in the future"),
            Rule::AtMostDaysAhead { max } => write!(f, "must be at most {max} days ahead"),
            Rule::After { year } => write!(f, "must be after {year}"),
            Rule::MinAge { years } => write!(f, "must be at least {years} years ago"),
            Rule::TinDigits => f.write_str("must be 9 digits, like 123-45-6789"),
            Rule::TinIssued => f.write_str("is not a valid SSN or ITIN"),
            Rule::DocumentSide => f.write_str("must be front, back or selfie"),
            Rule::ImageType => f.write_str("must be a JPEG, PNG or WebP image"),
            Rule::MaxMegabytes { max } => write!(f, "must be at most {max} MB"),
            Rule::MetadataSize { max } => write!(f, "must be at most {max} bytes of JSON"),
            Rule::MetadataDepth { max } => write!(f, "must be nested at most {max} levels deep"),
            Rule::MetadataShape => f.write_str("must be an object of key-value pairs or a string"),
            Rule::AtLeastOneStep => f.write_str("must list at least one step"),
            Rule::StepTwice { step } => write!(f, "\"{step}\" is listed twice"),
            Rule::RepeatedKey => f.write_str("repeats an earlier item's idempotency_key"),
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
            Rule::ComplianceRequired { threshold } => write!(
                f,
                "needs the user's tax information (W-9 or W-8BEN) first: it would take their \
                 payouts this year past {}",
                format_cents(threshold)
            ),
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
                "must be an origin like https://host.example (http only on localhost or 127.0.0.1; \
                 no IPv6 address but [::1])",
            ),
            Rule::MaxItems { max } => write!(f, "must list at most {max} items"),
            Rule::WrongCode { tries_left: 1 } => f.write_str("is not the code we sent; 1 try left"),
            Rule::WrongCode { tries_left } => {
                write!(f, "is not the code we sent; {tries_left} tries left")
            }
            Rule::TooManyTries => f.write_str("too many wrong tries; ask for a new code"),
            Rule::CodeExpired => f.write_str("has expired; ask for a new code"),
            Rule::PhoneNotInService { country_code } => {
                write!(f, "is not a valid phone number for +{country_code}")
            }
            Rule::NotThisPersonsPhone => {
                f.write_str("does not belong to the person this flow is for")
            }
            Rule::MatchesBackgroundCheck => {
                f.write_str("must match the background check already run")
            }
            Rule::MatchesTaxInformation => f.write_str("must match your tax information"),
            Rule::Unreadable => f.write_str("could not be read; try again"),
            Rule::ImageContent => f.write_str("is not a JPEG, PNG or WebP image"),
            Rule::NoSuchUser => f.write_str("no such user"),
            Rule::NotYourPayoutMethod => f.write_str("is not one of your payout methods"),
            Rule::PlatformMismatch => f.write_str("does not match the payout method's platform"),
            Rule::NoPayoutMethod => f.write_str("the user has no such payout method"),
            Rule::InsufficientFunds => f.write_str("insufficient funds"),
            Rule::LedgerRange => f.write_str("is more than the ledger can hold"),
            Rule::IpAddress => f.write_str("must be an ip address like 192.0.2.0 or 2001:db8::1"),
            Rule::NoSuchItem => f.write_str("names nothing that exists"),
            Rule::Malformed => f.write_str("is not in the expected form"),
            Rule::EndpointUrl => f.write_str("is not a URL webhooks can be sent to"),
            Rule::WholeNumberBetween { min, max } => {
                write!(f, "must be a whole number from {min} to {max}")
            }
            Rule::NotTogether => f.write_str("cannot be used with the other parameter"),
            Rule::UnknownStep => f.write_str("is not a step"),
            Rule::Color => f.write_str("must be a colour like #1f4fd1, rgb(31 79 209) or hsl(224 74% 47%)"),
            Rule::FontFamily => f.write_str(
                "must be font family names of letters, digits, spaces and hyphens, separated by commas",
            ),
            Rule::LengthPx { min, max } => {
                write!(f, "must be a length from {min}px to {max}px (px, rem or em)")
            }
            Rule::FontWeight => f.write_str("must be a font weight from 100 to 900 in hundreds"),
            Rule::Shadow => f.write_str(
                "must be none or up to two shadows like 0 1px 3px rgb(0 0 0 / 0.08)",
            ),
            Rule::HttpsUrl => f.write_str("must be an https:// URL"),
            Rule::NotAllowedHere => f.write_str("is not allowed here"),
            Rule::Contrast { pair, ratio } => {
                let (text, on) = pair.names();
                write!(
                    f,
                    "{text} on {on} is {}:1; WCAG AA needs at least {}:1",
                    ratio_text(ratio),
                    min_ratio_text(pair.min())
                )
            }
        }
    }
}

/// A rule as it arrives: its `code` and whichever parameters it has. Read flat, not through
/// serde's derive for tagged enums, which would add tens of KB to the app's wasm; a test pins
/// that every rule reads back as the derived `Serialize` writes it.
#[derive(Deserialize)]
pub(crate) struct WireRule {
    code: String,
    max: Option<i64>,
    min: Option<i64>,
    count: Option<i64>,
    digits: Option<i64>,
    country_code: Option<i64>,
    year: Option<i64>,
    years: Option<i64>,
    step: Option<String>,
    balance: Option<i64>,
    fee: Option<i64>,
    threshold: Option<i64>,
    tries_left: Option<i64>,
    pair: Option<String>,
    ratio: Option<i64>,
}

/// A parameter in its type, if it fits.
fn num<T: TryFrom<i64>>(value: Option<i64>) -> Option<T> {
    T::try_from(value?).ok()
}

impl WireRule {
    /// The rule, or `None` for a code this build does not know (or parameters that do not fit).
    pub(crate) fn rule(self) -> Option<Rule> {
        let w = self;
        Some(match w.code.as_str() {
            "required" => Rule::Required,
            "empty" => Rule::Empty,
            "max_chars" => Rule::MaxChars { max: num(w.max)? },
            "no_control_chars" => Rule::NoControlChars,
            "only_digits" => Rule::OnlyDigits,
            "only_letters_and_digits" => Rule::OnlyLettersAndDigits,
            "digits" => Rule::Digits {
                count: num(w.count)?,
            },
            "digits_between" => Rule::DigitsBetween {
                min: num(w.min)?,
                max: num(w.max)?,
            },
            "letters_or_digits_between" => Rule::LettersOrDigitsBetween {
                min: num(w.min)?,
                max: num(w.max)?,
            },
            "email" => Rule::Email,
            "country_calling_code" => Rule::CountryCallingCode,
            "unknown_country_calling_code" => Rule::UnknownCountryCallingCode,
            "no_such_country_calling_code" => Rule::NoSuchCountryCallingCode,
            "phone_digits_for_country_code" => Rule::PhoneDigitsForCountryCode {
                digits: num(w.digits)?,
                country_code: num(w.country_code)?,
            },
            "phone_length" => Rule::PhoneLength {
                min: num(w.min)?,
                max: num(w.max)?,
            },
            "sent_code" => Rule::SentCode {
                digits: num(w.digits)?,
            },
            "us_state" => Rule::UsState,
            "zip" => Rule::Zip,
            "foreign_postal_code" => Rule::ForeignPostalCode { max: num(w.max)? },
            "country_code" => Rule::CountryCode,
            "date" => Rule::Date,
            "not_in_future" => Rule::NotInFuture,
            "in_future" => Rule::InFuture,
            "at_most_days_ahead" => Rule::AtMostDaysAhead { max: num(w.max)? },
            "after" => Rule::After { year: num(w.year)? },
            "min_age" => Rule::MinAge {
                years: num(w.years)?,
            },
            "tin_digits" => Rule::TinDigits,
            "tin_issued" => Rule::TinIssued,
            "document_side" => Rule::DocumentSide,
            "image_type" => Rule::ImageType,
            "max_megabytes" => Rule::MaxMegabytes { max: num(w.max)? },
            "metadata_size" => Rule::MetadataSize { max: num(w.max)? },
            "metadata_depth" => Rule::MetadataDepth { max: num(w.max)? },
            "metadata_shape" => Rule::MetadataShape,
            "at_least_one_step" => Rule::AtLeastOneStep,
            "repeated_key" => Rule::RepeatedKey,
            "step_twice" => Rule::StepTwice {
                step: w.step.as_deref()?.parse().ok()?,
            },
            "non_zero" => Rule::NonZero,
            "max_cents_either_way" => Rule::MaxCentsEitherWay { max: num(w.max)? },
            "at_least_one_cent" => Rule::AtLeastOneCent,
            "max_cents" => Rule::MaxCents { max: num(w.max)? },
            "amount_format" => Rule::AmountFormat,
            "two_decimals" => Rule::TwoDecimals,
            "at_most_amount" => Rule::AtMostAmount { max: num(w.max)? },
            "at_least_amount" => Rule::AtLeastAmount { min: num(w.min)? },
            "at_most_balance" => Rule::AtMostBalance {
                balance: num(w.balance)?,
            },
            "more_than_fee" => Rule::MoreThanFee { fee: num(w.fee)? },
            "compliance_required" => Rule::ComplianceRequired {
                threshold: num(w.threshold)?,
            },
            "idempotency_key" => Rule::IdempotencyKey,
            "routing_checksum" => Rule::RoutingChecksum,
            "venmo_handle" => Rule::VenmoHandle,
            "venmo_handle_or_phone" => Rule::VenmoHandleOrPhone,
            "cashtag" => Rule::Cashtag,
            "http_url" => Rule::HttpUrl,
            "url_host" => Rule::UrlHost,
            "no_spaces_or_control_chars" => Rule::NoSpacesOrControlChars,
            "embed_origin" => Rule::EmbedOrigin,
            "max_items" => Rule::MaxItems { max: num(w.max)? },
            "wrong_code" => Rule::WrongCode {
                tries_left: num(w.tries_left)?,
            },
            "too_many_tries" => Rule::TooManyTries,
            "code_expired" => Rule::CodeExpired,
            "phone_not_in_service" => Rule::PhoneNotInService {
                country_code: num(w.country_code)?,
            },
            "not_this_persons_phone" => Rule::NotThisPersonsPhone,
            "matches_background_check" => Rule::MatchesBackgroundCheck,
            "matches_tax_information" => Rule::MatchesTaxInformation,
            "unreadable" => Rule::Unreadable,
            "image_content" => Rule::ImageContent,
            "no_such_user" => Rule::NoSuchUser,
            "not_your_payout_method" => Rule::NotYourPayoutMethod,
            "platform_mismatch" => Rule::PlatformMismatch,
            "no_payout_method" => Rule::NoPayoutMethod,
            "insufficient_funds" => Rule::InsufficientFunds,
            "ledger_range" => Rule::LedgerRange,
            "ip_address" => Rule::IpAddress,
            "no_such_item" => Rule::NoSuchItem,
            "malformed" => Rule::Malformed,
            "endpoint_url" => Rule::EndpointUrl,
            "whole_number_between" => Rule::WholeNumberBetween {
                min: num(w.min)?,
                max: num(w.max)?,
            },
            "not_together" => Rule::NotTogether,
            "unknown_step" => Rule::UnknownStep,
            "color" => Rule::Color,
            "font_family" => Rule::FontFamily,
            "length_px" => Rule::LengthPx {
                min: num(w.min)?,
                max: num(w.max)?,
            },
            "font_weight" => Rule::FontWeight,
            "shadow" => Rule::Shadow,
            "https_url" => Rule::HttpsUrl,
            "not_allowed_here" => Rule::NotAllowedHere,
            "contrast" => Rule::Contrast {
                pair: ContrastPair::from_wire(w.pair.as_deref()?)?,
                ratio: num(w.ratio)?,
            },
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireRule::deserialize(deserializer)?
            .rule()
            .ok_or_else(|| serde::de::Error::custom("unknown rule"))
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

/// Every field of a value that broke a rule, in the order they were checked, up to
/// [`Invalid::MAX_FIELDS`]; never empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<Violation>);

impl Invalid {
    /// The most fields one refusal names: the first ones checked. A body of a million bad list
    /// entries would otherwise be answered with an error per entry, each larger than the entry
    /// (review: a 2 MB `allowed_origins` of empty strings made a 130 MB answer).
    pub const MAX_FIELDS: usize = 100;

    /// One field that broke `rule`.
    pub fn one(field: impl Into<String>, rule: Rule) -> Self {
        Invalid(vec![Violation {
            field: field.into(),
            rule,
        }])
    }

    /// Records that `field` breaks `rule`, unless [`Invalid::MAX_FIELDS`] are recorded already.
    pub fn add(&mut self, field: impl Into<String>, rule: Rule) {
        if self.0.len() >= Self::MAX_FIELDS {
            return;
        }
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
                .map(|v| FieldError::broke(v.field, v.rule))
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
    fn every_rule_reads_back_as_it_is_written() {
        let every = [
            Rule::Required,
            Rule::Empty,
            Rule::MaxChars { max: 7 },
            Rule::NoControlChars,
            Rule::OnlyDigits,
            Rule::OnlyLettersAndDigits,
            Rule::Digits { count: 7 },
            Rule::DigitsBetween { min: 7, max: 7 },
            Rule::LettersOrDigitsBetween { min: 7, max: 7 },
            Rule::Email,
            Rule::CountryCallingCode,
            Rule::UnknownCountryCallingCode,
            Rule::NoSuchCountryCallingCode,
            Rule::PhoneDigitsForCountryCode {
                digits: 7,
                country_code: 7,
            },
            Rule::PhoneLength { min: 7, max: 7 },
            Rule::SentCode { digits: 7 },
            Rule::UsState,
            Rule::Zip,
            Rule::ForeignPostalCode { max: 7 },
            Rule::CountryCode,
            Rule::Date,
            Rule::NotInFuture,
            Rule::InFuture,
            Rule::AtMostDaysAhead { max: 7 },
            Rule::After { year: 7 },
            Rule::MinAge { years: 7 },
            Rule::TinDigits,
            Rule::TinIssued,
            Rule::DocumentSide,
            Rule::ImageType,
            Rule::MaxMegabytes { max: 7 },
            Rule::MetadataSize { max: 7 },
            Rule::MetadataDepth { max: 7 },
            Rule::MetadataShape,
            Rule::AtLeastOneStep,
            Rule::RepeatedKey,
            Rule::StepTwice {
                step: StepName::Payout,
            },
            Rule::NonZero,
            Rule::MaxCentsEitherWay { max: 7 },
            Rule::AtLeastOneCent,
            Rule::MaxCents { max: 7 },
            Rule::AmountFormat,
            Rule::TwoDecimals,
            Rule::AtMostAmount { max: 7 },
            Rule::AtLeastAmount { min: 7 },
            Rule::AtMostBalance { balance: 7 },
            Rule::MoreThanFee { fee: 7 },
            Rule::ComplianceRequired { threshold: 7 },
            Rule::IdempotencyKey,
            Rule::RoutingChecksum,
            Rule::VenmoHandle,
            Rule::VenmoHandleOrPhone,
            Rule::Cashtag,
            Rule::HttpUrl,
            Rule::UrlHost,
            Rule::NoSpacesOrControlChars,
            Rule::EmbedOrigin,
            Rule::MaxItems { max: 7 },
            Rule::WrongCode { tries_left: 7 },
            Rule::TooManyTries,
            Rule::CodeExpired,
            Rule::PhoneNotInService { country_code: 7 },
            Rule::NotThisPersonsPhone,
            Rule::MatchesBackgroundCheck,
            Rule::MatchesTaxInformation,
            Rule::Unreadable,
            Rule::ImageContent,
            Rule::NoSuchUser,
            Rule::NotYourPayoutMethod,
            Rule::PlatformMismatch,
            Rule::NoPayoutMethod,
            Rule::InsufficientFunds,
            Rule::LedgerRange,
            Rule::IpAddress,
            Rule::NoSuchItem,
            Rule::Malformed,
            Rule::EndpointUrl,
            Rule::WholeNumberBetween { min: 7, max: 7 },
            Rule::NotTogether,
            Rule::UnknownStep,
            Rule::Color,
            Rule::FontFamily,
            Rule::LengthPx { min: 7, max: 7 },
            Rule::FontWeight,
            Rule::Shadow,
            Rule::HttpsUrl,
            Rule::NotAllowedHere,
            Rule::Contrast {
                pair: ContrastPair::TextSecondaryOnSurface,
                ratio: 7,
            },
        ];
        for rule in every {
            let wire = serde_json::to_value(rule).unwrap();
            assert_eq!(
                serde_json::from_value::<Rule>(wire.clone()).ok(),
                Some(rule),
                "{wire}"
            );
        }
        assert_eq!(
            serde_json::to_value(Rule::Digits { count: 9 }).unwrap(),
            serde_json::json!({"code": "digits", "count": 9})
        );
        assert!(serde_json::from_value::<Rule>(serde_json::json!({"code": "nope"})).is_err());
    }

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
        assert_eq!(e.fields[0].rule, Some(Rule::Digits { count: 9 }));
        assert_eq!(Invalid::default().finish(), Ok(()));
    }
}
