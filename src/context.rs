//! What steps can ask of the world outside their own screen: record a step on the server, call
//! the flow's API with the session, tell the host, move on to the next screen, wait, leave the
//! flow. The app shell provides real [`FlowServices`]; browser tests provide fakes, so a step is
//! tested without a server, without real time passing and without leaving the test page.
//!
//! The services hold `Rc`s and browser objects, which are not `Send`; they live in a local
//! [`StoredValue`] whose handle is the (copyable, `Send`) context.

use crate::api::{ApiFailure, BankAccountList, Client, LocalFuture};
use crate::bridge::Bridge;
use leptos::prelude::*;
use payout_model::identity::{
    BackgroundCheck, CodeCheck, CodeSent, Compliance, DocumentSide, IdVerification,
    NewBackgroundCheck, NewCode, NewCompliance, NewProfile, SignIn, Submitted, UploadedDocument,
};
use payout_model::money::{
    BankAccount, FlowWallet, NewBankAccount, NewFlowPayout, NewPayoutMethod, PayoutMethod,
    PayoutMethodList, Transfer,
};
use payout_model::{ErrorCode, FlowState, StepName};
use std::rc::Rc;
use std::time::Duration;
use uuid::Uuid;

/// Records a step as completed and answers the flow's new state.
pub type CompleteStep = Rc<dyn Fn(StepName) -> LocalFuture<Result<FlowState, ApiFailure>>>;

/// Leaves the flow for an (already checked) http(s) URL.
pub type Navigate = Rc<dyn Fn(&str)>;

/// Resolves after a while (a browser timer; tests resolve it when they choose).
pub type Sleep = Rc<dyn Fn(Duration) -> LocalFuture<()>>;

/// The services a step uses.
#[derive(Clone)]
pub struct FlowServices {
    /// Messages to the host window.
    pub bridge: Bridge,
    /// Records a step on the server. When the session has expired the shell has already
    /// switched to its session-expired screen by the time this answers.
    pub complete_step: CompleteStep,
    /// The flow-facing endpoints with the session's token.
    pub api: SessionApi,
    /// Shows the screen for the flow's new state (after a step was recorded and the user has
    /// seen its outcome).
    pub advance: Rc<dyn Fn(FlowState)>,
    /// The session now acts for a signed-in user: the shell routes on `flow` as authenticated.
    pub signed_in: Rc<dyn Fn(FlowState)>,
    /// Waits, for refreshing a pending payout and for the one-time code's resend countdown.
    pub sleep: Sleep,
    /// Leaves the flow (the top window when embedded).
    pub navigate: Navigate,
    /// "Go to dashboard" on the done screen; none where it would lead nowhere (standalone in a
    /// tab opened on its own, no native app): the button is not shown then.
    pub go_to_dashboard: Option<Rc<dyn Fn()>>,
}

/// The flow-facing API as steps call it: the server with the session's bearer token filled in.
/// Each method is the [`Client`] method of the same name.
/// Every failure is first shown to `on_failure` (the shell switches to its session-expired
/// screen there), then answered to the step.
#[derive(Clone)]
pub struct SessionApi {
    api: Client,
    token: Rc<dyn Fn() -> String>,
    on_failure: Rc<dyn Fn(&ApiFailure)>,
}

impl SessionApi {
    /// `api` called with the token `token()` answers at call time.
    pub fn new(
        api: Client,
        token: impl Fn() -> String + 'static,
        on_failure: impl Fn(&ApiFailure) + 'static,
    ) -> Self {
        SessionApi {
            api,
            token: Rc::new(token),
            on_failure: Rc::new(on_failure),
        }
    }

    /// `api` with a fixed token and nothing watching failures (tests).
    pub fn with_token(api: Client, token: &str) -> Self {
        let token = token.to_owned();
        Self::new(api, move || token.clone(), |_| {})
    }

    /// These endpoints tied to the current component ([`Client::scoped`]): its requests in
    /// flight are aborted when it goes away. [`use_services`] hands every component its own.
    pub fn scoped(&self) -> Self {
        SessionApi {
            api: self.api.scoped(),
            ..self.clone()
        }
    }

    fn guard<T: 'static>(
        &self,
        call: LocalFuture<Result<T, ApiFailure>>,
    ) -> LocalFuture<Result<T, ApiFailure>> {
        let (on_failure, api) = (self.on_failure.clone(), self.api.clone());
        Box::pin(async move {
            let result = call.await;
            match &result {
                // Aborted because the screen went away: nobody is left to tell.
                Err(_) if api.aborted() => {}
                Err(failure) => on_failure(failure),
                Ok(_) => {}
            }
            result
        })
    }

    /// `sent`, a submit that completes `step`; after a failure that may have taken effect (no
    /// answer, a 5xx), or a refusal because the step is complete already (`step_not_allowed`:
    /// a submit sent again after such a loss), the outcome the server kept: the flow then
    /// showing `step` completed, what `read` reads, answered as the lost answer would have
    /// been. Else the failure: without this, a user whose answer was lost would be left on a
    /// screen every submit of which the server refuses for good, the work done but never
    /// shown.
    pub fn submitted_or_kept<T: 'static>(
        &self,
        sent: LocalFuture<Result<Submitted<T>, ApiFailure>>,
        step: StepName,
        read: impl FnOnce(&SessionApi) -> LocalFuture<Result<Option<T>, ApiFailure>> + 'static,
    ) -> LocalFuture<Result<Submitted<T>, ApiFailure>> {
        let api = self.clone();
        Box::pin(async move {
            let failure = match sent.await {
                Err(failure) => failure,
                answer => return answer,
            };
            let completed_meanwhile = matches!(&failure,
                ApiFailure::Api(e) if e.code == ErrorCode::StepNotAllowed);
            if failure.may_have_happened() || completed_meanwhile {
                if let Ok(flow) = api.flow_state().await {
                    if flow.completed_steps.contains(&step) {
                        if let Ok(Some(data)) = read(&api).await {
                            return Ok(Submitted { data, flow });
                        }
                    }
                }
            }
            Err(failure)
        })
    }

    /// The flow as it now stands, when `answer` is a refusal as not `step`'s (403
    /// `step_not_allowed`) and the flow's current step is another: its route moved since the
    /// app read it (tax data came due, or stopped being due, as the balance changed), and every
    /// retry would be refused alike, so the shell should show the step that comes now. Else
    /// none: the answer is the step's to show (a refusal of another kind, or one the step
    /// itself explains, such as a second payout method).
    pub fn route_moved<T>(
        &self,
        answer: &Result<T, ApiFailure>,
        step: StepName,
    ) -> LocalFuture<Option<FlowState>> {
        let refused = matches!(answer,
            Err(ApiFailure::Api(e)) if e.code == ErrorCode::StepNotAllowed);
        let api = self.clone();
        Box::pin(async move {
            if !refused {
                return None;
            }
            let flow = api.flow_state().await.ok()?;
            (flow.next_step().map(payout_model::Step::name) != Some(step)).then_some(flow)
        })
    }

    /// See [`Client::flow_state`].
    pub fn flow_state(&self) -> LocalFuture<Result<FlowState, ApiFailure>> {
        self.guard(self.api.flow_state((self.token)()))
    }

    /// See [`Client::wallet`].
    pub fn wallet(&self) -> LocalFuture<Result<FlowWallet, ApiFailure>> {
        self.guard(self.api.wallet((self.token)()))
    }

    /// See [`Client::payout_methods`].
    pub fn payout_methods(&self) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        self.guard(self.api.payout_methods((self.token)()))
    }

    /// See [`Client::add_payout_method`].
    pub fn add_payout_method(
        &self,
        new: NewPayoutMethod,
    ) -> LocalFuture<Result<PayoutMethod, ApiFailure>> {
        self.guard(self.api.add_payout_method((self.token)(), new))
    }

    /// See [`Client::remove_payout_method`].
    pub fn remove_payout_method(&self, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        self.guard(self.api.remove_payout_method((self.token)(), id))
    }

    /// See [`Client::make_default_payout_method`].
    pub fn make_default_payout_method(
        &self,
        id: Uuid,
    ) -> LocalFuture<Result<PayoutMethodList, ApiFailure>> {
        self.guard(self.api.make_default_payout_method((self.token)(), id))
    }

    /// See [`Client::bank_accounts`].
    pub fn bank_accounts(&self) -> LocalFuture<Result<BankAccountList, ApiFailure>> {
        self.guard(self.api.bank_accounts((self.token)()))
    }

    /// See [`Client::add_bank_account`].
    pub fn add_bank_account(
        &self,
        new: NewBankAccount,
    ) -> LocalFuture<Result<BankAccount, ApiFailure>> {
        self.guard(self.api.add_bank_account((self.token)(), new))
    }

    /// See [`Client::remove_bank_account`].
    pub fn remove_bank_account(&self, id: Uuid) -> LocalFuture<Result<(), ApiFailure>> {
        self.guard(self.api.remove_bank_account((self.token)(), id))
    }

    /// See [`Client::create_payout`].
    pub fn create_payout(&self, new: NewFlowPayout) -> LocalFuture<Result<Transfer, ApiFailure>> {
        self.guard(self.api.create_payout((self.token)(), new))
    }

    /// See [`Client::transfer`].
    pub fn transfer(&self, id: Uuid) -> LocalFuture<Result<Transfer, ApiFailure>> {
        self.guard(self.api.transfer((self.token)(), id))
    }

    /// See [`Client::send_code`].
    pub fn send_code(&self, new: NewCode) -> LocalFuture<Result<CodeSent, ApiFailure>> {
        self.guard(self.api.send_code((self.token)(), new))
    }

    /// See [`Client::verify_code`].
    pub fn verify_code(&self, check: CodeCheck) -> LocalFuture<Result<SignIn, ApiFailure>> {
        self.guard(self.api.verify_code((self.token)(), check))
    }

    /// See [`Client::create_profile`].
    pub fn create_profile(&self, new: NewProfile) -> LocalFuture<Result<SignIn, ApiFailure>> {
        self.guard(self.api.create_profile((self.token)(), new))
    }

    /// See [`Client::compliance`].
    pub fn compliance(&self) -> LocalFuture<Result<Option<Compliance>, ApiFailure>> {
        self.guard(self.api.compliance((self.token)()))
    }

    /// See [`Client::submit_compliance`].
    pub fn submit_compliance(
        &self,
        new: NewCompliance,
    ) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>> {
        self.guard(self.api.submit_compliance((self.token)(), new))
    }

    /// See [`Client::id_verification`].
    pub fn id_verification(&self) -> LocalFuture<Result<IdVerification, ApiFailure>> {
        self.guard(self.api.id_verification((self.token)()))
    }

    /// See [`Client::upload_document`].
    pub fn upload_document(
        &self,
        side: DocumentSide,
        image: web_sys::Blob,
    ) -> LocalFuture<Result<UploadedDocument, ApiFailure>> {
        self.guard(self.api.upload_document((self.token)(), side, image))
    }

    /// See [`Client::submit_id_verification`].
    pub fn submit_id_verification(
        &self,
    ) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>> {
        self.guard(self.api.submit_id_verification((self.token)()))
    }

    /// See [`Client::background_check`].
    pub fn background_check(&self) -> LocalFuture<Result<Option<BackgroundCheck>, ApiFailure>> {
        self.guard(self.api.background_check((self.token)()))
    }

    /// See [`Client::submit_background_check`].
    pub fn submit_background_check(
        &self,
        new: NewBackgroundCheck,
    ) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>> {
        self.guard(self.api.submit_background_check((self.token)(), new))
    }
}

/// The context handle for [`FlowServices`].
#[derive(Clone, Copy)]
struct ServicesHandle(StoredValue<FlowServices, LocalStorage>);

/// Makes `services` available to the components below the current owner.
pub fn provide_services(services: FlowServices) {
    provide_context(ServicesHandle(StoredValue::new_local(services)));
}

/// The services provided by [`provide_services`], their endpoints tied to the calling
/// component: its requests still in flight when it is cleaned up are aborted.
///
/// # Panics
/// When no ancestor provided them: a wiring mistake, caught by the first test that mounts
/// the component.
pub fn use_services() -> FlowServices {
    let mut services = expect_context::<ServicesHandle>().0.get_value();
    // Inside a view drawn again on a change of language, the requests belong to the component
    // that draws it: a redraw must not abort them.
    services.api = match crate::i18n::kept_owner() {
        Some(owner) => owner.with(|| services.api.scoped()),
        None => services.api.scoped(),
    };
    services
}
