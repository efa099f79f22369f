//! `/api/flow/compliance`: the compliance step's tax data (issue 3; W-9 in the US, W-8BEN
//! elsewhere), which the host reads, masked, on the user object. The model's rules are the
//! authoritative check here; nothing submitted is logged.
//!
//! The rows (tax ids kept as their last four characters and, for a US SSN or ITIN, a keyed
//! hash: an HMAC under the secrets key) are [`crate::store::compliance`]'s; the record and a background check already run
//! never disagree ([`crate::service::identity`]): a submission that changes the country, SSN or
//! date of birth the check ran on is refused (422 naming the field).

use crate::auth::FlowUser;
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::Mount;
use crate::service::identity::save_compliance;
use crate::service::steps::route_state;
use crate::state::AppState;
use crate::store::compliance::find_compliance;
use crate::store::flows::FlowWrite;
use axum::extract::State;
use axum::{Json, Router};
use payout_model::endpoint as ep;
use payout_model::identity::{parse_date_of_birth, Compliance, NewCompliance, Submitted, TaxForm};
use payout_model::{shown_tail, FlowAction, Validate};

/// The compliance routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::GetCompliance, _, _>(get_compliance)
        .endpoint::<ep::SubmitCompliance, _, _>(submit_compliance)
}

/// `GET /api/flow/compliance`: what the signed-in user submitted (or what their background
/// check collected), masked, or `null`; for a flow with a compliance or background-check step
/// (403 `step_not_allowed` otherwise).
async fn get_compliance(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Option<Compliance>>, Error> {
    user.permit(&state, FlowAction::ReadCompliance).await?;
    Ok(Json(find_compliance(&state.db, user.user_id).await?))
}

/// `PUT /api/flow/compliance`: the user's tax data, only while the flow's compliance step is
/// current (403 `step_not_allowed` otherwise, issue 8). 422 naming each bad field (as of the
/// server's date: 18 or older), or each of `country`, `tin`, `date_of_birth` that differs from
/// what a background check already run was run on. Replaces what was there, and completes the
/// step.
async fn submit_compliance(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewCompliance>,
) -> Result<Json<Submitted<Compliance>>, Error> {
    let flow = user.permit(&state, FlowAction::SubmitCompliance).await?;
    let now = state.clock.now();
    new.as_of(now.date_naive()).validate()?;
    let form = new.form();
    let compliance = Compliance {
        form,
        country: new.country.trim().to_uppercase(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        // As the background check stores it: YYYY-MM-DD, whatever zeros were left out.
        date_of_birth: parse_date_of_birth(new.date_of_birth.trim(), now.date_naive())
            .map(|born| born.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|_| new.date_of_birth.trim().to_owned()),
        tin_last4: match form {
            TaxForm::W9 => new.tin.as_deref().map(shown_tail),
            TaxForm::W8ben => None,
        },
        foreign_tax_id_last4: match form {
            TaxForm::W9 => None,
            TaxForm::W8ben => new.foreign_tax_id.as_deref().map(shown_tail),
        },
        address: new.address.normalized(),
        submitted_at: now,
    };
    let tin = match form {
        TaxForm::W9 => new.tin.as_deref(),
        TaxForm::W8ben => None,
    };
    save_compliance(
        &state.db,
        &state.config,
        &user,
        &compliance,
        tin,
        now,
        FlowWrite {
            flow: &flow,
            action: FlowAction::SubmitCompliance,
        },
    )
    .await?;
    // The step was completed in the same write: the flow as it now is.
    let flow = route_state(&state.db, user.flow_id, now).await?;
    Ok(Json(Submitted {
        data: compliance,
        flow,
    }))
}
