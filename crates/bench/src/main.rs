//! `payout-bench`: the load generator of `scripts/bench.sh` (README "Benchmark"; issue 10,
//! "Throughput"), not a test. Against a running sandbox it keeps `--concurrency` requests in
//! flight for `--seconds` per measurement and prints:
//!
//! - `GET /healthz` and `GET /api/v2/flows/{id}` requests/s (the flow's as a share of healthz);
//! - payouts/s (`POST /api/v2/payouts`, PayPal, funded by the app: `fund: true`) for one app
//!   and for `--apps` apps, with p50/p99 latency; every 20th request replays the key before it;
//! - a quiet app's payouts, one at a time, beside one busy app's `--concurrency` (its p50/p99:
//!   what a busy app costs the others, whose payouts share the sandbox's connections).
//!
//! After each payout run it checks the ledger exact through the API: each app's wallet lost
//! exactly the amounts and fees of its paid keys, each user's wallet is back at zero, and every
//! replayed idempotency key answered the transfer its first request made. Any other outcome,
//! or a request that fails, ends the run with an error.

use anyhow::{bail, ensure, Context as _, Result};
use base64::Engine as _;
use bytes::Bytes;
use clap::Parser;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Load generator for a running payout sandbox (see scripts/bench.sh).
#[derive(Debug, Parser)]
struct Cli {
    /// Base URL of the running sandbox, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    base: String,
    /// The sandbox organization's id: the benchmark's apps are made with its credentials.
    #[arg(long)]
    org_id: String,
    /// The sandbox organization's key.
    #[arg(long)]
    org_key: String,
    /// Printed before every figure (e.g. sqlite, postgres).
    #[arg(long, default_value = "")]
    label: String,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Apps of the many-apps payout run.
    #[arg(long, default_value_t = 8)]
    apps: usize,
    /// Users paid per app.
    #[arg(long, default_value_t = 8)]
    users: usize,
}

/// A host app's credentials, as the `Authorization` header sends them.
#[derive(Clone, Debug)]
struct Creds {
    basic: HeaderValue,
}

impl Creds {
    fn new(client_id: &str, api_key: &str) -> Result<Self> {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{api_key}"));
        Ok(Self {
            basic: HeaderValue::from_str(&format!("Basic {token}"))?,
        })
    }
}

/// The sandbox, over keep-alive HTTP/1.1 connections.
#[derive(Clone)]
struct Sandbox {
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Sandbox {
    /// Sends a request; the status and the body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        creds: Option<&Creds>,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(creds) = creds {
            req = req.header(header::AUTHORIZATION, creds.basic.clone());
        }
        let body = match body {
            Some(body) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let res = self.http.request(req.body(Full::new(body))?).await?;
        let status = res.status();
        Ok((status, res.into_body().collect().await?.to_bytes()))
    }

    /// A request that must answer 200; its JSON.
    async fn ok(
        &self,
        method: Method,
        path: &str,
        creds: &Creds,
        body: Option<Value>,
    ) -> Result<Value> {
        let (status, bytes) = self
            .send(method.clone(), path, Some(creds), body.as_ref())
            .await?;
        if status != StatusCode::OK {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The `amount` of a wallet (`/api/v2/wallet` or a user's).
    async fn wallet(&self, path: &str, creds: &Creds) -> Result<i64> {
        let wallet = self.ok(Method::GET, path, creds, None).await?;
        wallet["amount"].as_i64().context("a wallet without amount")
    }
}

/// App `k` of benchmark run `run`, made with the organization's credentials
/// (`POST /api/v2/apps`, issue 10 "Organization and apps").
async fn new_app(sandbox: &Sandbox, org: &Creds, run: &str, k: usize) -> Result<Creds> {
    let body = json!({"name": format!("bench {run} {k}")});
    let app = sandbox
        .ok(Method::POST, "/api/v2/apps", org, Some(body))
        .await?;
    let field = |name: &str| {
        app[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("a new app without {name}"))
    };
    Creds::new(&field("client_id")?, &field("api_key")?)
}

/// What a measurement saw: each request's latency and result, and how long it all took.
struct Measured<T> {
    done: Vec<(Duration, T)>,
    elapsed: Duration,
}

impl<T> Measured<T> {
    fn rate(&self) -> f64 {
        self.done.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile latency in milliseconds.
    fn percentile_ms(&self, p: usize) -> f64 {
        let mut latencies: Vec<Duration> = self.done.iter().map(|(d, _)| *d).collect();
        latencies.sort_unstable();
        let i = (latencies.len() * p / 100).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Runs `job(worker, i)` from `concurrency` workers, each one request at a time, until
/// `seconds` have passed; any failed job fails the measurement.
async fn measure<T, F, Fut>(concurrency: usize, seconds: u64, job: F) -> Result<Measured<T>>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send,
    T: Send + 'static,
{
    let job = Arc::new(job);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let job = job.clone();
        workers.spawn(async move {
            let mut done = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let out = job(worker, i).await?;
                done.push((t0.elapsed(), out));
                i += 1;
            }
            Ok::<_, anyhow::Error>(done)
        });
    }
    let mut done = Vec::new();
    while let Some(worker) = workers.join_next().await {
        done.extend(worker??);
    }
    Ok(Measured {
        done,
        elapsed: start.elapsed(),
    })
}

/// `GET path` from every worker; 200 expected.
async fn measure_get(
    sandbox: &Sandbox,
    cli: &Cli,
    path: String,
    creds: Option<Creds>,
) -> Result<Measured<()>> {
    let (sandbox, path) = (sandbox.clone(), Arc::new(path));
    measure(cli.concurrency, cli.seconds, move |_, _| {
        let (sandbox, path, creds) = (sandbox.clone(), path.clone(), creds.clone());
        async move {
            let (status, body) = sandbox
                .send(Method::GET, &path, creds.as_ref(), None)
                .await?;
            ensure!(status == StatusCode::OK, "GET {path}: {status} {body:?}");
            Ok(())
        }
    })
    .await
}

/// One payout's result: its app, its idempotency key, the transfer it answered and what it
/// took from the app's wallet (amount and fee).
struct Paid {
    app: usize,
    key: String,
    transfer_id: String,
    debit: i64,
}

/// The cents every payout pays.
const AMOUNT: i64 = 100;

/// Payouts from `apps` new apps with `--users` users each for `--seconds` from `--concurrency`
/// workers, and with `quiet` from one more app, one payout at a time; checks the ledger after.
/// Prints one line, and one for the quiet app.
async fn payout_run(
    sandbox: &Sandbox,
    org: &Creds,
    cli: &Cli,
    run: &str,
    apps: usize,
    quiet: bool,
) -> Result<()> {
    let mut creds = Vec::new();
    let mut users: Vec<Vec<String>> = Vec::new();
    let mut before = Vec::new();
    let run_key = format!("{run}_{apps}{}", if quiet { "q" } else { "" });
    let all = apps + usize::from(quiet);
    for k in 0..all {
        let app = new_app(sandbox, org, &run_key, k).await?;
        sandbox
            .ok(
                Method::POST,
                "/api/v2/sandbox/refills",
                &app,
                Some(json!({"amount": 100_000_000})),
            )
            .await?;
        // Thousands of $1.00 payouts per user would cross the $600.00 reporting threshold of
        // users without compliance (issue 11): the app raises it, and every payout still pays
        // for the threshold's check.
        sandbox
            .ok(
                Method::PATCH,
                "/api/v2/app",
                &app,
                Some(json!({"reporting_threshold": 100_000_000})),
            )
            .await?;
        let mut ids = Vec::new();
        for u in 0..cli.users {
            let user = sandbox
                .ok(
                    Method::POST,
                    "/api/v2/users",
                    &app,
                    Some(json!({
                    "first_name": "Ada", "last_name": format!("Bench{u}"),
                    "email": format!("ada{u}@example.com"),
                    "country_code": "1", "phone_number": "4155550123"})),
                )
                .await?;
            let id = user["id"].as_str().context("a user without id")?.to_owned();
            sandbox
                .ok(
                    Method::POST,
                    &format!("/api/v2/users/{id}/payout-methods"),
                    &app,
                    Some(json!({"platform": "paypal", "email": "ada@example.com"})),
                )
                .await?;
            ids.push(id);
        }
        before.push(sandbox.wallet("/api/v2/wallet", &app).await?);
        creds.push(app);
        users.push(ids);
    }
    let (creds, users) = (Arc::new(creds), Arc::new(users));
    let (sandbox2, creds2, users2) = (sandbox.clone(), creds.clone(), users.clone());
    let busy = cli.concurrency;
    let measured = measure(busy + usize::from(quiet), cli.seconds, move |worker, i| {
        let (sandbox, creds, users) = (sandbox2.clone(), creds2.clone(), users2.clone());
        // The worker past the busy ones is the quiet app's.
        let app = if worker == busy { apps } else { worker % apps };
        let user = users[app][(worker / apps) % users[app].len()].clone();
        // Every 20th request replays the previous key: it must answer that key's transfer.
        let n = if i % 20 == 19 { i - 1 } else { i };
        let key = format!("{run_key}-{worker}-{n}");
        async move {
            let body = json!({"user_id": user, "amount": AMOUNT, "platform": "paypal",
                              "fund": true, "idempotency_key": key});
            let transfer = sandbox
                .ok(Method::POST, "/api/v2/payouts", &creds[app], Some(body))
                .await?;
            let fee = transfer["external_data"]["fee"]
                .as_i64()
                .context("a payout without fee")?;
            Ok(Paid {
                app,
                key,
                transfer_id: transfer["id"]
                    .as_str()
                    .context("a payout without id")?
                    .to_owned(),
                debit: AMOUNT + fee,
            })
        }
    })
    .await?;

    // The ledger, exact: one transfer per key; each wallet lost what its keys paid.
    let mut by_key: HashMap<&str, &str> = HashMap::new();
    let mut debited = vec![0_i64; all];
    for (_, paid) in &measured.done {
        match by_key.insert(&paid.key, &paid.transfer_id) {
            Some(first) if first != paid.transfer_id => {
                bail!(
                    "key {} paid twice: {first} and {}",
                    paid.key,
                    paid.transfer_id
                )
            }
            Some(_) => {}
            None => debited[paid.app] += paid.debit,
        }
    }
    for k in 0..all {
        let now = sandbox.wallet("/api/v2/wallet", &creds[k]).await?;
        ensure!(
            now == before[k] - debited[k],
            "app {k}'s wallet holds {now}, but {} less {} is {}",
            before[k],
            debited[k],
            before[k] - debited[k]
        );
        for user in &users[k] {
            let held = sandbox
                .wallet(&format!("/api/v2/users/{user}/wallet"), &creds[k])
                .await?;
            ensure!(held == 0, "user {user} of app {k} holds {held}, expected 0");
        }
    }
    let (loud, calm): (Vec<_>, Vec<_>) = measured
        .done
        .into_iter()
        .partition(|(_, paid)| paid.app < apps);
    let lines = [
        (
            format!("payouts, {apps} app{}", if apps == 1 { "" } else { "s" }),
            loud,
        ),
        ("  a quiet app beside".to_owned(), calm),
    ];
    for (what, done) in lines.into_iter().filter(|(_, done)| !done.is_empty()) {
        let paid = done
            .iter()
            .map(|(_, paid)| paid.key.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len();
        let replays = done.len() - paid;
        let m = Measured {
            done,
            elapsed: measured.elapsed,
        };
        println!(
            "{:<9} {what:<24} {:>8.0}/s   p50 {:>7.2} ms  p99 {:>7.2} ms   {paid} paid, {replays} replays, ledger exact",
            cli.label,
            paid as f64 / m.elapsed.as_secs_f64(),
            m.percentile_ms(50),
            m.percentile_ms(99),
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let sandbox = Sandbox {
        base: cli.base.trim_end_matches('/').to_owned(),
        http: Client::builder(TokioExecutor::new()).build_http(),
    };
    let org = Creds::new(&cli.org_id, &cli.org_key)?;
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_millis()
        .to_string();

    let app = new_app(&sandbox, &org, &run, 0).await?;
    let flow = sandbox
        .ok(
            Method::POST,
            "/api/v2/flows",
            &app,
            Some(json!({"steps": ["compliance"]})),
        )
        .await?;
    let flow_path = format!(
        "/api/v2/flows/{}",
        flow["id"].as_str().context("a flow without id")?
    );
    // Warm up: connections open, caches fill.
    let warm = Cli {
        seconds: 1,
        ..Cli::parse()
    };
    measure_get(&sandbox, &warm, flow_path.clone(), Some(app.clone())).await?;

    let health = measure_get(&sandbox, &cli, "/healthz".to_owned(), None).await?;
    let flows = measure_get(&sandbox, &cli, flow_path, Some(app)).await?;
    for (what, m, extra) in [
        ("GET /healthz", &health, String::new()),
        (
            "GET /api/v2/flows/{id}",
            &flows,
            format!(
                "   {:.0}% of /healthz",
                100.0 * flows.rate() / health.rate()
            ),
        ),
    ] {
        println!(
            "{:<9} {what:<24} {:>8.0}/s   p50 {:>7.2} ms  p99 {:>7.2} ms{extra}",
            cli.label,
            m.rate(),
            m.percentile_ms(50),
            m.percentile_ms(99),
        );
    }
    payout_run(&sandbox, &org, &cli, &run, 1, false).await?;
    payout_run(&sandbox, &org, &cli, &run, cli.apps, false).await?;
    payout_run(&sandbox, &org, &cli, &run, 1, true).await?;
    Ok(())
}
