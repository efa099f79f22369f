//! Payout batches as a host sees them (issue 11; seed 004 "Create Batch Payouts", "GET
//! /v2/payout-batches/{payout_batch_id}", "List Historical Payout Batches"): the batch answered
//! at once, its items checked for shape up front, the worker paying each item through the single
//! payout's engine with the item's own idempotency key, failures isolated per item, the counts
//! and statuses as they move, and a worker stopped or killed mid-batch resuming without paying
//! an item twice. Every test that moves money ends by checking the ledger's invariants.
//!
//! The worker is driven step by step with [`process_payout_batches`] over the test's database
//! (one test runs the spawned worker). Runs on PostgreSQL too with
//! `PAYOUT_SANDBOX_TEST_POSTGRES=postgres://…/postgres`.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Duration, Utc};
use payout_sandbox::{
    ensure_default_app, process_payout_batches, spawn_payout_batch_worker, AppState, Clock, Config,
};
use serde_json::{json, Value};
use support::{
    assert_ledger_invariants, bob, id_of, keys, ok, Auth, TestApp, TestResponse, OTHER, PUBLIC_URL,
};

/// A state over `app`'s database whose clock runs `ahead` of now, for the worker.
fn worker_state(app: &TestApp, ahead: Duration) -> AppState {
    AppState::new(app.db.clone(), Config::new(PUBLIC_URL, "no-such-dist"))
        .with_clock(Clock::from_fn(move || Utc::now() + ahead))
}

/// Runs the worker over `app`'s database until nothing is due; answers the items it settled.
async fn run_worker(app: &TestApp) -> usize {
    process_payout_batches(&worker_state(app, Duration::zero()), usize::MAX)
        .await
        .unwrap()
}

/// A new user of the default app with a PayPal payout method; returns their id.
async fn paypal_user(app: &TestApp) -> String {
    user_with(
        app,
        json!({"platform": "paypal", "email": "ada@example.com"}),
    )
    .await
}

/// A new user of the default app with the payout method `method`; returns their id.
async fn user_with(app: &TestApp, method: Value) -> String {
    let user = id_of(&app.create_user().await);
    ok(app
        .post(
            &format!("/api/v2/users/{user}/payout-methods"),
            Auth::App,
            method,
        )
        .await);
    user
}

/// A funded PayPal payout of `amount` to `user` under `key`.
fn item(user: &str, amount: i64, key: &str) -> Value {
    json!({"user_id": user, "amount": amount, "platform": "paypal", "fund": true,
           "tax_exempt": false, "idempotency_key": key, "metadata": {"invoice_id": key}})
}

async fn create(app: &TestApp, body: Value) -> TestResponse {
    app.post("/api/v2/payout-batches", Auth::App, body).await
}

async fn batch(app: &TestApp, id: &str) -> Value {
    ok(app
        .get(&format!("/api/v2/payout-batches/{id}"), Auth::App)
        .await)
}

async fn items(app: &TestApp, id: &str) -> Vec<Value> {
    ok(app
        .get(&format!("/api/v2/payout-batches/{id}/items"), Auth::App)
        .await)["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// `(status, processed, succeeded, failed, total)` of batch `id`.
async fn progress(app: &TestApp, id: &str) -> (String, i64, i64, i64, i64) {
    let b = batch(app, id).await;
    (
        b["status"].as_str().unwrap().to_owned(),
        b["items_processed"].as_i64().unwrap(),
        b["items_succeeded"].as_i64().unwrap(),
        b["items_failed"].as_i64().unwrap(),
        b["items_total"].as_i64().unwrap(),
    )
}

fn progress_of(
    status: &str,
    processed: i64,
    succeeded: i64,
    failed: i64,
    total: i64,
) -> (String, i64, i64, i64, i64) {
    (status.to_owned(), processed, succeeded, failed, total)
}

async fn payout_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE kind = 'payout'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// `amount` of the default app's wallet.
async fn app_balance(app: &TestApp) -> i64 {
    ok(app.get("/api/v2/wallet", Auth::App).await)["amount"]
        .as_i64()
        .unwrap()
}

/// Review (stop 41): a batch's up to 1,000 rows were inserted under the global PostgreSQL write
/// lock, which every app's sign-ins and settings queue on (each waiter holding a pool
/// connection). A batch writes its own rows and waits for no one holding that lock.
#[tokio::test]
async fn a_batch_is_made_without_the_global_write_lock() {
    let app = TestApp::new().await;
    let ada = paypal_user(&app).await;
    if !support::on_postgres() {
        return;
    }
    let held = support::holding(&app.db, support::WRITE_LOCK).await;
    let made = tokio::select! {
        res = create(&app, json!({"items": [item(&ada, 1_000, "k-1")]})) => res,
        () = support::until_lock_waiters(&app.db, 1) => panic!("the batch waited for the lock"),
    };
    assert_eq!(made.status, 200, "{}", made.text());
    held.commit().await.unwrap();
}

#[tokio::test]
async fn a_batch_is_answered_at_once_with_the_seeds_shape() {
    let app = TestApp::new().await;
    let (ada, bo) = (paypal_user(&app).await, paypal_user(&app).await);
    let res = create(
        &app,
        json!({
            "idempotency_key": "a7bb54d2-7342-4d13-a8aa-9d999753128b",
            "metadata": {"batch_type": "weekly_payouts", "week": "2024-08"},
            "items": [item(&ada, 1_000, "k-1"), item(&bo, 2_500, "k-2")],
        }),
    )
    .await;
    let b = ok(res);
    assert_eq!(
        keys(&b),
        [
            "created",
            "id",
            "idempotency_key",
            "items_failed",
            "items_processed",
            "items_succeeded",
            "items_total",
            "metadata",
            "status"
        ]
    );
    assert_eq!(b["status"], "created");
    assert_eq!(b["idempotency_key"], "a7bb54d2-7342-4d13-a8aa-9d999753128b");
    assert_eq!(
        b["metadata"],
        json!({"batch_type": "weekly_payouts", "week": "2024-08"})
    );
    assert_eq!(
        (
            &b["items_processed"],
            &b["items_succeeded"],
            &b["items_failed"],
            &b["items_total"]
        ),
        (&json!(0), &json!(0), &json!(0), &json!(2))
    );
    // Nothing is paid before the worker runs.
    assert_eq!(payout_count(&app).await, 0);
    assert_eq!(batch(&app, &id_of(&b)).await, b);
    let listed = items(&app, &id_of(&b)).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        keys(&listed[0]),
        ["error", "index", "request", "status", "transfer_id"]
    );
    assert_eq!(listed[1]["index"], 1);
    assert_eq!(listed[1]["status"], "pending");
    assert_eq!(listed[1]["request"]["amount"], 2_500);
    assert_eq!(listed[1]["request"]["idempotency_key"], "k-2");
    assert_eq!(listed[1]["transfer_id"], Value::Null);
}

#[tokio::test]
async fn the_worker_pays_every_item_and_completes_the_batch() {
    let app = TestApp::new().await;
    let users = [
        paypal_user(&app).await,
        paypal_user(&app).await,
        paypal_user(&app).await,
    ];
    let events_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'transfer.updated'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let body = json!({"items": [
        item(&users[0], 1_000, "a"), item(&users[1], 2_000, "b"), item(&users[2], 3_000, "c"),
    ]});
    let id = id_of(&ok(create(&app, body).await));
    assert_eq!(run_worker(&app).await, 3);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 3, 3, 0, 3)
    );
    for (i, item) in items(&app, &id).await.iter().enumerate() {
        assert_eq!(item["status"], "succeeded");
        assert_eq!(item["error"], Value::Null);
        let transfer = ok(app
            .get(
                &format!(
                    "/api/v2/transfers/{}",
                    item["transfer_id"].as_str().unwrap()
                ),
                Auth::App,
            )
            .await);
        assert_eq!(transfer["type"], "payout");
        assert_eq!(transfer["status"], "completed");
        assert_eq!(transfer["user_id"], users[i].as_str());
        assert_eq!(transfer["amount"], 1_000 * (i as i64 + 1));
    }
    // Each item's transfer is recorded as an event, as a single payout's is.
    let events_after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'transfer.updated'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(events_after - events_before, 3);
    // $60.00 funded and paid out, and the fees the app pays: 2% of each, at least 25¢.
    let fees = 25 + 40 + 60;
    assert_eq!(app_balance(&app).await, 10_000 - 6_000 - fees);
    assert_eq!(run_worker(&app).await, 0);
    assert_eq!(payout_count(&app).await, 3);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn a_failing_item_fails_alone() {
    let app = TestApp::new().await;
    let paid = paypal_user(&app).await;
    let no_method = id_of(&app.create_user().await);
    ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
        .await
        .unwrap();
    let theirs = id_of(&ok(app.post("/api/v2/users", OTHER, bob()).await));
    let body = json!({"items": [
        item(&paid, 1_000, "ok-1"),
        item(&no_method, 1_000, "no-method"),
        item(&paid, 50_000, "too-much"),
        item(&theirs, 1_000, "not-ours"),
        item(&paid, 2_000, "ok-2"),
    ]});
    let id = id_of(&ok(create(&app, body).await));
    assert_eq!(run_worker(&app).await, 5);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 5, 2, 3, 5)
    );
    let listed = items(&app, &id).await;
    let statuses: Vec<_> = listed.iter().map(|i| i["status"].clone()).collect();
    assert_eq!(
        statuses,
        ["succeeded", "failed", "failed", "failed", "succeeded"]
    );
    let failed_field = |i: usize| {
        let error = &listed[i]["error"];
        assert_eq!(error["code"], "invalid_request", "{error}");
        assert_eq!(listed[i]["transfer_id"], Value::Null);
        (
            error["fields"][0]["field"].as_str().unwrap().to_owned(),
            error["fields"][0]["rule"]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    assert_eq!(
        failed_field(1),
        ("platform".into(), "no_payout_method".into())
    );
    assert_eq!(
        failed_field(2),
        ("amount".into(), "insufficient_funds".into())
    );
    assert_eq!(failed_field(3), ("user_id".into(), "no_such_user".into()));
    assert_eq!(payout_count(&app).await, 2);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn the_same_key_and_body_answer_the_same_batch_and_another_body_409() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let body = json!({"idempotency_key": "batch-1", "items": [item(&user, 1_000, "i-1")]});
    let first = ok(create(&app, body.clone()).await);
    let again = ok(create(&app, body.clone()).await);
    assert_eq!(first, again);
    // Field order does not matter.
    let reordered = json!({"items": [item(&user, 1_000, "i-1")], "idempotency_key": "batch-1"});
    assert_eq!(ok(create(&app, reordered).await)["id"], first["id"]);
    let other = json!({"idempotency_key": "batch-1", "items": [item(&user, 1_001, "i-1")]});
    create(&app, other).await.assert_error(409, "conflict");
    run_worker(&app).await;
    // A retry after the batch was paid answers it as it now is, and pays nothing more.
    let replayed = ok(create(&app, body).await);
    assert_eq!(replayed["id"], first["id"]);
    assert_eq!(replayed["status"], "completed");
    let batches: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payout_batches")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(batches, 1);
    assert_eq!(payout_count(&app).await, 1);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn an_items_key_is_honoured_across_batches_and_single_payouts() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    // The host paid this payout itself first.
    let single = ok(app
        .post("/api/v2/payouts", Auth::App, item(&user, 1_000, "shared"))
        .await);
    let first = id_of(&ok(create(
        &app,
        json!({"items": [item(&user, 1_000, "shared"), item(&user, 500, "own")]}),
    )
    .await));
    // A second batch (no batch key: a new batch) repeating one item, and using the single
    // payout's key with another body.
    let second = id_of(&ok(create(
        &app,
        json!({"items": [item(&user, 500, "own"), item(&user, 700, "shared")]}),
    )
    .await));
    run_worker(&app).await;
    let first_items = items(&app, &first).await;
    assert_eq!(first_items[0]["transfer_id"], single["id"]);
    let second_items = items(&app, &second).await;
    assert_eq!(second_items[0]["status"], "succeeded");
    assert_eq!(
        second_items[0]["transfer_id"],
        first_items[1]["transfer_id"]
    );
    // The key again with another body: that item fails, as the single payout would (409).
    assert_eq!(second_items[1]["status"], "failed");
    assert_eq!(second_items[1]["error"]["code"], "conflict");
    assert_eq!(
        progress(&app, &second).await,
        progress_of("completed", 2, 1, 1, 2)
    );
    assert_eq!(payout_count(&app).await, 2);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn bad_items_are_named_by_their_index_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let mut zero = item(&user, 1_000, "b");
    zero["amount"] = json!(0);
    let mut blank_key = item(&user, 1_000, "c");
    blank_key["idempotency_key"] = json!("");
    let body = json!({"items": [item(&user, 1_000, "a"), zero, item(&user, 1, "x"), blank_key]});
    let res = create(&app, body).await;
    assert_eq!(
        res.assert_invalid_rule("items[1].amount")["code"],
        "at_least_one_cent"
    );
    assert_eq!(
        res.assert_invalid_rule("items[3].idempotency_key")["code"],
        "idempotency_key"
    );
    // Two items under one key would be one payout counted twice: the later one is named.
    let res = create(
        &app,
        json!({"items": [item(&user, 1_000, "a"), item(&user, 2_000, "a")]}),
    )
    .await;
    assert_eq!(
        res.assert_invalid_rule("items[1].idempotency_key")["code"],
        "repeated_key"
    );
    // A field of the wrong shape is named by its path too.
    let mut text = item(&user, 1_000, "d");
    text["amount"] = json!("ten");
    let res = create(
        &app,
        json!({"items": [item(&user, 1_000, "a"), item(&user, 5, "e"), item(&user, 6, "f"), text]}),
    )
    .await;
    res.assert_invalid_field("items[3].amount");
    let mut missing = item(&user, 1_000, "g");
    missing.as_object_mut().unwrap().remove("user_id");
    create(&app, json!({"items": [missing]}))
        .await
        .assert_invalid_field("items[0].user_id");
    create(&app, json!({"items": []}))
        .await
        .assert_invalid_field("items");
    create(&app, json!({"metadata": {}}))
        .await
        .assert_invalid_field("items");
    let batches: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payout_batches")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(batches, 0);
}

#[tokio::test]
async fn at_most_1000_items() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let many =
        |n: usize| -> Vec<Value> { (0..n).map(|i| item(&user, 1, &format!("k-{i}"))).collect() };
    let res = create(&app, json!({"items": many(1_001)})).await;
    let rule = res.assert_invalid_rule("items");
    assert_eq!(rule["code"], "max_items");
    assert_eq!(rule["max"], 1_000);
    let b = ok(create(&app, json!({"items": many(1_000)})).await);
    assert_eq!(b["items_total"], 1_000);
    let listed = items(&app, &id_of(&b)).await;
    assert_eq!(listed.len(), 1_000);
    assert_eq!(listed[999]["index"], 999);
    assert_eq!(listed[999]["request"]["idempotency_key"], "k-999");
}

#[tokio::test]
async fn another_apps_batches_are_not_found_and_not_listed() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let id = id_of(&ok(
        create(&app, json!({"items": [item(&user, 100, "a")]})).await
    ));
    ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
        .await
        .unwrap();
    app.get(&format!("/api/v2/payout-batches/{id}"), OTHER)
        .await
        .assert_error(404, "not_found");
    app.get(&format!("/api/v2/payout-batches/{id}/items"), OTHER)
        .await
        .assert_error(404, "not_found");
    let theirs = ok(app.get("/api/v2/payout-batches", OTHER).await);
    assert_eq!(theirs["data"], json!([]));
    app.get("/api/v2/payout-batches/not-a-uuid", Auth::App)
        .await
        .assert_error(404, "not_found");
    // The other app's own key does not collide with ours.
    let mine = ok(create(
        &app,
        json!({"idempotency_key": "same", "items": [item(&user, 100, "b")]}),
    )
    .await);
    let other_user = id_of(&ok(app.post("/api/v2/users", OTHER, bob()).await));
    let res = app
        .post(
            "/api/v2/payout-batches",
            OTHER,
            json!({"idempotency_key": "same", "items": [item(&other_user, 100, "b")]}),
        )
        .await;
    assert_ne!(ok(res)["id"], mine["id"]);
}

#[tokio::test]
async fn flow_sessions_and_the_organization_without_an_app_are_refused() {
    let app = TestApp::new().await;
    let flow = app.create_redirect_flow().await;
    let session = app.create_session(&flow["id"], None).await;
    let token = session["token"].as_str().unwrap();
    let body = json!({"items": [item(&uuid::Uuid::new_v4().to_string(), 100, "a")]});
    app.post("/api/v2/payout-batches", Auth::Bearer(token), body.clone())
        .await
        .assert_error(401, "unauthorized");
    app.post("/api/v2/payout-batches", Auth::Org, body.clone())
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v2/payout-batches", Auth::Org)
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v2/payout-batches", Auth::None, body)
        .await
        .assert_error(401, "unauthorized");
}

/// Review (stop 41): claims followed the global batch order, so one app's backlog held up every
/// other app's batch until all of it was paid. Apps take turns: another app's batch, made
/// after, is paid by the next claim of two items, beside the first app's oldest.
#[tokio::test]
async fn apps_take_turns_with_their_batches() {
    let app = TestApp::new().await;
    let ada = paypal_user(&app).await;
    let backlog: Vec<Value> = (0..5).map(|i| item(&ada, 100, &format!("m-{i}"))).collect();
    let mine = id_of(&ok(create(&app, json!({ "items": backlog })).await));
    ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
        .await
        .unwrap();
    let bo = id_of(&ok(app.post("/api/v2/users", OTHER, bob()).await));
    ok(app
        .post(
            &format!("/api/v2/users/{bo}/payout-methods"),
            OTHER,
            json!({"platform": "paypal", "email": "bob@example.com"}),
        )
        .await);
    let theirs = id_of(&ok(app
        .post(
            "/api/v2/payout-batches",
            OTHER,
            json!({"items": [item(&bo, 100, "t-1")]}),
        )
        .await));
    let worker = worker_state(&app, Duration::zero());
    assert_eq!(process_payout_batches(&worker, 2).await.unwrap(), 2);
    let theirs = ok(app
        .get(&format!("/api/v2/payout-batches/{theirs}"), OTHER)
        .await);
    assert_eq!(theirs["items_succeeded"], 1, "{theirs}");
    assert_eq!(theirs["status"], "completed");
    assert_eq!(
        progress(&app, &mine).await,
        progress_of("processing", 1, 1, 0, 5)
    );
    // The rest of the backlog follows.
    assert_eq!(
        process_payout_batches(&worker, usize::MAX).await.unwrap(),
        4
    );
    assert_eq!(
        progress(&app, &mine).await,
        progress_of("completed", 5, 5, 0, 5)
    );
    assert_ledger_invariants(&app.db).await;
}

/// More apps with backlogs than a claim has items (16): the next claim serves the apps the
/// first left out, so every app's batch moves within two claims, whichever is newest.
#[tokio::test]
async fn more_apps_than_a_claim_holds_still_take_turns() {
    let app = TestApp::new().await;
    let mut batches = Vec::new();
    for n in 0..17 {
        let made = app.make_app(&format!("Shop {n}")).await;
        let user = id_of(&ok(app.post("/api/v2/users", made.auth(), bob()).await));
        ok(app
            .post(
                &format!("/api/v2/users/{user}/payout-methods"),
                made.auth(),
                json!({"platform": "paypal", "email": "bob@example.com"}),
            )
            .await);
        let body = json!({"items": [item(&user, 100, "a"), item(&user, 100, "b")]});
        let id = id_of(&ok(app
            .post("/api/v2/payout-batches", made.auth(), body)
            .await));
        batches.push((made, id));
    }
    let worker = worker_state(&app, Duration::zero());
    assert_eq!(process_payout_batches(&worker, 32).await.unwrap(), 32);
    for (n, (made, id)) in batches.iter().enumerate() {
        let batch = ok(app
            .get(&format!("/api/v2/payout-batches/{id}"), made.auth())
            .await);
        assert!(
            batch["items_processed"].as_i64().unwrap() >= 1,
            "app {n}'s batch waited: {batch}"
        );
    }
    assert_eq!(run_worker(&app).await, 2);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn a_worker_stopped_between_items_resumes_without_paying_twice() {
    let app = TestApp::new().await;
    let users = [paypal_user(&app).await, paypal_user(&app).await];
    let body = json!({"items": [
        item(&users[0], 1_000, "a"), item(&users[1], 1_000, "b"),
        item(&users[0], 1_000, "c"), item(&users[1], 1_000, "d"),
    ]});
    let id = id_of(&ok(create(&app, body).await));
    // The worker stops after two items: the counts show how far it got.
    let first = worker_state(&app, Duration::zero());
    assert_eq!(process_payout_batches(&first, 1).await.unwrap(), 1);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("processing", 1, 1, 0, 4)
    );
    assert_eq!(process_payout_batches(&first, 1).await.unwrap(), 1);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("processing", 2, 2, 0, 4)
    );
    drop(first);
    // A new process over the same database takes up the rest.
    let restarted = worker_state(&app, Duration::zero());
    assert_eq!(
        process_payout_batches(&restarted, usize::MAX)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 4, 4, 0, 4)
    );
    assert_eq!(payout_count(&app).await, 4);
    // $40.00 funded and paid out, four 25¢ fees paid by the app.
    assert_eq!(app_balance(&app).await, 10_000 - 4_000 - 100);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn an_item_paid_before_a_crash_is_not_paid_again() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let body =
        json!({"items": [item(&user, 1_000, "paid-then-crash"), item(&user, 2_000, "next")]});
    let id = id_of(&ok(create(&app, body).await));
    let first = items(&app, &id).await[0]["request"].clone();
    // A worker claimed the first item, paid it, and died before recording it: its claim is
    // still on the row and its payout is in the ledger under the item's key.
    sqlx::query(
        "UPDATE payout_batch_items SET lease_until = $1 WHERE batch_id = $2 AND position = 0",
    )
    .bind((Utc::now() + Duration::seconds(30)).timestamp_millis())
    .bind(&id)
    .execute(&app.db)
    .await
    .unwrap();
    let paid = ok(app.post("/api/v2/payouts", Auth::App, first).await);
    let balance_after_first = app_balance(&app).await;
    // Until the claim runs out, the item is left alone; the next one is paid.
    assert_eq!(run_worker(&app).await, 1);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("processing", 1, 1, 0, 2)
    );
    assert_eq!(items(&app, &id).await[0]["status"], "pending");
    // Once it has run out, the item is taken up again and answers the transfer already made.
    let later = worker_state(&app, Duration::seconds(31));
    assert_eq!(process_payout_batches(&later, usize::MAX).await.unwrap(), 1);
    let listed = items(&app, &id).await;
    assert_eq!(listed[0]["status"], "succeeded");
    assert_eq!(listed[0]["transfer_id"], paid["id"]);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 2, 2, 0, 2)
    );
    assert_eq!(payout_count(&app).await, 2);
    // Only the second item's $20.00 and its 40¢ fee left the app's wallet after the first.
    assert_eq!(app_balance(&app).await, balance_after_first - 2_000 - 40);
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn ach_items_keep_the_batch_paying_out_until_they_settle() {
    let app = TestApp::new().await;
    let paypal = paypal_user(&app).await;
    let bank = user_with(
        &app,
        json!({"platform": "ach", "routing_number": "011000015", "account_number": "123456789",
               "account_type": "checking"}),
    )
    .await;
    let mut ach = item(&bank, 2_500, "ach");
    ach["platform"] = json!("ach");
    let id = id_of(&ok(create(
        &app,
        json!({"items": [item(&paypal, 1_000, "pp"), ach]}),
    )
    .await));
    run_worker(&app).await;
    assert_eq!(
        progress(&app, &id).await,
        progress_of("paying_out", 2, 2, 0, 2)
    );
    let transfer = items(&app, &id).await[1]["transfer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(app
        .post(
            &format!("/api/v2/sandbox/transfers/{transfer}/simulate"),
            Auth::App,
            json!({"status": "completed"}),
        )
        .await);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 2, 2, 0, 2)
    );
    let listed = ok(app.get("/api/v2/payout-batches", Auth::App).await);
    assert_eq!(listed["data"][0]["status"], "completed");
    assert_ledger_invariants(&app.db).await;
}

/// Review: an item whose payout failed on its rail, or was canceled or reversed, still read
/// `succeeded`, counted in `items_succeeded`: a host reconciling from the batch took the person
/// for paid while the ledger gave the money back. So did an item whose key replayed a payout
/// that had failed.
#[tokio::test]
async fn an_item_whose_payout_is_undone_reads_failed() {
    let app = TestApp::new().await;
    let bank = user_with(
        &app,
        json!({"platform": "ach", "routing_number": "011000015", "account_number": "123456789",
               "account_type": "checking"}),
    )
    .await;
    let paypal = paypal_user(&app).await;
    let ach = |key: &str| {
        let mut item = item(&bank, 2_500, key);
        item["platform"] = json!("ach");
        item
    };
    let id = id_of(&ok(create(
        &app,
        json!({"items": [ach("fails"), ach("canceled"), item(&paypal, 1_000, "reversed")]}),
    )
    .await));
    run_worker(&app).await;
    assert_eq!(
        progress(&app, &id).await,
        progress_of("paying_out", 3, 3, 0, 3)
    );
    let transfers: Vec<String> = items(&app, &id)
        .await
        .iter()
        .map(|i| i["transfer_id"].as_str().unwrap().to_owned())
        .collect();
    let path = |t: &str, action: &str| format!("/api/v2/transfers/{t}/{action}");
    ok(app
        .post(
            &format!("/api/v2/sandbox/transfers/{}/simulate", transfers[0]),
            Auth::App,
            json!({"status": "failed"}),
        )
        .await);
    ok(app
        .post_empty(&path(&transfers[1], "cancel"), Auth::App)
        .await);
    ok(app
        .post_empty(&path(&transfers[2], "reverse"), Auth::App)
        .await);
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 3, 0, 3, 3)
    );
    let listed = items(&app, &id).await;
    for (i, item) in listed.iter().enumerate() {
        assert_eq!(item["status"], "failed", "{item}");
        assert_eq!(item["transfer_id"], transfers[i].as_str());
        assert_eq!(item["error"], Value::Null);
    }
    // A later batch replaying the failed payout's key is no payout either.
    let again = id_of(&ok(create(&app, json!({"items": [ach("fails")]})).await));
    run_worker(&app).await;
    assert_eq!(
        progress(&app, &again).await,
        progress_of("completed", 1, 0, 1, 1)
    );
    assert_eq!(
        items(&app, &again).await[0]["transfer_id"],
        transfers[0].as_str()
    );
    assert_ledger_invariants(&app.db).await;
}

#[tokio::test]
async fn lists_newest_first_with_limit_and_cursors() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = json!({"items": [item(&user, 100, &format!("k-{i}"))]});
        ids.push(id_of(&ok(create(&app, body).await)));
    }
    let page = |query: &'static str| {
        let app = &app;
        async move {
            let list = ok(app
                .get(&format!("/api/v2/payout-batches{query}"), Auth::App)
                .await);
            let ids: Vec<String> = list["data"].as_array().unwrap().iter().map(id_of).collect();
            (ids, list["has_more"].as_bool().unwrap())
        }
    };
    assert_eq!(
        page("").await,
        (vec![ids[2].clone(), ids[1].clone(), ids[0].clone()], false)
    );
    assert_eq!(
        page("?limit=2").await,
        (vec![ids[2].clone(), ids[1].clone()], true)
    );
    let after = ok(app
        .get(
            &format!("/api/v2/payout-batches?limit=2&starting_after={}", ids[1]),
            Auth::App,
        )
        .await);
    assert_eq!(after["data"][0]["id"], ids[0].as_str());
    assert_eq!(after["has_more"], false);
    let before = ok(app
        .get(
            &format!("/api/v2/payout-batches?ending_before={}", ids[0]),
            Auth::App,
        )
        .await);
    let before: Vec<String> = before["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(before, [ids[2].clone(), ids[1].clone()]);
    app.get("/api/v2/payout-batches?limit=0", Auth::App)
        .await
        .assert_invalid_field("limit");
    app.get(
        &format!(
            "/api/v2/payout-batches?starting_after={}",
            uuid::Uuid::new_v4()
        ),
        Auth::App,
    )
    .await
    .assert_invalid_field("starting_after");
}

#[tokio::test]
async fn the_running_worker_pays_a_batch_as_soon_as_it_is_accepted() {
    let app = TestApp::new().await;
    let user = paypal_user(&app).await;
    let worker = spawn_payout_batch_worker(&worker_state(&app, Duration::zero()));
    let body = json!({"items": [item(&user, 1_000, "a"), item(&user, 2_000, "b")]});
    let id = id_of(&ok(create(&app, body).await));
    let mut done = false;
    for _ in 0..200 {
        if progress(&app, &id).await.0 == "completed" {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    worker.abort();
    assert!(done, "the worker did not complete the batch");
    assert_eq!(
        progress(&app, &id).await,
        progress_of("completed", 2, 2, 0, 2)
    );
    assert_ledger_invariants(&app.db).await;
}
