//! Phone numbers as the server checks them (issue 3): parsed and validated with the kept
//! `phonenumber` crate (libphonenumber's rules and metadata, E.164), after the model's
//! structural rules (`check_phone_number`), which the app applies too. Numbers are compared in
//! E.164, so `(415) 433-2334` and `4154332334` are the same phone, as are a UK number written
//! with or without its trunk `0`.

use crate::error::Error;
use payout_model::identity::mask_phone;
use payout_model::Rule;
use phonenumber::Mode;

/// A phone number that parsed and is valid for its country calling code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPhone {
    country_code: String,
    national: String,
}

impl ParsedPhone {
    /// `country_code` (digits, `+` allowed) and `phone_number` (separators ignored) as a valid
    /// number: else a 422 on `country_code` when it is no country's calling code, or on
    /// `phone_number` "is not a valid phone number for +{cc}".
    pub(crate) fn parse(country_code: &str, phone_number: &str) -> Result<ParsedPhone, Error> {
        Self::parse_at("", country_code, phone_number)
    }

    /// [`ParsedPhone::parse`] of fields that stand under `prefix` (`payee.`), named so in
    /// its 422.
    pub(crate) fn parse_at(
        prefix: &str,
        country_code: &str,
        phone_number: &str,
    ) -> Result<ParsedPhone, Error> {
        let cc = digits(country_code);
        if let Some(phone) = Self::parse_digits(&cc, &digits(phone_number)) {
            return Ok(phone);
        }
        let code = cc.parse::<u16>().ok();
        let known =
            code.is_some_and(|code| phonenumber::metadata::DATABASE.by_code(&code).is_some());
        Err(if known {
            Error::broke(
                format!("{prefix}phone_number"),
                Rule::PhoneNotInService {
                    country_code: code.unwrap_or_default(),
                },
            )
        } else {
            // `+2` then a number would be read as Gabon's `+241…`, and blamed on the number.
            Error::broke(
                format!("{prefix}country_code"),
                Rule::NoSuchCountryCallingCode,
            )
        })
    }

    /// An E.164 number (`+11234567890`) split into its country calling code and national number
    /// (`("1", "1234567890")`), as libphonenumber reads it; a 422 on `phone_number` when it
    /// cannot. Whether the number is in service is not asked: a user created from a number alone
    /// (seed 004, "Create User") proves it by the one-time code.
    pub(crate) fn split_e164(e164: &str) -> Result<(String, String), Error> {
        let number = phonenumber::parse(None, e164.trim()).map_err(|e| {
            let rule = match e {
                // A length the user's own rules passed, whose first digits are no country's.
                phonenumber::ParseError::InvalidCountryCode => Rule::UnknownCountryCallingCode,
                _ => Rule::PhoneLength { min: 8, max: 15 },
            };
            Error::broke("phone_number", rule)
        })?;
        // The national number as E.164 writes it: `national().value()` drops its leading
        // zeros (Italy's +39 06…), and the split number would then be another one.
        let code = number.code().value().to_string();
        let e164 = number.format().mode(Mode::E164).to_string();
        let national = e164
            .strip_prefix(&format!("+{code}"))
            .map(str::to_owned)
            .ok_or_else(|| Error::broke("phone_number", Rule::PhoneLength { min: 8, max: 15 }))?;
        Ok((code, national))
    }

    fn parse_digits(cc: &str, national: &str) -> Option<ParsedPhone> {
        if cc.is_empty() || national.is_empty() {
            return None;
        }
        let number = phonenumber::parse(None, format!("+{cc}{national}")).ok()?;
        if !phonenumber::is_valid(&number) || number.code().value().to_string() != cc {
            return None;
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        let national = e164.strip_prefix(&format!("+{cc}"))?.to_owned();
        Some(ParsedPhone {
            country_code: cc.to_owned(),
            national,
        })
    }

    /// The country calling code, digits only (`1`).
    pub fn country_code(&self) -> &str {
        &self.country_code
    }

    /// The national significant number, digits only (`4154332334`).
    pub fn national(&self) -> &str {
        &self.national
    }

    /// The number in E.164 (`+14154332334`), as an SMS provider takes it.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.country_code, self.national)
    }

    /// The number with all but its last four digits hidden (`+1 ••• ••• 2334`): all that may
    /// be logged or shown back.
    pub fn masked(&self) -> String {
        mask_phone(&self.country_code, &self.shown_tail())
    }

    /// The last digits of the national number that may be shown: four, but never more than
    /// half of them (review: a 4- or 5-digit number, Niue's or the Falklands', was shown whole
    /// or nearly, to anyone holding a payout link that names it).
    pub fn shown_tail(&self) -> String {
        payout_model::mask::shown_tail(&self.national)
    }

    /// Whether a stored phone (`users.country_code`, `users.phone_number`) is this one: equal
    /// in E.164 when the stored one parses, else equal digit for digit.
    pub(crate) fn is(&self, country_code: &str, phone_number: &str) -> bool {
        let (cc, national) = (digits(country_code), digits(phone_number));
        match Self::parse_digits(&cc, &national) {
            Some(stored) => &stored == self,
            None => cc == self.country_code && national == self.national,
        }
    }
}

/// The ASCII digits of `s`, in order.
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn accepts_real_numbers_and_normalizes_them() {
        let bob = ParsedPhone::parse("+1", "(415) 433-2334").unwrap();
        assert_eq!(bob.e164(), "+14154332334");
        assert_eq!(bob.masked(), "+1 ••• ••• 2334");
        // Seed 004's response, and the 555-01xx numbers examples use.
        assert!(ParsedPhone::parse("55", "49933801774").is_ok());
        assert!(ParsedPhone::parse("1", "4155550123").is_ok());
        assert!(ParsedPhone::parse("1", "2015550123").is_ok());
        // A UK mobile, with and without the trunk 0.
        let uk = ParsedPhone::parse("44", "07911 123456").unwrap();
        assert_eq!(uk.national(), "7911123456");
        assert!(uk.is("44", "7911123456"));
    }

    /// Review: a national number that starts with 0 (Italy's landlines, +39 06…) lost the
    /// zero when an E.164 number was split, so it became another number (or none).
    #[test]
    fn an_e164_numbers_leading_zero_is_kept() {
        let (code, national) = ParsedPhone::split_e164("+390612345678").unwrap();
        assert_eq!((code.as_str(), national.as_str()), ("39", "0612345678"));
        let rome = ParsedPhone::parse(&code, &national).unwrap();
        assert_eq!(rome.e164(), "+390612345678");
        assert_eq!(
            ParsedPhone::split_e164("+14154332334").unwrap(),
            ("1".to_owned(), "4154332334".to_owned())
        );
    }

    #[test]
    fn refuses_numbers_that_cannot_exist() {
        for (cc, number) in [("1", "1234567890"), ("1", "0004332334"), ("44", "12")] {
            let e = ParsedPhone::parse(cc, number).unwrap_err();
            let envelope = e.to_api_error();
            assert_eq!(
                envelope.field("phone_number"),
                Some(format!("is not a valid phone number for +{cc}").as_str()),
                "{cc} {number}"
            );
        }
    }

    /// Review: a country calling code no country has (`999`, or `2` for `44`, whose number
    /// then read as Gabon's `+241…`) was blamed on the phone number.
    #[test]
    fn an_unknown_country_calling_code_is_named_as_such() {
        for (cc, number) in [
            ("999", "4155550123"),
            ("2", "4155550123"),
            ("0", "4155550123"),
        ] {
            let envelope = ParsedPhone::parse(cc, number).unwrap_err().to_api_error();
            assert_eq!(envelope.fields.len(), 1, "{cc}");
            assert_eq!(envelope.fields[0].field, "country_code", "{cc}");
            assert_eq!(
                envelope.fields[0].rule,
                Some(Rule::NoSuchCountryCallingCode),
                "{cc}"
            );
        }
        let envelope = ParsedPhone::parse_at("payee.", "999", "4155550123")
            .unwrap_err()
            .to_api_error();
        assert_eq!(envelope.fields[0].field, "payee.country_code");
    }

    #[test]
    fn compares_stored_phones_by_number_not_by_spelling() {
        let bob = ParsedPhone::parse("1", "4154332334").unwrap();
        assert!(bob.is("1", "415-433-2334"));
        assert!(!bob.is("1", "4154332335"));
        assert!(!bob.is("44", "4154332334"));
    }
}
