//! `/api/v2/flows`: flows as the host creates and reads them (seeds 002 and 004); the rows are
//! [`crate::store::flows`]'s.

use crate::auth::HostApp;
use crate::error::Error;
use crate::extract::{ApiJson, ApiQuery, PathParam};
use crate::routes::Mount;
use crate::state::AppState;
use crate::store::apps::default_fee_party;
use crate::store::flows::{flow_not_found, host_flow, insert_flow};
use crate::store::users::user_exists;
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::money::FeeParty;
use payout_model::step::asked_fee_party;
use payout_model::{Flow, NewFlow, Rule, Step};
use uuid::Uuid;

/// The flows routes; Dots hosts call them with and without a trailing slash (seed 004), and
/// create flows at seed 000's `/v2/flow/create` too (issue 11).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateFlow, _, _>(create_flow)
        .endpoint::<ep::CreateFlowV2Create, _, _>(create_flow)
        .endpoint::<ep::CreateFlowSeed000, _, _>(create_flow)
        .endpoint::<ep::GetFlow, _, _>(get_flow)
}

/// `POST /api/v2/flows`: a new flow of the calling app, with its link. A flow whose request names
/// `user_id` is marked `preauthenticated` (migration 0004): only the host's say-so lets a session
/// act for a user without a sign-in, never a `user_id` a sign-in wrote later.
async fn create_flow(
    State(state): State<AppState>,
    app: HostApp,
    ApiQuery(query): ApiQuery<FlowQuery>,
    ApiJson(mut new): ApiJson<NewFlow>,
) -> Result<Json<Flow>, Error> {
    query.apply(&mut new)?;
    if let Some(user_id) = new.user_id {
        if !user_exists(&state.db, app.id, user_id).await? {
            return Err(Error::broke("user_id", Rule::NoSuchUser));
        }
    }
    // The flow's own, else its payout step's (checked to agree on arrival), else the app's.
    let asked = asked_fee_party(new.payout_fee_party, &new.steps)
        .map_err(|rule| Error::broke("payout_fee_party", rule))?;
    let fee_party = match asked {
        Some(party) => party,
        None => default_fee_party(&state.db, app.id).await?,
    };
    let id = Uuid::new_v4();
    let created = state.clock.now();
    // A write of its own, in turn with the others (payouts) on SQLite: a busy database makes
    // it wait, not fail.
    let mut tx = crate::db::begin_ledger_write(&state.db).await?;
    insert_flow(&mut *tx, id, app.id, &new, fee_party, None, created).await?;
    tx.commit().await?;
    Ok(Json(Flow {
        id,
        created,
        updated: created,
        user_id: new.user_id,
        steps: new.steps.iter().map(Step::name).collect(),
        completed_steps: Vec::new(),
        link: state.config.flow_link(id),
        metadata: new.metadata.filter(|m| !m.is_null()),
        payout_link_id: None,
    }))
}

/// The query of `POST /api/v2/flows` ([`ep::FLOW_QUERY`]), as text; any other parameter is a
/// 422 on `query` (seed 004 documents the steps' options as query parameters: one a host sends
/// is never ignored, least of all who pays the fees).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowQuery {
    payout_fee_party: Option<String>,
    hide_continue_button: Option<String>,
}

impl FlowQuery {
    /// Puts the query's options into `new`: the fee party beside the body's (a 422 when the two
    /// disagree), the flag on the flow's manage steps.
    fn apply(self, new: &mut NewFlow) -> Result<(), Error> {
        if let Some(party) = self.payout_fee_party {
            let party = match party.as_str() {
                "platform" => FeeParty::Platform,
                "user" => FeeParty::User,
                _ => {
                    return Err(Error::invalid_field(
                        "payout_fee_party",
                        Rule::Malformed,
                        "must be platform or user",
                    ))
                }
            };
            if new.payout_fee_party.is_some_and(|given| given != party) {
                return Err(Error::broke("payout_fee_party", Rule::NotTogether));
            }
            new.payout_fee_party = Some(party);
        }
        let hide = match self.hide_continue_button.as_deref() {
            None => return Ok(()),
            Some("true") => true,
            Some("false") => false,
            Some(_) => {
                return Err(Error::invalid_field(
                    "hide_continue_button",
                    Rule::Malformed,
                    "must be true or false",
                ))
            }
        };
        for step in &mut new.steps {
            if let Step::ManagePayments {
                hide_continue_button,
            }
            | Step::ManagePayouts {
                hide_continue_button,
            } = step
            {
                // `false` beside a step the body hides it on: the two disagree (review: it was
                // taken as nothing, and the button stayed hidden).
                if *hide_continue_button && !hide {
                    return Err(Error::broke("hide_continue_button", Rule::NotTogether));
                }
                *hide_continue_button = hide;
            }
        }
        Ok(())
    }
}

/// `GET /api/v2/flows/{id}`: one of the calling app's flows, with its progress (from memory
/// on SQLite: [`crate::store::flows::FlowCache`]).
async fn get_flow(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Flow>, Error> {
    let id = id.id(flow_not_found)?;
    let flow = host_flow(&state.db, &state.flows, &state.config, app.id, id).await?;
    Ok(Json(flow))
}
