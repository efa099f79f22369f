//! Rate limits per client IP, per flow and per app on the flow-facing endpoints anyone may call
//! (issue 8, "Abuse limits"): minting sessions (`POST /api/flow/sessions`), sending sign-in codes
//! (`POST /api/flow/auth/code`) and verifying them (`POST /api/flow/auth/verify`; a sign-up,
//! `POST /api/flow/auth/profile`, takes from the client's budget of these too). Sessions are
//! free to mint, so without these one client could mint without end, send codes in bulk or
//! spread code guesses over many sessions.
//!
//! The limits ([`crate::config::RateLimits`]) are counted with the kept `governor` crate (GCRA,
//! keyed, in memory): each client IP, each flow and each app has its own budget per action.
//! The client's is taken first, before any other work; the flow's and then the app's only when
//! the request is about to do the work they bound: a new session (not the resume of a live
//! one), a code about to be sent (a well-formed phone, a flow open for sign-in, past the resend
//! cooldown), a code actually tried (one was asked for, the session need not wait, it has not
//! expired and has tries left). A flood of requests refused anyway does not spend the budget
//! the app's real users share (but for a request that passed those checks and then lost a race
//! under the write lock to another of its session: a second right code, a code racing the
//! cooldown), and one flow link, whoever holds it and from however many addresses, can take at
//! most its own budget's worth of the app's. A flow's budget is three clients' (the defaults),
//! so one address alone (an IPv4 address, an IPv6 /64) cannot spend it and lock the flow's
//! person out; several at once can, for as long as they keep at it. A request the app's budget
//! refuses has spent its flow's (governor takes, it cannot give back). Over budget,
//! the answer is 429 `too_many_requests` with `Retry-After` and the error envelope. The client
//! IP is the peer address of the connection ([`ClientIp`]: `axum::serve` with
//! `into_make_service_with_connect_info::<SocketAddr>()`); IPv6 clients are counted per /64,
//! the block one subscriber usually holds. A request without a peer address (tests driving the
//! router in-process) counts under one fixed key. Behind a reverse proxy every client would
//! share the proxy's address: the sandbox does not trust forwarding headers, which anyone can
//! forge.

use crate::config::{Limit, RateLimits};
use crate::error::Error;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use payout_model::Reason;
use std::convert::Infallible;
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use uuid::Uuid;

/// The client a request came from, as rate limits count it (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key of requests without a peer address (in-process tests).
    pub(crate) const UNKNOWN: ClientIp = ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED));

    /// The key `addr` is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64.
    pub(crate) fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(v4) => ClientIp(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientIp(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientIp(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(ClientIp::UNKNOWN, |ConnectInfo(addr)| {
                ClientIp::of(addr.ip())
            }))
    }
}

/// What a request is about to do, each with its own limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `POST /api/flow/sessions`.
    MintSession,
    /// `POST /api/flow/auth/code`.
    SendCode,
    /// `POST /api/flow/auth/verify` (and `POST /api/flow/auth/profile`, the client's budget).
    VerifyCode,
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The limiters of one action: per client IP, per flow and per app (`None`: that limit is off).
struct Pair {
    per_ip: Option<Keyed<IpAddr>>,
    per_flow: Option<Keyed<Uuid>>,
    per_app: Option<Keyed<Uuid>>,
}

impl Pair {
    fn new(limit: Limit) -> Self {
        Self {
            per_ip: keyed(limit.per_ip),
            per_flow: keyed(limit.per_flow),
            per_app: keyed(limit.per_app),
        }
    }
}

fn keyed<K: Clone + Eq + Hash>(per_minute: u32) -> Option<Keyed<K>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

/// The in-memory counters of every rate limit; one per server, in [`crate::AppState`].
pub(crate) struct Limiters {
    sessions: Pair,
    codes: Pair,
    verifies: Pair,
}

impl fmt::Debug for Limiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiters").finish_non_exhaustive()
    }
}

impl Limiters {
    /// Counters for `limits`, all budgets full.
    pub(crate) fn new(limits: &RateLimits) -> Self {
        Self {
            sessions: Pair::new(limits.sessions),
            codes: Pair::new(limits.codes),
            verifies: Pair::new(limits.verifies),
        }
    }

    fn pair(&self, action: Action) -> &Pair {
        match action {
            Action::MintSession => &self.sessions,
            Action::SendCode => &self.codes,
            Action::VerifyCode => &self.verifies,
        }
    }

    /// Takes one request of `action` from client `ip`'s budget; 429 when it is spent. The
    /// handlers check this first, before any other work.
    pub(crate) fn check_client(&self, action: Action, ip: ClientIp) -> Result<(), Error> {
        match &self.pair(action).per_ip {
            Some(limiter) => take(limiter, &ip.0),
            None => Ok(()),
        }
    }

    /// Takes one request of `action` from flow `flow`'s budget, then from its app `app`'s; 429
    /// when either is spent. Checked when the request is about to do the work (module docs).
    pub(crate) fn check_flow(&self, action: Action, flow: Uuid, app: Uuid) -> Result<(), Error> {
        let pair = self.pair(action);
        if let Some(limiter) = &pair.per_flow {
            take(limiter, &flow)?;
        }
        if let Some(limiter) = &pair.per_app {
            take(limiter, &app)?;
        }
        Ok(())
    }

    /// Forgets the clients and apps whose budgets are full again, so memory stays bounded
    /// (called by the purge task).
    pub(crate) fn retain_recent(&self) {
        for pair in [&self.sessions, &self.codes, &self.verifies] {
            if let Some(limiter) = &pair.per_ip {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            for limiter in [&pair.per_flow, &pair.per_app].into_iter().flatten() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

fn take<K: Clone + Eq + Hash>(limiter: &Keyed<K>, key: &K) -> Result<(), Error> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(limiter.clock().now());
        let retry_after = u32::try_from(wait.as_millis().div_ceil(1000))
            .unwrap_or(u32::MAX)
            .max(1);
        Error::Refused(Reason::RateLimited { retry_after })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientIp::of(a), ClientIp::of(b));
        assert_ne!(ClientIp::of(a), ClientIp::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            ClientIp::of(mapped).0,
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_spent_budget_is_429_with_retry_after_and_other_keys_are_not_held_up() {
        let limits = RateLimits {
            codes: Limit::new(2, 0),
            ..RateLimits::off()
        };
        let limiters = Limiters::new(&limits);
        let ip = ClientIp::of("192.0.2.1".parse().unwrap());
        let other = ClientIp::of("192.0.2.2".parse().unwrap());
        limiters.check_client(Action::SendCode, ip).unwrap();
        limiters.check_client(Action::SendCode, ip).unwrap();
        let e = limiters.check_client(Action::SendCode, ip).unwrap_err();
        assert!(
            matches!(e, Error::Refused(Reason::RateLimited { retry_after }) if (1..=30).contains(&retry_after)),
            "{e:?}"
        );
        limiters.check_client(Action::SendCode, other).unwrap();
        // Limits that are off never refuse.
        for _ in 0..100 {
            limiters.check_client(Action::VerifyCode, ip).unwrap();
            limiters
                .check_flow(Action::VerifyCode, Uuid::nil(), Uuid::nil())
                .unwrap();
        }
    }
}
