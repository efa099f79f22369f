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

    /// `value`, an origin a host lists (an allow-list entry), written as a browser serialises
    /// it, so that it can match at all: scheme and host lowercased, the scheme's default port
    /// (`:443`, `:80`) dropped, one trailing slash dropped. `None` unless the host is a DNS name
    /// (letters, digits, `-`, `.`), an IPv4 address or a bracketed IPv6 one, and the port (if
    /// any) is 1 to 65535: `https://*`, `https://a.example;` and `https://a.example:0` are
    /// refused rather than kept as entries no page ever matches.
    pub fn canonical(value: &str) -> Option<Origin> {
        let value = value.trim();
        let value = value
            .strip_suffix('/')
            .unwrap_or(value)
            .to_ascii_lowercase();
        let (scheme, authority) = value.split_once("://")?;
        let default_port = match scheme {
            "https" => "443",
            "http" => "80",
            _ => return None,
        };
        let v6_host;
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (address, rest) = v6.split_once(']')?;
                // As browsers write it (compressed, lowercase); an IPv4-mapped address they
                // write in hex, which Rust does not, so it is refused rather than never matched.
                let address: std::net::Ipv6Addr = address.parse().ok()?;
                if address.to_ipv4_mapped().is_some() {
                    return None;
                }
                v6_host = format!("[{address}]");
                (v6_host.as_str(), rest)
            }
            None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
        };
        // A host whose last label is a number is an IPv4 address to a browser, and only its
        // usual form is kept (browsers rewrite `127.1` or `0x7f.0.0.1`, so those never match).
        let last = host.rsplit('.').next().unwrap_or_default();
        if (last.starts_with("0x")
            || (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit())))
            && host.parse::<std::net::Ipv4Addr>().is_err()
        {
            return None;
        }
        let name_ok = !host.is_empty()
            && (host.starts_with('[')
                || host.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                }));
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => None,
            Some(digits)
                if !digits.is_empty()
                    && digits.len() <= 5
                    && digits.chars().all(|c| c.is_ascii_digit())
                    && digits
                        .parse::<u32>()
                        .is_ok_and(|p| (1..=65535).contains(&p)) =>
            {
                Some(digits.trim_start_matches('0'))
            }
            _ => return None,
        };
        if !name_ok || host.len() > 253 {
            return None;
        }
        Some(Origin(match port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        }))
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
    #[test]
    fn a_listed_origin_is_kept_as_browsers_write_it_or_refused() {
        let canonical = |v: &str| super::Origin::canonical(v).map(|o| o.to_string());
        for (given, kept) in [
            ("https://Shop.Example:443/", "https://shop.example"),
            ("HTTPS://shop.example", "https://shop.example"),
            ("https://shop.example:8443", "https://shop.example:8443"),
            ("https://shop.example:08443", "https://shop.example:8443"),
            ("http://localhost:80", "http://localhost"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("http://[0:0:0:0:0:0:0:1]:3000", "http://[::1]:3000"),
            ("https://[2001:0DB8:0:0::1]", "https://[2001:db8::1]"),
            (" https://a-b.example ", "https://a-b.example"),
        ] {
            assert_eq!(canonical(given).as_deref(), Some(kept), "{given}");
        }
        for refused in [
            "https://*",
            "https://*.example",
            "https://a.example;",
            "https://a.example:0",
            "https://a.example:65536",
            "https://a.example:",
            "https://a..example",
            "https://-a.example",
            "https://[zz]",
            "https://[::ffff:127.0.0.1]",
            "https://127.1",
            "https://0x7f.0.0.1",
            "https://127.0.0.0x1",
            "https://1.2.3.4.5",
            "https://a.example/path",
            "https://user@a.example",
            "ftp://a.example",
            "https://",
            "a.example",
        ] {
            assert_eq!(canonical(refused), None, "{refused}");
        }
    }

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
