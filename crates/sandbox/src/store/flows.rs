//! The `flows` table: flows as the host created them, their progress (`completed_steps`), who
//! they are for, and the one-time claim of a pre-authenticated link (migration 0006); and
//! [`FlowCache`], the host's `GET /api/v2/flows/{id}` answers kept in memory on SQLite (issue 10,
//! throughput), which every write that changes what that endpoint shows invalidates after its
//! commit.

use crate::config::Config;
use crate::db::{
    enum_from_text, from_millis, metadata_from_text, metadata_to_text, parse_stored_id,
    parse_stored_json, parse_stored_opt_id, to_flag, to_json_text, to_millis, Db,
};
use crate::error::Error;
use chrono::{DateTime, Utc};
use payout_model::money::FeeParty;
use payout_model::{Flow, FlowAction, FlowState, NewFlow, Step, StepName};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

/// The 404 for a flow that does not exist or is another app's.
pub(crate) fn flow_not_found() -> Error {
    Error::NotFound("flow not found".to_owned())
}

/// Inserts flow `id` of app `app_id` as `new` asks, created at `created`, its payout fees paid
/// by `fee_party` (the request's, else the app's default), the flow of payout link
/// `payout_link_id` when it is one. A flow whose request names `user_id` is marked
/// `preauthenticated` (migration 0004).
pub(crate) async fn insert_flow<'e, E>(
    db: E,
    id: Uuid,
    app_id: Uuid,
    new: &NewFlow,
    fee_party: FeeParty,
    payout_link_id: Option<Uuid>,
    created: DateTime<Utc>,
) -> Result<(), Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO flows (id, app_id, user_id, steps, completed_steps, \
         hide_go_to_dashboard_on_complete, require_auth, metadata, payout_link_id, \
         payout_fee_party, preauthenticated, created, updated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(id.to_string())
    .bind(app_id.to_string())
    .bind(new.user_id.map(|u| u.to_string()))
    .bind(to_json_text(&new.steps)?)
    .bind("[]")
    .bind(to_flag(new.hide_go_to_dashboard_on_complete))
    .bind(to_flag(new.require_auth))
    .bind(metadata_to_text(&new.metadata)?)
    .bind(payout_link_id.map(|l| l.to_string()))
    .bind(fee_party.as_str())
    .bind(to_flag(new.user_id.is_some()))
    .bind(to_millis(created))
    .execute(db)
    .await?;
    Ok(())
}

/// Flow `id` as `GET /api/v2/flows/{id}` shows it to app `app_id` (links from `config`); 404 for
/// a flow that does not exist or is another app's. Served from the database's [`FlowCache`]
/// when it holds the flow.
pub(crate) async fn host_flow(
    db: &Db,
    cache: &FlowCache,
    config: &Config,
    app_id: Uuid,
    id: Uuid,
) -> Result<Flow, Error> {
    if let Some(cached) = cache.get(id) {
        return cached.for_app(app_id);
    }
    let generation = cache.generation();
    let row = FlowRow::find(db, id).await?.ok_or_else(flow_not_found)?;
    let cached = Arc::new(CachedFlow {
        app_id: parse_stored_id(&row.app_id)?,
        flow: row.to_flow(config)?,
    });
    cache.put(generation, id, Arc::clone(&cached));
    cached.for_app(app_id)
}

/// The host's view of flows (`GET /api/v2/flows/{id}`) kept in memory, one per database
/// ([`FlowCache::of`]), so a host polling a flow costs no query (issue 10: a query is a round
/// trip to the SQLite connection's thread, most of that endpoint's time).
///
/// Correctness rests on two rules:
///
/// - every write that changes what the endpoint shows (a step completed:
///   [`crate::service::steps`]; a sign-in claiming the flow: [`crate::service::sign_in`]) calls
///   [`FlowCache::invalidate`] **after its commit** and before it answers, so a request that
///   starts after that answer never reads the old flow;
/// - a reader notes the [generation](FlowCache::generation) before it reads the database and
///   [`FlowCache::put`] keeps its answer only if no invalidation happened since: a reader that
///   read the row before a write committed can never store the old flow after that write's
///   invalidation. (One stored before the invalidation is removed by it.)
///
/// Enabled on SQLite only, where this process is taken to be the database's only writer of
/// flows (one sandbox per SQLite file: a second process's writes would not invalidate this one's
/// entries). On PostgreSQL, which several sandbox processes may share, every read goes to the
/// database.
#[derive(Debug)]
pub(crate) struct FlowCache {
    enabled: bool,
    generation: AtomicU64,
    entries: Mutex<HashMap<Uuid, Arc<CachedFlow>>>,
}

/// A flow as the host sees it, and whose it is.
#[derive(Debug)]
pub(crate) struct CachedFlow {
    app_id: Uuid,
    flow: Flow,
}

impl CachedFlow {
    /// The flow for app `app_id`: 404 when it is another app's.
    fn for_app(&self, app_id: Uuid) -> Result<Flow, Error> {
        if self.app_id == app_id {
            Ok(self.flow.clone())
        } else {
            Err(flow_not_found())
        }
    }
}

impl FlowCache {
    /// Entries kept at most; the cache is emptied when it is full.
    const CAPACITY: usize = 10_000;

    /// A cache that keeps entries only when `enabled`.
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cache of database `db`, the same for every caller in this process (enabled on
    /// SQLite only, see the type's docs).
    pub(crate) fn of(db: &Db) -> Arc<FlowCache> {
        type Caches = HashMap<String, Arc<FlowCache>>;
        static CACHES: std::sync::LazyLock<Mutex<Caches>> =
            std::sync::LazyLock::new(Default::default);
        let options = db.connect_options();
        let url = options.database_url.as_str();
        let mut caches = CACHES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cache) = caches.get(url) {
            return Arc::clone(cache);
        }
        let cache = Arc::new(FlowCache::new(url.starts_with("sqlite:")));
        caches.insert(url.to_owned(), Arc::clone(&cache));
        cache
    }

    /// The entry for flow `id`, if one is kept.
    fn get(&self, id: Uuid) -> Option<Arc<CachedFlow>> {
        if !self.enabled {
            return None;
        }
        self.lock().get(&id).cloned()
    }

    /// The generation to note before reading a flow from the database, for [`FlowCache::put`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `flow` as flow `id`'s entry, read from the database after [`FlowCache::generation`]
    /// answered `generation`, unless an invalidation happened since (then it may be stale).
    fn put(&self, generation: u64, id: Uuid, flow: Arc<CachedFlow>) {
        if !self.enabled {
            return;
        }
        let mut entries = self.lock();
        // Under the lock that `invalidate` takes too: no invalidation can slip in between.
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(id, flow);
    }

    /// Forgets flow `id`, and makes every read in flight not keep what it read: call it after
    /// committing a change to what `GET /api/v2/flows/{id}` shows, before answering.
    pub(crate) fn invalidate(&self, id: Uuid) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<CachedFlow>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Flow `flow_id` as the app routes on it, or 404.
pub(crate) async fn flow_state(db: &Db, flow_id: Uuid) -> Result<FlowState, Error> {
    FlowRow::find(db, flow_id)
        .await?
        .ok_or_else(flow_not_found)?
        .to_state()
}

/// The app flow `flow_id` belongs to, if there is such a flow.
pub(crate) async fn app_of(db: &Db, flow_id: Uuid) -> Result<Option<Uuid>, Error> {
    let app_id: Option<String> = sqlx::query_scalar("SELECT app_id FROM flows WHERE id = $1")
        .bind(flow_id.to_string())
        .fetch_optional(db)
        .await?;
    Ok(app_id.and_then(|id| Uuid::try_parse(&id).ok()))
}

/// Claims flow `flow_id`'s pre-authentication for the mint at hand: `true` for the one mint
/// whose compare-and-set takes (`… WHERE preauth_claimed_at IS NULL`, one row changed), `false`
/// for every other, concurrent ones included, on SQLite and PostgreSQL alike.
pub(crate) async fn claim_preauth(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let claimed = sqlx::query(
        "UPDATE flows SET preauth_claimed_at = $1 WHERE id = $2 AND preauth_claimed_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(flow_id.to_string())
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Locks flow `flow_id`'s row for the rest of the caller's transaction, on PostgreSQL (SQLite's
/// writes take turns anyway): the lock a completion of a step takes with the update of its
/// steps, so a change that must see or follow a completion (a session minted, a payout
/// undone) takes it first.
pub(crate) async fn lock_flow(conn: &mut AnyConnection, flow_id: Uuid) -> Result<(), Error> {
    if crate::db::is_postgres(conn) {
        sqlx::query("SELECT id FROM flows WHERE id = $1 FOR NO KEY UPDATE")
            .bind(flow_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Inside a write's own transaction: locks `flow`'s row (PostgreSQL; SQLite's writes take turns)
/// and checks again that it may take `action` with the steps completed now. The guard
/// ([`crate::auth::FlowUser::permit`]) read the flow before the transaction, and a completion
/// that committed since then wins: the write is refused 403 `step_not_allowed` and rolled back.
/// Answers the step that permits it now.
pub(crate) async fn still_permits(
    conn: &mut AnyConnection,
    flow: &FlowState,
    action: FlowAction,
) -> Result<StepName, Error> {
    // The lock and the read in one trip ([`lock_flow`]'s lock, a no-op when it is held).
    let lock = if crate::db::is_postgres(conn) {
        " FOR NO KEY UPDATE"
    } else {
        ""
    };
    let completed: Option<String> = sqlx::query_scalar(&format!(
        "SELECT completed_steps FROM flows WHERE id = $1{lock}"
    ))
    .bind(flow.id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let completed = completed.ok_or_else(flow_not_found)?;
    let now = FlowState {
        completed_steps: parse_stored_json("completed_steps", &completed)?,
        ..flow.clone()
    };
    now.permits(action).map_err(Error::StepNotAllowed)
}

/// A flow session's write as its guard let it in: the flow as read then and the action. The
/// store function that writes checks it again first thing in its own transaction
/// ([`FlowWrite::recheck`]), so a step completed (or a flow finished) meanwhile refuses it; a
/// host's write of the same kind has none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowWrite<'a> {
    /// The flow as the guard read it.
    pub flow: &'a FlowState,
    /// What the session does.
    pub action: FlowAction,
}

impl FlowWrite<'_> {
    /// [`still_permits`] for `through`, when the write is a flow session's: the step that
    /// permits it now, `None` for a host's write.
    pub(crate) async fn recheck(
        through: Option<Self>,
        conn: &mut AnyConnection,
    ) -> Result<Option<StepName>, Error> {
        match through {
            Some(write) => Ok(Some(still_permits(conn, write.flow, write.action).await?)),
            None => Ok(None),
        }
    }
}

/// Sets flow `flow_id`'s `completed_steps` to `completed` when they are still `read` (the JSON
/// text read before): a compare-and-set, so a completion that raced this one is never
/// overwritten. Whether it took.
pub(crate) async fn set_completed_steps(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    completed: &[StepName],
    read: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let updated = sqlx::query(
        "UPDATE flows SET completed_steps = $1, updated = $2 WHERE id = $3 \
         AND completed_steps = $4",
    )
    .bind(to_json_text(&completed)?)
    .bind(to_millis(now))
    .bind(flow_id.to_string())
    .bind(read)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Claims flow `flow_id` for `user_id` when it names nobody yet, inside the caller's
/// transaction: `None` when someone else has it, `Some(true)` when this call claimed it,
/// `Some(false)` when it was theirs already.
pub(crate) async fn claim_for_user(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<bool>, Error> {
    let claimed = sqlx::query(
        "UPDATE flows SET user_id = $1, updated = $2 WHERE id = $3 AND user_id IS NULL",
    )
    .bind(user_id.to_string())
    .bind(to_millis(now))
    .bind(flow_id.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let owner: Option<String> = sqlx::query_scalar("SELECT user_id FROM flows WHERE id = $1")
        .bind(flow_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok((owner.as_deref() == Some(user_id.to_string().as_str())).then_some(claimed))
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
    updated: Option<i64>,
}

impl FlowRow {
    /// Flow `id` of any app.
    pub(crate) async fn find<'e, E>(db: E, id: Uuid) -> Result<Option<FlowRow>, Error>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        Ok(sqlx::query_as(
            "SELECT id, app_id, user_id, steps, completed_steps, \
             hide_go_to_dashboard_on_complete, require_auth, metadata, payout_link_id, \
             payout_fee_party, preauthenticated, created, updated FROM flows WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(db)
        .await?)
    }

    /// Whether the flow is a payout link's (issue 11).
    pub(crate) fn is_link_flow(&self) -> bool {
        self.payout_link_id.is_some()
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
            updated: from_millis(self.updated.unwrap_or(self.created))?,
            user_id: parse_stored_opt_id(self.user_id.as_deref())?,
            steps: self.steps()?.iter().map(Step::name).collect(),
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
            compliance_due: false,
            payee_phone: None,
        })
    }

    fn steps(&self) -> Result<Vec<Step>, Error> {
        parse_stored_json("steps", &self.steps)
    }

    fn completed_steps(&self) -> Result<Vec<StepName>, Error> {
        parse_stored_json("completed_steps", &self.completed_steps)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn flow(app_id: Uuid, completed: Vec<StepName>) -> Arc<CachedFlow> {
        let id = Uuid::new_v4();
        Arc::new(CachedFlow {
            app_id,
            flow: Flow {
                id,
                created: DateTime::from_timestamp_millis(0).unwrap(),
                updated: DateTime::from_timestamp_millis(0).unwrap(),
                user_id: None,
                steps: Vec::new(),
                completed_steps: completed,
                link: String::new(),
                metadata: None,
                payout_link_id: None,
            },
        })
    }

    #[test]
    fn a_read_from_before_an_invalidation_is_not_kept() {
        let cache = FlowCache::new(true);
        let (app, id) = (Uuid::new_v4(), Uuid::new_v4());
        // A reader notes the generation and reads the old row; a write commits and invalidates.
        let generation = cache.generation();
        let stale = flow(app, Vec::new());
        cache.invalidate(id);
        cache.put(generation, id, stale);
        assert!(cache.get(id).is_none(), "a stale read was kept");
        // A reader that starts after the invalidation keeps what it read.
        let generation = cache.generation();
        cache.put(generation, id, flow(app, vec![StepName::Redirect]));
        let kept = cache.get(id).unwrap();
        assert_eq!(
            kept.for_app(app).unwrap().completed_steps,
            [StepName::Redirect]
        );
    }

    #[test]
    fn an_entry_kept_before_an_invalidation_is_forgotten() {
        let cache = FlowCache::new(true);
        let (app, id) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(cache.generation(), id, flow(app, Vec::new()));
        assert!(cache.get(id).is_some());
        cache.invalidate(id);
        assert!(cache.get(id).is_none());
    }

    #[test]
    fn another_apps_flow_is_not_found_and_a_disabled_cache_keeps_nothing() {
        let cache = FlowCache::new(true);
        let id = Uuid::new_v4();
        cache.put(cache.generation(), id, flow(Uuid::new_v4(), Vec::new()));
        assert!(cache.get(id).unwrap().for_app(Uuid::new_v4()).is_err());
        let off = FlowCache::new(false);
        off.put(off.generation(), id, flow(Uuid::new_v4(), Vec::new()));
        assert!(off.get(id).is_none());
    }
}
