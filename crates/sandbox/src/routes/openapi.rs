//! The API's OpenAPI 3.1 document, generated from the endpoint declarations of
//! [`payout_model::endpoint`] and the wire types' `utoipa::ToSchema` (issue 9), served at
//! `GET /api/v2/openapi.json`; and its reference page, `GET /api/v2/docs`: plain HTML written
//! here from the same document, with no script and nothing fetched from elsewhere, so it reads
//! offline. Both are public: the contract is no secret.

use crate::headers::{Page, PageHeaders};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use payout_model::endpoint::{self, AnswerKind, BodyKind, Caller, Endpoint, Info, Method};
use payout_model::identity::DocumentSide;
use payout_model::{ApiError, StepName};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use utoipa::openapi::RefOr;
use utoipa::openapi::Schema;
use utoipa::{PartialSchema, ToSchema};

/// Where the document is served.
pub(crate) const DOCUMENT_PATH: &str = "/api/v2/openapi.json";
/// Where its reference page is served.
pub(crate) const PAGE_PATH: &str = "/api/v2/docs";

/// The document and page routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(DOCUMENT_PATH, get(get_document))
        .route(PAGE_PATH, get(get_page))
}

/// `GET /api/v2/openapi.json`.
async fn get_document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        cached().0.clone(),
    )
        .into_response()
}

/// `GET /api/v2/docs`.
async fn get_page(State(state): State<AppState>) -> Response {
    let html = &cached().1;
    let headers = PageHeaders::new(Page::Plain, &state.config, html, &[]);
    (headers.into_array(), Html(html.clone())).into_response()
}

/// The document's text and the page, built once.
fn cached() -> &'static (String, String) {
    static CACHE: OnceLock<(String, String)> = OnceLock::new();
    CACHE.get_or_init(|| {
        let document = document();
        (document.to_string(), page(&document))
    })
}

/// The OpenAPI document, as JSON.
pub(crate) fn document() -> Value {
    let mut builder = Builder::default();
    endpoint::visit(&mut builder);
    builder
        .schemas
        .push(("ApiError".to_owned(), <ApiError as PartialSchema>::schema()));
    <ApiError as ToSchema>::schemas(&mut builder.schemas);
    let schemas: Map<String, Value> = builder
        .schemas
        .into_iter()
        .map(|(name, schema)| (name, to_json(&schema)))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "payout-flows sandbox API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The host API (`/api/v2`, Dots v2 shapes) and the flow session's API \
                (`/api/flow`). Each operation's `x-caller` says who may call it: `app` (HTTP \
                Basic `client_id:api_key`, its own objects only; or the organization's \
                credentials with `Api-App-Id: <app id>`), `organization` (HTTP Basic \
                `org_id:org_key`: creates and manages apps), `flow_session` (the bearer \
                token a flow link mints: the flow's user, through the flow's current step) or \
                `public`. Errors answer the `ApiError` envelope.",
        },
        "paths": builder.paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "app": {"type": "http", "scheme": "basic"},
                "flow_session": {"type": "http", "scheme": "bearer"},
                "organization": {"type": "http", "scheme": "basic",
                    "description": "The organization's `org_id:org_key`."},
                "app_id": {"type": "apiKey", "in": "header", "name": "Api-App-Id",
                    "description": "With the organization's credentials: the id of the app \
                        to act as."},
            },
        },
    })
}

/// Collects each endpoint's operation and the schemas its types refer to.
#[derive(Default)]
struct Builder {
    paths: Map<String, Value>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl endpoint::Visitor for Builder {
    fn visit<E>(&mut self)
    where
        E: Endpoint,
        E::Request: ToSchema,
        E::Response: ToSchema,
    {
        let info = E::INFO;
        let request = to_json(&E::Request::schema());
        let response = to_json(&E::Response::schema());
        E::Request::schemas(&mut self.schemas);
        E::Response::schemas(&mut self.schemas);
        let item = self
            .paths
            .entry(info.path.to_owned())
            .or_insert_with(|| json!({}));
        item[method_key(info.method)] = operation(&info, request, response);
    }
}

/// One operation of the document.
fn operation(info: &Info, request: Value, response: Value) -> Value {
    let mut parameters: Vec<Value> = info
        .path_params()
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": path_param_schema(name),
            })
        })
        .collect();
    parameters.extend(info.query.iter().map(|param| {
        json!({
            "name": param.name,
            "in": "query",
            "required": false,
            "description": param.description,
            "schema": {"type": "string"},
        })
    }));
    let mut operation = json!({
        "operationId": info.name,
        "summary": info.summary,
        "tags": [tag(info.caller)],
        "x-caller": info.caller.as_str(),
        "parameters": parameters,
        "responses": responses(info, response),
    });
    if let Some(action) = info.action {
        let steps: Vec<&str> = action.owners().iter().map(|s| s.as_str()).collect();
        operation["x-flow-action"] = json!({"does": action.describe(), "steps": steps,
            "writes": action.writes()});
    }
    match info.caller {
        // The organization acts as any of its apps with `Api-App-Id` (issue 10).
        Caller::App => {
            operation["security"] = json!([{"app": []}, {"organization": [], "app_id": []}])
        }
        Caller::Organization => operation["security"] = json!([{"organization": []}]),
        Caller::FlowSession => operation["security"] = json!([{"flow_session": []}]),
        Caller::Public => operation["security"] = json!([]),
    }
    match info.body {
        BodyKind::None => {}
        BodyKind::Json => {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": request}},
            });
        }
        BodyKind::Image => {
            let image = json!({"schema": request});
            operation["requestBody"] = json!({
                "required": true,
                "content": {"image/jpeg": image, "image/png": image, "image/webp": image},
            });
        }
    }
    operation
}

/// The success answer and every error the envelope may carry for this kind of caller.
fn responses(info: &Info, response: Value) -> Value {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
        })
    };
    let mut responses = Map::new();
    match info.answer {
        AnswerKind::Json => {
            responses.insert(
                "200".to_owned(),
                json!({"description": "OK", "content": {"application/json": {"schema": response}}}),
            );
        }
        AnswerKind::NoContent => {
            responses.insert("204".to_owned(), json!({"description": "Done; no body."}));
        }
    }
    let mut errors = vec![
        (
            "400",
            "The body is not JSON of the endpoint's shape (`malformed_json`).",
        ),
        (
            "404",
            "No such object, or not one this caller may see (`not_found`).",
        ),
        (
            "422",
            "A field breaks a rule; `fields` names each (`invalid_request`).",
        ),
        (
            "429",
            "Too many requests; see `Retry-After` (`too_many_requests`).",
        ),
        ("500", "Something failed on the server (`internal`)."),
    ];
    if info.caller != Caller::Public {
        errors.push((
            "401",
            "Missing or wrong credentials, or an expired session (`unauthorized`, `session_expired`).",
        ));
    } else if info.name == "create_session" {
        // Public, but a resume cookie whose session has ended is answered so.
        errors.push((
            "401",
            "The session this browser's resume cookie names has ended (`session_expired`); start again without it.",
        ));
    }
    if info.caller == Caller::FlowSession || info.name == "create_session" {
        errors.push((
            "403",
            "Not allowed now: sign-in first, not the current step, the flow complete \
             (`forbidden`, `step_not_allowed`, `payout_blocked`).",
        ));
    }
    if info.caller.is_host() {
        errors.push((
            "403",
            "These credentials may not do this: an app's on the organization's endpoints or \
             naming another app in `Api-App-Id`, the organization's without `Api-App-Id` \
             (`forbidden`).",
        ));
    }
    if info.method != Method::Get {
        errors.push(("409", "Conflicts with the object's state (`conflict`)."));
    }
    for (status, description) in errors {
        responses.insert(status.to_owned(), error(description));
    }
    Value::Object(responses)
}

/// The schema of a path parameter, by its name.
fn path_param_schema(name: &str) -> Value {
    match name {
        "step" => to_json(&StepName::schema()),
        "side" => to_json(&DocumentSide::schema()),
        // An event's wire id (`store::webhooks::event_wire_id`), not a bare UUID.
        "event_id" => json!({"type": "string", "pattern": "^evt_[0-9a-f]{32}$"}),
        _ => json!({"type": "string", "format": "uuid"}),
    }
}

fn method_key(method: Method) -> &'static str {
    match method {
        Method::Get => "get",
        Method::Post => "post",
        Method::Put => "put",
        Method::Patch => "patch",
        Method::Delete => "delete",
    }
}

fn tag(caller: Caller) -> &'static str {
    match caller {
        Caller::App => "host",
        Caller::Organization => "organization",
        Caller::FlowSession | Caller::Public => "flow",
    }
}

fn to_json(schema: &RefOr<Schema>) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// The reference page: per operation its method, path, caller, parameters, and the request and
/// response schemas as indented JSON; the shared schemas at the end.
fn page(document: &Value) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>payout-flows API reference</title><style>\
         body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a}\
         code,pre{font:14px/1.4 ui-monospace,monospace}pre{background:#f4f4f5;padding:.75rem;overflow-x:auto}\
         section{border-top:1px solid #d4d4d8;padding-top:.5rem}\
         .m{font-weight:700;display:inline-block;min-width:4.5rem}\
         details{margin:.25rem 0}</style></head><body>\
         <h1>payout-flows API reference</h1>",
    );
    html.push_str(&format!(
        "<p>{}</p><p>The machine-readable document: <a href=\"{DOCUMENT_PATH}\"><code>{DOCUMENT_PATH}</code></a> (OpenAPI 3.1).</p>",
        escape(document["info"]["description"].as_str().unwrap_or_default())
    ));
    html.push_str("<nav aria-label=\"Operations\"><ul>");
    for info in endpoint::ALL {
        html.push_str(&format!(
            "<li><a href=\"#{name}\"><code>{method} {path}</code></a>: {summary}</li>",
            name = info.name,
            method = info.method.as_str(),
            path = escape(info.path),
            summary = escape(info.summary),
        ));
    }
    html.push_str("</ul></nav><main>");
    for info in endpoint::ALL {
        let operation = &document["paths"][info.path][method_key(info.method)];
        html.push_str(&format!(
            "<section id=\"{name}\"><h2><span class=\"m\">{method}</span><code>{path}</code></h2>\
             <p>{summary}</p><p>Caller: <strong>{caller}</strong>{steps}</p>",
            name = info.name,
            method = info.method.as_str(),
            path = escape(info.path),
            summary = escape(info.summary),
            caller = info.caller.as_str(),
            steps = info
                .action
                .map(|action| {
                    let steps: Vec<&str> = action.owners().iter().map(|s| s.as_str()).collect();
                    let when = if action.writes() {
                        "only while the flow's current step is"
                    } else {
                        "only in a flow with a step"
                    };
                    format!("; {when} {} ({})", steps.join(" or "), action.describe())
                })
                .unwrap_or_default(),
        ));
        if let Some(parameters) = operation["parameters"].as_array().filter(|p| !p.is_empty()) {
            html.push_str("<p>Parameters:</p><ul>");
            for parameter in parameters {
                html.push_str(&format!(
                    "<li><code>{}</code> ({}){}</li>",
                    escape(parameter["name"].as_str().unwrap_or_default()),
                    escape(parameter["in"].as_str().unwrap_or_default()),
                    parameter["description"]
                        .as_str()
                        .map(|d| format!(": {}", escape(d)))
                        .unwrap_or_default(),
                ));
            }
            html.push_str("</ul>");
        }
        if let Some((kind, content)) = operation["requestBody"]["content"]
            .as_object()
            .and_then(|content| content.iter().next())
        {
            html.push_str(&details(
                &format!("Request body ({kind})"),
                &content["schema"],
            ));
        }
        let success = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        if success.is_null() {
            html.push_str("<p>Success: <code>204 No Content</code></p>");
        } else {
            html.push_str(&details("Success: 200", success));
        }
        html.push_str("</section>");
    }
    html.push_str("<section id=\"schemas\"><h2>Schemas</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            html.push_str(&format!("<h3 id=\"schema-{0}\">{0}</h3>", escape(name)));
            html.push_str(&format!(
                "<pre>{}</pre>",
                escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
            ));
        }
    }
    html.push_str("</section></main></body></html>");
    html
}

fn details(summary: &str, schema: &Value) -> String {
    format!(
        "<details><summary>{}</summary><pre>{}</pre></details>",
        escape(summary),
        escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
