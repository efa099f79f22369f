//! `payout-e2e`: the harness for end-to-end tests of payout-flows. It owns starting the real
//! parts on loopback — the sandbox API server (in-process, on a real socket, with a fresh SQLite
//! file), a host page server on another origin, and Chromium driven through chromedriver — and
//! the host-side REST calls the tests make, the form filling several tests share, and what a
//! screen is checked with (issue 12): axe-core ([`Browser::assert_accessible`]), the phone fit
//! ([`Browser::assert_fits_phone`]) and the keyboard ([`Browser::press`], [`Browser::tab_to`]).
//! The tests themselves live in `tests/`.
//!
//! The built app is taken from `PAYOUT_E2E_DIST` (the test command builds it with trunk first),
//! so these tests catch a broken release build, which wasm-bindgen-test cannot.
//!
//! **No CSP violation, ever** (issue 8): every browser records Content-Security-Policy
//! violations from before any page script runs (a `securitypolicyviolation` listener installed
//! with CDP `Page.addScriptToEvaluateOnNewDocument`), and [`Browser::close`] fails the test if
//! the page, any frame in it, or the browser's console log saw one. It holds with or without a
//! CSP header: without one, nothing can violate it.

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::http::{header, Method, Request};
use base64::Engine as _;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use payout_model::endpoint::{self as ep, Endpoint, Info};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long a test waits for something a user would see before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A scratch directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(prefix: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A date of birth `years` ago today (`YYYY-MM-DD`; Feb 29 becomes Feb 28 in a common year),
/// so an adult stays an adult and a minor a minor whenever the tests run.
pub fn born_years_ago(years: i32) -> String {
    use chrono::Datelike as _;
    let today = chrono::Utc::now().date_naive();
    let year = today.year() - years;
    chrono::NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, today.month(), 28))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A 1×1 PNG: a picture the sandbox and the browser both accept as an ID photo.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x04, 0x00, 0x00, 0x00, 0xB5, 0x1C, 0x0C,
    0x02, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0x00, 0x00,
    0x00, 0x06, 0x00, 0x02, 0x30, 0x81, 0xD0, 0x2F, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

/// The first of `strings` that shows `secret` whole, in any spelling: its letters and digits
/// in order with anything else between them (dashes, spaces, dots, a `+1` before a phone
/// number all count as showing it).
pub fn shows_whole<'a>(strings: &'a [String], secret: &str) -> Option<&'a String> {
    let plain = |s: &str| -> String { s.chars().filter(char::is_ascii_alphanumeric).collect() };
    let secret = plain(secret);
    strings.iter().find(|s| plain(s).contains(&secret))
}

/// The trunk-built app: `PAYOUT_E2E_DIST`, else `dist/` at the workspace root.
pub fn dist_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("PAYOUT_E2E_DIST") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist"),
    };
    if !dir.join("index.html").is_file() {
        bail!(
            "no built app at {} (run `trunk build --release` first, or the README test command)",
            dir.display()
        );
    }
    Ok(dir)
}

async fn bind_loopback(ip: &str) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(format!("{ip}:0")).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// A running sandbox with its own database and the default app's credentials.
pub struct Sandbox {
    /// `http://127.0.0.1:<port>`: the origin of every flow link.
    pub base: String,
    /// The default app's client id.
    pub client_id: String,
    /// The default app's API key.
    pub api_key: String,
    /// While set, the next `POST /api/flow/payouts` is processed by the sandbox but its
    /// response is cut off mid-body, as a dropped connection would: the browser sees a network
    /// error although the payout was made.
    pub drop_next_payout_response: Arc<AtomicBool>,
    /// How many `POST /api/flow/payouts` requests have reached the sandbox: what the browser
    /// really sent, whatever the server then made of them.
    pub payout_requests: Arc<AtomicUsize>,
    /// While set, every `POST /api/flow/sessions` answer names this `host_origin` instead of
    /// the one the sandbox allowed: the flow then believes its host is there (tests of the
    /// window messages' target origin).
    pub echo_host_origin: Arc<Mutex<Option<String>>>,
    clock_offset_ms: Arc<AtomicI64>,
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
    server: Server,
    /// The binary's stdout lines after `listening:` ([`Sandbox::printed`]).
    stdout: Option<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<String>>>,
    _data: Option<TempDir>,
}

/// Where a [`Sandbox`] runs.
enum Server {
    /// In this process, on a real socket ([`Sandbox::start`]).
    InProcess(JoinHandle<()>),
    /// The `payout-sandbox` binary ([`Sandbox::start_binary`]).
    Process(Child),
}

/// How to start the `payout-sandbox` binary ([`Sandbox::start_binary`]).
#[derive(Clone, Debug)]
pub struct BinaryOptions {
    /// `--database`: a `sqlite://` file (kept across restarts) or a `postgres://` URL.
    pub database: String,
    /// Extra environment (`PAYOUT_SANDBOX_WEBHOOK_RETRIES`…).
    pub env: Vec<(String, String)>,
    /// Where its log (stderr) goes.
    pub log: PathBuf,
    /// `--assets`: the built app it serves; `None` for [`dist_dir`].
    pub assets: Option<PathBuf>,
}

/// The key that seals webhook secrets in every binary this test process starts: one for all,
/// so processes sharing a database (and a restart on it) sign with the same secrets.
fn secrets_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| payout_sandbox::SecretsKey::generate().to_base64())
}

/// The `payout-sandbox` binary: `PAYOUT_E2E_SANDBOX`, else next to this test's own executable's
/// directory (`target/debug/payout-sandbox`), which `cargo test` builds for the sandbox's own
/// tests and `cargo build -p payout-sandbox` builds on its own.
pub fn sandbox_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PAYOUT_E2E_SANDBOX") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("no target directory above the test executable")?;
    let bin = debug.join(format!("payout-sandbox{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        bail!(
            "no sandbox binary at {}: run `cargo build -p payout-sandbox` first (or set \
             PAYOUT_E2E_SANDBOX)",
            bin.display()
        );
    }
    Ok(bin)
}

/// What the harness's middleware watches and changes (see the [`Sandbox`] fields).
#[derive(Clone)]
struct Hooks {
    drop_next_payout_response: Arc<AtomicBool>,
    payout_requests: Arc<AtomicUsize>,
    echo_host_origin: Arc<Mutex<Option<String>>>,
}

/// Middleware behind [`Sandbox::drop_next_payout_response`], [`Sandbox::payout_requests`] and
/// [`Sandbox::echo_host_origin`].
async fn harness_hooks(
    axum::extract::State(hooks): axum::extract::State<Hooks>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (method, path) = (req.method().as_str(), req.uri().path());
    let is_payout = ep::CreateFlowPayout::INFO.matches(method, path);
    let is_session = ep::CreateSession::INFO.matches(method, path);
    if is_payout {
        hooks.payout_requests.fetch_add(1, Ordering::SeqCst);
    }
    let response = next.run(req).await;
    let echo = hooks
        .echo_host_origin
        .lock()
        .map(|o| o.clone())
        .unwrap_or_default();
    if let (true, Some(origin)) = (is_session && response.status().is_success(), echo) {
        let (mut parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if let Some(session) = json.as_object_mut() {
            session.insert("host_origin".to_owned(), Value::String(origin));
        }
        parts.headers.remove(header::CONTENT_LENGTH);
        return axum::response::Response::from_parts(
            parts,
            axum::body::Body::from(json.to_string()),
        );
    }
    if is_payout
        && hooks
            .drop_next_payout_response
            .swap(false, Ordering::SeqCst)
    {
        // Headers and the first bytes go out, then the connection breaks. (Closing before any
        // byte is not the same: Chromium silently re-sends a request whose reused connection
        // closed without an answer.)
        let (mut parts, _) = response.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        let cut = futures_util::stream::unfold(0, |sent| async move {
            match sent {
                0 => Some((Ok(Bytes::from_static(b"{\"id\":")), 1)),
                // Let hyper flush the headers and first bytes before the connection breaks.
                1 => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((
                        Err(std::io::Error::other(
                            "connection dropped by the e2e harness",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        });
        return axum::response::Response::from_parts(parts, axum::body::Body::from_stream(cut));
    }
    response
}

impl Sandbox {
    /// Starts the sandbox on a free loopback port, serving the built app.
    pub async fn start() -> Result<Self> {
        let assets = dist_dir()?;
        let data = TempDir::new("payout-e2e-db")?;
        let (listener, addr) = bind_loopback("127.0.0.1").await?;
        let base = format!("http://{addr}");
        let (client_id, api_key) = ("pk_e2e_client".to_owned(), "sk_e2e_secret_key".to_owned());
        let url = format!("sqlite://{}/sandbox.sqlite", data.path().display());
        let db = payout_sandbox::connect(&url).await?;
        payout_sandbox::ensure_default_app(&db, Some((client_id.as_str(), api_key.as_str())))
            .await?;
        let config = payout_sandbox::Config::new(base.clone(), assets);
        let hooks = Hooks {
            drop_next_payout_response: Arc::new(AtomicBool::new(false)),
            payout_requests: Arc::new(AtomicUsize::new(0)),
            echo_host_origin: Arc::new(Mutex::new(None)),
        };
        let clock_offset_ms = Arc::new(AtomicI64::new(0));
        let offset = clock_offset_ms.clone();
        let clock = payout_sandbox::Clock::from_fn(move || {
            chrono::Utc::now() + chrono::Duration::milliseconds(offset.load(Ordering::SeqCst))
        });
        let state = payout_sandbox::AppState::new(db, config).with_clock(clock);
        let app = payout_sandbox::app(state).layer(axum::middleware::from_fn_with_state(
            hooks.clone(),
            harness_hooks,
        ));
        let server = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let _ = axum::serve(listener, app).await;
        });
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            base,
            client_id,
            api_key,
            drop_next_payout_response: hooks.drop_next_payout_response,
            payout_requests: hooks.payout_requests,
            echo_host_origin: hooks.echo_host_origin,
            clock_offset_ms,
            http,
            server: Server::InProcess(server),
            stdout: None,
            _data: Some(data),
        })
    }

    /// Runs the `payout-sandbox` binary ([`sandbox_binary`]) on a free loopback port, serving
    /// the built app, with the e2e app credentials and `options`; returns once it listens (its
    /// stdout's `listening:` line). Its webhook worker runs as in production. The harness's
    /// hooks ([`Sandbox::drop_next_payout_response`]…) and clock do nothing here.
    pub async fn start_binary(options: &BinaryOptions) -> Result<Self> {
        let (client_id, api_key) = ("pk_e2e_client".to_owned(), "sk_e2e_secret_key".to_owned());
        let log = std::fs::File::create(&options.log)?;
        let mut child = Command::new(sandbox_binary()?)
            .args(["--listen", "127.0.0.1:0", "--database", &options.database])
            .arg("--assets")
            .arg(match &options.assets {
                Some(assets) => assets.clone(),
                None => dist_dir()?,
            })
            .env("PAYOUT_SANDBOX_CLIENT_ID", &client_id)
            .env("PAYOUT_SANDBOX_API_KEY", &api_key)
            .env("PAYOUT_SANDBOX_SECRETS_KEY", secrets_key())
            .env("RUST_LOG", "info")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("cannot start the sandbox binary")?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Every line is read, to the end (a full pipe would stop the binary); those after
        // `listening:` go to `printed`.
        let (lines, printed) = tokio::sync::mpsc::unbounded_channel();
        let (listening, base) = tokio::sync::oneshot::channel();
        tokio::task::spawn_blocking(move || {
            use std::io::BufRead as _;
            let mut listening = Some(listening);
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match (line.strip_prefix("listening: "), listening.take()) {
                    (Some(url), Some(tell)) => {
                        let _ = tell.send(url.trim().to_owned());
                    }
                    (_, waiting @ Some(_)) => listening = waiting,
                    (_, None) => {
                        let _ = lines.send(line);
                    }
                }
            }
        });
        let base = match tokio::time::timeout(WAIT, base).await {
            Ok(Ok(base)) => base,
            other => {
                let _ = child.kill();
                let log = std::fs::read_to_string(&options.log).unwrap_or_default();
                bail!("the sandbox binary did not start ({other:?}): {log}");
            }
        };
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            base,
            client_id,
            api_key,
            drop_next_payout_response: Arc::new(AtomicBool::new(false)),
            payout_requests: Arc::new(AtomicUsize::new(0)),
            echo_host_origin: Arc::new(Mutex::new(None)),
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            http,
            server: Server::Process(child),
            stdout: Some(tokio::sync::Mutex::new(printed)),
            _data: None,
        })
    }

    /// Waits (at most [`WAIT`]) for the binary's next stdout line starting with `prefix`, and
    /// returns it; the lines before it are skipped.
    pub async fn printed(&self, prefix: &str) -> Result<String> {
        let lines = self.stdout.as_ref().context("not the binary")?;
        let mut lines = lines.lock().await;
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.recv().await {
                if line.starts_with(prefix) {
                    return Ok(line);
                }
            }
            bail!("the sandbox's stdout ended without {prefix:?}")
        })
        .await
        .with_context(|| format!("waiting for {prefix:?} on the sandbox's stdout"))?
    }

    /// `GET path` with `headers`, as a browser would send it: the answer's status, headers and
    /// body as sent (not decoded).
    pub async fn get_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<(u16, axum::http::HeaderMap, Bytes)> {
        let mut req = Request::builder().uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = self
            .http
            .request(req.body(Full::new(Bytes::new()))?)
            .await?;
        let (parts, body) = res.into_parts();
        Ok((
            parts.status.as_u16(),
            parts.headers,
            body.collect().await?.to_bytes(),
        ))
    }

    /// Kills the sandbox at once (SIGKILL for the binary: no shutdown, no flush), as a crash
    /// would.
    pub fn kill(&mut self) {
        match &mut self.server {
            Server::InProcess(task) => task.abort(),
            Server::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Moves the sandbox's clock by `seconds` (back when negative), as time passing on the
    /// server would; the browser's clock stays where it is.
    pub fn shift_clock(&self, seconds: i64) {
        self.clock_offset_ms
            .fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    /// Sends a host request (HTTP Basic with the app's credentials); returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.client_id, self.api_key));
        self.send(method, path, Some(format!("Basic {auth}")), body)
            .await
    }

    /// Calls host endpoint `E` as the app, by its declaration (`payout_model::endpoint`):
    /// its method, its path for `params`, `body` as JSON; returns status and JSON.
    pub async fn host<E: Endpoint>(
        &self,
        params: &E::Params,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        self.call(method_of(&E::INFO), &E::path(params), body).await
    }

    /// [`Sandbox::host`] expecting 200; returns the JSON.
    pub async fn host_ok<E: Endpoint>(
        &self,
        params: &E::Params,
        body: Option<Value>,
    ) -> Result<Value> {
        match self.host::<E>(params, body).await? {
            (200, json) => Ok(json),
            (status, json) => bail!(
                "{} {}: {status} {json}",
                E::INFO.method.as_str(),
                E::INFO.path
            ),
        }
    }

    /// Calls flow endpoint `E` as the app in a browser does, by its declaration: with the
    /// session's bearer `token`, or none (minting a session); returns status and JSON.
    pub async fn flow<E: Endpoint>(
        &self,
        params: &E::Params,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let authorization = token.map(|t| format!("Bearer {t}"));
        self.send(method_of(&E::INFO), &E::path(params), authorization, body)
            .await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        authorization: Option<String>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(authorization) = authorization {
            req = req.header(header::AUTHORIZATION, authorization);
        }
        let req = req.body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))?;
        let res = self.http.request(req).await?;
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await?.to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{path}: not JSON: {}", String::from_utf8_lossy(&bytes)))?
        };
        Ok((status, json))
    }

    /// `POST path` expecting 200; returns the JSON.
    pub async fn post_ok(&self, path: &str, body: Value) -> Result<Value> {
        match self.call(Method::POST, path, Some(body)).await? {
            (200, json) => Ok(json),
            (status, json) => bail!("POST {path}: {status} {json}"),
        }
    }

    /// `GET path` expecting 200; returns the JSON.
    pub async fn get_ok(&self, path: &str) -> Result<Value> {
        match self.call(Method::GET, path, None).await? {
            (200, json) => Ok(json),
            (status, json) => bail!("GET {path}: {status} {json}"),
        }
    }

    /// Creates a user through the host API and returns its id.
    pub async fn create_user(&self) -> Result<String> {
        let user = self
            .post_ok(
                &ep::CreateUser::path(&()),
                json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                       "country_code": "1", "phone_number": "4155550123"}),
            )
            .await?;
        Ok(user["id"].as_str().context("user without id")?.to_owned())
    }

    /// Creates a user with a PayPal payout method (so manage-payouts can go on at once) and
    /// returns its id.
    pub async fn create_user_with_paypal(&self) -> Result<String> {
        let user_id = self.create_user().await?;
        let method = json!({"platform": "paypal", "email": "ada@example.com"});
        self.host_ok::<ep::AddPayoutMethod>(&id(&user_id)?, Some(method))
            .await?;
        Ok(user_id)
    }

    /// Moves `cents` from the app's wallet to the user's (a balance transfer).
    pub async fn fund_user(&self, user_id: &str, cents: i64) -> Result<Value> {
        let body = json!({"amount": -cents, "user_id": user_id});
        self.host_ok::<ep::CreateTransfer>(&(), Some(body)).await
    }

    /// The user's wallet: `{"amount", "withdrawable_amount"}`.
    pub async fn user_wallet(&self, user_id: &str) -> Result<Value> {
        self.host_ok::<ep::GetUserWallet>(&id(user_id)?, None).await
    }

    /// The user's payout transfers, newest first.
    pub async fn payouts_of(&self, user_id: &str) -> Result<Vec<Value>> {
        let page = self
            .get_ok(&format!(
                "{}?user_id={user_id}&limit=100",
                ep::ListTransfers::path(&())
            ))
            .await?;
        Ok(page["data"]
            .as_array()
            .context("transfer list without data")?
            .iter()
            .filter(|t| t["type"] == "payout")
            .cloned()
            .collect())
    }

    /// The steps the host API says `flow` (its JSON) has completed.
    pub async fn completed_steps(&self, flow: &Value) -> Result<Value> {
        let flow_id = id(flow["id"].as_str().unwrap_or_default())?;
        let flow = self.host_ok::<ep::GetFlow>(&flow_id, None).await?;
        Ok(flow["completed_steps"].clone())
    }

    /// Creates a flow through the host API and returns it as JSON (`id`, `link`, …).
    pub async fn create_flow(&self, body: Value) -> Result<Value> {
        self.host_ok::<ep::CreateFlow>(&(), Some(body)).await
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A host page server on another loopback origin (`http://localhost:<port>`): `/` embeds the
/// flow given as `?link=` with the host SDK (`/app/embed.js` from the flow's origin) and
/// records every window message; `/landed` is a plain page to redirect to.
pub struct HostPage {
    /// The host page's origin.
    pub origin: String,
    server: JoinHandle<()>,
}

/// The host page: records raw `message` events (origin and data) in `window.raw`, what the SDK
/// hands to `onMessage` in `window.messages` and as `<li data-type=…>` rows, and to
/// `onLoadError` in `window.loadErrors` (with an `e2e-load-error` event). `&load_timeout=MS`
/// is the SDK's `loadTimeout`, `&appearance=JSON` its `appearance`, `&sdk=URL` where `embed.js`
/// comes from (else the link's server). With
/// `?navigate=0` it returns false from `onRedirect`, so the page stays to be inspected;
/// `window.leaving` turns true when anything starts to move the page away (`beforeunload`).
const HOST_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>e2e host</title></head>
<body>
<h1>Host page</h1>
<div id="flow"></div>
<ol id="messages"></ol>
<script>
  window.raw = []; window.messages = []; window.loadErrors = []; var waiting = [];
  window.leaving = false;
  window.addEventListener("beforeunload", function () { window.leaving = true; });
  window.addEventListener("message", function (e) {
    window.raw.push({origin: e.origin, data: e.data});
    waiting = waiting.filter(function (w) { if (e.data && e.data.type === w.type) { w.resolve(); return false; } return true; });
  });
  // Resolves once a message of `type` has arrived (at once if it already has).
  window.whenMessage = function (type) {
    return new Promise(function (resolve) {
      if (window.raw.some(function (m) { return m.data && m.data.type === type; })) resolve();
      else waiting.push({type: type, resolve: resolve});
    });
  };
  var params = new URLSearchParams(location.search);
  var link = params.get("link");
  var stay = params.get("navigate") === "0";
  var s = document.createElement("script");
  s.src = params.get("sdk") || new URL(link).origin + "/app/embed.js";
  s.onload = function () {
    window.embedded = PayoutFlows.embed({
      link: link,
      container: document.getElementById("flow"),
      onMessage: function (m) {
        window.messages.push(m);
        var li = document.createElement("li");
        li.setAttribute("data-type", m.type);
        li.textContent = JSON.stringify(m);
        document.getElementById("messages").appendChild(li);
      },
      onRedirect: function () { return stay ? false : undefined; },
      loadTimeout: Number(params.get("load_timeout")) || undefined,
      appearance: params.has("appearance") ? JSON.parse(params.get("appearance")) : undefined,
      onLoadError: function (e) {
        window.loadErrors.push(e);
        window.dispatchEvent(new CustomEvent("e2e-load-error"));
      }
    });
  };
  document.head.appendChild(s);
</script>
</body></html>"#;

/// A page whose own CSP (`img-src 'none'`) its image violates: proves the harness's CSP
/// check sees violations (tests/flow.rs).
async fn csp_probe() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_SECURITY_POLICY, "img-src 'none'")],
        axum::response::Html(
            "<!doctype html><title>probe</title><h1>Probe</h1>\
             <img alt=\"\" src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">",
        ),
    )
}

/// A page framing the URL given as `?src=` (the CSP probe on another site).
const CSP_FRAME_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>frame</title></head>
<body><h1>Frame</h1><iframe title="probe"></iframe>
<script>
  document.querySelector("iframe").src = new URLSearchParams(location.search).get("src");
</script>
</body></html>"#;

impl HostPage {
    /// Starts the host page server on a free port, at `http://localhost:<port>`.
    pub async fn start() -> Result<Self> {
        let (server, addr) = Self::serve("127.0.0.1").await?;
        Ok(Self {
            origin: format!("http://localhost:{}", addr.port()),
            server,
        })
    }

    /// Starts the host page server on a free port of loopback address `ip`, at
    /// `http://<ip>:<port>` (`127.0.0.2`: an origin the sandbox does not count as loopback, so
    /// its flows may not be framed there unless the app allows it).
    pub async fn start_on(ip: &str) -> Result<Self> {
        let (server, addr) = Self::serve(ip).await?;
        Ok(Self {
            origin: format!("http://{addr}"),
            server,
        })
    }

    /// Serves the host pages on a free port of `ip`.
    async fn serve(ip: &str) -> Result<(JoinHandle<()>, SocketAddr)> {
        use axum::response::Html;
        use axum::routing::get;
        let (listener, addr) = bind_loopback(ip).await?;
        let router = axum::Router::new()
            .route("/", get(|| async { Html(HOST_HTML) }))
            .route(
                "/landed",
                get(|| async { Html("<!doctype html><title>landed</title><h1>Landed</h1>") }),
            )
            .route("/csp-probe", get(csp_probe))
            .route("/csp-frame", get(|| async { Html(CSP_FRAME_HTML) }));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok((server, addr))
    }

    /// The host page embedding `link`; `stay` keeps the host from following a redirect.
    pub fn embedding(&self, link: &str, stay: bool) -> String {
        format!(
            "{}/?navigate={}&link={}",
            self.origin,
            if stay { 0 } else { 1 },
            query_escape(link)
        )
    }

    /// The host page embedding `link` (staying on a redirect) with `embed.js`'s `appearance`
    /// option set to `appearance`.
    pub fn embedding_styled(&self, link: &str, appearance: &Value) -> String {
        format!(
            "{}&appearance={}",
            self.embedding(link, true),
            query_escape(&appearance.to_string())
        )
    }
}

/// `text` encoded as a query parameter's value (`url`'s form encoding).
pub fn query_escape(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl Drop for HostPage {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Installed in every document (every frame, before its own scripts) by
/// [`Browser::start`]: records each CSP violation in `window.__cspViolations` and logs it to the
/// console, where chromedriver's browser log keeps it across navigations and frames.
const CSP_RECORDER: &str = r#"(function () {
  if (window.__cspViolations) return;
  var seen = window.__cspViolations = [];
  window.addEventListener("securitypolicyviolation", function (e) {
    var v = {directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
             source: e.sourceFile, line: e.lineNumber, sample: e.sample,
             disposition: e.disposition, page: String(location.href).split("?")[0]};
    seen.push(v);
    console.error("payout-e2e: CSP violation " + JSON.stringify(v));
  }, true);
})();"#;

/// Marks the console lines that report CSP violations: the recorder's, and Chromium's own
/// (`Refused to … because it violates the following Content Security Policy directive`, with a
/// `[Report Only]` prefix for report-only policies).
fn is_csp_violation_log(message: &str) -> bool {
    message.contains("payout-e2e: CSP violation")
        || message.contains("violates the following Content Security Policy")
}

/// A WebDriver command chromedriver adds to the standard: `POST /session/{id}/{path}` with a
/// JSON body (`goog/cdp/execute`, `se/log`), or the standard ones fantoccini does not wrap.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(self.body.to_string()))
    }
}

/// A chromedriver process, killed when dropped so a failing test leaves none behind.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Headless Chromium driven through its own chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: Driver,
    _profile: TempDir,
}

/// A test that fails before [`Browser::close`] drops its browser: chromedriver is killed
/// ([`Driver`]), and so is the Chromium it started, found by this browser's own profile
/// directory on its command line. (Left alone it would outlive the test and keep a page
/// running, slowing every test after it.) After a `close` there is nothing left to find.
impl Drop for Browser {
    fn drop(&mut self) {
        let profile = format!("--user-data-dir={}", self._profile.path().display());
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", "--", &profile])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session. The port is
    /// found free and then handed to chromedriver, so another process (a parallel test's
    /// chromedriver) may take it in between: a session that cannot connect is retried on a new
    /// port, up to three times, with the error of the last attempt.
    pub async fn start() -> Result<Self> {
        let mut last = None;
        for _ in 0..3 {
            match Self::start_once().await {
                Ok(browser) => return Ok(browser),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no attempt to start Chromium")))
    }

    async fn start_once() -> Result<Self> {
        let port = {
            let (l, addr) = bind_loopback("127.0.0.1").await?;
            drop(l);
            addr.port()
        };
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let mut driver = Driver(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {chromedriver} (install chromium-driver)"))?,
        );
        Self::wait_for_port(&mut driver, port).await?;
        let profile = TempDir::new("payout-e2e-chromium")?;
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1024,900",
                    // A synthetic camera, granted without a prompt: the ID verification step's
                    // "Use camera" works as with a real one (issue 3).
                    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    // Cross-site frames in the page's own renderer: CDP's
                    // addScriptToEvaluateOnNewDocument (the CSP recorder) reaches only the
                    // page's process, and the embedded flow is a cross-site frame (issue 8).
                    "--disable-site-isolation-trials",
                    "--disable-features=IsolateOrigins,site-per-process",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        // Console messages (CSP violations among them) kept for `se/log`.
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a Chromium session")?;
        let browser = Self {
            client,
            _driver: driver,
            _profile: profile,
        };
        browser
            .run_on_each_page(CSP_RECORDER)
            .await
            .context("installing the CSP violation recorder")?;
        Ok(browser)
    }

    /// Runs `script` at the start of every document this browser loads from now on, before
    /// the page's own scripts (as a WebView's host injects its bridge).
    pub async fn run_on_each_page(&self, script: &str) -> Result<()> {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": script}),
        )
        .await?;
        Ok(())
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver
    /// (`POST /session/{id}/goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({"cmd": cmd, "params": params}),
            })
            .await
            .with_context(|| format!("CDP {cmd}"))
    }

    /// Waits (on the page's own events, not by polling) until the current document has
    /// recorded a CSP violation.
    pub async fn until_csp_violation(&self) -> Result<()> {
        let script = "var done = arguments[arguments.length - 1];
            if (window.__cspViolations && window.__cspViolations.length) { done(true); return; }
            window.addEventListener('securitypolicyviolation', function () {
              setTimeout(function () { done(true); }, 0);
            }, true);";
        self.client
            .execute_async(script, Vec::new())
            .await
            .context("waiting for a CSP violation")?;
        Ok(())
    }

    /// Switches into the embedded flow's frame (`#flow iframe`, the host page's), once it is
    /// there.
    pub async fn enter_embedded_flow(&self) -> Result<()> {
        self.wait_for("#flow iframe").await?.enter_frame().await?;
        Ok(())
    }

    /// Switches back to the top-level document (out of any frame).
    pub async fn enter_top(&self) -> Result<()> {
        self.client
            .issue_cmd(SessionPost {
                path: "frame",
                body: json!({"id": null}),
            })
            .await?;
        Ok(())
    }

    /// Every CSP violation seen so far: those recorded in the current top-level document and
    /// in each of its frames (`[{directive, blocked, …, page}]`), and the console lines that
    /// report one (kept across navigations). Leaves the client in the top-level document.
    ///
    /// Fails if the recorder is missing from the top-level document: the check would be
    /// vacuous. A frame without it (one that never loaded) only contributes its console lines.
    pub async fn csp_violations(&self) -> Result<Vec<Value>> {
        let read = "return window.__cspViolations === undefined ? null : window.__cspViolations;";
        self.enter_top().await?;
        let mut found = Vec::new();
        match self.eval(read).await? {
            Value::Array(list) => found.extend(list),
            other => bail!("the CSP violation recorder is not installed in the page: {other}"),
        }
        let frames = self.client.find_all(Locator::Css("iframe")).await?.len();
        for i in 0..frames {
            let index = u16::try_from(i).context("too many frames")?;
            if self.client.enter_frame(index).await.is_ok() {
                if let Value::Array(list) = self.eval(read).await.unwrap_or(Value::Null) {
                    found.extend(list);
                }
            }
            self.enter_top().await?;
        }
        // The browser log: violations of pages navigated away from, and of frames.
        let log = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({"type": "browser"}),
            })
            .await
            .context("reading the browser log")?;
        for entry in log.as_array().into_iter().flatten() {
            let message = entry["message"].as_str().unwrap_or_default();
            if is_csp_violation_log(message) {
                found.push(json!({"console": message}));
            }
        }
        Ok(found)
    }

    /// chromedriver signals readiness only by accepting connections, so try its port.
    async fn wait_for_port(driver: &mut Driver, port: u16) -> Result<()> {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let Some(status) = driver.0.try_wait()? {
                bail!("chromedriver exited: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("chromedriver did not open port {port}")
    }

    /// Waits until an element matching `css` is present, and returns its text.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Waits until an element matching `css` is present. On a time-out it saves a screenshot
    /// of what the user saw and names it in the error.
    pub async fn wait_for(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.wait_for_within(css, WAIT).await
    }

    /// [`Browser::wait_for`], for at most `at_most` (a wait longer than [`WAIT`] the app
    /// itself counts, such as a code's resend cooldown).
    pub async fn wait_for_within(
        &self,
        css: &str,
        at_most: Duration,
    ) -> Result<fantoccini::elements::Element> {
        match self
            .client
            .wait()
            .at_most(at_most)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => Ok(el),
            Err(e) => {
                let shot = std::env::temp_dir()
                    .join(format!("payout-e2e-failure-{}.png", uuid::Uuid::new_v4()));
                let saved = match self.client.screenshot().await {
                    Ok(png) => std::fs::write(&shot, png).is_ok(),
                    Err(_) => false,
                };
                let seen = if saved {
                    format!(" (screenshot: {})", shot.display())
                } else {
                    String::new()
                };
                Err(anyhow::Error::new(e).context(format!("waiting for {css}{seen}")))
            }
        }
    }

    /// Everything the current document shows or holds: the title, its rendered text and all
    /// text (hidden too), each form field's current value, and every attribute of every
    /// element. See [`shows_whole`].
    pub async fn page_strings(&self) -> Result<Vec<String>> {
        let script = "var out = [document.title, document.body ? document.body.innerText : '',
                                 document.documentElement.textContent];
            document.querySelectorAll('*').forEach(function (el) {
              for (var i = 0; i < el.attributes.length; i++) out.push(el.attributes[i].value);
              if (typeof el.value === 'string') out.push(el.value);
            });
            return out;";
        Ok(serde_json::from_value(self.eval(script).await?)?)
    }

    /// Fails naming where, if the current document shows or holds `secret` whole in any
    /// spelling ([`Browser::page_strings`], [`shows_whole`]); `when` says at which moment.
    pub async fn assert_never_whole(&self, secret: &str, when: &str) -> Result<()> {
        let strings = self.page_strings().await?;
        if let Some(found) = shows_whole(&strings, secret) {
            bail!("{when}: the page shows {secret:?} whole in {found:?}");
        }
        Ok(())
    }

    /// Waits (on DOM mutations, not by polling) until an element matching `css` has a text
    /// containing `needle`; returns that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String> {
        let script = "var css = arguments[0], needle = arguments[1];
            var done = arguments[arguments.length - 1];
            function found() {
              var hit = Array.prototype.find.call(document.querySelectorAll(css), function (el) {
                return el.textContent.indexOf(needle) >= 0;
              });
              return hit ? hit.textContent : null;
            }
            var now = found();
            if (now !== null) { done(now); return; }
            var watch = new MutationObserver(function () {
              var text = found();
              if (text !== null) { watch.disconnect(); done(text); }
            });
            watch.observe(document, {subtree: true, childList: true, characterData: true,
                                     attributes: true});";
        let text = self
            .client
            .execute_async(script, vec![json!(css), json!(needle)])
            .await
            .with_context(|| format!("waiting for {needle:?} in {css}"))?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits for `css`, then clicks it as a user would.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css).await?.click().await?;
        Ok(())
    }

    /// Waits for `css`, then taps it with a finger (WebDriver touch actions: the browser's
    /// pointer events of type `touch`, then the mouse events and `click` a tap makes).
    pub async fn tap(&self, css: &str) -> Result<()> {
        use fantoccini::actions::{InputSource as _, PointerAction, TouchActions};
        let element = self.wait_for(css).await?;
        let finger = TouchActions::new("finger".to_owned())
            .then(PointerAction::MoveToElement {
                element,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 });
        self.client
            .perform_actions(finger)
            .await
            .with_context(|| format!("tapping {css}"))?;
        Ok(())
    }

    /// Waits for the field `css`, then replaces what it holds with `text` the way a person
    /// does: select all, delete, type (keystrokes, so the app sees every `input` event).
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.wait_for(css).await?;
        field.click().await?;
        // Ctrl+A, release the modifier, Backspace (WebDriver key codes).
        field.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// The current `value` of the field `css`.
    pub async fn value_of(&self, css: &str) -> Result<String> {
        Ok(self
            .wait_for(css)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// Waits for the `<select>` `css`, then chooses the option whose value is `value`.
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.wait_for(css).await?.select_by_value(value).await?;
        Ok(())
    }

    /// Sets the field `css` to `value` the way a picker does (a date input's calendar): the
    /// value changes, then `input` and `change` fire.
    pub async fn set_value(&self, css: &str, value: &str) -> Result<()> {
        let field = self.wait_for(css).await?;
        let script = "var el = arguments[0]; el.focus(); el.value = arguments[1];
                      el.dispatchEvent(new Event('input', {bubbles: true}));
                      el.dispatchEvent(new Event('change', {bubbles: true})); el.blur();";
        self.client
            .execute(script, vec![serde_json::to_value(&field)?, json!(value)])
            .await?;
        Ok(())
    }

    /// Waits until the top window is at `url`.
    pub async fn wait_for_url(&self, url: &str) -> Result<()> {
        let url = url::Url::parse(url)?;
        self.client
            .wait()
            .at_most(WAIT)
            .for_url(&url)
            .await
            .with_context(|| format!("waiting to land on {url}"))?;
        Ok(())
    }

    /// Runs `script` in the page and returns its JSON result.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }

    /// Runs `script` in the current frame and answers what it passes to its callback, the last
    /// argument (`arguments[arguments.length - 1]`): for what the page must wait for.
    pub async fn eval_async(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute_async(script, Vec::new()).await?)
    }

    /// On the host page: waits for the window message of `kind` (resolving a promise the page
    /// keeps, not polling), then returns every message received so far as `[{origin, data}]`.
    pub async fn host_messages_until(&self, kind: &str) -> Result<Vec<Value>> {
        let script = "var done = arguments[arguments.length - 1];
                      window.whenMessage(arguments[0]).then(function () { done(window.raw); });";
        let v = self
            .client
            .execute_async(script, vec![json!(kind)])
            .await
            .with_context(|| format!("waiting for a {kind:?} window message"))?;
        Ok(serde_json::from_value(v)?)
    }

    /// On the host page: waits for the SDK's `onLoadError` (an event the page dispatches, not
    /// polling), then returns every load error it got.
    pub async fn host_load_errors(&self) -> Result<Vec<Value>> {
        let script = "var done = arguments[arguments.length - 1];
            if (window.loadErrors.length) { done(window.loadErrors); return; }
            window.addEventListener('e2e-load-error', function () { done(window.loadErrors); });";
        let v = self
            .client
            .execute_async(script, Vec::new())
            .await
            .context("waiting for onLoadError")?;
        Ok(serde_json::from_value(v)?)
    }

    /// On sign-in's profile form: Ada Lovelace with `email`, then "Create account".
    pub async fn fill_profile(&self, email: &str) -> Result<()> {
        self.fill("[data-testid=auth-first-name]", "Ada").await?;
        self.fill("[data-testid=auth-last-name]", "Lovelace")
            .await?;
        self.fill("[data-testid=auth-email]", email).await?;
        self.click("[data-testid=auth-create]").await
    }

    /// Fills the US compliance form (a W-9) with good values: an adult in San Francisco whose
    /// SSN is `ssn`.
    pub async fn fill_w9(&self, ssn: &str) -> Result<()> {
        self.wait_for("[data-testid=step-compliance]").await?;
        self.select("[data-testid=compliance-country]", "US")
            .await?;
        self.fill("[data-testid=compliance-first-name]", "Ada")
            .await?;
        self.fill("[data-testid=compliance-last-name]", "Lovelace")
            .await?;
        self.set_value("[data-testid=compliance-dob]", &born_years_ago(30))
            .await?;
        self.fill("[data-testid=compliance-tin]", ssn).await?;
        self.fill_address("compliance").await
    }

    /// Fills the US address fields whose test ids start with `prefix` (`compliance`, `bgc`):
    /// 1 Market St, San Francisco, CA 94103.
    pub async fn fill_address(&self, prefix: &str) -> Result<()> {
        let field = |name: &str| format!("[data-testid={prefix}-{name}]");
        self.fill(&field("line1"), "1 Market St").await?;
        self.fill(&field("city"), "San Francisco").await?;
        self.select(&field("region"), "CA").await?;
        self.fill(&field("postal-code"), "94103").await
    }

    /// Fills a bank account's fields (manage-payments, or ACH in manage-payouts): the routing
    /// number, and the account number twice.
    pub async fn fill_bank_account(&self, routing: &str, account: &str) -> Result<()> {
        self.fill("[data-testid=routing-number]", routing).await?;
        self.fill("[data-testid=account-number]", account).await?;
        self.fill("[data-testid=account-number-confirm]", account)
            .await
    }

    /// Runs axe-core ([`axe_source`]) on the current document with the WCAG 2.0/2.1/2.2 A and
    /// AA rules and axe's best practices (landmarks, heading order…), and fails listing each
    /// violation's id, help and target nodes; `screen` names the screen in the message. axe is
    /// injected into the document once (its text through WebDriver, so no CSP applies and no
    /// node is needed) and run asynchronously (the harness awaits its promise).
    pub async fn assert_accessible(&self, screen: &str) -> Result<()> {
        let loaded = self.eval("return typeof window.axe === 'object';").await?;
        if loaded != json!(true) {
            let inject = format!("{}\n;return typeof window.axe;", axe_source()?);
            let kind = self
                .eval(&inject)
                .await
                .context("injecting axe-core into the page")?;
            if kind != json!("object") {
                bail!("axe-core did not load into the page ({kind})");
            }
        }
        // Violations, and what axe could not decide ("incomplete": it needs review, as an
        // aria-describedby naming no element does), but for live camera previews' captions:
        // a muted camera feed has no audio to caption (WCAG 1.2.2 is about recorded media).
        let run = "var done = arguments[arguments.length - 1];
            function report(v) {
              return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
                return {target: n.target.join(' '), summary: n.failureSummary};
              })};
            }
            axe.run(document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                              'wcag22aa', 'best-practice']},
              resultTypes: ['violations', 'incomplete']
            }).then(function (r) {
              var undecided = r.incomplete.filter(function (v) {
                return v.id !== 'video-caption' || v.nodes.some(function (n) {
                  var el = document.querySelector(n.target.join(' '));
                  return !el || !el.muted || !(el.srcObject instanceof MediaStream);
                });
              });
              done({passes: r.passes.length,
                    violations: r.violations.concat(undecided).map(report)});
            }, function (e) { done({error: String(e)}); });";
        let result = self
            .client
            .execute_async(run, Vec::new())
            .await
            .with_context(|| format!("{screen}: running axe"))?;
        if let Some(error) = result.get("error") {
            bail!("{screen}: axe failed: {error}");
        }
        // A run that checked nothing would pass any page: it must have passed rules.
        if result["passes"].as_u64().unwrap_or(0) == 0 {
            bail!("{screen}: axe checked nothing ({result})");
        }
        let violations = result["violations"].as_array().cloned().unwrap_or_default();
        if violations.is_empty() {
            return Ok(());
        }
        let mut report = format!(
            "{screen}: {} axe violation(s) or undecided check(s)",
            violations.len()
        );
        for v in &violations {
            report += &format!("\n- {} ({}): {}", v["id"], v["impact"], v["help"]);
            for n in v["nodes"].as_array().into_iter().flatten() {
                report += &format!(
                    "\n    {}: {}",
                    n["target"].as_str().unwrap_or_default(),
                    n["summary"].as_str().unwrap_or_default().replace('\n', " ")
                );
            }
        }
        bail!(report)
    }

    /// Emulates a phone's viewport (CSS px, touch, mobile meta viewport) through CDP
    /// `Emulation.setDeviceMetricsOverride`; it lasts across the tab's navigations.
    pub async fn emulate_phone(&self, width: u32, height: u32) -> Result<()> {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await?;
        Ok(())
    }

    /// Fails, naming the offenders, when the current screen scrolls sideways
    /// (`documentElement.scrollWidth` over `innerWidth` or the device's width) or a visible control (`button`, `a[href]`,
    /// `input`, `select`, `textarea`, `[role=button]`) is smaller than 44×44 CSS px (WCAG 2.5.5).
    /// Measured is what a finger hits: a radio or checkbox's `<label>`. Exempt: links inline in
    /// running text (WCAG 2.5.8's inline exception) and elements visible to assistive technology
    /// only (1×1 px).
    pub async fn assert_fits_phone(&self, screen: &str) -> Result<()> {
        // A mobile browser widens its layout viewport (and zooms out) to fit wider content, so
        // innerWidth alone would hide the overflow: the device's width (screen.width) bounds it.
        let script = r#"var out = [], vw = Math.min(window.innerWidth, screen.width);
            function name(el) {
              var id = el.getAttribute("data-testid") || el.id || el.className || "";
              return el.tagName.toLowerCase() + (id ? "[" + id + "]" : "") + " " +
                JSON.stringify((el.textContent || el.value || "").trim().slice(0, 30));
            }
            var sw = document.documentElement.scrollWidth;
            if (sw > vw) {
              var wide = [];
              document.querySelectorAll("body *").forEach(function (el) {
                if (el.getBoundingClientRect().right > vw + 0.5) wide.push(name(el));
              });
              out.push("scrolls sideways: scrollWidth " + sw + " > innerWidth " + vw +
                       "; past the edge: " + wide.slice(0, 8).join(", "));
            }
            var controls = "button, a[href], input, select, textarea, [role=button]";
            document.querySelectorAll(controls).forEach(function (el) {
              if (!el.checkVisibility({visibilityProperty: true})) return;
              var box = el.getBoundingClientRect();
              if (box.width <= 1 && box.height <= 1) return;
              var target = el;
              if (el.type === "radio" || el.type === "checkbox") target = el.closest("label") || el;
              if (el.tagName === "A" && getComputedStyle(el).display === "inline" &&
                  el.parentElement.textContent.trim() !== el.textContent.trim()) return;
              var r = target.getBoundingClientRect();
              if (r.width < 44 || r.height < 44)
                out.push(name(el) + " is " + Math.round(r.width) + "x" + Math.round(r.height));
            });
            return out;"#;
        let problems = self
            .eval(script)
            .await
            .with_context(|| format!("{screen}: measuring"))?;
        match problems.as_array() {
            Some(list) if list.is_empty() => Ok(()),
            _ => bail!("{screen} at a phone's width: {problems}"),
        }
    }

    /// Presses `keys` on the keyboard (WebDriver key actions, to whatever has focus): text is
    /// typed as it is, [`fantoccini::key::Key`] codes (Tab `\u{e004}`, Enter `\u{e007}`, Space
    /// `\u{e00d}`) pressed; Shift (`\u{e008}`) stays down until the end of `keys`.
    pub async fn press(&self, keys: &str) -> Result<()> {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        let shift = '\u{e008}';
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            actions = actions.then(KeyAction::Down { value: key });
            if key != shift {
                actions = actions.then(KeyAction::Up { value: key });
            }
        }
        if keys.contains(shift) {
            actions = actions.then(KeyAction::Up { value: shift });
        }
        self.client
            .perform_actions(actions)
            .await
            .with_context(|| format!("pressing {keys:?}"))?;
        Ok(())
    }

    /// Whether the focused element matches `css`.
    pub async fn focus_is(&self, css: &str) -> Result<bool> {
        let script = "var el = document.activeElement;
                      return !!el && el.matches(arguments[0]);";
        let hit = self.client.execute(script, vec![json!(css)]).await?;
        Ok(hit == json!(true))
    }

    /// Waits until the focused element matches `css`, checking on each `focusin` and at each
    /// animation frame (not by polling on a timer): a page whose window lacks the system's
    /// focus (a browser beside another) moves `document.activeElement` without firing
    /// `focusin`. Fails naming what has focus instead.
    pub async fn wait_for_focus(&self, css: &str) -> Result<()> {
        let script = "var css = arguments[0], done = arguments[arguments.length - 1];
            function now() { var el = document.activeElement; return !!el && el.matches(css); }
            if (now()) { done(true); return; }
            var finished = false;
            function finish() {
              if (finished) return;
              finished = true;
              document.removeEventListener('focusin', check);
              done(true);
            }
            function check() { if (now()) finish(); }
            document.addEventListener('focusin', check);
            (function frame() {
              if (finished) return;
              if (now()) { finish(); return; }
              requestAnimationFrame(frame);
            })();";
        let waited = self.client.execute_async(script, vec![json!(css)]).await;
        if waited.is_err() {
            let has = self
                .eval("var el = document.activeElement; return el ? el.outerHTML.slice(0, 160) : null;")
                .await?;
            bail!("focus never reached {css}; it is on {has}");
        }
        Ok(())
    }

    /// Waits for `css`, presses Tab until the focused element matches it (at most 40 times),
    /// then checks the focus shows (WCAG 2.4.7: the element draws an outline or a box shadow);
    /// fails naming where focus went instead.
    pub async fn tab_to(&self, css: &str) -> Result<()> {
        // Tabbing before the target is on screen would only wander past where it will be.
        self.wait_for(css).await?;
        for _ in 0..40 {
            if self.focus_is(css).await? {
                let shown = "var el = document.activeElement, s = getComputedStyle(el);
                    if ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
                        s.boxShadow !== 'none') return true;
                    return {focusVisible: el.matches(':focus-visible'), outline: s.outline,
                            element: el.outerHTML.slice(0, 160)};";
                let seen = self.eval(shown).await?;
                if seen != json!(true) {
                    bail!("{css} has focus but shows no focus indicator: {seen}");
                }
                return Ok(());
            }
            self.press("\u{e004}").await?;
        }
        let has = self
            .eval("var el = document.activeElement; return el ? el.outerHTML.slice(0, 160) : null;")
            .await?;
        bail!("40 presses of Tab never reached {css}; focus is on {has}")
    }

    /// Checks that no CSP violation happened ([`Browser::csp_violations`]), then ends the
    /// session and chromedriver; fails naming the violations if there were any.
    pub async fn close(self) -> Result<()> {
        let violations = self.csp_violations().await;
        self.client.clone().close().await?;
        let violations = violations?;
        if !violations.is_empty() {
            bail!(
                "Content-Security-Policy violations in the browser: {}",
                Value::Array(violations)
            );
        }
        Ok(())
    }
}

/// The text of axe-core's `axe.min.js`, from the file `PAYOUT_E2E_AXE` names
/// (`scripts/setup.sh` fetches the pinned version from the npm registry and sets it).
pub fn axe_source() -> Result<String> {
    let path = std::env::var_os("PAYOUT_E2E_AXE").context(
        "PAYOUT_E2E_AXE is not set: run `NEED_BROWSER=1 source scripts/setup.sh` (it fetches \
         axe-core and sets it) or point it at an axe.min.js",
    )?;
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading axe-core from PAYOUT_E2E_AXE={}",
            path.to_string_lossy()
        )
    })
}

/// The HTTP method of an endpoint's declaration.
fn method_of(info: &Info) -> Method {
    match info.method {
        ep::Method::Get => Method::GET,
        ep::Method::Post => Method::POST,
        ep::Method::Put => Method::PUT,
        ep::Method::Patch => Method::PATCH,
        ep::Method::Delete => Method::DELETE,
    }
}

/// An object id as the host API's paths take it.
pub fn id(text: &str) -> Result<uuid::Uuid> {
    text.parse()
        .with_context(|| format!("{text:?} is not an object id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_value_is_found_in_any_spelling_and_a_masked_one_is_not() {
        let page = |s: &str| vec![s.to_owned()];
        for shown in [
            "123-45-6789",
            "SSN 123 45 6789",
            "123456789",
            "123.45.6789",
            "value=\"123–45–6789\"",
        ] {
            assert!(
                shows_whole(&page(shown), "123-45-6789").is_some(),
                "{shown}"
            );
        }
        for shown in ["+1 (415) 433-2334", "14154332334", "415-433-2334"] {
            assert!(shows_whole(&page(shown), "4154332334").is_some(), "{shown}");
        }
        for masked in ["•••-••-6789", "•••• 6789", "(•••) •••-2334", "123-45"]
        {
            assert!(
                shows_whole(&page(masked), "123-45-6789").is_none(),
                "{masked}"
            );
            assert!(
                shows_whole(&page(masked), "4154332334").is_none(),
                "{masked}"
            );
        }
    }

    #[test]
    fn born_years_ago_is_that_many_years_before_today() {
        use chrono::Datelike as _;
        let today = chrono::Utc::now().date_naive();
        let born =
            chrono::NaiveDate::parse_from_str(&born_years_ago(30), "%Y-%m-%d").expect("a date");
        assert_eq!(born.year(), today.year() - 30);
        assert_eq!(born.month(), today.month());
    }
}

/// One request a [`WebhookReceiver`] accepted.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Its headers (`svix-id`, `svix-signature`…).
    pub headers: axum::http::HeaderMap,
    /// Its body, as sent.
    pub body: Bytes,
}

impl Delivery {
    /// The body as JSON (the event).
    pub fn event(&self) -> Result<Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }

    /// Verifies the signature with the Standard Webhooks library's own verifier and `secret`
    /// (`whsec_…`).
    pub fn verify(&self, secret: &str) -> Result<()> {
        standardwebhooks::Webhook::new(secret)
            .map_err(|e| anyhow::anyhow!("bad secret: {e}"))?
            .verify(&self.body, &self.headers)
            .map_err(|e| anyhow::anyhow!("signature does not verify: {e}"))
    }
}

/// A webhook receiver on `127.0.0.1` (issue 10): answers 200 to every POST to `/hook` and
/// hands each request to the test through a channel, in arrival order.
pub struct WebhookReceiver {
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    /// Requests received so far, duplicates included.
    pub requests: Arc<AtomicUsize>,
    got: tokio::sync::mpsc::UnboundedReceiver<Delivery>,
    server: JoinHandle<()>,
}

/// A loopback port held without listening: a connection to it is refused (a receiver that is
/// down), and nothing else can take it until [`WebhookReceiver::start_on`] listens on it (a
/// port found free and let go may be taken by another test's server meanwhile).
pub struct ReservedPort(tokio::net::TcpSocket);

impl ReservedPort {
    /// A free loopback port, held.
    pub fn new() -> Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        Ok(Self(socket))
    }

    /// The port.
    pub fn port(&self) -> Result<u16> {
        Ok(self.0.local_addr()?.port())
    }
}

impl WebhookReceiver {
    /// A receiver on a free port.
    pub async fn start() -> Result<Self> {
        Self::listen(TcpListener::bind(("127.0.0.1", 0)).await?)
    }

    /// A receiver on `port`, held until now.
    pub async fn start_on(port: ReservedPort) -> Result<Self> {
        Self::listen(port.0.listen(1024)?)
    }

    /// A receiver answering on `listener`.
    fn listen(listener: TcpListener) -> Result<Self> {
        let url = format!("http://{}/hook", listener.local_addr()?);
        let (tx, got) = tokio::sync::mpsc::unbounded_channel();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let handler = move |headers: axum::http::HeaderMap, body: Bytes| {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(Delivery { headers, body });
            async { "ok" }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self {
            url,
            requests,
            got,
            server,
        })
    }

    /// The next request, or an error after [`WAIT`].
    pub async fn next(&mut self) -> Result<Delivery> {
        match tokio::time::timeout(WAIT, self.got.recv()).await {
            Ok(Some(delivery)) => Ok(delivery),
            _ => bail!("no webhook arrived within {WAIT:?}"),
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A new empty PostgreSQL database on the server of `PAYOUT_SANDBOX_TEST_POSTGRES` (the test
/// command's throwaway server, `scripts/postgres.sh`); `None` when that is not set.
pub async fn fresh_postgres() -> Result<Option<String>> {
    use sqlx::Connection as _;
    let Ok(admin_url) = std::env::var("PAYOUT_SANDBOX_TEST_POSTGRES") else {
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    let name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .context("PAYOUT_SANDBOX_TEST_POSTGRES is no database URL")?;
    Ok(Some(format!("{base}/{name}")))
}
