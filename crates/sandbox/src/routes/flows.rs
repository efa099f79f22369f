//! `/api/v2/flows`: flows as the host creates and reads them (seeds 002 and 004), and the
//! `flows` table behind them, which the flow-facing routes read too.

use crate::auth::HostApp;
use crate::config::Config;
use crate::db::{
    enum_from_text, from_millis, metadata_from_text, metadata_to_text, parse_stored_id,
    parse_stored_json, parse_stored_opt_id, to_flag, to_json_text, to_millis, Db,
};
use crate::error::Error;
use crate::extract::{ApiJson, PathParam};
use crate::routes::users::user_exists;
use crate::routes::Mount;
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use payout_model::endpoint as ep;
use payout_model::{Flow, FlowState, NewFlow, Step, StepName};
use uuid::Uuid;

/// The flows routes; Dots hosts call them with and without a trailing slash (seed 004).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .endpoint::<ep::CreateFlow, _, _>(create_flow)
        .endpoint::<ep::GetFlow, _, _>(get_flow)
}

/// The 404 for a flow that does not exist or is another app's.
pub(crate) fn flow_not_found() -> Error {
    Error::NotFound("flow not found".to_owned())
}

/// `POST /api/v2/flows`: a new flow of the calling app, with its link. A flow whose request names
/// `user_id` is marked `preauthenticated` (migration 0004): only the host's say-so lets a session
/// act for a user without a sign-in, never a `user_id` a sign-in wrote later.
async fn create_flow(
    State(state): State<AppState>,
    app: HostApp,
    ApiJson(new): ApiJson<NewFlow>,
) -> Result<Json<Flow>, Error> {
    if let Some(user_id) = new.user_id {
        if !user_exists(&state.db, app.id, user_id).await? {
            return Err(Error::invalid_field("user_id", "no such user"));
        }
    }
    let id = Uuid::new_v4();
    let created = state.clock.now();
    sqlx::query(
        "INSERT INTO flows (id, app_id, user_id, steps, completed_steps, \
         hide_go_to_dashboard_on_complete, require_auth, metadata, payout_link_id, \
         payout_fee_party, preauthenticated, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id.to_string())
    .bind(app.id.to_string())
    .bind(new.user_id.map(|u| u.to_string()))
    .bind(to_json_text(&new.steps)?)
    .bind("[]")
    .bind(to_flag(new.hide_go_to_dashboard_on_complete))
    .bind(to_flag(new.require_auth))
    .bind(metadata_to_text(&new.metadata)?)
    .bind(None::<String>)
    .bind(new.payout_fee_party.unwrap_or_default().as_str())
    .bind(to_flag(new.user_id.is_some()))
    .bind(to_millis(created))
    .execute(&state.db)
    .await?;
    Ok(Json(Flow {
        id,
        created,
        user_id: new.user_id,
        steps: new.steps,
        completed_steps: Vec::new(),
        link: state.config.flow_link(id),
        metadata: new.metadata.filter(|m| !m.is_null()),
        payout_link_id: None,
    }))
}

/// `GET /api/v2/flows/{id}`: one of the calling app's flows, with its progress.
async fn get_flow(
    State(state): State<AppState>,
    app: HostApp,
    id: PathParam,
) -> Result<Json<Flow>, Error> {
    let id = id.id(flow_not_found)?;
    let row = FlowRow::find(&state.db, id)
        .await?
        .filter(|row| row.app_id == app.id.to_string())
        .ok_or_else(flow_not_found)?;
    Ok(Json(row.to_flow(&state.config)?))
}

/// A `flows` row as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct FlowRow {
    id: String,
    /// The app the flow belongs to.
    pub app_id: String,
    user_id: Option<String>,
    steps: String,
    /// The JSON text of `completed_steps`, compared as a whole when a step is completed.
    pub completed_steps: String,
    hide_go_to_dashboard_on_complete: i64,
    require_auth: i64,
    metadata: Option<String>,
    payout_link_id: Option<String>,
    payout_fee_party: String,
    preauthenticated: i64,
    created: i64,
}

impl FlowRow {
    /// Flow `id` of any app.
    pub(crate) async fn find(db: &Db, id: Uuid) -> Result<Option<FlowRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT id, app_id, user_id, steps, completed_steps, \
             hide_go_to_dashboard_on_complete, require_auth, metadata, payout_link_id, \
             payout_fee_party, preauthenticated, created FROM flows WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(db)
        .await?)
    }

    /// Whether the host named the flow's user when it created it (migration 0004): only then may
    /// a session act for that user without a sign-in. A `user_id` set by a sign-in does not count.
    pub(crate) fn host_named_user(&self) -> bool {
        self.preauthenticated != 0
    }

    /// When the flow was created.
    pub(crate) fn created(&self) -> Result<DateTime<Utc>, Error> {
        from_millis(self.created)
    }

    /// The flow as the host sees it.
    pub(crate) fn to_flow(&self, config: &Config) -> Result<Flow, Error> {
        let id = parse_stored_id(&self.id)?;
        Ok(Flow {
            id,
            created: self.created()?,
            user_id: parse_stored_opt_id(self.user_id.as_deref())?,
            steps: self.steps()?,
            completed_steps: self.completed_steps()?,
            link: config.flow_link(id),
            metadata: metadata_from_text(self.metadata.as_deref())?,
            payout_link_id: parse_stored_opt_id(self.payout_link_id.as_deref())?,
        })
    }

    /// The flow as the app routes on it.
    pub(crate) fn to_state(&self) -> Result<FlowState, Error> {
        Ok(FlowState {
            id: parse_stored_id(&self.id)?,
            steps: self.steps()?,
            completed_steps: self.completed_steps()?,
            user_id: parse_stored_opt_id(self.user_id.as_deref())?,
            hide_go_to_dashboard_on_complete: self.hide_go_to_dashboard_on_complete != 0,
            require_auth: self.require_auth != 0,
            payout_fee_party: enum_from_text("payout_fee_party", &self.payout_fee_party)?,
        })
    }

    fn steps(&self) -> Result<Vec<Step>, Error> {
        parse_stored_json("steps", &self.steps)
    }

    fn completed_steps(&self) -> Result<Vec<StepName>, Error> {
        parse_stored_json("completed_steps", &self.completed_steps)
    }
}
