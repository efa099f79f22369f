//! What the browser test files share: page helpers (mount point, finding by `data-testid`,
//! typing, leaving a field, waiting), a [`Clock`] whose sleeps end when the test says so, and
//! macros filling in the [`FlowApi`](payout_flows::api::FlowApi) methods a fake server does not
//! serve. Each test binary uses part of it.
#![allow(dead_code, unused_macros)]

use leptos::prelude::{document, window};
use leptos::task::tick;
use payout_flows::api::{ApiFailure, LocalFuture};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

// ---------------------------------------------------------------------------------------------
// The sandbox's test values, as the fake servers play them (README "Sandbox identity test
// values"; the app itself never knows them)

/// The one-time code the fake server accepts.
pub const SANDBOX_CODE: &str = "000000";
/// The SSN whose background check fails.
pub const SANDBOX_FAILING_SSN: &str = "111-11-1111";

/// Whether the sandbox completes payouts on `platform` at once (ACH stays pending).
pub fn completes_at_once(platform: payout_model::money::PayoutPlatform) -> bool {
    !matches!(platform, payout_model::money::PayoutPlatform::Ach)
}

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

/// Types `text` into the field, as the browser reports it (`input` event).
pub fn type_into(root: &Element, testid: &str, text: &str) {
    let field = input(root, testid);
    field.set_value(text);
    field
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
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
    select
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
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

pub fn disabled(root: &Element, testid: &str) -> bool {
    get(root, testid).has_attribute("disabled")
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

/// A few turns of the executor, for asserting that something did *not* happen.
pub async fn settle() {
    for _ in 0..20 {
        tick().await;
    }
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
// Fake servers

/// The answer of the endpoints a test binary never reaches.
pub fn unused<T: 'static>() -> LocalFuture<Result<T, ApiFailure>> {
    Box::pin(async { Err(ApiFailure::Network("not used by these tests".into())) })
}

/// Inside `impl FlowApi for …`: the money endpoints, unused (tests/money.rs serves them).
macro_rules! money_endpoints_unused {
    () => {
        fn wallet(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::FlowWallet, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn payout_methods(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::PayoutMethodList, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn add_payout_method(
            &self,
            _token: String,
            _new: payout_model::money::NewPayoutMethod,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::PayoutMethod, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn remove_payout_method(
            &self,
            _token: String,
            _id: uuid::Uuid,
        ) -> payout_flows::api::LocalFuture<Result<(), payout_flows::api::ApiFailure>> {
            common::unused()
        }

        fn make_default_payout_method(
            &self,
            _token: String,
            _id: uuid::Uuid,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::PayoutMethodList, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn bank_accounts(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_flows::api::BankAccountList, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn add_bank_account(
            &self,
            _token: String,
            _new: payout_model::money::NewBankAccount,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::BankAccount, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn remove_bank_account(
            &self,
            _token: String,
            _id: uuid::Uuid,
        ) -> payout_flows::api::LocalFuture<Result<(), payout_flows::api::ApiFailure>> {
            common::unused()
        }

        fn create_payout(
            &self,
            _token: String,
            _new: payout_model::money::NewFlowPayout,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::Transfer, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn transfer(
            &self,
            _token: String,
            _id: uuid::Uuid,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::money::Transfer, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }
    };
}

/// Inside `impl FlowApi for …`: the identity endpoints, unused (tests/identity.rs serves them).
macro_rules! identity_endpoints_unused {
    () => {
        fn send_code(
            &self,
            _token: String,
            _new: payout_model::identity::NewCode,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::identity::CodeSent, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn verify_code(
            &self,
            _token: String,
            _check: payout_model::identity::CodeCheck,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::identity::SignIn, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn create_profile(
            &self,
            _token: String,
            _new: payout_model::identity::NewProfile,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::identity::SignIn, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn compliance(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<Option<payout_model::identity::Compliance>, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn submit_compliance(
            &self,
            _token: String,
            _new: payout_model::identity::NewCompliance,
        ) -> payout_flows::api::LocalFuture<
            Result<
                payout_model::identity::Submitted<payout_model::identity::Compliance>,
                payout_flows::api::ApiFailure,
            >,
        > {
            common::unused()
        }

        fn id_verification(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::identity::IdVerification, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn upload_document(
            &self,
            _token: String,
            _side: payout_model::identity::DocumentSide,
            _image: web_sys::Blob,
        ) -> payout_flows::api::LocalFuture<
            Result<payout_model::identity::UploadedDocument, payout_flows::api::ApiFailure>,
        > {
            common::unused()
        }

        fn submit_id_verification(
            &self,
            _token: String,
        ) -> payout_flows::api::LocalFuture<
            Result<
                payout_model::identity::Submitted<payout_model::identity::IdVerification>,
                payout_flows::api::ApiFailure,
            >,
        > {
            common::unused()
        }

        fn submit_background_check(
            &self,
            _token: String,
            _new: payout_model::identity::NewBackgroundCheck,
        ) -> payout_flows::api::LocalFuture<
            Result<
                payout_model::identity::Submitted<payout_model::identity::BackgroundCheck>,
                payout_flows::api::ApiFailure,
            >,
        > {
            common::unused()
        }
    };
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
