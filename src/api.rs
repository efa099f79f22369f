//! The flow-facing API (DESIGN.md "The API"): the only module that knows URLs. Same-origin
//! requests to the sandbox, bearer token in the `Authorization` header, errors read as the
//! server's [`ApiError`] envelope. The token is passed in by the caller, which keeps it in memory
//! only — never in localStorage, sessionStorage or cookies.
//!
//! Components never call these functions directly: they go through [`FlowApi`], so browser tests
//! can hand the app a fake server.

use gloo_net::http::{Request, RequestBuilder, Response};
use payout_model::{ApiError, ErrorCode, FlowState, NewSession, Session, StepName};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

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
}

/// What the app asks of the server. [`HttpApi`] is the real one; tests supply fakes.
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
}

/// The sandbox's flow endpoints, same-origin over `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpApi;

impl FlowApi for HttpApi {
    fn create_session(&self, new: NewSession) -> LocalFuture<Result<Session, ApiFailure>> {
        Box::pin(async move {
            let request = Request::post("/api/flow/sessions")
                .json(&new)
                .map_err(|e| ApiFailure::Network(e.to_string()))?;
            read(request.send().await).await
        })
    }

    fn flow_state(&self, token: String) -> LocalFuture<Result<FlowState, ApiFailure>> {
        Box::pin(async move {
            let request = bearer(Request::get("/api/flow/state"), &token);
            read(request.send().await).await
        })
    }

    fn complete_step(
        &self,
        token: String,
        step: StepName,
    ) -> LocalFuture<Result<FlowState, ApiFailure>> {
        Box::pin(async move {
            let url = format!("/api/flow/steps/{}/complete", step.as_str());
            let request = bearer(Request::post(&url), &token);
            read(request.send().await).await
        })
    }
}

fn bearer(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header("Authorization", &format!("Bearer {token}"))
}

/// Turns a fetch result into the body as `T` or a typed failure.
async fn read<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, ApiFailure> {
    let response = sent.map_err(|e| ApiFailure::Network(e.to_string()))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiFailure::Api(ApiError::new(
                ErrorCode::Internal,
                format!("unreadable answer from the server: {e}"),
            ))
        });
    }
    let status = response.status();
    Err(ApiFailure::Api(
        response.json::<ApiError>().await.unwrap_or_else(|_| {
            ApiError::new(
                ErrorCode::Internal,
                format!("the server answered {status} without an error body"),
            )
        }),
    ))
}
