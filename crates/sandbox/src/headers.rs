//! The security headers of every response (issue 8 "Headers"), decided here and nowhere else.
//!
//! - **Pages** (`/flow/{id}`, `/app/…`, `/demo`, `/`): [`PageHeaders`] builds the
//!   `Content-Security-Policy` from the HTML actually served (the sha256 of each inline
//!   `<script>` and `<style>`, so trunk's inline loader runs without `'unsafe-inline'`), plus
//!   `Referrer-Policy`, `Permissions-Policy` and `Cross-Origin-Opener-Policy`.
//! - **API** (`/api/…`, errors and the JSON 404 included): [`api_layer`] adds
//!   `Cache-Control: no-store`, so no cache keeps a session, a user or a balance.
//! - **Every response**: [`every_response_layer`] adds `X-Content-Type-Options: nosniff`, and
//!   `Strict-Transport-Security` when the public URL is https.

use crate::config::Config;
use crate::origin::embedder_sources;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use base64::Engine as _;
use payout_model::Origin;
use sha2::{Digest, Sha256};
use tower::layer::util::Stack;
use tower_http::set_header::SetResponseHeaderLayer;

/// `Permissions-Policy`, not among `http::header`'s names.
pub(crate) const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// `Cross-Origin-Opener-Policy`, not among `http::header`'s names.
pub(crate) const OPENER_POLICY: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

/// Every page's `Cross-Origin-Opener-Policy`: a page that opened one of ours in a window of
/// its own keeps no hold on it (it could not later send the person elsewhere, say a look-alike
/// of the flow asking for their SSN, nor watch it). The flow talks only to a parent frame or a
/// native bridge, never to an opener; a frame is not concerned.
const OPENER: &str = "same-origin";

/// A year: long enough for HSTS preload lists, and a sandbox on https stays on https.
const HSTS: &str = "max-age=31536000";

/// What a page is, which decides what its policy adds to the common base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// The flow app (`/flow/{id}`, `/app/…`): wasm, blob: previews, the camera, framed by the
    /// hosts allowed to embed the flow.
    App,
    /// The demo host page: loads `embed.js` from a flow's origin and frames the flow.
    Demo,
    /// Any other page (home): static HTML.
    Plain,
}

/// The response headers of one page.
pub(crate) struct PageHeaders {
    csp: HeaderValue,
    referrer: HeaderValue,
    permissions: HeaderValue,
}

/// A layer adding one fixed header.
type HeaderLayer = SetResponseHeaderLayer<HeaderValue>;

impl PageHeaders {
    /// The headers of a page of kind `page` whose HTML is `html`, framed by the hosts allowed
    /// to embed flows of an app whose own list is `app_origins` (only [`Page::App`] reads it).
    pub(crate) fn new(page: Page, config: &Config, html: &str, app_origins: &[String]) -> Self {
        Self::with_images(page, config, html, app_origins, &[])
    }

    /// [`PageHeaders::new`], with images also allowed from `img_sources`: an app's logo origin
    /// (issue 12), an exact https origin from its own validated settings, never from a link.
    pub(crate) fn with_images(
        page: Page,
        config: &Config,
        html: &str,
        app_origins: &[String],
        img_sources: &[Origin],
    ) -> Self {
        let csp = header_value(&content_security_policy(
            page,
            config,
            html,
            app_origins,
            img_sources,
        ));
        // A flow link is a capability: the app never tells a site it leaves for (the redirect
        // step, a link) where it came from. The demo host keeps the browser's default, which
        // sends only its origin across origins: with no referrer at all Chromium would hide
        // the host from the embedded flow's `location.ancestorOrigins`.
        let referrer = HeaderValue::from_static(match page {
            Page::Demo => "strict-origin-when-cross-origin",
            Page::App | Page::Plain => "no-referrer",
        });
        // The camera (ID verification) for the page itself; the demo also delegates it to the
        // flows it frames (an iframe's `allow="camera"` only reaches origins the parent lists).
        let permissions = match page {
            Page::Demo => header_value(&format!(
                r#"camera=(self "{}")"#,
                csp_origin(config.public_origin().as_ref())
            )),
            Page::App | Page::Plain => HeaderValue::from_static("camera=(self)"),
        };
        Self {
            csp,
            referrer,
            permissions,
        }
    }

    /// The headers, to answer with.
    pub(crate) fn into_array(self) -> [(HeaderName, HeaderValue); 4] {
        [
            (CONTENT_SECURITY_POLICY, self.csp),
            (REFERRER_POLICY, self.referrer),
            (PERMISSIONS_POLICY, self.permissions),
            (OPENER_POLICY, HeaderValue::from_static(OPENER)),
        ]
    }

    /// The headers as a layer over a service that serves files (`/app/…`).
    #[allow(clippy::type_complexity)]
    pub(crate) fn into_layer(
        self,
    ) -> Stack<HeaderLayer, Stack<HeaderLayer, Stack<HeaderLayer, HeaderLayer>>> {
        Stack::new(
            SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, self.csp),
            Stack::new(
                SetResponseHeaderLayer::overriding(REFERRER_POLICY, self.referrer),
                Stack::new(
                    SetResponseHeaderLayer::overriding(PERMISSIONS_POLICY, self.permissions),
                    SetResponseHeaderLayer::overriding(
                        OPENER_POLICY,
                        HeaderValue::from_static(OPENER),
                    ),
                ),
            ),
        )
    }
}

/// The `Content-Security-Policy` of a page (see [`PageHeaders`]): only what the page needs.
pub(crate) fn content_security_policy(
    page: Page,
    config: &Config,
    html: &str,
    app_origins: &[String],
    img_sources: &[Origin],
) -> String {
    let inline = InlineHashes::of(html);
    // Where the demo loads embed.js from: this server's public origin only. Where it frames
    // flows (and embed.js asks a flow's /healthz): that, and loopback while loopback may embed
    // (the demo page itself refuses anything else).
    let public = csp_origin(config.public_origin().as_ref()).to_owned();
    let mut flow_sources = vec![public.clone()];
    if config.loopback_may_embed() {
        flow_sources.extend(embedder_sources(&[], config));
    }

    let mut script_src = vec!["'self'".to_owned()];
    match page {
        // wasm-bindgen instantiates the app with WebAssembly.instantiateStreaming.
        Page::App => script_src.push("'wasm-unsafe-eval'".to_owned()),
        Page::Demo => script_src.push(public),
        Page::Plain => {}
    }
    script_src.extend(inline.scripts);
    let mut style_src = vec!["'self'".to_owned()];
    style_src.extend(inline.styles);
    let frame_ancestors = match page {
        Page::App => embedder_sources(app_origins, config),
        Page::Demo | Page::Plain => Vec::new(),
    };

    let mut directives = vec![
        "default-src 'self'".to_owned(),
        format!("script-src {}", script_src.join(" ")),
        format!("style-src {}", style_src.join(" ")),
    ];
    // blob: previews of chosen and captured ID photos, the data: favicon; an app's logo.
    let mut img_src = "img-src 'self' blob: data:".to_owned();
    for origin in img_sources {
        let source = csp_origin(Some(origin));
        if source != "'none'" {
            img_src.push(' ');
            img_src.push_str(source);
        }
    }
    directives.extend([
        img_src,
        // The camera preview.
        "media-src blob:".to_owned(),
    ]);
    if page == Page::Demo {
        // embed.js asks the flow server's /healthz why a flow did not start (onLoadError).
        directives.push(format!("connect-src 'self' {}", flow_sources.join(" ")));
        directives.push(format!("frame-src 'self' {}", flow_sources.join(" ")));
    } else {
        directives.push("connect-src 'self'".to_owned());
    }
    directives.extend([
        "object-src 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        // default-src does not cover form targets: injected markup must not post a form
        // elsewhere (the app's forms never navigate).
        "form-action 'self'".to_owned(),
        format!(
            "frame-ancestors {}",
            std::iter::once("'self'".to_owned())
                .chain(frame_ancestors)
                .collect::<Vec<_>>()
                .join(" ")
        ),
    ]);
    directives.join("; ")
}

/// `Cache-Control: no-store` on every response of the API, errors included: sessions, users
/// and balances are never kept by a browser or proxy cache.
pub(crate) fn api_layer() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// `X-Content-Type-Options: nosniff` on every response, and HSTS when `config`'s public URL is
/// https (a plain-http sandbox must not pin browsers to https).
pub(crate) fn every_response_layer(
    config: &Config,
) -> Stack<SetResponseHeaderLayer<HeaderValue>, SetResponseHeaderLayer<Option<HeaderValue>>> {
    let hsts = config.is_https().then(|| HeaderValue::from_static(HSTS));
    Stack::new(
        SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::overriding(STRICT_TRANSPORT_SECURITY, hsts),
    )
}

/// `origin` if it can stand as a CSP source, else `'none'` (a public URL that is no origin, or
/// has odd characters, must not break the policy open).
fn csp_origin(origin: Option<&Origin>) -> &str {
    match origin.map(Origin::as_str) {
        Some(origin)
            if origin
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:/".contains(c)) =>
        {
            origin
        }
        _ => "'none'",
    }
}

/// `value` as a header; a policy that cannot be one fails closed.
fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"))
}

/// The CSP hash sources (`'sha256-…'`) of a document's inline scripts and styles.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct InlineHashes {
    /// One per inline `<script>` (those without `src`), in document order.
    pub(crate) scripts: Vec<String>,
    /// One per `<style>` element, in document order.
    pub(crate) styles: Vec<String>,
}

impl InlineHashes {
    /// The hashes of the inline elements of `html`. The text hashed is what the browser
    /// hashes: everything between the start tag and the end tag, line breaks normalised to
    /// `\n` as the HTML parser does; comments are skipped.
    pub(crate) fn of(html: &str) -> Self {
        let lower = html.to_ascii_lowercase();
        let mut hashes = Self::default();
        let mut at = 0;
        while let Some(offset) = lower[at..].find('<') {
            let start = at + offset;
            let rest = &lower[start..];
            if rest.starts_with("<!--") {
                at = rest.find("-->").map_or(lower.len(), |end| start + end + 3);
                continue;
            }
            let Some(name) = ["script", "style"]
                .into_iter()
                .find(|name| starts_tag(&rest[1..], name))
            else {
                at = start + 1;
                continue;
            };
            let Some(tag_end) = tag_end(&lower, start) else {
                break;
            };
            let attributes = &lower[start + 1 + name.len()..tag_end];
            let close = format!("</{name}");
            let body_end = lower[tag_end + 1..]
                .find(&close)
                .map_or(lower.len(), |i| tag_end + 1 + i);
            let body = &html[tag_end + 1..body_end];
            if name == "style" {
                hashes.styles.push(hash_source(body));
            } else if !has_attribute(attributes, "src") {
                hashes.scripts.push(hash_source(body));
            }
            at = body_end;
        }
        hashes
    }
}

/// Whether `rest` (just after a `<`) opens a `name` element.
fn starts_tag(rest: &str, name: &str) -> bool {
    rest.strip_prefix(name).is_some_and(|after| {
        after
            .chars()
            .next()
            .is_none_or(|c| c == '>' || c == '/' || c.is_ascii_whitespace())
    })
}

/// The index of the `>` ending the start tag at `start`, skipping quoted attribute values.
fn tag_end(html: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in html[start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(start + i),
            (None, _) => {}
        }
    }
    None
}

/// Whether the attribute text of a start tag (lowercase) has attribute `name`: names are
/// read as the HTML tokenizer reads them, skipping quoted and unquoted values.
fn has_attribute(attributes: &str, name: &str) -> bool {
    let bytes = attributes.as_bytes();
    let space = |b: u8| b.is_ascii_whitespace() || b == b'/';
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && space(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !space(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        if i > start && &attributes[start..i] == name {
            return true;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1;
                    while j < bytes.len() && bytes[j] != q {
                        j += 1;
                    }
                    j += 1;
                }
                _ => {
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() {
                        j += 1;
                    }
                }
            }
            i = j;
        }
        i = i.max(start + 1);
    }
    false
}

/// `'sha256-<base64>'` of `text` as the HTML parser hands it to CSP (`\r\n` and `\r` read as
/// `\n`).
fn hash_source(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let digest = Sha256::digest(normalised.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_and_styles_but_not_external_scripts() {
        let html = "<!doctype html><head><!-- <script>not this</script> -->\
            <script src=\"/app/a.js\"></script>\
            <SCRIPT type=\"module\">import x from '/y.js';\r\nx();</SCRIPT>\
            <style media=\"all\">body{}</style><noscript><p>js</p></noscript>\
            <script data-x='a>b'>1</script></head>";
        let hashes = InlineHashes::of(html);
        assert_eq!(
            hashes.scripts,
            [
                hash_source("import x from '/y.js';\nx();"),
                hash_source("1")
            ]
        );
        assert_eq!(hashes.styles, [hash_source("body{}")]);
    }

    #[test]
    fn hash_source_is_the_base64_sha256_csp_expects() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hash_source("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }

    #[test]
    fn src_attribute_is_found_only_as_a_name() {
        assert!(has_attribute(" src=\"/a.js\"", "src"));
        assert!(has_attribute(" type=module src=/a.js", "src"));
        assert!(has_attribute(" defer src", "src"));
        assert!(!has_attribute(" data-src=\"x\"", "src"));
        assert!(!has_attribute(" title=\"src\"", "src"));
        assert!(!has_attribute(" title=src", "src"));
    }
}
