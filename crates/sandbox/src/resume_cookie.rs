//! The resume cookie of a flow session (issue 3; the why is in `routes::flow_sessions`): one per
//! flow, `pf_session_<flow id, simple hex>`, holding the bearer token, `HttpOnly`, sent only to
//! `POST /api/flow/sessions`; `SameSite=Strict` over http, `SameSite=None; Secure; Partitioned`
//! over https.

use crate::config::Config;
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The one path the resume cookie is sent to.
const RESUME_COOKIE_PATH: &str = "/api/flow/sessions";

/// The name of flow `flow_id`'s resume cookie: one per flow, so two flows open in one browser
/// never resume each other's session.
pub(crate) fn resume_cookie_name(flow_id: Uuid) -> String {
    format!("pf_session_{}", flow_id.simple())
}

/// `Set-Cookie` for the resume cookie of an authenticated session (`routes::flow_sessions`),
/// kept by the browser until the session's hard end `ends_at`: a request may keep the session
/// alive until then, and the server says whether it still is (an idle one answers
/// `session_expired` and clears the cookie).
pub(crate) fn resume_cookie(
    config: &Config,
    flow_id: Uuid,
    token: &str,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> HeaderValue {
    let max_age = (ends_at - now).num_seconds().max(0);
    cookie_header(config, &resume_cookie_name(flow_id), token, max_age)
}

/// `Set-Cookie` that deletes flow `flow_id`'s resume cookie.
pub(crate) fn clear_resume_cookie(config: &Config, flow_id: Uuid) -> HeaderValue {
    cookie_header(config, &resume_cookie_name(flow_id), "", 0)
}

fn cookie_header(config: &Config, name: &str, value: &str, max_age: i64) -> HeaderValue {
    // Over https the cookie is partitioned (CHIPS) so a cross-site iframe keeps its own, keyed
    // on the embedding site; over plain http (loopback) browsers refuse `SameSite=None`, so it
    // stays same-site only (`routes::flow_sessions`).
    let site = if config.base_url().starts_with("https://") {
        "SameSite=None; Secure; Partitioned"
    } else {
        "SameSite=Strict"
    };
    let cookie =
        format!("{name}={value}; Path={RESUME_COOKIE_PATH}; Max-Age={max_age}; HttpOnly; {site}");
    // Tokens are base64url and names hex, so the value is always a valid header.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Duration;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; pf_session_ab=tok ; b=2"),
        );
        headers.append(COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie_value(&headers, "pf_session_ab"), Some("tok"));
        assert_eq!(cookie_value(&headers, "c"), Some("3"));
        assert_eq!(cookie_value(&headers, "pf_session"), None);
        headers.insert(COOKIE, HeaderValue::from_static("pf_session_ab="));
        assert_eq!(cookie_value(&headers, "pf_session_ab"), None);
    }

    #[test]
    fn resume_cookie_is_http_only_scoped_and_partitioned_over_https() {
        let now = Utc::now();
        let id = Uuid::nil();
        let config = Config::new("http://127.0.0.1:8080", "dist");
        let cookie = resume_cookie(&config, id, "tok", now + Duration::minutes(30), now);
        assert_eq!(
            cookie,
            "pf_session_00000000000000000000000000000000=tok; Path=/api/flow/sessions; \
             Max-Age=1800; HttpOnly; SameSite=Strict"
        );
        let config = Config::new("https://sandbox.example/", "dist");
        let cleared = clear_resume_cookie(&config, id);
        assert!(cleared
            .to_str()
            .unwrap()
            .ends_with("Max-Age=0; HttpOnly; SameSite=None; Secure; Partitioned"));
    }
}
