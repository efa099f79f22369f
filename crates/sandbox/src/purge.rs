//! Forgetting what has expired (issue 8, "Abuse limits"): flow sessions, one-time sign-in codes
//! and the per-number sign-in events (`phone_sign_in_events`) would otherwise pile up, one
//! session per opened link and one code per request. [`purge_expired`] deletes them;
//! [`spawn_purge_task`] runs it every [`PURGE_INTERVAL`] (started by `main.rs` and the e2e
//! server), and also lets the rate limiters forget clients whose budgets are full again.
//!
//! What goes, as of `now`:
//! - sessions expired more than [`SESSION_GRACE_MINUTES`] ago, with their sign-in codes (one
//!   a session, each replacing the last): until then an expired session still answers 401
//!   `session_expired` (the app tells the host `session_expired`) rather than an unknown
//!   token's plain 401, and a live session's expired code answers `code_expired`;
//! - per-number sign-in events older than [`PHONE_EVENTS_KEPT_MINUTES`] (the resend cooldown
//!   reads only the last [`payout_model::identity::CODE_RESEND_SECONDS`]).
//!
//! The task also expires payout links past their expiry, returning their money to the app
//! (issue 11; reads of a link do the same for that app's due links), every
//! [`LINK_EXPIRY_INTERVAL`] ([`crate::expire_all_due`]).

use crate::db::{begin_ledger_write, to_millis, Db};
use crate::error::Error;
use crate::state::AppState;
use crate::store::sessions::purge_sessions;
use crate::store::sign_in::{purge_codes, purge_phone_events};
use chrono::{DateTime, Duration, Utc};

/// How often the purge task runs.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// How often the purge task expires due payout links (more often than it purges: a link's
/// expiry gives money back and tells the host).
pub const LINK_EXPIRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long an expired session is kept, answering `session_expired`, before it is deleted.
pub const SESSION_GRACE_MINUTES: i64 = 24 * 60;

/// How long a per-number sign-in event is kept.
pub const PHONE_EVENTS_KEPT_MINUTES: i64 = 60;

/// What one purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Flow sessions.
    pub sessions: u64,
    /// One-time sign-in codes.
    pub codes: u64,
    /// Per-number sign-in events.
    pub phone_events: u64,
}

/// Deletes the sessions, codes and per-number events that have expired as of `now` (module
/// docs); live ones are kept.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<Purged, Error> {
    let sessions_before = to_millis(now - Duration::minutes(SESSION_GRACE_MINUTES));
    let events_before = to_millis(now - Duration::minutes(PHONE_EVENTS_KEPT_MINUTES));
    let mut tx = begin_ledger_write(db).await?;
    // Codes first: they reference their session.
    let codes = purge_codes(&mut tx, sessions_before).await?;
    let sessions = purge_sessions(&mut tx, sessions_before).await?;
    let phone_events = purge_phone_events(&mut tx, events_before).await?;
    tx.commit().await?;
    Ok(Purged {
        sessions,
        codes,
        phone_events,
    })
}

/// Starts a task that purges `state`'s database every `every` (the first run at once) and
/// trims its rate limiters, and expires due payout links every [`LINK_EXPIRY_INTERVAL`] (or
/// `every`, when shorter); it runs until the runtime stops or the handle is aborted.
pub fn spawn_purge_task(
    state: &AppState,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every.min(LINK_EXPIRY_INTERVAL));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purged_at: Option<tokio::time::Instant> = None;
        loop {
            // The tick's own time, not the time the link expiry ended: the purge keeps `every`.
            let tick = interval.tick().await;
            // Payout links past their expiry give their money back (issue 11).
            match crate::service::payout_links::expire_all_due(&state).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "expired payout links"),
                Err(e) => tracing::warn!(error = %e, "expiring payout links failed"),
            }
            if purged_at.is_some_and(|at| tick - at < every) {
                continue;
            }
            purged_at = Some(tick);
            match purge_expired(&state.db, state.clock.now()).await {
                Ok(purged) if purged != Purged::default() => tracing::info!(
                    sessions = purged.sessions,
                    codes = purged.codes,
                    phone_events = purged.phone_events,
                    "purged expired sign-in data"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge of expired sign-in data failed"),
            }
            state.limiters.retain_recent();
        }
    })
}
