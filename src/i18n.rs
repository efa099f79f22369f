//! Every string the user reads, in the user's language: the texts live in `locales/en.json` and
//! `locales/es.json`, and `leptos_i18n` (through `build.rs`) turns them into typed keys checked
//! at compile time. Components write [`t!`](crate::t): `t!(sign_in_title)` for fixed text and
//! `t!(progress_step, current = 2, total = 3)` for text with `{{ placeholders }}`.
//!
//! This module also owns which language is shown ([`locale`], [`set_locale`]) and how it is
//! chosen ([`choose_locale`]): a host's `set_locale` window message, then the link's `?locale=`
//! (which the embed option `locale` sets), then the browser's languages, then English. An unknown
//! locale is ignored, silently. Switching sets `<html lang>` and re-renders the screen
//! ([`locale_signal`], read by the app shell).
//!
//! Money is shown as `$1,234.56` in both languages: amounts are US dollars, and US Spanish (and
//! most of Latin America for dollars) writes them the same way. The app shows no dates.
//!
//! Developer-facing text (console warnings, window-message payloads meant for host code) is not
//! translated.

use crate::api::ApiFailure;
use payout_model::money::format_cents;
use payout_model::{Reason, Rule, StepName};
use std::cell::Cell;

#[allow(missing_docs, unused, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
}

/// The languages the app speaks (`Locale::en`, `Locale::es`), generated from `locales/`.
pub use generated::i18n::Locale;
use leptos::prelude::{ArcRwSignal, Get, Set};
#[doc(hidden)]
pub use leptos_i18n::td_string;
use leptos_i18n::Locale as _;

/// The text of a key in the current [`locale`]: `t!(retry)` is a `&'static str`;
/// `t!(progress_step, current = 2, total = 3)` fills the placeholders and is a `String`.
/// A key or placeholder that `locales/en.json` does not have is a compile error.
#[macro_export]
macro_rules! t {
    ($key:ident) => {
        $crate::i18n::td_string!($crate::i18n::locale(), $key)
    };
    ($key:ident, $($args:tt)+) => {
        $crate::i18n::td_string!($crate::i18n::locale(), $key, $($args)+)
    };
}

thread_local! {
    static CURRENT: Cell<Locale> = const { Cell::new(Locale::en) };
    static SIGNAL: ArcRwSignal<Locale> = ArcRwSignal::new(Locale::en);
}

/// The language text is shown in now (not tracked: see [`locale_signal`]).
pub fn locale() -> Locale {
    CURRENT.with(Cell::get)
}

/// The current language as a signal, for the part of the view that must re-render when it
/// changes (the app shell re-creates the screen).
pub fn locale_signal() -> ArcRwSignal<Locale> {
    SIGNAL.with(Clone::clone)
}

/// Shows text in `locale` from now on, sets `<html lang>`, and re-renders what reads
/// [`locale_signal`]. Nothing happens when it is already the locale.
pub fn set_locale(locale: Locale) {
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("lang", locale.as_str());
    }
    if CURRENT.with(|c| c.replace(locale)) != locale {
        let signal = locale_signal();
        if signal.get() != locale {
            signal.set(locale);
        }
    }
}

/// The locale a language tag asks for: `es`, `es-MX` and `ES_419` give Spanish; `None` for a
/// language the app does not speak (or an empty tag).
pub fn parse_locale(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    Locale::get_all()
        .iter()
        .copied()
        .find(|l| l.as_str() == primary)
}

/// The locale to start in: the link's `?locale=` (set by the embed option) if the app speaks
/// it, else the first of the browser's languages it speaks, else English.
pub fn choose_locale<'a>(link: Option<&str>, browser: impl IntoIterator<Item = &'a str>) -> Locale {
    link.and_then(parse_locale)
        .or_else(|| browser.into_iter().find_map(parse_locale))
        .unwrap_or(Locale::en)
}

/// Reads the page (`?locale=` and `navigator.languages`) and sets the locale ([`choose_locale`]).
pub fn init_from_page() {
    let window = leptos::prelude::window();
    let link = window
        .location()
        .search()
        .ok()
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .and_then(|p| p.get("locale"));
    let browser: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|l| l.as_string())
        .collect();
    set_locale(choose_locale(
        link.as_deref(),
        browser.iter().map(String::as_str),
    ));
}

/// `label`'s field broke `rule`, as one sentence in the user's language: "Routing number must
/// be 9 digits". Each rule is a whole sentence with the label as a parameter, so a language
/// may put the label wherever its grammar wants it.
pub fn rule_text(label: &str, rule: Rule) -> String {
    match rule {
        Rule::Required => t!(rule_required, label),
        Rule::Empty => t!(rule_empty, label),
        Rule::MaxChars { max } => t!(rule_max_chars, label, max),
        Rule::NoControlChars => t!(rule_no_control_chars, label),
        Rule::OnlyDigits => t!(rule_only_digits, label),
        Rule::OnlyLettersAndDigits => t!(rule_only_letters_and_digits, label),
        Rule::Digits { count } => t!(rule_digits, label, count),
        Rule::DigitsBetween { min, max } => t!(rule_digits_between, label, min, max),
        Rule::LettersOrDigitsBetween { min, max } => {
            t!(rule_letters_or_digits_between, label, min, max)
        }
        Rule::Email => t!(rule_email, label),
        Rule::CountryCallingCode => t!(rule_country_calling_code, label),
        Rule::PhoneDigitsForCountryCode {
            digits,
            country_code,
        } => t!(
            rule_phone_digits_for_country_code,
            label,
            digits,
            country_code
        ),
        Rule::PhoneLength { min, max } => t!(rule_phone_length, label, min, max),
        Rule::SentCode { digits } => t!(rule_sent_code, label, digits),
        Rule::UsState => t!(rule_us_state, label),
        Rule::Zip => t!(rule_zip, label),
        Rule::ForeignPostalCode { max } => t!(rule_foreign_postal_code, label, max),
        Rule::CountryCode => t!(rule_country_code, label),
        Rule::Date => t!(rule_date, label),
        Rule::NotInFuture => t!(rule_not_in_future, label),
        Rule::InFuture => t!(rule_in_future, label),
        Rule::After { year } => t!(rule_after, label, year),
        Rule::MinAge { years } => t!(rule_min_age, label, years),
        Rule::TinDigits => t!(rule_tin_digits, label),
        Rule::TinIssued => t!(rule_tin_issued, label),
        Rule::DocumentSide => t!(rule_document_side, label),
        Rule::ImageType => t!(rule_image_type, label),
        Rule::MaxMegabytes { max } => t!(rule_max_megabytes, label, max),
        Rule::MetadataSize { max } => t!(rule_metadata_size, label, max),
        Rule::MetadataShape => t!(rule_metadata_shape, label),
        Rule::AtLeastOneStep => t!(rule_at_least_one_step, label),
        Rule::StepTwice { step } => t!(rule_step_twice, label, step = step.as_str()),
        Rule::RepeatedKey => t!(rule_repeated_key, label),
        Rule::NonZero => t!(rule_non_zero, label),
        Rule::MaxCentsEitherWay { max } => t!(rule_max_cents_either_way, label, max),
        Rule::AtLeastOneCent => t!(rule_at_least_one_cent, label),
        Rule::MaxCents { max } => t!(rule_max_cents, label, max),
        Rule::AmountFormat => t!(rule_amount_format, label),
        Rule::TwoDecimals => t!(rule_two_decimals, label),
        Rule::AtMostAmount { max } => t!(rule_at_most_amount, label, max = format_cents(max)),
        Rule::MoreThanFee { fee } => t!(rule_more_than_fee, label, fee = format_cents(fee)),
        Rule::IdempotencyKey => t!(rule_idempotency_key, label),
        Rule::RoutingChecksum => t!(rule_routing_checksum, label),
        Rule::VenmoHandle => t!(rule_venmo_handle, label),
        Rule::VenmoHandleOrPhone => t!(rule_venmo_handle_or_phone, label),
        Rule::Cashtag => t!(rule_cashtag, label),
        Rule::AtLeastAmount { min } => t!(rule_at_least_amount, label, min = format_cents(min)),
        Rule::ComplianceRequired { threshold } => t!(
            rule_compliance_required,
            label,
            threshold = format_cents(threshold)
        ),
        Rule::AtMostBalance { balance } => {
            t!(rule_at_most_balance, label, balance = format_cents(balance))
        }
        Rule::HttpUrl => t!(rule_http_url, label),
        Rule::UrlHost => t!(rule_url_host, label),
        Rule::NoSpacesOrControlChars => t!(rule_no_spaces_or_control_chars, label),
        Rule::EmbedOrigin => t!(rule_embed_origin, label),
        Rule::MaxItems { max } => t!(rule_max_items, label, max),
        Rule::WrongCode { tries_left: 1 } => t!(rule_wrong_code_one_try, label),
        Rule::WrongCode { tries_left } => t!(rule_wrong_code, label, tries_left),
        Rule::TooManyTries => t!(rule_too_many_tries, label),
        Rule::CodeExpired => t!(rule_code_expired, label),
        Rule::PhoneNotInService { country_code } => {
            t!(rule_phone_not_in_service, label, country_code)
        }
        Rule::NotThisPersonsPhone => t!(rule_not_this_persons_phone, label),
        Rule::MatchesBackgroundCheck => t!(rule_matches_background_check, label),
        Rule::MatchesTaxInformation => t!(rule_matches_tax_information, label),
        Rule::Unreadable => t!(rule_unreadable, label),
        Rule::ImageContent => t!(rule_image_content, label),
        Rule::NoSuchUser => t!(rule_no_such_user, label),
        Rule::NotYourPayoutMethod => t!(rule_not_your_payout_method, label),
        Rule::PlatformMismatch => t!(rule_platform_mismatch, label),
        Rule::NoPayoutMethod => t!(rule_no_payout_method, label),
        Rule::InsufficientFunds => t!(rule_insufficient_funds, label),
        Rule::LedgerRange => t!(rule_ledger_range, label),
        Rule::IpAddress => t!(rule_ip_address, label),
        Rule::NoSuchItem => t!(rule_no_such_item, label),
        Rule::Malformed => t!(rule_malformed, label),
        Rule::EndpointUrl => t!(rule_endpoint_url, label),
        Rule::WholeNumberBetween { min, max } => t!(rule_whole_number_between, label, min, max),
        Rule::NotTogether => t!(rule_not_together, label),
        Rule::UnknownStep => t!(rule_unknown_step, label),
    }
}

/// Why the server refused, as one sentence in the user's language (issue 9, "the server sends
/// data, not display strings"): the refusal's [`Reason`] worded here. An answer without a
/// reason this build knows (a host-level refusal, a newer server) keeps the server's `message`,
/// and a request that got no answer the browser's words: details for support, not a sentence
/// the flow composes.
pub fn failure_details(failure: &ApiFailure) -> String {
    match failure.api_error().and_then(|e| e.reason) {
        Some(reason) => reason_text(reason),
        None => failure.message().to_owned(),
    }
}

/// `reason` as one sentence in the user's language.
pub fn reason_text(reason: Reason) -> String {
    let text = match reason {
        Reason::CodeCooldown {
            retry_after: seconds,
        } => return t!(reason_code_cooldown, seconds),
        Reason::TooManyWrongCodes {
            retry_after: seconds,
        } => return t!(reason_too_many_wrong_codes, seconds),
        Reason::RateLimited {
            retry_after: seconds,
        } => return t!(reason_rate_limited, seconds),
        Reason::NoCodeRequested => t!(reason_no_code_requested),
        Reason::AlreadySignedIn => t!(reason_already_signed_in),
        Reason::FlowClaimed => t!(reason_flow_claimed),
        Reason::PhoneNotVerified => t!(reason_phone_not_verified),
        Reason::SignInRequired => t!(reason_sign_in_required),
        Reason::StepNotDone { step } => match step {
            StepName::ManagePayouts => t!(reason_add_payout_method_first),
            StepName::ManagePayments => t!(reason_add_bank_account_first),
            StepName::Payout => t!(reason_make_payout_first),
            _ => t!(reason_finish_step_first),
        },
        Reason::FlowChanged => t!(reason_flow_changed),
        Reason::CheckAlreadyRun => t!(reason_check_already_run),
        Reason::IdAlreadyVerified => t!(reason_id_already_verified),
        Reason::IdInReview => t!(reason_id_in_review),
        Reason::PayoutUnavailable => t!(reason_payout_unavailable),
        Reason::LinkClaimed => t!(reason_link_claimed),
        Reason::LinkClosed => t!(reason_link_closed),
    };
    text.to_owned()
}

/// The title of a step, as headings and the progress indicator show it.
pub fn step_title(step: StepName) -> &'static str {
    match step {
        StepName::Compliance => t!(step_compliance),
        StepName::IdVerification => t!(step_id_verification),
        StepName::BackgroundCheck => t!(step_background_check),
        StepName::ManagePayments => t!(step_manage_payments),
        StepName::ManagePayouts => t!(step_manage_payouts),
        StepName::Payout => t!(step_payout),
        StepName::Redirect => t!(step_redirect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    type Texts = BTreeMap<String, String>;

    fn texts(json: &str) -> Texts {
        serde_json::from_str(json).expect("a locale file is a flat JSON object of strings")
    }

    /// `{{ name }}` placeholders of one text.
    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split("{{")
            .skip(1)
            .filter_map(|rest| rest.split_once("}}"))
            .map(|(name, _)| name.trim().to_owned())
            .collect()
    }

    /// leptos_i18n only warns when a locale lacks a key (English shows instead); this fails.
    #[test]
    fn every_locale_has_every_key_and_placeholder() {
        let en = texts(include_str!("../locales/en.json"));
        let es = texts(include_str!("../locales/es.json"));
        let missing: Vec<&String> = en.keys().filter(|k| !es.contains_key(*k)).collect();
        let extra: Vec<&String> = es.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "es.json lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "es.json has keys en.json lacks: {extra:?}"
        );
        for (key, english) in &en {
            assert!(!es[key].trim().is_empty(), "es.json: {key} is empty");
            assert_eq!(
                placeholders(english),
                placeholders(&es[key]),
                "{key}: placeholders differ between en.json and es.json"
            );
        }
    }

    #[test]
    fn interpolates_in_each_locale() {
        CURRENT.with(|c| c.set(Locale::es));
        assert_eq!(t!(progress_step, current = 2, total = 3), "Paso 2 de 3");
        assert_eq!(t!(retry), "Volver a intentar");
        CURRENT.with(|c| c.set(Locale::en));
        assert_eq!(t!(progress_step, current = 2, total = 3), "Step 2 of 3");
        assert_eq!(
            t!(redirect_title, host = "example.com"),
            "Taking you to example.com…"
        );
    }

    #[test]
    fn chooses_link_then_browser_then_english() {
        assert_eq!(choose_locale(Some("es"), ["en-US"]), Locale::es);
        assert_eq!(choose_locale(Some("es-MX"), []), Locale::es);
        assert_eq!(choose_locale(Some("fr"), ["de", "es-419"]), Locale::es);
        assert_eq!(choose_locale(None, ["fr", "en-GB", "es"]), Locale::en);
        assert_eq!(choose_locale(Some(""), ["xx"]), Locale::en);
        assert_eq!(choose_locale(None, []), Locale::en);
        assert_eq!(parse_locale("ES_419"), Some(Locale::es));
        assert_eq!(parse_locale("klingon"), None);
    }

    #[test]
    fn every_step_has_a_title() {
        let titles: HashSet<&str> = StepName::ALL.into_iter().map(step_title).collect();
        assert_eq!(titles.len(), StepName::ALL.len());
    }
}
