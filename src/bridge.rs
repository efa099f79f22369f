//! Messages to the host (DESIGN.md "Window messages"): whether the flow is embedded, which
//! origin the embedding page claims, and posting [`WindowMessage`]s to exactly that origin once
//! the server has confirmed it is on the app's allow-list. Never `"*"`.
//!
//! Messages are posted as plain JS objects (`JSON.parse` of the serde JSON), so hosts read
//! `event.data.type` without parsing.
//!
//! Standalone (no parent window), the flow may be in a mobile app's WebView: it then posts the
//! same messages, as JSON strings, to each native bridge the page has ([`NativeBridge`]: React
//! Native, iOS WKWebView, an Android JavaScript interface; issue 12), and to nothing otherwise.
//!
//! The other way, the host may send the flow [`HostMessage`]s (today `set_locale`); the bridge
//! accepts one only from the window and the exact origin it posts to ([`Bridge::is_from_host`]),
//! so a host whose origin the server did not confirm, or any other frame, is ignored.

use leptos::logging::warn;
use payout_model::{
    ErrorCode, LoadErrorType, MessageType, Origin, StepName, StepStatus, WindowMessage,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Window;

/// Where the flow runs: the parent window when embedded, and the origin it claims.
#[derive(Clone, Debug, Default)]
pub struct HostWindow {
    /// The parent window, when the flow is in a frame (`window.parent != window`).
    pub parent: Option<Window>,
    /// The embedding page's origin as the browser tells it; sent to the server, which answers
    /// it back only if the app allows it.
    pub candidate_origin: Option<Origin>,
    /// Standalone: the native apps' message handlers the page has (none in a browser tab).
    pub native: Vec<NativeBridge>,
    /// The parent's origin as the browser itself reports it (`location.ancestorOrigins[0]`;
    /// none in Firefox): a page the flow page's `frame-ancestors` let frame it.
    pub framed_by: Option<Origin>,
    /// Embedded with `host_navigates=1` in the URL (added by `embed.js`): the host page moves
    /// itself on `redirect` (or chooses to stay), so the flow never moves it.
    pub host_navigates: bool,
}

impl HostWindow {
    /// Reads the current page: `location.ancestorOrigins[0]`, else the origin of
    /// `document.referrer`, else the `host_origin` query parameter (added by `embed.js`).
    pub fn detect(window: &Window) -> Self {
        let parent = window
            .parent()
            .ok()
            .flatten()
            .filter(|p| !js_sys::Object::is(p, window));
        if parent.is_none() {
            return HostWindow {
                native: NativeBridge::find(window),
                ..HostWindow::default()
            };
        }
        let location = window.location();
        let ancestor = js_sys::Reflect::get(&location, &JsValue::from_str("ancestorOrigins"))
            .ok()
            .and_then(|list| list.dyn_into::<web_sys::DomStringList>().ok())
            .and_then(|list| list.get(0));
        let referrer = window.document().map(|d| d.referrer());
        let params = location
            .href()
            .ok()
            .and_then(|href| web_sys::Url::new(&href).ok())
            .map(|url| url.search_params());
        let param = |name: &str| params.as_ref().and_then(|p| p.get(name));
        HostWindow {
            parent,
            framed_by: ancestor.as_deref().and_then(Origin::of_url),
            candidate_origin: choose_origin(ancestor, referrer, param("host_origin")),
            native: Vec::new(),
            host_navigates: param("host_navigates").as_deref() == Some("1"),
        }
    }

    /// Whether the flow runs inside another page's frame.
    pub fn embedded(&self) -> bool {
        self.parent.is_some()
    }
}

/// Where a mobile app's WebView takes messages from the page: the object on the window whose
/// `postMessage(string)` the app provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeKind {
    /// React Native's `react-native-webview`: `window.ReactNativeWebView`.
    ReactNative,
    /// iOS WKWebView, a script message handler named `payoutFlows`:
    /// `window.webkit.messageHandlers.payoutFlows`.
    WebKit,
    /// Android WebView, `addJavascriptInterface(…, "PayoutFlowsAndroid")`:
    /// `window.PayoutFlowsAndroid`.
    Android,
}

impl NativeKind {
    /// Every kind, in the order messages are handed to them.
    pub const ALL: [NativeKind; 3] = [
        NativeKind::ReactNative,
        NativeKind::WebKit,
        NativeKind::Android,
    ];

    /// The property path from the window to the object with `postMessage`.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            NativeKind::ReactNative => &["ReactNativeWebView"],
            NativeKind::WebKit => &["webkit", "messageHandlers", "payoutFlows"],
            NativeKind::Android => &["PayoutFlowsAndroid"],
        }
    }
}

/// A native app's message handler found on the page: the object and its `postMessage`.
#[derive(Clone, Debug)]
pub struct NativeBridge {
    /// Which app's convention it is.
    pub kind: NativeKind,
    receiver: JsValue,
    post: js_sys::Function,
}

impl NativeBridge {
    /// The handlers present on `global` (the window, or any object standing for it), in
    /// [`NativeKind::ALL`]'s order: each whose object exists and has a `postMessage` function.
    pub fn find(global: &JsValue) -> Vec<NativeBridge> {
        NativeKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let receiver = kind.path().iter().try_fold(global.clone(), |at, name| {
                    let next = js_sys::Reflect::get(&at, &JsValue::from_str(name)).ok()?;
                    (next.is_object() || next.is_function()).then_some(next)
                })?;
                let post = js_sys::Reflect::get(&receiver, &JsValue::from_str("postMessage"))
                    .ok()?
                    .dyn_into::<js_sys::Function>()
                    .ok()?;
                Some(NativeBridge {
                    kind,
                    receiver,
                    post,
                })
            })
            .collect()
    }

    /// Hands `json` (a message as a JSON string) to the app, called on its object as the app
    /// expects (a WKWebView handler or Android interface refuses another `this`).
    fn post(&self, json: &str) -> Result<(), JsValue> {
        self.post
            .call1(&self.receiver, &JsValue::from_str(json))
            .map(drop)
    }
}

/// The first usable origin ([`Origin::of_url`]) among the browser's ancestor origin, the
/// referrer and the query parameter, in that order of trust.
pub fn choose_origin(
    ancestor: Option<String>,
    referrer: Option<String>,
    param: Option<String>,
) -> Option<Origin> {
    [ancestor, referrer, param]
        .into_iter()
        .flatten()
        .find_map(|url| Origin::of_url(&url))
}

/// Converts `message` to a JS object (not a string) for `postMessage`.
pub fn message_to_js(message: &WindowMessage) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(message).map_err(|e| JsValue::from_str(&e.to_string()))?;
    js_sys::JSON::parse(&json)
}

/// Posts `message` to `target`, delivered only if `target`'s origin is exactly `origin`.
pub fn post_message(
    target: &Window,
    origin: &Origin,
    message: &WindowMessage,
) -> Result<(), JsValue> {
    target.post_message(&message_to_js(message)?, origin.as_str())
}

/// Receives every message the bridge sends: a window and origin, or (for other hosts and tests)
/// any function.
pub type Sink = Rc<dyn Fn(&WindowMessage)>;

/// The flow's messages to its host. Silent until [`Bridge::connect`]ed to an allowed origin;
/// cheap to clone (clones share the connection).
#[derive(Clone)]
pub struct Bridge {
    inner: Rc<Inner>,
}

struct Inner {
    flow_id: String,
    sink: RefCell<Option<Sink>>,
    /// The window and confirmed origin messages go to, which alone may send messages back.
    host: RefCell<Option<(Window, Origin)>>,
    last_height: Cell<Option<u32>>,
    /// Between [`Bridge::connect`] and `ready`: messages wait here so the host hears `ready`
    /// first (a step may post while the first screen renders).
    held: RefCell<Option<Vec<WindowMessage>>>,
    /// Whether `completed`, and `redirect`, have been posted (each goes out once).
    completed: Cell<bool>,
    redirected: Cell<bool>,
}

impl Bridge {
    /// A bridge for `flow_id` that posts nothing until connected.
    pub fn new(flow_id: impl Into<String>) -> Self {
        Bridge {
            inner: Rc::new(Inner {
                flow_id: flow_id.into(),
                sink: RefCell::new(None),
                host: RefCell::new(None),
                last_height: Cell::new(None),
                held: RefCell::new(None),
                completed: Cell::new(false),
                redirected: Cell::new(false),
            }),
        }
    }

    /// A bridge posting to `target` at `origin`, or nothing when `origin` is `None` (the server
    /// refused the embedding origin).
    pub fn to_window(flow_id: impl Into<String>, target: Window, origin: Option<Origin>) -> Self {
        let bridge = Bridge::new(flow_id);
        if let Some(origin) = origin {
            *bridge.inner.host.borrow_mut() = Some((target.clone(), origin.clone()));
            bridge.set_sink(Some(window_sink(target, origin)));
        }
        bridge
    }

    /// A bridge handing every message to `sink`.
    pub fn with_sink(flow_id: impl Into<String>, sink: Sink) -> Self {
        let bridge = Bridge::new(flow_id);
        bridge.set_sink(Some(sink));
        bridge
    }

    /// Connects to the host once the server has answered which origin it allows: posts to
    /// `host.parent` at `allowed`; when standalone posts nothing; when embedded but `allowed` is
    /// `None`, posts nothing and warns in the console why.
    ///
    /// Messages other than `ready` are held until [`Bridge::ready`] is sent, then delivered in
    /// order (`resize` is dropped meanwhile: the shell sends the height right after `ready`).
    ///
    /// Standalone, it posts to the native bridges of `host` (any origin: the app that made the
    /// WebView put them there), with the same holding until `ready`.
    pub fn connect(&self, host: &HostWindow, allowed: Option<Origin>) {
        let Some(parent) = host.parent.clone() else {
            if !host.native.is_empty() {
                *self.inner.held.borrow_mut() = Some(Vec::new());
                self.set_sink(Some(native_sink(host.native.clone())));
            }
            return;
        };
        match allowed {
            Some(origin) => {
                *self.inner.held.borrow_mut() = Some(Vec::new());
                *self.inner.host.borrow_mut() = Some((parent.clone(), origin.clone()));
                self.set_sink(Some(window_sink(parent, origin)));
            }
            None => {
                let claimed = host
                    .candidate_origin
                    .as_ref()
                    .map_or("the embedding page's origin (unknown)", Origin::as_str);
                warn!(
                    "payout-flows: not posting window messages: {claimed} is not on this app's \
                     allowed origins"
                );
                // Nor hearing any: a host confirmed for an earlier session is no longer.
                *self.inner.host.borrow_mut() = None;
                self.set_sink(None);
            }
        }
    }

    fn set_sink(&self, sink: Option<Sink>) {
        *self.inner.sink.borrow_mut() = sink;
    }

    /// Whether a message event came from the connected host: sent by the window the bridge
    /// posts to, from exactly the origin the server confirmed. Never true before
    /// [`Bridge::connect`] or when standalone.
    pub fn is_from_host(&self, event: &web_sys::MessageEvent) -> bool {
        let host = self.inner.host.borrow();
        let Some((window, origin)) = host.as_ref() else {
            return false;
        };
        event.origin() == origin.as_str()
            && event
                .source()
                .is_some_and(|source| js_sys::Object::is(&source, window))
    }

    /// Whether messages reach a host.
    pub fn connected(&self) -> bool {
        self.inner.sink.borrow().is_some()
    }

    /// The flow the messages are about.
    pub fn flow_id(&self) -> &str {
        &self.inner.flow_id
    }

    /// Sends `message` (or holds it until `ready`, see [`Bridge::connect`]); `false` when it
    /// will never be sent (not connected, or a `resize` before `ready`).
    pub fn post(&self, message: &WindowMessage) -> bool {
        // Clone the sink out so a sink that posts again cannot hit a RefCell borrow.
        let Some(sink) = self.inner.sink.borrow().clone() else {
            return false;
        };
        if let Some(held) = self.inner.held.borrow_mut().as_mut() {
            match message.kind {
                MessageType::Ready => {}
                MessageType::Resize => return false,
                _ => {
                    held.push(message.clone());
                    return true;
                }
            }
        }
        sink(message);
        if message.kind == MessageType::Ready {
            let held = self.inner.held.borrow_mut().take().unwrap_or_default();
            for m in &held {
                sink(m);
            }
        }
        true
    }

    fn message(&self, kind: MessageType) -> WindowMessage {
        WindowMessage::new(kind, self.inner.flow_id.clone())
    }

    fn send(&self, kind: MessageType) -> bool {
        self.post(&self.message(kind))
    }

    /// `ready`: the first screen is showing.
    pub fn ready(&self) -> bool {
        self.send(MessageType::Ready)
    }

    /// `resize` with `height` in CSS pixels; repeated heights are not sent again.
    pub fn resize(&self, height: u32) -> bool {
        if self.inner.last_height.get() == Some(height) {
            return false;
        }
        let mut m = self.message(MessageType::Resize);
        m.height = Some(height);
        let sent = self.post(&m);
        if sent {
            self.inner.last_height.set(Some(height));
        }
        sent
    }

    /// `step_completed` alone: a step that stays on screen after each saved change
    /// (`hide_continue_button`); a step that ends posts [`Bridge::step_finished`].
    pub fn step_completed(&self, step: StepName, status: StepStatus) -> bool {
        let mut m = self.message(MessageType::StepCompleted);
        m.step = Some(step);
        m.status = Some(status);
        self.post(&m)
    }

    /// The messages that end a step, in the one order hosts may rely on (README "Window
    /// messages"), posted together so nothing can come between them: `step_completed` with the
    /// step and how it ended, then `completed` when `flow_done` (no step is left), then
    /// `redirect` to `leaving_for` when the flow leaves (sent before it navigates, so the host
    /// can navigate itself). `completed` and `redirect` go out at most once per flow: a screen
    /// drawn again (another language) and finishing again never tells the host twice.
    pub fn step_finished(
        &self,
        step: StepName,
        status: StepStatus,
        flow_done: bool,
        leaving_for: Option<&str>,
    ) {
        let mut m = self.message(MessageType::StepCompleted);
        m.step = Some(step);
        m.status = Some(status);
        self.post(&m);
        if flow_done && !self.inner.completed.replace(true) {
            self.send(MessageType::Completed);
        }
        if let Some(url) = leaving_for {
            if !self.inner.redirected.replace(true) {
                let mut m = self.message(MessageType::Redirect);
                m.url = Some(url.to_owned());
                self.post(&m);
            }
        }
    }

    /// `exit`: the user chose "Go to dashboard".
    pub fn exit(&self) -> bool {
        self.send(MessageType::Exit)
    }

    /// `error` with a message for the host's developers.
    pub fn error(&self, message: &str) -> bool {
        self.error_with_code(message, None)
    }

    /// `error` with a message for the host's developers and, when an API refusal caused it,
    /// the error envelope's `code` (`payout_blocked`, issue 8), for host code to branch on.
    pub fn error_with_code(&self, message: &str, code: Option<ErrorCode>) -> bool {
        let mut m = self.message(MessageType::Error);
        m.message = Some(message.to_owned());
        m.code = code;
        self.post(&m)
    }

    /// `load_error`: the flow could not start. No origin is confirmed yet, so it goes to the
    /// origin the browser says frames the flow ([`HostWindow::framed_by`]), else (Firefox, or a
    /// host sending no referrer) to the one the page claims ([`HostWindow::candidate_origin`]):
    /// `postMessage`'s target origin delivers it only if the parent really is that origin, a
    /// page the flow page's `frame-ancestors` let frame it. Standalone it goes to the native
    /// bridges. It carries nothing but `error` (and the link's `flow_id`, which `embed.js`
    /// checks); `false` when it has nowhere to go.
    pub fn load_error(&self, host: &HostWindow, error: LoadErrorType) -> bool {
        let mut m = self.message(MessageType::LoadError);
        m.error = Some(error);
        match (
            &host.parent,
            host.framed_by.as_ref().or(host.candidate_origin.as_ref()),
        ) {
            (Some(parent), Some(origin)) => post_message(parent, origin, &m).is_ok(),
            (Some(_), None) => false,
            (None, _) if host.native.is_empty() => false,
            (None, _) => {
                native_sink(host.native.clone())(&m);
                true
            }
        }
    }

    /// `session_expired`: the host should open a new flow link.
    pub fn session_expired(&self) -> bool {
        self.send(MessageType::SessionExpired)
    }
}

/// A message the embedding host sends the flow (`postMessage` to the flow's frame, at the flow's
/// origin), read from `event.data` as a plain object: `{ type: "set_locale", locale: "es" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostMessage {
    /// Show the flow in this language (a tag such as `es` or `es-MX`); one the app does not
    /// speak is ignored.
    SetLocale(String),
}

impl HostMessage {
    /// Reads `event.data`; `None` for anything that is not a known host message.
    pub fn from_data(data: &JsValue) -> Option<HostMessage> {
        let text = |name: &str| {
            js_sys::Reflect::get(data, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
        };
        match text("type")?.as_str() {
            "set_locale" => Some(HostMessage::SetLocale(text("locale")?)),
            _ => None,
        }
    }
}

/// Posts each message, as a JSON string, to every bridge of `bridges`.
fn native_sink(bridges: Vec<NativeBridge>) -> Sink {
    Rc::new(move |message: &WindowMessage| {
        let Ok(json) = serde_json::to_string(message) else {
            return;
        };
        for bridge in &bridges {
            if let Err(e) = bridge.post(&json) {
                warn!("payout-flows: {:?} postMessage failed: {e:?}", bridge.kind);
            }
        }
    })
}

fn window_sink(target: Window, origin: Origin) -> Sink {
    Rc::new(move |message: &WindowMessage| {
        if let Err(e) = post_message(&target, &origin, message) {
            warn!("payout-flows: postMessage failed: {e:?}");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_ancestor_then_referrer_then_param() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            choose_origin(
                s("https://a.example"),
                s("https://b.example/x"),
                s("https://c.example")
            )
            .as_ref()
            .map(Origin::as_str),
            Some("https://a.example")
        );
        assert_eq!(
            choose_origin(None, s(""), s("https://c.example"))
                .as_ref()
                .map(Origin::as_str),
            Some("https://c.example")
        );
        assert_eq!(
            choose_origin(None, s("https://b.example/page"), None)
                .as_ref()
                .map(Origin::as_str),
            Some("https://b.example")
        );
        assert_eq!(choose_origin(None, None, None), None);
    }

    /// A bridge recording the type of each message it posts.
    fn recording_kinds() -> (Bridge, Rc<RefCell<Vec<MessageType>>>) {
        let seen: Rc<RefCell<Vec<MessageType>>> = Rc::default();
        let log = seen.clone();
        let bridge = Bridge::with_sink(
            "f1",
            Rc::new(move |m: &WindowMessage| log.borrow_mut().push(m.kind)),
        );
        (bridge, seen)
    }

    #[test]
    fn disconnected_bridge_posts_nothing() {
        let bridge = Bridge::new("f1");
        assert!(!bridge.connected());
        assert!(!bridge.ready());
        assert!(!bridge.resize(100));
    }

    #[test]
    fn holds_messages_until_ready_after_connect() {
        let (bridge, seen) = recording_kinds();
        *bridge.inner.held.borrow_mut() = Some(Vec::new());
        assert!(bridge.error("early"));
        assert!(!bridge.resize(10));
        assert!(seen.borrow().is_empty());
        assert!(bridge.ready());
        assert!(bridge.resize(10));
        assert_eq!(
            *seen.borrow(),
            vec![MessageType::Ready, MessageType::Error, MessageType::Resize]
        );
    }

    #[test]
    fn a_finished_flow_posts_step_completed_then_completed_then_redirect_once() {
        let (bridge, seen) = recording_kinds();
        let url = Some("https://shop.example/");
        bridge.step_finished(StepName::Payout, StepStatus::Completed, false, None);
        bridge.step_finished(StepName::Redirect, StepStatus::Completed, true, url);
        // The same step finished again (its screen drawn again): no second ending.
        bridge.step_finished(StepName::Redirect, StepStatus::Completed, true, url);
        use MessageType::{Completed, Redirect, StepCompleted};
        assert_eq!(
            *seen.borrow(),
            vec![
                StepCompleted,
                StepCompleted,
                Completed,
                Redirect,
                StepCompleted
            ]
        );
    }

    #[test]
    fn error_carries_the_refusal_code() {
        let seen: Rc<RefCell<Vec<serde_json::Value>>> = Rc::default();
        let log = seen.clone();
        let bridge = Bridge::with_sink(
            "f1",
            Rc::new(move |m: &WindowMessage| {
                log.borrow_mut()
                    .push(serde_json::to_value(m).expect("serialisable"))
            }),
        );
        assert!(bridge.error_with_code("payouts blocked", Some(ErrorCode::PayoutBlocked)));
        assert!(bridge.error("flow not found"));
        let seen = seen.borrow();
        assert_eq!(seen[0]["type"], "error");
        assert_eq!(seen[0]["code"], "payout_blocked");
        assert_eq!(seen[0]["message"], "payouts blocked");
        assert!(seen[1].get("code").is_none());
    }

    #[test]
    fn resize_skips_repeated_heights() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        let bridge = Bridge::with_sink(
            "f1",
            Rc::new(move |m: &WindowMessage| log.borrow_mut().push(m.height)),
        );
        assert!(bridge.resize(100));
        assert!(!bridge.resize(100));
        assert!(bridge.resize(120));
        assert_eq!(*seen.borrow(), vec![Some(100), Some(120)]);
    }
}
