//! `/api/flow/compliance`: the compliance step's tax data (issue 3; W-9 in the US, W-8BEN
//! elsewhere) and the `compliance` table behind it, which the host reads, masked, on the user
//! object. The model's rules are the authoritative check here; tax ids are kept as their last
//! four characters only, and nothing submitted is logged.

use crate::auth::FlowUser;
use crate::db::{
    enum_from_text, enum_to_text, from_millis, parse_stored_json, to_json_text, to_millis, Db,
};
use crate::error::Error;
use crate::extract::ApiJson;
use crate::routes::flow_sessions::record_form_step;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use payout_model::identity::{last4, Compliance, NewCompliance, Submitted, TaxForm};
use payout_model::{FlowAction, StepName};
use uuid::Uuid;

/// The compliance routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/flow/compliance",
        get(get_compliance).put(submit_compliance),
    )
}

/// `GET /api/flow/compliance`: what the signed-in user submitted, masked, or `null`; for a
/// flow with a compliance or background-check step (403 `step_not_allowed` otherwise).
async fn get_compliance(
    State(state): State<AppState>,
    user: FlowUser,
) -> Result<Json<Option<Compliance>>, Error> {
    user.permit(&state.db, FlowAction::ReadCompliance).await?;
    Ok(Json(find_compliance(&state.db, user.user_id).await?))
}

/// `PUT /api/flow/compliance`: the user's tax data, only while the flow's compliance step is
/// current (403 `step_not_allowed` otherwise, issue 8). 422 naming each bad field (as of the
/// server's date: 18 or older). Replaces what was there, and completes the step.
async fn submit_compliance(
    State(state): State<AppState>,
    user: FlowUser,
    ApiJson(new): ApiJson<NewCompliance>,
) -> Result<Json<Submitted<Compliance>>, Error> {
    user.permit(&state.db, FlowAction::SubmitCompliance).await?;
    let now = state.clock.now();
    new.validate(now.date_naive())?;
    let form = new.form();
    let compliance = Compliance {
        form,
        country: new.country.trim().to_uppercase(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        date_of_birth: new.date_of_birth.trim().to_owned(),
        tin_last4: match form {
            TaxForm::W9 => new.tin.as_deref().map(last4),
            TaxForm::W8ben => None,
        },
        foreign_tax_id_last4: match form {
            TaxForm::W9 => None,
            TaxForm::W8ben => new.foreign_tax_id.as_deref().map(last4),
        },
        address: new.address.normalized(),
        submitted_at: now,
    };
    sqlx::query(
        "INSERT INTO compliance (user_id, app_id, form, country, first_name, last_name, \
         date_of_birth, tin_last4, foreign_tax_id_last4, address, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (user_id) DO UPDATE SET form = excluded.form, country = excluded.country, \
         first_name = excluded.first_name, last_name = excluded.last_name, \
         date_of_birth = excluded.date_of_birth, tin_last4 = excluded.tin_last4, \
         foreign_tax_id_last4 = excluded.foreign_tax_id_last4, address = excluded.address, \
         submitted_at = excluded.submitted_at",
    )
    .bind(user.user_id.to_string())
    .bind(user.app_id.to_string())
    .bind(enum_to_text(compliance.form)?)
    .bind(&compliance.country)
    .bind(&compliance.first_name)
    .bind(&compliance.last_name)
    .bind(&compliance.date_of_birth)
    .bind(compliance.tin_last4.clone())
    .bind(compliance.foreign_tax_id_last4.clone())
    .bind(to_json_text(&compliance.address)?)
    .bind(to_millis(now))
    .execute(&state.db)
    .await?;
    let flow = record_form_step(&state.db, user.flow_id, StepName::Compliance, now).await?;
    Ok(Json(Submitted {
        data: compliance,
        flow,
    }))
}

#[derive(sqlx::FromRow)]
struct ComplianceRow {
    form: String,
    country: String,
    first_name: String,
    last_name: String,
    date_of_birth: String,
    tin_last4: Option<String>,
    foreign_tax_id_last4: Option<String>,
    address: String,
    submitted_at: i64,
}

/// The compliance data of user `user_id`, if they submitted any.
pub(crate) async fn find_compliance(db: &Db, user_id: Uuid) -> Result<Option<Compliance>, Error> {
    let row: Option<ComplianceRow> = sqlx::query_as(
        "SELECT form, country, first_name, last_name, date_of_birth, tin_last4, \
         foreign_tax_id_last4, address, submitted_at FROM compliance WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(Compliance {
            form: enum_from_text("form", &row.form)?,
            country: row.country,
            first_name: row.first_name,
            last_name: row.last_name,
            date_of_birth: row.date_of_birth,
            tin_last4: row.tin_last4,
            foreign_tax_id_last4: row.foreign_tax_id_last4,
            address: parse_stored_json("address", &row.address)?,
            submitted_at: from_millis(row.submitted_at)?,
        })
    })
    .transpose()
}
