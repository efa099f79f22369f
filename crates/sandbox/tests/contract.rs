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
use serde_json::json;
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
    let method = Method::from_bytes(info.method.as_str().as_bytes()).unwrap();
    let body = match info.body {
        BodyKind::None => None,
        BodyKind::Json => Some(("application/json", b"{}".to_vec())),
        BodyKind::Image => Some(("image/png", vec![0x89, b'P', b'N', b'G'])),
    };
    app.send(method, path, auth, &[], body).await
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
            Caller::App | Caller::FlowSession => {
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
            Caller::App => send(&app, info, &path, Auth::Bearer(&token)).await,
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
    for info in ALL.iter().filter(|info| info.caller == Caller::App) {
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
