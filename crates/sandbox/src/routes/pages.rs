//! What a browser loads: the built app (`/app/…` from the assets directory, `/flow/{id}` its
//! `index.html`), the home page, the demo host page (`assets/demo.html`) and `/healthz`.

use crate::apps::allowed_origins;
use crate::config::Config;
use crate::error::Error;
use crate::origin::frame_ancestors;
use crate::routes::flows::FlowRow;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

/// The demo host page; `{{FLOW_BASE}}` becomes the server's public URL.
const DEMO_HTML: &str = include_str!("../../assets/demo.html");
/// The home page.
const HOME_HTML: &str = include_str!("../../assets/home.html");

/// Page and asset routes. `/app/` serves files as they are in the assets directory (the
/// content type follows the extension: `.wasm` is `application/wasm`).
pub(crate) fn router(config: &Config) -> Router<AppState> {
    Router::new()
        .route("/", get(get_home))
        .route("/demo", get(get_demo))
        .route("/healthz", get(get_health))
        .route("/flow/{id}", get(get_flow_page))
        .route("/flow/{id}/", get(get_flow_page))
        .nest_service("/app", ServeDir::new(&config.assets_dir))
}

/// `GET /`: what this server is, and where to go.
async fn get_home() -> Html<&'static str> {
    Html(HOME_HTML)
}

/// `GET /demo`: a host page that embeds a flow (`?link=` or `?flow=`) and lists its window
/// messages.
async fn get_demo(State(state): State<AppState>) -> Html<String> {
    Html(DEMO_HTML.replace("{{FLOW_BASE}}", &escape_attr(state.config.base_url())))
}

/// `GET /healthz`: the process is up.
async fn get_health() -> &'static str {
    "ok"
}

/// `GET /flow/{id}`: the app's `index.html` for any id (the app itself says when a flow does
/// not exist), never cached so a new build shows at once, and frameable only by the origins
/// allowed to embed that flow's app (`frame-ancestors`). 503 while the app is not built.
async fn get_flow_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let mut origins = state.config.extra_allowed_origins.clone();
    if let Ok(id) = id.parse() {
        if let Some(flow) = FlowRow::find(&state.db, id).await? {
            origins.extend(allowed_origins(&state.db, &flow.app_id).await?);
        }
    }
    let csp = HeaderValue::from_str(&frame_ancestors(&origins))
        .map_err(|e| Error::Internal(format!("frame-ancestors header: {e}")))?;
    let index = state.config.assets_dir.join("index.html");
    Ok(match tokio::fs::read(&index).await {
        Ok(html) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (header::CONTENT_SECURITY_POLICY, csp),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(path = %index.display(), error = %e, "the app is not built");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                "the flow app is not built: run `bash scripts/run.sh` (README), or \
                 `trunk build --release` and start the sandbox with --assets dist\n",
            )
                .into_response()
        }
    })
}

/// `s` safe inside a double-quoted HTML attribute.
fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_attribute_values() {
        assert_eq!(
            escape_attr(r#"http://x/"><script>'&"#),
            "http://x/&quot;&gt;&lt;script&gt;&#39;&amp;"
        );
    }

    #[test]
    fn demo_has_one_flow_base_placeholder() {
        assert_eq!(DEMO_HTML.matches("{{FLOW_BASE}}").count(), 1);
    }
}
