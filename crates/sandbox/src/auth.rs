//! Who is calling: [`HostApp`] for the host API (HTTP Basic `client_id:api_key`, seed 004
//! "Authentication"; or the organization's `org_id:org_key` with `Api-App-Id: <app id>`, acting
//! as that app), [`Organization`] for the organization's endpoints (`/api/v2/apps`, issue 10),
//! [`FlowSession`] for the flow-facing API (a bearer token minted by `POST /api/flow/sessions`),
//! and [`FlowUser`] for flow-facing endpoints that act for the signed-in user. All reject with
//! the error envelope (401s without a challenge: see [`crate::error`]); none ever logs what it
//! was given.
//!
//! [`AppKeyCache`] remembers app credentials that matched, for 30 s and never past the key's
//! expiry, so a host's requests skip the key lookup (issue 10, throughput).
//!
//! [`FlowUser::permit`] is the one guard of every flow-facing endpoint that acts on the user's
//! data (issue 8): the flow's current step must own the action (`payout_model::capability`),
//! else 403 `step_not_allowed`.

use crate::error::Error;
use crate::secret::sha256_hex;
use crate::service::steps::route_state;
use crate::state::AppState;
use crate::store::sessions::{find_session, keep_alive};
use axum::extract::FromRequestParts;
use axum::http::header::{HeaderName, AUTHORIZATION};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use payout_model::{FlowAction, FlowState};
use uuid::Uuid;

/// The header naming the app the organization acts as (seed 004, "Create App").
pub(crate) const API_APP_ID: HeaderName = HeaderName::from_static("api-app-id");

/// The app a host request acts as: the app whose credentials it carries, or the app its
/// `Api-App-Id` header names when it carries the organization's (issue 10).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostApp {
    /// The app's id.
    pub id: Uuid,
}

impl FromRequestParts<AppState> for HostApp {
    type Rejection = Error;

    /// - an app's credentials: that app; with an `Api-App-Id` naming another app, 403 (an
    ///   app's credentials never reach another app's objects);
    /// - the organization's: the app `Api-App-Id` names, 404 when it names none of the
    ///   organization's, 403 without the header;
    /// - anything else: 401.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let (user, key) = basic_credentials(&parts.headers).ok_or(Error::Unauthorized)?;
        // A header that is not text names no app (404 below), never a missing one.
        let named = parts
            .headers
            .get(API_APP_ID)
            .map(|value| value.to_str().map(str::trim).unwrap_or_default());
        if let Some(id) = state.app_keys.authenticate(state, &user, &key).await? {
            if named.is_some_and(|named| Uuid::try_parse(named).ok() != Some(id)) {
                return Err(Error::Forbidden(
                    "app credentials act only for their own app: drop the Api-App-Id header, \
                     or use the organization's credentials"
                        .to_owned(),
                ));
            }
            return Ok(HostApp { id });
        }
        let Some(organization) =
            crate::store::organization::authenticate(&state.db, &user, &key).await?
        else {
            return Err(Error::Unauthorized);
        };
        let named = named.ok_or_else(|| {
            Error::Forbidden(
                "organization credentials act for one of its apps: name it in the Api-App-Id \
                 header"
                    .to_owned(),
            )
        })?;
        let no_such_app =
            || Error::NotFound("no such app: Api-App-Id names no app of this organization".into());
        let id = Uuid::try_parse(named).map_err(|_| no_such_app())?;
        if !crate::store::apps::belongs_to(&state.db, &organization, id).await? {
            return Err(no_such_app());
        }
        Ok(HostApp { id })
    }
}

/// The organization, authenticated by its Basic credentials `org_id:org_key` (issue 10): it
/// manages its apps. An app's credentials get 403, anything else 401.
#[derive(Clone, Debug)]
pub(crate) struct Organization {
    /// The organization's id.
    pub id: String,
}

impl FromRequestParts<AppState> for Organization {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let (user, key) =
            basic_credentials(&parts.headers).ok_or(Error::OrganizationUnauthorized)?;
        if let Some(id) = crate::store::organization::authenticate(&state.db, &user, &key).await? {
            return Ok(Organization { id });
        }
        if state
            .app_keys
            .authenticate(state, &user, &key)
            .await?
            .is_some()
        {
            return Err(Error::Forbidden(
                "app credentials cannot manage apps: use the organization's credentials".into(),
            ));
        }
        Err(Error::OrganizationUnauthorized)
    }
}

/// Credentials that authenticated an app recently, so a host's next request skips the database
/// and the key hashing: each entry is keyed by a digest of `client_id` and `api_key` under a
/// secret drawn at start (neither is kept), and lives [`AppKeyCache::TTL`] by the sandbox's
/// clock, never past the key's own expiry (a rotated-out key stops on time). Only credentials
/// that matched are kept, so wrong guesses cannot grow it; it is emptied when it reaches
/// [`AppKeyCache::CAPACITY`]. A rotation keeps the old key 24 hours unless it says less, and one
/// that says less forgets the app's entries ([`AppKeyCache::forget_app`]); the other early
/// revocation is a start given a new `PAYOUT_SANDBOX_API_KEY` (`store::apps::ensure_default_app`),
/// which starts with an empty cache. Either way, another process already serving the same
/// PostgreSQL database keeps honouring the ended key for what is left of its entry, at most
/// [`AppKeyCache::TTL`] (README, "Credentials" and "Organization and apps").
pub(crate) struct AppKeyCache {
    secret: [u8; 32],
    entries: std::sync::Mutex<Entries>,
}

/// The matches remembered, and how many times they were forgotten: a lookup that began before
/// a [`AppKeyCache::forget_app`] remembers nothing (it may have seen a key that has ended).
#[derive(Default)]
struct Entries {
    matched: std::collections::HashMap<Digest, (Uuid, DateTime<Utc>)>,
    forgotten: u64,
}

/// A keyed digest of a `client_id` and `api_key`.
type Digest = [u8; 32];

impl Default for AppKeyCache {
    fn default() -> Self {
        use rand::RngCore as _;
        let mut secret = [0; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self {
            secret,
            entries: std::sync::Mutex::default(),
        }
    }
}

impl std::fmt::Debug for AppKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKeyCache(<redacted>)")
    }
}

impl AppKeyCache {
    /// How long a match is trusted without asking the database again.
    const TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
    /// Entries kept at most.
    const CAPACITY: usize = 10_000;

    fn digest(&self, client_id: &str, api_key: &str) -> Digest {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.secret);
        hasher.update((client_id.len() as u64).to_be_bytes());
        hasher.update(client_id.as_bytes());
        hasher.update(api_key.as_bytes());
        hasher.finalize().into()
    }

    /// Forgets every match of app `app_id`'s keys, so the next request with any of them asks
    /// the database: after a rotation that ended the app's other keys sooner than
    /// [`crate::store::apps::KEY_OVERLAP`].
    pub(crate) fn forget_app(&self, app_id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.matched.retain(|_, (app, _)| *app != app_id);
            entries.forgotten += 1;
        }
    }

    /// The app these credentials are live for at the state's time, if any.
    pub(crate) async fn authenticate(
        &self,
        state: &AppState,
        client_id: &str,
        api_key: &str,
    ) -> Result<Option<Uuid>, Error> {
        let now = state.clock.now();
        let digest = self.digest(client_id, api_key);
        let mut forgotten = None;
        if let Ok(entries) = self.entries.lock() {
            if let Some(&(app_id, until)) = entries.matched.get(&digest) {
                if now < until {
                    return Ok(Some(app_id));
                }
            }
            forgotten = Some(entries.forgotten);
        }
        let Some(found) =
            crate::store::apps::authenticate(&state.db, client_id, api_key, now).await?
        else {
            return Ok(None);
        };
        let until = found
            .key_expires_at
            .map_or(now + Self::TTL, |expires| expires.min(now + Self::TTL));
        self.remember(digest, found.app_id, until, forgotten);
        Ok(Some(found.app_id))
    }

    /// Remembers a match of app `app_id` until `until`, unless the cache forgot matches since
    /// `forgotten` was read (before the lookup): a rotation that ended keys early committed
    /// during the lookup, and what it saw may be one of them (review); it is looked up again
    /// next time.
    fn remember(&self, digest: Digest, app_id: Uuid, until: DateTime<Utc>, forgotten: Option<u64>) {
        if let Ok(mut entries) = self.entries.lock() {
            if Some(entries.forgotten) != forgotten {
                return;
            }
            if entries.matched.len() >= Self::CAPACITY {
                entries.matched.clear();
            }
            entries.matched.insert(digest, (app_id, until));
        }
    }
}

/// `(user, password)` of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = auth_param(headers, "basic")?;
    let engine = &base64::engine::general_purpose::STANDARD;
    let decoded = engine.decode(encoded).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    // No client or organization id holds one, and PostgreSQL refuses a NUL in a query's text
    // (a 500 where a wrong credential is a 401).
    if user.chars().any(char::is_control) {
        return None;
    }
    Some((user.to_owned(), password.to_owned()))
}

/// The credentials after `scheme` (matched case-insensitively) in the `Authorization` header.
fn auth_param<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (given, param) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| param.trim())
        .filter(|p| !p.is_empty())
}

/// A live flow session, from `Authorization: Bearer <token>`. Its `Debug` leaves the token out.
#[derive(Clone)]
pub(crate) struct FlowSession {
    /// The bearer token itself (sign-in puts it in the resume cookie, issue 3).
    pub token: String,
    /// sha256 of the token: the session's key in `flow_sessions`.
    pub token_hash: String,
    /// When the token stops working unless a request keeps it alive.
    pub expires_at: DateTime<Utc>,
    /// When the token stops working however busy (the resume cookie's lifetime).
    pub ends_at: DateTime<Utc>,
    /// The flow the session is scoped to.
    pub flow_id: Uuid,
    /// The app the flow belongs to.
    pub app_id: Uuid,
    /// Whether the session acts for a user (else sign-in comes first).
    pub authenticated: bool,
    /// The user the session acts for, once authenticated.
    pub user_id: Option<Uuid>,
}

impl FromRequestParts<AppState> for FlowSession {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = auth_param(&parts.headers, "bearer").ok_or(Error::InvalidToken)?;
        let token_hash = sha256_hex(token);
        let stored = find_session(&state.db, &token_hash)
            .await?
            .ok_or(Error::InvalidToken)?;
        let now = state.clock.now();
        if now >= stored.expires_at {
            return Err(Error::SessionExpired);
        }
        // A session in use stays alive (store::sessions::keep_alive).
        let expires_at = keep_alive(
            &state.db,
            &token_hash,
            stored.expires_at,
            stored.ends_at,
            now,
        )
        .await;
        Ok(FlowSession {
            token: token.to_owned(),
            token_hash,
            expires_at,
            ends_at: stored.ends_at,
            flow_id: stored.flow_id,
            app_id: stored.app_id,
            authenticated: stored.authenticated,
            user_id: stored.user_id,
        })
    }
}

impl std::fmt::Debug for FlowSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowSession")
            .field("flow_id", &self.flow_id)
            .field("app_id", &self.app_id)
            .field("authenticated", &self.authenticated)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl FlowSession {
    /// The signed-in user, or 403 `forbidden` "sign in to continue".
    pub(crate) fn signed_in(&self) -> Result<FlowUser, Error> {
        match (self.authenticated, self.user_id) {
            (true, Some(user_id)) => Ok(FlowUser {
                flow_id: self.flow_id,
                app_id: self.app_id,
                user_id,
            }),
            _ => Err(Error::Refused(payout_model::Reason::SignInRequired)),
        }
    }
}

/// A live, authenticated flow session: the flow-facing endpoints that touch the user's money
/// and payout methods act for this user only, within the flow's app.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowUser {
    /// The flow the session is scoped to.
    pub flow_id: Uuid,
    /// The app the flow belongs to.
    pub app_id: Uuid,
    /// The signed-in user.
    pub user_id: Uuid,
}

impl FlowUser {
    /// The guard of every flow-facing endpoint that acts on the user's data (issue 8): reads
    /// the session's flow and answers it when the flow may take `action` now
    /// ([`FlowState::permits`]: a step of the flow owns it, for a write that step is the
    /// current one and the flow is not complete, or the settings page a complete flow keeps,
    /// [`FlowState::kept_step`]); otherwise 403 `step_not_allowed` naming the
    /// step. Call it first, before anything is read or written.
    pub(crate) async fn permit(
        &self,
        state: &AppState,
        action: FlowAction,
    ) -> Result<FlowState, Error> {
        let flow = route_state(&state.db, self.flow_id, state.clock.now()).await?;
        flow.permits(action).map_err(Error::StepNotAllowed)?;
        Ok(flow)
    }
}

impl FromRequestParts<AppState> for FlowUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        FlowSession::from_request_parts(parts, state)
            .await?
            .signed_in()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    /// Review: a lookup that saw a key live just before a rotation ended it, and remembered
    /// the match just after the rotation forgot the app's matches, kept the ended key working
    /// in this process for up to 30 s. A match found across a forgetting is not remembered.
    #[test]
    fn a_match_found_across_a_forgetting_is_not_remembered() {
        let cache = AppKeyCache::default();
        let (app, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let until = Utc::now() + chrono::TimeDelta::seconds(30);
        let seen = |cache: &AppKeyCache| cache.entries.lock().unwrap().forgotten;
        let before = seen(&cache);
        cache.remember(cache.digest("pk", "sk_old"), app, until, Some(before));
        let lookup_began = seen(&cache);
        cache.forget_app(app);
        cache.remember(
            cache.digest("pk", "sk_leaked"),
            app,
            until,
            Some(lookup_began),
        );
        cache.remember(cache.digest("pk2", "sk"), other, until, Some(seen(&cache)));
        let entries = cache.entries.lock().unwrap();
        assert!(!entries.matched.contains_key(&cache.digest("pk", "sk_old")));
        assert!(!entries
            .matched
            .contains_key(&cache.digest("pk", "sk_leaked")));
        assert!(entries.matched.contains_key(&cache.digest("pk2", "sk")));
    }

    #[test]
    fn reads_basic_credentials_splitting_at_the_first_colon() {
        // base64("pk_1:sk:2")
        let h = headers("Basic cGtfMTpzazoy");
        assert_eq!(
            basic_credentials(&h),
            Some(("pk_1".to_owned(), "sk:2".to_owned()))
        );
        assert_eq!(
            basic_credentials(&headers("basic cGtfMTpzazoy")).unwrap().0,
            "pk_1"
        );
    }

    #[test]
    fn ignores_other_schemes_and_garbage() {
        assert_eq!(basic_credentials(&headers("Bearer cGtfMTpzazoy")), None);
        assert_eq!(basic_credentials(&headers("Basic !!!")), None);
        assert_eq!(basic_credentials(&headers("Basic")), None);
        assert_eq!(auth_param(&headers("Bearer  tok "), "bearer"), Some("tok"));
    }
}
