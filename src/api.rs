//! The flow-facing API (DESIGN.md "The API"): the app's one client of the endpoints declared in
//! [`payout_model::endpoint`] (no URL is written here). Same-origin
//! requests to the sandbox, bearer token in the `Authorization` header, errors read as the
//! server's [`ApiError`] envelope. The token is passed in by the caller, which keeps it in memory
//! only — never in localStorage, sessionStorage or cookies.
//!
//! Components never call these functions directly: they go through [`FlowApi`], so browser tests
//! can hand the app a fake server.

use gloo_net::http::Request;
use payout_model::endpoint::{self as ep, AnswerKind, BodyKind, Empty, Endpoint, Method};
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

/// The sandbox's flow endpoints, same-origin over `fetch`: each method is one [`call`] of the
/// endpoint's declaration in [`payout_model::endpoint`].
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpApi;

impl FlowApi for HttpApi {
    fn create_session(&self, new: NewSession) -> LocalFuture<Result<Session, ApiFailure>> {
        call::<ep::CreateSession>(None, &(), &new)
    }

    fn flow_state(&self, token: String) -> LocalFuture<Result<FlowState, ApiFailure>> {
        call::<ep::GetFlowState>(Some(&token), &(), &Empty)
    }

    fn complete_step(
        &self,
        token: String,
        step: StepName,
    ) -> LocalFuture<Result<FlowState, ApiFailure>> {
        call::<ep::CompleteStep>(Some(&token), &step, &Empty)
    }

    fn wallet(&self, token: String) -> LocalFuture<Result<FlowWallet, ApiFailure>> {
        call::<ep::GetFlowWallet>(Some(&token), &(), &Empty)
    }

    fn payout_methods(&self, token: String) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        call::<ep::ListFlowPayoutMethods>(Some(&token), &(), &Empty)
    }

    fn add_payout_method(
        &self,
        token: String,
        new: NewPayoutMethod,
    ) -> LocalFuture<Result<PayoutMethod, ApiFailure>> {
        call::<ep::AddFlowPayoutMethod>(Some(&token), &(), &new)
    }

    fn remove_payout_method(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        no_content(call::<ep::RemoveFlowPayoutMethod>(
            Some(&token),
            &id,
            &Empty,
        ))
    }

    fn make_default_payout_method(
        &self,
        token: String,
        id: Uuid,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        call::<ep::MakeDefaultFlowPayoutMethod>(Some(&token), &id, &Empty)
    }

    fn bank_accounts(&self, token: String) -> LocalFuture<Result<BankAccountList, ApiFailure>> {
        call::<ep::ListFlowBankAccounts>(Some(&token), &(), &Empty)
    }

    fn add_bank_account(
        &self,
        token: String,
        new: NewBankAccount,
    ) -> LocalFuture<Result<BankAccount, ApiFailure>> {
        call::<ep::AddFlowBankAccount>(Some(&token), &(), &new)
    }

    fn remove_bank_account(&self, token: String, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        no_content(call::<ep::RemoveFlowBankAccount>(Some(&token), &id, &Empty))
    }

    fn create_payout(
        &self,
        token: String,
        new: NewFlowPayout,
    ) -> LocalFuture<Result<Transfer, ApiFailure>> {
        call::<ep::CreateFlowPayout>(Some(&token), &(), &new)
    }

    fn transfer(&self, token: String, id: Uuid) -> LocalFuture<Result<Transfer, ApiFailure>> {
        call::<ep::GetFlowTransfer>(Some(&token), &id, &Empty)
    }

    fn send_code(&self, token: String, new: NewCode) -> LocalFuture<Result<CodeSent, ApiFailure>> {
        call::<ep::SendCode>(Some(&token), &(), &new)
    }

    fn verify_code(
        &self,
        token: String,
        check: CodeCheck,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        call::<ep::VerifyCode>(Some(&token), &(), &check)
    }

    fn create_profile(
        &self,
        token: String,
        new: NewProfile,
    ) -> LocalFuture<Result<SignIn, ApiFailure>> {
        call::<ep::CreateProfile>(Some(&token), &(), &new)
    }

    fn compliance(&self, token: String) -> LocalFuture<Result<Option<Compliance>, ApiFailure>> {
        call::<ep::GetCompliance>(Some(&token), &(), &Empty)
    }

    fn submit_compliance(
        &self,
        token: String,
        new: NewCompliance,
    ) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>> {
        call::<ep::SubmitCompliance>(Some(&token), &(), &new)
    }

    fn id_verification(&self, token: String) -> LocalFuture<Result<IdVerification, ApiFailure>> {
        call::<ep::GetIdVerification>(Some(&token), &(), &Empty)
    }

    fn upload_document(
        &self,
        token: String,
        side: DocumentSide,
        image: web_sys::Blob,
    ) -> LocalFuture<Result<UploadedDocument, ApiFailure>> {
        let info = ep::UploadDocument::INFO;
        let url = ep::UploadDocument::path(&side);
        parse(exchange(
            info.method,
            url,
            Some(&token),
            Payload::Image(image),
        ))
    }

    fn submit_id_verification(
        &self,
        token: String,
    ) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>> {
        call::<ep::SubmitIdVerification>(Some(&token), &(), &Empty)
    }

    fn submit_background_check(
        &self,
        token: String,
        new: NewBackgroundCheck,
    ) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>> {
        call::<ep::RunBackgroundCheck>(Some(&token), &(), &new)
    }
}

fn unsendable(e: gloo_net::Error) -> ApiFailure {
    ApiFailure::Network(e.to_string())
}

/// What a request carries.
enum Payload {
    None,
    Json(String),
    Image(web_sys::Blob),
}

/// Calls endpoint `E`: the path filled from `params`, the bearer `token` if any, `body` as JSON
/// when the endpoint takes one, the answer read as `E::Response`. Only the encoding and the
/// parsing are generic: sending and reading the error envelope are compiled once
/// ([`exchange`]), so the app's size does not grow per endpoint.
fn call<E>(
    token: Option<&str>,
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
            Ok(text) => Payload::Json(text),
            Err(e) => return Box::pin(async move { Err(ApiFailure::Network(e.to_string())) }),
        },
        BodyKind::None | BodyKind::Image => Payload::None,
    };
    let answer = exchange(E::INFO.method, E::path(params), token, payload);
    match E::INFO.answer {
        AnswerKind::Json => parse(answer),
        // A 204 has no body: the response type is `Empty`, read from `null`.
        AnswerKind::NoContent => parse(Box::pin(
            async move { answer.await.map(|_| "null".to_owned()) },
        )),
    }
}

/// Reads a 2xx answer's body as `T`.
fn parse<T: DeserializeOwned + 'static>(
    answer: LocalFuture<Result<String, ApiFailure>>,
) -> LocalFuture<Result<T, ApiFailure>> {
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

/// A call whose success has no body.
fn no_content(
    answer: LocalFuture<Result<Empty, ApiFailure>>,
) -> LocalFuture<Result<(), ApiFailure>> {
    Box::pin(async move { answer.await.map(drop) })
}

/// Sends one request: the body of a 2xx answer, else the server's error envelope (or a network
/// failure when no answer came). The one place that knows methods, headers and status codes.
fn exchange(
    method: Method,
    url: String,
    token: Option<&str>,
    payload: Payload,
) -> LocalFuture<Result<String, ApiFailure>> {
    let mut request = match method {
        Method::Get => Request::get(&url),
        Method::Post => Request::post(&url),
        Method::Put => Request::put(&url),
        Method::Delete => Request::delete(&url),
    };
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match payload {
        Payload::None => request.build(),
        Payload::Json(text) => request
            .header("Content-Type", "application/json")
            .body(text),
        Payload::Image(image) => {
            let content_type = image.type_();
            request.header("Content-Type", &content_type).body(image)
        }
    };
    Box::pin(async move {
        let response = request
            .map_err(unsendable)?
            .send()
            .await
            .map_err(unsendable)?;
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
