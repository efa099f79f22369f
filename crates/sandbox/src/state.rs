//! The one state every handler shares ([`AppState`]): the database pool, the settings, the
//! clock, the sender of sign-in codes, the rate limiters (issue 8) and the demo webhook receiver's inbox (issue 10). The clock is injectable so tests move time (session
//! expiry, the pre-authentication window, code expiry and cooldown) without sleeping; the code
//! sender so a real SMS provider can replace the sandbox's (issue 3).

use crate::config::Config;
use crate::db::Db;
use crate::otp::{CodeSender, SandboxCodeSender};
use crate::ratelimit::Limiters;
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;

/// Where the server reads the current time.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::from_fn(Utc::now)
    }

    /// A clock that reads `now` (tests pass one that adds an offset they control).
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time, truncated to the millisecond: the precision the database keeps, so a
    /// time compares the same before and after a round trip.
    pub fn now(&self) -> DateTime<Utc> {
        let now = (self.0)();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

/// What every handler can reach; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub(crate) db: Db,
    pub(crate) config: Arc<Config>,
    pub(crate) clock: Clock,
    pub(crate) code_sender: Arc<dyn CodeSender>,
    pub(crate) limiters: Arc<Limiters>,
    /// The events the demo receiver (`POST /demo/webhooks`) verified, newest first.
    pub(crate) demo_inbox: Arc<DemoInbox>,
    /// App credentials that matched recently ([`crate::auth::AppKeyCache`]).
    pub(crate) app_keys: Arc<crate::auth::AppKeyCache>,
    /// The host's view of flows, kept in memory on SQLite ([`crate::store::flows::FlowCache`]).
    pub(crate) flows: Arc<crate::store::flows::FlowCache>,
}

/// The demo receiver's verified `flow.updated` events as `/demo` shows them, newest first, at
/// most [`DemoInbox::PER_APP`] of each app: any app may point an endpoint at the receiver and
/// sign what it likes, so one app's events never push out another's. Apps are made with the
/// organization's key only, so the whole is bounded too.
#[derive(Debug, Default)]
pub(crate) struct DemoInbox(
    std::sync::Mutex<
        std::collections::HashMap<uuid::Uuid, std::collections::VecDeque<serde_json::Value>>,
    >,
);

impl DemoInbox {
    /// Events kept per app.
    pub(crate) const PER_APP: usize = 100;

    /// Keeps `event` of app `app_id`, dropping that app's oldest beyond [`Self::PER_APP`]; an
    /// event it holds already (delivered again: deliveries are at least once) is not kept twice.
    pub(crate) fn push(&self, app_id: uuid::Uuid, event: serde_json::Value) {
        if let Ok(mut apps) = self.0.lock() {
            let events = apps.entry(app_id).or_default();
            if events.iter().any(|e| e["id"] == event["id"]) {
                return;
            }
            events.push_front(event);
            events.truncate(Self::PER_APP);
        }
    }

    /// The events of app `app_id` that `keep` accepts, newest first.
    pub(crate) fn select(
        &self,
        app_id: uuid::Uuid,
        keep: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        self.0
            .lock()
            .map(|apps| {
                apps.get(&app_id)
                    .map(|events| events.iter().filter(|e| keep(e)).cloned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }
}

impl AppState {
    /// State over `db` (from [`crate::connect`]) with `config` and the system clock.
    pub fn new(db: Db, config: Config) -> Self {
        Self {
            flows: crate::store::flows::FlowCache::of(&db),
            db,
            limiters: Arc::new(Limiters::new(&config.rate_limits)),
            config: Arc::new(config),
            clock: Clock::system(),
            code_sender: Arc::new(SandboxCodeSender),
            demo_inbox: Arc::default(),
            app_keys: Arc::default(),
        }
    }

    /// This state sending sign-in codes with `sender` instead of the sandbox's
    /// ([`SandboxCodeSender`], whose code is always `000000`).
    pub fn with_code_sender(mut self, sender: impl CodeSender) -> Self {
        self.code_sender = Arc::new(sender);
        self
    }

    /// This state reading time from `clock` instead.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The database pool.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current time on this state's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
