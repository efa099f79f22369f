//! Flows as the host creates and reads them (seed 002 request, seed 004 response), and the
//! state the flow app routes on ([`FlowState`]).

use crate::identity::PhoneHint;
use crate::money::FeeParty;
use crate::rule::{Invalid, Rule, Validate};
use crate::step::{asked_fee_party, Step, StepName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Free-form data a host attaches to an object: a JSON object or a string (seeds 002 and 004
/// show both), echoed back unchanged.
pub type Metadata = Value;

/// Largest metadata accepted, as serialized JSON.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;

/// Deepest metadata accepted, in levels of objects and arrays (the metadata object itself is
/// the first). Stored metadata is read back inside the events that carry it, a few levels
/// deeper, by readers that stop at 128 levels (serde_json's limit, the sandbox's own among them).
pub const METADATA_MAX_DEPTH: usize = 32;

/// Checks `metadata` (object, string or absent; at most [`METADATA_MAX_BYTES`] and
/// [`METADATA_MAX_DEPTH`]) into `errors`.
pub fn check_metadata(metadata: &Option<Metadata>, errors: &mut Invalid) {
    match metadata {
        None | Some(Value::Null) => {}
        Some(m @ (Value::Object(_) | Value::String(_))) => {
            if m.to_string().len() > METADATA_MAX_BYTES {
                errors.add(
                    "metadata",
                    Rule::MetadataSize {
                        max: METADATA_MAX_BYTES,
                    },
                );
            } else if depth(m) > METADATA_MAX_DEPTH {
                errors.add(
                    "metadata",
                    Rule::MetadataDepth {
                        max: METADATA_MAX_DEPTH,
                    },
                );
            }
        }
        Some(_) => errors.add("metadata", Rule::MetadataShape),
    }
}

/// Levels of objects and arrays in `value`: 0 for a scalar. Iterative, so no input can
/// exhaust the stack.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut open = vec![(value, 1)];
    while let Some((value, level)) = open.pop() {
        let inner: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Object(map) => Box::new(map.values()),
            Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        deepest = deepest.max(level);
        open.extend(inner.map(|v| (v, level + 1)));
    }
    deepest
}

/// `POST /api/v2/flows` body (seed 002).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewFlow {
    /// The steps to walk the user through, in order; at least one.
    pub steps: Vec<Step>,
    /// A user the flow starts authenticated as (for 15 minutes, unless `require_auth`).
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// Hide the "Go to dashboard" button on the done screen.
    #[serde(default)]
    pub hide_go_to_dashboard_on_complete: bool,
    /// Make the user sign in even when `user_id` is given.
    #[serde(default)]
    pub require_auth: bool,
    /// Host data echoed back on the flow.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Who pays payout fees in this flow's payout step; the payout step's own
    /// `payout_fee_party` option (seed 004's payout flow), then the app's setting, when absent.
    /// Not in the seeds' flow request (payout links have it, seed 004); the flow response stays
    /// as seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_fee_party: Option<FeeParty>,
}

impl Validate for NewFlow {
    /// Rules serde cannot express: a non-empty step list without repeats, sane metadata.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if self.steps.is_empty() {
            errors.add("steps", Rule::AtLeastOneStep);
        }
        for (i, step) in self.steps.iter().enumerate() {
            if self.steps[..i].iter().any(|s| s.name() == step.name()) {
                errors.add(format!("steps[{i}]"), Rule::StepTwice { step: step.name() });
            }
        }
        if let Err(rule) = asked_fee_party(self.payout_fee_party, &self.steps) {
            errors.add("payout_fee_party", rule);
        }
        check_metadata(&self.metadata, &mut errors);
        errors.finish()
    }
}

/// A flow as the host sees it (`POST /api/v2/flows`, `GET /api/v2/flows/{id}`): exactly the
/// fields of seed 004's "Create a Flow" response.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flow {
    /// ID of the flow.
    pub id: Uuid,
    /// When the flow was created.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// When the flow last changed: created, claimed by a sign-in, a step completed (seed 000's
    /// example answers it; seed 004's do not: both are answered, issue 11).
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub updated: DateTime<Utc>,
    /// The user who has claimed the flow, once known.
    pub user_id: Option<Uuid>,
    /// The names of the flow's steps, in order (seed 002's response: `enum<string>[]`, even
    /// for a step created as an object with options, such as a redirect with its URL).
    pub steps: Vec<StepName>,
    /// Steps the user has completed, in completion order.
    pub completed_steps: Vec<StepName>,
    /// URL of the flow; open it or embed it in an iframe.
    pub link: String,
    /// Host data given at creation.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// The payout link this flow belongs to, if any.
    pub payout_link_id: Option<Uuid>,
}

/// What the flow app needs to route: the flow's steps and progress and its display options.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowState {
    /// ID of the flow.
    pub id: Uuid,
    /// The flow's steps as created.
    pub steps: Vec<Step>,
    /// Steps completed so far.
    pub completed_steps: Vec<StepName>,
    /// The user who has claimed the flow, once known.
    pub user_id: Option<Uuid>,
    /// Hide the "Go to dashboard" button on the done screen.
    pub hide_go_to_dashboard_on_complete: bool,
    /// The flow makes the user sign in even when it names a user.
    pub require_auth: bool,
    /// Who pays payout fees in the payout step.
    #[serde(default)]
    pub payout_fee_party: FeeParty,
    /// Tax data must come before the payout (issue 11): the payout the user can make would take
    /// their reportable payouts from this app this year past its reporting threshold, and no W-9
    /// or W-8BEN is on file. The server works it out for the signed-in user; the route then
    /// holds a compliance step before `payout` ([`FlowState::route`]).
    #[serde(default)]
    pub compliance_due: bool,
    /// For a session that has not signed in to a payout link's flow whose host named the
    /// payee's phone: that phone, masked. Sign-in then offers to text it a code
    /// ([`NewCode::payee_phone`](crate::identity::NewCode)); only that phone may claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee_phone: Option<PhoneHint>,
}

impl FlowState {
    /// The flow as a session that is (or is not) signed in may see it: a session that has not
    /// signed in does not learn which user the flow is for (issue 8: a leaked link tells a
    /// stranger nothing about its user) nor whether their tax data is due; a signed-in one has
    /// no more use for the payee's phone hint.
    pub fn for_session(mut self, authenticated: bool) -> Self {
        if authenticated {
            self.payee_phone = None;
        } else {
            self.user_id = None;
            self.compliance_due = false;
        }
        self
    }

    /// The steps the user goes through, in order: `steps`, with a compliance step before
    /// `payout` when the flow has none of its own and tax data is due ([`Self::compliance_due`])
    /// or was given in that place (it stays in the route once completed, so the progress the
    /// user saw does not shrink). Progress, the current step and what a session may do
    /// ([`FlowState::permits`]) all follow this route.
    pub fn route(&self) -> impl Iterator<Item = &Step> + '_ {
        let inserted = (self.compliance_due
            || self.completed_steps.contains(&StepName::Compliance))
            && !self.steps.iter().any(|s| s.name() == StepName::Compliance);
        self.steps.iter().flat_map(move |step| {
            let before = (inserted && step.name() == StepName::Payout).then_some(&COMPLIANCE);
            before.into_iter().chain(std::iter::once(step))
        })
    }

    /// Whether tax data could be due before this flow's payout: the flow pays out, the payout
    /// is not done, and compliance is neither a step of the flow nor done. Only then does the
    /// server read what [`Self::compliance_due`] needs.
    pub fn may_need_compliance(&self) -> bool {
        let has = |name| self.steps.iter().any(|s| s.name() == name);
        has(StepName::Payout)
            && !has(StepName::Compliance)
            && !self.completed_steps.contains(&StepName::Payout)
            && !self.completed_steps.contains(&StepName::Compliance)
    }

    /// The first step of the [route](Self::route) not yet in `completed_steps`.
    pub fn next_step(&self) -> Option<&Step> {
        self.route()
            .find(|s| !self.completed_steps.contains(&s.name()))
    }
}

/// The compliance step the route inserts.
static COMPLIANCE: Step = Step::Compliance;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Seed 004, "Flow Creation Response Example".
    #[test]
    fn flow_matches_seed_004_response() {
        let seed = json!({
            "completed_steps": [],
            "created": "2024-07-30T13:19:09.438268Z",
            "id": "17f357c1-7f4d-4101-a2c0-8cb9c9947ac8",
            "link": "https://my-sandbox.dots.dev/flow/17f357c1-7f4d-4101-a2c0-8cb9c9947ac8",
            "metadata": null,
            "payout_link_id": null,
            "steps": ["manage-payouts"],
            "user_id": "fc54b468-bbb2-403f-be36-5627a8e3c7a4"
        });
        // Seed 000's example also answers `updated`: the flow answers both (a superset).
        let mut full = seed.clone();
        full["updated"] = seed["created"].clone();
        let flow: Flow = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(flow.steps, vec![StepName::ManagePayouts]);
        assert_eq!(serde_json::to_value(&flow).unwrap(), full);
    }

    /// Seed 000, "Example Flow" response: every field it shows, `updated` included.
    #[test]
    fn flow_answers_seed_000_example_fields() {
        let seed = json!({
            "id": "5f0f8f8f-f8f8-f8f8-f8f8-f8f8f8f8f8f8",
            "created": "2020-12-09T00:40:51.107Z",
            "updated": "2020-12-09T00:40:51.107Z",
            "user_id": null,
            "steps": ["compliance", "manage-payouts"],
            "completed_steps": [],
            "payout_link_id": null,
            "link": "https://my.senddotssandbox.com/flow/5f0f8f8f-f8f8-f8f8-f8f8-f8f8f8f8f8f8",
        });
        let flow: Flow = serde_json::from_value(seed.clone()).unwrap();
        let back = serde_json::to_value(&flow).unwrap();
        for (field, value) in seed.as_object().unwrap() {
            assert_eq!(&back[field], value, "{field}");
        }
    }

    /// Seed 002, "Create a Flow" request and response.
    #[test]
    fn new_flow_and_flow_match_seed_002() {
        let request = json!({
            "steps": ["compliance"],
            "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "hide_go_to_dashboard_on_complete": false,
            "require_auth": false,
            "metadata": "<string>"
        });
        let new: NewFlow = serde_json::from_value(request.clone()).unwrap();
        new.validate().unwrap();
        assert_eq!(serde_json::to_value(&new).unwrap(), request);

        let response = json!({
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "created": "2023-11-07T05:31:56Z",
            "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "steps": ["compliance"],
            "completed_steps": ["compliance"],
            "link": "<string>",
            "metadata": "<string>",
            "payout_link_id": null
        });
        let mut full = response.clone();
        full["updated"] = response["created"].clone();
        let flow: Flow = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(serde_json::to_value(&flow).unwrap(), full);
    }

    #[test]
    fn new_flow_defaults_optional_fields() {
        let new: NewFlow = serde_json::from_value(json!({"steps": ["payout"]})).unwrap();
        assert_eq!(new.user_id, None);
        assert!(!new.require_auth && !new.hide_go_to_dashboard_on_complete);
        assert_eq!(new.metadata, None);
    }

    #[test]
    fn rejects_empty_steps() {
        let new: NewFlow = serde_json::from_value(json!({"steps": []})).unwrap();
        let err = new.validate().unwrap_err();
        assert_eq!(err.rule("steps"), Some(Rule::AtLeastOneStep));
    }

    #[test]
    fn rejects_repeated_steps_and_bad_metadata() {
        let new: NewFlow =
            serde_json::from_value(json!({"steps": ["payout", "payout"], "metadata": [1, 2]}))
                .unwrap();
        let err = new.validate().unwrap_err();
        assert_eq!(
            err.rule("steps[1]"),
            Some(Rule::StepTwice {
                step: StepName::Payout
            })
        );
        assert!(err.rule("metadata").is_some());
    }

    #[test]
    fn next_step_skips_completed_ones() {
        let state = FlowState {
            id: Uuid::nil(),
            steps: vec![Step::Compliance, Step::PAYOUT],
            completed_steps: vec![StepName::Compliance],
            user_id: None,
            hide_go_to_dashboard_on_complete: false,
            require_auth: false,
            payout_fee_party: FeeParty::Platform,
            compliance_due: false,
            payee_phone: None,
        };
        assert_eq!(state.next_step(), Some(&Step::PAYOUT));
    }

    fn state(steps: Vec<Step>, completed: Vec<StepName>, due: bool) -> FlowState {
        FlowState {
            id: Uuid::nil(),
            steps,
            completed_steps: completed,
            user_id: Some(Uuid::nil()),
            hide_go_to_dashboard_on_complete: false,
            require_auth: false,
            payout_fee_party: FeeParty::Platform,
            compliance_due: due,
            payee_phone: None,
        }
    }

    fn names(state: &FlowState) -> Vec<StepName> {
        state.route().map(Step::name).collect()
    }

    #[test]
    fn compliance_due_comes_before_the_payout() {
        let manage = Step::ManagePayouts {
            hide_continue_button: false,
        };
        let due = state(vec![manage.clone(), Step::PAYOUT], vec![], true);
        assert_eq!(
            names(&due),
            [
                StepName::ManagePayouts,
                StepName::Compliance,
                StepName::Payout
            ]
        );
        assert!(due.may_need_compliance());
        let not_due = FlowState {
            compliance_due: false,
            payee_phone: None,
            ..due.clone()
        };
        assert_eq!(names(&not_due), [StepName::ManagePayouts, StepName::Payout]);

        // Given in that place, it stays there, and the payout is next.
        let given = state(
            vec![manage, Step::PAYOUT],
            vec![StepName::ManagePayouts, StepName::Compliance],
            false,
        );
        assert_eq!(names(&given).len(), 3);
        assert_eq!(given.next_step(), Some(&Step::PAYOUT));
        assert!(!given.may_need_compliance());
    }

    #[test]
    fn a_flow_with_its_own_compliance_step_or_no_payout_gets_none_inserted() {
        let own = state(vec![Step::PAYOUT, Step::Compliance], vec![], true);
        assert_eq!(names(&own), [StepName::Payout, StepName::Compliance]);
        assert!(!own.may_need_compliance());
        let no_payout = state(vec![Step::IdVerification], vec![], true);
        assert_eq!(names(&no_payout), [StepName::IdVerification]);
        assert!(!no_payout.may_need_compliance());
        // A stranger's session does not learn that tax data is due.
        assert!(
            !state(vec![Step::PAYOUT], vec![], true)
                .for_session(false)
                .compliance_due
        );
    }
}
