//! Host origins: which windows may embed a flow and receive its window messages (DESIGN.md
//! "Window messages"). An origin is the model's [`Origin`] (`scheme://host[:port]`; listed ones
//! are kept as browsers write them, [`Origin::canonical`], then origins compare exactly). The
//! allowed embedders are the app's list,
//! the server's extra origins and, only while the server's own public URL is loopback, every
//! loopback origin ([`Config::loopback_may_embed`]), so local hosts work without configuration
//! but a deployed server never trusts a page on its visitor's machine (issue 8). The two checks
//! that use the list, the `host_origin` echo ([`is_allowed_origin`]) and the flow page's
//! `frame-ancestors` ([`embedder_sources`]), read it here so they never disagree.

use crate::config::Config;
use payout_model::Origin;

/// The loopback hosts as CSP sources: any port of `127.0.0.1` and `localhost` (CSP has no
/// syntax for an IPv6 literal, so `[::1]` cannot be listed).
const LOOPBACK_SOURCES: [&str; 2] = ["http://127.0.0.1:*", "http://localhost:*"];

/// Whether `origin` may embed flows (and receive their window messages) of an app whose own
/// list is `app_origins`, on a server configured by `config`: the server's own origin too, as
/// the flow page's `frame-ancestors 'self'` lets its own pages (`/demo`) frame a flow.
pub(crate) fn is_allowed_origin(origin: &Origin, app_origins: &[String], config: &Config) -> bool {
    config.public_origin().as_ref() == Some(origin)
        || (config.loopback_may_embed() && origin.is_loopback())
        || app_origins
            .iter()
            .chain(&config.extra_allowed_origins)
            .any(|o| Origin::parse(o).as_ref() == Some(origin))
}

/// The CSP sources of the hosts that may frame a flow of an app whose own list is
/// `app_origins` (the `'self'` source aside): loopback with any port when loopback may embed,
/// then the listed origins. Origins that are not plain `scheme://host[:port]` are left out
/// rather than risk breaking the header, so a site off the list cannot frame a flow at all.
pub(crate) fn embedder_sources(app_origins: &[String], config: &Config) -> Vec<String> {
    let loopback = config.loopback_may_embed();
    let mut sources: Vec<String> = if loopback {
        LOOPBACK_SOURCES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        Vec::new()
    };
    for origin in config.extra_allowed_origins.iter().chain(app_origins) {
        let Some(origin) = Origin::parse(origin) else {
            continue;
        };
        let safe = origin
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:/".contains(c));
        let covered = loopback && origin.is_loopback();
        if safe && !covered && !sources.iter().any(|s| s == origin.as_str()) {
            sources.push(origin.to_string());
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the origin `o` may embed: requests name origins as text.
    fn allowed(o: &str, app: &[String], config: &Config) -> bool {
        Origin::parse(o).is_some_and(|o| is_allowed_origin(&o, app, config))
    }

    #[test]
    fn origins_compare_exactly_after_a_trailing_slash() {
        let config = Config::new("https://pay.example", "dist");
        let app = vec!["https://host.example/".to_owned()];
        assert!(allowed("https://host.example", &app, &config));
        assert!(allowed("https://host.example/", &app, &config));
        assert!(!allowed("https://HOST.example", &app, &config));
        assert!(!allowed("http://host.example", &app, &config));
        assert!(!allowed("https://host.example:443", &app, &config));
        assert!(!allowed("https://host.example/x", &app, &config));
        let extra = config
            .clone()
            .with_allowed_origins(["https://other.example"]);
        assert!(allowed("https://other.example", &app, &extra));
        assert!(!allowed("https://evil.example", &app, &config));
    }

    #[test]
    fn loopback_may_embed_only_a_loopback_server_unless_listed() {
        let local = Config::new("http://127.0.0.1:8080", "dist");
        let deployed = Config::new("https://pay.example", "dist");
        assert!(allowed("http://localhost:3000", &[], &local));
        assert!(!allowed("http://localhost:3000", &[], &deployed));
        let listed = ["http://localhost:3000".to_owned()];
        assert!(allowed("http://localhost:3000", &listed, &deployed));
        assert!(!allowed("http://localhost:3001", &listed, &deployed));
    }

    /// Review: `/demo` on a deployed server framed the flow (`frame-ancestors 'self'`) but the
    /// flow, its own origin not on the app's list, told it nothing.
    #[test]
    fn the_server_s_own_origin_may_embed_as_its_frame_ancestors_say() {
        let deployed = Config::new("https://pay.example", "dist");
        assert!(allowed("https://pay.example", &[], &deployed));
        assert!(!allowed("https://pay.example:8443", &[], &deployed));
        assert!(!allowed("http://pay.example", &[], &deployed));
    }

    #[test]
    fn embedder_sources_list_loopback_when_local_and_safe_allowed_origins() {
        let origins = [
            "https://host.example/".to_owned(),
            "https://bad.example; script-src *".to_owned(),
            "http://localhost:3000".to_owned(),
            "javascript:alert(1)".to_owned(),
            "https://host.example".to_owned(),
        ];
        let local = Config::new("http://127.0.0.1:8080", "dist");
        assert_eq!(
            embedder_sources(&origins, &local),
            [
                "http://127.0.0.1:*",
                "http://localhost:*",
                "https://host.example"
            ]
        );
        let deployed =
            Config::new("https://pay.example", "dist").with_allowed_origins(["https://x.example"]);
        assert_eq!(
            embedder_sources(&origins, &deployed),
            [
                "https://x.example",
                "https://host.example",
                "http://localhost:3000"
            ]
        );
    }
}
