//! What the identity steps (sign-in, compliance, ID verification, background check) share
//! besides their components: the tax id mask, the resend countdown's arithmetic, today's (UTC) date,
//! and the country and state pickers' options. The rules themselves live in
//! [`payout_model::identity`]; nothing here re-states them.

use crate::t;
use chrono::NaiveDate;
use payout_model::identity::{COUNTRIES, US_STATES};
use payout_model::{last4, Timestamp};

/// A tax id as the screen shows it once the user has left the field: `•••-••-6789`. The whole
/// number stays in memory only (issue 3: "the SSN is masked on screen after entry"). One not
/// typed whole shows a bullet for each digit but its last few, never more than half
/// (`••••56`: review, "1234" typed then left showed `•••-••-1234`, every digit of it), as the
/// foreign tax id's.
pub fn mask_tin(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 9 {
        return masked_last4(&last4(&digits));
    }
    if digits.len() < 4 {
        return "•".repeat(value.chars().count());
    }
    let tail = payout_model::mask::shown_tail(&digits);
    format!("{}{tail}", "•".repeat(digits.len() - tail.len()))
}

/// A foreign tax id as the screen shows it once the user has left the field: a bullet for each
/// letter or digit but its last few (four, never more than half: `•••••456C`), as the SSN's
/// (review: it stayed whole on screen). The whole id stays in memory only.
pub fn mask_foreign_tax_id(value: &str) -> String {
    let tail = payout_model::mask::shown_tail(value);
    let all = value.chars().filter(char::is_ascii_alphanumeric).count();
    let hidden = all.saturating_sub(tail.chars().count()).max(1);
    format!("{}{tail}", "•".repeat(hidden))
}

/// `•••-••-{last4}`: a stored SSN or ITIN.
pub fn masked_last4(last4: &str) -> String {
    format!("•••-••-{last4}")
}

/// Whole seconds from `now_ms` (milliseconds since the epoch) until `at`, rounded up; 0 once
/// `at` has passed.
pub fn seconds_until(at: Timestamp, now_ms: f64) -> i64 {
    let left_ms = at.timestamp_millis() as f64 - now_ms;
    (left_ms / 1000.0).ceil().max(0.0) as i64
}

/// Today's date in UTC, for the date-of-birth rules (browser only): the sandbox applies the
/// 18+ rule on the UTC date, so the inline check must use the same day or the two disagree
/// around midnight.
pub fn today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        now.get_utc_full_year() as i32,
        now.get_utc_month() + 1,
        now.get_utc_date(),
    )
    .unwrap_or_default()
}

/// Whether `country` is the United States (W-9, SSN, state and ZIP).
pub fn is_us(country: &str) -> bool {
    country.trim().eq_ignore_ascii_case("US")
}

/// `value` trimmed, or `None` when nothing is left (optional fields are sent absent).
pub fn optional(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The country picker's options, `(code, name)`: the United States first, then every other
/// country by name. Names come from the browser (`Intl.DisplayNames`), or are the codes where
/// it has none.
pub fn country_options() -> Vec<(String, String)> {
    let names = region_names();
    let name = |code: &str| {
        names
            .as_ref()
            .and_then(|n| n.of(code))
            .map(String::from)
            .unwrap_or_else(|| code.to_owned())
    };
    let mut others: Vec<(String, String)> = COUNTRIES
        .iter()
        .filter(|c| **c != "US")
        .map(|c| (c.to_string(), name(c)))
        .collect();
    others.sort_by(|a, b| a.1.cmp(&b.1));
    let mut options = vec![("US".to_owned(), name("US"))];
    options.extend(others);
    options
}

/// `Intl.DisplayNames` for regions in the language shown (so a Spanish page names the countries
/// in Spanish, not English inside Spanish), where the browser has it.
fn region_names() -> Option<js_sys::Intl::DisplayNames> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    if !js_sys::Reflect::has(&intl, &"DisplayNames".into()).unwrap_or(false) {
        return None;
    }
    let options = js_sys::Intl::DisplayNamesOptions::new();
    options.set_type(js_sys::Intl::DisplayNamesType::Region);
    let locales = js_sys::Array::of1(&leptos_i18n::Locale::as_str(crate::i18n::locale()).into());
    Some(js_sys::Intl::DisplayNames::new(&locales, &options))
}

/// The state picker's options in the current language, `(code, name)`: "Choose a state"
/// first, then [`US_STATES`]: the states and DC in the order of their names, then the armed
/// forces' and the territories.
pub fn state_options() -> Vec<(String, String)> {
    let spanish = crate::i18n::locale() == crate::i18n::Locale::es;
    let name = |code: &'static str| {
        if spanish {
            state_name_es(code)
        } else {
            state_name(code)
        }
    };
    let mut states: Vec<(String, String)> = US_STATES
        .iter()
        .map(|code| (code.to_string(), name(code).to_owned()))
        .collect();
    // The 50 states and DC come first in US_STATES; "Míchigan" goes with the "Mi"s.
    states[..51].sort_by_cached_key(|(_, name)| sort_key(name));
    let mut options = vec![(String::new(), t!(choose_state).to_owned())];
    options.extend(states);
    options
}

/// `name` with its accented vowels plain, to order names as a reader would.
fn sort_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            c => c,
        })
        .collect()
}

/// The Spanish name of a US state or territory by its code (as USA.gov en español names them;
/// [`state_name`] where Spanish uses the English one).
pub fn state_name_es(code: &str) -> &str {
    match code {
        "DC" => "Distrito de Columbia",
        "HI" => "Hawái",
        "LA" => "Luisiana",
        "MI" => "Míchigan",
        "MS" => "Misisipi",
        "MO" => "Misuri",
        "NH" => "Nuevo Hampshire",
        "NJ" => "Nueva Jersey",
        "NM" => "Nuevo México",
        "NY" => "Nueva York",
        "NC" => "Carolina del Norte",
        "ND" => "Dakota del Norte",
        "OR" => "Oregón",
        "PA" => "Pensilvania",
        "SC" => "Carolina del Sur",
        "SD" => "Dakota del Sur",
        "WV" => "Virginia Occidental",
        "AA" => "Fuerzas Armadas (América)",
        "AE" => "Fuerzas Armadas (Europa)",
        "AP" => "Fuerzas Armadas (Pacífico)",
        "AS" => "Samoa Estadounidense",
        "MP" => "Islas Marianas del Norte",
        "VI" => "Islas Vírgenes de EE. UU.",
        other => state_name(other),
    }
}

/// The name of a US state or territory by its code (the code itself if unknown).
pub fn state_name(code: &str) -> &str {
    match code {
        "AL" => "Alabama",
        "AK" => "Alaska",
        "AZ" => "Arizona",
        "AR" => "Arkansas",
        "CA" => "California",
        "CO" => "Colorado",
        "CT" => "Connecticut",
        "DE" => "Delaware",
        "DC" => "District of Columbia",
        "FL" => "Florida",
        "GA" => "Georgia",
        "HI" => "Hawaii",
        "ID" => "Idaho",
        "IL" => "Illinois",
        "IN" => "Indiana",
        "IA" => "Iowa",
        "KS" => "Kansas",
        "KY" => "Kentucky",
        "LA" => "Louisiana",
        "ME" => "Maine",
        "MD" => "Maryland",
        "MA" => "Massachusetts",
        "MI" => "Michigan",
        "MN" => "Minnesota",
        "MS" => "Mississippi",
        "MO" => "Missouri",
        "MT" => "Montana",
        "NE" => "Nebraska",
        "NV" => "Nevada",
        "NH" => "New Hampshire",
        "NJ" => "New Jersey",
        "NM" => "New Mexico",
        "NY" => "New York",
        "NC" => "North Carolina",
        "ND" => "North Dakota",
        "OH" => "Ohio",
        "OK" => "Oklahoma",
        "OR" => "Oregon",
        "PA" => "Pennsylvania",
        "RI" => "Rhode Island",
        "SC" => "South Carolina",
        "SD" => "South Dakota",
        "TN" => "Tennessee",
        "TX" => "Texas",
        "UT" => "Utah",
        "VT" => "Vermont",
        "VA" => "Virginia",
        "WA" => "Washington",
        "WV" => "West Virginia",
        "WI" => "Wisconsin",
        "WY" => "Wyoming",
        "AA" => "Armed Forces Americas",
        "AE" => "Armed Forces Europe",
        "AP" => "Armed Forces Pacific",
        "AS" => "American Samoa",
        "GU" => "Guam",
        "MP" => "Northern Mariana Islands",
        "PR" => "Puerto Rico",
        "VI" => "U.S. Virgin Islands",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tin_shows_only_its_last_four_digits() {
        assert_eq!(mask_tin("123-45-6789"), "•••-••-6789");
        assert_eq!(mask_tin("123456789"), "•••-••-6789");
        assert_eq!(mask_tin("12"), "••");
        // Review: a number not typed whole showed every digit typed.
        assert_eq!(mask_tin("1234"), "••34");
        assert_eq!(mask_tin("12345678"), "••••5678");
        assert_eq!(mask_tin("123"), "•••");
        assert!(!mask_tin("123-45-6789").contains("12345"));
    }

    #[test]
    fn countdown_rounds_up_and_stops_at_zero() {
        let at: Timestamp = "2026-01-01T00:00:30Z".parse().unwrap();
        let at_ms = at.timestamp_millis() as f64;
        assert_eq!(seconds_until(at, at_ms - 30_000.0), 30);
        assert_eq!(seconds_until(at, at_ms - 29_001.0), 30);
        assert_eq!(seconds_until(at, at_ms - 500.0), 1);
        assert_eq!(seconds_until(at, at_ms), 0);
        assert_eq!(seconds_until(at, at_ms + 5_000.0), 0);
    }

    #[test]
    fn every_state_has_a_name() {
        for code in US_STATES {
            assert_ne!(state_name(code), code);
        }
        assert_eq!(state_options().len(), US_STATES.len() + 1);
        // In English the states keep the order of US_STATES, which is that of their names.
        let codes: Vec<String> = state_options().into_iter().skip(1).map(|o| o.0).collect();
        assert_eq!(codes, US_STATES);
    }

    /// Stop 41: the state picker named the states in English in every language.
    #[test]
    fn the_state_picker_speaks_spanish() {
        let options = crate::i18n::with_locale(crate::i18n::Locale::es, state_options);
        assert_eq!(options[0].1, "Elige un estado");
        assert!(options.contains(&("NY".to_owned(), "Nueva York".to_owned())));
        assert!(options.contains(&("PR".to_owned(), "Puerto Rico".to_owned())));
        let names: Vec<&str> = options[1..].iter().map(|o| o.1.as_str()).collect();
        // The states and DC in the order of their Spanish names, then the armed forces and the
        // territories as in English.
        let ordered = |w: &[&str]| sort_key(w[0]) < sort_key(w[1]);
        assert!(names[..51].windows(2).all(ordered), "{names:?}");
        assert_eq!(names[..3], ["Alabama", "Alaska", "Arizona"]);
        let at = |name| names.iter().position(|n| *n == name).unwrap();
        assert_eq!(at("Míchigan") + 1, at("Minnesota"));
        assert!(names[..51].contains(&"Carolina del Norte"));
        assert_eq!(names[51], "Fuerzas Armadas (América)");
        assert_eq!(names[58], "Islas Vírgenes de EE. UU.");
        for (code, name) in &options[1..] {
            assert_eq!(state_name_es(code), name);
        }
    }

    #[test]
    fn optional_fields_are_trimmed_or_absent() {
        assert_eq!(optional("  "), None);
        assert_eq!(optional(" Apt 4 "), Some("Apt 4".into()));
        assert!(is_us(" us"));
        assert!(!is_us("GB"));
    }
}
