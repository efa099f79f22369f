//! End-to-end: webhooks from the real `payout-sandbox` binary (issue 10), as a host's receiver
//! on loopback gets them: `flow.updated` for a flow completed in Chromium, signed so the
//! Standard Webhooks verifier accepts it; deliveries pending when the sandbox is SIGKILLed
//! arrive after it restarts on the same SQLite file; and two sandbox processes on one
//! PostgreSQL deliver each event once.

use anyhow::{bail, Context as _, Result};
use payout_e2e::{
    fresh_postgres, BinaryOptions, Browser, HostPage, ReservedPort, Sandbox, TempDir,
    WebhookReceiver,
};
use payout_model::endpoint as ep;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

/// A webhook endpoint of the default app at `url` for `events`; returns it (with its secret).
async fn webhook(sandbox: &Sandbox, url: &str, events: Value) -> Result<Value> {
    sandbox
        .host_ok::<ep::CreateWebhook>(&(), Some(json!({"url": url, "events": events})))
        .await
}

fn secret(hook: &Value) -> Result<String> {
    Ok(hook["secret"].as_str().context("no secret")?.to_owned())
}

fn options(data: &TempDir, database: String, name: &str, retries: &str) -> BinaryOptions {
    BinaryOptions {
        database,
        env: vec![
            (
                "PAYOUT_SANDBOX_WEBHOOK_RETRIES".to_owned(),
                retries.to_owned(),
            ),
            ("PAYOUT_SANDBOX_WEBHOOK_TIMEOUT".to_owned(), "2s".to_owned()),
        ],
        log: data.path().join(format!("{name}.log")),
        assets: None,
    }
}

/// Endpoint `hook`'s delivery log once it holds `n` attempts (newest first). A worker logs an
/// attempt just after the receiver answers it, so the log can trail what the receiver saw.
async fn log_of(sandbox: &Sandbox, hook: &Value, n: usize) -> Result<Vec<Value>> {
    let path = format!(
        "/api/v2/webhooks/{}/deliveries?limit=100",
        hook["id"].as_str().unwrap_or_default()
    );
    let deadline = tokio::time::Instant::now() + payout_e2e::WAIT;
    loop {
        let log = sandbox.get_ok(&path).await?;
        let attempts = log["data"].as_array().context("no data")?.clone();
        if attempts.len() >= n {
            return Ok(attempts);
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "the delivery log holds {} attempts, not {n}: {log}",
                attempts.len()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The default app's `transfer.updated` event ids, as `GET /api/v2/events` lists them.
async fn transfer_event_ids(sandbox: &Sandbox) -> Result<BTreeSet<String>> {
    let list = sandbox.get_ok("/api/v2/events?limit=100").await?;
    Ok(list["data"]
        .as_array()
        .context("no data")?
        .iter()
        .filter(|e| e["type"] == "transfer.updated")
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_completed_in_chromium_sends_verified_flow_updated() -> Result<()> {
    let data = TempDir::new("payout-e2e-webhooks")?;
    let db = format!("sqlite://{}/sandbox.sqlite", data.path().display());
    let sandbox = Sandbox::start_binary(&options(&data, db, "sandbox", "0s,1s,1s")).await?;
    let mut receiver = WebhookReceiver::start().await?;
    let hook = webhook(&sandbox, &receiver.url, json!(["flow.updated"])).await?;
    let host = HostPage::start().await?;
    let landing = format!("{}/landed", host.origin);
    let user_id = sandbox.create_user().await?;
    let flow = sandbox
        .create_flow(json!({
            "steps": [{"name": "redirect", "redirect_url": landing}],
            "user_id": user_id,
        }))
        .await?;

    let browser = Browser::start().await?;
    browser
        .client
        .goto(flow["link"].as_str().unwrap_or_default())
        .await?;
    browser.wait_for_url(&landing).await?;

    let delivery = receiver.next().await?;
    delivery.verify(&secret(&hook)?)?;
    let event = delivery.event()?;
    assert_eq!(event["type"], json!("flow.updated"));
    assert!(event["id"].as_str().unwrap_or_default().starts_with("evt_"));
    assert_eq!(
        delivery.headers["svix-id"].to_str()?,
        event["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        delivery.headers["webhook-signature"],
        delivery.headers["svix-signature"]
    );
    // The flow as the host reads it, completed.
    let flow_id = payout_e2e::id(flow["id"].as_str().unwrap_or_default())?;
    let now = sandbox.host_ok::<ep::GetFlow>(&flow_id, None).await?;
    assert_eq!(event["data"], now);
    assert_eq!(event["data"]["completed_steps"], json!(["redirect"]));
    // One step, one completion: nothing else was sent.
    let log = log_of(&sandbox, &hook, 1).await?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["response_status"], json!(200));
    assert_eq!(receiver.requests.load(Ordering::SeqCst), 1);

    // `/demo` lists what the sandbox's own receiver verified for the flow it embeds.
    let user_id = sandbox.create_user().await?;
    let flow = sandbox
        .create_flow(json!({
            "steps": [{"name": "redirect", "redirect_url": "https://example.com/"}],
            "user_id": user_id,
        }))
        .await?;
    let link = flow["link"].as_str().unwrap_or_default();
    let demo = sandbox.base.replace("127.0.0.1", "localhost") + "/demo?follow=0&link=" + link;
    browser.client.goto(&demo).await?;
    let shown = browser
        .wait_for_text("#webhooks li[data-type='flow.updated']", "verified")
        .await?;
    assert!(shown.contains(r#"["redirect"]"#), "{shown}");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_pending_at_a_sigkill_arrive_after_a_restart() -> Result<()> {
    let data = TempDir::new("payout-e2e-webhooks")?;
    let db = format!("sqlite://{}/sandbox.sqlite", data.path().display());
    // The receiver is down: its port is known (and held) but nothing listens there.
    let reserved = ReservedPort::new()?;
    let url = format!("http://127.0.0.1:{}/hook", reserved.port()?);
    let retries = "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s";
    let mut first = Sandbox::start_binary(&options(&data, db.clone(), "first", retries)).await?;
    // Events from before the endpoint existed (the app's opening refill) are owed to nobody.
    let before = transfer_event_ids(&first).await?;
    let hook = webhook(&first, &url, json!(["transfer.updated"])).await?;
    let user_id = first.create_user().await?;
    for cents in [100, 200, 300] {
        first.fund_user(&user_id, cents).await?;
    }
    let owed = &transfer_event_ids(&first).await? - &before;
    assert_eq!(owed.len(), 3);
    first.kill();

    let mut receiver = WebhookReceiver::start_on(reserved).await?;
    let second = Sandbox::start_binary(&options(&data, db, "second", retries)).await?;
    let mut got = BTreeSet::new();
    while got != owed {
        let delivery = receiver.next().await?;
        delivery.verify(&secret(&hook)?)?;
        let id = delivery.event()?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !owed.contains(&id) {
            bail!("unexpected event {id}");
        }
        got.insert(id);
    }
    drop(second);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sandboxes_on_one_postgresql_deliver_each_event_once() -> Result<()> {
    let Some(database) = fresh_postgres().await? else {
        eprintln!(
            "skipped: set PAYOUT_SANDBOX_TEST_POSTGRES (scripts/postgres.sh does) to run two \
             sandboxes on one PostgreSQL"
        );
        return Ok(());
    };
    let data = TempDir::new("payout-e2e-webhooks")?;
    let retries = "0s,1s,1s,1s,1s";
    let a = Sandbox::start_binary(&options(&data, database.clone(), "a", retries)).await?;
    let b = Sandbox::start_binary(&options(&data, database, "b", retries)).await?;
    let mut receiver = WebhookReceiver::start().await?;
    let before = transfer_event_ids(&a).await?;
    let hook = webhook(&a, &receiver.url, json!(["transfer.updated"])).await?;
    let user_id = a.create_user().await?;
    const TRANSFERS: usize = 20;
    for i in 0..TRANSFERS {
        let sandbox = if i % 2 == 0 { &a } else { &b };
        sandbox.fund_user(&user_id, 100).await?;
    }
    let owed = &transfer_event_ids(&a).await? - &before;
    assert_eq!(owed.len(), TRANSFERS);

    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    while times.len() < TRANSFERS {
        let delivery = receiver.next().await?;
        delivery.verify(&secret(&hook)?)?;
        let id = delivery.event()?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *times.entry(id).or_default() += 1;
    }
    assert_eq!(times.keys().cloned().collect::<BTreeSet<_>>(), owed);
    // Every attempt is logged once it is made: the log holds exactly one per event, each a
    // success, and the receiver saw no second copy.
    let attempts = log_of(&a, &hook, TRANSFERS).await?;
    assert_eq!(attempts.len(), TRANSFERS, "{attempts:?}");
    assert!(attempts.iter().all(|a| a["succeeded"] == json!(true)));
    assert!(times.values().all(|n| *n == 1), "{times:?}");
    assert_eq!(receiver.requests.load(Ordering::SeqCst), TRANSFERS);
    Ok(())
}
