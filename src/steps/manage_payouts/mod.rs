//! The manage-payouts step (DESIGN.md "manage-payouts", seed 000): the user's payout methods
//! with their labels and a Default badge; add one (PayPal, Venmo, Cash App, bank account by
//! ACH), remove one (after a confirmation), make one the default.
//!
//! **Continue** records the step and posts `step_completed` with status `completed`, or
//! `completed-saved` when the user changed nothing during this visit (what Dots hosts read); it
//! is disabled, with the reason shown, until the user has a method (the server refuses to
//! record the step without one).
//!
//! **`hide_continue_button`** keeps the user here (for hosts that embed the step as a settings
//! page): there is no Continue. Each saved change — a method added, removed or made default —
//! records the step on the server (when at least one method is left) and posts
//! `step_completed` `{step: "manage-payouts", status: "completed"}` — the host window learns
//! of each change; the server's flow records the step once, at the first (`completed_steps`,
//! one `flow.updated`) — but the screen never moves on. When the step is the flow's last, the
//! server keeps taking its changes after the flow completes ([`payout_model::FlowState::kept_step`]).
//!
//! [`list`] holds what a saved change does to the list (pure, unit tested); [`row`] one method's
//! row; this module wires them to the server: the list is a resource, edited in place after each
//! saved change (read again instead when it was not shown: still loading, or its load failed),
//! and the rows' requests go through one action, which says which method is busy.

pub(crate) mod list;
mod row;

use crate::api::{removed_or_gone, ApiFailure, LocalFuture};
use crate::context::{use_services, FlowServices};
use crate::forms::method_label;
use crate::i18n::{failure_details, localized, step_title, Worded};
use crate::requests::{fetched, reload, Fetched, Sender};
use crate::steps::{
    record_in_background, AddMethodForm, ContinueButton, LoadedList, RecordStatus, Recording,
};
use crate::t;
use crate::ui::{focus_id_soon, focus_node, ErrorAlert, ScreenCard};
use leptos::html;
use leptos::prelude::*;
use list::{apply, records_step, Change};
use payout_model::money::PayoutMethod;
use payout_model::{StepName, StepStatus};
use row::{method_row, Row};
use uuid::Uuid;

/// What a row's button asks of the server.
#[derive(Clone, Copy)]
enum Action {
    MakeDefault,
    Remove,
}

impl Action {
    /// The alert when the server refuses it.
    fn failed(self) -> &'static str {
        match self {
            Action::MakeDefault => t!(make_default_failed),
            Action::Remove => t!(remove_method_failed),
        }
    }
}

/// The step's signals, copied into every handler.
#[derive(Clone, Copy)]
struct State {
    methods: Fetched<Vec<PayoutMethod>>,
    changed: RwSignal<bool>,
    notice: RwSignal<Option<Worded>>,
    actions: Sender,
    confirming: RwSignal<Option<Uuid>>,
    action_error: RwSignal<Option<(Action, ApiFailure)>>,
    recording: Recording,
    list_heading: NodeRef<html::H2>,
    hide_continue_button: bool,
}

impl State {
    fn new(services: &FlowServices, hide_continue_button: bool) -> Self {
        let api = services.api.clone();
        State {
            methods: fetched(move || {
                let call = api.payout_methods();
                Box::pin(async move { call.await.map(|list| list.data) })
            }),
            changed: RwSignal::new(false),
            notice: RwSignal::new(None),
            actions: Sender::new(),
            confirming: RwSignal::new(None),
            action_error: RwSignal::new(None),
            recording: Recording::new(),
            list_heading: NodeRef::new(),
            hide_continue_button,
        }
    }

    /// A change the server has saved: show it, say so, and record the step when the step keeps
    /// the user here. A method added while the list is not shown (still loading, or its load
    /// failed) is read with the rest, so the others are not hidden behind it.
    fn saved(self, services: &FlowServices, change: Change, notice: Worded) {
        let (mut left, mut read_again) = (0, false);
        self.methods.update(|load| {
            let list = match (load.take(), change) {
                (Some(Ok(list)), change) => apply(list, change),
                (_, Change::Replaced { fresh, .. }) => fresh,
                (unread, change) => {
                    *load = unread;
                    read_again = matches!(change, Change::Added(_));
                    left = usize::from(read_again);
                    return;
                }
            };
            left = list.len();
            *load = Some(Ok(list));
        });
        if read_again {
            reload(self.methods);
        }
        self.changed.try_set(true);
        self.action_error.try_set(None);
        self.notice.try_set(Some(notice));
        if records_step(self.hide_continue_button, left) {
            record_in_background(services, StepName::ManagePayouts, self.recording);
        }
    }

    fn make_default(self, services: &FlowServices, method: PayoutMethod) {
        let call = services.api.make_default_payout_method(method.id);
        // What the list shows as the choice is sent: a method shown later and missing from the
        // answer was added meanwhile ([`Change::Replaced`]).
        let known: Vec<Uuid> = self
            .methods
            .try_with_untracked(|load| match load {
                Some(Ok(list)) => list.iter().map(|m| m.id).collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        self.act(
            services,
            method,
            call,
            Action::MakeDefault,
            move |list, method| {
                let notice =
                    Worded::new(move || t!(method_made_default, label = method_label(&method)));
                (
                    Change::Replaced {
                        fresh: list.data,
                        known,
                    },
                    notice,
                )
            },
        );
    }

    fn remove(self, services: &FlowServices, method: PayoutMethod) {
        let call = removed_or_gone(services.api.remove_payout_method(method.id));
        self.act(services, method, call, Action::Remove, |(), method| {
            let label = method.clone();
            let notice = Worded::new(move || t!(method_removed, label = method_label(&label)));
            (Change::Removed(method), notice)
        });
    }

    /// Sends `call` for `method` through the rows' action, unless a request is in flight; its
    /// success is the change `done` makes of the answer, its failure the alert of `kind`.
    fn act<T: 'static>(
        self,
        services: &FlowServices,
        method: PayoutMethod,
        call: LocalFuture<Result<T, ApiFailure>>,
        kind: Action,
        done: impl FnOnce(T, PayoutMethod) -> (Change, Worded) + 'static,
    ) {
        if self.actions.is_pending() {
            return;
        }
        let (services, method_id) = (services.clone(), method.id);
        self.actions.send_for(method.id, call, move |result| {
            if matches!(kind, Action::Remove) {
                // The removal's confirmation closes whichever way it went.
                self.confirming.try_set(None);
            }
            match result {
                Ok(answer) => {
                    let (change, notice) = done(answer, method);
                    self.saved(&services, change, notice);
                    focus_node(self.list_heading);
                }
                Err(failure) => {
                    self.action_error.try_set(Some((kind, failure)));
                    // A removal's panel, with the focused button, is gone: back to the row's
                    // Remove (Make default keeps the focus: busy, it stays enabled).
                    if matches!(kind, Action::Remove) {
                        focus_id_soon(format!("method-{}-remove", method_id));
                    }
                }
            }
        });
    }
}

/// Lists, adds, removes and picks the default payout method.
#[component]
pub fn ManagePayoutsStep(
    /// Keep the user on this step: no Continue; each saved change is reported instead.
    hide_continue_button: bool,
) -> impl IntoView {
    let services = use_services();
    let state = State::new(&services, hide_continue_button);
    let on = |f: fn(State, &FlowServices, PayoutMethod)| {
        let services = services.clone();
        UnsyncCallback::new(move |method: PayoutMethod| f(state, &services, method))
    };
    let (make_default, remove) = (on(State::make_default), on(State::remove));
    // What the add form's lost-answer lookup leaves out.
    let shown_ids = Signal::derive(move || {
        state.methods.with(|load| match load {
            Some(Ok(list)) => Some(list.iter().map(|m| m.id).collect()),
            _ => None,
        })
    });
    let on_added = {
        let services = services.clone();
        UnsyncCallback::new(move |method: PayoutMethod| {
            let label = method.clone();
            let notice = Worded::new(move || t!(method_added, label = method_label(&label)));
            state.saved(&services, Change::Added(method), notice);
        })
    };
    let record = {
        let services = services.clone();
        UnsyncCallback::new(move |()| {
            record_in_background(&services, StepName::ManagePayouts, state.recording)
        })
    };
    let has_methods = Signal::derive(move || {
        state
            .methods
            .with(|load| matches!(load, Some(Ok(list)) if !list.is_empty()))
    });
    let row = Row {
        methods: state.methods,
        busy: state.actions.working_on(),
        confirming: state.confirming,
        make_default,
        remove,
    };

    let finish = move || {
        if hide_continue_button {
            view! { <RecordStatus state=state.recording on_retry=record testid="manage-payouts-record" /> }
                .into_any()
        } else {
            let changed = state.changed;
            view! {
                <ContinueButton
                    step=StepName::ManagePayouts
                    ready=has_methods
                    reason=t!(add_method_to_continue)
                    status=Signal::derive(move || {
                        if changed.get() { StepStatus::Completed } else { StepStatus::CompletedSaved }
                    })
                    testid="manage-payouts-continue"
                />
            }
            .into_any()
        }
    };

    localized(move || {
        view! {
            <ScreenCard testid="step-manage-payouts" title=step_title(StepName::ManagePayouts)>
                <p class="pf-body">{t!(manage_payouts_intro)}</p>
                <p class="pf-notice" role="status" data-testid="payout-methods-notice">
                    {move || state.notice.get().map(|notice| notice.text())}
                </p>
                <section class="pf-section" aria-labelledby="pf-methods-heading">
                    <h2
                        class="pf-subtitle"
                        id="pf-methods-heading"
                        tabindex="-1"
                        node_ref=state.list_heading
                    >
                        {t!(your_methods)}
                    </h2>
                    <LoadedList
                        items=state.methods
                        key=|m: &PayoutMethod| m.id
                        row=move |method| method_row(method, row)
                        testid="payout-methods"
                        loading=t!(loading_methods)
                        failed=t!(load_methods_failed)
                        empty=t!(no_methods)
                    />
                    {move || {
                        state
                            .action_error
                            .get()
                            .map(|(kind, failure)| {
                                view! {
                                    <ErrorAlert
                                        message=kind.failed()
                                        details=failure_details(&failure)
                                        testid="payout-methods-action-error"
                                    />
                                }
                            })
                    }}
                </section>
                <section class="pf-section" aria-labelledby="pf-add-method-heading">
                    <h2 class="pf-subtitle" id="pf-add-method-heading">
                        {t!(add_method_heading)}
                    </h2>
                    <AddMethodForm on_added=on_added shown=shown_ids />
                </section>
                {finish()}
            </ScreenCard>
        }
    })
}
