//! Test harness: a fresh in-memory database and router per test, a clock the test moves, and
//! request helpers that return what a host would see (status, headers, JSON).

#![allow(clippy::unwrap_used, dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use chrono::{Datelike as _, Duration, NaiveDate, Utc};
use http_body_util::BodyExt as _;
use payout_sandbox::{
    app, connect, ensure_default_app, ensure_organization, spawn_webhook_worker, AppState, Clock,
    CodeSender, Config, Db, SecretsKey, WebhookSettings,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt as _;

/// The public URL every test server believes it has.
pub const PUBLIC_URL: &str = "http://sandbox.test:8080";
/// The default app's credentials in tests.
pub const CLIENT_ID: &str = "pk_test_client";
/// See [`CLIENT_ID`].
pub const API_KEY: &str = "sk_test_key";
/// The organization's credentials in tests (issue 10).
pub const ORG_ID: &str = "org_test";
/// See [`ORG_ID`].
pub const ORG_KEY: &str = "ok_test_key";

/// Who a request claims to be.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// No `Authorization` header.
    None,
    /// The default app's Basic credentials.
    App,
    /// Other Basic credentials.
    Basic(&'a str, &'a str),
    /// The organization's Basic credentials.
    Org,
    /// A flow session token.
    Bearer(&'a str),
}

/// One server with its own database.
pub struct TestApp {
    pub router: Router,
    pub db: Db,
    offset_ms: Arc<AtomicI64>,
    /// The webhook worker, when the test started one ([`TestApp::with_webhooks`]).
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
    }
}

/// What came back.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not json ({e}): {:?} (status {})",
                String::from_utf8_lossy(&self.body),
                self.status
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    /// A header as text.
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// Asserts an error envelope with `status` and `code`; returns the envelope.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(
            self.header(header::CONTENT_TYPE)
                .starts_with("application/json"),
            "error is not json"
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].is_string(), "{body}");
        assert!(body["fields"].is_array(), "{body}");
        body
    }

    /// Asserts a 422 naming `field`; returns that field's message.
    #[track_caller]
    /// Every field error also carries its rule as data (`rule.code`, README "Errors").
    pub fn assert_invalid_field(&self, field: &str) -> String {
        let rule = self.assert_invalid_rule(field);
        assert!(rule["code"].is_string(), "{field}: no rule code in {rule}");
        let body = self.json();
        let fields = body["fields"].as_array().unwrap();
        fields
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{field} not named in {body}"))["message"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A 422 naming `field`: the `rule` object of its field error (`{"code":"digits",...}`).
    pub fn assert_invalid_rule(&self, field: &str) -> Value {
        let body = self.assert_error(422, "invalid_request");
        let fields = body["fields"].as_array().unwrap();
        fields
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{field} not named in {body}"))["rule"]
            .clone()
    }
}

impl TestApp {
    /// A server with the default config (assets in a directory that does not exist).
    pub async fn new() -> Self {
        Self::with_config(|c| c).await
    }

    /// A server whose config `edit` adjusts.
    pub async fn with_config(edit: impl FnOnce(Config) -> Config) -> Self {
        let db = fresh_db().await;
        ensure_test_credentials(&db).await;
        let no_assets = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dist");
        let config = edit(Config::new(PUBLIC_URL, no_assets));
        Self::over(db, config)
    }

    /// A server whose database takes many connections that really race: a fresh SQLite file
    /// (WAL) under cargo's temporary directory, or a fresh PostgreSQL database when
    /// [`POSTGRES_ENV`] is set.
    pub async fn with_file_db() -> Self {
        let db = if std::env::var(POSTGRES_ENV).is_ok() {
            fresh_db().await
        } else {
            let path = temp_dir().join("sandbox.sqlite");
            connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap()
        };
        ensure_test_credentials(&db).await;
        let no_assets = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dist");
        Self::over(db, Config::new(PUBLIC_URL, no_assets))
    }

    /// A server with the default config that sends sign-in codes with `sender`.
    pub async fn with_code_sender(sender: impl CodeSender) -> Self {
        let db = fresh_db().await;
        ensure_test_credentials(&db).await;
        let no_assets = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dist");
        Self::over_with(db, Config::new(PUBLIC_URL, no_assets), |state| {
            state.with_code_sender(sender)
        })
    }

    /// A server over an existing database.
    pub fn over(db: Db, config: Config) -> Self {
        Self::over_with(db, config, |state| state)
    }

    /// A server over an existing database, its state adjusted by `edit`.
    pub fn over_with(db: Db, config: Config, edit: impl FnOnce(AppState) -> AppState) -> Self {
        let offset_ms = Arc::new(AtomicI64::new(0));
        let offset = offset_ms.clone();
        let clock = Clock::from_fn(move || {
            Utc::now() + Duration::milliseconds(offset.load(Ordering::SeqCst))
        });
        let state = edit(AppState::new(db.clone(), config).with_clock(clock));
        Self {
            router: app(state),
            db,
            offset_ms,
            worker: None,
        }
    }

    /// A server whose webhook worker runs, delivering as `settings` says (issue 10).
    pub async fn with_webhooks(settings: WebhookSettings) -> Self {
        let db = fresh_db().await;
        ensure_test_credentials(&db).await;
        let no_assets = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dist");
        Self::webhooks_over(
            db,
            Config::new(PUBLIC_URL, no_assets).with_webhooks(settings),
        )
    }

    /// [`TestApp::with_webhooks`] with secrets key `key`: what another process on the same
    /// database must share.
    pub async fn with_webhooks_keyed(settings: WebhookSettings, key: SecretsKey) -> Self {
        let db = fresh_db().await;
        ensure_test_credentials(&db).await;
        let no_assets = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dist");
        Self::webhooks_over(
            db,
            Config::new(PUBLIC_URL, no_assets)
                .with_webhooks(settings)
                .with_secrets_key(key),
        )
    }

    /// A server over an existing database whose webhook worker runs as `config` says (its
    /// clock, the worker's too, moved by [`TestApp::advance`]).
    pub fn webhooks_over(db: Db, config: Config) -> Self {
        let mut worker = None;
        let mut app = Self::over_with(db, config, |state| {
            worker = Some(spawn_webhook_worker(&state));
            state
        });
        app.worker = worker;
        app
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Sends a request.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        self.send_from(None, method, path, auth, headers, body)
            .await
    }

    /// [`TestApp::send`] as if from the client at `peer` (what `axum::serve` with connect info
    /// hands the rate limiter); `None`: no peer address, as in-process requests have.
    pub async fn send_from(
        &self,
        peer: Option<std::net::SocketAddr>,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        let mut req = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::App => req = req.header(header::AUTHORIZATION, basic(CLIENT_ID, API_KEY)),
            Auth::Org => req = req.header(header::AUTHORIZATION, basic(ORG_ID, ORG_KEY)),
            Auth::Basic(user, password) => {
                req = req.header(header::AUTHORIZATION, basic(user, password))
            }
            Auth::Bearer(token) => {
                req = req.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let mut req = match body {
            Some((content_type, bytes)) => req
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, auth: Auth<'_>) -> TestResponse {
        self.send(Method::GET, path, auth, &[], None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, auth: Auth<'_>, body: Value) -> TestResponse {
        self.post_raw(path, auth, "application/json", &body.to_string())
            .await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, auth: Auth<'_>, body: Value) -> TestResponse {
        let body = body.to_string().into_bytes();
        self.send(
            Method::PATCH,
            path,
            auth,
            &[],
            Some(("application/json", body)),
        )
        .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str, auth: Auth<'_>) -> TestResponse {
        self.send(Method::DELETE, path, auth, &[], None).await
    }

    /// `POST path` with no body.
    pub async fn post_empty(&self, path: &str, auth: Auth<'_>) -> TestResponse {
        self.send(Method::POST, path, auth, &[], None).await
    }

    /// `POST path` with any body.
    pub async fn post_raw(
        &self,
        path: &str,
        auth: Auth<'_>,
        content_type: &str,
        body: &str,
    ) -> TestResponse {
        self.send(
            Method::POST,
            path,
            auth,
            &[],
            Some((content_type, body.as_bytes().to_vec())),
        )
        .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, auth: Auth<'_>, body: Value) -> TestResponse {
        self.put_raw(
            path,
            auth,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    }

    /// `PUT path` with any body.
    pub async fn put_raw(
        &self,
        path: &str,
        auth: Auth<'_>,
        content_type: &str,
        body: Vec<u8>,
    ) -> TestResponse {
        self.send(Method::PUT, path, auth, &[], Some((content_type, body)))
            .await
    }

    /// Creates a user from `body` (a `POST /api/v2/users` body) and returns the user JSON.
    pub async fn create_user_from(&self, body: Value) -> Value {
        let res = self.post("/api/v2/users", Auth::App, body).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    /// `POST /api/flow/sessions` for `flow_id`, sending `cookie` (a `Cookie` header value).
    pub async fn post_session_with_cookie(&self, flow_id: &Value, cookie: &str) -> TestResponse {
        let body = json!({"flow_id": flow_id}).to_string().into_bytes();
        self.send(
            Method::POST,
            "/api/flow/sessions",
            Auth::None,
            &[("cookie", cookie)],
            Some(("application/json", body)),
        )
        .await
    }

    /// Asks for a sign-in code to `country_code` `phone_number` with session `token`.
    pub async fn ask_code(
        &self,
        token: &str,
        country_code: &str,
        phone_number: &str,
    ) -> TestResponse {
        self.post(
            "/api/flow/auth/code",
            Auth::Bearer(token),
            json!({"country_code": country_code, "phone_number": phone_number}),
        )
        .await
    }

    /// Sends `code` to `POST /api/flow/auth/verify` with session `token`.
    pub async fn verify_code(&self, token: &str, code: &str) -> TestResponse {
        self.post(
            "/api/flow/auth/verify",
            Auth::Bearer(token),
            json!({"code": code}),
        )
        .await
    }

    /// Signs a fresh session of `flow_id` in with Bob's phone and the sandbox code; returns the
    /// token. The flow must be for Bob or for nobody, and Bob must exist.
    pub async fn sign_in_as_bob(&self, flow_id: &Value) -> String {
        let session = self.create_session(flow_id, None).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let res = self.ask_code(&token, "1", "4154332334").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = self.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "signed_in");
        token
    }

    /// A flow of `steps` for a new user created from `user` (a `POST /api/v2/users` body), and
    /// a pre-authenticated session token for it: `(flow, user, token)`.
    pub async fn signed_in_flow(&self, steps: Value, user: Value) -> (Value, Value, String) {
        let user = self.create_user_from(user).await;
        let flow = self
            .create_flow(json!({"steps": steps, "user_id": user["id"]}))
            .await;
        let session = self.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], true);
        let token = session["token"].as_str().unwrap().to_owned();
        (flow, user, token)
    }

    /// A new app of the organization named `name`: its answer, `api_key` included.
    pub async fn make_app(&self, name: &str) -> MadeApp {
        MadeApp(ok(self
            .post("/api/v2/apps", Auth::Org, json!({"name": name}))
            .await))
    }

    /// Creates Bob (seed 004) and returns the user JSON.
    pub async fn create_user(&self) -> Value {
        let res = self.post("/api/v2/users", Auth::App, bob()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    /// Creates a flow from `body` and returns the flow JSON.
    pub async fn create_flow(&self, body: Value) -> Value {
        let res = self.post("/api/v2/flows", Auth::App, body).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    /// A redirect-only flow for a new user, pre-authenticated.
    pub async fn create_redirect_flow(&self) -> Value {
        let user = self.create_user().await;
        self.create_flow(json!({
            "steps": [{"name": "redirect", "redirect_url": "https://host.example/done"}],
            "user_id": user["id"],
        }))
        .await
    }

    /// Mints a session for `flow_id`; returns the session JSON.
    pub async fn create_session(&self, flow_id: &Value, host_origin: Option<&str>) -> Value {
        let res = self
            .post(
                "/api/flow/sessions",
                Auth::None,
                json!({"flow_id": flow_id, "host_origin": host_origin}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }
}

/// A second app's credentials (made with `ensure_default_app(&db, Some(("pk_other",
/// "sk_other")))`).
pub const OTHER: Auth<'static> = Auth::Basic("pk_other", "sk_other");

/// The JSON of a 200 response; panics with the body otherwise.
#[track_caller]
pub fn ok(res: TestResponse) -> Value {
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// The `id` of an object answered.
pub fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// Gives a fresh database the tests' organization and default app credentials.
pub async fn ensure_test_credentials(db: &Db) {
    ensure_organization(db, Some((ORG_ID, ORG_KEY)))
        .await
        .unwrap();
    ensure_default_app(db, Some((CLIENT_ID, API_KEY)))
        .await
        .unwrap();
}

/// The environment variable that runs the suite on PostgreSQL instead of SQLite: a URL of an
/// existing database whose user may `CREATE DATABASE` (each test gets its own).
pub const POSTGRES_ENV: &str = "PAYOUT_SANDBOX_TEST_POSTGRES";

/// A fresh, migrated, empty database: in-memory SQLite, or a new PostgreSQL database when
/// [`POSTGRES_ENV`] is set.
pub async fn fresh_db() -> Db {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        return connect("sqlite::memory:").await.unwrap();
    };
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let name = format!("sandbox_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    connect(&format!("{base}/{name}")).await.unwrap()
}

/// Seed 004's "Create a User" request.
pub fn bob() -> Value {
    json!({
        "first_name": "Bob", "last_name": "Loblaw", "email": "bob@bobloblaw.com",
        "country_code": "1", "phone_number": "4154332334",
        "metadata": {"internal_id": "user_121344"}
    })
}

/// An `Authorization: Basic` value.
pub fn basic(user: &str, password: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    format!("Basic {}", engine.encode(format!("{user}:{password}")))
}

/// A fresh directory under cargo's temporary directory for integration tests.
pub fn temp_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("payout-sandbox-tests")
        .join(uuid::Uuid::new_v4().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A SQLite database file in a new [`temp_dir`] as an older sandbox left it: migrations before
/// `version` only. Its directory, URL and a pool of one connection (a `PRAGMA` set on it holds
/// for every statement); the test writes its old rows, closes the pool, then opens the URL with
/// [`payout_sandbox::connect`], which brings it up to date.
pub async fn database_before(version: i64) -> (PathBuf, String, sqlx::AnyPool) {
    let dir = temp_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("old.sqlite").display());
    sqlx::any::install_default_drivers();
    let old = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let mut migrator =
        sqlx::migrate::Migrator::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
            .await
            .unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator.run(&old).await.unwrap();
    (dir, url, old)
}

/// Removes a [`temp_dir`], as far as it can: a request for an asset without fresh compressed
/// copies has them written in the background (`assets::compress_later`), which may still be
/// adding a file while the directory is removed. What is left stays under the target directory.
pub fn remove_temp_dir(dir: impl AsRef<Path>) {
    let _ = std::fs::remove_dir_all(dir);
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Account `a`'s credits less its debits.
pub const SUM_OF_TRANSACTIONS: &str =
    "(COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.destination = a.id), 0) \
     - COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.source = a.id), 0))";

/// Account `a`'s balance: stored, or for an external account (which keeps none, issue 10) the
/// sum of its transactions.
pub const BALANCE: &str = "CASE WHEN a.kind = 'external' THEN \
     (COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.destination = a.id), 0) \
     - COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.source = a.id), 0)) \
     ELSE a.balance END";

/// The ledger's invariants, checked at the end of every money test:
/// - the balances of all accounts sum to 0 (money is only moved, never made or lost), an
///   external account's being the sum of its transactions ([`BALANCE`]);
/// - no app, user, fees or hold account is negative (only `external:` ones may be);
/// - external accounts keep no stored balance (issue 10), and every other account's stored
///   balance is its credits less its debits in `transactions`;
/// - every transaction moves a positive amount between two different accounts.
pub async fn assert_ledger_invariants(db: &Db) {
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COALESCE(SUM({BALANCE}), 0) AS BIGINT) FROM accounts a"
    ))
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(total, 0, "the balances do not sum to 0");
    let negative: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, balance FROM accounts WHERE kind <> 'external' AND balance < 0")
            .fetch_all(db)
            .await
            .unwrap();
    assert!(negative.is_empty(), "negative balances: {negative:?}");
    let stored: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE kind = 'external' AND balance <> 0",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(stored, 0, "an external account keeps a stored balance");
    let mismatched: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT a.id, a.balance, CAST({SUM_OF_TRANSACTIONS} AS BIGINT) FROM accounts a \
         WHERE a.kind <> 'external'"
    ))
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .filter(|(_, balance, sum): &(String, i64, i64)| balance != sum)
    .collect();
    assert!(
        mismatched.is_empty(),
        "balances that are not the sum of their transactions (id, balance, sum): {mismatched:?}"
    );
    let bad: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transactions WHERE amount <= 0 OR source = destination",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(
        bad, 0,
        "transactions of a non-positive amount or to themselves"
    );
    // What the sums above cannot see (review: a status change applied twice moves real money
    // between accounts and still sums to 0): a transfer is in the status its history ends
    // with, and a user's hold holds exactly their payouts still on their way.
    let statuses: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT t.id, t.status, (SELECT c.status FROM transfer_status_changes c \
         WHERE c.transfer_id = t.id ORDER BY c.position DESC LIMIT 1) FROM transfers t",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let astray: Vec<_> = statuses
        .iter()
        .filter(|(_, status, last)| last.as_deref() != Some(status.as_str()))
        .collect();
    assert!(
        astray.is_empty(),
        "transfers whose status is not the last of their history (id, status, last): {astray:?}"
    );
    let holds: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.balance, CAST(COALESCE((SELECT SUM(x.amount) FROM transactions x \
         JOIN transfers t ON t.id = x.transfer_id WHERE x.destination = a.id \
         AND x.kind = 'payout' AND t.status IN ('pending', 'flagged')), 0) AS BIGINT) \
         FROM accounts a WHERE a.id LIKE 'hold:%'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let off: Vec<_> = holds.iter().filter(|(_, held, due)| held != due).collect();
    assert!(
        off.is_empty(),
        "holds that are not their payouts on the way (id, balance, pending payouts): {off:?}"
    );
    // And an app's link hold holds exactly its links no one has claimed yet, and its links'
    // fee reserves (migration 0023).
    let link_holds: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.balance, CAST(COALESCE((SELECT SUM(CASE WHEN l.status IN \
         ('created', 'delivered') THEN l.amount ELSE 0 END + l.fee_reserve) FROM payout_links l \
         WHERE 'linkhold:' || l.app_id = a.id), 0) AS BIGINT) \
         FROM accounts a WHERE a.id LIKE 'linkhold:%'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let off: Vec<_> = link_holds
        .iter()
        .filter(|(_, held, due)| held != due)
        .collect();
    assert!(
        off.is_empty(),
        "link holds that are not their unclaimed links and fee reserves (id, balance, due): {off:?}"
    );
    // A link paid or closed keeps no fee reserve; one that has a reserve keeps at most the
    // most a rail charges for its amount (2% up to $20.00, or 25¢).
    let reserves: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, status, amount, fee_reserve FROM payout_links WHERE fee_reserve > 0",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let off: Vec<_> = reserves
        .iter()
        .filter(|(_, status, amount, reserve)| {
            !matches!(status.as_str(), "created" | "delivered" | "claimed")
                || *reserve > ((amount * 2 + 99) / 100).clamp(25, 2_000)
        })
        .collect();
    assert!(
        off.is_empty(),
        "fee reserves of links paid or closed, or above any rail's fee: {off:?}"
    );
}

/// `YYYY-MM-DD` of the day `years` years before today (the 28th for a 29 February): dates of
/// birth are computed, so an adult stays an adult and a minor a minor whenever the tests run.
pub fn born_years_ago(years: i32) -> String {
    let today = Utc::now().date_naive();
    let year = today.year() - years;
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), 28))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

/// The date of birth the tests' tax details carry: 30 years ago today.
pub fn adult_dob() -> String {
    born_years_ago(30)
}

/// Another adult's date of birth (40 years ago today), where a test needs one that differs
/// from [`adult_dob`].
pub fn other_adult_dob() -> String {
    born_years_ago(40)
}

/// Whether the tests run on PostgreSQL ([`POSTGRES_ENV`]).
pub fn on_postgres() -> bool {
    std::env::var(POSTGRES_ENV).is_ok()
}

/// Waits until a session of `db`'s database waits for a lock (PostgreSQL), at most 30 s: a
/// request that never does fails the test rather than hanging it.
pub async fn until_a_lock_waiter(db: &Db) {
    until_lock_waiters(db, 1).await;
}

/// How many sessions of `db`'s database wait for a lock (PostgreSQL).
pub async fn lock_waiters(db: &Db) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE NOT l.granted AND a.datname = current_database()",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// The advisory lock `db::begin_write` takes on PostgreSQL ("payw").
pub const WRITE_LOCK: i64 = 0x7061_7977;

/// The advisory lock every webhook claim takes on PostgreSQL (`webhooks::CLAIM_LOCK`).
pub const CLAIM_LOCK: i64 = 0x7066_7768;

/// A transaction of `db` holding advisory lock `lock` (PostgreSQL) until it ends: what the
/// sandbox's writers or claims wait for meanwhile.
pub async fn holding(db: &Db, lock: i64) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut tx = db.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Waits until `count` sessions of `db`'s database wait for a lock (PostgreSQL), at most 30 s.
pub async fn until_lock_waiters(db: &Db, count: i64) {
    let waiting = async {
        while lock_waiters(db).await < count {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), waiting)
        .await
        .expect("no request waited for the lock held");
}

/// An app made by [`TestApp::make_app`]: its answer (`id`, `client_id`, `api_key`, …).
pub struct MadeApp(pub Value);

impl MadeApp {
    /// Its own Basic credentials.
    pub fn auth(&self) -> Auth<'_> {
        Auth::Basic(
            self.0["client_id"].as_str().unwrap(),
            self.0["api_key"].as_str().unwrap(),
        )
    }
}

/// The lines the sandbox binary `child` (its stdout piped) prints up to `listening: …`; then
/// it is stopped.
pub fn lines_until_listening(mut child: std::process::Child) -> Vec<String> {
    use std::io::BufRead as _;
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("listening: ");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}
