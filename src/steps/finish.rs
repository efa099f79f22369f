//! Finishing a step: [`ContinueButton`] records the step on the server, tells the host and moves
//! on; [`RecordedContinue`] does the same after a form whose answer already recorded the step
//! (compliance, id-verification, background-check); [`record_step`] and [`RecordStatus`] do the
//! recording alone, for steps that keep the user on screen (`hide_continue_button`).
//!
//! Order matters, as in the redirect step: the server records the step first, so the host never
//! hears of a step the server does not know; only then `step_completed` (and `completed` when no
//! step is left) is posted, in one call ([`crate::bridge::Bridge::step_finished`]), and the
//! shell routes on the flow's new state.

use crate::api::ApiFailure;
use crate::context::{use_services, FlowServices};
use crate::i18n::{failure_details, keep};
use crate::requests::Sender;
use crate::t;
use crate::ui::{Button, ErrorAlert, Spinner};
use leptos::prelude::*;
use payout_model::{FlowState, StepName, StepStatus};

/// Records `step`, posts `step_completed` with `status` (and `completed` when it was the last
/// step), then shows the next screen.
pub async fn finish_step(
    services: &FlowServices,
    step: StepName,
    status: StepStatus,
) -> Result<(), ApiFailure> {
    let flow = (services.complete_step)(step).await?;
    finish_recorded(services, step, status, flow);
    Ok(())
}

/// For a step the server has already recorded (its form's answer carried the flow): posts
/// `step_completed` with `status` (and `completed` when no step is left), then shows the next
/// screen for `flow`.
pub fn finish_recorded(
    services: &FlowServices,
    step: StepName,
    status: StepStatus,
    flow: FlowState,
) {
    let flow_done = flow.next_step().is_none();
    services.bridge.step_finished(step, status, flow_done, None);
    (services.advance)(flow);
}

/// Records `step` and posts `step_completed` (`completed`) without leaving it: a step with
/// `hide_continue_button` after each saved change.
pub async fn record_step(services: &FlowServices, step: StepName) -> Result<(), ApiFailure> {
    (services.complete_step)(step).await?;
    services.bridge.step_completed(step, StepStatus::Completed);
    Ok(())
}

/// Where recording a step stands: the action the recordings go through (saving while one is in
/// flight), and why the last one failed, until one succeeds.
#[derive(Clone, Copy)]
pub struct Recording {
    sender: Sender,
    failed: RwSignal<Option<ApiFailure>>,
}

impl Recording {
    /// Nothing recorded yet, owned by the current component.
    pub fn new() -> Self {
        Recording {
            sender: Sender::new(),
            failed: RwSignal::new(None),
        }
    }

    /// Whether the server is recording the step (tracked).
    fn saving(self) -> bool {
        self.sender.pending().get()
    }

    /// Runs `record` through the action; its failure stays shown until a recording succeeds.
    fn run(self, record: impl std::future::Future<Output = Result<(), ApiFailure>> + 'static) {
        self.failed.set(None);
        self.sender
            .send(record, move |answer| self.failed.set(answer.err()));
    }
}

impl Default for Recording {
    fn default() -> Self {
        Recording::new()
    }
}

/// "Saving your progress…" or "We couldn't save your progress" with a retry, for `state`.
#[component]
pub fn RecordStatus(
    /// What the recording does.
    state: Recording,
    /// Records again.
    #[prop(into)]
    on_retry: UnsyncCallback<()>,
    /// `data-testid` prefix: `{testid}-saving`, `{testid}-error`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    move || match (state.saving(), state.failed.get()) {
        (false, None) => ().into_any(),
        (true, _) => view! {
            <p class="pf-status" role="status" data-testid=format!("{testid}-saving")>
                <Spinner />
                {t!(saving_progress)}
            </p>
        }
        .into_any(),
        (false, Some(failure)) => view! {
            <ErrorAlert
                message=t!(save_progress_failed)
                details=failure_details(&failure)
                testid=format!("{testid}-error")
                on_retry=on_retry
            />
        }
        .into_any(),
    }
}

/// "Continue": records `step` and moves on. Disabled while `ready` is false, with `reason`
/// shown under it (and read with it).
#[component]
pub fn ContinueButton(
    /// The step to record.
    step: StepName,
    /// Whether the step can be completed.
    #[prop(into)]
    ready: Signal<bool>,
    /// Why it cannot yet (`Add a payout method to continue.`).
    #[prop(into)]
    reason: String,
    /// How the step ended, for `step_completed`.
    #[prop(optional, into)]
    status: Option<Signal<StepStatus>>,
    /// `data-testid` of the button; the reason is `{testid}-reason`, the error
    /// `{testid}-error`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    // Kept across a change of language: a recording in flight stays in flight (not recorded
    // twice by a second click).
    let (services, state) = keep(&format!("continue:{testid}"), || {
        (use_services(), Recording::new())
    });
    let go = move || {
        // Double-click safe: one recording at a time.
        if !ready.get_untracked() || state.sender.is_pending() {
            return;
        }
        let status = status.map_or(StepStatus::Completed, |s| s.get_untracked());
        let services = services.clone();
        state.run(async move { finish_step(&services, step, status).await });
    };
    // Kept in the page (empty once ready): the button's aria-describedby names it.
    let reason_id = format!("{testid}-reason");
    let reason_view = view! {
        <p class="pf-details" id=reason_id.clone() data-testid=format!("{testid}-reason")>
            {move || if ready.get() { String::new() } else { reason.clone() }}
        </p>
    };
    let go = UnsyncCallback::new(move |()| go());
    view! {
        <div class="pf-continue">
            <RecordStatus state=state on_retry=go testid=testid.clone() />
            <div class="pf-actions">
                <Button
                    label=t!(continue_step)
                    on_click=go
                    testid=testid.clone()
                    disabled=Signal::derive(move || !ready.get())
                    busy=Signal::derive(move || state.saving())
                    described_by=reason_id
                />
            </div>
            {reason_view}
        </div>
    }
}

/// "Continue" after a form whose answer recorded `step` on the server and carried `flow`: tells
/// the host and moves on. Should `flow` not list the step as completed (the server did not
/// record it), the step is recorded first, like [`ContinueButton`].
#[component]
pub fn RecordedContinue(
    /// The step the form completed.
    step: StepName,
    /// The flow as the form's answer carried it.
    flow: FlowState,
    /// `data-testid` of the button; a recording error is `{testid}-error`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    let (services, state) = keep(&format!("recorded:{testid}"), || {
        (use_services(), Recording::new())
    });
    let flow = StoredValue::new(flow);
    let go = UnsyncCallback::new(move |()| {
        if state.sender.is_pending() {
            return;
        }
        let flow = flow.get_value();
        if flow.completed_steps.contains(&step) {
            finish_recorded(&services, step, StepStatus::Completed, flow);
        } else {
            let services = services.clone();
            state.run(async move { finish_step(&services, step, StepStatus::Completed).await });
        }
    });
    view! {
        <div class="pf-continue">
            <RecordStatus state=state on_retry=go testid=testid.clone() />
            <div class="pf-actions">
                <Button
                    label=t!(continue_step)
                    on_click=go
                    testid=testid.clone()
                    busy=Signal::derive(move || state.saving())
                />
            </div>
        </div>
    }
}

/// Records `step` in the background for a step that keeps the user on screen, tracked in
/// `state` (a retry reruns it). Each saved change runs one, so each posts its `step_completed`.
pub fn record_in_background(services: &FlowServices, step: StepName, state: Recording) {
    let services = services.clone();
    state.run(async move { record_step(&services, step).await });
}
