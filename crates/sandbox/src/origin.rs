//! Host origins: which windows may embed a flow and receive its window messages (DESIGN.md
//! "Window messages"). An origin is `scheme://host[:port]`; the only normalisation is dropping
//! one trailing slash, then origins compare exactly. Loopback origins are always allowed in the
//! sandbox so local hosts work without configuration.

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

/// Whether `origin` may embed flows of an app whose own list is `app_origins`, on a server
/// that also accepts `extra_origins`.
pub(crate) fn is_allowed_origin(origin: &str, app_origins: &[String], extra: &[String]) -> bool {
    let Some(origin) = normalize_origin(origin) else {
        return false;
    };
    is_loopback_origin(origin)
        || app_origins
            .iter()
            .chain(extra)
            .any(|o| normalize_origin(o) == Some(origin))
}

/// The `Content-Security-Policy` for a flow page: only the flow's own origin, loopback hosts and
/// the app's allowed origins may frame it, so a site off the allow-list cannot embed a flow at
/// all (not merely miss its messages). Origins that are not plain `scheme://host[:port]` are
/// left out rather than risk breaking the header.
pub(crate) fn frame_ancestors<'a>(origins: impl IntoIterator<Item = &'a String>) -> String {
    let mut policy = String::from("frame-ancestors 'self' http://127.0.0.1:* http://localhost:*");
    for origin in origins {
        let Some(origin) = normalize_origin(origin) else {
            continue;
        };
        let safe = origin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:/[]".contains(c));
        if safe && !is_loopback_origin(origin) {
            policy.push(' ');
            policy.push_str(origin);
        }
    }
    policy
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
        let app = vec!["https://host.example/".to_owned()];
        assert!(is_allowed_origin("https://host.example", &app, &[]));
        assert!(is_allowed_origin("https://host.example/", &app, &[]));
        assert!(!is_allowed_origin("https://HOST.example", &app, &[]));
        assert!(!is_allowed_origin("http://host.example", &app, &[]));
        assert!(!is_allowed_origin("https://host.example:443", &app, &[]));
        assert!(!is_allowed_origin("https://host.example/x", &app, &[]));
        assert!(is_allowed_origin(
            "https://other.example",
            &app,
            &["https://other.example".to_owned()]
        ));
        assert!(!is_allowed_origin("https://evil.example", &app, &[]));
    }

    #[test]
    fn frame_ancestors_lists_self_loopback_and_allowed_origins_only() {
        let origins = [
            "https://host.example/".to_owned(),
            "https://bad.example; script-src *".to_owned(),
            "http://localhost:3000".to_owned(),
            "javascript:alert(1)".to_owned(),
        ];
        assert_eq!(
            frame_ancestors(&origins),
            "frame-ancestors 'self' http://127.0.0.1:* http://localhost:* https://host.example"
        );
    }
}
