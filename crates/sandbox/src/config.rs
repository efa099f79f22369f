//! What the server needs to know about where it runs: its public URL (for flow links, HSTS and
//! whether loopback hosts may embed flows), the directory of the built app, the extra host
//! origins allowed to embed flows, and the rate limits on minting sessions and signing in
//! ([`RateLimits`], issue 8) and how webhooks are delivered ([`WebhookSettings`], issue 10). `main.rs` fills it from flags and environment; tests and the e2e
//! crate build it directly.

use crate::secret::SecretsKey;
use crate::webhooks::WebhookSettings;
use payout_model::Origin;
use std::path::PathBuf;

/// Run-time settings of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The base URL browsers and hosts reach this server at (`http://127.0.0.1:8080`); flow
    /// links are `{public_url}/flow/{id}`. A trailing slash is ignored.
    pub public_url: String,
    /// The trunk build of the app (built with public URL `/app/`): served at `/app/`, and its
    /// `index.html` at `/flow/{id}`.
    pub assets_dir: PathBuf,
    /// Host origins (`https://host.example`) every app on this server accepts as embedders,
    /// besides the app's own list (and the loopback origins while the public URL is loopback:
    /// [`Config::loopback_may_embed`]).
    pub extra_allowed_origins: Vec<String>,
    /// Requests per minute per client IP, per flow and per app on the endpoints anyone can
    /// call.
    pub rate_limits: RateLimits,
    /// How webhooks are delivered (issue 10): retry schedule, timeout, private targets.
    pub webhooks: WebhookSettings,
    /// Seals the webhook signing secrets in the database (issue 10). [`Config::new`] makes a
    /// random one: the binary reads a kept one instead (`--secrets-key-file`), or a restart
    /// could not sign with the secrets sealed before it.
    pub secrets_key: SecretsKey,
}

/// One rate limit: at most this many requests per minute, per client IP, per flow and per app
/// (each its own budget, refilled evenly over the minute, the whole minute's worth usable at once).
/// `0` turns that limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests per minute from one client IP (all apps together).
    pub per_ip: u32,
    /// Sessions minted (not resumed), codes sent or codes tried per minute for one flow (all
    /// clients together): what one flow link, leaked or the holder's own, can take of its
    /// app's budget, however many addresses send it.
    pub per_flow: u32,
    /// Sessions minted, codes sent or codes tried per minute for one app (all clients
    /// together).
    pub per_app: u32,
}

impl Limit {
    /// `per_ip` and `per_app` requests per minute, no limit per flow.
    pub const fn new(per_ip: u32, per_app: u32) -> Self {
        Self {
            per_ip,
            per_flow: 0,
            per_app,
        }
    }

    /// This limit with `per_flow` requests per minute for one flow.
    pub const fn per_flow(self, per_flow: u32) -> Self {
        Self { per_flow, ..self }
    }
}

/// The rate limits of the flow-facing endpoints that need no credentials (issue 8, "Abuse
/// limits"): minting sessions, sending sign-in codes and verifying them. Over a limit, the
/// answer is 429 `too_many_requests` with `Retry-After`.
///
/// The defaults let a person through a flow many times over and a busy app serve many people
/// at once, while keeping one client from minting sessions or sending codes in bulk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /api/flow/sessions` (default 60 per IP, 180 per flow, 1,200 per app a minute).
    pub sessions: Limit,
    /// `POST /api/flow/auth/code` (default 10 per IP, 30 per flow, 300 per app a minute).
    pub codes: Limit,
    /// `POST /api/flow/auth/verify` (default 30 per IP, 90 per flow, 600 per app a minute); a
    /// sign-up (`POST /api/flow/auth/profile`) takes from the per-IP budget too.
    pub verifies: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            // One flow is one person, on a device or two: its budget is three clients', so one
            // client alone cannot spend it and lock the person out.
            sessions: Limit::new(60, 1_200).per_flow(180),
            codes: Limit::new(10, 300).per_flow(30),
            verifies: Limit::new(30, 600).per_flow(90),
        }
    }
}

impl RateLimits {
    /// No limits at all (every value 0): for load tests and test suites that mint in bulk.
    pub const fn off() -> Self {
        Self {
            sessions: Limit::new(0, 0),
            codes: Limit::new(0, 0),
            verifies: Limit::new(0, 0),
        }
    }
}

impl Config {
    /// Settings with `public_url`, `assets_dir` and no extra allowed origins.
    pub fn new(public_url: impl Into<String>, assets_dir: impl Into<PathBuf>) -> Self {
        Self {
            public_url: public_url.into(),
            assets_dir: assets_dir.into(),
            extra_allowed_origins: Vec::new(),
            rate_limits: RateLimits::default(),
            webhooks: WebhookSettings::default(),
            secrets_key: SecretsKey::generate(),
        }
    }

    /// These settings sealing secrets with `key`.
    pub fn with_secrets_key(mut self, key: SecretsKey) -> Self {
        self.secrets_key = key;
        self
    }

    /// These settings delivering webhooks as `webhooks` says.
    pub fn with_webhooks(mut self, webhooks: WebhookSettings) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// These settings with webhook endpoints on loopback allowed only for a server on this
    /// machine alone, as the binary runs: its public URL's host is loopback (`localhost`,
    /// `127.0.0.1`, `[::1]`, http or https) and it listens on `listen`, a loopback address (one
    /// listening on `0.0.0.0` is reached from elsewhere, whatever its public URL says). See
    /// [`WebhookSettings::allow_loopback`].
    pub fn with_loopback_webhooks_only_on_loopback(mut self, listen: std::net::IpAddr) -> Self {
        let public_host_loopback =
            url::Url::parse(self.base_url())
                .ok()
                .is_some_and(|url| match url.host() {
                    Some(url::Host::Domain(name)) => {
                        name == "localhost" || name.ends_with(".localhost")
                    }
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                });
        self.webhooks.allow_loopback = public_host_loopback && listen.is_loopback();
        self
    }

    /// These settings with `limits` as the rate limits.
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// These settings with `origins` added to the extra allowed origins.
    pub fn with_allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_allowed_origins
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// `public_url` without its trailing slashes.
    pub fn base_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// The origin (`scheme://host[:port]`) of the public URL; `None` when it is no http(s)
    /// URL.
    pub fn public_origin(&self) -> Option<Origin> {
        Origin::of_url(self.base_url())
    }

    /// Whether browsers reach this server over https (then every response carries HSTS and
    /// the resume cookie is partitioned).
    pub fn is_https(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// Whether loopback hosts (`http://localhost:*`, `http://127.0.0.1:*`) may embed flows
    /// without being listed: only while the server itself is reached over loopback, so local
    /// development needs no configuration but a deployed server does not trust whatever runs
    /// on its visitors' machines (issue 8).
    pub fn loopback_may_embed(&self) -> bool {
        self.public_origin().is_some_and(|o| o.is_loopback())
    }

    /// The link of flow `id`: `{public_url}/flow/{id}`.
    pub fn flow_link(&self, id: uuid::Uuid) -> String {
        format!("{}/flow/{id}", self.base_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_link_ignores_a_trailing_slash() {
        let config = Config::new("http://127.0.0.1:8080/", "dist");
        assert_eq!(
            config.flow_link(uuid::Uuid::nil()),
            "http://127.0.0.1:8080/flow/00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn loopback_may_embed_only_a_loopback_server() {
        for (url, origin, loopback) in [
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", true),
            (
                "http://localhost:3000/sandbox",
                "http://localhost:3000",
                true,
            ),
            (
                "http://sandbox.test:8080",
                "http://sandbox.test:8080",
                false,
            ),
            ("https://localhost:8443", "https://localhost:8443", false),
            ("https://pay.example/base/", "https://pay.example", false),
        ] {
            let config = Config::new(url, "dist");
            assert_eq!(
                config.public_origin().map(|o| o.to_string()).as_deref(),
                Some(origin),
                "{url}"
            );
            assert_eq!(config.loopback_may_embed(), loopback, "{url}");
        }
    }

    #[test]
    fn loopback_webhooks_only_for_a_server_on_this_machine_alone() {
        let loopback: std::net::IpAddr = [127, 0, 0, 1].into();
        let anywhere: std::net::IpAddr = [0, 0, 0, 0].into();
        for (url, listen, allowed) in [
            ("http://127.0.0.1:8080/", loopback, true),
            ("http://localhost:3000/sandbox", loopback, true),
            ("https://localhost:8443", loopback, true),
            ("http://[::1]:8080", loopback, true),
            ("http://127.0.0.1:8080/", anywhere, false),
            ("http://sandbox.test:8080", loopback, false),
            ("https://pay.example/base/", anywhere, false),
        ] {
            let config = Config::new(url, "dist").with_loopback_webhooks_only_on_loopback(listen);
            assert_eq!(config.webhooks.allow_loopback, allowed, "{url} on {listen}");
        }
        assert!(Config::new("https://pay.example", "dist").is_https());
        assert!(!Config::new("http://127.0.0.1:8080", "dist").is_https());
    }
}
