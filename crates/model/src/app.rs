//! Apps as their organization manages them (seed 004, "Create App"; issue 10, "Organization and
//! apps"), and an app's own settings (`GET`/`PATCH /api/v2/app`): its name, the host origins
//! allowed to embed its flows, who pays payout fees by default, its smallest flow payout, and
//! its look ([`Appearance`], issue 12).

use crate::appearance::Appearance;
use crate::money::{Cents, FeeParty, MAX_AMOUNT};
use crate::origin::Origin;
use crate::rule::{Invalid, Rule, Validate};
use crate::user::check_name;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The most origins one app may list as embedders.
pub const MAX_ALLOWED_ORIGINS: usize = 50;

/// `POST /api/v2/apps` body (seed 004, "Create App").
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApp {
    /// The app's name: 1 to 100 characters, no control characters.
    pub name: String,
}

impl Validate for NewApp {
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(rule) = check_name(&self.name) {
            errors.add("name", rule);
        }
        errors.finish()
    }
}

/// An app of the organization (seed 004, "Create App" response, plus its credentials' user name).
/// Its `Debug` leaves the api key out.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    /// ID of the app; `Api-App-Id` names it when the organization acts as the app.
    pub id: Uuid,
    /// The app's name.
    pub name: String,
    /// The organization the app belongs to.
    pub organization_id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// The HTTP Basic user name of the app's credentials; not a secret.
    pub client_id: String,
    /// The api key, in clear: only in the answer that made it (`POST /api/v2/apps`,
    /// `POST /api/v2/apps/{id}/keys`). It is stored hashed and cannot be read again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("organization_id", &self.organization_id)
            .field("created", &self.created)
            .field("client_id", &self.client_id)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A page of apps (`GET /api/v2/apps`), shaped like [`crate::money::TransferList`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppList {
    /// Newest first.
    pub data: Vec<App>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// The calling app's own settings (`GET`/`PATCH /api/v2/app`). Changes apply to flows and
/// sessions created after them, at once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppSettings {
    /// ID of the app.
    pub id: Uuid,
    /// The app's name.
    pub name: String,
    /// The organization the app belongs to.
    pub organization_id: String,
    /// The HTTP Basic user name of the app's credentials.
    pub client_id: String,
    /// The host origins (`https://host.example`) allowed to embed the app's flows and receive
    /// their window messages, compared exactly.
    pub allowed_origins: Vec<String>,
    /// Who pays payout fees when a flow or payout does not say: the default of `NewFlow` and
    /// `NewPayout`'s `payout_fee_party`.
    pub payout_fee_party: FeeParty,
    /// The smallest payout (cents) the app's flows accept.
    pub min_flow_payout: Cents,
    /// The yearly US reporting threshold (cents;
    /// [`DEFAULT_REPORTING_THRESHOLD`](crate::money::DEFAULT_REPORTING_THRESHOLD), $600.00, by
    /// default): a payout that would take a user's reportable (not `tax_exempt`) payouts from
    /// this app in the calendar year past it needs compliance on file first (issue 11).
    pub reporting_threshold: Cents,
    /// The flow's look (issue 12): `{}` for the built-in one. Values are answered as they were
    /// re-serialised when saved (`#15C` reads back `#1155cc`).
    pub appearance: Appearance,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// `PATCH /api/v2/app` body: the settings to change; an absent field keeps its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppSettingsPatch {
    /// A new name: 1 to 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The whole new list of embedding origins (replacing the old one): each
    /// `https://host[:port]`, or `http://` on loopback only; at most 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Who pays payout fees by default from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_fee_party: Option<FeeParty>,
    /// The smallest flow payout, in cents: 1 to 100,000,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_flow_payout: Option<Cents>,
    /// The yearly reporting threshold, in cents: 0 to 100,000,000 (0: every reportable payout
    /// needs compliance first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_threshold: Option<Cents>,
    /// The flow's whole new look (replacing the old one; `{}` for the built-in look): every
    /// value parsed, and text on its background 4.5:1 at least in each theme that can show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
}

impl Validate for AppSettingsPatch {
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Some(name) = &self.name {
            if let Err(rule) = check_name(name) {
                errors.add("name", rule);
            }
        }
        if let Some(origins) = &self.allowed_origins {
            if origins.len() > MAX_ALLOWED_ORIGINS {
                errors.add(
                    "allowed_origins",
                    Rule::MaxItems {
                        max: MAX_ALLOWED_ORIGINS,
                    },
                );
            }
            for (i, origin) in origins.iter().enumerate() {
                if let Err(rule) = check_embed_origin(origin) {
                    errors.add(format!("allowed_origins[{i}]"), rule);
                }
            }
        }
        if let Some(minimum) = self.min_flow_payout {
            if minimum < 1 {
                errors.add("min_flow_payout", Rule::AtLeastOneCent);
            } else if minimum > MAX_AMOUNT {
                errors.add("min_flow_payout", Rule::MaxCents { max: MAX_AMOUNT });
            }
        }
        if let Some(threshold) = self.reporting_threshold {
            if threshold < 0 {
                errors.add("reporting_threshold", Rule::AtLeastAmount { min: 0 });
            } else if threshold > MAX_AMOUNT {
                errors.add("reporting_threshold", Rule::MaxCents { max: MAX_AMOUNT });
            }
        }
        if let Some(Err(invalid)) = self.appearance.as_ref().map(Validate::validate) {
            for violation in invalid.0 {
                errors.add(violation.field, violation.rule);
            }
        }
        errors.finish()
    }
}

impl AppSettingsPatch {
    /// The origins as they are kept: each as browsers write it ([`Origin::canonical`]:
    /// lowercase, no default port, no trailing slash), duplicates once, in the order given. Call after [`Validate::validate`].
    pub fn normalized_origins(&self) -> Option<Vec<String>> {
        self.allowed_origins.as_ref().map(|origins| {
            let mut kept: Vec<String> = Vec::new();
            for origin in origins.iter().filter_map(|o| Origin::canonical(o)) {
                if !kept.iter().any(|k| k == origin.as_str()) {
                    kept.push(origin.to_string());
                }
            }
            kept
        })
    }
}

/// An origin a host may embed flows from: an exact [`Origin`] that is `https`, or `http` on
/// loopback (local development); anything else could be read or altered on the way, or is no
/// origin at all. An IPv6 address but loopback's is refused too: a `frame-ancestors` source
/// cannot name one, so such a host could never frame a flow.
pub fn check_embed_origin(value: &str) -> Result<Origin, Rule> {
    match Origin::canonical(value) {
        Some(origin) if origin.is_loopback() => Ok(origin),
        Some(origin)
            if origin.as_str().starts_with("https://") && !origin.as_str().contains('[') =>
        {
            Ok(origin)
        }
        _ => Err(Rule::EmbedOrigin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(invalid: Invalid) -> Vec<(String, Rule)> {
        invalid.0.into_iter().map(|v| (v.field, v.rule)).collect()
    }

    #[test]
    fn new_app_matches_seed_004_request_and_needs_a_name() {
        let app: NewApp = serde_json::from_value(json!({"name": "My New App"})).unwrap();
        app.validate().unwrap();
        let blank = NewApp { name: " ".into() };
        assert_eq!(
            fields(blank.validate().unwrap_err()),
            [("name".to_owned(), Rule::Required)]
        );
    }

    #[test]
    fn app_keeps_its_key_out_of_debug_and_absent_from_reads() {
        let app = App {
            id: Uuid::nil(),
            name: "a".into(),
            organization_id: "org_1".into(),
            created: DateTime::from_timestamp(0, 0).unwrap(),
            client_id: "pk_1".into(),
            api_key: Some("sk_secret".into()),
        };
        assert!(!format!("{app:?}").contains("sk_secret"));
        let read = App {
            api_key: None,
            ..app
        };
        assert!(serde_json::to_value(&read)
            .unwrap()
            .get("api_key")
            .is_none());
    }

    #[test]
    fn embed_origins_are_https_or_loopback_http() {
        for ok in [
            "https://host.example",
            "https://host.example:8443/",
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://[::1]:8080",
        ] {
            assert!(check_embed_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://host.example",
            "https://host.example/path",
            "host.example",
            "*",
            "https://bad.example; script-src *",
            "http://localhost.evil.example",
            "https://[2001:db8::1]",
            "https://[2001:db8::1]:8443",
        ] {
            assert_eq!(check_embed_origin(bad), Err(Rule::EmbedOrigin), "{bad}");
        }
    }

    #[test]
    fn settings_patch_names_each_bad_field() {
        let patch: AppSettingsPatch = serde_json::from_value(json!({
            "name": "",
            "allowed_origins": ["https://ok.example", "http://shop.example"],
            "min_flow_payout": 0,
        }))
        .unwrap();
        assert_eq!(
            fields(patch.validate().unwrap_err()),
            [
                ("name".to_owned(), Rule::Required),
                ("allowed_origins[1]".to_owned(), Rule::EmbedOrigin),
                ("min_flow_payout".to_owned(), Rule::AtLeastOneCent),
            ]
        );
        let patch = AppSettingsPatch {
            allowed_origins: Some(vec![
                "https://a.example/".into(),
                "https://a.example".into(),
                "http://localhost:3000".into(),
            ]),
            ..Default::default()
        };
        patch.validate().unwrap();
        assert_eq!(
            patch.normalized_origins().unwrap(),
            ["https://a.example", "http://localhost:3000"]
        );
        assert!(serde_json::from_value::<AppSettingsPatch>(json!({"nme": "x"})).is_err());
    }
}
