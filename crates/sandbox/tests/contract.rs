//! The sandbox against the endpoint declarations of `payout_model::endpoint` (issue 9): every
//! declared endpoint is mounted at its method and path, and refuses every caller but the one it
//! declares (DESIGN.md, "Who may do what"). A handler that took the wrong extractor, or a route
//! mounted at a path of its own, fails here.
//!
//! `fake` holds the browser tests' fake server (`tests/common/fake_server.rs`) to the sandbox:
//! the same tables of requests to both, compared by status, error code and JSON shape.

#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../../tests/common/fake_server.rs"]
mod fake_server;

#[path = "contract/fake.rs"]
mod fake;

use axum::http::Method;
use payout_model::endpoint::{BodyKind, Caller, Info, ALL};
use serde_json::{json, Value};
use support::{Auth, TestApp, TestResponse};

/// The declaration's path with each parameter filled by a value of the right form.
fn example_path(info: &Info) -> String {
    let values: Vec<String> = info
        .path_params()
        .map(|name| match name {
            "step" => "compliance".to_owned(),
            "side" => "front".to_owned(),
            _ => uuid::Uuid::new_v4().to_string(),
        })
        .collect();
    info.fill(&values)
}

/// Sends `info`'s request with `auth` and an empty JSON object as the body where it takes one.
async fn send(app: &TestApp, info: &Info, path: &str, auth: Auth<'_>) -> TestResponse {
    send_json(app, info, path, auth, json!({})).await
}

/// Sends `info`'s request with `auth` and `body` where it takes JSON.
async fn send_json(
    app: &TestApp,
    info: &Info,
    path: &str,
    auth: Auth<'_>,
    body: Value,
) -> TestResponse {
    let method = Method::from_bytes(info.method.as_str().as_bytes()).unwrap();
    let body = match info.body {
        BodyKind::None => None,
        BodyKind::Json => Some(("application/json", body.to_string().into_bytes())),
        BodyKind::Image => Some(("image/png", PNG.to_vec())),
    };
    app.send(method, path, auth, &[], body).await
}

/// The smallest PNG: a 1×1 transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A body the endpoint's step would accept, so only the step decides the answer.
fn valid_body(info: &Info) -> Value {
    match info.name {
        "add_flow_payout_method" => json!({"platform": "paypal", "email": "ada@example.com"}),
        "add_flow_bank_account" => json!({
            "routing_number": "011000015", "account_number": "000123456789",
            "account_type": "checking",
        }),
        "create_flow_payout" => json!({
            "amount": 100, "payout_method_id": uuid::Uuid::new_v4(), "idempotency_key": "k-1",
        }),
        "submit_compliance" => json!({
            "country": "US", "first_name": "Ada", "last_name": "Lovelace",
            "date_of_birth": "1990-04-25", "tin": "123-45-6789",
            "address": {"line1": "1 Main St", "city": "San Francisco", "region": "CA",
                        "postal_code": "94103"},
        }),
        "run_background_check" => json!({
            "country": "US", "ssn": "123-45-6789", "date_of_birth": "1985-02-01",
            "address": {"line1": "1 Main St", "city": "Austin", "region": "TX",
                        "postal_code": "78701"},
        }),
        _ => json!({}),
    }
}

fn method_and_path(info: &Info) -> String {
    format!("{} {}", info.method.as_str(), info.path)
}

#[tokio::test]
async fn every_declared_endpoint_is_mounted_and_refuses_a_caller_without_credentials() {
    let app = TestApp::new().await;
    for info in ALL {
        let res = send(&app, info, &example_path(info), Auth::None).await;
        let body = res.json();
        let what = method_and_path(info);
        match info.caller {
            Caller::App | Caller::FlowSession | Caller::Organization => {
                assert_eq!(res.status, 401, "{what}: {body}");
                assert_eq!(body["code"], "unauthorized", "{what}: {body}");
            }
            // The link is the capability: no credentials, and an empty body is a bad request,
            // never an unknown route.
            Caller::Public => {
                assert!(res.status == 400 || res.status == 422, "{what}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn host_endpoints_refuse_a_flow_session_and_flow_endpoints_refuse_an_app() {
    let app = TestApp::new().await;
    let (_, _, token) = app.signed_in_flow(json!(["payout"]), support::bob()).await;
    for info in ALL {
        let path = example_path(info);
        let what = method_and_path(info);
        let res = match info.caller {
            Caller::App | Caller::Organization => {
                send(&app, info, &path, Auth::Bearer(&token)).await
            }
            Caller::FlowSession => send(&app, info, &path, Auth::App).await,
            Caller::Public => continue,
        };
        assert_eq!(res.status, 401, "{what}: {}", res.text());
        assert_eq!(res.json()["code"], "unauthorized", "{what}");
    }
}

#[tokio::test]
async fn host_endpoints_answer_with_and_without_a_trailing_slash() {
    let app = TestApp::new().await;
    for info in ALL.iter().filter(|info| info.caller.is_host()) {
        let path = format!("{}/", example_path(info));
        let res = send(&app, info, &path, Auth::Basic("nobody", "wrong")).await;
        assert_eq!(
            res.status,
            401,
            "{} (trailing slash)",
            method_and_path(info)
        );
    }
}

/// Issue 10: the organization's endpoints refuse an app's credentials (403), and the app's
/// refuse the organization's unless `Api-App-Id` names one of its apps (403 without it, 404 for
/// an id that names none).
#[tokio::test]
async fn organization_and_app_endpoints_refuse_each_others_credentials() {
    let app = TestApp::new().await;
    let organization: Vec<&Info> = ALL
        .iter()
        .filter(|info| info.caller == Caller::Organization)
        .collect();
    assert!(organization.len() >= 4);
    for info in organization {
        let res = send(&app, info, &example_path(info), Auth::App).await;
        res.assert_error(403, "forbidden");
    }
    let unknown_app = uuid::Uuid::new_v4().to_string();
    for info in ALL.iter().filter(|info| info.caller == Caller::App) {
        let path = example_path(info);
        let what = method_and_path(info);
        let res = send(&app, info, &path, Auth::Org).await;
        assert_eq!(res.status, 403, "{what}: {}", res.text());
        assert!(res.text().contains("Api-App-Id"), "{what}");
        let method = Method::from_bytes(info.method.as_str().as_bytes()).unwrap();
        let body = match info.body {
            BodyKind::None => None,
            BodyKind::Json => Some(("application/json", b"{}".to_vec())),
            BodyKind::Image => Some(("image/png", PNG.to_vec())),
        };
        let res = app
            .send(
                method,
                &path,
                Auth::Org,
                &[("api-app-id", &unknown_app)],
                body,
            )
            .await;
        assert_eq!(res.status, 404, "{what}: {}", res.text());
        assert!(res.text().contains("no such app"), "{what}");
    }
}

#[tokio::test]
async fn every_declared_step_action_is_refused_to_a_flow_whose_steps_do_not_own_it() {
    let app = TestApp::new().await;
    // A redirect-only flow: signed in, and no step of it owns any action on the user's data.
    let (_, _, token) = app
        .signed_in_flow(
            json!([{"name": "redirect", "redirect_url": "https://host.example/done"}]),
            support::bob(),
        )
        .await;
    let declared: Vec<&Info> = ALL.iter().filter(|info| info.action.is_some()).collect();
    assert!(declared.len() >= 15);
    for info in declared {
        let path = example_path(info);
        let res = send_json(&app, info, &path, Auth::Bearer(&token), valid_body(info)).await;
        let what = method_and_path(info);
        assert_eq!(res.status, 403, "{what}: {}", res.text());
        assert_eq!(res.json()["code"], "step_not_allowed", "{what}");
    }
}

#[test]
fn the_fake_server_plays_the_sandboxs_test_values() {
    use payout_model::money::PayoutPlatform;
    use payout_sandbox::test_values;
    assert_eq!(fake_server::SANDBOX_CODE, test_values::SANDBOX_CODE);
    assert_eq!(
        fake_server::SANDBOX_FAILING_SSN,
        test_values::SANDBOX_FAILING_SSN
    );
    for platform in [
        PayoutPlatform::Ach,
        PayoutPlatform::Paypal,
        PayoutPlatform::Venmo,
        PayoutPlatform::CashApp,
    ] {
        assert_eq!(
            fake_server::completes_at_once(platform),
            test_values::completes_at_once(platform),
            "{platform:?}"
        );
    }
}
