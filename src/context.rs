//! What steps can ask of the world outside their own screen: record a step on the server, tell
//! the host, leave the flow. The app shell provides real [`FlowServices`]; browser tests provide
//! fakes, so a step is tested without a server and without leaving the test page.
//!
//! The services hold `Rc`s and browser objects, which are not `Send`; they live in a local
//! [`StoredValue`] whose handle is the (copyable, `Send`) context.

use crate::api::{ApiFailure, LocalFuture};
use crate::bridge::Bridge;
use leptos::prelude::*;
use payout_model::{FlowState, StepName};
use std::rc::Rc;

/// Records a step as completed and answers the flow's new state.
pub type CompleteStep = Rc<dyn Fn(StepName) -> LocalFuture<Result<FlowState, ApiFailure>>>;

/// Leaves the flow for an (already checked) http(s) URL.
pub type Navigate = Rc<dyn Fn(&str)>;

/// The services a step uses.
#[derive(Clone)]
pub struct FlowServices {
    /// Messages to the host window.
    pub bridge: Bridge,
    /// Records a step on the server. When the session has expired the shell has already
    /// switched to its session-expired screen by the time this answers.
    pub complete_step: CompleteStep,
    /// Leaves the flow (the top window when embedded).
    pub navigate: Navigate,
    /// "Go to dashboard" on the done screen.
    pub go_to_dashboard: Rc<dyn Fn()>,
}

/// The context handle for [`FlowServices`].
#[derive(Clone, Copy)]
struct ServicesHandle(StoredValue<FlowServices, LocalStorage>);

/// Makes `services` available to the components below the current owner.
pub fn provide_services(services: FlowServices) {
    provide_context(ServicesHandle(StoredValue::new_local(services)));
}

/// The services provided by [`provide_services`].
///
/// # Panics
/// When no ancestor provided them: a wiring mistake, caught by the first test that mounts
/// the component.
pub fn use_services() -> FlowServices {
    expect_context::<ServicesHandle>().0.get_value()
}
