//! Flow steps as the v2 API writes them: a name (`"compliance"`) or an object with options
//! (`{"name":"redirect","redirect_url":"https://…"}`, `{"name":"manage-payouts",
//! "hide_continue_button":true}`), seeds 000 and 002. Parsing refuses unknown names, a redirect
//! without an http(s) URL, and options of the wrong type, each with a message that says so.

use crate::money::FeeParty;
use crate::rule::Rule;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The name of a step, as it appears in `steps` and `completed_steps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepName {
    /// Tax data: W-9 in the US, W-8BEN elsewhere.
    Compliance,
    /// Government ID and selfie.
    IdVerification,
    /// SSN, date of birth and address checked for criminal records.
    BackgroundCheck,
    /// A US bank account for pay-ins.
    ManagePayments,
    /// The user's payout methods and their default.
    ManagePayouts,
    /// Withdraw the wallet balance.
    Payout,
    /// Leave the flow for the host's URL.
    Redirect,
}

impl StepName {
    /// Every step, in the order the seeds list them.
    pub const ALL: [StepName; 7] = [
        StepName::Compliance,
        StepName::IdVerification,
        StepName::BackgroundCheck,
        StepName::ManagePayments,
        StepName::ManagePayouts,
        StepName::Payout,
        StepName::Redirect,
    ];

    /// The wire name (`"id-verification"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            StepName::Compliance => "compliance",
            StepName::IdVerification => "id-verification",
            StepName::BackgroundCheck => "background-check",
            StepName::ManagePayments => "manage-payments",
            StepName::ManagePayouts => "manage-payouts",
            StepName::Payout => "payout",
            StepName::Redirect => "redirect",
        }
    }

    fn unknown(name: &str) -> String {
        let names: Vec<&str> = StepName::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "unknown step \"{name}\"; expected one of {}",
            names.join(", ")
        )
    }
}

impl fmt::Display for StepName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StepName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StepName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| StepName::unknown(s))
    }
}

impl Serialize for StepName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StepName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// One step of a flow with its options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// See [`StepName::Compliance`].
    Compliance,
    /// See [`StepName::IdVerification`].
    IdVerification,
    /// See [`StepName::BackgroundCheck`].
    BackgroundCheck,
    /// See [`StepName::ManagePayments`].
    ManagePayments {
        /// Keep the user on this step: no continue button (seed 004).
        hide_continue_button: bool,
    },
    /// See [`StepName::ManagePayouts`].
    ManagePayouts {
        /// Keep the user on this step: no continue button (seed 000).
        hide_continue_button: bool,
    },
    /// See [`StepName::Payout`].
    Payout {
        /// Who pays this step's payout fees (seed 004's payout flow option); the flow's
        /// `payout_fee_party`, then the app's, when absent.
        payout_fee_party: Option<FeeParty>,
    },
    /// See [`StepName::Redirect`].
    Redirect {
        /// Where to send the user; http or https only, checked by [`check_redirect_url`].
        redirect_url: String,
    },
}

impl Step {
    /// A payout step without options.
    pub const PAYOUT: Step = Step::Payout {
        payout_fee_party: None,
    };

    /// This step's name.
    pub fn name(&self) -> StepName {
        match self {
            Step::Compliance => StepName::Compliance,
            Step::IdVerification => StepName::IdVerification,
            Step::BackgroundCheck => StepName::BackgroundCheck,
            Step::ManagePayments { .. } => StepName::ManagePayments,
            Step::ManagePayouts { .. } => StepName::ManagePayouts,
            Step::Payout { .. } => StepName::Payout,
            Step::Redirect { .. } => StepName::Redirect,
        }
    }

    /// Who pays the fees of this step's payouts, when it is a payout step that says.
    pub fn payout_fee_party(&self) -> Option<FeeParty> {
        match self {
            Step::Payout { payout_fee_party } => *payout_fee_party,
            _ => None,
        }
    }

    /// Whether the host asked to hide the continue button on this step.
    pub fn hide_continue_button(&self) -> bool {
        matches!(
            self,
            Step::ManagePayments {
                hide_continue_button: true
            } | Step::ManagePayouts {
                hide_continue_button: true
            }
        )
    }

    /// Builds a step from its name and an options object (`name` already removed).
    fn from_parts(name: StepName, mut options: Map<String, Value>) -> Result<Step, String> {
        let mut flag = |key: &str| -> Result<bool, String> {
            match options.remove(key) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(b),
                Some(_) => Err(format!("{key} must be true or false")),
            }
        };
        let step = match name {
            StepName::Compliance => Step::Compliance,
            StepName::IdVerification => Step::IdVerification,
            StepName::BackgroundCheck => Step::BackgroundCheck,
            StepName::Payout => Step::Payout {
                payout_fee_party: match options.remove("payout_fee_party") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(party)) => Some(match party.as_str() {
                        "platform" => FeeParty::Platform,
                        "user" => FeeParty::User,
                        _ => return Err("payout_fee_party must be \"platform\" or \"user\"".to_owned()),
                    }),
                    Some(_) => return Err("payout_fee_party must be \"platform\" or \"user\"".to_owned()),
                },
            },
            StepName::ManagePayments => Step::ManagePayments {
                hide_continue_button: flag("hide_continue_button")?,
            },
            StepName::ManagePayouts => Step::ManagePayouts {
                hide_continue_button: flag("hide_continue_button")?,
            },
            StepName::Redirect => match options.remove("redirect_url") {
                Some(Value::String(url)) => {
                    check_redirect_url(&url)
                        .map_err(|rule| format!("redirect_url {}", crate::rule::UrlRuleText(rule)))?;
                    Step::Redirect { redirect_url: url }
                }
                None | Some(Value::Null) => {
                    return Err(
                        "redirect needs a redirect_url: {\"name\":\"redirect\",\"redirect_url\":\"https://…\"}"
                            .to_owned(),
                    )
                }
                Some(_) => return Err("redirect_url must be a string".to_owned()),
            },
        };
        if let Some(key) = options.keys().next() {
            return Err(format!("{name} has no option \"{key}\""));
        }
        Ok(step)
    }

    /// Parses one step from its JSON form (string or object).
    pub fn from_json(value: &Value) -> Result<Step, String> {
        match value {
            Value::String(name) => Step::from_parts(name.parse()?, Map::new()),
            Value::Object(obj) => {
                let mut options = obj.clone();
                let name = match options.remove("name") {
                    Some(Value::String(name)) => name.parse::<StepName>()?,
                    Some(_) => return Err("name must be a string".to_owned()),
                    None => return Err("a step object needs a name".to_owned()),
                };
                Step::from_parts(name, options)
            }
            _ => Err("a step is a name or an object with a name".to_owned()),
        }
    }

    /// The JSON form: a bare name when the step has no options, else an object.
    pub fn to_json(&self) -> Value {
        match self {
            Step::Redirect { redirect_url } => {
                serde_json::json!({"name": "redirect", "redirect_url": redirect_url})
            }
            Step::Payout {
                payout_fee_party: Some(party),
            } => serde_json::json!({"name": "payout", "payout_fee_party": party.as_str()}),
            s if s.hide_continue_button() => {
                serde_json::json!({"name": s.name().as_str(), "hide_continue_button": true})
            }
            s => Value::String(s.name().as_str().to_owned()),
        }
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Step::from_json(&value).map_err(D::Error::custom)
    }
}

/// The fee party a request for a flow asks for: its own `payout_fee_party` (`given`), else its
/// payout step's option, else none (the app's setting then). Both given and different is
/// refused, naming `payout_fee_party`.
pub fn asked_fee_party(given: Option<FeeParty>, steps: &[Step]) -> Result<Option<FeeParty>, Rule> {
    let step = steps.iter().find_map(Step::payout_fee_party);
    match (given, step) {
        (Some(a), Some(b)) if a != b => Err(Rule::NotTogether),
        (given, step) => Ok(given.or(step)),
    }
}

/// Checks a redirect URL: absolute http or https with a host, no spaces or control characters.
/// `javascript:`, `data:` and relative URLs are refused so a flow can never run script on leave.
/// A backslash before the path is refused too: browsers read it as `/` in an http URL, so
/// `https://evil.example\@bank.example/` goes to `evil.example` while a reader (and the
/// redirect screen's "Taking you to …") would take `bank.example` for its host. (In the path,
/// query or fragment it is harmless, and allowed.)
pub fn check_redirect_url(url: &str) -> Result<(), Rule> {
    const MAX: usize = 2048;
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or(Rule::HttpUrl)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || authority.contains('\\') {
        return Err(Rule::UrlHost);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Rule::NoSpacesOrControlChars);
    }
    if url.len() > MAX {
        return Err(Rule::MaxChars { max: MAX });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_string_and_object_forms() {
        let steps: Vec<Step> = serde_json::from_value(json!([
            "compliance",
            {"name": "manage-payouts", "hide_continue_button": true},
            {"name": "redirect", "redirect_url": "https://example.com"}
        ]))
        .unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Compliance,
                Step::ManagePayouts {
                    hide_continue_button: true
                },
                Step::Redirect {
                    redirect_url: "https://example.com".into()
                }
            ]
        );
    }

    #[test]
    fn round_trips_each_form_unchanged() {
        let wire = json!([
            "compliance", "id-verification", "background-check", "manage-payments",
            "manage-payouts", "payout",
            {"name": "manage-payouts", "hide_continue_button": true},
            {"name": "payout", "payout_fee_party": "user"},
            {"name": "redirect", "redirect_url": "https://example.com/after?x=1"}
        ]);
        let steps: Vec<Step> = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&steps).unwrap(), wire);
    }

    #[test]
    fn a_payout_steps_fee_party_agrees_with_the_flows_or_is_refused() {
        let user = Step::from_json(&json!({"name": "payout", "payout_fee_party": "user"})).unwrap();
        assert_eq!(user.payout_fee_party(), Some(FeeParty::User));
        let steps = [Step::Compliance, user];
        assert_eq!(asked_fee_party(None, &steps), Ok(Some(FeeParty::User)));
        assert_eq!(
            asked_fee_party(Some(FeeParty::User), &steps),
            Ok(Some(FeeParty::User))
        );
        assert_eq!(
            asked_fee_party(Some(FeeParty::Platform), &steps),
            Err(Rule::NotTogether)
        );
        assert_eq!(
            asked_fee_party(Some(FeeParty::Platform), &[Step::PAYOUT]),
            Ok(Some(FeeParty::Platform))
        );
        assert_eq!(asked_fee_party(None, &[Step::PAYOUT]), Ok(None));
        let bad = json!({"name": "payout", "payout_fee_party": "host"});
        assert!(Step::from_json(&bad)
            .unwrap_err()
            .contains("payout_fee_party"));
    }

    #[test]
    fn rejects_unknown_step_naming_the_choices() {
        let err = Step::from_json(&json!("kyc")).unwrap_err();
        assert!(
            err.starts_with("unknown step \"kyc\"; expected one of compliance"),
            "{err}"
        );
    }

    #[test]
    fn rejects_redirect_without_url() {
        assert!(Step::from_json(&json!("redirect"))
            .unwrap_err()
            .contains("redirect_url"));
        assert!(Step::from_json(&json!({"name": "redirect"}))
            .unwrap_err()
            .contains("redirect_url"));
    }

    #[test]
    fn rejects_non_http_redirect_urls() {
        for url in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,hi",
            "/relative",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com/\n",
        ] {
            let step = json!({"name": "redirect", "redirect_url": url});
            assert!(Step::from_json(&step).is_err(), "accepted {url:?}");
        }
        assert!(check_redirect_url("HTTP://Example.com:8080/x").is_ok());
        // A backslash is a slash to a browser: the host would be evil.example, not the one
        // after the `@`.
        assert_eq!(
            check_redirect_url("https://evil.example\\@bank.example/"),
            Err(Rule::UrlHost)
        );
        assert!(check_redirect_url("https://shop.example/a\\b?c=\\").is_ok());
    }

    #[test]
    fn rejects_wrong_option_types_and_unknown_options() {
        assert_eq!(
            Step::from_json(&json!({"name": "manage-payouts", "hide_continue_button": "yes"}))
                .unwrap_err(),
            "hide_continue_button must be true or false"
        );
        assert_eq!(
            Step::from_json(&json!({"name": "payout", "redirect_url": "https://x.y"})).unwrap_err(),
            "payout has no option \"redirect_url\""
        );
        assert!(Step::from_json(&json!(3)).is_err());
        assert!(Step::from_json(&json!({"name": 3})).is_err());
    }

    #[test]
    fn step_names_round_trip() {
        for name in StepName::ALL {
            assert_eq!(name.as_str().parse::<StepName>(), Ok(name));
            assert_eq!(serde_json::to_value(name).unwrap(), json!(name.as_str()));
        }
    }
}
