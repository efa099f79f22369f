//! What the browser test files share: page helpers (mount point, finding by `data-testid`,
//! typing, leaving a field, waiting), a [`Clock`] whose sleeps end when the test says so, and
//! the wire to the fake server ([`fake_server`]): the app's real client sends its requests
//! there. Each test binary uses part of it.
#![allow(dead_code)]

use leptos::prelude::{document, window};
use leptos::task::tick;
pub mod fake_server;

use fake_server::{Body, FakeServer, Reply, Request, Response};
use payout_flows::api::{
    ApiFailure, Client, HttpBody, HttpRequest, HttpResponse, LocalFuture, Transport,
};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// The model's rule failures as the sandbox answers them: a 422 with each rule's wire text.
pub fn wire(invalid: payout_model::Invalid) -> ApiFailure {
    ApiFailure::Api(invalid.into())
}

// ---------------------------------------------------------------------------------------------
// Page helpers

/// A fresh container in the page to mount into.
pub fn container() -> HtmlElement {
    let div = document()
        .create_element("div")
        .expect("div")
        .dyn_into::<HtmlElement>()
        .expect("an HtmlElement");
    document()
        .body()
        .expect("body")
        .append_child(&div)
        .expect("append");
    div
}

pub fn find(root: &Element, testid: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid=\"{testid}\"]"))
        .expect("valid selector")
}

pub fn find_all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

pub fn get(root: &Element, testid: &str) -> Element {
    find(root, testid)
        .unwrap_or_else(|| panic!("no [data-testid={testid}] in {}", root.inner_html()))
}

pub fn text(root: &Element, testid: &str) -> String {
    get(root, testid).text_content().unwrap_or_default()
}

pub fn click_el(el: &Element) {
    el.clone()
        .dyn_into::<HtmlElement>()
        .expect("clickable")
        .click();
}

pub fn click(root: &Element, testid: &str) {
    click_el(&get(root, testid));
}

pub fn input(root: &Element, testid: &str) -> HtmlInputElement {
    get(root, testid)
        .dyn_into::<HtmlInputElement>()
        .expect("an input")
}

pub fn value(root: &Element, testid: &str) -> String {
    input(root, testid).value()
}

/// Types `text` into the field, as the browser reports it (an `input` event, which bubbles).
pub fn type_into(root: &Element, testid: &str, text: &str) {
    let field = input(root, testid);
    field.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    field.dispatch_event(&event).expect("dispatch");
}

/// The user leaves the field.
pub fn leave(root: &Element, testid: &str) {
    input(root, testid)
        .dispatch_event(&web_sys::Event::new("blur").expect("event"))
        .expect("dispatch");
}

/// The user picks `value` in the `<select>`.
pub fn choose(root: &Element, testid: &str, value: &str) {
    let select = get(root, testid)
        .dyn_into::<web_sys::HtmlSelectElement>()
        .expect("a select");
    select.set_value(value);
    // As a browser's: it bubbles (a form may listen for its fields' changes).
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let change = web_sys::Event::new_with_event_init_dict("change", &init).expect("event");
    select.dispatch_event(&change).expect("dispatch");
}

/// Submits the form holding the element, as Enter in one of its fields does.
pub fn submit_form_of(root: &Element, testid: &str) {
    get(root, testid)
        .closest("form")
        .expect("selector")
        .expect("inside a form")
        .dyn_into::<web_sys::HtmlFormElement>()
        .expect("a form")
        .request_submit()
        .expect("submit");
}

/// Waits until the field shows `expected`: Leptos sets an input's `value` in a microtask after
/// the render, so a read right after a render may still see the old text.
pub async fn assert_value(root: &Element, testid: &str, expected: &str) {
    for _ in 0..100 {
        if value(root, testid) == expected {
            return;
        }
        tick().await;
    }
    assert_eq!(value(root, testid), expected, "value of {testid}");
}

/// Whether the control can't be used now: `disabled`, or `aria-disabled` while its action is
/// under way (it keeps the focus then, and ignores a press).
pub fn disabled(root: &Element, testid: &str) -> bool {
    let el = get(root, testid);
    el.has_attribute("disabled") || el.get_attribute("aria-disabled").as_deref() == Some("true")
}

pub fn active_testid() -> Option<String> {
    document()
        .active_element()
        .and_then(|el| el.get_attribute("data-testid"))
}

/// Lets the reactive system and pending futures run until `done` holds. Ticks, not sleeps:
/// the fakes answer at once, so a few turns of the executor are enough.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tick().await;
    }
    panic!("timed out waiting for {what}");
}

/// Waits in real time (up to `seconds`) until `done` holds: for what the browser itself does
/// (a camera opening).
pub async fn until_real(what: &str, seconds: u32, done: impl Fn() -> bool) {
    for _ in 0..seconds * 20 {
        if done() {
            return;
        }
        real_sleep(50).await;
    }
    panic!("timed out waiting for {what}");
}

/// Resolves after `millis` of real time.
pub async fn real_sleep(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
            .expect("a timer");
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves after the browser's next `count` animation frames: what the app asked a frame to
/// do (moving focus) is done by then, for asserting that something did *not* happen.
pub async fn frames(count: u32) {
    for _ in 0..count {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            window().request_animation_frame(&resolve).expect("a frame");
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// A few turns of the executor, for asserting that something did *not* happen.
pub async fn settle() {
    for _ in 0..20 {
        tick().await;
    }
}

/// Waits until the step has asked the shell, once, to show the flow as it now stands (`advanced`
/// holds what it was asked), and answers the step that flow comes to.
pub async fn advanced_once(
    advanced: &RefCell<Vec<payout_model::FlowState>>,
) -> Option<payout_model::StepName> {
    until("the route followed", || !advanced.borrow().is_empty()).await;
    settle().await;
    let advanced = advanced.borrow();
    assert_eq!(advanced.len(), 1);
    advanced[0].next_step().map(|step| step.name())
}

// ---------------------------------------------------------------------------------------------
// Time under the test's control

/// The steps' timer (`FlowServices::sleep`): sleeps wait until the test fires them.
#[derive(Clone, Default)]
pub struct Clock {
    waiting: Rc<RefCell<Vec<js_sys::Function>>>,
}

impl Clock {
    pub fn sleep(&self) -> LocalFuture<()> {
        let waiting = self.waiting.clone();
        let promise = js_sys::Promise::new(&mut |resolve, _| waiting.borrow_mut().push(resolve));
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        })
    }

    pub fn pending(&self) -> usize {
        self.waiting.borrow().len()
    }

    /// Ends every sleep in progress.
    pub fn fire(&self) {
        for resolve in self.waiting.take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fake server on the wire

/// Sends `request` to `server` as the browser would put it on the wire: the URL's path, the
/// bearer token, the body as JSON text or the image's bytes (read from the blob). The app's real
/// [`Client`] builds the request and reads the answer. The server sees the request at once,
/// as a real one would (an image once its bytes are read).
pub fn serve(
    server: Rc<FakeServer>,
    request: HttpRequest,
) -> LocalFuture<Result<HttpResponse, String>> {
    let HttpRequest {
        method,
        url,
        token,
        body,
        abort,
    } = request;
    // An aborted request gets no answer, as `fetch` rejects it, whatever the server did.
    let aborted = move || abort.as_ref().is_some_and(web_sys::AbortSignal::aborted);
    let path = url.split('?').next().unwrap_or_default().to_owned();
    let answer = move |body: Body| {
        let response = server.handle(&Request {
            method,
            path,
            token,
            body,
        })?;
        Ok(HttpResponse {
            status: response.status,
            body: response.body,
        })
    };
    match body {
        HttpBody::None => {
            let reply = answer(Body::None);
            Box::pin(async move { answered(reply, aborted()) })
        }
        HttpBody::Json(text) => {
            let reply = answer(Body::Json(text));
            Box::pin(async move { answered(reply, aborted()) })
        }
        HttpBody::Image(blob) => Box::pin(async move {
            let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
                .await
                .map_err(|e| format!("{e:?}"))?;
            let reply = answer(Body::Image {
                content_type: blob.type_(),
                bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
            });
            answered(reply, aborted())
        }),
    }
}

/// `reply`, unless the request was aborted meanwhile: then the browser's abort error.
fn answered(reply: Result<HttpResponse, String>, aborted: bool) -> Result<HttpResponse, String> {
    if aborted {
        Err("AbortError: the request was aborted".to_owned())
    } else {
        reply
    }
}

/// The app's client talking to `transport`.
pub fn client(transport: Rc<dyn Transport>) -> Client {
    Client::new(transport)
}

/// What the server puts on the wire for `failure` as the app sees it: no answer for a network
/// failure, else the error envelope with its code's status.
pub fn reply_of(failure: ApiFailure) -> Reply {
    match failure {
        ApiFailure::Network(message) => Err(message),
        ApiFailure::Api(error) => Ok(Response::error(&error)),
    }
}

/// The reply for a session answer as tests script it.
pub fn session_reply(answer: Result<payout_model::Session, ApiFailure>) -> Reply {
    answer.map_or_else(reply_of, |session| Ok(Response::json(&session)))
}

/// The reply for a flow answer as tests script it.
pub fn flow_reply(answer: Result<payout_model::FlowState, ApiFailure>) -> Reply {
    answer.map_or_else(reply_of, |flow| Ok(Response::json(&flow)))
}

/// `YYYY-MM-DD` of the day `years` years before today (the 28th for a 29 February): dates of
/// birth in tests are computed, so an adult stays an adult and a minor a minor whenever the
/// tests run.
pub fn born_years_ago(years: i32) -> String {
    use chrono::Datelike as _;
    let today = payout_flows::identity::today();
    let year = today.year() - years;
    chrono::NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, today.month(), 28))
        .expect("a valid date")
        .format("%Y-%m-%d")
        .to_string()
}
