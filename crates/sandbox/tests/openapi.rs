//! The OpenAPI document and its reference page (issue 9): generated from the endpoint
//! declarations, so every declared operation is in it with its caller, and every schema it
//! refers to is defined. (That the sandbox's answers match it is schemathesis's job, run by the
//! README test command: `scripts/schemathesis.sh`.)

#![allow(clippy::unwrap_used)]

mod support;

use payout_model::appearance::Var;
use payout_model::endpoint::ALL;
use serde_json::{json, Value};
use support::{Auth, TestApp};

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                refs.push(target.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_declared_operation_with_its_caller() {
    let app = TestApp::new().await;
    let res = app.get("/api/v2/openapi.json", Auth::None).await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, ALL.len());
    for info in ALL {
        let method = info.method.as_str().to_ascii_lowercase();
        let op = &doc["paths"][info.path][&method];
        assert_eq!(
            op["operationId"],
            info.name,
            "{} {}",
            info.method.as_str(),
            info.path
        );
        assert_eq!(op["x-caller"], info.caller.as_str(), "{}", info.name);
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            params,
            info.path_params().collect::<Vec<_>>(),
            "{}",
            info.name
        );
    }
}

#[tokio::test]
async fn every_schema_the_document_refers_to_is_defined() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v2/openapi.json", Auth::None).await.json();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20, "{refs:?}");
    for target in refs {
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{target} is not defined"
        );
    }
}

#[tokio::test]
async fn the_reference_page_reads_offline_and_names_every_operation() {
    let app = TestApp::new().await;
    let res = app.get("/api/v2/docs", Auth::None).await;
    assert_eq!(res.status, 200);
    assert!(res
        .header(axum::http::header::CONTENT_TYPE)
        .starts_with("text/html"));
    let csp = res.header(axum::http::header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("default-src 'none'") || csp.contains("default-src 'self'"),
        "{csp}"
    );
    let html = res.text();
    assert!(!html.contains("<script"), "the page runs no script");
    for fetch in ["src=", "<link", "@import", "url("] {
        assert!(!html.contains(fetch), "nothing fetched: {fetch}");
    }
    for info in ALL {
        assert!(
            html.contains(&format!("id=\"{}\"", info.name)),
            "{}",
            info.name
        );
    }
}

/// Issue 12: the theme variables are documented by their wire names (`colorPrimary`), the ones
/// the server reads, and no others (the document once showed the Rust field names).
#[tokio::test]
async fn theme_variables_are_documented_by_their_wire_names() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v2/openapi.json", Auth::None).await.json();
    let schema = &doc["components"]["schemas"]["ThemeVariables"];
    let mut documented: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    let mut wire: Vec<&str> = Var::ALL.iter().map(|v| v.as_str()).collect();
    wire.sort_unstable();
    assert_eq!(documented, wire);
    assert_eq!(schema["additionalProperties"], false);
    let appearance = &doc["components"]["schemas"]["Appearance"]["properties"];
    assert!(appearance.get("darkVariables").is_some(), "{appearance}");
}

/// Review: the resend path typed its event id as a UUID, which every real id (`evt_…`) is not,
/// so a client generated from the document could never pass one.
#[tokio::test]
async fn an_event_id_parameter_is_typed_as_event_ids_are() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v2/openapi.json", Auth::None).await.json();
    let op = &doc["paths"]["/api/v2/events/{event_id}/resend"]["post"];
    let param = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "event_id")
        .expect("the event_id parameter");
    assert_eq!(param["schema"].get("format"), None);
    let pattern = param["schema"]["pattern"].as_str().unwrap();
    assert_eq!(pattern, "^evt_[0-9a-f]{32}$");
    // A real id has exactly that shape: "evt_", then 32 lowercase hex digits.
    let refill = app
        .post("/api/v2/sandbox/refills", Auth::App, json!({"amount": 100}))
        .await;
    assert_eq!(refill.status, 200, "{}", refill.text());
    let events = app.get("/api/v2/events", Auth::App).await.json();
    let id = events["data"][0]["id"].as_str().expect("an event");
    let hex = id.strip_prefix("evt_").expect("evt_ prefix");
    assert_eq!(hex.len(), 32, "{id}");
    assert!(
        hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "{id}"
    );
}

/// Review against the seeds: `POST /api/flow/sessions` is public, but answers 401
/// `session_expired` to a resume cookie whose session has ended; the document said nothing of it.
#[tokio::test]
async fn a_session_start_documents_its_401() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v2/openapi.json", Auth::None).await.json();
    let responses = &doc["paths"]["/api/flow/sessions"]["post"]["responses"];
    assert!(responses["401"].is_object(), "{responses}");
    assert!(responses["200"].is_object(), "{responses}");
}
