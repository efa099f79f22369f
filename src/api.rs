//! The flow-facing API (DESIGN.md "The API"): the app's one client of the endpoints declared in
//! [`payout_model::endpoint`] (no URL is written here). Same-origin
//! requests to the sandbox, bearer token in the `Authorization` header, errors read as the
//! server's [`ApiError`] envelope. The token is passed in by the caller, which keeps it in memory
//! only — never in localStorage, sessionStorage or cookies.
//!
//! The client is split at the wire (issue 9, "Tests that tell the truth"): [`Client`] builds
//! each request from its declaration and reads the answer (token, JSON, error envelope, status →
//! [`ApiFailure`]); a [`Transport`] only moves an [`HttpRequest`] and brings back an
//! [`HttpResponse`]. The app sends over [`FetchTransport`]; browser tests send over a fake
//! server routed by the same declarations, so the code that runs in production runs in them.

use payout_model::endpoint::{self as ep, AnswerKind, BodyKind, Empty, Endpoint, Info, Method};
use payout_model::identity::{
    BackgroundCheck, CodeCheck, CodeSent, Compliance, DocumentSide, IdVerification,
    NewBackgroundCheck, NewCode, NewCompliance, NewProfile, SignIn, Submitted, UploadedDocument,
};
pub use payout_model::money::BankAccountList;
use payout_model::money::{
    BankAccount, FlowWallet, NewBankAccount, NewFlowPayout, NewPayoutMethod, PayoutMethod,
    PayoutMethodList, Transfer,
};
use payout_model::{ApiError, ErrorCode, FlowState, NewSession, Session, StepName};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A boxed future run on the browser's single thread.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Why an API call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFailure {
    /// The request never got an answer (offline, server down, CORS); carries the browser's text.
    Network(String),
    /// The server answered with its error envelope (or an answer the app could not read, as
    /// [`ErrorCode::Internal`]).
    Api(ApiError),
}

impl ApiFailure {
    /// A line for the error screen's details.
    pub fn message(&self) -> &str {
        match self {
            ApiFailure::Network(m) => m,
            ApiFailure::Api(e) => &e.message,
        }
    }

    /// The server's error envelope, when it answered one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ApiFailure::Network(_) => None,
            ApiFailure::Api(e) => Some(e),
        }
    }

    /// Whether the request may have taken effect although it failed: no answer reached the app,
    /// or the server failed inside (5xx). A payout failing this way is retried with the same
    /// idempotency key, never replaced by a new one.
    pub fn may_have_happened(&self) -> bool {
        match self {
            ApiFailure::Network(_) => true,
            ApiFailure::Api(e) => e.code == ErrorCode::Internal,
        }
    }

    /// Whether the same request sent again may pass: no answer reached the app, the server
    /// failed inside (5xx), or it asked to wait (429). Any other refusal is of the request
    /// itself, and would come again.
    pub fn may_pass_again(&self) -> bool {
        match self {
            ApiFailure::Network(_) => true,
            ApiFailure::Api(e) => {
                matches!(e.code, ErrorCode::Internal | ErrorCode::TooManyRequests)
            }
        }
    }
}

/// An add that may have been saved with nothing to say so: its answer was lost and the lookup
/// after it failed too ([`or_found_after`]). The form keeps it (in memory) for its next press.
pub struct Unsure<B, T, L> {
    /// What was sent.
    body: B,
    /// How to find it in a list ([`or_found_after`]'s `find`).
    find: Rc<dyn Fn(L, bool) -> Option<T>>,
}

/// Where a form keeps its [`Unsure`] add between presses.
pub type UnsureAdd<B, T, L> = Rc<std::cell::RefCell<Option<Unsure<B, T, L>>>>;

/// `send(body)`, an add; after a failure that may have taken effect
/// ([`ApiFailure::may_have_happened`]), or one `saved_before` reads as the work done already (an
/// earlier add whose answer was lost), what `find(list, false)` finds of it in what `list`
/// reads then (the thing the lost answer would have given), else the failure. `list` sends its
/// request when called, so only then. So an add whose answer was lost is not made a second
/// time by a press of "Add" again. Should that lookup fail too, the add is kept in `unsure`,
/// and the next add of the same `body` looks for it first, with `find(list, true)`, and is sent
/// only when the list does not hold it; a lookup that fails again sends nothing (stop 41: the
/// press after a failed lookup sent the add again, which could add a second copy). `true`: that
/// lookup may come long after the add, so `find` matches by the account too, not taking one
/// added meanwhile elsewhere (another tab, the host) for the user's.
pub fn or_found_after<B, T, L>(
    body: B,
    unsure: &UnsureAdd<B, T, L>,
    send: impl FnOnce(B) -> LocalFuture<Result<T, ApiFailure>> + 'static,
    saved_before: fn(&ApiFailure) -> bool,
    list: impl Fn() -> LocalFuture<Result<L, ApiFailure>> + 'static,
    find: impl Fn(L, bool) -> Option<T> + 'static,
) -> LocalFuture<Result<T, ApiFailure>>
where
    B: PartialEq + Clone + 'static,
    T: 'static,
    L: 'static,
{
    // Another add (the user changed what they typed) leaves the unsure one behind: the screen
    // said it failed.
    let earlier = unsure.borrow_mut().take().filter(|u| u.body == body);
    let unsure = unsure.clone();
    Box::pin(async move {
        if let Some(earlier) = earlier {
            match list().await {
                Ok(list) => {
                    if let Some(found) = (earlier.find)(list, true) {
                        return Ok(found);
                    }
                }
                Err(failure) => {
                    *unsure.borrow_mut() = Some(earlier);
                    return Err(failure);
                }
            }
        }
        let failure = match send(body.clone()).await {
            Err(failure) if failure.may_have_happened() || saved_before(&failure) => failure,
            answer => return answer,
        };
        match list().await {
            Ok(list) => find(list, false).ok_or(failure),
            Err(_) => {
                *unsure.borrow_mut() = Some(Unsure {
                    body,
                    find: Rc::new(find),
                });
                Err(failure)
            }
        }
    })
}

/// `send`, a removal; a 404 (the thing is gone already: a removal whose answer was lost and
/// that was sent again, or one made in another tab) counts as done, so the row goes, where
/// every "Remove" would be refused for good and the row stay until a reload.
pub fn removed_or_gone(
    send: LocalFuture<Result<(), ApiFailure>>,
) -> LocalFuture<Result<(), ApiFailure>> {
    Box::pin(async move {
        match send.await {
            Err(ApiFailure::Api(e)) if e.code == ErrorCode::NotFound => Ok(()),
            answer => answer,
        }
    })
}

/// What a request carries as its body. Its `Debug` shows the kind only: a body may hold a tax
/// id, an account number or a sign-in code.
pub enum HttpBody {
    /// No body.
    None,
    /// JSON text, sent as `application/json`.
    Json(String),
    /// An image, sent as its bytes with its own `Content-Type`.
    Image(web_sys::Blob),
}

/// One request as it goes on the wire. Its `Debug` leaves out the token and what the body
/// holds.
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The same-origin URL (a path: the app and the API share an origin).
    pub url: String,
    /// The bearer token, sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The body.
    pub body: HttpBody,
    /// Aborts the request when the component that made it goes away ([`Client::scoped`]).
    pub abort: Option<web_sys::AbortSignal>,
}

impl std::fmt::Debug for HttpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HttpBody::None => "None",
            HttpBody::Json(_) => "Json(<redacted>)",
            HttpBody::Image(_) => "Image",
        })
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// What came back: the status and the body as text (empty for a 204). Its `Debug` shows the
/// body's length only: a session's answer holds its token.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

/// Moves requests to the server and answers back. `Err` means no answer came (offline, server
/// down, CORS), with the browser's text.
pub trait Transport {
    /// Sends `request`.
    fn send(&self, request: HttpRequest) -> LocalFuture<Result<HttpResponse, String>>;
}

/// The real transport: `fetch`, same origin.
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

impl Transport for FetchTransport {
    fn send(&self, request: HttpRequest) -> LocalFuture<Result<HttpResponse, String>> {
        let HttpRequest {
            method,
            url,
            token,
            body,
            abort,
        } = request;
        let early = take_early(method, &url, &body);
        // `fetch` itself, not a wrapper crate: the wrapper cost the release wasm kilobytes of
        // builders and error formatting the app never used (issue 9, wasm size).
        let prepared = (|| -> Result<web_sys::RequestInit, JsValue> {
            let init = web_sys::RequestInit::new();
            init.set_method(method.as_str());
            let headers = web_sys::Headers::new()?;
            if let Some(token) = token {
                headers.set("Authorization", &format!("Bearer {token}"))?;
            }
            match body {
                HttpBody::None => {}
                HttpBody::Json(text) => {
                    headers.set("Content-Type", "application/json")?;
                    init.set_body(&JsValue::from_str(&text));
                }
                HttpBody::Image(image) => {
                    headers.set("Content-Type", &image.type_())?;
                    init.set_body(&image);
                }
            }
            init.set_headers(&headers);
            init.set_signal(abort.as_ref());
            Ok(init)
        })();
        Box::pin(async move {
            let init = prepared.map_err(js_text)?;
            let promise = match early {
                Some(answer) => answer,
                None => leptos::prelude::window().fetch_with_str_and_init(&url, &init),
            };
            let response: web_sys::Response = JsFuture::from(promise)
                .await
                .map_err(js_text)?
                .unchecked_into();
            let status = response.status();
            // An error answer without a readable body is still an answer: the status decides.
            let text = match response.text() {
                Ok(promise) => JsFuture::from(promise).await,
                Err(e) => Err(e),
            };
            let body = match text {
                Ok(text) => text.as_string().unwrap_or_default(),
                Err(_) if !response.ok() => String::new(),
                Err(e) => return Err(js_text(e)),
            };
            Ok(HttpResponse { status, body })
        })
    }
}

/// Where the flow page keeps the session request it sent while the app downloaded
/// (`index.html`): `{url, body, answer}`, `answer` the promise `fetch` gave.
const EARLY: &str = "__payoutFlowsEarly";

/// The answer to the request the flow page sent early, when this one (`method`, `url`,
/// `body`) is the very same: taken once. The page's record is removed at the first `POST` to
/// its URL, whether taken or not, so its answer (a session token) does not stay in reach.
fn take_early(method: Method, url: &str, body: &HttpBody) -> Option<js_sys::Promise> {
    let (Method::Post, HttpBody::Json(text)) = (method, body) else {
        return None;
    };
    let window: JsValue = leptos::prelude::window().into();
    let key = JsValue::from_str(EARLY);
    let early = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)?;
    let field = |name: &str| js_sys::Reflect::get(&early, &JsValue::from_str(name)).ok();
    if field("url")?.as_string().as_deref() != Some(url) {
        return None;
    }
    let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
    if field("body")?.as_string().as_deref() != Some(text.as_str()) {
        return None;
    }
    field("answer")?.dyn_into().ok()
}

/// What the browser says of a failure (`TypeError: Failed to fetch`).
fn js_text(error: JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(e) => format!("{}: {}", String::from(e.name()), String::from(e.message())),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

/// The app's client of the flow-facing endpoints: each method is one [`Client::call`] of the
/// endpoint's declaration in [`payout_model::endpoint`], sent over a [`Transport`]. Every call
/// but [`Client::create_session`] carries the session's bearer token.
#[derive(Clone)]
pub struct Client {
    transport: Rc<dyn Transport>,
    /// Aborts this client's requests; `None` for a client not tied to a component.
    scope: Option<web_sys::AbortController>,
    /// How long a request waits for its answer ([`Client::waiting_at_most`]).
    patience: Duration,
}

/// How long a request that may be given up ([`may_give_up`]) waits for its answer before it
/// counts as lost: a phone that changed networks mid-request may otherwise wait minutes for
/// the browser to give up, "Loading…" or "Saving your progress…" on screen all along.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Whether a request of `info` may be given up while it may still reach the server: one whose
/// late arrival changes nothing the user sees or did since: a read (its late answer goes
/// nowhere) and a step's completion (what the user asked for, the same state again).
///
/// The others wait for the browser, as before, since a late arrival would do harm (reviews): a
/// given-up request frees its form or row, so the user may send again, or something else,
/// before it lands. An add (no key) could land after the app looked for it and be added again;
/// an ID picture could replace a newer one; a session's mint could take a pre-authenticated
/// link's one sign-in from this very browser; tax details, a background check, a sign-up or a
/// "make default" could land after the user's correction or other choice and win over it; a
/// removal or a verify could change what the screen shows without its knowing; an ID submit
/// failing late could clear pictures taken since; and a payout could land after its retry was
/// refused and its key let go, so that a new attempt paid a second time.
fn may_give_up(info: &Info) -> bool {
    info.method == Method::Get || *info == ep::CompleteStep::INFO
}

impl Client {
    /// A client sending over `transport`.
    pub fn new(transport: Rc<dyn Transport>) -> Self {
        Client {
            transport,
            scope: None,
            patience: PATIENCE,
        }
    }

    /// This client with requests that may be given up ([`may_give_up`]: reads, a step's
    /// completion) waiting at most `patience` for their answer, [`PATIENCE`] unless said: one
    /// that waits longer fails as a network failure ([`ApiFailure::Network`]), which its screen
    /// already answers with Try again.
    pub fn waiting_at_most(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// This client tied to the current reactive owner (the component being built): its
    /// requests still in flight when the owner is cleaned up (the step left the screen) are
    /// aborted, so nothing keeps loading for a screen that is gone. Without an owner, or where
    /// the browser cannot abort, the client is returned as it is.
    pub fn scoped(&self) -> Self {
        let Some(owner) = leptos::prelude::Owner::current() else {
            return self.clone();
        };
        let Ok(controller) = web_sys::AbortController::new() else {
            return self.clone();
        };
        let abort = controller.clone();
        owner.with(|| leptos::prelude::on_cleanup(move || abort.abort()));
        Client {
            transport: self.transport.clone(),
            scope: Some(controller),
            patience: self.patience,
        }
    }

    /// Whether this client's component went away and its requests were aborted.
    pub fn aborted(&self) -> bool {
        self.scope.as_ref().is_some_and(|c| c.signal().aborted())
    }

    /// The client of the real server, over `fetch`.
    pub fn http() -> Self {
        Self::new(Rc::new(FetchTransport))
    }

    /// Mints a session for the flow whose link was opened.
    pub fn create_session(&self, new: NewSession) -> LocalFuture<Result<Session, ApiFailure>> {
        self.call::<ep::CreateSession>(None, &(), &new)
    }

    /// The flow's current state.
    pub fn flow_state(&self, token: String) -> LocalFuture<Result<FlowState, ApiFailure>> {
        self.call::<ep::GetFlowState>(Some(token), &(), &Empty)
    }

    /// Records `step` as completed and answers the flow's new state.
    pub fn complete_step(
        &self,
        token: String,
        step: StepName,
    ) -> LocalFuture<Result<FlowState, ApiFailure>> {
        self.call::<ep::CompleteStep>(Some(token), &step, &Empty)
    }

    /// The user's wallet balance, the smallest payout the flow accepts, and whether the user may
    /// pay out through the flow at all.
    pub fn wallet(&self, token: String) -> LocalFuture<Result<FlowWallet, ApiFailure>> {
        self.call::<ep::GetFlowWallet>(Some(token), &(), &Empty)
    }

    /// The user's payout methods, oldest first.
    pub fn payout_methods(
        &self,
        token: String,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        self.call::<ep::ListFlowPayoutMethods>(Some(token), &(), &Empty)
    }

    /// Adds a payout method (the first one becomes the default).
    pub fn add_payout_method(
        &self,
        token: String,
        new: NewPayoutMethod,
    ) -> LocalFuture<Result<PayoutMethod, ApiFailure>> {
        self.call::<ep::AddFlowPayoutMethod>(Some(token), &(), &new)
    }

    /// Removes a payout method; a removed default passes to the oldest remaining one.
    pub fn remove_payout_method(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<(), ApiFailure>> {
        no_content(self.call::<ep::RemoveFlowPayoutMethod>(Some(token), &id, &Empty))
    }

    /// Makes a payout method the default; answers the whole list.
    pub fn make_default_payout_method(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        self.call::<ep::MakeDefaultFlowPayoutMethod>(Some(token), &id, &Empty)
    }

    /// The user's connected bank accounts.
    pub fn bank_accounts(&self, token: String) -> LocalFuture<Result<BankAccountList, ApiFailure>> {
        self.call::<ep::ListFlowBankAccounts>(Some(token), &(), &Empty)
    }

    /// Connects a bank account; the answer masks the account number.
    pub fn add_bank_account(
        &self,
        token: String,
        new: NewBankAccount,
    ) -> LocalFuture<Result<BankAccount, ApiFailure>> {
        self.call::<ep::AddFlowBankAccount>(Some(token), &(), &new)
    }

    /// Disconnects a bank account.
    pub fn remove_bank_account(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<(), ApiFailure>> {
        no_content(self.call::<ep::RemoveFlowBankAccount>(Some(token), &id, &Empty))
    }

    /// Pays out from the wallet. The same idempotency key and body answer the same transfer.
    pub fn create_payout(
        &self,
        token: String,
        new: NewFlowPayout,
    ) -> LocalFuture<Result<Transfer, ApiFailure>> {
        self.call::<ep::CreateFlowPayout>(Some(token), &(), &new)
    }

    /// A transfer of the user, as it is now.
    pub fn transfer(&self, token: String, id: Uuid) -> LocalFuture<Result<Transfer, ApiFailure>> {
        self.call::<ep::GetFlowTransfer>(Some(token), &id, &Empty)
    }

    /// Sends a one-time code to a phone. A 429 means the resend cooldown has not passed; a 403
    /// that the phone does not belong to the user the flow is for.
    pub fn send_code(
        &self,
        token: String,
        new: NewCode,
    ) -> LocalFuture<Result<CodeSent, ApiFailure>> {
        self.call::<ep::SendCode>(Some(token), &(), &new)
    }

    /// Checks the code last sent: signs in, or asks for a profile when the phone is new.
    pub fn verify_code(
        &self,
        token: String,
        check: CodeCheck,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        self.call::<ep::VerifyCode>(Some(token), &(), &check)
    }

    /// Creates the user of a verified new phone and signs in.
    pub fn create_profile(
        &self,
        token: String,
        new: NewProfile,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        self.call::<ep::CreateProfile>(Some(token), &(), &new)
    }

    /// The user's compliance data (tax ids reduced to their last four), if given yet.
    pub fn compliance(&self, token: String) -> LocalFuture<Result<Option<Compliance>, ApiFailure>> {
        self.call::<ep::GetCompliance>(Some(token), &(), &Empty)
    }

    /// Stores the user's compliance data and records the step.
    pub fn submit_compliance(
        &self,
        token: String,
        new: NewCompliance,
    ) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>> {
        self.call::<ep::SubmitCompliance>(Some(token), &(), &new)
    }

    /// Where the user's ID verification stands, with the pictures uploaded since the last
    /// decision.
    pub fn id_verification(
        &self,
        token: String,
    ) -> LocalFuture<Result<IdVerification, ApiFailure>> {
        self.call::<ep::GetIdVerification>(Some(token), &(), &Empty)
    }

    /// Uploads one picture, sent as its bytes with the image's own `Content-Type`.
    pub fn upload_document(
        &self,
        token: String,
        side: DocumentSide,
        image: web_sys::Blob,
    ) -> LocalFuture<Result<UploadedDocument, ApiFailure>> {
        let answer = self.exchange(
            &ep::UploadDocument::INFO,
            ep::UploadDocument::path(&side),
            Some(token),
            HttpBody::Image(image),
        );
        parse(answer)
    }

    /// Asks for a decision on the three uploaded pictures.
    pub fn submit_id_verification(
        &self,
        token: String,
    ) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>> {
        self.call::<ep::SubmitIdVerification>(Some(token), &(), &Empty)
    }

    /// The user's latest background check, or `None` when none ran.
    pub fn background_check(
        &self,
        token: String,
    ) -> LocalFuture<Result<Option<BackgroundCheck>, ApiFailure>> {
        self.call::<ep::GetBackgroundCheck>(Some(token), &(), &Empty)
    }

    /// Runs the background check (or answers why it is not needed).
    pub fn submit_background_check(
        &self,
        token: String,
        new: NewBackgroundCheck,
    ) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>> {
        self.call::<ep::RunBackgroundCheck>(Some(token), &(), &new)
    }

    /// Calls endpoint `E`: the path filled from `params`, the bearer `token` if any, `body` as
    /// JSON when the endpoint takes one, the answer read as `E::Response`. Only the encoding and
    /// the parsing are generic: sending and reading the status and error envelope are compiled
    /// once ([`Client::exchange`]), so the app's size does not grow per endpoint.
    fn call<E>(
        &self,
        token: Option<String>,
        params: &E::Params,
        body: &E::Request,
    ) -> LocalFuture<Result<E::Response, ApiFailure>>
    where
        E: Endpoint,
        E::Request: Serialize,
        E::Response: DeserializeOwned + 'static,
    {
        let payload = match E::INFO.body {
            BodyKind::Json => match serde_json::to_string(body) {
                Ok(text) => HttpBody::Json(text),
                Err(e) => return Box::pin(async move { Err(ApiFailure::Network(e.to_string())) }),
            },
            BodyKind::None | BodyKind::Image => HttpBody::None,
        };
        parse(self.exchange(&E::INFO, E::path(params), token, payload))
    }

    /// Sends one request for the endpoint `info`: the body of a 2xx answer (`null` for an
    /// endpoint answering 204), else the server's error envelope (or a network failure when no
    /// answer came). The one place that maps status codes to [`ApiFailure`].
    fn exchange(
        &self,
        info: &Info,
        url: String,
        token: Option<String>,
        body: HttpBody,
    ) -> LocalFuture<Result<String, ApiFailure>> {
        let no_content = info.answer == AnswerKind::NoContent;
        let sent = self.transport.send(HttpRequest {
            method: info.method,
            url,
            token,
            body,
            abort: self.scope.as_ref().map(web_sys::AbortController::signal),
        });
        let sent = if may_give_up(info) {
            within(self.patience, sent)
        } else {
            sent
        };
        Box::pin(async move {
            let HttpResponse { status, body } = sent.await.map_err(ApiFailure::Network)?;
            if (200..300).contains(&status) {
                // A 204 has no body: the response type is `Empty`, read from `null`.
                return Ok(if no_content { "null".to_owned() } else { body });
            }
            Err(ApiFailure::Api(
                serde_json::from_str::<ApiError>(&body).unwrap_or_else(|_| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("the server answered {status} without an error body"),
                    )
                }),
            ))
        })
    }
}

/// `answer`, or the failure of an answer that did not come within `patience`. The request is
/// not aborted (its component's scope still may be): for the requests given up, a late
/// arrival is harmless ([`may_give_up`]), and its answer goes nowhere.
fn within(
    patience: Duration,
    answer: LocalFuture<Result<HttpResponse, String>>,
) -> LocalFuture<Result<HttpResponse, String>> {
    let mut answer = answer;
    let mut timer = Timer::after(patience);
    Box::pin(std::future::poll_fn(move |cx| {
        if let Poll::Ready(answered) = answer.as_mut().poll(cx) {
            return Poll::Ready(answered);
        }
        match timer.as_mut() {
            Some(timer) => Pin::new(timer).poll(cx).map(|()| {
                Err(format!(
                    "TimeoutError: no answer within {} seconds",
                    patience.as_secs()
                ))
            }),
            // No timer (no window): the answer is waited for as before.
            None => Poll::Pending,
        }
    }))
}

/// A `setTimeout` as a future (the client's patience, the shell's waits), cleared when dropped
/// (an answer that came in time leaves no timer behind), its promise then settled: a
/// `JsFuture` frees its callbacks only when its promise settles (review: one left pending per
/// request answered in time leaked them).
pub struct Timer {
    handle: i32,
    resolve: js_sys::Function,
    fired: JsFuture,
}

impl Timer {
    /// A timer that fires after `duration`; `None` without a window or its timers.
    pub fn after(duration: Duration) -> Option<Timer> {
        let window = web_sys::window()?;
        let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
        let mut armed = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            armed = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
                .ok()
                .map(|handle| (handle, resolve));
        });
        let (handle, resolve) = armed?;
        Some(Timer {
            handle,
            resolve,
            fired: JsFuture::from(promise),
        })
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(drop)
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.handle);
        }
        let _ = self.resolve.call0(&JsValue::NULL);
    }
}

/// Reads a 2xx answer's body as `T`.
fn parse<T: DeserializeOwned + 'static>(
    answer: LocalFuture<Result<String, ApiFailure>>,
) -> LocalFuture<Result<T, ApiFailure>> {
    Box::pin(async move {
        let text = answer.await?;
        serde_json::from_str(&text).map_err(unreadable)
    })
}

/// The failure for an answer that is not the JSON its endpoint declares. Not generic, and kept
/// out of line: inlined into each response type's `parse`, it cost 5.8 KB of wasm (issue 9).
#[inline(never)]
fn unreadable(error: serde_json::Error) -> ApiFailure {
    ApiFailure::Api(ApiError::new(
        ErrorCode::Internal,
        format!("unreadable answer from the server: {error}"),
    ))
}

/// A call whose success has no body.
fn no_content(
    answer: LocalFuture<Result<Empty, ApiFailure>>,
) -> LocalFuture<Result<(), ApiFailure>> {
    Box::pin(async move { answer.await.map(drop) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flow-facing requests the app gives up after [`PATIENCE`], and only those: each other
    /// one's late arrival would do harm (reviews; [`may_give_up`] says which and why).
    #[test]
    fn only_requests_whose_late_arrival_is_harmless_are_given_up() {
        let given_up: Vec<&str> = ep::ALL
            .iter()
            .filter(|info| info.path.starts_with("/api/flow/") && info.method != Method::Get)
            .filter(|info| may_give_up(info))
            .map(|info| info.name)
            .collect();
        assert_eq!(given_up, ["complete_step"]);
    }
}
