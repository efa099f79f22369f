//! Web origins (`scheme://host[:port]`, `http` or `https`), the one place they are parsed: the
//! app reads the embedding page's origin from a URL ([`Origin::of_url`]), the sandbox reads its
//! allow-lists ([`Origin::parse`]) and its own public URL, and both compare origins exactly
//! (DESIGN.md "Window messages"; issue 8: a lookalike must never pass).

use std::fmt;
use std::str::FromStr;

/// An `http`/`https` origin: `scheme://host[:port]`, without path, query, fragment, user info,
/// spaces or control characters, and without a trailing slash. Two origins are the same only
/// when their text is (`https://host.example` is not `https://HOST.example`, nor
/// `https://host.example:443`): the comparison browsers make for `postMessage`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

/// Why a text is not an [`Origin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidOrigin;

impl fmt::Display for InvalidOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an origin like https://host.example")
    }
}

impl std::error::Error for InvalidOrigin {}

impl Origin {
    /// `origin` as written in a list or a request (`https://host.example`, one trailing slash
    /// allowed and dropped). The text is kept as it is, case included: origins from browsers are
    /// already lowercase, and a listed origin matches only what it says.
    pub fn parse(origin: &str) -> Option<Origin> {
        let origin = origin.strip_suffix('/').unwrap_or(origin);
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))?;
        let valid = !rest.is_empty()
            && !rest.starts_with(':')
            && !rest
                .chars()
                .any(|c| "/?#@\\".contains(c) || c.is_whitespace() || c.is_control());
        valid.then(|| Origin(origin.to_owned()))
    }

    /// The origin of an `http`/`https` URL, lowercased as browsers serialise it
    /// (`https://Host.example:8443/path?q` → `https://host.example:8443`); `None` for anything
    /// else (`null`, relative, `javascript:`, empty, user info).
    pub fn of_url(url: &str) -> Option<Origin> {
        let lower = url.trim().to_ascii_lowercase();
        let (scheme, rest) = lower.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        Origin::parse(&format!("{scheme}://{authority}"))
    }

    /// The origin as text: `scheme://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `http://127.0.0.1`, `http://localhost` or `http://[::1]`, with any port
    /// or none (not `https`, not a lookalike such as `http://localhost.evil.example`).
    pub fn is_loopback(&self) -> bool {
        let Some(rest) = self.0.strip_prefix("http://") else {
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
}

impl FromStr for Origin {
    type Err = InvalidOrigin;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse(s).ok_or(InvalidOrigin)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Origin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Option<String> {
        Origin::parse(s).map(|o| o.to_string())
    }

    #[test]
    fn parse_drops_one_trailing_slash_and_keeps_the_rest() {
        assert_eq!(
            parsed("https://host.example/").as_deref(),
            Some("https://host.example")
        );
        assert_eq!(
            parsed("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            parsed("https://HOST.example").as_deref(),
            Some("https://HOST.example")
        );
        for bad in [
            "",
            "host.example",
            "ftp://host.example",
            "https://",
            "https://:443",
            "https://host.example/x",
            "https://host.example?q",
            "https://user@host.example",
            "https://bad.example; script-src *",
            "javascript:alert(1)",
        ] {
            assert_eq!(parsed(bad), None, "accepted {bad:?}");
        }
    }

    #[test]
    fn origins_compare_exactly() {
        let listed = Origin::parse("https://host.example/");
        assert_eq!(listed, Origin::parse("https://host.example"));
        assert_ne!(listed, Origin::parse("https://HOST.example"));
        assert_ne!(listed, Origin::parse("http://host.example"));
        assert_ne!(listed, Origin::parse("https://host.example:443"));
        assert_eq!(
            "https://host.example".parse::<Origin>(),
            Ok(listed.expect("an origin"))
        );
        assert_eq!("nope".parse::<Origin>(), Err(InvalidOrigin));
    }

    #[test]
    fn of_url_keeps_scheme_host_and_port_lowercased() {
        let of = |url: &str| Origin::of_url(url).map(|o| o.to_string());
        assert_eq!(
            of("https://Host.example:8443/path?q=1#x").as_deref(),
            Some("https://host.example:8443")
        );
        assert_eq!(
            of("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        for bad in [
            "",
            "null",
            "/relative",
            "javascript:alert(1)",
            "ftp://x.y",
            "https://",
            "https://user@evil.example",
        ] {
            assert_eq!(of(bad), None, "accepted {bad:?}");
        }
    }

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
            assert!(Origin::parse(o).is_some_and(|o| o.is_loopback()), "{o}");
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
            assert!(!Origin::parse(o).is_some_and(|o| o.is_loopback()), "{o}");
        }
    }
}
