//! Users as the host creates and reads them (seed 004 "Create a User"), with the field rules
//! both the sandbox and the app's forms apply.

use crate::flow::{check_metadata, Metadata};
use crate::identity::{BackgroundCheck, Compliance, IdVerification};
use crate::mask::digits;
use crate::rule::{Invalid, Rule, Validate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /api/v2/users` body (seed 004): the person's names, email and phone, or (seed 004's
/// "Create User", `POST /v2/users`) only an E.164 `phone_number` (`+11234567890`), the rest
/// left empty until the person fills them in.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// Given name; may be absent only with an E.164 `phone_number` and no `country_code`.
    #[serde(default)]
    pub first_name: String,
    /// Family name; as `first_name`.
    #[serde(default)]
    pub last_name: String,
    /// Email address; as `first_name`.
    #[serde(default)]
    pub email: String,
    /// Country calling code, digits only (`"1"`, `"55"`); a leading `+` is accepted. Absent
    /// when `phone_number` is E.164.
    #[serde(default)]
    pub country_code: String,
    /// National number, digits (spaces, dashes, dots and brackets are ignored); or, without
    /// `country_code`, the whole number in E.164 (`+11234567890`).
    pub phone_number: String,
    /// Host data echoed back on the user.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
}

impl Validate for NewUser {
    /// Checks every field; the error names each one that is wrong.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        // Phone only (seed 004 "Create User"): what is given is checked, the rest may wait.
        let phone_only = self.is_phone_only();
        for (field, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
        ] {
            if !(phone_only && value.trim().is_empty()) {
                errors.check(field, check_name(value));
            }
        }
        if !(phone_only && self.email.trim().is_empty()) {
            errors.check("email", check_email(&self.email));
        }
        if phone_only {
            errors.check("phone_number", check_e164(&self.phone_number));
        } else {
            errors.check("country_code", check_country_code(&self.country_code));
            errors.check(
                "phone_number",
                check_phone_number(&self.country_code, &self.phone_number),
            );
        }
        check_metadata(&self.metadata, &mut errors);
        errors.finish()
    }
}

/// A whole number in E.164: `+` and 8 to 15 digits.
fn check_e164(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    let rest = v.strip_prefix('+').ok_or(Rule::OnlyDigits)?;
    if !rest.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rule::OnlyDigits);
    }
    if !(8..=15).contains(&rest.len()) {
        return Err(Rule::PhoneLength { min: 8, max: 15 });
    }
    Ok(())
}

impl NewUser {
    /// Whether this is seed 004's phone-only request: no `country_code`, and `phone_number` in
    /// E.164 (the server splits it).
    pub fn is_phone_only(&self) -> bool {
        self.country_code.trim().is_empty() && self.phone_number.trim().starts_with('+')
    }

    /// The phone number as stored: digits only, country code without `+`.
    pub fn normalized_phone(&self) -> PhoneNumber {
        PhoneNumber {
            country_code: digits(&self.country_code),
            phone_number: digits(&self.phone_number),
        }
    }
}

/// A phone number split as the v2 API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneNumber {
    /// Country calling code, digits only.
    pub country_code: String,
    /// National number, digits only.
    pub phone_number: String,
}

/// Where a user is in verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created, phone not yet confirmed.
    Unverified,
    /// Phone confirmed by a one-time code.
    Verified,
}

/// A user as the host sees it (seed 004 "Create a User" response).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// ID of the user.
    pub id: Uuid,
    /// The same as `id`: seed 004's "Create User" answers `user_id`, its other examples `id`;
    /// both are answered (issue 11).
    pub user_id: Uuid,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email: String,
    /// Phone number.
    pub phone_number: PhoneNumber,
    /// Host data given at creation.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Verification status.
    pub status: UserStatus,
    /// Whether the phone number has been verified.
    pub verified: bool,
    /// Whether a background check found records (seed 000, "Background Check").
    #[serde(default)]
    pub has_criminal_activity: bool,
    /// The tax data collected by the compliance step, tax ids masked (issue 3).
    #[serde(default)]
    pub compliance: Option<Compliance>,
    /// The ID verification decision, once one was made (issue 3).
    #[serde(default)]
    pub id_verification: Option<IdVerification>,
    /// The latest background check, once one ran (issue 3).
    #[serde(default)]
    pub background_check: Option<BackgroundCheck>,
}

/// A first or last name: 1 to 100 characters once trimmed, no control characters.
pub fn check_name(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    // Measured trimmed, but not padded without bound (names are kept as sent).
    if value.chars().count() > 200 {
        return Err(Rule::MaxChars { max: 200 });
    }
    if v.chars().count() > 100 {
        return Err(Rule::MaxChars { max: 100 });
    }
    if v.chars().any(char::is_control) {
        return Err(Rule::NoControlChars);
    }
    Ok(())
}

/// An email address: `local@domain.tld`, no spaces, at most 254 characters.
pub fn check_email(value: &str) -> Result<(), Rule> {
    if value.chars().count() > 320 {
        return Err(Rule::MaxChars { max: 320 });
    }
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    let bad = || Err(Rule::Email);
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    match v.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(())
        }
        _ => bad(),
    }
}

/// A country calling code: 1 to 3 digits, optionally after `+`.
pub fn check_country_code(value: &str) -> Result<(), Rule> {
    // `+44` with a space or two either side; not megabytes of them.
    if value.len() > 8 {
        return Err(Rule::CountryCallingCode);
    }
    let v = value.trim();
    let v = v.strip_prefix('+').unwrap_or(v);
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if v.len() > 3 || !v.chars().all(|c| c.is_ascii_digit()) || v.starts_with('0') {
        return Err(Rule::CountryCallingCode);
    }
    Ok(())
}

/// The national number in `value` as people paste or autofill it into the phone field when the
/// country code is `country_code`: the whole international number (`+1 (415) 433-2334`, `+44 20
/// 7946 0958`), or for North America (`1`) the number with its leading 1 (`1-415-433-2334`).
/// Those lose that prefix, from the first digit after it (`(415) 433-2334`); anything else is
/// `value` as it is, for [`check_phone_number`] to judge (a `+` with another country's code
/// stays, and is refused there).
pub fn national_number<'a>(country_code: &str, value: &'a str) -> &'a str {
    let cc = digits(country_code);
    let value = value.trim();
    let rest = match value.strip_prefix('+') {
        Some(rest) => after_digits(rest, &cc),
        None if cc == "1" && digits(value).len() == 11 => after_digits(value, "1"),
        None => None,
    };
    rest.unwrap_or(value)
}

/// What follows the digits `prefix` at the start of `value` (separators before, between and
/// after them skipped); `None` when `value` does not start so, or nothing follows.
fn after_digits<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let mut wanted = prefix.chars().peekable();
    for (at, c) in value.char_indices() {
        if wanted.peek().is_none() {
            let rest = value[at..].trim_start_matches([' ', '-', '.']);
            return (!rest.is_empty()).then_some(rest);
        }
        if c.is_ascii_digit() {
            if wanted.next() != Some(c) {
                return None;
            }
        } else if !" -.()".contains(c) {
            return None;
        }
    }
    None
}

/// The longest phone number field, separators and spaces included.
const MAX_PHONE_CHARS: usize = 40;

/// A national phone number: digits (separators allowed), so that the whole E.164 number has
/// at most 15 digits; US and Canada numbers (`1`) have exactly 10.
pub fn check_phone_number(country_code: &str, value: &str) -> Result<(), Rule> {
    if value.trim().is_empty() {
        return Err(Rule::Required);
    }
    // Separators are not counted as digits: without a bound, a number padded with megabytes of
    // them passed, and was kept and answered back as sent (a payout link's payee).
    if value.chars().count() > MAX_PHONE_CHARS {
        return Err(Rule::MaxChars {
            max: MAX_PHONE_CHARS,
        });
    }
    if value
        .chars()
        .any(|c| !(c.is_ascii_digit() || " -.()".contains(c)))
    {
        return Err(Rule::OnlyDigits);
    }
    let national = digits(value);
    let cc = digits(country_code);
    if cc == "1" && national.len() != 10 {
        return Err(Rule::PhoneDigitsForCountryCode {
            digits: 10,
            country_code: 1,
        });
    }
    if national.len() < 4 || national.len() + cc.len() > 15 {
        return Err(Rule::PhoneLength { min: 4, max: 14 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bob() -> serde_json::Value {
        json!({
            "first_name": "Bob", "last_name": "Loblaw", "email": "bob@bobloblaw.com",
            "country_code": "1", "phone_number": "4154332334",
            "metadata": {"internal_id": "user_121344"}
        })
    }

    /// Seed 004, "Create a User" request.
    #[test]
    fn new_user_matches_seed_004_request() {
        let user: NewUser = serde_json::from_value(bob()).unwrap();
        user.validate().unwrap();
        assert_eq!(serde_json::to_value(&user).unwrap(), bob());
    }

    /// Seed 004, "Create a User" response.
    #[test]
    fn user_matches_seed_004_response() {
        let seed = json!({
            "email": "test@example.com", "first_name": "Bob",
            "id": "fc54b468-bbb2-403f-be36-5627a8e3c7a4", "last_name": "Loblaw",
            "metadata": {"internal_id": "user_121344"},
            "phone_number": {"country_code": "55", "phone_number": "49933801774"},
            "status": "unverified", "verified": false
        });
        // Seed 004's "Create User" answers `user_id`: both are answered (a superset).
        let mut full = seed.clone();
        full["user_id"] = seed["id"].clone();
        let user: User = serde_json::from_value(full).unwrap();
        assert_eq!(user.status, UserStatus::Unverified);
        let json = serde_json::to_value(&user).unwrap();
        assert_eq!(json["user_id"], seed["id"]);
        // Every field of the seed, as the seed has it; then what issue 3 adds, empty.
        for (field, value) in seed.as_object().unwrap() {
            assert_eq!(&json[field], value, "{field}");
        }
        assert_eq!(json["has_criminal_activity"], json!(false));
        assert_eq!(json["compliance"], json!(null));
        assert_eq!(json["id_verification"], json!(null));
        assert_eq!(json["background_check"], json!(null));
        assert_eq!(
            json.as_object().unwrap().len(),
            seed.as_object().unwrap().len() + 5
        );
    }

    /// Seed 004, "Create User" (`POST /v2/users`): only an E.164 phone number.
    #[test]
    fn a_phone_number_alone_is_a_new_user() {
        let new: NewUser = serde_json::from_value(json!({"phone_number": "+11234567890"})).unwrap();
        assert!(new.is_phone_only());
        new.validate().unwrap();
        let short: NewUser = serde_json::from_value(json!({"phone_number": "+1123"})).unwrap();
        assert_eq!(
            short.validate().unwrap_err().rule("phone_number"),
            Some(Rule::PhoneLength { min: 8, max: 15 })
        );
        // A national number still needs its country code and the person's names and email.
        let national: NewUser =
            serde_json::from_value(json!({"phone_number": "4154332334"})).unwrap();
        let err = national.validate().unwrap_err();
        for field in ["first_name", "last_name", "email", "country_code"] {
            assert_eq!(err.rule(field), Some(Rule::Required), "{field}");
        }
    }

    /// Review: fields measured after trimming took megabytes of padding, kept as sent.
    #[test]
    fn padding_does_not_stretch_a_field_without_bound() {
        let pad = " ".repeat(1_000);
        assert_eq!(
            check_name(&format!("{pad}Bob{pad}")),
            Err(Rule::MaxChars { max: 200 })
        );
        assert_eq!(
            check_email(&format!("{pad}b@x.io")),
            Err(Rule::MaxChars { max: 320 })
        );
        assert_eq!(
            check_country_code(&format!("{pad}1")),
            Err(Rule::CountryCallingCode)
        );
        assert_eq!(
            check_phone_number("1", &format!("{pad}4154332334")),
            Err(Rule::MaxChars { max: 40 })
        );
        assert_eq!(check_name(" Bob "), Ok(()));
        assert_eq!(check_country_code(" +44 "), Ok(()));
        assert_eq!(check_phone_number("1", "(415) 433-2334"), Ok(()));
    }

    #[test]
    fn rejects_each_bad_field_by_name() {
        let user = NewUser {
            first_name: " ".into(),
            last_name: "x".repeat(101),
            email: "bob@".into(),
            country_code: "12345".into(),
            phone_number: "41a".into(),
            metadata: Some(json!(7)),
        };
        let err = user.validate().unwrap_err();
        for field in [
            "first_name",
            "last_name",
            "email",
            "country_code",
            "phone_number",
            "metadata",
        ] {
            assert!(err.rule(field).is_some(), "{field} not named in {err:?}");
        }
    }

    #[test]
    fn normalizes_phone_separators() {
        let mut user: NewUser = serde_json::from_value(bob()).unwrap();
        user.country_code = "+1".into();
        user.phone_number = "(415) 433-2334".into();
        user.validate().unwrap();
        assert_eq!(
            user.normalized_phone(),
            PhoneNumber {
                country_code: "1".into(),
                phone_number: "4154332334".into()
            }
        );
    }

    #[test]
    fn us_numbers_need_ten_digits() {
        assert!(check_phone_number("1", "415433233").is_err());
        assert!(check_phone_number("55", "49933801774").is_ok());
    }

    /// A number pasted or autofilled whole loses the country code the country field holds.
    #[test]
    fn national_number_drops_the_country_code_pasted_before_it() {
        for pasted in [
            "+1 (415) 433-2334",
            "+14154332334",
            " +1-415-433-2334 ",
            "1 (415) 433-2334",
            "1-415-433-2334",
            "14154332334",
        ] {
            let national = national_number("1", pasted);
            assert_eq!(
                digits(national),
                "4154332334",
                "{pasted:?} gave {national:?}"
            );
            assert_eq!(check_phone_number("1", national), Ok(()), "{pasted:?}");
        }
        assert_eq!(national_number("+1", "+1 (415) 433-2334"), "(415) 433-2334");
        assert_eq!(national_number("44", "+44 20 7946 0958"), "20 7946 0958");
        // Typed as asked: unchanged.
        assert_eq!(national_number("1", "(415) 433-2334"), "(415) 433-2334");
        assert_eq!(national_number("55", "11 99338-0177"), "11 99338-0177");
        // Another country's code, or nothing after it: left for the rules to refuse.
        assert_eq!(national_number("1", "+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(
            check_phone_number("1", "+44 20 7946 0958"),
            Err(Rule::OnlyDigits)
        );
        assert_eq!(national_number("1", "+1"), "+1");
        // Eleven digits are a leading 1 only in North America.
        assert_eq!(national_number("55", "14154332334"), "14154332334");
    }
}
