//! End-to-end: the host kit (issue 12) as a host meets it in Chromium: the app's files arrive
//! compressed and preloaded; a flow standalone in a mobile app's WebView (React Native, iOS,
//! Android) posts its messages to the app's native bridge; `embed.js`'s `setLocale()` switches
//! the flow's language and its `onLoadError` names an unknown flow; an app's dark theme,
//! standalone, and an embed's `appearance` override, in a host's frame, are the flow's look
//! from its first paint; while the app downloads the flow page paints the loading screen, in
//! the link's language, and asks for the session, whose answer the app takes, standalone and
//! embedded; when the flow starts with sign-in the page shows its phone form, usable before
//! the app has arrived, and the app takes over with what was typed, focus and a press of
//! "Send code".

use anyhow::{Context, Result};
use payout_e2e::{BinaryOptions, Browser, HostPage, Sandbox, TempDir};
use payout_model::endpoint as ep;
use serde_json::{json, Value};

/// A user with a PayPal method and a pre-authenticated flow for them with `steps`.
async fn flow_with_method(sandbox: &Sandbox, steps: Value) -> Result<Value> {
    let user_id = sandbox.create_user_with_paypal().await?;
    sandbox
        .create_flow(json!({"steps": steps, "user_id": user_id}))
        .await
}

/// Opens `flow`'s link in the browser's own tab (no host page around it).
async fn open_standalone(browser: &Browser, flow: &Value) -> Result<()> {
    let link = flow["link"].as_str().unwrap_or_default();
    Ok(browser.client.goto(link).await?)
}

/// What each mobile app's WebView gives the page, installed before the page's own scripts (as
/// the app's injected script would be), by the name the flow knows it by: React Native's
/// `window.ReactNativeWebView`, an iOS WKWebView's `window.webkit.messageHandlers.payoutFlows`
/// and an Android JavaScript interface `window.PayoutFlowsAndroid`. Each `postMessage` takes
/// strings only and, like WebKit's handler and Android's interface, refuses to run on another
/// object than its own. Here each keeps what it got in `sessionStorage`, which outlives the
/// flow's navigation to its redirect URL on the same origin.
const WEBVIEWS: [(&str, &str); 3] = [
    ("React Native", "window.ReactNativeWebView = bridge;"),
    (
        "WKWebView",
        "window.webkit = {messageHandlers: {payoutFlows: bridge}};",
    ),
    ("Android", "window.PayoutFlowsAndroid = bridge;"),
];

/// The object every [`WEBVIEWS`] entry puts on the window as `bridge`.
const WEBVIEW_BRIDGE: &str = r#"var bridge = {
  postMessage: function (m) {
    if (this !== bridge) throw new TypeError("called on another object");
    if (typeof m !== "string") throw new TypeError("the app takes strings");
    var got = JSON.parse(sessionStorage.getItem("native-got") || "[]");
    got.push(m);
    sessionStorage.setItem("native-got", JSON.stringify(got));
  }
};"#;

/// The script installing a WebView's bridge: [`WEBVIEW_BRIDGE`], put where `install` says.
fn webview(install: &str) -> String {
    format!("(function () {{ {WEBVIEW_BRIDGE} {install} }})();")
}

/// Issue 12, "Mobile and WebView": standalone in each kind of WebView, the flow posts every
/// message of a whole flow to the app's bridge, as JSON strings, in the documented order.
#[tokio::test(flavor = "multi_thread")]
async fn standalone_flow_in_a_webview_posts_every_message_to_the_app() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let landing = format!("{}/healthz", sandbox.base);
    for (kind, install) in WEBVIEWS {
        let flow = flow_with_method(
            &sandbox,
            json!(["manage-payouts", {"name": "redirect", "redirect_url": landing}]),
        )
        .await?;
        let browser = Browser::start().await?;
        browser.run_on_each_page(&webview(install)).await?;
        open_standalone(&browser, &flow).await?;
        browser
            .click("[data-testid=manage-payouts-continue]")
            .await?;
        browser.wait_for_url(&landing).await?;
        let got = browser
            .eval(r#"return JSON.parse(sessionStorage.getItem("native-got") || "[]");"#)
            .await?;
        browser.close().await?;
        posted_a_whole_flow(&sandbox, &flow, &landing, &got)
            .await
            .with_context(|| format!("in a {kind} WebView"))?;
    }
    Ok(())
}

/// `got`, the strings a WebView's bridge was handed during `flow` (a manage-payouts step then
/// a redirect to `landing`), are every message of the flow, for it, in the documented order.
async fn posted_a_whole_flow(
    sandbox: &Sandbox,
    flow: &Value,
    landing: &str,
    got: &Value,
) -> Result<()> {
    let flow_id = flow["id"].as_str().unwrap_or_default().to_owned();
    let messages: Vec<Value> = got
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|m| serde_json::from_str(m.as_str()?).ok())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        messages.len(),
        got.as_array().map_or(0, Vec::len),
        "not all JSON strings: {got}"
    );
    for m in &messages {
        assert_eq!(m["source"], "payout-flows", "{m}");
        assert_eq!(m["flow_id"], json!(flow_id), "{m}");
    }
    let seen: Vec<(String, Value)> = messages
        .iter()
        .filter(|m| m["type"] != "resize")
        .map(|m| {
            (
                m["type"].as_str().unwrap_or("").to_owned(),
                m["step"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = [
        ("ready", Value::Null),
        ("step_completed", json!("manage-payouts")),
        ("step_completed", json!("redirect")),
        ("completed", Value::Null),
        ("redirect", Value::Null),
    ]
    .into_iter()
    .map(|(t, s)| (t.to_owned(), s))
    .collect();
    assert_eq!(seen, expected, "{messages:?}");
    assert!(
        messages.iter().any(|m| m["type"] == "resize"),
        "{messages:?}"
    );
    let redirect = messages.iter().find(|m| m["type"] == "redirect");
    assert_eq!(redirect.map(|m| m["url"].clone()), Some(json!(landing)));
    assert_eq!(
        sandbox.completed_steps(flow).await?,
        json!(["manage-payouts", "redirect"])
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_flow_page_preloads_the_app_and_gets_it_compressed() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    // What the binary does at start.
    payout_sandbox::precompress_assets(&payout_e2e::dist_dir()?).await?;
    let flow = flow_with_method(&sandbox, json!(["manage-payouts"])).await?;
    let browser = Browser::start().await?;
    open_standalone(&browser, &flow).await?;
    browser
        .wait_for("[data-testid=manage-payouts-continue]")
        .await?;
    let loaded = browser
        .eval(
            r#"var wasm = document.querySelector('link[rel=preload][as=fetch][type="application/wasm"]');
               var js = document.querySelector('link[rel=modulepreload]');
               var entry = function (href) {
                 var e = performance.getEntriesByName(href)[0];
                 return e && {encoded: e.encodedBodySize, decoded: e.decodedBodySize};
               };
               var page = performance.getEntriesByType('navigation')[0];
               return {
                 wasm: wasm && wasm.href, wasm_cors: wasm && wasm.crossOrigin,
                 js: js && js.href,
                 wasm_entry: wasm && entry(wasm.href), js_entry: js && entry(js.href),
                 page_entry: page && {encoded: page.encodedBodySize, decoded: page.decodedBodySize}
               };"#,
        )
        .await?;
    let wasm = loaded["wasm"].as_str().unwrap_or_default();
    assert!(wasm.ends_with("_bg.wasm"), "no wasm preload: {loaded}");
    assert_eq!(loaded["wasm_cors"], "anonymous", "{loaded}");
    assert!(
        loaded["js"].as_str().unwrap_or_default().ends_with(".js"),
        "no JS modulepreload: {loaded}"
    );
    // All three arrived compressed, the page too: fewer bytes on the wire than in the file.
    for entry in ["wasm_entry", "js_entry", "page_entry"] {
        let (encoded, decoded) = (
            loaded[entry]["encoded"].as_u64().unwrap_or(0),
            loaded[entry]["decoded"].as_u64().unwrap_or(0),
        );
        assert!(
            encoded > 0 && encoded * 2 < decoded,
            "{entry} not compressed: {loaded}"
        );
    }
    browser.close().await
}

/// The binary compresses a new build's files at start (issue 12, load speed), and says when it
/// is done: then the app's wasm, script and stylesheet come as brotli or gzip as the browser
/// accepts, each with fewer bytes than the file, and as is to a client that accepts neither.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_compresses_a_new_build_at_start() -> Result<()> {
    // A build no one has served: the built files only, no compressed copies.
    let build = TempDir::new("payout-e2e-build")?;
    let mut served = Vec::new();
    for entry in std::fs::read_dir(payout_e2e::dist_dir()?)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && !name.ends_with(".br") && !name.ends_with(".gz") {
            std::fs::copy(&path, build.path().join(name))?;
            if [".wasm", ".js", ".css"].iter().any(|e| name.ends_with(e)) {
                served.push((name.to_owned(), std::fs::metadata(&path)?.len()));
            }
        }
    }
    assert!(served.len() >= 3, "{served:?}");
    let data = TempDir::new("payout-e2e-compress")?;
    let sandbox = Sandbox::start_binary(&BinaryOptions {
        database: format!("sqlite://{}/sandbox.sqlite", data.path().display()),
        env: Vec::new(),
        log: data.path().join("sandbox.log"),
        assets: Some(build.path().to_owned()),
    })
    .await?;
    let done = sandbox.printed("compressed: ").await?;
    assert!(!done.starts_with("compressed: 0 "), "{done}");
    for (name, size) in &served {
        let path = format!("/app/{name}");
        for (accepts, encoding) in [
            ("br, gzip", Some("br")),
            ("gzip", Some("gzip")),
            ("identity", None),
        ] {
            let (status, headers, body) = sandbox
                .get_raw(&path, &[("accept-encoding", accepts)])
                .await?;
            assert_eq!(status, 200, "{path}");
            let sent = headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok());
            assert_eq!(sent, encoding, "{path} accepting {accepts}");
            let bytes = body.len() as u64;
            if encoding.is_some() {
                assert!(
                    bytes < *size,
                    "{path} as {accepts}: {bytes} of {size} bytes"
                );
            } else {
                assert_eq!(bytes, *size, "{path}");
            }
        }
    }
    Ok(())
}

/// A sandbox, a host page, the link of a manage-payouts flow ready to go on, and a browser.
async fn manage_payouts_to_embed() -> Result<(Sandbox, HostPage, String, Browser)> {
    let sandbox = Sandbox::start().await?;
    let host = HostPage::start().await?;
    let flow = flow_with_method(&sandbox, json!(["manage-payouts"])).await?;
    let link = flow["link"].as_str().unwrap_or_default().to_owned();
    Ok((sandbox, host, link, Browser::start().await?))
}

/// Opens the host `page` embedding a manage-payouts flow, waits for `ready`, and goes into the
/// flow's frame once the step shows.
async fn into_embedded_manage_payouts(browser: &Browser, page: &str) -> Result<()> {
    browser.client.goto(page).await?;
    browser.host_messages_until("ready").await?;
    browser.enter_embedded_flow().await?;
    browser
        .wait_for("[data-testid=manage-payouts-continue]")
        .await?;
    Ok(())
}

/// On the host page: waits until the embedded flow speaks `lang` (`<html lang>`) and shows
/// `text`, then comes back to the host page.
async fn shows_in(browser: &Browser, lang: &str, text: &str) -> Result<()> {
    browser.enter_embedded_flow().await?;
    browser.wait_for(&format!("html[lang={lang}]")).await?;
    browser.wait_for_text(".pf-body", text).await?;
    browser.enter_top().await
}

#[tokio::test(flavor = "multi_thread")]
async fn set_locale_switches_the_embedded_flows_language() -> Result<()> {
    let (_sandbox, host, link, browser) = manage_payouts_to_embed().await?;
    browser.client.goto(&host.embedding(&link, true)).await?;
    // Called as soon as the SDK returns, before the flow is ready: it waits for `ready`.
    browser.wait_for("#flow iframe").await?;
    browser
        .eval("window.embedded.setLocale('es'); return true;")
        .await?;
    browser.host_messages_until("ready").await?;
    shows_in(&browser, "es", "Elige a dónde va tu dinero").await?;
    // Review: the frame's name (a screen reader's for it) stayed English.
    let frame_title = "return document.querySelector('#flow iframe').title;";
    assert_eq!(browser.eval(frame_title).await?, "Flujo de pago");
    // And back, now that it is ready.
    browser
        .eval("window.embedded.setLocale('en'); return true;")
        .await?;
    shows_in(&browser, "en", "Choose where your money goes").await?;
    assert_eq!(browser.eval(frame_title).await?, "Payout flow");
    browser.close().await
}

/// Review: with `onRedirect` returning false, a redirect right after the user's click (the
/// Continue of the step before) moved the host page all the same: the click's activation let
/// the flow navigate the top window itself. `embed.js` now tells the flow the page decides.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_stays_is_not_moved_after_a_click() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let host = HostPage::start().await?;
    let landing = format!("{}/landed", host.origin);
    let flow = flow_with_method(
        &sandbox,
        json!(["manage-payouts", {"name": "redirect", "redirect_url": landing}]),
    )
    .await?;
    let browser = Browser::start().await?;
    let link = flow["link"].as_str().unwrap_or_default();
    into_embedded_manage_payouts(&browser, &host.embedding(link, true)).await?;
    browser
        .click("[data-testid=manage-payouts-continue]")
        .await?;
    browser.wait_for("[data-testid=step-redirect]").await?;
    browser.enter_top().await?;
    browser.host_messages_until("redirect").await?;
    // The flow would have moved the page in the same task as it posted `redirect`; the
    // browser runs this page's `beforeunload` before any such navigation goes anywhere, and
    // before this later script.
    assert_eq!(browser.eval("return window.leaving;").await?, json!(false));
    assert_eq!(browser.text_of("h1").await?, "Host page");
    assert_eq!(
        sandbox.completed_steps(&flow).await?,
        json!(["manage-payouts", "redirect"])
    );
    browser.close().await
}

/// The host page embedding, through the sandbox's `embed.js`, a page of its own origin
/// (`/landed`): a frame whose window the test can watch, to see what the SDK posts to it.
async fn sdk_around_a_page_of_its_own(browser: &Browser) -> Result<(Sandbox, HostPage)> {
    let sandbox = Sandbox::start().await?;
    let host = HostPage::start().await?;
    let page = format!(
        "{}&sdk={}",
        host.embedding(&format!("{}/landed", host.origin), true),
        payout_e2e::query_escape(&format!("{}/app/embed.js", sandbox.base))
    );
    browser.client.goto(&page).await?;
    browser
        .eval_async(
            "var done = arguments[arguments.length - 1];
             (function loaded() {
               var f = document.querySelector('#flow iframe');
               if (!f) { return setTimeout(loaded, 10); }
               var d = f.contentDocument;
               if (d && d.readyState === 'complete' && d.location.pathname === '/landed') {
                 return done(true);
               }
               f.addEventListener('load', function () { done(true); }, {once: true});
             })();",
        )
        .await?;
    Ok((sandbox, host))
}

/// Review: `setLocale` before `ready` was kept and sent again at every later `ready` (a flow
/// started again after its session ended), over the locale the host had asked for since.
#[tokio::test(flavor = "multi_thread")]
async fn set_locale_sends_the_latest_locale_at_every_ready() -> Result<()> {
    let browser = Browser::start().await?;
    let _servers = sdk_around_a_page_of_its_own(&browser).await?;
    let sent = browser
        .eval_async(
            "var done = arguments[arguments.length - 1];
             var f = document.querySelector('#flow iframe'), got = [];
             f.contentWindow.addEventListener('message', function (e) {
               got.push(e.data.locale);
               if (got.length === 3) done(got);
             });
             function ready() {
               window.dispatchEvent(new MessageEvent('message', {
                 data: {source: 'payout-flows', version: 1, type: 'ready'},
                 origin: location.origin, source: f.contentWindow}));
             }
             window.embedded.setLocale('es');
             ready();
             window.embedded.setLocale('en');
             ready();",
        )
        .await?;
    assert_eq!(sent, json!(["es", "en", "en"]));
    browser.close().await
}

/// Review: `destroy()` while the load check's probe was under way still called `onLoadError`
/// when the probe settled, over whatever the host showed since.
#[tokio::test(flavor = "multi_thread")]
async fn a_destroyed_embed_calls_nothing_when_its_probe_settles() -> Result<()> {
    let browser = Browser::start().await?;
    let _servers = sdk_around_a_page_of_its_own(&browser).await?;
    let errors = browser
        .eval_async(
            "var done = arguments[arguments.length - 1];
             var errors = [], flow;
             // The probe: answered only once the embed is destroyed.
             window.fetch = function () {
               var settle, probe = new Promise(function (r) { settle = r; });
               Promise.resolve().then(function () {
                 flow.destroy();
                 settle({});
                 setTimeout(function () { done(errors.length); }, 0);
               });
               return probe;
             };
             flow = PayoutFlows.embed({
               link: location.origin + '/landed', container: document.body, loadTimeout: 0,
               onLoadError: function (e) { errors.push(e); }
             });",
        )
        .await?;
    assert_eq!(errors, json!(0));
    browser.close().await
}

/// A script (for [`Browser::eval`]) that embeds, with the SDK on the page, a flow link of the
/// page's own origin for flow `OURS`, and defines `send(type, flowId)`: a message of the
/// flow's shape from that frame, dispatched as the browser would (synchronously).
const EMBED_AND_SEND: &str = "var OURS = '0b6c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4';
     var THEIRS = '9d8c7b6a-5f4e-4d3c-8b2a-190817263544';
     var calls = [];
     function embedOurs(callbacks) {
       callbacks.link = location.origin + '/flow/' + OURS;
       callbacks.container = document.body;
       var flow = PayoutFlows.embed(callbacks);
       var win = flow.iframe.contentWindow;
       window.send = function (type, flowId) {
         window.dispatchEvent(new MessageEvent('message', {
           data: {source: 'payout-flows', version: 1, type: type, flow_id: flowId,
                  url: 'https://example.com/after'},
           origin: location.origin, source: win}));
       };
       return flow;
     }";

/// Review: the SDK took any message of the flow's origin from its frame, whatever its flow:
/// every app's flows share that origin, so a page framing the host's page could send another
/// app's flow into the frame, whose `completed` the host took for its own and whose `redirect`
/// it followed. Only the link's flow is heard now (its id in any case).
#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_hears_only_the_links_flow() -> Result<()> {
    let browser = Browser::start().await?;
    let _servers = sdk_around_a_page_of_its_own(&browser).await?;
    let heard = browser
        .eval(&format!(
            "{EMBED_AND_SEND}
             embedOurs({{
               onMessage: function (m) {{ calls.push(m.type + (m.flow_id === THEIRS ? ' theirs' : ' ours')); }},
               onRedirect: function () {{ return false; }}
             }});
             send('completed', THEIRS);
             send('redirect', THEIRS);
             send('completed', OURS.toUpperCase());
             send('redirect', OURS);
             return calls;"
        ))
        .await?;
    assert_eq!(heard, json!(["completed ours", "redirect ours"]));
    browser.close().await
}

/// Review: a host that destroyed the embed in `onCompleted` never went where the flow ends:
/// the flow posts `step_completed`, `completed` and `redirect` at once, and `destroy()` stopped
/// listening before the `redirect` arrived (the flow leaves that navigation to the SDK).
#[tokio::test(flavor = "multi_thread")]
async fn destroying_the_embed_in_on_completed_still_follows_its_redirect() -> Result<()> {
    let browser = Browser::start().await?;
    let _servers = sdk_around_a_page_of_its_own(&browser).await?;
    let calls = browser
        .eval(&format!(
            "{EMBED_AND_SEND}
             var flow = embedOurs({{
               onMessage: function (m) {{ calls.push(m.type); }},
               onCompleted: function () {{ calls.push('onCompleted'); flow.destroy(); }},
               onRedirect: function (m) {{ calls.push('onRedirect ' + m.url); return false; }},
               onExit: function () {{ calls.push('onExit'); }}
             }});
             send('step_completed', OURS);
             send('completed', OURS);
             send('redirect', OURS);
             send('exit', OURS);
             // Destroyed outside any callback, the frame goes at once (review: kept a second,
             // hidden, a frame destroyed as it loaded still started its flow's session).
             var other = PayoutFlows.embed({{
               link: location.origin + '/flow/' + THEIRS, container: document.body
             }});
             other.destroy();
             calls.push(other.iframe.parentNode === null ? 'removed' : 'kept');
             // Destroyed after `completed`, outside its callback (a React effect's cleanup): its
             // frame goes at once, and its redirect is still followed, even arriving with no
             // source (a removed cross-site frame's); another flow's is not.
             var later = embedOurs({{
               onRedirect: function (m) {{ calls.push('later ' + m.flow_id.slice(0, 4)); return false; }}
             }});
             send('ready', OURS);
             send('completed', OURS);
             later.destroy();
             calls.push(later.iframe.parentNode === null ? 'removed' : 'kept');
             [THEIRS, OURS].forEach(function (id) {{
               window.dispatchEvent(new MessageEvent('message', {{
                 data: {{source: 'payout-flows', version: 1, type: 'redirect', flow_id: id,
                        url: 'https://example.com/after'}},
                 origin: location.origin, source: null}}));
             }});
             return calls;"
        ))
        .await?;
    assert_eq!(
        calls,
        json!([
            "step_completed",
            "completed",
            "onCompleted",
            "redirect",
            "onRedirect https://example.com/after",
            "removed",
            "removed",
            // The first embed, destroyed under a second ago, is of the same flow: it hears the
            // source-less redirect too.
            "redirect",
            "onRedirect https://example.com/after",
            "later 0b6c"
        ])
    );
    browser.close().await
}

/// Opens the host `page` and waits for the SDK's `onLoadError`; answers the one error it got.
async fn the_load_error(browser: &Browser, page: &str) -> Result<Value> {
    browser.client.goto(page).await?;
    let errors = browser.host_load_errors().await?;
    assert_eq!(errors.len(), 1, "{errors:?}");
    Ok(errors[0].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn on_load_error_names_an_unknown_flow() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let host = HostPage::start().await?;
    let browser = Browser::start().await?;
    let link = format!("{}/flow/{}", sandbox.base, uuid::Uuid::new_v4());
    let error = the_load_error(&browser, &host.embedding(&link, true)).await?;
    assert_eq!(error["type"], "flow_not_found", "{error}");
    assert!(error["message"].is_string(), "{error}");
    // The flow said so itself, to this page's origin only, with nothing but the type.
    let raw = browser.eval("return window.raw;").await?;
    let load_error = raw
        .as_array()
        .and_then(|all| all.iter().find(|m| m["data"]["type"] == "load_error"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(load_error["origin"], json!(sandbox.base), "{raw}");
    assert_eq!(load_error["data"]["error"], "flow_not_found", "{raw}");
    // No callback for messages that never came.
    assert_eq!(
        browser.eval("return window.messages.length;").await?,
        json!(0)
    );
    // Review of the SDK's flow check: a link whose path is no flow id at all (36 dashes, which
    // a looser pattern took for one) gets a load error with no flow id; it is heard.
    let nothing = format!("{}/flow/{}", sandbox.base, "-".repeat(36));
    let error = the_load_error(&browser, &host.embedding(&nothing, true)).await?;
    assert_eq!(error["type"], "flow_not_found", "{error}");
    browser.close().await
}

/// The frame loads but the app cannot arrive (its wasm blocked, as a flaky line or a server
/// answering 503 would leave it): the page's own failure screen tells the host `network_error`
/// at once. (The SDK's timeout, set far off here, asked `/healthz`, found the server answering
/// and told the host to allow its own origin: `origin_not_allowed`; review.) The frame is
/// sized to show that screen and its Retry.
#[tokio::test(flavor = "multi_thread")]
async fn on_load_error_hears_the_page_when_the_app_cannot_arrive() -> Result<()> {
    let (_sandbox, host, link, browser) = manage_payouts_to_embed().await?;
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setBlockedURLs", json!({ "urls": ["*_bg.wasm"] }))
        .await?;
    let page = format!("{}&load_timeout=600000", host.embedding(&link, true));
    let error = the_load_error(&browser, &page).await?;
    assert_eq!(error["type"], "network_error", "{error}");
    let height = browser
        .eval("return document.querySelector('iframe').getBoundingClientRect().height;")
        .await?;
    // An iframe left unsized is 150 px: the failure card and its Retry do not fit.
    assert!(height.as_f64().is_some_and(|h| h > 200.0), "{height}");
    browser.close().await
}

/// `onLoadError` for what really happens, not a blocked file: a page on an origin the app does
/// not allow (the browser refuses the frame, by the flow page's `frame-ancestors`) hears
/// `origin_not_allowed`; a link to a server that is down hears `network_error`, as does a page
/// whose flow loads but cannot reach the API (the flow says so itself, long before the SDK's
/// timeout would).
#[tokio::test(flavor = "multi_thread")]
async fn on_load_error_names_a_refused_origin_and_a_server_out_of_reach() -> Result<()> {
    let (sandbox, host, link, browser) = manage_payouts_to_embed().await?;
    // In a browser of its own: the refusal is a CSP violation, the only one there.
    let refusing = Browser::start().await?;
    let elsewhere = HostPage::start_on("127.0.0.2").await?;
    let page = format!("{}&load_timeout=300", elsewhere.embedding(&link, true));
    let error = the_load_error(&refusing, &page).await?;
    assert_eq!(error["type"], "origin_not_allowed", "{error}");
    let raw = refusing.eval("return window.raw;").await?;
    assert_eq!(raw, json!([]), "the refused frame said something");
    let violations = refusing.csp_violations().await?;
    assert!(
        !violations.is_empty()
            && violations
                .iter()
                .all(|v| v.to_string().contains("frame-ancestors")),
        "{violations:?}"
    );
    refusing.client.clone().close().await?;

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let gone = format!("http://127.0.0.1:{dead}/flow/{}", uuid::Uuid::new_v4());
    let page = format!(
        "{}&load_timeout=300&sdk={}",
        host.embedding(&gone, true),
        payout_e2e::query_escape(&format!("{}/app/embed.js", sandbox.base))
    );
    let error = the_load_error(&browser, &page).await?;
    assert_eq!(error["type"], "network_error", "{error}");

    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setBlockedURLs", json!({"urls": ["*/api/flow/*"]}))
        .await?;
    let page = format!("{}&load_timeout=60000", host.embedding(&link, true));
    let error = the_load_error(&browser, &page).await?;
    assert_eq!(error["type"], "network_error", "{error}");
    let raw = browser.eval("return window.raw;").await?;
    assert!(
        raw.as_array().is_some_and(|all| all
            .iter()
            .any(|m| m["data"]["type"] == "load_error" && m["origin"] == json!(sandbox.base))),
        "not from the flow: {raw}"
    );
    browser.close().await
}

/// Records the computed colours of the page background on the first frame that shows a screen
/// card (the page's loading screen or the app's), and of the first primary button: what the
/// user sees on the first frame that shows them. The background is read in an animation frame
/// (the browser runs none while the page's stylesheets still block rendering, so not before the
/// look is applied); the button in the task that inserts it (a mutation observer runs before
/// the browser paints).
const FIRST_PAINT_PROBE: &str = r#"window.firstPaint = {};
new MutationObserver(function () {
  var seen = window.firstPaint;
  if (!seen.asked && document.querySelector(".pf-card")) {
    seen.asked = true;
    requestAnimationFrame(function () {
      seen.background = getComputedStyle(document.body).backgroundColor;
    });
  }
  var button = document.querySelector(".pf-button--primary");
  if (!seen.button && button) seen.button = getComputedStyle(button).backgroundColor;
}).observe(document, { childList: true, subtree: true });"#;

/// Issue 12, "Theming per app": an app's dark theme with its own primary colour shows from the
/// first paint of the flow (no flash of the built-in light look), with its name in the header.
#[tokio::test(flavor = "multi_thread")]
async fn an_apps_dark_theme_is_the_flows_look_from_its_first_paint() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    sandbox
        .host_ok::<ep::UpdateAppSettings>(
            &(),
            Some(
                json!({"appearance": {"theme": "dark", "variables": {"appName": "Acme Payouts"},
                "darkVariables": {"colorPrimary": "#9ECBFF"}}}),
            ),
        )
        .await?;
    let flow = flow_with_method(&sandbox, json!(["manage-payouts"])).await?;
    let browser = Browser::start().await?;
    browser.run_on_each_page(FIRST_PAINT_PROBE).await?;
    // A slow line: the page's loading screen is in the document well before its stylesheet
    // has arrived, and the first frame must still be in the app's look.
    slow_line(&browser).await?;
    open_standalone(&browser, &flow).await?;
    browser
        .wait_for("[data-testid=manage-payouts-continue]")
        .await?;
    let first = browser.eval("return window.firstPaint;").await?;
    // darkVariables' primary, and the dark default background (#121417).
    assert_eq!(first["button"], "rgb(158, 203, 255)", "{first}");
    assert_eq!(first["background"], "rgb(18, 20, 23)", "{first}");
    assert_eq!(
        browser.text_of("[data-testid=brand-name]").await?,
        "Acme Payouts"
    );
    browser.close().await
}

/// Issue 12, "Theming per app" and `embed.js`'s `appearance` option: embedded in a host's
/// iframe, the flow wears the host's override from its first paint (on a slow line, so the
/// page is in the frame well before its stylesheet); an override that breaks a rule is not
/// applied, and the flow keeps the app's saved look (the built-in light one here).
#[tokio::test(flavor = "multi_thread")]
async fn an_embeds_appearance_is_the_framed_flows_look_from_its_first_paint() -> Result<()> {
    let (sandbox, host, _, browser) = manage_payouts_to_embed().await?;
    browser.run_on_each_page(FIRST_PAINT_PROBE).await?;
    slow_line(&browser).await?;
    // Each in a flow of its own: a pre-authenticated link signs in once.
    let framed_first_paint = |appearance: Value| {
        let (sandbox, host, browser) = (&sandbox, &host, &browser);
        async move {
            let flow = flow_with_method(sandbox, json!(["manage-payouts"])).await?;
            let link = flow["link"].as_str().unwrap_or_default();
            into_embedded_manage_payouts(browser, &host.embedding_styled(link, &appearance))
                .await?;
            let first = browser.eval("return window.firstPaint;").await?;
            browser.enter_top().await?;
            anyhow::Ok(first)
        }
    };
    let dark = json!({"theme": "dark", "darkVariables": {"colorPrimary": "#9ECBFF"}});
    let first = framed_first_paint(dark).await?;
    assert_eq!(first["button"], "rgb(158, 203, 255)", "{first}");
    assert_eq!(first["background"], "rgb(18, 20, 23)", "{first}");
    // Light text on a light primary: under AA contrast, so refused as a whole.
    let unreadable = json!({"variables": {"colorPrimary": "#FFFF00"}});
    let first = framed_first_paint(unreadable).await?;
    assert_eq!(first["background"], "rgb(245, 246, 248)", "{first}");
    assert_ne!(first["button"], "rgb(255, 255, 0)", "{first}");
    browser.close().await
}

/// Puts `browser` on an emulated line: 100 ms a round trip, `down` bytes a second down and
/// half that up.
async fn line(browser: &Browser, down: u64) -> Result<()> {
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 100,
                   "downloadThroughput": down, "uploadThroughput": down / 2}),
        )
        .await?;
    Ok(())
}

/// Puts `browser` on a slow line: 1 MB/s down, so the app's wasm takes the better part of a
/// second while the page and its stylesheet arrive long before.
async fn slow_line(browser: &Browser) -> Result<()> {
    line(browser, 1_000_000).await
}

/// In the current document: the start of each session request and the end of the app's wasm
/// download, in milliseconds since navigation (the browser's resource timing).
async fn session_and_wasm_times(browser: &Browser) -> Result<(Vec<f64>, f64)> {
    let times = browser
        .eval(
            r#"var entries = performance.getEntriesByType("resource");
               return {
                 sessions: entries.filter(function (e) {
                   return /\/api\/flow\/sessions$/.test(e.name);
                 }).map(function (e) { return e.startTime; }),
                 wasm: entries.filter(function (e) {
                   return /_bg\.wasm$/.test(e.name);
                 }).map(function (e) { return e.responseEnd; })
               };"#,
        )
        .await?;
    let sessions = times["sessions"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let wasm = times["wasm"][0].as_f64().unwrap_or_default();
    Ok((sessions, wasm))
}

/// The session is asked for while the app downloads (issue 12, load speed): on a slow line
/// the page's one session request starts before the app's wasm has arrived, and the app,
/// once running, uses its answer rather than asking again.
#[tokio::test(flavor = "multi_thread")]
async fn the_session_is_asked_for_while_the_app_downloads() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let flow = sandbox.create_flow(json!({"steps": ["payout"]})).await?;
    let browser = Browser::start().await?;
    slow_line(&browser).await?;
    open_standalone(&browser, &flow).await?;
    browser.wait_for("[data-testid=auth-send-code]").await?;
    let (sessions, wasm_arrived) = session_and_wasm_times(&browser).await?;
    assert_eq!(sessions.len(), 1, "one session request: {sessions:?}");
    assert!(
        sessions[0] < wasm_arrived,
        "the session was asked for at {} ms, after the wasm arrived at {wasm_arrived} ms",
        sessions[0]
    );
    browser.close().await
}

/// Embedded through `embed.js`, the page names the same embedding origin as the app: the app
/// takes the page's session (one request, sent before the wasm arrived) and the host hears
/// `ready`, which needs that origin confirmed by the server.
#[tokio::test(flavor = "multi_thread")]
async fn an_embedded_flow_takes_the_session_its_page_asked_for() -> Result<()> {
    let (_sandbox, host, link, browser) = manage_payouts_to_embed().await?;
    into_embedded_manage_payouts(&browser, &host.embedding(&link, true)).await?;
    let (sessions, wasm_arrived) = session_and_wasm_times(&browser).await?;
    assert_eq!(sessions.len(), 1, "one session request: {sessions:?}");
    assert!(sessions[0] < wasm_arrived, "{sessions:?} {wasm_arrived}");
    browser.enter_top().await?;
    browser.close().await
}

/// The page paints the app's loading screen while the app downloads (issue 12, first paint):
/// on a slow line the first contentful paint comes before the wasm has arrived, and once the
/// app runs it is the only screen (one `<main>`, the page's loading screen gone).
#[tokio::test(flavor = "multi_thread")]
async fn the_loading_screen_paints_before_the_app_arrives() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let flow = sandbox.create_flow(json!({"steps": ["payout"]})).await?;
    let browser = Browser::start().await?;
    slow_line(&browser).await?;
    open_standalone(&browser, &flow).await?;
    browser.wait_for("[data-testid=auth-send-code]").await?;
    let (_, wasm_arrived) = session_and_wasm_times(&browser).await?;
    let page = browser
        .eval(
            r#"var paint = performance.getEntriesByName("first-contentful-paint")[0];
               return {painted: paint ? paint.startTime : null,
                       mains: document.querySelectorAll("main").length,
                       boot: !!document.getElementById("pf-boot")};"#,
        )
        .await?;
    let painted = page["painted"].as_f64().unwrap_or(f64::MAX);
    assert!(
        painted < wasm_arrived,
        "first paint at {painted} ms, after the wasm arrived at {wasm_arrived} ms"
    );
    assert_eq!(page["mains"], 1, "{page}");
    assert_eq!(page["boot"], false, "{page}");
    browser.close().await
}

/// A line so slow that the app's wasm takes seconds (40 KB/s down) while the page, its
/// stylesheet and the session's answer arrive within about one: time enough to use the page's
/// own sign-in before the app has arrived.
async fn very_slow_line(browser: &Browser) -> Result<()> {
    line(browser, 40_000).await
}

/// A flow that starts with sign-in, opened standalone on a [very slow line](very_slow_line).
async fn sign_in_on_a_very_slow_line() -> Result<(Sandbox, Browser)> {
    sign_in_on_a_very_slow_line_after("").await
}

/// [`sign_in_on_a_very_slow_line`], with `script` run first in every document (as a WebView's
/// host injects its bridge).
async fn sign_in_on_a_very_slow_line_after(script: &str) -> Result<(Sandbox, Browser)> {
    let sandbox = Sandbox::start().await?;
    let flow = sandbox
        .create_flow(json!({"steps": ["compliance"]}))
        .await?;
    let browser = Browser::start().await?;
    if !script.is_empty() {
        browser.run_on_each_page(script).await?;
    }
    very_slow_line(&browser).await?;
    open_standalone(&browser, &flow).await?;
    Ok((sandbox, browser))
}

/// Whether the page's own screen (`#pf-boot`) is still in the document.
async fn page_screen_present(browser: &Browser) -> Result<bool> {
    let present = browser
        .eval("return !!document.getElementById('pf-boot');")
        .await?;
    Ok(present == json!(true))
}

/// Whether the app has not started yet: its root is not in the page.
async fn app_not_started(browser: &Browser) -> Result<bool> {
    let absent = browser
        .eval("return document.querySelector('[data-testid=app]') === null;")
        .await?;
    Ok(absent == json!(true))
}

/// A card's shape: each element's tag, attributes and own text, in document order; ids as the
/// app writes them (the page's `pf-boot-` as the app's `pf-auth-`), test ids and the page's
/// `data-app` left out.
const SHAPE: &str = r#"var out = [];
  (function walk(el) {
    var attrs = [];
    for (var i = 0; i < el.attributes.length; i++) {
      var a = el.attributes[i];
      if (a.name === "data-testid" || a.name === "data-app") continue;
      attrs.push(a.name + "=" + a.value.replace(/pf-boot-/g, "pf-auth-"));
    }
    attrs.sort();
    var text = Array.prototype.filter.call(el.childNodes, function (n) {
      return n.nodeType === 3;
    }).map(function (n) { return n.textContent; }).join("").trim();
    out.push(el.tagName + " " + attrs.join(" ") + (text ? " | " + text : ""));
    Array.prototype.forEach.call(el.children, walk);
  })(document.querySelector(arguments[0]));
  return out;"#;

/// Sign-in is usable before the app arrives (issue 12, first step usable): when the flow
/// starts with sign-in, the page shows the phone form itself once the session has answered,
/// the same elements, attributes and texts as the app's, accessible (axe) and fitting a
/// phone (360 px wide, 44 px touch targets); a number typed and "Send code"
/// pressed there, with the app not yet started, are what the app sends when it takes over: the
/// code goes to that number.
#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_usable_before_the_app_arrives() -> Result<()> {
    let (_sandbox, browser) = sign_in_on_a_very_slow_line().await?;
    browser.wait_for("[data-testid=boot-phone]").await?;
    assert!(app_not_started(&browser).await?, "the app had started");
    let page_form = browser
        .client
        .execute(SHAPE, vec![json!("[data-testid=boot-sign-in]")])
        .await?;
    browser
        .assert_accessible("the page's sign-in, before the app")
        .await?;
    browser.emulate_phone(360, 640).await?;
    browser
        .assert_fits_phone("the page's sign-in, before the app")
        .await?;
    assert_eq!(
        browser.value_of("[data-testid=boot-country-code]").await?,
        "1"
    );
    browser
        .fill("[data-testid=boot-phone]", "4155550199\u{E007}")
        .await?;
    browser
        .wait_for_text("[data-testid=boot-send-code]", "Sending…")
        .await?;
    assert!(
        app_not_started(&browser).await?,
        "the app had started before the press"
    );

    browser.wait_for("[data-testid=auth-code-form]").await?;
    assert!(browser
        .text_of("[data-testid=auth-sent-to]")
        .await?
        .contains("0199"));
    assert!(!page_screen_present(&browser).await?);

    // The app's own phone form, on a fast line, is the page's, element for element.
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 0,
                   "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await?;
    browser.client.refresh().await?;
    browser
        .wait_for("[data-testid=step-auth] [data-testid=auth-phone-form]")
        .await?;
    let app_form = browser
        .client
        .execute(SHAPE, vec![json!("[data-testid=step-auth]")])
        .await?;
    assert_eq!(page_form, app_form);
    browser.close().await
}

/// The app takes over from the page's sign-in without a keystroke lost: while someone is in
/// the page's form the app, arrived, waits; at their next step (here Shift+Tab to the country
/// code) it takes over in that very keystroke: what was typed is in the app's fields, focus is
/// where they went with the selection the browser gave it, typing goes on there, and the app's
/// live region announces the screen.
#[tokio::test(flavor = "multi_thread")]
async fn typing_and_focus_carry_over_when_the_app_takes_over() -> Result<()> {
    let (_sandbox, browser) = sign_in_on_a_very_slow_line().await?;
    browser.fill("[data-testid=boot-phone]", "415555").await?;
    assert!(app_not_started(&browser).await?, "the app had started");

    // The app has drawn its sign-in behind the page's, and waits.
    browser.wait_for("[data-testid=auth-phone]").await?;
    assert!(browser.focus_is("[data-testid=boot-phone]").await?);
    let hidden = browser
        .eval("return document.querySelector('[data-testid=app]').getClientRects().length;")
        .await?;
    assert_eq!(hidden, 0, "the app shows while the page's form is in use");
    // Hidden, its live region says nothing yet: it speaks as the app appears.
    let said = "return document.querySelector('[data-testid=live-status]').textContent;";
    assert_eq!(browser.eval(said).await?, "");

    browser.press("\u{E008}\u{E004}").await?;
    assert!(browser.focus_is("[data-testid=auth-country-code]").await?);
    assert_eq!(
        browser
            .eval("var f = document.activeElement; return [f.selectionStart, f.selectionEnd];")
            .await?,
        json!([0, 1])
    );
    assert!(!page_screen_present(&browser).await?);
    browser.press("44").await?;
    assert_eq!(
        browser.value_of("[data-testid=auth-country-code]").await?,
        "44"
    );
    assert_eq!(
        browser.value_of("[data-testid=auth-phone]").await?,
        "415555"
    );
    browser
        .wait_for_text("[data-testid=live-status]", "Sign in")
        .await?;
    browser.close().await
}

/// In a mobile app's WebView, while the app waits behind the page's sign-in form in use, the
/// native host has heard `ready` but no height (hidden, the app has none to tell: a `resize`
/// of 0 could collapse the WebView); the app's height goes out as it appears.
#[tokio::test(flavor = "multi_thread")]
async fn a_webview_hears_no_height_until_the_app_shows() -> Result<()> {
    let (_sandbox, browser) = sign_in_on_a_very_slow_line_after(&webview(WEBVIEWS[0].1)).await?;
    browser.fill("[data-testid=boot-phone]", "415555").await?;
    browser.wait_for("[data-testid=auth-phone]").await?;
    // Two frames after the app drew its screen: a resize observer's first report is in.
    let heard = r#"var done = arguments[arguments.length - 1];
        requestAnimationFrame(function () { requestAnimationFrame(function () {
          done(JSON.parse(sessionStorage.getItem("native-got") || "[]").map(function (m) {
            m = JSON.parse(m); return m.type + (m.height === undefined ? "" : " " + m.height);
          }));
        }); });"#;
    let before = browser.client.execute_async(heard, Vec::new()).await?;
    assert_eq!(before, json!(["ready"]), "while hidden");

    browser.press("\u{E008}\u{E004}").await?;
    browser
        .wait_for_focus("[data-testid=auth-country-code]")
        .await?;
    let after = browser.client.execute_async(heard, Vec::new()).await?;
    let heights: Vec<&str> = after
        .as_array()
        .map(|all| all.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(heights.first(), Some(&"ready"), "{after}");
    assert!(
        heights
            .iter()
            .skip(1)
            .all(|m| m.starts_with("resize ") && *m != "resize 0"),
        "{after}"
    );
    assert!(heights.len() > 1, "no height once shown: {after}");
    browser.close().await
}

/// Types a number into the page's sign-in on a very slow line, waits until the app has
/// arrived and waits behind the form in use (focus in its phone field), presses the page's
/// "Send code" with `press`, and checks the press landed: the app sends the code to that
/// number.
async fn press_send_code_while_the_app_waits(tap: bool) -> Result<()> {
    let (_sandbox, browser) = sign_in_on_a_very_slow_line().await?;
    browser
        .fill("[data-testid=boot-phone]", "4155550142")
        .await?;
    browser.wait_for("[data-testid=auth-phone]").await?;
    assert!(browser.focus_is("[data-testid=boot-phone]").await?);
    if tap {
        browser.tap("[data-testid=boot-send-code]").await?;
    } else {
        browser.click("[data-testid=boot-send-code]").await?;
    }
    browser.wait_for("[data-testid=auth-code-form]").await?;
    assert!(browser
        .text_of("[data-testid=auth-sent-to]")
        .await?
        .contains("0142"));
    browser.close().await
}

/// A click on the page's "Send code" while the arrived app waits is the step it waits for:
/// the press lands (Chromium focuses the button at the press, before its click).
#[tokio::test(flavor = "multi_thread")]
async fn a_click_on_the_pages_send_code_while_the_app_waits_sends_it() -> Result<()> {
    press_send_code_while_the_app_waits(false).await
}

/// The same with a finger: a touch's focus change comes after the finger lifts, with the
/// mouse events a tap makes, and still waits for the tap's click.
#[tokio::test(flavor = "multi_thread")]
async fn a_tap_on_the_pages_send_code_while_the_app_waits_sends_it() -> Result<()> {
    press_send_code_while_the_app_waits(true).await
}

/// The app failing before it takes over (a trap in its wasm, reported from `wasm://`, or an
/// error from the page's origin) turns the page's screen into the failure screen, even with
/// the page's sign-in showing; an error from elsewhere (an extension's script) does not.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_failing_before_it_takes_over_shows_the_failure_screen() -> Result<()> {
    let (_sandbox, browser) = sign_in_on_a_very_slow_line().await?;
    browser.wait_for("[data-testid=boot-phone]").await?;
    let report = "window.dispatchEvent(new ErrorEvent('error', \
                  {message: 'RuntimeError: unreachable', filename: arguments[0]}));";
    browser
        .client
        .execute(report, vec![json!("chrome-extension://abc/content.js")])
        .await?;
    assert!(app_not_started(&browser).await?, "the app had started");
    assert_eq!(
        browser
            .eval("return !!document.querySelector('[data-testid=boot-failed]');")
            .await?,
        false,
        "another's error failed the page"
    );
    browser
        .client
        .execute(report, vec![json!("wasm://wasm/0012a3b6")])
        .await?;
    browser.wait_for("[data-testid=boot-failed]").await?;
    assert_eq!(
        browser.text_of("#pf-boot h1").await?,
        "We can't reach the server"
    );
    browser.close().await
}

/// The page's loading screen speaks the link's language; when the app cannot arrive (its wasm
/// does not download) it says so there, as the app's own "can't reach the server" screen
/// would, with a button that tries again and, the line back, loads the flow.
#[tokio::test(flavor = "multi_thread")]
async fn the_loading_screen_speaks_the_links_language() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let flow = sandbox.create_flow(json!({"steps": ["payout"]})).await?;
    let browser = Browser::start().await?;
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setBlockedURLs", json!({"urls": ["*_bg.wasm"]}))
        .await?;
    let link = flow["link"].as_str().unwrap_or_default();
    browser.client.goto(&format!("{link}?locale=es")).await?;
    browser.wait_for("[data-testid=boot-failed]").await?;
    assert_eq!(
        browser.eval("return document.documentElement.lang").await?,
        "es"
    );
    assert_eq!(
        browser.text_of("#pf-boot h1").await?,
        "No podemos conectarnos con el servidor"
    );
    assert_eq!(
        browser.text_of("#pf-boot [role=alert]").await?,
        "Revisa tu conexión a internet y vuelve a intentarlo."
    );
    browser.wait_for_focus("#pf-boot h1").await?;
    browser
        .assert_accessible("the page's loading screen, failed")
        .await?;

    browser
        .cdp("Network.setBlockedURLs", json!({"urls": []}))
        .await?;
    assert_eq!(
        browser.text_of("[data-testid=boot-retry]").await?,
        "Volver a intentar"
    );
    browser.click("[data-testid=boot-retry]").await?;
    browser.wait_for("[data-testid=auth-send-code]").await?;
    browser.close().await
}
