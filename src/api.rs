//! The flow-facing API (DESIGN.md "The API"): the only module that knows URLs. Same-origin
//! requests to the sandbox, bearer token in the `Authorization` header, errors read as the
//! server's [`ApiError`] envelope. The token is passed in by the caller, which keeps it in memory
//! only — never in localStorage, sessionStorage or cookies.
//!
//! Components never call these functions directly: they go through [`FlowApi`], so browser tests
//! can hand the app a fake server.

use gloo_net::http::{Request, RequestBuilder};
use payout_model::identity::{
    BackgroundCheck, CodeCheck, CodeSent, Compliance, DocumentSide, IdVerification,
    NewBackgroundCheck, NewCode, NewCompliance, NewProfile, SignIn, Submitted, UploadedDocument,
};
use payout_model::money::{
    BankAccount, FlowWallet, NewBankAccount, NewFlowPayout, NewPayoutMethod, PayoutMethod,
    PayoutMethodList, Transfer,
};
use payout_model::{ApiError, ErrorCode, FlowState, NewSession, Session, StepName};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

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
}

/// The user's connected bank accounts (`GET /api/flow/bank-accounts`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct BankAccountList {
    /// Oldest first.
    pub data: Vec<BankAccount>,
}

/// What the app asks of the server. [`HttpApi`] is the real one; tests supply fakes. Every call
/// but [`FlowApi::create_session`] carries the session's bearer token.
pub trait FlowApi {
    /// Mints a session for the flow whose link was opened.
    fn create_session(&self, new: NewSession) -> LocalFuture<Result<Session, ApiFailure>>;
    /// The flow's current state.
    fn flow_state(&self, token: String) -> LocalFuture<Result<FlowState, ApiFailure>>;
    /// Records `step` as completed and answers the flow's new state.
    fn complete_step(
        &self,
        token: String,
        step: StepName,
    ) -> LocalFuture<Result<FlowState, ApiFailure>>;
    /// The user's wallet balance, the smallest payout the flow accepts, and whether the user may
    /// pay out through the flow at all.
    fn wallet(&self, token: String) -> LocalFuture<Result<FlowWallet, ApiFailure>>;
    /// The user's payout methods, oldest first.
    fn payout_methods(&self, token: String) -> LocalFuture<Result<PayoutMethodList, ApiFailure>>;
    /// Adds a payout method (the first one becomes the default).
    fn add_payout_method(
        &self,
        token: String,
        new: NewPayoutMethod,
    ) -> LocalFuture<Result<PayoutMethod, ApiFailure>>;
    /// Removes a payout method; a removed default passes to the oldest remaining one.
    fn remove_payout_method(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>>;
    /// Makes a payout method the default; answers the whole list.
    fn make_default_payout_method(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>>;
    /// The user's connected bank accounts.
    fn bank_accounts(&self, token: String) -> LocalFuture<Result<BankAccountList, ApiFailure>>;
    /// Connects a bank account; the answer masks the account number.
    fn add_bank_account(
        &self,
        token: String,
        new: NewBankAccount,
    ) -> LocalFuture<Result<BankAccount, ApiFailure>>;
    /// Disconnects a bank account.
    fn remove_bank_account(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>>;
    /// Pays out from the wallet. The same idempotency key and body answer the same transfer.
    fn create_payout(
        &self,
        token: String,
        new: NewFlowPayout,
    ) -> LocalFuture<Result<Transfer, ApiFailure>>;
    /// A transfer of the user, as it is now.
    fn transfer(&self, token: String, id: Uuid) -> LocalFuture<Result<Transfer, ApiFailure>>;
    /// Sends a one-time code to a phone. A 429 means the resend cooldown has not passed; a 403
    /// that the phone does not belong to the user the flow is for.
    fn send_code(&self, token: String, new: NewCode) -> LocalFuture<Result<CodeSent, ApiFailure>>;
    /// Checks the code last sent: signs in, or asks for a profile when the phone is new.
    fn verify_code(
        &self,
        token: String,
        check: CodeCheck,
    ) -> LocalFuture<Result<SignIn, ApiFailure>>;
    /// Creates the user of a verified new phone and signs in.
    fn create_profile(
        &self,
        token: String,
        new: NewProfile,
    ) -> LocalFuture<Result<SignIn, ApiFailure>>;
    /// The user's compliance data (tax ids reduced to their last four), if given yet.
    fn compliance(&self, token: String) -> LocalFuture<Result<Option<Compliance>, ApiFailure>>;
    /// Stores the user's compliance data and records the step.
    fn submit_compliance(
        &self,
        token: String,
        new: NewCompliance,
    ) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>>;
    /// Where the user's ID verification stands, with the pictures uploaded since the last
    /// decision.
    fn id_verification(&self, token: String) -> LocalFuture<Result<IdVerification, ApiFailure>>;
    /// Uploads one picture, sent as its bytes with the image's own `Content-Type`.
    fn upload_document(
        &self,
        token: String,
        side: DocumentSide,
        image: web_sys::Blob,
    ) -> LocalFuture<Result<UploadedDocument, ApiFailure>>;
    /// Asks for a decision on the three uploaded pictures.
    fn submit_id_verification(
        &self,
        token: String,
    ) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>>;
    /// Runs the background check (or answers why it is not needed).
    fn submit_background_check(
        &self,
        token: String,
        new: NewBackgroundCheck,
    ) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>>;
}

/// The sandbox's flow endpoints, same-origin over `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpApi;

impl FlowApi for HttpApi {
    fn create_session(&self, new: NewSession) -> LocalFuture<Result<Session, ApiFailure>> {
        call(
            Request::post("/api/flow/sessions")
                .json(&new)
                .map_err(unsendable),
        )
    }

    fn flow_state(&self, token: String) -> LocalFuture<Result<FlowState, ApiFailure>> {
        call(build(bearer(Request::get("/api/flow/state"), &token)))
    }

    fn complete_step(
        &self,
        token: String,
        step: StepName,
    ) -> LocalFuture<Result<FlowState, ApiFailure>> {
        let url = format!("/api/flow/steps/{}/complete", step.as_str());
        call(build(bearer(Request::post(&url), &token)))
    }

    fn wallet(&self, token: String) -> LocalFuture<Result<FlowWallet, ApiFailure>> {
        call(build(bearer(Request::get("/api/flow/wallet"), &token)))
    }

    fn payout_methods(&self, token: String) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        call(build(bearer(
            Request::get("/api/flow/payout-methods"),
            &token,
        )))
    }

    fn add_payout_method(
        &self,
        token: String,
        new: NewPayoutMethod,
    ) -> LocalFuture<Result<PayoutMethod, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/payout-methods"), &token),
            &new,
        ))
    }

    fn remove_payout_method(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        let url = format!("/api/flow/payout-methods/{id}");
        call_empty(build(bearer(Request::delete(&url), &token)))
    }

    fn make_default_payout_method(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        let url = format!("/api/flow/payout-methods/{id}/default");
        call(build(bearer(Request::post(&url), &token)))
    }

    fn bank_accounts(&self, token: String) -> LocalFuture<Result<BankAccountList, ApiFailure>> {
        call(build(bearer(
            Request::get("/api/flow/bank-accounts"),
            &token,
        )))
    }

    fn add_bank_account(
        &self,
        token: String,
        new: NewBankAccount,
    ) -> LocalFuture<Result<BankAccount, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/bank-accounts"), &token),
            &new,
        ))
    }

    fn remove_bank_account(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        let url = format!("/api/flow/bank-accounts/{id}");
        call_empty(build(bearer(Request::delete(&url), &token)))
    }

    fn create_payout(
        &self,
        token: String,
        new: NewFlowPayout,
    ) -> LocalFuture<Result<Transfer, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/payouts"), &token),
            &new,
        ))
    }

    fn transfer(&self, token: String, id: Uuid) -> LocalFuture<Result<Transfer, ApiFailure>> {
        let url = format!("/api/flow/transfers/{id}");
        call(build(bearer(Request::get(&url), &token)))
    }

    fn send_code(&self, token: String, new: NewCode) -> LocalFuture<Result<CodeSent, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/auth/code"), &token),
            &new,
        ))
    }

    fn verify_code(
        &self,
        token: String,
        check: CodeCheck,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/auth/verify"), &token),
            &check,
        ))
    }

    fn create_profile(
        &self,
        token: String,
        new: NewProfile,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/auth/profile"), &token),
            &new,
        ))
    }

    fn compliance(&self, token: String) -> LocalFuture<Result<Option<Compliance>, ApiFailure>> {
        call(build(bearer(Request::get("/api/flow/compliance"), &token)))
    }

    fn submit_compliance(
        &self,
        token: String,
        new: NewCompliance,
    ) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>> {
        call(json(
            bearer(Request::put("/api/flow/compliance"), &token),
            &new,
        ))
    }

    fn id_verification(&self, token: String) -> LocalFuture<Result<IdVerification, ApiFailure>> {
        call(build(bearer(
            Request::get("/api/flow/id-verification"),
            &token,
        )))
    }

    fn upload_document(
        &self,
        token: String,
        side: DocumentSide,
        image: web_sys::Blob,
    ) -> LocalFuture<Result<UploadedDocument, ApiFailure>> {
        let url = format!("/api/flow/id-verification/documents/{}", side.as_str());
        let content_type = image.type_();
        call(
            bearer(Request::put(&url), &token)
                .header("Content-Type", &content_type)
                .body(image)
                .map_err(unsendable),
        )
    }

    fn submit_id_verification(
        &self,
        token: String,
    ) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>> {
        call(build(bearer(
            Request::post("/api/flow/id-verification/submit"),
            &token,
        )))
    }

    fn submit_background_check(
        &self,
        token: String,
        new: NewBackgroundCheck,
    ) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>> {
        call(json(
            bearer(Request::post("/api/flow/background-check"), &token),
            &new,
        ))
    }
}

fn bearer(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header("Authorization", &format!("Bearer {token}"))
}

fn unsendable(e: gloo_net::Error) -> ApiFailure {
    ApiFailure::Network(e.to_string())
}

/// A request without a body.
fn build(request: RequestBuilder) -> Result<Request, ApiFailure> {
    request.build().map_err(unsendable)
}

/// A request with `body` as JSON.
fn json(request: RequestBuilder, body: &impl Serialize) -> Result<Request, ApiFailure> {
    request.json(body).map_err(unsendable)
}

/// Sends `request` and reads the answer as `T`. Only the parsing is generic: sending and reading
/// the error envelope are compiled once (the app's size grows per endpoint otherwise).
fn call<T: DeserializeOwned + 'static>(
    request: Result<Request, ApiFailure>,
) -> LocalFuture<Result<T, ApiFailure>> {
    let answer = exchange(request);
    Box::pin(async move {
        let text = answer.await?;
        serde_json::from_str(&text).map_err(|e| {
            ApiFailure::Api(ApiError::new(
                ErrorCode::Internal,
                format!("unreadable answer from the server: {e}"),
            ))
        })
    })
}

/// Sends `request`; success has no body (204).
fn call_empty(request: Result<Request, ApiFailure>) -> LocalFuture<Result<(), ApiFailure>> {
    let answer = exchange(request);
    Box::pin(async move { answer.await.map(drop) })
}

/// Sends `request`: the body of a 2xx answer, else the server's error envelope (or a network
/// failure when no answer came).
fn exchange(request: Result<Request, ApiFailure>) -> LocalFuture<Result<String, ApiFailure>> {
    Box::pin(async move {
        let response = request?.send().await.map_err(unsendable)?;
        if response.ok() {
            return response.text().await.map_err(unsendable);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Err(ApiFailure::Api(
            serde_json::from_str::<ApiError>(&text).unwrap_or_else(|_| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("the server answered {status} without an error body"),
                )
            }),
        ))
    })
}
