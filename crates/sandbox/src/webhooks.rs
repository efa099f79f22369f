//! Webhook delivery (issue 10): the settings ([`WebhookSettings`]: retry schedule, timeout,
//! private targets), the rule on where an endpoint may point ([`check_url`]), new secrets, the
//! signing (the `standardwebhooks` crate: Standard Webhooks / Svix `v1` HMAC-SHA256 over
//! `id.timestamp.body`, sent under both `svix-*` and `webhook-*` header names), and the worker
//! that drains the outbox ([`spawn_webhook_worker`]).
//!
//! The outbox rows are written by [`crate::store::webhooks::record_event`] in the same
//! transaction as the change; after the commit the writer calls [`wake`]. The worker claims due
//! rows (a lease, and `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes on one
//! database attempt each delivery once), sends them with a timeout and no database connection
//! held, and logs each attempt. Delivery is at least once: a process killed between sending and
//! logging sends again after the lease runs out; receivers drop repeats by `svix-id`.

use crate::db::{begin_ledger_write, Db, WriteTx};
use crate::error::Error;
use crate::state::AppState;
use crate::store::webhooks::{
    claim_due, next_due, settle_attempt, AttemptOutcome, ClaimedDelivery,
};
use axum::body::Bytes;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use payout_model::webhook::{WebhookSecret, MAX_WEBHOOK_URL_CHARS};
use payout_model::Rule;
use rand::rngs::OsRng;
use rand::{Rng as _, RngCore as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Svix's retry schedule: the delay before each attempt (the first is immediate), then the
/// delivery is marked failed.
pub const SVIX_RETRY_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The most of a receiver's answer that is kept.
pub const MAX_RESPONSE_BODY: usize = 1024;

/// How often the worker looks for due deliveries when nothing wakes it (other processes'
/// events, expired leases).
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Deliveries in flight at once in one process: a slot is claimed again as soon as an attempt
/// ends, so a receiver that hangs holds its own slot only.
const MAX_IN_FLIGHT: usize = 32;
/// Deliveries of one app in flight at once, across processes: an app whose receivers hang (or
/// that makes events faster than they answer) cannot take every slot and hold up other apps.
const APP_IN_FLIGHT: i64 = 8;
/// The PostgreSQL advisory lock claims take turns on (`claim_more`); not the ledger's.
const CLAIM_LOCK: i64 = 0x7066_7768;

/// How webhooks are delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The delay before each attempt; its length is the number of attempts. The first must be
    /// zero (the first attempt is immediate). Each later delay gets ±20% jitter.
    pub retries: Vec<Duration>,
    /// How long one attempt may take, answer included.
    pub timeout: Duration,
    /// Whether endpoints may point into private networks (10/8, 172.16/12, 192.168/16,
    /// link-local, unique-local…); allowing them allows loopback too.
    pub allow_private: bool,
    /// Whether endpoints may point to loopback (the sandbox's own machine). The binary allows
    /// it only when its public URL is on loopback ([`crate::Config::loopback_may_embed`]) or
    /// private targets are allowed: a sandbox others reach must not let an app's key make it
    /// call the ports of its own machine and read their answers in the delivery log.
    pub allow_loopback: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retries: SVIX_RETRY_SCHEDULE.to_vec(),
            timeout: Duration::from_secs(15),
            allow_private: false,
            allow_loopback: true,
        }
    }
}

impl WebhookSettings {
    /// Where endpoints may point besides public https hosts.
    pub(crate) fn reach(&self) -> Reach {
        Reach {
            loopback: self.allow_loopback || self.allow_private,
            private: self.allow_private,
        }
    }

    /// Parses a retry schedule like `0s,1s,2s,4s` (units `ms`, `s`, `m`, `h`); the first delay
    /// must be `0s`.
    pub fn parse_retries(text: &str) -> Result<Vec<Duration>, String> {
        let delays = text
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()?;
        match delays.first() {
            None => Err("give at least one delay, like 0s,5s,5m".to_owned()),
            Some(first) if !first.is_zero() => {
                Err("the first attempt is immediate: start the list with 0s".to_owned())
            }
            Some(_) => Ok(delays),
        }
    }
}

/// Parses one duration like `250ms`, `5s`, `5m` or `2h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a number and a unit"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{text:?}: the unit must be ms, s, m or h")),
    }
}

/// The outbox has new rows: every worker of this process looks at once.
static WAKE: Notify = Notify::const_new();

/// Wakes the workers after a transaction that recorded events committed. Process-wide (the
/// writers are deep in the services and the ledger, which hold no state); a worker woken for
/// another server's database merely finds nothing due.
pub(crate) fn wake() {
    WAKE.notify_waiters();
}

/// A new endpoint secret: `whsec_` and the base64 of 32 random bytes (Svix's format).
pub(crate) fn new_secret() -> WebhookSecret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    WebhookSecret(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Where endpoints may point besides public https hosts ([`WebhookSettings::reach`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reach {
    /// Loopback addresses and `localhost` (over http too).
    pub loopback: bool,
    /// Addresses in private networks.
    pub private: bool,
}

/// What kind of place an address is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Loopback,
    Private,
    Public,
}

/// The IPv4 address an IPv6 one stands for, where it embeds one a network may route to:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64's well-known prefix
/// `64:ff9b::/96` (RFC 6052: on an IPv6-only network its gateway connects to the IPv4 address)
/// and 6to4's `2002:AABB:CCDD::/48`.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    if let Some(mapped) = v6.to_ipv4_mapped() {
        Some(mapped)
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        || (s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified())
    {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    }
}

fn classify(ip: IpAddr) -> Target {
    let ip = match ip {
        IpAddr::V6(v6) => match embedded_v4(v6) {
            // Only the mapped form reaches this machine; 127/8 behind NAT64, 6to4 or the old
            // compatible form is some other network's.
            Some(v4) if v4.is_loopback() && v6.to_ipv4_mapped().is_none() => {
                return Target::Private
            }
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Target::Loopback
            } else if v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
            {
                Target::Private
            } else {
                Target::Public
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Target::Loopback
            } else if v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // NAT64 for local use (RFC 8215), whatever IPv4 network it leads to.
                || v6.segments()[..3] == [0x64, 0xff9b, 1]
            {
                Target::Private
            } else {
                Target::Public
            }
        }
    }
}

/// Whether `target` may be reached over `https` (or http) within `reach`; the reason when not.
fn permit(target: Target, https: bool, reach: Reach) -> Result<(), &'static str> {
    match target {
        Target::Loopback if reach.loopback => Ok(()),
        Target::Loopback => Err("must not point to the sandbox's own machine (loopback)"),
        Target::Private if reach.private => Ok(()),
        Target::Private => Err("must not point into a private network"),
        Target::Public if https => Ok(()),
        Target::Public => Err("must be https (http only to a loopback address)"),
    }
}

/// Checks where endpoint URL `url` points (issue 10): https anywhere, or http to loopback
/// where `reach` allows loopback; addresses in private networks are refused unless `reach`
/// allows them. A host name is checked by what it resolves to when each delivery is made
/// ([`check_resolved`]). 422 naming `url`. Answers the URL as it was checked, normalized (an
/// international host name in its ASCII form, `https://Host.Example` as
/// `https://host.example/`): what is stored and sent, so what is sent is what was checked (a
/// host name sent as typed could not even make a request).
pub(crate) fn check_url(url: &str, reach: Reach) -> Result<String, Error> {
    let bad = |message: &str| Error::invalid_field("url", Rule::EndpointUrl, message);
    let parsed = url::Url::parse(url.trim())
        .map_err(|_| bad("must be a URL like https://host.example/hooks"))?;
    let https = match parsed.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(bad("must start with http:// or https://")),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    let target = match parsed.host() {
        None => return Err(bad("must name a host")),
        Some(url::Host::Ipv4(v4)) => classify(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => classify(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                Target::Loopback
            } else if https || reach.private {
                return kept_url(parsed);
            } else {
                Target::Public
            }
        }
    };
    permit(target, https, reach).map_err(bad)?;
    kept_url(parsed)
}

/// `parsed` as stored, within the length a URL may have: percent-encoding can make the
/// normalized form longer than the text sent.
fn kept_url(parsed: url::Url) -> Result<String, Error> {
    let url = String::from(parsed);
    if url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return Err(Error::broke(
            "url",
            Rule::MaxChars {
                max: MAX_WEBHOOK_URL_CHARS,
            },
        ));
    }
    Ok(url)
}

/// Resolves `url`'s host and checks every address it names, as [`check_url`] checks a
/// literal one: a name that resolves into a private network is refused at delivery.
async fn check_resolved(url: &str, reach: Reach) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
    let https = parsed.scheme() == "https";
    let port = parsed.port_or_known_default().unwrap_or(443);
    let name = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => {
            return permit(classify(IpAddr::V4(v4)), https, reach)
                .map_err(|why| format!("{v4}: {why}"))
        }
        Some(url::Host::Ipv6(v6)) => {
            return permit(classify(IpAddr::V6(v6)), https, reach)
                .map_err(|why| format!("[{v6}]: {why}"))
        }
        Some(url::Host::Domain(name)) => name,
        None => return Err("no host".to_owned()),
    };
    // A host name that does not resolve, or leads into a private network or to this machine,
    // gets one answer in the delivery log: the app may not learn which names exist inside the
    // sandbox's network, nor where they lead. The log has the detail.
    let refused = || format!("{name}: does not resolve to an address the sandbox may call");
    let addrs: Vec<IpAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| {
            tracing::info!(host = name, error = %e, "webhook host does not resolve");
            refused()
        })?
        .map(|a| a.ip())
        .collect();
    for ip in addrs {
        if let Err(why) = permit(classify(ip), https, reach) {
            tracing::info!(host = name, %ip, why, "webhook host refused");
            return Err(refused());
        }
    }
    Ok(())
}

/// The resolver the delivery client connects through: it resolves a host name and drops every
/// address in a private network (unless allowed), so what is checked is what is connected to —
/// a name that rebinds to a private address between [`check_resolved`] and the connection
/// finds nothing to connect to. Scheme rules (https for public hosts) were checked on the URL.
#[derive(Clone, Copy, Debug)]
struct GuardedResolver {
    reach: Reach,
}

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let reach = self.reach;
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| permit(classify(a.ip()), true, reach).is_ok())
                .collect();
            if allowed.is_empty() {
                return Err(std::io::Error::other(format!(
                    "{name}: does not resolve to an address the sandbox may call"
                )));
            }
            Ok(allowed.into_iter())
        })
    }
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>, Full<Bytes>>;

fn http_client(reach: Reach) -> HttpClient {
    let mut http = HttpConnector::new_with_resolver(GuardedResolver { reach });
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
}

/// Starts the worker that delivers webhooks for `state`'s database until the task is aborted.
/// Deliveries left pending by an earlier process (or one that died) are picked up at once.
/// Up to [`MAX_IN_FLIGHT`] attempts run at once, and a free slot is filled as soon as one ends.
pub fn spawn_webhook_worker(state: &AppState) -> JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let client = http_client(state.config.webhooks.reach());
        let mut in_flight = tokio::task::JoinSet::new();
        // Where the next claim's walk of the endpoints goes on from, if one stopped short.
        let mut walk_from = None;
        loop {
            let woken = WAKE.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            // Every attempt that has ended frees its slot now, not one a turn.
            while in_flight.try_join_next().is_some() {}
            let free = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
            let pause = if free == 0 {
                POLL_INTERVAL
            } else {
                match claim_more(&state, &client, &mut in_flight, free, &mut walk_from).await {
                    Ok(Some(pause)) => pause,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook worker: database error");
                        POLL_INTERVAL
                    }
                }
            };
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(pause) => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            }
        }
    })
}

/// Claims up to `free` due deliveries and starts an attempt of each in `in_flight`: `None`
/// when it started some (look again at once), otherwise how long to wait for the next due
/// delivery (an attempt ending wakes the worker sooner). `walk_from`: see [`claim_due`].
async fn claim_more(
    state: &AppState,
    client: &HttpClient,
    in_flight: &mut tokio::task::JoinSet<()>,
    free: usize,
    walk_from: &mut Option<String>,
) -> Result<Option<Duration>, Error> {
    let settings = &state.config.webhooks;
    let now = state.now();
    // A claim outlives the attempt it is for; a process that dies mid-attempt leaves its rows
    // to others once the lease runs out.
    let lease = chrono::Duration::from_std(settings.timeout + Duration::from_secs(5))
        .unwrap_or(chrono::Duration::seconds(60));
    let postgres = !is_sqlite(&state.db);
    // A read first, so an idle worker never takes SQLite's write lock.
    let due = {
        let mut conn = state.db.acquire().await?;
        next_due(&mut conn).await?
    };
    let wait = |due: Option<DateTime<Utc>>| {
        let pause = due
            .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO))
            .map_or(POLL_INTERVAL, |d| d.min(POLL_INTERVAL));
        Some(pause.max(Duration::from_millis(5)))
    };
    if due.is_none_or(|at| at > now) {
        return Ok(wait(due));
    }
    let mut tx = begin_claim(&state.db).await?;
    if postgres {
        // Claims take turns across processes (each is short), so each sees the leases the
        // last one committed and one app's cap holds across them; SQLite's `BEGIN IMMEDIATE`
        // does the same.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CLAIM_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    // The lease counts from now, with the claim's lock held: taking that lock can wait (SQLite's
    // writes take turns), and a lease counted from before the wait could end while this
    // process's attempt still runs, for another claim (maybe this worker's own) to send again.
    let now = state.now();
    let walked_from = walk_from.clone();
    let claimed = claim_due(
        &mut tx,
        &state.config.secrets_key,
        walk_from,
        now,
        now + lease,
        i64::try_from(free).unwrap_or(i64::MAX),
        APP_IN_FLIGHT,
    )
    .await?;
    tx.commit().await?;
    if claimed.is_empty() {
        if walk_from.is_some() && *walk_from != walked_from {
            // This claim's walk of the endpoints stopped short of the last: the next one goes
            // on at once (each walk moves on, and the last comes back to the first).
            return Ok(None);
        }
        // Due, but another worker holds them, or their apps have all their attempts in
        // flight: look again when one of ours ends, an event is made here, or after the poll
        // interval (never a busy loop while a backlog waits for its app's slots).
        return Ok(Some(POLL_INTERVAL));
    }
    for delivery in claimed {
        let state = state.clone();
        let client = client.clone();
        in_flight.spawn(async move {
            if let Err(e) = deliver(&state, &client, &delivery).await {
                tracing::warn!(error = %e, delivery = %delivery.id, "webhook attempt not logged");
            }
        });
    }
    Ok(None)
}

fn is_sqlite(db: &Db) -> bool {
    db.connect_options().database_url.scheme() == "sqlite"
}

/// A transaction to claim or settle deliveries in: on SQLite `BEGIN IMMEDIATE` in turn with
/// the process's other writers (one at a time, taken up front; a busy database makes it wait,
/// not fail), a plain one on PostgreSQL (row locks do the rest; the ledger's lock row is not
/// taken, so deliveries never queue behind money).
async fn begin_claim(db: &Db) -> Result<WriteTx, Error> {
    begin_ledger_write(db).await
}

/// Makes one attempt of `delivery` and logs it.
async fn deliver(
    state: &AppState,
    client: &HttpClient,
    delivery: &ClaimedDelivery,
) -> Result<(), Error> {
    let settings = &state.config.webhooks;
    let outcome = attempt(client, delivery, settings, state.now()).await;
    let attempted = state.now();
    let made = usize::try_from(delivery.attempts + 1).unwrap_or(usize::MAX);
    let next_retry = settings
        .retries
        .get(made)
        .map(|delay| attempted + jittered(*delay));
    tracing::info!(
        delivery = %delivery.id,
        event = %delivery.event_id,
        status = ?outcome.status,
        error = outcome.error.as_deref().unwrap_or(""),
        succeeded = outcome.succeeded,
        "webhook attempt"
    );
    let mut tx = begin_claim(&state.db).await?;
    let settled = settle_attempt(&mut tx, delivery, &outcome, attempted, next_retry).await?;
    tx.commit().await?;
    if !settled {
        tracing::warn!(
            delivery = %delivery.id,
            "webhook attempt outlived its claim: logged, the delivery left to its new claim"
        );
    }
    Ok(())
}

/// `delay` ± 20%.
fn jittered(delay: Duration) -> chrono::Duration {
    let factor = if delay.is_zero() {
        1.0
    } else {
        rand::thread_rng().gen_range(0.8..1.2)
    };
    chrono::Duration::from_std(delay.mul_f64(factor)).unwrap_or(chrono::Duration::MAX)
}

/// Sends `delivery`, signed, and reads at most [`MAX_RESPONSE_BODY`] of the answer, all within
/// the timeout.
async fn attempt(
    client: &HttpClient,
    delivery: &ClaimedDelivery,
    settings: &WebhookSettings,
    now: DateTime<Utc>,
) -> AttemptOutcome {
    let failed = failed_attempt;
    let request = match signed_request(delivery, now) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // The name's resolution is part of the attempt, within its timeout (and so its lease).
    let deadline = tokio::time::Instant::now() + settings.timeout;
    let timed_out = || failed(format!("timed out after {:?}", settings.timeout));
    let head = async {
        check_resolved(&delivery.url, settings.reach()).await?;
        client
            .request(request)
            .await
            .map_err(|e| format!("{e}: {}", source_chain(&e)))
    };
    let response = match tokio::time::timeout_at(deadline, head).await {
        Err(_) => return timed_out(),
        Ok(Err(e)) => return failed(e),
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    // The answer's status is what counts: a body still coming at the deadline is kept as far
    // as it came (a 2xx whose body never ended was logged as timed out, and sent again).
    let mut body = response.into_body();
    let mut kept = Vec::new();
    let read = async {
        while kept.len() < MAX_RESPONSE_BODY {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        kept.extend_from_slice(data);
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
    };
    let _ended = tokio::time::timeout_at(deadline, read).await;
    kept.truncate(MAX_RESPONSE_BODY);
    AttemptOutcome {
        status: Some(status),
        body: Some(at_most_bytes(&kept, MAX_RESPONSE_BODY)),
        error: None,
        succeeded: (200..300).contains(&status),
    }
}

/// An attempt that got no answer, for `error`: kept to [`MAX_RESPONSE_BODY`] as an answer's body
/// is (a TLS error, say, can name every name of the receiver's certificate, twice).
fn failed_attempt(error: String) -> AttemptOutcome {
    AttemptOutcome {
        status: None,
        body: None,
        error: Some(at_most_bytes(error.as_bytes(), MAX_RESPONSE_BODY)),
        succeeded: false,
    }
}

/// `bytes` as text (invalid UTF-8 and NUL replaced, as a text column takes it) of at most
/// `max` bytes, cut at a character boundary: a receiver's answer is never kept beyond 1 KB
/// (issue 10).
fn at_most_bytes(bytes: &[u8], max: usize) -> String {
    let mut text = String::from_utf8_lossy(bytes).replace('\0', "\u{FFFD}");
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// The POST of `delivery`'s body, signed at `now` with its endpoint's secret.
fn signed_request(
    delivery: &ClaimedDelivery,
    now: DateTime<Utc>,
) -> Result<hyper::Request<Full<Bytes>>, String> {
    let signer = standardwebhooks::Webhook::new(delivery.secret.expose())
        .map_err(|_| "the endpoint's secret is unusable".to_owned())?;
    let timestamp = now.timestamp();
    let signature = signer
        .sign(&delivery.event_id, timestamp, delivery.payload.as_bytes())
        .map_err(|e| format!("cannot sign: {e}"))?;
    let timestamp = timestamp.to_string();
    hyper::Request::post(&delivery.url)
        .header("content-type", "application/json")
        .header("user-agent", "payout-sandbox-webhooks/1")
        .header("svix-id", &delivery.event_id)
        .header("svix-timestamp", &timestamp)
        .header("svix-signature", &signature)
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &delivery.event_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, &timestamp)
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, &signature)
        .body(Full::new(Bytes::from(delivery.payload.clone())))
        .map_err(|e| format!("cannot build the request: {e}"))
}

/// Where the demo receiver listens: `{public_url}/demo/webhooks`.
/// Normalized as [`check_url`] keeps an endpoint's URL, so the receiver finds the endpoint the
/// sandbox stored for it whatever the public URL's spelling (`https://Host.Example:443`).
pub(crate) fn demo_webhook_url(config: &crate::config::Config) -> String {
    let url = format!("{}/demo/webhooks", config.base_url());
    url::Url::parse(&url).map_or(url, String::from)
}

/// Seals with the state's secrets key every webhook secret kept as is (stored before secrets
/// were sealed) and checks the key opens the sealed ones and the database's key check
/// (migration 0024; the first start that finds none writes it), so a server started with the
/// wrong key stops at once instead of failing every delivery, and no two processes on one
/// database ever hold different keys. How many it sealed.
pub async fn seal_webhook_secrets(state: &AppState) -> Result<usize, Error> {
    let mut conn = state.db.acquire().await?;
    crate::store::webhooks::seal_stored_secrets(&mut conn, &state.config.secrets_key).await
}

/// Wraps in the state's secrets key every tax id digest from before it was keyed
/// ([`crate::store::compliance`]), once [`seal_webhook_secrets`] showed the key is this
/// database's: only when a sealed webhook secret opened with it. A wrap under another key could
/// not be undone (the SSNs would never match again), so without that proof nothing is wrapped
/// (`None`). How many it wrapped.
pub async fn wrap_tax_id_digests(state: &AppState) -> Result<Option<u64>, Error> {
    let mut conn = state.db.acquire().await?;
    let confirmed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE secret LIKE 'sealed:%'")
            .fetch_one(&mut *conn)
            .await?;
    if confirmed == 0 {
        return Ok(None);
    }
    let wrapped =
        crate::store::compliance::wrap_old_tin_hashes(&mut conn, &state.config.secrets_key).await?;
    drop(conn);
    if wrapped > 0 {
        // The old digests live on in freed space until it is reused.
        crate::db::rewrite_freed_space(&state.db, "compliance").await;
    }
    Ok(Some(wrapped))
}

/// The description of the endpoint [`ensure_demo_webhook`] adds.
const DEMO_DESCRIPTION: &str = "the sandbox's /demo page";

/// Gives app `app_id` (the default app) an endpoint at the demo receiver
/// (`{public_url}/demo/webhooks`, `flow.updated` only) unless it has one, so `/demo` shows the
/// webhooks of the flows it embeds; one added at an earlier public URL moves to this one.
/// Nothing when the public URL may not be an endpoint (plain
/// http to a host that is not loopback), or when the app has all the endpoints it may have
/// (a warning). Whether it is there. Checked and added in one write transaction: two
/// processes starting at once on one database add it once.
pub async fn ensure_demo_webhook(state: &AppState, app_id: uuid::Uuid) -> Result<bool, Error> {
    let Ok(url) = check_url(
        &demo_webhook_url(&state.config),
        state.config.webhooks.reach(),
    ) else {
        return Ok(false);
    };
    let mut tx = crate::db::begin_write(&state.db).await?;
    if crate::store::webhooks::has_webhook_at(&mut tx, app_id, &url).await? {
        return Ok(true);
    }
    // The one a start at another public URL (another PORT) added moves here: else each
    // port would keep one, every `flow.updated` retried for a day and a half at whatever
    // listens there now, up to the app's cap of endpoints.
    if crate::store::webhooks::repoint_demo_webhook(&mut tx, app_id, DEMO_DESCRIPTION, &url).await?
    {
        tx.commit().await?;
        return Ok(true);
    }
    let new = payout_model::webhook::NewWebhook {
        url,
        events: Some(vec![payout_model::webhook::EventType::FlowUpdated]),
        description: Some(DEMO_DESCRIPTION.to_owned()),
    };
    match crate::store::webhooks::insert_webhook(
        &mut tx,
        &state.config.secrets_key,
        app_id,
        new,
        new_secret(),
        state.now(),
    )
    .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(true)
        }
        Err(Error::Conflict(why)) => {
            tracing::warn!("no webhook endpoint for /demo: {why}");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Verifies a delivery the Standard Webhooks way with `secret` (the demo receiver).
pub(crate) fn verify(
    secret: &WebhookSecret,
    body: &[u8],
    headers: &axum::http::HeaderMap,
) -> Result<(), String> {
    let verifier = standardwebhooks::Webhook::new(secret.expose()).map_err(|e| e.to_string())?;
    verifier.verify(body, headers).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Review: the demo endpoint is stored with its URL normalized (as every endpoint's is),
    /// so the receiver must look it up by the same form, whatever the public URL's spelling.
    #[test]
    fn the_demo_receivers_url_is_normalized_as_endpoints_are() {
        let config = crate::config::Config::new("https://Sandbox.Example.com:443/", "dist");
        let url = demo_webhook_url(&config);
        assert_eq!(url, "https://sandbox.example.com/demo/webhooks");
        let reach = Reach {
            loopback: false,
            private: false,
        };
        assert_eq!(check_url(&url, reach).unwrap(), url);
    }

    #[test]
    fn parses_retry_lists() {
        assert_eq!(
            WebhookSettings::parse_retries("0s, 1s,2m,3h,250ms").unwrap(),
            [
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(120),
                Duration::from_secs(3 * 3600),
                Duration::from_millis(250)
            ]
        );
        assert!(WebhookSettings::parse_retries("1s,2s").is_err());
        assert!(WebhookSettings::parse_retries("0s,5").is_err());
        assert!(WebhookSettings::parse_retries("").is_err());
    }

    #[tokio::test]
    async fn the_delivery_client_connects_to_no_private_address() {
        use std::str::FromStr as _;
        use tower::ServiceExt as _;
        let resolve = |loopback, private, host: &str| {
            let name = Name::from_str(host).expect("a host name");
            GuardedResolver {
                reach: Reach { loopback, private },
            }
            .oneshot(name)
        };
        let private = resolve(true, false, "10.1.2.3").await;
        let message = private
            .expect_err("a private address is refused")
            .to_string();
        assert!(message.contains("may call"), "{message}");
        assert!(resolve(true, true, "10.1.2.3").await.is_ok());
        assert!(resolve(true, false, "64:ff9b::a01:203").await.is_err());
        let local: Vec<_> = resolve(true, false, "localhost")
            .await
            .expect("loopback")
            .collect();
        assert!(local.iter().all(|a| a.ip().is_loopback()), "{local:?}");
        assert!(resolve(false, false, "localhost").await.is_err());
    }

    /// What a sandbox on loopback may reach by default.
    const LOCAL: Reach = Reach {
        loopback: true,
        private: false,
    };

    #[test]
    fn urls_are_https_or_loopback_and_never_private_by_default() {
        for ok in [
            "https://hooks.example/x",
            "http://127.0.0.1:9000/hook",
            "http://[::1]:9000/hook",
            "http://localhost:3000/h",
            "https://8.8.8.8/h",
        ] {
            assert!(check_url(ok, LOCAL).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example/x",
            "https://10.0.0.1/h",
            "https://172.16.3.4/h",
            "https://192.168.1.1/h",
            "https://169.254.169.254/latest",
            "https://[fd00::1]/h",
            "https://[fe80::1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://[::10.0.0.1]/h",
            "https://[64:ff9b::a00:1]/h",
            "https://[64:ff9b:1::1]/h",
            "https://[2002:a00:1::1]/h",
            "https://198.18.0.1/h",
            // 127/8 behind NAT64, 6to4 or the compatible form: another network's, not ours.
            "http://[64:ff9b::7f00:1]/h",
            "http://[2002:7f00:1::1]/h",
            "http://[::7f00:1]/h",
            "https://0.0.0.0/h",
            "ftp://hooks.example",
            "https://user:pw@hooks.example/",
        ] {
            assert!(check_url(bad, LOCAL).is_err(), "{bad}");
        }
        assert!(check_url("https://[64:ff9b::808:808]/h", LOCAL).is_ok());
        assert!(check_url("https://[2002:808:808::1]/h", LOCAL).is_ok());
        let private = Reach {
            loopback: true,
            private: true,
        };
        assert!(check_url("http://10.0.0.1/h", private).is_ok());
        // A sandbox others reach (its public URL is not on loopback): not its own machine.
        let public = Reach {
            loopback: false,
            private: false,
        };
        for own in [
            "http://127.0.0.1:2375/containers/prune",
            "https://127.0.0.1/h",
            "http://localhost:3000/h",
            "https://[::1]/h",
            "https://[::ffff:127.0.0.1]/h",
        ] {
            let refused = check_url(own, public).expect_err(own);
            let message = format!("{refused:?}");
            assert!(message.contains("loopback"), "{own}: {message}");
        }
        assert!(check_url("https://hooks.example/x", public).is_ok());
    }

    #[test]
    fn loopback_is_reached_only_where_allowed() {
        let settings = |allow_loopback, allow_private| WebhookSettings {
            allow_loopback,
            allow_private,
            ..WebhookSettings::default()
        };
        assert!(settings(true, false).reach().loopback);
        assert!(!settings(false, false).reach().loopback);
        assert!(settings(false, true).reach().loopback);
    }

    #[test]
    fn answers_are_kept_to_1_kb_at_a_character_boundary() {
        assert_eq!(at_most_bytes(b"ok", 1024), "ok");
        let long = "é".repeat(600); // 1,200 bytes
        let kept = at_most_bytes(long.as_bytes(), 1024);
        assert_eq!(kept.len(), 1024);
        let cut = &long.as_bytes()[..1023]; // ends inside a character
        assert!(at_most_bytes(cut, 1024).len() <= 1024);
        assert!(at_most_bytes(&[0xff; 1024], 1024).len() <= 1024);
    }

    /// The receiver's words reach the log in its errors too (a TLS error lists its
    /// certificate's names): they are kept to 1 KB as its answers are.
    #[test]
    fn errors_are_kept_to_1_kb() {
        let names = "DnsName(\"receiver.example\"), ".repeat(200);
        let error = failed_attempt(format!("certificate is only valid for {names}")).error;
        let error = error.expect("an error");
        assert_eq!(error.len(), MAX_RESPONSE_BODY);
        assert!(error.starts_with("certificate is only valid for DnsName"));
        let short = failed_attempt("connection refused".to_owned()).error;
        assert_eq!(short.as_deref(), Some("connection refused"));
    }

    #[test]
    fn secrets_are_svix_shaped() {
        let secret = new_secret();
        let b64 = secret.expose().strip_prefix("whsec_").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(bytes.len() >= 24);
        assert_ne!(new_secret(), secret);
    }
}
