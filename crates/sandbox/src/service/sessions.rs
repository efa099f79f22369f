//! Minting and resuming flow sessions (DESIGN.md "The API"; issue 3, issue 8): whether a fresh
//! session acts for the flow's user (a pre-authenticated link signs in one browser, once), how
//! long it lives, whether a resume cookie's session may go on, and which embedding origin it
//! may post to. The cookie itself and the HTTP answers are `routes::flow_sessions`'.

use crate::db::{begin_ledger_write, Db};
use crate::error::Error;
use crate::origin::is_allowed_origin;
use crate::secret::{new_token, sha256_hex};
use crate::service::steps::route_state;
use crate::state::AppState;
use crate::store::apps::allowed_origins;
use crate::store::flows::{claim_preauth, FlowRow};
use crate::store::sessions::{
    end_sessions_soon, find_resumable, insert_session, keep_alive, NewSessionRow,
};
use chrono::{DateTime, Duration, Utc};
use payout_model::{
    FlowState, Origin, Session, COMPLETED_SESSION_MINUTES, PREAUTH_WINDOW_MINUTES,
    SESSION_MAX_HOURS, SESSION_TTL_MINUTES,
};

/// What a resume cookie's token names.
pub(crate) enum Resumed {
    /// A live, authenticated session of the flow: the same session, the flow as it is now, and
    /// when it ends however busy.
    Live(Box<Session>, DateTime<Utc>),
    /// An authenticated session of the flow that has ended.
    Expired,
    /// Nothing known: the cookie is ignored.
    Unknown,
}

/// The authenticated session of `flow` whose token is `token`, at `now`; a live one is
/// answered with `host_origin` (checked again) as its embedding origin. Nothing is written but
/// the idle deadline's push ([`keep_alive`], which a busy database only postpones): a reload
/// during a long run of payouts resumes, where a write of its own waited on SQLite's busy
/// handler and, past its timeout, answered 500.
pub(crate) async fn resume(
    db: &Db,
    flow: &FlowState,
    token: &str,
    host_origin: Option<String>,
    now: DateTime<Utc>,
) -> Result<Resumed, Error> {
    Ok(match find_resumable(db, flow.id, token).await? {
        Some((expires_at, ends_at)) if now < expires_at => {
            let expires_at = keep_alive(db, &sha256_hex(token), expires_at, ends_at, now).await;
            let session = Session {
                token: token.to_owned(),
                expires_at,
                authenticated: true,
                flow: flow.clone(),
                host_origin,
            };
            Resumed::Live(Box::new(session), ends_at)
        }
        Some(_) => Resumed::Expired,
        None => Resumed::Unknown,
    })
}

/// A fresh session of `flow` (read as `flow_state`) at `now`. It is authenticated only when the
/// host named the user when it created the flow, the flow does not `require_auth`, is not
/// complete, was created less than [`PREAUTH_WINDOW_MINUTES`] ago, and this mint is the first
/// to claim it (issue 8). It lives [`SESSION_TTL_MINUTES`], or [`COMPLETED_SESSION_MINUTES`]
/// for a complete flow; a request keeps it alive ([`keep_alive`]) up to [`SESSION_MAX_HOURS`].
/// Returned with that hard end.
pub(crate) async fn mint(
    db: &Db,
    flow: &FlowRow,
    flow_state: FlowState,
    host_origin: Option<String>,
    now: DateTime<Utc>,
) -> Result<(Session, DateTime<Utc>), Error> {
    let complete = flow_state.is_complete();
    let preauth_until = flow.created()? + Duration::minutes(PREAUTH_WINDOW_MINUTES);
    let may_preauthenticate = flow.host_named_user()
        && flow_state.user_id.is_some()
        && !flow_state.require_auth
        && !complete
        && now < preauth_until;

    let token = new_token();
    let expires_at = now
        + Duration::minutes(if complete {
            COMPLETED_SESSION_MINUTES
        } else {
            SESSION_TTL_MINUTES
        });
    // The claim and the session it authenticates are written together or not at all (on
    // SQLite after the writes queued before it: a busy database makes it wait, not fail).
    let mut tx = begin_ledger_write(db).await?;
    // On PostgreSQL the flow's row is locked first, as a completion locks it (with the update
    // of its steps): a completion running meanwhile either caps this session once it is
    // stored, or has committed when this checks below (SQLite's writes take turns anyway).
    crate::store::flows::lock_flow(&mut tx, flow_state.id).await?;
    let authenticated = may_preauthenticate && claim_preauth(&mut tx, flow_state.id, now).await?;
    let user_id = flow_state.user_id.filter(|_| authenticated);
    let ends_at = if complete {
        expires_at
    } else {
        now + Duration::hours(SESSION_MAX_HOURS)
    };
    let row = NewSessionRow {
        token: &token,
        flow_id: flow_state.id,
        user_id,
        authenticated,
        expires_at,
        ends_at,
    };
    insert_session(&mut tx, &row, now).await?;
    tx.commit().await?;
    // The flow's last step may have been completed since it was read, its sessions capped
    // before this one was stored: then it is capped now. (Either the completion sees this
    // session, or this sees the completion.)
    let ended = |flow: &FlowState| flow.is_complete() && flow.kept_step().is_none();
    let (expires_at, ends_at) = if !complete && ended(&route_state(db, flow_state.id, now).await?) {
        let mut tx = begin_ledger_write(db).await?;
        end_sessions_soon(&mut tx, flow_state.id, now).await?;
        tx.commit().await?;
        let capped = now + Duration::minutes(COMPLETED_SESSION_MINUTES);
        (expires_at.min(capped), capped)
    } else {
        (expires_at, ends_at)
    };
    let session = Session {
        token,
        expires_at,
        authenticated,
        flow: flow_state.for_session(authenticated),
        host_origin,
    };
    Ok((session, ends_at))
}

/// The requested embedding origin when the app's allow-list (or the server's extra origins, or
/// loopback) holds it; `None` otherwise, and nothing is posted to the host.
pub(crate) async fn checked_host_origin(
    state: &AppState,
    app_id: &str,
    requested: Option<&str>,
) -> Result<Option<String>, Error> {
    let Some(origin) = requested.and_then(Origin::parse) else {
        return Ok(None);
    };
    let app_origins = allowed_origins(&state.db, app_id).await?;
    Ok(is_allowed_origin(&origin, &app_origins, &state.config).then(|| origin.to_string()))
}
