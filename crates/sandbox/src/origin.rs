//! Host origins: which windows may embed a flow and receive its window messages (DESIGN.md
//! "Window messages"). An origin is `scheme://host[:port]`; the only normalisation is dropping
//! one trailing slash, then origins compare exactly. The allowed embedders are the app's list,
//! the server's extra origins and, only while the server's own public URL is loopback, every
//! loopback origin ([`Config::loopback_may_embed`]), so local hosts work without configuration
//! but a deployed server never trusts a page on its visitor's machine (issue 8). The two checks
//! that use the list, the `host_origin` echo ([`is_allowed_origin`]) and the flow page's
//! `frame-ancestors` ([`embedder_sources`]), read it here so they never disagree.

use crate::config::Config;

/// `origin` without one trailing slash, if it is an `http`/`https` origin
/// (`scheme://host[:port]`: no path, query, fragment, user info, spaces or control
/// characters); `None` otherwise.
pub fn normalize_origin(origin: &str) -> Option<&str> {
    let origin = origin.strip_suffix('/').unwrap_or(origin);
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && !rest.starts_with(':')
        && !rest
            .chars()
            .any(|c| "/?#@\\".contains(c) || c.is_whitespace() || c.is_control());
    valid.then_some(origin)
}

/// Whether `origin` is `http://127.0.0.1`, `http://localhost` or `http://[::1]`, with any port
/// or none (after [`normalize_origin`]).
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = normalize_origin(origin).and_then(|o| o.strip_prefix("http://")) else {
        return false;
    };
    let (host, port) = match rest.strip_prefix("[::1]") {
        Some(port) => ("[::1]", port),
        None => rest.split_at(rest.find(':').unwrap_or(rest.len())),
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => {
            !digits.is_empty()
                && digits.len() <= 5
                && digits.chars().all(|c| c.is_ascii_digit())
                && digits.parse::<u32>().is_ok_and(|p| p <= 65535)
        }
    };
    port_ok && matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// The loopback hosts as CSP sources: any port of `127.0.0.1` and `localhost` (CSP has no
/// syntax for an IPv6 literal, so `[::1]` cannot be listed).
const LOOPBACK_SOURCES: [&str; 2] = ["http://127.0.0.1:*", "http://localhost:*"];

/// Whether `origin` may embed flows (and receive their window messages) of an app whose own
/// list is `app_origins`, on a server configured by `config`.
pub(crate) fn is_allowed_origin(origin: &str, app_origins: &[String], config: &Config) -> bool {
    let Some(origin) = normalize_origin(origin) else {
        return false;
    };
    (config.loopback_may_embed() && is_loopback_origin(origin))
        || app_origins
            .iter()
            .chain(&config.extra_allowed_origins)
            .any(|o| normalize_origin(o) == Some(origin))
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
        let Some(origin) = normalize_origin(origin) else {
            continue;
        };
        let safe = origin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:/".contains(c));
        let covered = loopback && is_loopback_origin(origin);
        if safe && !covered && !sources.iter().any(|s| s == origin) {
            sources.push(origin.to_owned());
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_with_any_port_are_loopback() {
        for o in [
            "http://127.0.0.1",
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://localhost",
            "http://[::1]:9000",
            "http://[::1]",
        ] {
            assert!(is_loopback_origin(o), "{o}");
        }
    }

    #[test]
    fn lookalikes_are_not_loopback() {
        for o in [
            "https://localhost:8080",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://localhost:8080/path",
            "http://localhost:",
            "http://localhost:99999",
            "http://localhost:80x",
            "http://user@localhost",
            "http://[::1]x",
            "http://127.0.0.2",
            "localhost:8080",
        ] {
            assert!(!is_loopback_origin(o), "{o}");
        }
    }

    #[test]
    fn origins_compare_exactly_after_a_trailing_slash() {
        let config = Config::new("https://pay.example", "dist");
        let app = vec!["https://host.example/".to_owned()];
        assert!(is_allowed_origin("https://host.example", &app, &config));
        assert!(is_allowed_origin("https://host.example/", &app, &config));
        assert!(!is_allowed_origin("https://HOST.example", &app, &config));
        assert!(!is_allowed_origin("http://host.example", &app, &config));
        assert!(!is_allowed_origin(
            "https://host.example:443",
            &app,
            &config
        ));
        assert!(!is_allowed_origin("https://host.example/x", &app, &config));
        let extra = config
            .clone()
            .with_allowed_origins(["https://other.example"]);
        assert!(is_allowed_origin("https://other.example", &app, &extra));
        assert!(!is_allowed_origin("https://evil.example", &app, &config));
    }

    #[test]
    fn loopback_may_embed_only_a_loopback_server_unless_listed() {
        let local = Config::new("http://127.0.0.1:8080", "dist");
        let deployed = Config::new("https://pay.example", "dist");
        assert!(is_allowed_origin("http://localhost:3000", &[], &local));
        assert!(!is_allowed_origin("http://localhost:3000", &[], &deployed));
        let listed = ["http://localhost:3000".to_owned()];
        assert!(is_allowed_origin(
            "http://localhost:3000",
            &listed,
            &deployed
        ));
        assert!(!is_allowed_origin(
            "http://localhost:3001",
            &listed,
            &deployed
        ));
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
