//! Reading RFC 3339 timestamps (`2026-01-02T03:04:05.678Z`, `…+02:00`) into `DateTime<Utc>`
//! without chrono's format-string parser, which is about 15 KB of the app's wasm (issue 9, "keep
//! wasm size in check"). Every `DateTime<Utc>` field of the wire types deserializes through
//! [`rfc3339`] (or [`rfc3339_opt`]); serializing still goes through chrono.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

/// `s` as an instant: `YYYY-MM-DD`, `T` (or `t` or a space), `HH:MM:SS`, optional fraction,
/// then `Z` (or `z`) or `±HH:MM`. `None` for anything else or an impossible date or time.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<u32> {
        let part = s.get(from..to)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut i = 19;
    let mut nanos = 0;
    if at(i, b".") {
        let start = i + 1;
        i = start;
        while at(i, b"0123456789") {
            i += 1;
        }
        let digits = s.get(start..i)?;
        if digits.is_empty() {
            return None;
        }
        let kept = &digits[..digits.len().min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
    }
    let offset_seconds = match s.get(i..)? {
        "Z" | "z" => 0,
        zone if zone.len() == 6 && at(i, b"+-") && at(i + 3, b":") => {
            let seconds = i64::from(num(i + 1, i + 3)? * 3600 + num(i + 4, i + 6)? * 60);
            if at(i, b"-") {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = date.and_time(time);
    Some(Utc.from_utc_datetime(&(local - Duration::seconds(offset_seconds))))
}

/// `#[serde(deserialize_with = "crate::time::rfc3339")]` for a `DateTime<Utc>` field.
pub fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse_rfc3339(&text).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp"))
}

/// [`rfc3339`] for an `Option<DateTime<Utc>>` field (`null` or absent is `None`; pair it with
/// `#[serde(default)]`).
pub fn rfc3339_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => parse_rfc3339(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_chrono_reads() {
        for s in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.678Z",
            "2026-01-02T03:04:05.123456789Z",
            "2026-01-02T03:04:05.1234567891Z",
            "2026-01-02t03:04:05z",
            "2026-01-02 03:04:05+02:00",
            "2026-01-02T00:04:05-05:30",
            "2024-02-29T23:59:59.5+00:00",
        ] {
            let chrono: DateTime<Utc> = s.parse().expect(s);
            assert_eq!(parse_rfc3339(s), Some(chrono), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for s in [
            "",
            "2026-01-02",
            "2026-01-02T03:04:05",
            "2026-02-30T03:04:05Z",
            "2026-01-02T24:00:00Z",
            "2026-01-02T03:04:05.Z",
            "2026-01-02T03:04:05+0200",
            "2026-01-02T03:04:05Zjunk",
            "2026/01/02T03:04:05Z",
            "+2026-01-02T03:04:05Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s:?}");
        }
    }

    #[test]
    fn deserializes_fields() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "rfc3339")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "rfc3339_opt")]
            maybe: Option<DateTime<Utc>>,
        }
        let t: T = serde_json::from_str(r#"{"at":"2026-01-02T03:04:05Z"}"#).expect("json");
        assert_eq!(t.at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        assert_eq!(t.maybe, None);
        let t: T =
            serde_json::from_str(r#"{"at":"2026-01-02T03:04:05Z","maybe":null}"#).expect("json");
        assert_eq!(t.maybe, None);
        assert!(serde_json::from_str::<T>(r#"{"at":"yesterday"}"#).is_err());
    }
}
