//! What a browser loads: the built app (`/app/…` from the assets directory, `/flow/{id}` and
//! `/app/` its `index.html`), the home page, the demo host page (`assets/demo.html`) with the
//! sandbox's own webhook receiver (`/demo/webhooks`, issue 10), and `/healthz`. Every page carries the headers of [`crate::headers`]: its CSP hashes the inline
//! scripts of the very HTML it serves (trunk's loader in `index.html`, read on each request so
//! a rebuild shows at once).

use crate::assets::encode_page;
use crate::config::Config;
use crate::error::Error;
use crate::headers::{Page, PageHeaders};
use crate::html::{escape_attr, insert_head};
use crate::state::AppState;
use crate::store::apps::page_settings;
use crate::store::flows::FlowRow;
use crate::store::webhooks::secrets_for_url;
use crate::theme::{page_theme, PageTheme};
use crate::webhooks::{demo_webhook_url, verify};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use payout_model::appearance::Appearance;
use payout_model::Origin;
use serde::Deserialize;
use tower::Layer as _;
use uuid::Uuid;

/// The demo host page; `{{FLOW_BASE}}` becomes the server's public URL.
const DEMO_HTML: &str = include_str!("../../assets/demo.html");
/// The home page.
const HOME_HTML: &str = include_str!("../../assets/home.html");

/// The largest delivery the demo receiver reads (413 beyond): a flow with the most metadata a
/// host may give is far below it.
const DEMO_WEBHOOK_BODY_LIMIT: usize = 64 * 1024;

/// The most JSON text of what `/demo` shows of one event ([`shown_on_demo`]); a real flow's
/// steps are far below it, so a bigger one is a signer's padding and is not kept.
const DEMO_EVENT_SHOWN_LIMIT: usize = 4 * 1024;

/// Page and asset routes. `/app/` serves files as they are in the assets directory (the
/// content type follows the extension: `.wasm` is `application/wasm`), compressed and cached
/// as [`crate::assets`] says, with the app's page headers; `/app/index.html` is the app's page like `/flow/{id}` (`/app/` is no page), and
/// any other HTML file there runs no inline script.
pub(crate) fn router(config: &Config) -> Router<AppState> {
    let assets = PageHeaders::new(Page::App, config, "", &[])
        .into_layer()
        .layer(crate::assets::service(&config.assets_dir));
    Router::new()
        .route("/", get(get_home))
        .route("/demo", get(get_demo))
        .route(
            "/demo/webhooks",
            get(list_demo_webhooks)
                .post(receive_demo_webhook)
                .layer(DefaultBodyLimit::max(DEMO_WEBHOOK_BODY_LIMIT)),
        )
        .route("/healthz", get(get_health))
        .route("/flow/{id}", get(get_flow_page))
        .route("/flow/{id}/", get(get_flow_page))
        .route("/app/index.html", get(get_app_page))
        .nest_service("/app", assets)
}

/// `GET /`: what this server is, and where to go.
async fn get_home(State(state): State<AppState>) -> Response {
    let headers = PageHeaders::new(Page::Plain, &state.config, HOME_HTML, &[]);
    (headers.into_array(), Html(HOME_HTML)).into_response()
}

/// `GET /demo`: a host page that embeds a flow (`?link=` or `?flow=`) and lists its window
/// messages.
async fn get_demo(State(state): State<AppState>) -> Response {
    let html = DEMO_HTML.replace("{{FLOW_BASE}}", &escape_attr(state.config.base_url()));
    let headers = PageHeaders::new(Page::Demo, &state.config, &html, &[]);
    (headers.into_array(), Html(html)).into_response()
}

/// `POST /demo/webhooks`: the sandbox's own webhook receiver, the endpoint the default app's
/// demo webhook points at (issue 10). A delivery whose signature verifies with the secret of
/// an endpoint at this URL (the Standard Webhooks verifier), and whose event is of that
/// endpoint's app, is kept for `/demo` (only a `flow.updated` one, and only what `/demo`
/// shows of it, [`shown_on_demo`]); any other is refused with 400 and forgotten. An app that
/// points its own endpoint here can sign what it likes, so an event is kept as its signer's
/// only: it never shows as another app's, nor pushes another app's out ([`DemoInbox`]), and
/// what is kept of it is small (a body is read to [`DEMO_WEBHOOK_BODY_LIMIT`], what is kept
/// to [`DEMO_EVENT_SHOWN_LIMIT`]).
///
/// [`DemoInbox`]: crate::state::DemoInbox
async fn receive_demo_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let url = demo_webhook_url(&state.config);
    let secrets = {
        let mut conn = state.db.acquire().await?;
        secrets_for_url(&mut conn, &state.config.secrets_key, &url).await?
    };
    let signers: Vec<Uuid> = secrets
        .iter()
        .filter(|(_, secret)| verify(secret, &body, &headers).is_ok())
        .map(|(app_id, _)| *app_id)
        .collect();
    if signers.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "signature does not verify\n").into_response());
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return Ok((StatusCode::BAD_REQUEST, "not an event\n").into_response());
    };
    let signer = event["app_id"]
        .as_str()
        .and_then(|id| Uuid::try_parse(id).ok())
        .filter(|app_id| signers.contains(app_id));
    let Some(app_id) = signer else {
        return Ok((
            StatusCode::BAD_REQUEST,
            "not an event of the signing endpoint's app\n",
        )
            .into_response());
    };
    if event["type"] == "flow.updated" {
        let shown = shown_on_demo(&event);
        if shown.to_string().len() > DEMO_EVENT_SHOWN_LIMIT {
            return Ok((StatusCode::BAD_REQUEST, "not a flow the demo can show\n").into_response());
        }
        state.demo_inbox.push(app_id, shown);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The query of `GET /demo/webhooks`.
#[derive(Debug, Deserialize)]
struct DemoWebhooksQuery {
    flow: String,
}

/// `GET /demo/webhooks?flow=<id>`: the verified `flow.updated` events the demo receiver got
/// for that flow from its own app, newest first, as `{"data": […]}`. The flow id is the
/// capability, as its link is, so each event shows what the link's holder may know of the
/// flow: the event's `id`, `type`, `created` and `app_id`, and of its data the flow's `id`,
/// `steps` and `completed_steps`; never its user or the host's metadata (the flow API hides
/// them from a session that has not signed in too).
async fn list_demo_webhooks(
    State(state): State<AppState>,
    Query(query): Query<DemoWebhooksQuery>,
) -> Result<Response, Error> {
    let flow = query.flow.trim().to_owned();
    let app = match Uuid::try_parse(&flow) {
        Ok(id) => crate::store::flows::app_of(&state.db, id).await?,
        Err(_) => None,
    };
    let data: Vec<serde_json::Value> = match app {
        Some(app) => state
            .demo_inbox
            .select(app, |e| e["data"]["id"].as_str() == Some(flow.as_str())),
        None => Vec::new(),
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(serde_json::json!({ "data": data })),
    )
        .into_response())
}

/// What `/demo` shows of a `flow.updated` event (see [`list_demo_webhooks`]).
fn shown_on_demo(event: &serde_json::Value) -> serde_json::Value {
    let data = &event["data"];
    serde_json::json!({
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        "app_id": event["app_id"],
        "data": {
            "id": data["id"],
            "steps": data["steps"],
            "completed_steps": data["completed_steps"],
        },
    })
}

/// `GET /healthz`: the process is up.
async fn get_health() -> &'static str {
    "ok"
}

/// The query of a flow page: an embed's appearance override (JSON text, issue 12); the
/// app reads the rest (`host_origin`, `locale`) itself.
#[derive(Debug, Default, Deserialize)]
struct FlowPageQuery {
    appearance: Option<String>,
}

/// `GET /flow/{id}[?appearance=<json>]`: the app's page, frameable only by the origins allowed
/// to embed that flow's app (`frame-ancestors`; an unknown flow's by the server's extra origins
/// only), in that app's look ([`crate::theme`]): its appearance, with a valid override laid
/// over it, in the `<head>` before the app's first paint.
async fn get_flow_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<FlowPageQuery>, QueryRejection>,
    request: HeaderMap,
) -> Result<Response, Error> {
    // A query that does not decode (`appearance` given twice) applies no override, as an
    // override that breaks a rule does not: the page still comes, in the app's own look.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let mut app_origins = Vec::new();
    let mut appearance = Appearance::default();
    if let Ok(id) = id.parse() {
        if let Some(flow) = FlowRow::find(&state.db, id).await? {
            (app_origins, appearance) = page_settings(&state.db, &flow.app_id).await?;
        }
    }
    let theme = page_theme(&appearance, query.appearance.as_deref());
    Ok(app_page(&state.config, &app_origins, &theme, &request).await)
}

/// `GET /app/index.html`: the app's page outside any flow.
async fn get_app_page(State(state): State<AppState>, request: HeaderMap) -> Response {
    app_page(&state.config, &[], &PageTheme::default(), &request).await
}

/// The app's `index.html` for any flow (the app itself says when a flow does not exist),
/// never cached so a new build shows at once, with the app's page headers for a flow of an app
/// whose allowed origins are `app_origins`, in `theme`, compressed as the `request`'s
/// `Accept-Encoding` allows. 503 while the app is not built.
async fn app_page(
    config: &Config,
    app_origins: &[String],
    theme: &PageTheme,
    request: &HeaderMap,
) -> Response {
    let index = config.assets_dir.join("index.html");
    match tokio::fs::read_to_string(&index).await {
        Ok(html) => {
            let html = insert_head(&html, &theme.head);
            let images: Vec<Origin> = theme.logo_origin.iter().cloned().collect();
            let headers = PageHeaders::with_images(Page::App, config, &html, app_origins, &images);
            let accept = request
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok());
            let (coding, body) = encode_page(html.into_bytes(), accept);
            let mut response = (
                headers.into_array(),
                [
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (header::VARY, HeaderValue::from_static("accept-encoding")),
                ],
                Html(body),
            )
                .into_response();
            if let Some(coding) = coding {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            }
            response
        }
        Err(e) => {
            tracing::warn!(path = %index.display(), error = %e, "the app is not built");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                PageHeaders::new(Page::App, config, "", app_origins).into_array(),
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                "the flow app is not built: run `bash scripts/run.sh` (README), or \
                 `trunk build --release` and start the sandbox with --assets dist\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_one_flow_base_placeholder() {
        assert_eq!(DEMO_HTML.matches("{{FLOW_BASE}}").count(), 1);
    }
}
