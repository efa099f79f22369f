//! The browser tests' fake server (`tests/common/fake_server.rs`) against the sandbox (issue 9,
//! "Tests that tell the truth"): each scenario sets both up alike, sends both the same table of
//! requests, and compares status, the error envelope's `code` and `message` (the browser tests
//! show the server's words), and the JSON shape (the key sets, all the way down). A fake that
//! drifts from the sandbox fails here, not in a browser test that passes against behaviour the
//! app never meets.

use crate::fake_server::{self, Body, FakeServer, Request};
use crate::support::{Auth, TestApp};
use axum::http::Method as HttpMethod;
use payout_model::endpoint::Method;
use payout_model::money::FeeParty;
use payout_model::FlowState;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One row of a table: what is sent. `{id}` in the path is the `id` of the answer of the last
/// row marked `keep`, on each side (ids differ between the two servers).
struct Row {
    method: Method,
    path: String,
    body: Option<Sent>,
    keep: bool,
}

/// A row's body.
enum Sent {
    Json(Value),
    Raw(&'static str),
    Image(&'static str, Vec<u8>),
}

fn row(method: Method, path: &str, body: Option<Value>) -> Row {
    Row {
        method,
        path: path.to_owned(),
        body: body.map(Sent::Json),
        keep: false,
    }
}

fn get(path: &str) -> Row {
    row(Method::Get, path, None)
}

fn post(path: &str, body: Value) -> Row {
    row(Method::Post, path, Some(body))
}

fn post_empty(path: &str) -> Row {
    row(Method::Post, path, None)
}

fn put(path: &str, body: Value) -> Row {
    row(Method::Put, path, Some(body))
}

fn delete(path: &str) -> Row {
    row(Method::Delete, path, None)
}

fn upload(side: &'static str, content_type: &'static str, bytes: &[u8]) -> Row {
    let path = match side {
        "front" => "/api/flow/id-verification/documents/front",
        "back" => "/api/flow/id-verification/documents/back",
        _ => "/api/flow/id-verification/documents/selfie",
    };
    Row {
        method: Method::Put,
        path: path.to_owned(),
        body: Some(Sent::Image(content_type, bytes.to_vec())),
        keep: false,
    }
}

/// Keeps the answer's `id` for later rows' `{id}`.
fn keep(mut row: Row) -> Row {
    row.keep = true;
    row
}

/// What a comparison looks at.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    /// An error's `code` and `message`.
    error: Option<String>,
    shape: Shape,
}

/// A JSON value's keys, all the way down (an array by its first element).
#[derive(Debug, PartialEq)]
enum Shape {
    Object(BTreeMap<String, Shape>),
    Array(Option<Box<Shape>>),
    Value,
    Nothing,
}

fn shape(value: &Value) -> Shape {
    match value {
        Value::Object(map) => Shape::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect(),
        ),
        Value::Array(items) => Shape::Array(items.first().map(|v| Box::new(shape(v)))),
        // `null` and a value are the same shape: an optional field present on one side only
        // counts; what it holds does not.
        _ => Shape::Value,
    }
}

fn seen(status: u16, body: &str) -> (Seen, Value) {
    let value: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not json ({e}): {body}"))
    };
    let error = (status >= 400).then(|| {
        format!(
            "{} {}",
            value["code"].as_str().unwrap_or(""),
            value["message"].as_str().unwrap_or("")
        )
    });
    let shape = if body.is_empty() {
        Shape::Nothing
    } else {
        shape(&value)
    };
    (
        Seen {
            status,
            error,
            shape,
        },
        value,
    )
}

/// Sends `rows` to the sandbox (as session `token`) and to `fake`, and fails on the first
/// difference.
async fn compare(app: &TestApp, token: &str, fake: &FakeServer, rows: Vec<Row>) {
    let (mut app_id, mut fake_id) = (Uuid::nil().to_string(), Uuid::nil().to_string());
    for (i, row) in rows.into_iter().enumerate() {
        let app_path = row.path.replace("{id}", &app_id);
        let fake_path = row.path.replace("{id}", &fake_id);
        let method = HttpMethod::from_bytes(row.method.as_str().as_bytes()).unwrap();
        let (app_body, fake_body) = match &row.body {
            None => (None, Body::None),
            Some(Sent::Json(value)) => (
                Some(("application/json", value.to_string().into_bytes())),
                Body::Json(value.to_string()),
            ),
            Some(Sent::Raw(text)) => (
                Some(("application/json", text.as_bytes().to_vec())),
                Body::Json((*text).to_owned()),
            ),
            Some(Sent::Image(content_type, bytes)) => (
                Some((*content_type, bytes.clone())),
                Body::Image {
                    content_type: (*content_type).to_owned(),
                    bytes: bytes.clone(),
                },
            ),
        };
        let res = app
            .send(method, &app_path, Auth::Bearer(token), &[], app_body)
            .await;
        let (want, app_value) = seen(res.status.as_u16(), &res.text());
        let answer = fake
            .handle(&Request {
                method: row.method,
                path: fake_path,
                token: Some(fake_server::TOKEN.to_owned()),
                body: fake_body,
            })
            .expect("the fake answers");
        let (got, fake_value) = seen(answer.status, &answer.body);
        assert_eq!(
            got,
            want,
            "row {i}: {} {}\n  sandbox: {app_value}\n  fake:    {fake_value}",
            row.method.as_str(),
            row.path
        );
        if row.keep {
            app_id = app_value["id"].as_str().unwrap().to_owned();
            fake_id = fake_value["id"].as_str().unwrap().to_owned();
        }
    }
}

/// A signed-in session of a new user in a flow of `steps`, on the sandbox and on the fake,
/// each user holding `balance` cents.
async fn signed_in(steps: Value, balance: i64) -> (TestApp, String, FakeServer) {
    let app = TestApp::new().await;
    let (flow, user, token) = app.signed_in_flow(steps, crate::support::bob()).await;
    if balance > 0 {
        let refill = app
            .post(
                "/api/v2/sandbox/refills",
                Auth::App,
                json!({"amount": balance * 2}),
            )
            .await;
        assert_eq!(refill.status, 200, "{}", refill.text());
        let fund = app
            .post(
                "/api/v2/transfers",
                Auth::App,
                json!({"amount": -balance, "user_id": user["id"]}),
            )
            .await;
        assert_eq!(fund.status, 200, "{}", fund.text());
    }
    let state = app
        .get("/api/flow/state", Auth::Bearer(&token))
        .await
        .json();
    let mut state: FlowState = serde_json::from_value(state).unwrap();
    assert_eq!(state.id.to_string(), flow["id"].as_str().unwrap());
    state.user_id = Some(Uuid::from_u128(fake_server::USER_ID));
    let fake = FakeServer::new(state, chrono::Utc::now);
    let mut wallet = fake.wallet.get();
    wallet.amount = balance;
    wallet.withdrawable_amount = balance;
    fake.wallet.set(wallet);
    (app, token, fake)
}

#[tokio::test]
async fn the_fake_answers_the_payout_step_as_the_sandbox_does() {
    let (app, token, fake) = signed_in(json!(["payout"]), 5_000).await;
    assert_eq!(fake.flow.borrow().payout_fee_party, FeeParty::Platform);
    let paypal = json!({"platform": "paypal", "email": "ada@example.com"});
    compare(
        &app,
        &token,
        &fake,
        vec![
            get("/api/flow/state"),
            get("/api/flow/wallet"),
            get("/api/flow/payout-methods"),
            post_empty("/api/flow/steps/payout/complete"),
            post_empty("/api/flow/steps/compliance/complete"),
            post_empty("/api/flow/steps/nonsense/complete"),
            get("/api/flow/bank-accounts"),
            post(
                "/api/flow/payout-methods",
                json!({"platform": "paypal", "email": "ada@"}),
            ),
            keep(post("/api/flow/payout-methods", paypal.clone())),
            post(
                "/api/flow/payout-methods",
                json!({"platform": "venmo", "handle": "@ada-l"}),
            ),
            delete("/api/flow/payout-methods/{id}"),
            post_empty("/api/flow/payout-methods/{id}/default"),
            post("/api/flow/payouts", json!({"amount": 1_000})),
            Row {
                method: Method::Post,
                path: "/api/flow/payouts".to_owned(),
                body: Some(Sent::Raw("{\"amount\": ")),
                keep: false,
            },
            get("/api/flow/transfers/{id}"),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_fake_pays_out_as_the_sandbox_does() {
    let (app, token, fake) = signed_in(json!(["payout"]), 5_000).await;
    let paypal = json!({"platform": "paypal", "email": "ada@example.com"});
    // The method's id goes into the payout bodies: add it on both sides first.
    let app_method = app
        .post(
            "/api/flow/payout-methods",
            Auth::Bearer(&token),
            paypal.clone(),
        )
        .await
        .json();
    let fake_method = fake
        .handle(&Request {
            method: Method::Post,
            path: "/api/flow/payout-methods".into(),
            token: Some(fake_server::TOKEN.into()),
            body: Body::Json(paypal.to_string()),
        })
        .unwrap();
    let fake_method: Value = serde_json::from_str(&fake_method.body).unwrap();
    let unknown = Uuid::new_v4().to_string();
    for (label, method_app, method_fake) in [
        ("known", app_method["id"].clone(), fake_method["id"].clone()),
        ("unknown", json!(unknown), json!(unknown)),
    ] {
        let body = |id: &Value, amount: i64, key: &str| json!({"amount": amount, "payout_method_id": id, "idempotency_key": key});
        let cases = [
            (50, "k-small"),
            (9_999_999, "k-large"),
            (1_000, "k-1"),
            (1_000, "k-1"),
            (1_200, "k-1"),
        ];
        for (amount, key) in cases {
            let res = app
                .post(
                    "/api/flow/payouts",
                    Auth::Bearer(&token),
                    body(&method_app, amount, key),
                )
                .await;
            let (want, app_value) = seen(res.status.as_u16(), &res.text());
            let answer = fake
                .handle(&Request {
                    method: Method::Post,
                    path: "/api/flow/payouts".into(),
                    token: Some(fake_server::TOKEN.into()),
                    body: Body::Json(body(&method_fake, amount, key).to_string()),
                })
                .unwrap();
            let (got, fake_value) = seen(answer.status, &answer.body);
            assert_eq!(
                got, want,
                "{label} method, {amount} with {key}\n  sandbox: {app_value}\n  fake:    {fake_value}"
            );
        }
    }
    compare(
        &app,
        &token,
        &fake,
        vec![
            get("/api/flow/wallet"),
            get(&format!("/api/flow/transfers/{}", Uuid::new_v4())),
            post_empty("/api/flow/steps/payout/complete"),
            post("/api/flow/payout-methods", paypal),
            get("/api/flow/wallet"),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_fake_manages_methods_and_bank_accounts_as_the_sandbox_does() {
    let (app, token, fake) = signed_in(json!(["manage-payouts", "manage-payments"]), 0).await;
    let bank = json!({
        "routing_number": "011000015", "account_number": "000123456789",
        "account_number_confirmation": "000123456789", "account_type": "checking"
    });
    compare(
        &app,
        &token,
        &fake,
        vec![
            post_empty("/api/flow/steps/manage-payouts/complete"),
            keep(post(
                "/api/flow/payout-methods",
                json!({"platform": "paypal", "email": "ada@example.com"}),
            )),
            post_empty("/api/flow/payout-methods/{id}/default"),
            keep(post(
                "/api/flow/payout-methods",
                json!({"platform": "cash_app", "cashtag": "$ada"}),
            )),
            post_empty("/api/flow/payout-methods/{id}/default"),
            delete("/api/flow/payout-methods/{id}"),
            delete("/api/flow/payout-methods/{id}"),
            delete("/api/flow/payout-methods/not-an-id"),
            get("/api/flow/payout-methods"),
            post("/api/flow/bank-accounts", bank.clone()),
            post_empty("/api/flow/steps/manage-payments/complete"),
            post_empty("/api/flow/steps/manage-payouts/complete"),
            post_empty("/api/flow/steps/manage-payouts/complete"),
            post_empty("/api/flow/steps/manage-payments/complete"),
            post(
                "/api/flow/bank-accounts",
                json!({"routing_number": "011000016", "account_number": "1",
                       "account_number_confirmation": "2", "account_type": "checking"}),
            ),
            keep(post("/api/flow/bank-accounts", bank)),
            get("/api/flow/bank-accounts"),
            delete("/api/flow/bank-accounts/{id}"),
            delete("/api/flow/bank-accounts/{id}"),
            get("/api/flow/wallet"),
        ],
    )
    .await;
}

fn w9() -> Value {
    json!({
        "country": "us", "first_name": "Ada", "last_name": "Lovelace",
        "date_of_birth": "1990-04-25", "tin": "123-45-6789",
        "address": {"line1": "1 Main St", "line2": "", "city": "San Francisco",
                    "region": "ca", "postal_code": "94103"}
    })
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn the_fake_checks_identity_as_the_sandbox_does() {
    let (app, token, fake) = signed_in(
        json!(["compliance", "id-verification", "background-check"]),
        0,
    )
    .await;
    let mut bad = w9();
    bad["address"]["postal_code"] = json!("1");
    compare(
        &app,
        &token,
        &fake,
        vec![
            get("/api/flow/compliance"),
            post_empty("/api/flow/steps/compliance/complete"),
            get("/api/flow/id-verification"),
            upload("front", "image/png", PNG),
            post("/api/flow/background-check", json!({})),
            put("/api/flow/compliance", bad),
            put("/api/flow/compliance", w9()),
            get("/api/flow/compliance"),
            put("/api/flow/compliance", w9()),
            upload("front", "image/gif", b"GIF89a"),
            upload("front", "image/png", b"not a png at all"),
            upload("front", "image/png", PNG),
            post_empty("/api/flow/id-verification/submit"),
            upload("back", "image/png", PNG),
            upload("selfie", "image/png", PNG),
            get("/api/flow/id-verification"),
            post_empty("/api/flow/id-verification/submit"),
            upload("front", "image/png", PNG),
            get("/api/flow/background-check"),
            post("/api/flow/background-check", json!({})),
            post("/api/flow/background-check", json!({})),
            get("/api/flow/background-check"),
            get("/api/flow/state"),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_fake_signs_in_as_the_sandbox_does() {
    let app = TestApp::new().await;
    let flow = app.create_flow(json!({"steps": ["compliance"]})).await;
    let session = app.create_session(&flow["id"], None).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let state = app
        .get("/api/flow/state", Auth::Bearer(&token))
        .await
        .json();
    let state: FlowState = serde_json::from_value(state).unwrap();
    let fake = FakeServer::new(state, chrono::Utc::now);
    compare(
        &app,
        &token,
        &fake,
        vec![
            get("/api/flow/compliance"),
            post_empty("/api/flow/steps/compliance/complete"),
            post("/api/flow/auth/verify", json!({"code": "000000"})),
            post(
                "/api/flow/auth/code",
                json!({"country_code": "1", "phone_number": "12"}),
            ),
            post(
                "/api/flow/auth/code",
                json!({"country_code": "1", "phone_number": "4155550123"}),
            ),
            post(
                "/api/flow/auth/code",
                json!({"country_code": "1", "phone_number": "4155550123"}),
            ),
            post("/api/flow/auth/verify", json!({"code": "12"})),
            post("/api/flow/auth/verify", json!({"code": "123456"})),
            post(
                "/api/flow/auth/profile",
                json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}),
            ),
            post("/api/flow/auth/verify", json!({"code": "000000"})),
            post(
                "/api/flow/auth/profile",
                json!({"first_name": "Ada", "last_name": "", "email": "ada@example.com"}),
            ),
            post(
                "/api/flow/auth/profile",
                json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}),
            ),
            post(
                "/api/flow/auth/code",
                json!({"country_code": "1", "phone_number": "4155550123"}),
            ),
            get("/api/flow/compliance"),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_fake_refuses_a_request_without_a_session_as_the_sandbox_does() {
    let app = TestApp::new().await;
    let fake = FakeServer::new(
        serde_json::from_value(json!({
            "id": Uuid::new_v4(), "steps": ["payout"], "completed_steps": [],
            "user_id": null, "hide_go_to_dashboard_on_complete": false,
            "require_auth": false, "payout_fee_party": "platform"
        }))
        .unwrap(),
        chrono::Utc::now,
    );
    for path in ["/api/flow/state", "/api/flow/wallet"] {
        let res = app.get(path, Auth::None).await;
        let (want, _) = seen(res.status.as_u16(), &res.text());
        let answer = fake
            .handle(&Request {
                method: Method::Get,
                path: path.into(),
                token: None,
                body: Body::None,
            })
            .unwrap();
        assert_eq!(seen(answer.status, &answer.body).0, want, "{path}");
    }
    // A minted session: the same shape.
    let flow = app.create_flow(json!({"steps": ["payout"]})).await;
    let session = app.create_session(&flow["id"], None).await;
    let body = json!({"flow_id": flow["id"]}).to_string();
    let answer = fake
        .handle(&Request {
            method: Method::Post,
            path: "/api/flow/sessions".into(),
            token: None,
            body: Body::Json(body),
        })
        .unwrap();
    assert_eq!(
        seen(answer.status, &answer.body).0,
        seen(200, &session.to_string()).0,
        "sandbox: {session}\nfake: {}",
        answer.body
    );
}

#[tokio::test]
async fn the_fake_routes_every_declared_endpoint_and_refuses_a_session_on_the_host_api() {
    let app = TestApp::new().await;
    let (_, token, fake) = signed_in(json!(["payout"]), 0).await;
    for info in payout_model::endpoint::ALL {
        let path = crate::example_path(info);
        let body = match info.body {
            payout_model::endpoint::BodyKind::None => Body::None,
            payout_model::endpoint::BodyKind::Json => Body::Json("{}".into()),
            payout_model::endpoint::BodyKind::Image => Body::Image {
                content_type: "image/png".into(),
                bytes: PNG.to_vec(),
            },
        };
        let answer = fake
            .handle(&Request {
                method: info.method,
                path: path.clone(),
                token: Some(fake_server::TOKEN.into()),
                body,
            })
            .unwrap();
        assert_eq!(fake.log.borrow().last().unwrap().name, info.name, "{path}");
        if info.caller == payout_model::endpoint::Caller::App {
            let method = HttpMethod::from_bytes(info.method.as_str().as_bytes()).unwrap();
            let res = app
                .send(method, &path, Auth::Bearer(&token), &[], None)
                .await;
            let (want, _) = seen(res.status.as_u16(), &res.text());
            assert_eq!(seen(answer.status, &answer.body).0, want, "{path}");
        }
    }
}

#[tokio::test]
async fn the_fake_blocks_payouts_after_a_failed_background_check_as_the_sandbox_does() {
    let (app, token, fake) = signed_in(json!(["background-check", "payout"]), 5_000).await;
    let check = json!({
        "country": "us", "ssn": payout_sandbox::test_values::SANDBOX_FAILING_SSN,
        "date_of_birth": "1990-04-25",
        "address": {"line1": "1 Main St", "city": "San Francisco", "region": "CA",
                    "postal_code": "94103"}
    });
    compare(
        &app,
        &token,
        &fake,
        vec![
            post("/api/flow/payouts", json!({})),
            post("/api/flow/background-check", check.clone()),
            post("/api/flow/background-check", check),
            get("/api/flow/wallet"),
            post(
                "/api/flow/payouts",
                json!({"amount": 1_000, "payout_method_id": Uuid::new_v4(),
                       "idempotency_key": "k-blocked"}),
            ),
        ],
    )
    .await;
}
