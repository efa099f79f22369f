//! Issue 8, "What a flow session may do" and "Links": a flow session acts only through the step
//! of its flow that owns the action, only while that step is current and the flow is not
//! complete; a complete flow's sessions end shortly after; a pre-authenticated link signs in one
//! browser; a user whose background check failed cannot pay out through a flow; flow payouts
//! have a minimum and never tell the end user the app's balance. See `tests/security.rs`.

use crate::support::{self, adult_dob, bob, other_adult_dob, Auth, TestApp, TestResponse};
use axum::http::{header, Method};
use chrono::Duration;
use payout_model::COMPLETED_SESSION_MINUTES;
use serde_json::{json, Value};
use std::sync::Arc;

/// The redirect step, as a flow lists it.
fn redirect() -> Value {
    json!({"name": "redirect", "redirect_url": "https://host.example/done"})
}

fn paypal() -> Value {
    json!({"platform": "paypal", "email": "mallory@example.com"})
}

/// A valid W-9 (compliance) body.
fn w9() -> Value {
    json!({
        "country": "US", "first_name": "Ada", "last_name": "Lovelace",
        "date_of_birth": adult_dob(), "tin": "123-45-6789",
        "address": {"line1": "1 Main St", "city": "San Francisco", "region": "CA",
                    "postal_code": "94103"}
    })
}

/// A US background check with `ssn`, the other fields valid.
fn us_check(ssn: &str) -> Value {
    json!({
        "country": "US", "ssn": ssn, "date_of_birth": other_adult_dob(),
        "address": {"line1": "1 Main St", "city": "Austin", "region": "TX",
                    "postal_code": "78701"}
    })
}

/// The JSON of a 200 response; panics with the body otherwise.
#[track_caller]
fn ok(res: TestResponse) -> Value {
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

/// A flow of `steps` for a new Bob named by the host, and the one pre-authenticated session of
/// its link: `(flow, user id, token)`.
async fn host_named_flow(app: &TestApp, steps: Value) -> (Value, String, String) {
    let user = app.create_user().await;
    let flow = app
        .create_flow(json!({"steps": steps, "user_id": user["id"]}))
        .await;
    let session = app.create_session(&flow["id"], None).await;
    assert_eq!(session["authenticated"], true);
    let token = session["token"].as_str().unwrap().to_owned();
    (flow, id_of(&user).to_owned(), token)
}

/// Moves `cents` from the app's wallet to `user`'s (host API).
async fn fund(app: &TestApp, user: &str, cents: i64) {
    ok(app
        .post(
            "/api/v2/transfers",
            Auth::App,
            json!({"amount": -cents, "user_id": user}),
        )
        .await);
}

/// Adds a payout method for `user` through the host API; returns its id.
async fn host_adds_method(app: &TestApp, user: &str, body: Value) -> String {
    let method = ok(app
        .post(
            &format!("/api/v2/users/{user}/payout-methods"),
            Auth::App,
            body,
        )
        .await);
    id_of(&method).to_owned()
}

/// `(amount, withdrawable_amount)` of `user`'s wallet as the host reads it.
async fn user_wallet(app: &TestApp, user: &str) -> (i64, i64) {
    let wallet = ok(app
        .get(&format!("/api/v2/users/{user}/wallet"), Auth::App)
        .await);
    (
        wallet["amount"].as_i64().unwrap(),
        wallet["withdrawable_amount"].as_i64().unwrap(),
    )
}

/// `amount` of the default app's wallet.
async fn app_balance(app: &TestApp) -> i64 {
    ok(app.get("/api/v2/wallet", Auth::App).await)["amount"]
        .as_i64()
        .unwrap()
}

/// How many payout methods `user` has.
async fn method_count(app: &TestApp, user: &str) -> usize {
    ok(app
        .get(&format!("/api/v2/users/{user}/payout-methods"), Auth::App)
        .await)["data"]
        .as_array()
        .unwrap()
        .len()
}

async fn flow_payout(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.post("/api/flow/payouts", Auth::Bearer(token), body)
        .await
}

/// Asserts a 403 `step_not_allowed` whose message names `step` (quoted, as the model writes
/// it); returns the message.
#[track_caller]
fn assert_step_not_allowed(res: &TestResponse, step: &str, what: &str) -> String {
    let body = res.assert_error(403, "step_not_allowed");
    let message = body["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("\"{step}\"")),
        "{what}: {message:?} does not name {step}"
    );
    message
}

/// A flow-facing action on the user's data, as the app sends it.
struct Action {
    /// For failure messages.
    name: &'static str,
    method: Method,
    path: String,
    body: Option<(&'static str, Vec<u8>)>,
    /// The step the capability table gives it (its first owner).
    step: &'static str,
    /// Whether it changes something.
    writes: bool,
}

impl Action {
    async fn send(&self, app: &TestApp, token: &str) -> TestResponse {
        app.send(
            self.method.clone(),
            &self.path,
            Auth::Bearer(token),
            &[],
            self.body.clone(),
        )
        .await
    }
}

fn json_body(value: Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", value.to_string().into_bytes()))
}

/// Every flow-facing action on the user's data (payout-model's `FlowAction::ALL`), with a body
/// that would succeed where allowed; ids are of objects that do not exist, so nothing is found
/// even if the guard let it through.
fn every_action() -> Vec<Action> {
    let nobody = uuid::Uuid::new_v4();
    let action = |name, method, path: &str, body, step, writes| Action {
        name,
        method,
        path: path.to_owned(),
        body,
        step,
        writes,
    };
    vec![
        action(
            "read payout methods",
            Method::GET,
            "/api/flow/payout-methods",
            None,
            "manage-payouts",
            false,
        ),
        action(
            "add a payout method",
            Method::POST,
            "/api/flow/payout-methods",
            json_body(paypal()),
            "manage-payouts",
            true,
        ),
        action(
            "remove a payout method",
            Method::DELETE,
            &format!("/api/flow/payout-methods/{nobody}"),
            None,
            "manage-payouts",
            true,
        ),
        action(
            "choose the default method",
            Method::POST,
            &format!("/api/flow/payout-methods/{nobody}/default"),
            None,
            "manage-payouts",
            true,
        ),
        action(
            "read bank accounts",
            Method::GET,
            "/api/flow/bank-accounts",
            None,
            "manage-payments",
            false,
        ),
        action(
            "add a bank account",
            Method::POST,
            "/api/flow/bank-accounts",
            json_body(
                json!({"routing_number": "021000021", "account_number": "000123456789",
                             "account_type": "savings"}),
            ),
            "manage-payments",
            true,
        ),
        action(
            "remove a bank account",
            Method::DELETE,
            &format!("/api/flow/bank-accounts/{nobody}"),
            None,
            "manage-payments",
            true,
        ),
        action(
            "read the wallet",
            Method::GET,
            "/api/flow/wallet",
            None,
            "payout",
            false,
        ),
        action(
            "pay out",
            Method::POST,
            "/api/flow/payouts",
            json_body(json!({"amount": 500, "payout_method_id": nobody,
                             "idempotency_key": "k"})),
            "payout",
            true,
        ),
        action(
            "read a transfer",
            Method::GET,
            &format!("/api/flow/transfers/{nobody}"),
            None,
            "payout",
            false,
        ),
        action(
            "read tax details",
            Method::GET,
            "/api/flow/compliance",
            None,
            "compliance",
            false,
        ),
        action(
            "submit tax details",
            Method::PUT,
            "/api/flow/compliance",
            json_body(w9()),
            "compliance",
            true,
        ),
        action(
            "read the id verification",
            Method::GET,
            "/api/flow/id-verification",
            None,
            "id-verification",
            false,
        ),
        action(
            "upload an id picture",
            Method::PUT,
            "/api/flow/id-verification/documents/front",
            Some(("image/jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])),
            "id-verification",
            true,
        ),
        action(
            "submit the id verification",
            Method::POST,
            "/api/flow/id-verification/submit",
            None,
            "id-verification",
            true,
        ),
        action(
            "read the background check",
            Method::GET,
            "/api/flow/background-check",
            None,
            "background-check",
            false,
        ),
        action(
            "run the background check",
            Method::POST,
            "/api/flow/background-check",
            json_body(us_check("123-45-6789")),
            "background-check",
            true,
        ),
    ]
}

/// The worst case: the host asks for tax details only; whoever holds the link cannot
/// add a PayPal address of their own and withdraw the user's balance, before or after the flow
/// is finished.
#[tokio::test]
async fn a_compliance_only_flow_cannot_add_a_payout_method_or_pay_out() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["compliance"])).await;
    fund(&app, &user, 5_000).await;
    let theirs = host_adds_method(&app, &user, paypal()).await;
    let drain =
        |key: &str| json!({"amount": 5_000, "payout_method_id": theirs, "idempotency_key": key});

    let res = app
        .post("/api/flow/payout-methods", Auth::Bearer(&token), paypal())
        .await;
    assert_step_not_allowed(&res, "manage-payouts", "add a method");
    let res = flow_payout(&app, &token, drain("k-1")).await;
    assert_step_not_allowed(&res, "payout", "pay out");

    // The flow's own step works, and completes the flow; still nothing moves.
    let done = ok(app
        .put("/api/flow/compliance", Auth::Bearer(&token), w9())
        .await);
    assert_eq!(done["flow"]["completed_steps"], json!(["compliance"]));
    let res = app
        .post("/api/flow/payout-methods", Auth::Bearer(&token), paypal())
        .await;
    assert_step_not_allowed(&res, "manage-payouts", "add a method after completion");
    let res = flow_payout(&app, &token, drain("k-2")).await;
    assert_step_not_allowed(&res, "payout", "pay out after completion");

    assert_eq!(user_wallet(&app, &user).await, (5_000, 5_000));
    assert_eq!(method_count(&app, &user).await, 1);
    support::assert_ledger_invariants(&app.db).await;
}

/// Every action on the user's data is refused, 403 `step_not_allowed` naming its step, when
/// the flow has no step that owns it.
#[tokio::test]
async fn actions_whose_step_the_flow_lacks_are_refused_naming_the_step() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!([redirect()])).await;
    for action in every_action() {
        let res = action.send(&app, &token).await;
        let message = assert_step_not_allowed(&res, action.step, action.name);
        assert!(
            message.contains("does not have"),
            "{}: {message}",
            action.name
        );
    }
    assert_eq!(method_count(&app, &user).await, 0);
    let compliance =
        ok(app.get(&format!("/api/v2/users/{user}"), Auth::App).await)["compliance"].clone();
    assert_eq!(compliance, Value::Null);
}

/// Writes wait for their step: with an earlier step still open, each is refused naming its own
/// step and the one that comes first; reads of a step the flow holds stay allowed.
#[tokio::test]
async fn writes_before_their_step_is_current_are_refused_naming_both_steps() {
    let app = TestApp::new().await;
    let steps = json!([
        redirect(),
        "compliance",
        "id-verification",
        "background-check",
        "manage-payouts",
        "manage-payments",
        "payout"
    ]);
    let (_, user, token) = host_named_flow(&app, steps).await;
    for action in every_action() {
        let res = action.send(&app, &token).await;
        if action.writes {
            let message = assert_step_not_allowed(&res, action.step, action.name);
            assert!(
                message.contains("\"redirect\" comes first"),
                "{}: {message}",
                action.name
            );
        } else {
            assert_ne!(res.status, 403, "{}: {}", action.name, res.text());
        }
    }
    assert_eq!(method_count(&app, &user).await, 0);
}

/// A complete flow is read-only: every write its steps owned is refused (and says the flow is
/// complete), its reads still answer.
#[tokio::test]
async fn a_complete_flow_refuses_every_write_and_still_reads() {
    let app = TestApp::new().await;
    let (flow, user, token) = host_named_flow(&app, json!(["compliance", "manage-payouts"])).await;
    ok(app
        .put("/api/flow/compliance", Auth::Bearer(&token), w9())
        .await);
    ok(app
        .post("/api/flow/payout-methods", Auth::Bearer(&token), paypal())
        .await);
    let done = ok(app
        .post_empty(
            "/api/flow/steps/manage-payouts/complete",
            Auth::Bearer(&token),
        )
        .await);
    assert_eq!(
        done["completed_steps"],
        json!(["compliance", "manage-payouts"])
    );
    let host = ok(app
        .get(
            &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
            Auth::App,
        )
        .await);
    assert_eq!(host["completed_steps"], done["completed_steps"]);

    let held = ["compliance", "manage-payouts"];
    for action in every_action()
        .into_iter()
        .filter(|a| held.contains(&a.step))
    {
        let res = action.send(&app, &token).await;
        if action.writes {
            let body = res.assert_error(403, "step_not_allowed");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .ends_with("this flow is complete"),
                "{}: {body}",
                action.name
            );
        } else {
            assert_eq!(res.status, 200, "{}: {}", action.name, res.text());
        }
    }
    assert_eq!(method_count(&app, &user).await, 1);
}

/// A flow ending on a manage step without Continue is the host's settings page: the first
/// saved change completes the flow (the app records the step after each), and the signed-in
/// session goes on changing that step's methods, for its usual life; nothing else opens up,
/// and the link still signs nobody new in.
#[tokio::test]
async fn a_settings_page_flow_keeps_taking_changes_after_it_completes() {
    let app = TestApp::new().await;
    let kept = json!([{"name": "manage-payouts", "hide_continue_button": true}]);
    let (flow, user, token) = host_named_flow(&app, kept).await;
    let first = ok(app
        .post("/api/flow/payout-methods", Auth::Bearer(&token), paypal())
        .await);
    let complete = || {
        app.post_empty(
            "/api/flow/steps/manage-payouts/complete",
            Auth::Bearer(&token),
        )
    };
    assert_eq!(
        ok(complete().await)["completed_steps"],
        json!(["manage-payouts"])
    );
    let flow_path = format!("/api/v2/flows/{}", id_of(&flow));
    assert_eq!(
        ok(app.get(&flow_path, Auth::App).await)["completed_steps"],
        json!(["manage-payouts"])
    );
    // Past the minutes a finished flow's sessions get: this one lives on.
    app.advance(Duration::minutes(COMPLETED_SESSION_MINUTES + 1));
    let second = ok(app
        .post(
            "/api/flow/payout-methods",
            Auth::Bearer(&token),
            json!({"platform": "cash_app", "cashtag": "$mallory"}),
        )
        .await);
    ok(app
        .post_empty(
            &format!("/api/flow/payout-methods/{}/default", id_of(&second)),
            Auth::Bearer(&token),
        )
        .await);
    let removed = app
        .send(
            Method::DELETE,
            &format!("/api/flow/payout-methods/{}", id_of(&first)),
            Auth::Bearer(&token),
            &[],
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{}", removed.text());
    // Recorded again after each change: answered, the flow as it is.
    assert_eq!(
        ok(complete().await)["completed_steps"],
        json!(["manage-payouts"])
    );
    assert_eq!(method_count(&app, &user).await, 1);
    // Only that step's changes: no payout, no tax form.
    flow_payout(
        &app,
        &token,
        json!({"amount": 100, "payout_method_id": id_of(&second), "idempotency_key": "k"}),
    )
    .await
    .assert_error(403, "step_not_allowed");
    app.put("/api/flow/compliance", Auth::Bearer(&token), w9())
        .await
        .assert_error(403, "step_not_allowed");
    // A new browser is not signed in by the finished link.
    let later = app.create_session(&flow["id"], None).await;
    assert_eq!(later["authenticated"], false);
}

/// When a flow is completed, every session of it (the one that completed it and any other)
/// ends COMPLETED_SESSION_MINUTES later, not SESSION_TTL_MINUTES after it was minted.
#[tokio::test]
async fn a_complete_flows_sessions_end_minutes_after_completion() {
    let app = TestApp::new().await;
    let (flow, _, token) = host_named_flow(&app, json!(["compliance"])).await;
    let other = app.create_session(&flow["id"], None).await;
    let other = other["token"].as_str().unwrap().to_owned();

    app.advance(Duration::minutes(3));
    ok(app
        .put("/api/flow/compliance", Auth::Bearer(&token), w9())
        .await);
    app.advance(Duration::minutes(COMPLETED_SESSION_MINUTES) - Duration::seconds(5));
    for t in [&token, &other] {
        let state = ok(app.get("/api/flow/state", Auth::Bearer(t)).await);
        assert_eq!(state["completed_steps"], json!(["compliance"]));
    }
    ok(app.get("/api/flow/compliance", Auth::Bearer(&token)).await);

    app.advance(Duration::seconds(6));
    for t in [&token, &other] {
        app.get("/api/flow/state", Auth::Bearer(t))
            .await
            .assert_error(401, "session_expired");
    }
    app.get("/api/flow/compliance", Auth::Bearer(&token))
        .await
        .assert_error(401, "session_expired");
}

/// A complete flow's link never signs anyone in again: not a new browser, not the browser
/// that finished it (its resume cookie is cleared); the app shows the done screen instead.
#[tokio::test]
async fn a_complete_flows_link_is_never_resumed_nor_authenticated() {
    let app = TestApp::new().await;
    let user = app.create_user().await;
    let flow = app
        .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
        .await;
    let first = app
        .post(
            "/api/flow/sessions",
            Auth::None,
            json!({"flow_id": flow["id"]}),
        )
        .await;
    let cookie = first.header(header::SET_COOKIE).to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let token = ok(first)["token"].as_str().unwrap().to_owned();
    ok(app
        .put("/api/flow/compliance", Auth::Bearer(&token), w9())
        .await);

    let res = app.post_session_with_cookie(&flow["id"], &cookie).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cleared = res.header(header::SET_COOKIE).to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let again = res.json();
    assert_eq!(again["authenticated"], false);
    assert_ne!(again["token"], token.as_str());
    assert_eq!(again["flow"]["completed_steps"], json!(["compliance"]));
    let fresh = app.create_session(&flow["id"], None).await;
    assert_eq!(fresh["authenticated"], false);
}

/// A pre-authenticated link signs in the first browser to open it, once; that browser resumes
/// on reload through its cookie; a second browser (or a leaked link) must sign in.
#[tokio::test]
async fn a_pre_authenticated_link_signs_in_one_browser() {
    let app = TestApp::new().await;
    let user = app.create_user().await;
    let flow = app
        .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
        .await;
    let first = app
        .post(
            "/api/flow/sessions",
            Auth::None,
            json!({"flow_id": flow["id"]}),
        )
        .await;
    let cookie = first.header(header::SET_COOKIE).to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let first = ok(first);
    assert_eq!(first["authenticated"], true);

    app.advance(Duration::minutes(1));
    let second = app
        .post(
            "/api/flow/sessions",
            Auth::None,
            json!({"flow_id": flow["id"]}),
        )
        .await;
    assert!(second.headers.get(header::SET_COOKIE).is_none());
    let second = ok(second);
    assert_eq!(second["authenticated"], false);
    let token2 = second["token"].as_str().unwrap();
    let refused = app
        .get("/api/flow/compliance", Auth::Bearer(token2))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(refused["message"], "sign in to continue");
    app.put("/api/flow/compliance", Auth::Bearer(token2), w9())
        .await
        .assert_error(403, "forbidden");

    // The first browser reloads: its cookie resumes the same signed-in session.
    let resumed = ok(app.post_session_with_cookie(&flow["id"], &cookie).await);
    assert_eq!(resumed["token"], first["token"]);
    assert_eq!(resumed["authenticated"], true);
    // Yet another browser, still inside the window: not signed in.
    let third = app.create_session(&flow["id"], None).await;
    assert_eq!(third["authenticated"], false);
}

/// Two browsers opening a pre-authenticated link at the same moment: exactly one is signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mints_of_a_pre_authenticated_link_sign_in_exactly_one() {
    let app = Arc::new(TestApp::with_file_db().await);
    let user = app.create_user().await;
    let flow = app
        .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
        .await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, flow_id) = (app.clone(), flow["id"].clone());
        tasks.push(tokio::spawn(async move {
            app.post(
                "/api/flow/sessions",
                Auth::None,
                json!({"flow_id": flow_id}),
            )
            .await
        }));
    }
    let mut authenticated = 0;
    for task in tasks {
        let session = ok(task.await.unwrap());
        if session["authenticated"] == true {
            authenticated += 1;
        }
    }
    assert_eq!(authenticated, 1);
    let signed_in: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM flow_sessions WHERE authenticated = 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(signed_in, 1);
}

/// A user whose background check failed (the sandbox's failing SSN, through the flow) cannot
/// pay out through the flow: 403 `payout_blocked` with no internals, the wallet says why, and
/// nothing moves. The host API still pays them: that is the host's decision.
#[tokio::test]
async fn a_flagged_user_cannot_pay_out_through_a_flow_but_the_host_can() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["background-check", "payout"])).await;
    fund(&app, &user, 5_000).await;
    let method = host_adds_method(&app, &user, paypal()).await;
    let check = ok(app
        .post(
            "/api/flow/background-check",
            Auth::Bearer(&token),
            us_check("111-11-1111"),
        )
        .await);
    assert_eq!(check["data"]["status"], "failed");
    assert_eq!(
        check["flow"]["completed_steps"],
        json!(["background-check"])
    );

    let wallet = ok(app.get("/api/flow/wallet", Auth::Bearer(&token)).await);
    assert_eq!(
        wallet,
        json!({"amount": 5_000, "withdrawable_amount": 5_000, "minimum_payout": 100,
               "payout_block": "background_check"})
    );
    let res = flow_payout(
        &app,
        &token,
        json!({"amount": 1_000, "payout_method_id": method, "idempotency_key": "k"}),
    )
    .await;
    let body = res.assert_error(403, "payout_blocked");
    let message = body["message"].as_str().unwrap();
    for internal in ["background", "criminal", "ssn", "1111"] {
        assert!(!message.to_lowercase().contains(internal), "{message}");
    }
    assert_eq!(user_wallet(&app, &user).await, (5_000, 5_000));
    let payouts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE kind = 'payout'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(payouts, 0);

    let paid = ok(app
        .post(
            "/api/v2/payouts",
            Auth::App,
            json!({"user_id": user, "amount": 1_000, "platform": "paypal"}),
        )
        .await);
    assert_eq!(paid["status"], "completed");
    assert_eq!(user_wallet(&app, &user).await, (4_000, 4_000));
    support::assert_ledger_invariants(&app.db).await;
}

/// A payout made, then the user's background check fails (in another flow): a retry of that
/// payout with its key (a reload resending the saved attempt) answers the payout that was
/// made, not a refusal, and pays nothing more; a new payout is refused.
#[tokio::test]
async fn a_retry_of_a_payout_made_before_a_block_answers_the_payout() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["payout"])).await;
    fund(&app, &user, 5_000).await;
    let method = host_adds_method(&app, &user, paypal()).await;
    let body = json!({"amount": 1_000, "payout_method_id": method, "idempotency_key": "k"});
    let paid = ok(flow_payout(&app, &token, body.clone()).await);

    let checking = app
        .create_flow(json!({"steps": ["background-check"], "user_id": user}))
        .await;
    let session = app.create_session(&checking["id"], None).await;
    let check = ok(app
        .post(
            "/api/flow/background-check",
            Auth::Bearer(session["token"].as_str().unwrap()),
            us_check("111-11-1111"),
        )
        .await);
    assert_eq!(check["data"]["status"], "failed");

    let again = ok(flow_payout(&app, &token, body).await);
    assert_eq!(again["id"], paid["id"]);
    assert_eq!(user_wallet(&app, &user).await, (4_000, 4_000));
    let new = json!({"amount": 1_000, "payout_method_id": method, "idempotency_key": "k-2"});
    flow_payout(&app, &token, new)
        .await
        .assert_error(403, "payout_blocked");
    support::assert_ledger_invariants(&app.db).await;
}

/// Flow payouts start at the app's minimum ($1.00 unless it sets another), so one-cent payouts
/// cannot drain the app's wallet through fees; the host API is not bound by it.
#[tokio::test]
async fn a_flow_payout_below_the_apps_minimum_is_refused() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["payout"])).await;
    fund(&app, &user, 5_000).await;
    let method = host_adds_method(&app, &user, paypal()).await;
    let pay = |amount: i64, key: &str| json!({"amount": amount, "payout_method_id": method, "idempotency_key": key});
    let app_before = app_balance(&app).await;
    let res = flow_payout(&app, &token, pay(1, "k-1")).await;
    assert_eq!(res.assert_invalid_field("amount"), "must be at least $1.00");
    let res = flow_payout(&app, &token, pay(99, "k-2")).await;
    assert_eq!(res.assert_invalid_field("amount"), "must be at least $1.00");
    assert_eq!(app_balance(&app).await, app_before, "no fee was paid");
    assert_eq!(user_wallet(&app, &user).await, (5_000, 5_000));
    ok(flow_payout(&app, &token, pay(100, "k-3")).await);

    // The app's own setting.
    sqlx::query("UPDATE apps SET min_flow_payout = 500")
        .execute(&app.db)
        .await
        .unwrap();
    let wallet = ok(app.get("/api/flow/wallet", Auth::Bearer(&token)).await);
    assert_eq!(wallet["minimum_payout"], 500);
    let res = flow_payout(&app, &token, pay(499, "k-4")).await;
    assert_eq!(res.assert_invalid_field("amount"), "must be at least $5.00");
    ok(flow_payout(&app, &token, pay(500, "k-5")).await);

    // The host decides for itself.
    ok(app
        .post(
            "/api/v2/payouts",
            Auth::App,
            json!({"user_id": user, "amount": 50, "platform": "paypal"}),
        )
        .await);
    support::assert_ledger_invariants(&app.db).await;
}

/// No flow payout error tells the end user how much the app's wallet holds, not even when the
/// app cannot pay the fee it owes; the user's own balance they may see.
#[tokio::test]
async fn a_flow_payout_error_never_tells_the_apps_balance() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["payout"])).await;
    // The app keeps $0.37: too little for a 25-cent-minimum PayPal fee on $20.00 (40 cents).
    let opening = app_balance(&app).await;
    fund(&app, &user, opening - 37).await;
    assert_eq!(app_balance(&app).await, 37);
    let method = host_adds_method(&app, &user, paypal()).await;
    let app_balance_words = ["$0.37", "0.37", "37"];

    let bad = [
        json!({"amount": 2_000, "payout_method_id": method, "idempotency_key": "k-1"}),
        json!({"amount": 50, "payout_method_id": method, "idempotency_key": "k-2"}),
        json!({"amount": opening, "payout_method_id": method, "idempotency_key": "k-3"}),
        json!({"amount": 2_000, "payout_method_id": uuid::Uuid::new_v4(),
               "idempotency_key": "k-4"}),
    ];
    for body in bad {
        let res = flow_payout(&app, &token, body.clone()).await;
        assert!(res.status.is_client_error(), "{body}: {}", res.text());
        let text = res.text();
        for words in app_balance_words {
            assert!(!text.contains(words), "{body}: {text}");
        }
        assert!(!text.contains("app's wallet"), "{body}: {text}");
    }
    // The app cannot pay its fee: a plain conflict, and nothing moved.
    let res = flow_payout(
        &app,
        &token,
        json!({"amount": 2_000, "payout_method_id": method, "idempotency_key": "k-5"}),
    )
    .await;
    res.assert_error(409, "conflict");
    assert_eq!(app_balance(&app).await, 37);
    let user_had = opening - 37;
    assert_eq!(user_wallet(&app, &user).await, (user_had, user_had));
    support::assert_ledger_invariants(&app.db).await;
}

/// A link's claim is its own: a new flow for the same user signs in afresh (a host wanting a
/// fresh link creates a new flow), and the used link stays used.
#[tokio::test]
async fn a_new_flow_is_a_fresh_link_and_the_used_one_stays_used() {
    let app = TestApp::new().await;
    let user = app.create_user_from(bob()).await;
    let a = app
        .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
        .await;
    let b = app
        .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
        .await;
    assert_eq!(
        app.create_session(&a["id"], None).await["authenticated"],
        true
    );
    assert_eq!(
        app.create_session(&b["id"], None).await["authenticated"],
        true
    );
    assert_eq!(
        app.create_session(&a["id"], None).await["authenticated"],
        false
    );
}

/// Issue 8: a session that has not signed in learns nothing about the flow's user, not even the
/// user's id, from the session it minted or from the flow state.
#[tokio::test]
async fn a_session_not_signed_in_is_not_told_the_flows_user() {
    let app = TestApp::new().await;
    let (flow, _, first) = host_named_flow(&app, json!(["compliance"])).await;
    let state = ok(app.get("/api/flow/state", Auth::Bearer(&first)).await);
    assert!(
        state["user_id"].is_string(),
        "the signed-in browser sees it"
    );

    let second = app.create_session(&flow["id"], None).await;
    assert_eq!(second["authenticated"], false);
    assert_eq!(second["flow"]["user_id"], Value::Null);
    let token = second["token"].as_str().unwrap();
    let state = ok(app.get("/api/flow/state", Auth::Bearer(token)).await);
    assert_eq!(state["user_id"], Value::Null);
    assert_eq!(state["steps"], json!(["compliance"]));
}

/// Issue 8: a payout flow's session reads the payouts its own flow made, not the user's other
/// transfers (the host's, or another flow's).
#[tokio::test]
async fn a_flow_reads_only_the_transfers_it_made() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["payout"])).await;
    let funding = ok(app
        .post(
            "/api/v2/transfers",
            Auth::App,
            json!({"amount": -500, "user_id": user}),
        )
        .await);
    let path = format!("/api/flow/transfers/{}", id_of(&funding));
    app.get(&path, Auth::Bearer(&token))
        .await
        .assert_error(404, "not_found");
    // The host still reads it.
    ok(app
        .get(&format!("/api/v2/transfers/{}", id_of(&funding)), Auth::App)
        .await);
}

/// Review of issue 8: a payout link for a user who already has payout methods cannot add the
/// holder's own account next to them (and pay the balance to it); the payout step adds one only
/// for a user who has none, and manage-payouts still adds any number.
#[tokio::test]
async fn the_payout_step_adds_a_method_only_for_a_user_without_one() {
    let app = TestApp::new().await;
    let (_, user, token) = host_named_flow(&app, json!(["payout"])).await;
    ok(app
        .post("/api/flow/payout-methods", Auth::Bearer(&token), paypal())
        .await);
    let res = app
        .post(
            "/api/flow/payout-methods",
            Auth::Bearer(&token),
            json!({"platform": "venmo", "handle": "@mallory"}),
        )
        .await;
    assert_step_not_allowed(&res, "manage-payouts", "second method through payout");
    assert_eq!(method_count(&app, &user).await, 1);

    let (_, user, token) = host_named_flow(&app, json!(["manage-payouts", "payout"])).await;
    host_adds_method(&app, &user, paypal()).await;
    ok(app
        .post(
            "/api/flow/payout-methods",
            Auth::Bearer(&token),
            json!({"platform": "venmo", "handle": "@bob-loblaw"}),
        )
        .await);
    assert_eq!(method_count(&app, &user).await, 2);
}

/// Review of issue 8: a finished flow's link signs nobody in, so its user's data cannot be read
/// again by whoever knows their phone number.
#[tokio::test]
async fn a_complete_flows_link_signs_nobody_in() {
    let app = TestApp::new().await;
    let (flow, _, token) = host_named_flow(&app, json!([redirect()])).await;
    ok(app
        .post(
            "/api/flow/steps/redirect/complete",
            Auth::Bearer(&token),
            json!({}),
        )
        .await);
    let stranger = app.create_session(&flow["id"], None).await;
    assert_eq!(stranger["authenticated"], false);
    let stranger = stranger["token"].as_str().unwrap();
    let phone = json!({"country_code": "1", "phone_number": "4154332334"});
    let res = app
        .post("/api/flow/auth/code", Auth::Bearer(stranger), phone)
        .await;
    let body = res.assert_error(403, "step_not_allowed");
    assert!(body["message"].as_str().unwrap().contains("complete"));
    let res = app
        .post(
            "/api/flow/auth/verify",
            Auth::Bearer(stranger),
            json!({"code": "000000"}),
        )
        .await;
    res.assert_error(403, "step_not_allowed");
}

/// Holds flow `flow_id`'s row (PostgreSQL) in a transaction of its own, as a write of the flow
/// that has not committed yet does.
async fn hold_flow(app: &TestApp, flow_id: &Value) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut holder = app.db.begin().await.unwrap();
    sqlx::query("UPDATE flows SET updated = updated WHERE id = $1")
        .bind(flow_id.as_str().unwrap())
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}

/// [`hold_flow`], the holder's transaction also writing the flow's steps `completed`: a
/// completion that has not committed yet.
async fn hold_flow_completing(
    app: &TestApp,
    flow_id: &Value,
    completed: Value,
) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut holder = hold_flow(app, flow_id).await;
    sqlx::query("UPDATE flows SET completed_steps = $1 WHERE id = $2")
        .bind(completed.to_string())
        .bind(flow_id.as_str().unwrap())
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}

/// Sends `method path` (with `body` as JSON) as session `token`, in a task of its own.
fn spawn_request(
    app: &Arc<TestApp>,
    method: Method,
    path: impl Into<String>,
    token: &str,
    body: Option<Value>,
) -> tokio::task::JoinHandle<TestResponse> {
    let (app, path, token) = (app.clone(), path.into(), token.to_owned());
    tokio::spawn(async move {
        app.send(
            method,
            &path,
            Auth::Bearer(&token),
            &[],
            body.and_then(json_body),
        )
        .await
    })
}

/// Waits until `count` requests wait for a lock, or all of `requests` have ended without
/// waiting (as they did before the fixes below): at most 30 s.
async fn until_waiting_or_done<T>(
    app: &TestApp,
    count: i64,
    requests: &[tokio::task::JoinHandle<T>],
) {
    let meeting = async {
        while support::lock_waiters(&app.db).await < count
            && !requests.iter().all(|r| r.is_finished())
        {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), meeting)
        .await
        .expect("the requests neither waited nor ended");
}

/// Found by review: a step's work undone while the step completes. The completion checked the
/// work (a payout method, a bank account) before its write, and a removal that committed in
/// between left a complete flow for a user with none. The completion now checks again in its
/// own transaction, under the flow's lock. (The removal here is the flow row's holder's own, in
/// the same transaction: on PostgreSQL, where the two can interleave.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_work_is_removed_while_it_completes_stays_open() {
    let app = Arc::new(TestApp::new().await);
    if !support::on_postgres() {
        return;
    }
    for (step, add, body, table) in [
        (
            "manage-payouts",
            "/api/flow/payout-methods",
            paypal(),
            "payout_methods",
        ),
        (
            "manage-payments",
            "/api/flow/bank-accounts",
            json!({"routing_number": "021000021", "account_number": "000123456789",
                   "account_type": "checking"}),
            "bank_accounts",
        ),
    ] {
        let (flow, user, token) = host_named_flow(&app, json!([step])).await;
        ok(app.post(add, Auth::Bearer(&token), body).await);
        let mut holder = hold_flow(&app, &flow["id"]).await;
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(&user)
            .execute(&mut *holder)
            .await
            .unwrap();
        let completing = spawn_request(
            &app,
            Method::POST,
            format!("/api/flow/steps/{step}/complete"),
            &token,
            None,
        );
        support::until_a_lock_waiter(&app.db).await;
        holder.commit().await.unwrap();
        let body = completing.await.unwrap().assert_error(409, "conflict");
        assert_eq!(
            body["reason"],
            json!({"code": "step_not_done", "step": step})
        );
        let flow = ok(app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await);
        assert_eq!(flow["completed_steps"], json!([]), "{step}");
    }
}

/// Found by review: a write whose step completed after the session's guard let it in. A removal
/// of the last payout method or bank account (or a second method through the payout step)
/// checked the step before its write, and a completion that committed in between left the work
/// undone behind a completed step. Each such write now checks the flow again in its own
/// transaction, under the flow's lock: the completion committed first wins. (The completion here
/// is the flow row's holder's, in the same transaction: on PostgreSQL, where the two interleave.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_raced_its_steps_completion_is_refused() {
    let app = Arc::new(TestApp::new().await);
    if !support::on_postgres() {
        return;
    }
    let bank = json!({"routing_number": "021000021", "account_number": "000123456789",
                      "account_type": "checking"});
    for (step, add, body) in [
        ("manage-payouts", "/api/flow/payout-methods", paypal()),
        ("manage-payments", "/api/flow/bank-accounts", bank.clone()),
    ] {
        let (flow, _, token) = host_named_flow(&app, json!([step])).await;
        let added = ok(app.post(add, Auth::Bearer(&token), body).await);
        let holder = hold_flow_completing(&app, &flow["id"], json!([step])).await;
        let removing = spawn_request(
            &app,
            Method::DELETE,
            format!("{add}/{}", id_of(&added)),
            &token,
            None,
        );
        until_waiting_or_done(&app, 1, std::slice::from_ref(&removing)).await;
        holder.commit().await.unwrap();
        let res = removing.await.unwrap();
        assert_eq!(res.status, 403, "{step}: {}", res.text());
        let listed = ok(app.get(add, Auth::Bearer(&token)).await);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{step}");
    }

    // Tax data sent while another submission completed the compliance step: refused, and
    // nothing of it stored (it would have replaced what the completed step was given).
    let (flow, _, token) = host_named_flow(&app, json!(["compliance", "payout"])).await;
    let holder = hold_flow_completing(&app, &flow["id"], json!(["compliance"])).await;
    let submitting = spawn_request(
        &app,
        Method::PUT,
        "/api/flow/compliance",
        &token,
        Some(w9()),
    );
    until_waiting_or_done(&app, 1, std::slice::from_ref(&submitting)).await;
    holder.commit().await.unwrap();
    let res = submitting.await.unwrap();
    assert_step_not_allowed(&res, "compliance", "tax data after the step completed");
    assert_eq!(
        ok(app.get("/api/flow/compliance", Auth::Bearer(&token)).await),
        Value::Null
    );

    // Two submissions of tax data at once (found by review of the check above): the first
    // saves and completes the step in one write, so the second, let in before, is refused
    // and what the completed step shows is what the first was answered.
    let (flow, _, token) = host_named_flow(&app, json!(["compliance", "payout"])).await;
    let holder = hold_flow(&app, &flow["id"]).await;
    let submitting: Vec<_> = ["Ada", "Grace"]
        .into_iter()
        .map(|name| {
            let mut body = w9();
            body["first_name"] = json!(name);
            spawn_request(
                &app,
                Method::PUT,
                "/api/flow/compliance",
                &token,
                Some(body),
            )
        })
        .collect();
    until_waiting_or_done(&app, 2, &submitting).await;
    holder.commit().await.unwrap();
    let mut answered = Vec::new();
    for submission in submitting {
        let res = submission.await.unwrap();
        if res.status == 200 {
            answered.push(res.json()["data"]["first_name"].clone());
        } else {
            assert_step_not_allowed(&res, "compliance", "a second submission");
        }
    }
    assert_eq!(answered.len(), 1, "{answered:?}");
    let on_file = ok(app.get("/api/flow/compliance", Auth::Bearer(&token)).await);
    assert_eq!(on_file["first_name"], answered[0]);

    // Two background checks at once: the first runs and completes the step in one write, so
    // the second, let in before, is refused and never runs (a check after its step completed).
    let (flow, user, token) = host_named_flow(&app, json!(["background-check", "payout"])).await;
    let holder = hold_flow(&app, &flow["id"]).await;
    let checking: Vec<_> = ["123-45-6789", "123-45-6789"]
        .into_iter()
        .map(|ssn| {
            let body = Some(us_check(ssn));
            spawn_request(
                &app,
                Method::POST,
                "/api/flow/background-check",
                &token,
                body,
            )
        })
        .collect();
    until_waiting_or_done(&app, 2, &checking).await;
    holder.commit().await.unwrap();
    let mut statuses = Vec::new();
    for check in checking {
        let res = check.await.unwrap();
        if res.status == 200 {
            assert_eq!(
                res.json()["flow"]["completed_steps"],
                json!(["background-check"])
            );
        } else {
            assert_step_not_allowed(&res, "background-check", "a second check");
        }
        statuses.push(res.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 403]);
    let checks: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM background_checks WHERE user_id = $1")
            .bind(&user)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(checks, 1);

    // Two first methods through the payout step at once: one is added, the other refused (each
    // had found the user without one before its write).
    let (flow, user, token) = host_named_flow(&app, json!(["payout"])).await;
    let holder = hold_flow(&app, &flow["id"]).await;
    let adding: Vec<_> = ["first@example.com", "second@example.com"]
        .into_iter()
        .map(|email| {
            let body = Some(json!({"platform": "paypal", "email": email}));
            spawn_request(&app, Method::POST, "/api/flow/payout-methods", &token, body)
        })
        .collect();
    until_waiting_or_done(&app, 2, &adding).await;
    holder.commit().await.unwrap();
    let mut statuses = Vec::new();
    for add in adding {
        let res = add.await.unwrap();
        if res.status == 403 {
            assert_step_not_allowed(&res, "manage-payouts", "second method through payout");
        }
        statuses.push(res.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 403]);
    assert_eq!(method_count(&app, &user).await, 1);
}
