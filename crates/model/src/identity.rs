//! Who the user is (issue 3): sign-in by phone and one-time code, compliance (W-9 / W-8BEN tax
//! data), ID verification and the background check — the wire types of their flow-facing
//! endpoints, what the host reads of them on the user object, and the field rules both the app
//! (inline, as the user types) and the sandbox (the authoritative check) apply.
//!
//! Secrets never travel back: a compliance or background-check answer carries the last four
//! digits of a tax id, never the whole number.
//!
//! | endpoint (flow-facing, bearer session) | body | answer |
//! | --- | --- | --- |
//! | `POST /api/flow/auth/code` | [`NewCode`] | [`CodeSent`] |
//! | `POST /api/flow/auth/verify` | [`CodeCheck`] | [`SignIn`] |
//! | `POST /api/flow/auth/profile` | [`NewProfile`] | [`SignIn`] (always `signed_in`) |
//! | `GET /api/flow/compliance` | | `Option<`[`Compliance`]`>` |
//! | `PUT /api/flow/compliance` | [`NewCompliance`] | [`Submitted`]`<`[`Compliance`]`>` |
//! | `GET /api/flow/id-verification` | | [`IdVerification`] |
//! | `PUT /api/flow/id-verification/documents/{side}` | image bytes | [`UploadedDocument`] |
//! | `POST /api/flow/id-verification/submit` | | [`Submitted`]`<`[`IdVerification`]`>` |
//! | `POST /api/flow/background-check` | [`NewBackgroundCheck`] | [`Submitted`]`<`[`BackgroundCheck`]`>` |

use crate::flow::FlowState;
use crate::rule::{AsOf, Invalid, Rule, Validate};
use crate::user::{check_country_code, check_email, check_name, check_phone_number};
use crate::wire_names::deserialize_by_name;
use chrono::{DateTime, Utc};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Digits in a one-time code.
pub const CODE_LENGTH: usize = 6;
/// A code stops working this long after it was sent.
pub const CODE_TTL_MINUTES: i64 = 10;
/// Wrong tries a code allows; after that a new code is needed.
pub const CODE_MAX_ATTEMPTS: u32 = 5;
/// A new code may be asked for this long after the last one was sent.
pub const CODE_RESEND_SECONDS: i64 = 30;
/// Age a person must have reached for compliance and the background check.
pub const MIN_AGE_YEARS: u32 = 18;
/// Largest ID document or selfie accepted, in bytes (5 MiB).
pub const DOCUMENT_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Image types accepted for ID documents and selfies.
pub const DOCUMENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

// ---------------------------------------------------------------------------------------------
// Sign-in

/// `POST /api/flow/auth/code`: send a one-time code to this phone.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCode {
    /// Country calling code, digits (`"1"`); a leading `+` is accepted.
    #[serde(default)]
    pub country_code: String,
    /// National number; separators are ignored.
    #[serde(default)]
    pub phone_number: String,
    /// Send the code to the phone the flow's payout link names instead (issue 11: the app
    /// shows only its last digits, [`FlowState::payee_phone`](crate::FlowState)); the two
    /// fields above are then not read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub payee_phone: bool,
}

/// The phone a payout link names, as a session that has not signed in may see it: enough to
/// recognise one's own number, not to learn someone's (`+1 ••• ••• 2334`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneHint {
    /// Country calling code, digits (`1`).
    pub country_code: String,
    /// The number's last four digits; fewer for a number of under eight digits (never more
    /// than half of it).
    pub last4: String,
}

impl Validate for NewCode {
    /// The structural rules the app also applies as the user types (the sandbox then parses
    /// the number with a phone-number library, which may refuse it as not a real number).
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if self.payee_phone {
            return Ok(());
        }
        if let Err(m) = check_country_code(&self.country_code) {
            errors.add("country_code", m);
        }
        if let Err(m) = check_phone_number(&self.country_code, &self.phone_number) {
            errors.add("phone_number", m);
        }
        errors.finish()
    }
}

/// A code was sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// The number it went to, masked but for its last digits (`+1 ••• ••• 2334`), kept for
    /// older clients; the app shows it from `country_code` and `last4` (issue 9).
    pub sent_to: String,
    /// The country calling code of that number, digits only (`1`).
    #[serde(default)]
    pub country_code: String,
    /// The last four digits of that number (`2334`); fewer for a number of under eight digits
    /// (never more than half of it).
    #[serde(default)]
    pub last4: String,
    /// When the code stops working.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// When a new code may be asked for (the resend cooldown).
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub resend_at: DateTime<Utc>,
}

/// `POST /api/flow/auth/verify`: the code the user typed.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeCheck {
    /// Six digits.
    pub code: String,
}

impl Validate for CodeCheck {
    /// The code's shape (the sandbox then compares it with the one it sent).
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_code(&self.code) {
            errors.add("code", m);
        }
        errors.finish()
    }
}

/// `POST /api/flow/auth/profile`: who a new user is, once their phone is verified.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProfile {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email: String,
}

impl Validate for NewProfile {
    /// Checks every field; the error names each one that is wrong.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_name(&self.first_name) {
            errors.add("first_name", m);
        }
        if let Err(m) = check_name(&self.last_name) {
            errors.add("last_name", m);
        }
        if let Err(m) = check_email(&self.email) {
            errors.add("email", m);
        }
        errors.finish()
    }
}

/// Where sign-in stands after a code was verified (or a profile given).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignIn {
    /// The session now acts for the user, and the flow is claimed by them (`user_id` set).
    SignedIn {
        /// The flow as it now is.
        flow: FlowState,
    },
    /// The phone is verified but belongs to no user of the app yet: ask for a [`NewProfile`].
    ProfileRequired,
}

/// [`SignIn`] as it travels, read field by field: serde's derive for an internally tagged enum
/// first buffers the whole object in its `Content` tree, which (with a second copy of
/// [`FlowState`]'s reader) cost the app's release wasm 22 KB (issue 9).
#[derive(Deserialize)]
struct WireSignIn {
    status: String,
    flow: Option<FlowState>,
}

impl<'de> Deserialize<'de> for SignIn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = WireSignIn::deserialize(deserializer)?;
        match (wire.status.as_str(), wire.flow) {
            ("signed_in", Some(flow)) => Ok(SignIn::SignedIn { flow }),
            ("signed_in", None) => Err(D::Error::missing_field("flow")),
            ("profile_required", _) => Ok(SignIn::ProfileRequired),
            (other, _) => Err(D::Error::unknown_variant(
                other,
                &["signed_in", "profile_required"],
            )),
        }
    }
}

/// A one-time code: exactly [`CODE_LENGTH`] digits (spaces ignored).
pub fn check_code(value: &str) -> Result<(), Rule> {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err(Rule::Required);
    }
    if digits.len() != CODE_LENGTH || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rule::SentCode {
            digits: CODE_LENGTH as u8,
        });
    }
    Ok(())
}

/// `+1 ••• ••• 2334`: a phone number with all but its last four digits hidden; given the tail
/// the server may show (`PhoneHint::last4`, `CodeSent::last4`: never more than half the
/// number), that tail as it is.
pub fn mask_phone(country_code: &str, national: &str) -> String {
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().saturating_sub(4);
    format!("+{country_code} ••• ••• {}", &digits[keep..])
}

// ---------------------------------------------------------------------------------------------
// Shared parts: dates, addresses, tax ids

/// A postal address. In the US `region` is the two-letter state and `postal_code` the ZIP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Apartment, suite, unit (optional).
    #[serde(default)]
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// US: state (`CA`); elsewhere the region or province, optional.
    #[serde(default)]
    pub region: Option<String>,
    /// US: ZIP (`94103` or `94103-1234`); elsewhere the postal code, optional.
    #[serde(default)]
    pub postal_code: Option<String>,
}

impl Address {
    /// Checks the address under `prefix` (`address.`); `us` applies the state and ZIP rules.
    pub fn check(&self, prefix: &str, us: bool, errors: &mut Invalid) {
        if let Err(m) = check_line(&self.line1, true) {
            errors.add(format!("{prefix}line1"), m);
        }
        if let Err(m) = check_line(self.line2.as_deref().unwrap_or(""), false) {
            errors.add(format!("{prefix}line2"), m);
        }
        if let Err(m) = check_line(&self.city, true) {
            errors.add(format!("{prefix}city"), m);
        }
        let region = self.region.as_deref().unwrap_or("");
        let postal = self.postal_code.as_deref().unwrap_or("");
        if us {
            if let Err(m) = check_us_state(region) {
                errors.add(format!("{prefix}region"), m);
            }
            if let Err(m) = check_zip(postal) {
                errors.add(format!("{prefix}postal_code"), m);
            }
        } else {
            if let Err(m) = check_line(region, false) {
                errors.add(format!("{prefix}region"), m);
            }
            if let Err(m) = check_foreign_postal_code(postal) {
                errors.add(format!("{prefix}postal_code"), m);
            }
        }
    }

    /// The address with every part trimmed and empty optional parts dropped, as stored.
    pub fn normalized(&self) -> Address {
        let opt = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Address {
            line1: self.line1.trim().to_owned(),
            line2: opt(&self.line2),
            city: self.city.trim().to_owned(),
            region: opt(&self.region).map(|r| upper_if_code(&r)),
            postal_code: opt(&self.postal_code),
        }
    }
}

fn check_line(value: &str, required: bool) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return if required {
            Err(Rule::Required)
        } else {
            Ok(())
        };
    }
    if v.chars().count() > 100 {
        return Err(Rule::MaxChars { max: 100 });
    }
    if v.chars().any(char::is_control) {
        return Err(Rule::NoControlChars);
    }
    Ok(())
}

/// The US territories a W-9 address may be in (the end of [`US_STATES`]). Before stop 34 they
/// were countries of residence too, so a background check may have found a resident of one
/// "not in the US".
pub const US_TERRITORIES: [&str; 5] = ["AS", "GU", "MP", "PR", "VI"];

/// The two-letter codes of the US states, DC, the armed forces' postal "states" of APO, FPO
/// and DPO addresses (AA, AE, AP: a service member abroad files a W-9 with one) and the
/// territories a W-9 address may be in.
pub const US_STATES: [&str; 59] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AA", "AE", "AP", "AS", "GU", "MP", "PR", "VI",
];

/// A region as stored: upper case when it is ASCII (state and province codes: `ca` → `CA`);
/// a name in another script is kept as typed (and the app needs no Unicode case tables).
fn upper_if_code(region: &str) -> String {
    if region.is_ascii() {
        region.to_ascii_uppercase()
    } else {
        region.to_owned()
    }
}

/// A US state: one of [`US_STATES`], any case.
pub fn check_us_state(value: &str) -> Result<(), Rule> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if US_STATES.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(Rule::UsState)
    }
}

/// A US ZIP code: `94103` or `94103-1234`.
pub fn check_zip(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    let ok = match v.split_once('-') {
        None => v.len() == 5 && v.chars().all(|c| c.is_ascii_digit()),
        Some((five, four)) => {
            five.len() == 5
                && four.len() == 4
                && five.chars().chain(four.chars()).all(|c| c.is_ascii_digit())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Rule::Zip)
    }
}

/// A postal code outside the US: optional; letters, digits, spaces and dashes, at most 12.
pub fn check_foreign_postal_code(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.chars().count() > 12
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(Rule::ForeignPostalCode { max: 12 });
    }
    Ok(())
}

/// A date of birth, `YYYY-MM-DD`, of someone at least [`MIN_AGE_YEARS`] old on `today`.
pub fn check_date_of_birth(value: &str, today: NaiveDate) -> Result<NaiveDate, Rule> {
    let date = parse_date_of_birth(value, today)?;
    if age_on(date, today) < MIN_AGE_YEARS {
        return Err(Rule::MinAge {
            years: MIN_AGE_YEARS,
        });
    }
    Ok(date)
}

/// A real, past date of birth, `YYYY-MM-DD`, after 1900 (no age rule).
pub fn parse_date_of_birth(value: &str, today: NaiveDate) -> Result<NaiveDate, Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    let date = parse_iso_date(v).ok_or(Rule::Date)?;
    if date > today {
        return Err(Rule::NotInFuture);
    }
    if date.year() < 1900 {
        return Err(Rule::After { year: 1900 });
    }
    Ok(date)
}

/// `YYYY-MM-DD` (month and day may have one digit) as a real calendar date. Written out rather
/// than `NaiveDate::parse_from_str`, whose format-string parser is several KB of the app's wasm
/// (issue 9, "keep wasm size in check").
pub fn parse_iso_date(v: &str) -> Option<NaiveDate> {
    let mut parts = v.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(year, 4, 4) || !digits(month, 1, 2) || !digits(day, 1, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Whole years between `born` and `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A US taxpayer id: an SSN or ITIN, nine digits (`123-45-6789`; dashes and spaces ignored),
/// with the numbers the SSA never issues refused (area 000 or 666, group 00, serial 0000; an
/// area of 9xx is an ITIN and needs group 50–65, 70–88, 90–92 or 94–99).
pub fn check_tin(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if v.chars()
        .any(|c| !(c.is_ascii_digit() || c == '-' || c == ' '))
    {
        return Err(Rule::OnlyDigits);
    }
    let d = tin_digits(v);
    if d.len() != 9 {
        return Err(Rule::TinDigits);
    }
    let (area, group, serial) = (&d[0..3], &d[3..5], &d[5..9]);
    let group_n: u32 = group.parse().unwrap_or(0);
    let invalid = if area.starts_with('9') {
        !matches!(group_n, 50..=65 | 70..=88 | 90..=92 | 94..=99)
    } else {
        area == "000" || area == "666" || group == "00" || serial == "0000"
    };
    if invalid {
        return Err(Rule::TinIssued);
    }
    Ok(())
}

/// The digits of a tax id.
pub fn tin_digits(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

/// A foreign tax id (W-8BEN line 6): 4 to 20 letters or digits (spaces, dashes, dots ignored).
pub fn check_foreign_tax_id(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if v.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || " -./".contains(c)))
    {
        return Err(Rule::OnlyLettersAndDigits);
    }
    let n = v.chars().filter(char::is_ascii_alphanumeric).count();
    if !(4..=20).contains(&n) {
        return Err(Rule::LettersOrDigitsBetween { min: 4, max: 20 });
    }
    Ok(())
}

/// ISO 3166-1 alpha-2 codes a person may reside in. The US territories (American Samoa, Guam,
/// the Northern Mariana Islands, Puerto Rico, the Virgin Islands, the Minor Outlying Islands)
/// are not among them: their residents live in the US (country `US`, the territory as the
/// state: a W-9, and a background check), where a territory chosen as a country had them file
/// a W-8BEN.
pub const COUNTRIES: [&str; 243] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT",
    "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO",
    "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG",
    "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG",
    "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GW", "GY", "HK", "HM", "HN", "HR",
    "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK",
    "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM",
    "MN", "MO", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF",
    "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL",
    "PM", "PN", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD",
    "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY",
    "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VN", "VU", "WF", "WS", "YE", "YT",
    "ZA", "ZM", "ZW",
];

/// A country of residence: an ISO 3166-1 alpha-2 code, any case.
pub fn check_country(value: &str) -> Result<(), Rule> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if COUNTRIES.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(Rule::CountryCode)
    }
}

fn is_us(country: &str) -> bool {
    country.trim().eq_ignore_ascii_case("US")
}

// ---------------------------------------------------------------------------------------------
// Compliance

/// `PUT /api/flow/compliance`: the user's tax data. In the US a W-9 (legal name, SSN or ITIN,
/// date of birth, US address); elsewhere a W-8BEN (legal name, country of residence, foreign tax
/// id, date of birth, permanent address).
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCompliance {
    /// Country of residence, ISO 3166-1 alpha-2 (`US`, `GB`).
    pub country: String,
    /// Legal given name.
    pub first_name: String,
    /// Legal family name.
    pub last_name: String,
    /// `YYYY-MM-DD`; the person must be 18 or older.
    pub date_of_birth: String,
    /// US only: SSN or ITIN, nine digits. Never stored or sent back whole.
    #[serde(default)]
    pub tin: Option<String>,
    /// Outside the US: the tax id of the country of residence.
    #[serde(default)]
    pub foreign_tax_id: Option<String>,
    /// Residence address (US: state and ZIP required).
    pub address: Address,
}

impl NewCompliance {
    /// This form, to be checked as of `today` ([`Validate`]).
    pub fn as_of(&self, today: NaiveDate) -> AsOf<'_, Self> {
        AsOf { value: self, today }
    }

    /// Checks every field as of `today`; the error names each one that is wrong.
    fn check_on(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_country(&self.country) {
            errors.add("country", m);
        }
        if let Err(m) = check_name(&self.first_name) {
            errors.add("first_name", m);
        }
        if let Err(m) = check_name(&self.last_name) {
            errors.add("last_name", m);
        }
        if let Err(m) = check_date_of_birth(&self.date_of_birth, today) {
            errors.add("date_of_birth", m);
        }
        let us = is_us(&self.country);
        if us {
            if let Err(m) = check_tin(self.tin.as_deref().unwrap_or("")) {
                errors.add("tin", m);
            }
        } else if let Err(m) = check_foreign_tax_id(self.foreign_tax_id.as_deref().unwrap_or("")) {
            errors.add("foreign_tax_id", m);
        }
        self.address.check("address.", us, &mut errors);
        errors.finish()
    }

    /// The tax form these answers fill.
    pub fn form(&self) -> TaxForm {
        if is_us(&self.country) {
            TaxForm::W9
        } else {
            TaxForm::W8ben
        }
    }
}

impl Validate for AsOf<'_, NewCompliance> {
    fn validate(&self) -> Result<(), Invalid> {
        self.value.check_on(self.today)
    }
}

/// Which IRS form the compliance data fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaxForm {
    /// US persons.
    W9,
    /// Foreign individuals.
    W8ben,
}

impl TaxForm {
    /// The wire name, as serde writes it (`w9`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TaxForm::W9 => "w9",
            TaxForm::W8ben => "w8ben",
        }
    }
}

deserialize_by_name!(TaxForm: W9, W8ben);

/// Compliance data as stored and shown: tax ids reduced to their last four characters.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compliance {
    /// `w9` or `w8ben`.
    pub form: TaxForm,
    /// Country of residence, upper case.
    pub country: String,
    /// Legal given name.
    pub first_name: String,
    /// Legal family name.
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// US: last four digits of the SSN or ITIN.
    pub tin_last4: Option<String>,
    /// Elsewhere: last four characters of the foreign tax id.
    pub foreign_tax_id_last4: Option<String>,
    /// Residence address.
    pub address: Address,
    /// When it was submitted.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub submitted_at: DateTime<Utc>,
}

impl Compliance {
    /// Whether this is tax details on file: a record with a legal name. A background check of
    /// a user with no name on file (a host's user made with a phone number alone) keeps what
    /// it ran on without one, which binds the W-9 the compliance step still asks for.
    pub fn is_on_file(&self) -> bool {
        !self.first_name.trim().is_empty() && !self.last_name.trim().is_empty()
    }
}

/// A form's result together with the flow as it is after it (the step recorded completed when
/// the result completes it).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submitted<T> {
    /// What was stored.
    pub data: T,
    /// The flow as it now is.
    pub flow: FlowState,
}

// ---------------------------------------------------------------------------------------------
// ID verification

/// Which picture an ID document upload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentSide {
    /// Front of the government ID.
    Front,
    /// Back of the government ID.
    Back,
    /// A photo of the user's face.
    Selfie,
}

impl DocumentSide {
    /// Every picture verification needs, in the order the step asks for them.
    pub const ALL: [DocumentSide; 3] = [
        DocumentSide::Front,
        DocumentSide::Back,
        DocumentSide::Selfie,
    ];

    /// The path segment and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentSide::Front => "front",
            DocumentSide::Back => "back",
            DocumentSide::Selfie => "selfie",
        }
    }
}

deserialize_by_name!(DocumentSide: Front, Back, Selfie);

impl std::str::FromStr for DocumentSide {
    type Err = Rule;
    fn from_str(s: &str) -> Result<Self, Rule> {
        DocumentSide::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or(Rule::DocumentSide)
    }
}

/// An upload's type and size: one of [`DOCUMENT_TYPES`], 1 byte to [`DOCUMENT_MAX_BYTES`].
pub fn check_document(content_type: &str, size: u64) -> Result<(), Rule> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !DOCUMENT_TYPES.contains(&ct.as_str()) {
        return Err(Rule::ImageType);
    }
    if size == 0 {
        return Err(Rule::Empty);
    }
    if size > DOCUMENT_MAX_BYTES {
        return Err(Rule::MaxMegabytes {
            max: DOCUMENT_MAX_BYTES / (1024 * 1024),
        });
    }
    Ok(())
}

/// One uploaded picture (the sandbox keeps its type, size and hash, not the image).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedDocument {
    /// Which picture.
    pub side: DocumentSide,
    /// Its image type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was uploaded.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub uploaded_at: DateTime<Utc>,
}

/// The sandbox's verification decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Pictures still missing or not yet submitted.
    NotStarted,
    /// The ID is genuine and the selfie matches it.
    Verified,
    /// A person must look at it; the step is complete meanwhile.
    NeedsReview,
    /// It could not be verified; the user may try again with new pictures.
    Failed,
}

impl VerificationStatus {
    /// The wire name, as serde writes it (`not_started`).
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::NotStarted => "not_started",
            VerificationStatus::Verified => "verified",
            VerificationStatus::NeedsReview => "needs_review",
            VerificationStatus::Failed => "failed",
        }
    }
}

deserialize_by_name!(VerificationStatus: NotStarted, Verified, NeedsReview, Failed);

/// Where the user's ID verification stands (flow-facing, and on the host's user object).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdVerification {
    /// The decision, or `not_started`.
    pub status: VerificationStatus,
    /// The pictures on file (all three are needed to submit): those a decision was made on, or,
    /// after a failure (which clears them), those uploaded since.
    pub documents: Vec<UploadedDocument>,
    /// When the decision was made.
    #[serde(default, deserialize_with = "crate::time::rfc3339_opt")]
    pub decided_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------------
// Background check

/// `POST /api/flow/background-check`: who to check. Only US residents aged 18 or older are
/// checked; others get `not_eligible` (a message, not a failure) and need no SSN.
///
/// Issue 8: when the user has tax details on file (compliance), the check runs on those (SSN,
/// date of birth, country, address) and the body may be empty (`{}`,
/// [`NewBackgroundCheck::on_file`]); any field it does give must agree with the file. Without
/// tax details the fields are required, and what the check collected becomes the user's
/// compliance record, so the two never disagree.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBackgroundCheck {
    /// Country of residence, ISO 3166-1 alpha-2 (empty: the one on file).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub country: String,
    /// US: SSN or ITIN. Never stored or sent back whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// `YYYY-MM-DD` (empty: the one on file).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date_of_birth: String,
    /// US residence address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl NewBackgroundCheck {
    /// The request that runs the check on the tax details on file: `{}`.
    pub fn on_file() -> Self {
        Self::default()
    }

    /// Whether this request gives no field and so asks for the details on file.
    pub fn uses_file(&self) -> bool {
        self == &Self::default()
    }

    /// This request, to be checked as of `today` ([`Validate`]).
    pub fn as_of(&self, today: NaiveDate) -> AsOf<'_, Self> {
        AsOf { value: self, today }
    }

    /// Checks every field as of `today`. Outside the US only the country is checked; an age
    /// under 18 is not an error here (it makes the answer `not_eligible`).
    fn check_on(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_country(&self.country) {
            errors.add("country", m);
            return errors.finish();
        }
        if !is_us(&self.country) {
            return Ok(());
        }
        if let Err(m) = check_tin(self.ssn.as_deref().unwrap_or("")) {
            errors.add("ssn", m);
        }
        if let Err(m) = parse_date_of_birth(&self.date_of_birth, today) {
            errors.add("date_of_birth", m);
        }
        match &self.address {
            Some(address) => address.check("address.", true, &mut errors),
            None => errors.add("address", Rule::Required),
        }
        errors.finish()
    }

    /// Why this person cannot be checked, if so (valid input assumed).
    pub fn ineligible(&self, today: NaiveDate) -> Option<Ineligible> {
        if !is_us(&self.country) {
            return Some(Ineligible::NotUs);
        }
        match parse_date_of_birth(&self.date_of_birth, today) {
            Ok(born) if age_on(born, today) < MIN_AGE_YEARS => Some(Ineligible::Under18),
            _ => None,
        }
    }
}

impl Validate for AsOf<'_, NewBackgroundCheck> {
    fn validate(&self) -> Result<(), Invalid> {
        self.value.check_on(self.today)
    }
}

/// Why a background check was not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    /// Background checks are for US residents only.
    NotUs,
    /// Background checks are for people 18 or older.
    #[serde(rename = "under_18")]
    Under18,
}

impl Ineligible {
    /// The wire name, as serde writes it (`not_us`, `under_18`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Ineligible::NotUs => "not_us",
            Ineligible::Under18 => "under_18",
        }
    }
}

/// A background check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackgroundCheckStatus {
    /// Nothing found.
    Clear,
    /// Records found: the user's `has_criminal_activity` is now true and the app is notified.
    Failed,
    /// Not run; `reason` says why.
    NotEligible,
}

impl BackgroundCheckStatus {
    /// The wire name, as serde writes it (`clear`).
    pub const fn as_str(self) -> &'static str {
        match self {
            BackgroundCheckStatus::Clear => "clear",
            BackgroundCheckStatus::Failed => "failed",
            BackgroundCheckStatus::NotEligible => "not_eligible",
        }
    }
}

deserialize_by_name!(BackgroundCheckStatus: Clear, Failed, NotEligible);

/// A background check as stored and shown (flow-facing, and on the host's user object).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackgroundCheck {
    /// The outcome.
    pub status: BackgroundCheckStatus,
    /// Why it was not run, for `not_eligible`.
    pub reason: Option<Ineligible>,
    /// Last four digits of the SSN checked.
    pub ssn_last4: Option<String>,
    /// When it completed.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub completed_at: DateTime<Utc>,
}

// Debug without the secrets (`crate::mask::Redacted`).

impl std::fmt::Debug for NewCompliance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCompliance")
            .field("country", &self.country)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("date_of_birth", &crate::mask::Redacted)
            .field("tin", &crate::mask::redacted(&self.tin))
            .field(
                "foreign_tax_id",
                &crate::mask::redacted(&self.foreign_tax_id),
            )
            .field("address", &self.address)
            .finish()
    }
}

impl std::fmt::Debug for NewBackgroundCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewBackgroundCheck")
            .field("country", &self.country)
            .field("ssn", &crate::mask::redacted(&self.ssn))
            .field("date_of_birth", &crate::mask::Redacted)
            .field("address", &self.address)
            .finish()
    }
}

impl std::fmt::Debug for CodeCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeCheck")
            .field("code", &crate::mask::Redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_code_is_stored_upper_case_and_a_name_in_another_script_as_typed() {
        let region = |typed: &str| {
            let address = Address {
                line1: "1 Main St".into(),
                line2: None,
                city: "Paris".into(),
                region: Some(typed.into()),
                postal_code: None,
            };
            address.normalized().region
        };
        assert_eq!(region(" ca "), Some("CA".to_owned()));
        assert_eq!(region("Île-de-France"), Some("Île-de-France".to_owned()));
    }
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn us() -> NewCompliance {
        NewCompliance {
            country: "US".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            date_of_birth: "1990-04-25".into(),
            tin: Some("123-45-6789".into()),
            foreign_tax_id: None,
            address: Address {
                line1: "1 Main St".into(),
                line2: None,
                city: "San Francisco".into(),
                region: Some("CA".into()),
                postal_code: Some("94103".into()),
            },
        }
    }

    #[test]
    fn accepts_a_us_w9() {
        us().as_of(today()).validate().unwrap();
        assert_eq!(us().form(), TaxForm::W9);
    }

    /// Review: an APO, FPO or DPO address (a service member abroad, who files a W-9) was
    /// refused: its "state" is AA, AE or AP.
    #[test]
    fn accepts_a_w9_with_a_military_address() {
        for (city, state, zip) in [
            ("APO", "AE", "09012"),
            ("FPO", "AP", "96349"),
            ("DPO", "aa", "34001"),
        ] {
            let mut c = us();
            c.address.line1 = "Unit 2050 Box 4190".into();
            c.address.city = city.into();
            c.address.region = Some(state.into());
            c.address.postal_code = Some(zip.into());
            c.as_of(today()).validate().unwrap();
        }
    }

    #[test]
    fn rejects_each_bad_us_field_by_name() {
        let mut c = us();
        c.first_name = " ".into();
        c.date_of_birth = "2010-01-01".into();
        c.tin = Some("666-12-3456".into());
        c.address.region = Some("ZZ".into());
        c.address.postal_code = Some("9410".into());
        c.address.city = String::new();
        let err = c.as_of(today()).validate().unwrap_err();
        for field in [
            "first_name",
            "date_of_birth",
            "tin",
            "address.region",
            "address.postal_code",
            "address.city",
        ] {
            assert!(err.rule(field).is_some(), "{field} not named in {err:?}");
        }
        assert_eq!(err.rule("date_of_birth"), Some(Rule::MinAge { years: 18 }));
    }

    #[test]
    fn w8ben_needs_a_foreign_tax_id_not_an_ssn() {
        let mut c = us();
        c.country = "gb".into();
        c.tin = None;
        c.address.region = None;
        c.address.postal_code = Some("SW1A 1AA".into());
        let err = c.as_of(today()).validate().unwrap_err();
        assert_eq!(err.rule("foreign_tax_id"), Some(Rule::Required));
        c.foreign_tax_id = Some("AB 12 34 56 C".into());
        c.as_of(today()).validate().unwrap();
        assert_eq!(c.form(), TaxForm::W8ben);
    }

    #[test]
    fn eighteenth_birthday_counts() {
        assert!(check_date_of_birth("2008-11-23", today()).is_ok());
        assert!(check_date_of_birth("2008-11-24", today()).is_err());
        assert_eq!(
            check_date_of_birth("2030-01-01", today()),
            Err(Rule::NotInFuture)
        );
        assert_eq!(check_date_of_birth("1990-02-30", today()), Err(Rule::Date));
        for not_a_date in [
            "1990/04/25",
            "90-04-25",
            "1990-04-25-1",
            "1990-004-25",
            "1990-a-25",
        ] {
            assert_eq!(
                check_date_of_birth(not_a_date, today()),
                Err(Rule::Date),
                "{not_a_date}"
            );
        }
        assert!(check_date_of_birth("1990-4-5", today()).is_ok());
    }

    #[test]
    fn tin_rules() {
        assert!(check_tin("123456789").is_ok());
        assert!(check_tin("123 45 6789").is_ok());
        assert!(check_tin("912-70-1234").is_ok(), "an ITIN");
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "123-00-4567",
            "123-45-0000",
            "912-40-1234",
        ] {
            assert_eq!(check_tin(bad), Err(Rule::TinIssued), "{bad}");
        }
        assert_eq!(check_tin("12345678"), Err(Rule::TinDigits));
        assert_eq!(check_tin("12a-45-6789"), Err(Rule::OnlyDigits));
    }

    #[test]
    fn zip_and_state_rules() {
        assert!(check_zip("94103-1234").is_ok());
        for bad in ["9410", "941034", "94103-12", "ABCDE"] {
            assert!(check_zip(bad).is_err(), "{bad}");
        }
        assert!(check_us_state("ny").is_ok());
        assert!(check_us_state("XX").is_err());
    }

    #[test]
    fn codes_are_six_digits() {
        assert!(check_code("000 000").is_ok());
        assert_eq!(check_code(""), Err(Rule::Required));
        assert_eq!(check_code("12345"), Err(Rule::SentCode { digits: 6 }));
        assert_eq!(mask_phone("1", "(415) 433-2334"), "+1 ••• ••• 2334");
    }

    #[test]
    fn documents_need_an_image_type_and_a_size_limit() {
        assert!(check_document("image/jpeg", 1000).is_ok());
        assert!(check_document("image/png; charset=binary", 1).is_ok());
        assert_eq!(check_document("application/pdf", 10), Err(Rule::ImageType));
        assert_eq!(
            check_document("image/webp", DOCUMENT_MAX_BYTES + 1),
            Err(Rule::MaxMegabytes { max: 5 })
        );
        assert_eq!("selfie".parse::<DocumentSide>(), Ok(DocumentSide::Selfie));
    }

    #[test]
    fn background_check_eligibility() {
        let mut b = NewBackgroundCheck {
            country: "US".into(),
            ssn: Some("123-45-6789".into()),
            date_of_birth: "2010-05-01".into(),
            address: Some(us().address),
        };
        b.as_of(today()).validate().unwrap();
        assert_eq!(b.ineligible(today()), Some(Ineligible::Under18));
        b.date_of_birth = "1980-05-01".into();
        assert_eq!(b.ineligible(today()), None);
        let abroad = NewBackgroundCheck {
            country: "FR".into(),
            ..Default::default()
        };
        abroad.as_of(today()).validate().unwrap();
        assert_eq!(abroad.ineligible(today()), Some(Ineligible::NotUs));
        let missing = NewBackgroundCheck {
            country: "US".into(),
            ..Default::default()
        };
        let err = missing.as_of(today()).validate().unwrap_err();
        for field in ["ssn", "date_of_birth", "address"] {
            assert!(err.rule(field).is_some(), "{field} not named in {err:?}");
        }
    }

    #[test]
    fn sign_in_json_is_pinned() {
        assert_eq!(
            serde_json::to_value(SignIn::ProfileRequired).unwrap(),
            json!({"status": "profile_required"})
        );
        let flow: FlowState = serde_json::from_value(json!({
            "id": "7f1c0a38-5b1e-4f0e-9d55-0a4c1b7e2d11", "steps": ["compliance"],
            "completed_steps": [], "user_id": null, "hide_go_to_dashboard_on_complete": false,
            "require_auth": true
        }))
        .unwrap();
        for sign_in in [
            SignIn::ProfileRequired,
            SignIn::SignedIn { flow: flow.clone() },
        ] {
            let wire = serde_json::to_value(&sign_in).unwrap();
            assert_eq!(serde_json::from_value::<SignIn>(wire).unwrap(), sign_in);
        }
        for refused in [
            json!({"status": "signed_in"}),
            json!({"status": "later"}),
            json!({}),
        ] {
            assert!(
                serde_json::from_value::<SignIn>(refused.clone()).is_err(),
                "{refused}"
            );
        }
        let compliance: Compliance = serde_json::from_value(json!({
            "form": "w9", "country": "US", "first_name": "Ada", "last_name": "Lovelace",
            "date_of_birth": "1990-04-25", "tin_last4": "6789", "foreign_tax_id_last4": null,
            "address": {"line1": "1 Main St", "line2": null, "city": "San Francisco",
                        "region": "CA", "postal_code": "94103"},
            "submitted_at": "2026-11-23T10:00:00Z"
        }))
        .unwrap();
        assert_eq!(compliance.tin_last4.as_deref(), Some("6789"));
    }

    #[test]
    fn verification_status_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                VerificationStatus::NotStarted,
                VerificationStatus::Verified,
                VerificationStatus::NeedsReview,
                VerificationStatus::Failed,
            ],
            VerificationStatus::as_str,
        );
    }

    #[test]
    fn tax_form_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[TaxForm::W9, TaxForm::W8ben],
            TaxForm::as_str,
        );
    }

    #[test]
    fn background_check_status_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                BackgroundCheckStatus::Clear,
                BackgroundCheckStatus::Failed,
                BackgroundCheckStatus::NotEligible,
            ],
            BackgroundCheckStatus::as_str,
        );
    }

    #[test]
    fn document_side_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(&DocumentSide::ALL, DocumentSide::as_str);
    }

    #[test]
    fn ineligible_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[Ineligible::NotUs, Ineligible::Under18],
            Ineligible::as_str,
        );
    }

    #[test]
    fn a_us_territory_is_a_us_state_not_a_country_of_residence() {
        for territory in ["AS", "GU", "MP", "PR", "VI", "UM"] {
            assert_eq!(
                check_country(territory),
                Err(Rule::CountryCode),
                "{territory}"
            );
        }
        assert_eq!(check_country("pr "), Err(Rule::CountryCode));
        assert_eq!(check_country("US"), Ok(()));
    }
}
