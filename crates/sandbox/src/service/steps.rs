//! Recording steps completed (issue 3, issue 8): the one compare-and-set on a flow's
//! `completed_steps` behind `POST /api/flow/steps/{step}/complete` and the steps that complete
//! by their own form (compliance, id-verification, background-check), what each step needs done
//! before it completes, and the end of a completed flow's sessions.

use crate::auth::FlowUser;
use crate::config::Config;
use crate::db::{begin_ledger_write, parse_stored_id, parse_stored_json, Db, WriteTx};
use crate::error::Error;
use crate::ledger::standing_flow_payout;
use crate::service::payout_links::payee_phone_hint;
use crate::service::payouts::compliance_due;
use crate::store::bank_accounts::has_bank_account;
use crate::store::flows::{flow_not_found, set_completed_steps, FlowCache, FlowRow};
use crate::store::payout_methods::has_payout_method;
use crate::store::sessions::end_sessions_soon;
use crate::store::webhooks::record_flow_updated;
use crate::webhooks::wake;
use chrono::{DateTime, Utc};
use payout_model::{FlowAction, FlowState, Reason, StepName};
use sqlx::AnyConnection;
use uuid::Uuid;

/// Flow `flow_id` at `now` as its session routes on it (what the app is sent, what
/// [`FlowUser::permit`] judges): the stored state with [`FlowState::compliance_due`] worked out
/// for its user and, for a payout link's flow, [`FlowState::payee_phone`] (issue 11), or 404.
pub(crate) async fn route_state(
    db: &Db,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<FlowState, Error> {
    let row = FlowRow::find(db, flow_id)
        .await?
        .ok_or_else(flow_not_found)?;
    route_state_of(db, &row, now).await
}

/// [`route_state`] of a row already read.
pub(crate) async fn route_state_of(
    db: &Db,
    row: &FlowRow,
    now: DateTime<Utc>,
) -> Result<FlowState, Error> {
    let mut state = row.to_state()?;
    state.compliance_due = compliance_due(db, parse_stored_id(&row.app_id)?, &state, now).await?;
    if row.is_link_flow() {
        state.payee_phone = payee_phone_hint(db, state.id, now).await?;
    }
    Ok(state)
}

/// How often a step completion re-reads the flow when another completion got there first.
const COMPLETE_ATTEMPTS: usize = 5;

/// Completes `step` of the signed-in user's flow at `now`, for the steps whose work happens
/// elsewhere (`POST /api/flow/steps/{step}/complete`): 409 when it is not a step of the flow,
/// is completed by its own form, is not the current step, or its work is not done
/// ([`check_step_done`]). Completing an already completed step answers the flow unchanged.
pub(crate) async fn complete_step_by_hand(
    db: &Db,
    config: &Config,
    user: &FlowUser,
    step: StepName,
    now: DateTime<Utc>,
) -> Result<FlowState, Error> {
    let flow_state = route_state(db, user.flow_id, now).await?;
    if !flow_state.route().any(|s| s.name() == step) {
        return Err(Error::Conflict(format!(
            "\"{step}\" is not a step of this flow"
        )));
    }
    if flow_state.completed_steps.contains(&step) {
        return Ok(flow_state);
    }
    if matches!(
        step,
        StepName::Compliance | StepName::IdVerification | StepName::BackgroundCheck
    ) {
        return Err(Error::Conflict(format!(
            "\"{step}\" is completed by its own form"
        )));
    }
    check_current(&flow_state, step)?;
    check_step_done(db, user, step).await?;
    let flow_state = record_step_completed(db, config, user.flow_id, step, now, |flow| {
        check_current(flow, step).map(|()| true)
    })
    .await?;
    Ok(flow_state)
}

/// 409 unless `step` is the flow's current step (the first not completed).
fn check_current(flow: &FlowState, step: StepName) -> Result<(), Error> {
    match flow.next_step().map(|s| s.name()) {
        Some(current) if current != step => Err(Error::Conflict(format!(
            "\"{step}\" is not the current step; \"{current}\" comes first"
        ))),
        _ => Ok(()),
    }
}

/// Records `step` completed in flow `flow_id` and answers the flow as it then is. Already
/// completed: the flow unchanged. Otherwise `check` sees the flow first: an error stops here,
/// `false` leaves the flow unchanged, `true` records the step.
///
/// The write is a compare-and-set on `completed_steps` (`UPDATE … WHERE completed_steps =
/// <what was read>`), re-reading and re-checking on a miss: a completion that raced this one is
/// never overwritten, on SQLite and PostgreSQL alike, whatever the isolation level.
///
/// The write and the `flow.updated` event it causes (the flow as the host reads it, links from
/// `config`) commit in one transaction (issue 10); the host's cached view of the flow is
/// invalidated after the commit ([`FlowCache`]).
///
/// A completion (at `now`) that completes the flow ends every session of the flow at most
/// [`COMPLETED_SESSION_MINUTES`](payout_model::COMPLETED_SESSION_MINUTES) later (issue 8),
/// unless the flow keeps its user on its last step ([`FlowState::kept_step`]).
pub(crate) async fn record_step_completed(
    db: &Db,
    config: &Config,
    flow_id: Uuid,
    step: StepName,
    now: DateTime<Utc>,
    check: impl Fn(&FlowState) -> Result<bool, Error>,
) -> Result<FlowState, Error> {
    for _ in 0..COMPLETE_ATTEMPTS {
        let flow = FlowRow::find(db, flow_id)
            .await?
            .ok_or_else(flow_not_found)?;
        let mut flow_state = route_state_of(db, &flow, now).await?;
        if flow_state.completed_steps.contains(&step) || !check(&flow_state)? {
            return Ok(flow_state);
        }
        flow_state.completed_steps.push(step);
        // The completion and its `flow.updated` event commit together (issue 10). On SQLite
        // the write waits its turn behind the others (payouts), not in the busy handler.
        let mut tx = begin_ledger_write(db).await?;
        if set_completed_steps(
            &mut tx,
            flow_id,
            &flow_state.completed_steps,
            &flow.completed_steps,
            now,
        )
        .await?
        {
            // A step's work can be undone meanwhile: checked again under the flow's lock, after
            // any change that committed first. The payout step's payout failed, was canceled or
            // reversed (an undo running meanwhile waits for this commit, then reopens the
            // step); manage-payouts' last method or manage-payments' last account was removed
            // (a removal running meanwhile waits for this commit, then finds its step done:
            // store::flows::still_permits; but for a settings page's step, which stays open
            // to changes once the flow is complete, FlowState::kept_step).
            if !work_done_in(&mut tx, flow_id, flow_state.user_id, step).await? {
                return Err(Error::Refused(Reason::StepNotDone { step }));
            }
            completion_written_in(&mut tx, config, &flow_state, now).await?;
            tx.commit().await?;
            FlowCache::of(db).invalidate(flow_id);
            wake();
            tracing::info!(%step, "step completed");
            return Ok(flow_state);
        }
    }
    Err(Error::Refused(Reason::FlowChanged))
}

/// Inside a form's own write transaction, after [`FlowWrite::recheck`](crate::store::flows::FlowWrite)
/// locked `flow`'s row and found `step` current: records `step` completed together with the
/// form's data ([`record_step_completed`]'s compare-and-set, the end of a completed flow's
/// sessions, its `flow.updated`), so no second submission can land between the save and the
/// completion. The caller commits with [`commit_form_step`].
pub(crate) async fn complete_form_step_in(
    conn: &mut AnyConnection,
    config: &Config,
    flow: &FlowState,
    step: StepName,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let read: Option<String> =
        sqlx::query_scalar("SELECT completed_steps FROM flows WHERE id = $1")
            .bind(flow.id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let read = read.ok_or_else(flow_not_found)?;
    let mut completed: Vec<StepName> = parse_stored_json("completed_steps", &read)?;
    if completed.contains(&step) {
        return Ok(());
    }
    completed.push(step);
    if !set_completed_steps(conn, flow.id, &completed, &read, now).await? {
        return Err(Error::Refused(Reason::FlowChanged));
    }
    let completed = FlowState {
        completed_steps: completed,
        ..flow.clone()
    };
    completion_written_in(conn, config, &completed, now).await
}

/// Commits `tx`, a form's write that completed its step in flow `flow_id`
/// ([`complete_form_step_in`]), then drops the host's cached view of the flow ([`FlowCache`])
/// and wakes the webhook worker.
pub(crate) async fn commit_form_step(tx: WriteTx, db: &Db, flow_id: Uuid) -> Result<(), Error> {
    tx.commit().await?;
    FlowCache::of(db).invalidate(flow_id);
    wake();
    Ok(())
}

/// What a completion writes with its compare-and-set, once `flow` shows the step completed: the
/// end of every session of a flow now complete, and the flow's `flow.updated`.
async fn completion_written_in(
    conn: &mut AnyConnection,
    config: &Config,
    flow: &FlowState,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // With the completion or not at all: a session left uncapped could be kept alive for hours
    // (store::sessions::keep_alive). Before the event: on PostgreSQL the locks are then taken
    // flow, sessions, event counter, the order sign-in takes sessions and counter in, so the
    // two never wait on each other in a cycle. A flow that keeps its user on its last step
    // (the host's settings page, `FlowState::kept_step`) keeps its sessions: the page stays
    // in use after its first saved change completed the flow.
    if flow.is_complete() && flow.kept_step().is_none() {
        end_sessions_soon(conn, flow.id, now).await?;
    }
    record_flow_updated(conn, config, flow.id, now).await
}

/// Records a step that its own form completes (compliance, id-verification, background-check)
/// at `now`; answers the flow as it then is. The step must be the flow's current one (issue 8):
/// otherwise 403 `step_not_allowed`, as [`crate::auth::FlowUser::permit`] answers for the
/// form's own submission, so a form never completes a step out of order.
pub(crate) async fn record_form_step(
    db: &Db,
    config: &Config,
    flow_id: Uuid,
    step: StepName,
    now: DateTime<Utc>,
) -> Result<FlowState, Error> {
    record_step_completed(db, config, flow_id, step, now, |flow| {
        // Tax data given where the route asked for it before the payout: it was due when the
        // form was let in (its permit), though no longer now that it is on file.
        let mut flow = flow.clone();
        flow.compliance_due |= step == StepName::Compliance;
        match flow.next_step().map(|s| s.name()) {
            Some(current) if current == step => Ok(true),
            _ => Err(form_step_denied(&flow, step)),
        }
    })
    .await
}

/// The 403 for completing form step `step` of `flow` when it is not the current step.
fn form_step_denied(flow: &FlowState, step: StepName) -> Error {
    let action = match step {
        StepName::Compliance => FlowAction::SubmitCompliance,
        StepName::IdVerification => FlowAction::SubmitIdVerification,
        _ => FlowAction::SubmitBackgroundCheck,
    };
    match flow.permits(action) {
        Err(denial) => Error::StepNotAllowed(denial),
        // Unreachable for the form steps, whose actions only their own step owns.
        Ok(_) => Error::Conflict(format!("\"{step}\" is not the current step")),
    }
}

/// Inside the completion's transaction ([`record_step_completed`]): whether the work of `step`
/// of flow `flow_id` (for user `user_id`) is still done: a payout made in this flow standing for
/// `payout`, a payout method for `manage-payouts`, a bank account for `manage-payments`.
async fn work_done_in(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    user_id: Option<Uuid>,
    step: StepName,
) -> Result<bool, Error> {
    let Some(user_id) = user_id else {
        return Ok(!matches!(
            step,
            StepName::Payout | StepName::ManagePayouts | StepName::ManagePayments
        ));
    };
    match step {
        StepName::Payout => Ok(standing_flow_payout(conn, flow_id, user_id)
            .await?
            .is_some()),
        StepName::ManagePayouts => has_payout_method(conn, user_id).await,
        StepName::ManagePayments => has_bank_account(conn, user_id).await,
        _ => Ok(true),
    }
}

/// 409 unless the work of `step` is done: a payout method for `manage-payouts`, a bank account
/// for `manage-payments`; checked before the completion's write (a refused completion never
/// queues for the write lock), and again in it with a payout made in this flow, for `payout`
/// ([`work_done_in`]).
async fn check_step_done(db: &Db, user: &FlowUser, step: StepName) -> Result<(), Error> {
    let done = step == StepName::Payout
        || work_done_in(
            &mut *db.acquire().await?,
            user.flow_id,
            Some(user.user_id),
            step,
        )
        .await?;
    if done {
        Ok(())
    } else {
        Err(Error::Refused(Reason::StepNotDone { step }))
    }
}
