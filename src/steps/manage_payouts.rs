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
//! `step_completed` `{step: "manage-payouts", status: "completed"}` — the host learns of each
//! change, and its server state (`completed_steps`, webhooks) too — but the screen never moves
//! on. The step is then recorded, so a later visit routes past it like any completed step.

use crate::context::use_services;
use crate::i18n::{step_title, t, tr, Key};
use crate::steps::{
    record_in_background, AddMethodForm, ContinueButton, Load, LoadedList, RecordStatus, Recording,
};
use crate::ui::{focus_node, Badge, Button, ButtonVariant, ConfirmPanel, ErrorAlert, ScreenCard};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::money::PayoutMethod;
use payout_model::{StepName, StepStatus};
use uuid::Uuid;

/// Lists, adds, removes and picks the default payout method.
#[component]
pub fn ManagePayoutsStep(
    /// Keep the user on this step: no Continue; each saved change is reported instead.
    hide_continue_button: bool,
) -> impl IntoView {
    let services = use_services();
    let methods = RwSignal::new(Load::<Vec<PayoutMethod>>::Loading);
    let changed = RwSignal::new(false);
    let notice = RwSignal::new(String::new());
    let busy = RwSignal::new(None::<Uuid>);
    let confirming = RwSignal::new(None::<Uuid>);
    let action_error = RwSignal::new(None::<(Key, String)>);
    let recording = RwSignal::new(Recording::Idle);
    let list_heading = NodeRef::<html::H2>::new();

    let load = {
        let api = services.api.clone();
        UnsyncCallback::new(move |()| {
            methods.set(Load::Loading);
            let call = api.payout_methods();
            spawn_local(async move {
                methods.try_set(match call.await {
                    Ok(list) => Load::Ready(list.data),
                    Err(failure) => Load::Failed(failure.message().to_owned()),
                });
            });
        })
    };
    load.run(());

    let has_methods =
        Signal::derive(move || matches!(methods.get(), Load::Ready(list) if !list.is_empty()));
    let record = {
        let services = services.clone();
        UnsyncCallback::new(move |()| {
            record_in_background(&services, StepName::ManagePayouts, recording)
        })
    };
    // A change the server has saved: say so, and report it when the step keeps the user here.
    let saved_change = UnsyncCallback::new(move |text: String| {
        changed.set(true);
        action_error.set(None);
        notice.set(text);
        if hide_continue_button && has_methods.get_untracked() {
            record.run(());
        }
    });

    let on_added = UnsyncCallback::new(move |method: PayoutMethod| {
        let text = tr(Key::MethodAdded, &[("label", &method.label)]);
        methods.update(|load| {
            let mut list = match std::mem::replace(load, Load::Loading) {
                Load::Ready(list) => list,
                _ => Vec::new(),
            };
            if method.default {
                list.iter_mut().for_each(|m| m.default = false);
            }
            list.push(method);
            *load = Load::Ready(list);
        });
        saved_change.run(text);
    });

    let make_default = {
        let api = services.api.clone();
        UnsyncCallback::new(move |method: PayoutMethod| {
            if busy.get_untracked().is_some() {
                return;
            }
            busy.set(Some(method.id));
            let call = api.make_default_payout_method(method.id);
            spawn_local(async move {
                let result = call.await;
                busy.try_set(None);
                match result {
                    Ok(list) => {
                        methods.try_set(Load::Ready(list.data));
                        saved_change.run(tr(Key::MethodMadeDefault, &[("label", &method.label)]));
                        focus_node(list_heading);
                    }
                    Err(failure) => {
                        action_error
                            .try_set(Some((Key::MakeDefaultFailed, failure.message().to_owned())));
                    }
                }
            });
        })
    };

    let remove = {
        let api = services.api.clone();
        UnsyncCallback::new(move |method: PayoutMethod| {
            if busy.get_untracked().is_some() {
                return;
            }
            busy.set(Some(method.id));
            let call = api.remove_payout_method(method.id);
            spawn_local(async move {
                let result = call.await;
                busy.try_set(None);
                confirming.try_set(None);
                match result {
                    Ok(()) => {
                        methods.try_update(|load| {
                            if let Load::Ready(list) = load {
                                list.retain(|m| m.id != method.id);
                                // The server passes a removed default to the oldest remaining.
                                if method.default {
                                    if let Some(oldest) = list.first_mut() {
                                        oldest.default = true;
                                    }
                                }
                            }
                        });
                        saved_change.run(tr(Key::MethodRemoved, &[("label", &method.label)]));
                        focus_node(list_heading);
                    }
                    Err(failure) => {
                        action_error.try_set(Some((
                            Key::RemoveMethodFailed,
                            failure.message().to_owned(),
                        )));
                    }
                }
            });
        })
    };

    let row = move |method: PayoutMethod| {
        let id = method.id;
        let label_id = format!("method-{id}-label");
        let remove_button = NodeRef::<html::Button>::new();
        // The row's method as it is now (its default flag changes without the row re-mounting).
        let current = move || {
            methods.with(|load| match load {
                Load::Ready(list) => list.iter().find(|m| m.id == id).cloned(),
                _ => None,
            })
        };
        let is_default = move || current().is_some_and(|m| m.default);
        let actions_disabled = Signal::derive(move || busy.get().is_some());
        let make_default_button = {
            let label_id = label_id.clone();
            move || {
                (!is_default()).then(|| {
                    view! {
                        <Button
                            label=t(Key::MakeDefault)
                            on_click=move || {
                                if let Some(m) = current() {
                                    make_default.run(m);
                                }
                            }
                            testid="payout-method-make-default"
                            variant=ButtonVariant::Secondary
                            disabled=actions_disabled
                            described_by=label_id.clone()
                        />
                    }
                })
            }
        };
        let confirm_panel = move || {
            if confirming.get() != Some(id) {
                return None;
            }
            let m = current()?;
            let details = m.default.then(|| t(Key::RemoveDefaultDetails).to_owned());
            let question = tr(Key::RemoveMethodQuestion, &[("label", &m.label)]);
            Some(view! {
                    <ConfirmPanel
                        question=question
                        details=details
                        confirm_label=t(Key::Remove)
                        cancel_label=t(Key::Cancel)
                        on_confirm=move || remove.run(m.clone())
                        on_cancel=move || {
                            confirming.set(None);
                            focus_node(remove_button);
                        }
                        busy=Signal::derive(move || busy.get() == Some(id))
                        testid="confirm-remove"
                    />
            })
        };
        view! {
            <li
                class="pf-item"
                data-testid="payout-method"
                data-method-id=id.to_string()
                data-platform=method.platform.as_str()
                data-default=move || if is_default() { "true" } else { "false" }
            >
                <div class="pf-item__main">
                    <span class="pf-item__label" id=label_id.clone() data-testid="payout-method-label">
                        {method.label.clone()}
                    </span>
                    {move || {
                        is_default()
                            .then(|| {
                                view! {
                                    <Badge text=t(Key::DefaultBadge) testid="payout-method-default-badge" />
                                }
                            })
                    }}
                </div>
                <div class="pf-item__actions">
                    {make_default_button}
                    <Button
                        label=t(Key::Remove)
                        on_click=move || confirming.set(Some(id))
                        testid="payout-method-remove"
                        variant=ButtonVariant::Secondary
                        disabled=actions_disabled
                        described_by=label_id.clone()
                        node_ref=remove_button
                    />
                </div>
                {confirm_panel}
            </li>
        }
    };

    let list_view = view! {
        <LoadedList
            items=methods
            key=|m: &PayoutMethod| m.id
            row=row
            testid="payout-methods"
            loading=t(Key::LoadingMethods)
            failed=t(Key::LoadMethodsFailed)
            empty=t(Key::NoMethods)
            on_retry=load
        />
    };

    let finish = if hide_continue_button {
        view! { <RecordStatus state=recording on_retry=record testid="manage-payouts-record" /> }
            .into_any()
    } else {
        view! {
            <ContinueButton
                step=StepName::ManagePayouts
                ready=has_methods
                reason=t(Key::AddMethodToContinue)
                status=Signal::derive(move || {
                    if changed.get() { StepStatus::Completed } else { StepStatus::CompletedSaved }
                })
                testid="manage-payouts-continue"
            />
        }
        .into_any()
    };

    view! {
        <ScreenCard testid="step-manage-payouts" title=step_title(StepName::ManagePayouts)>
            <p class="pf-body">{t(Key::ManagePayoutsIntro)}</p>
            <p class="pf-notice" role="status" data-testid="payout-methods-notice">
                {move || notice.get()}
            </p>
            <section class="pf-section" aria-labelledby="pf-methods-heading">
                <h2 class="pf-subtitle" id="pf-methods-heading" tabindex="-1" node_ref=list_heading>
                    {t(Key::YourMethods)}
                </h2>
                {list_view}
                {move || {
                    action_error
                        .get()
                        .map(|(key, details)| {
                            view! {
                                <ErrorAlert
                                    message=t(key)
                                    details=details
                                    testid="payout-methods-action-error"
                                />
                            }
                        })
                }}
            </section>
            <section class="pf-section" aria-labelledby="pf-add-method-heading">
                <h2 class="pf-subtitle" id="pf-add-method-heading">
                    {t(Key::AddMethodHeading)}
                </h2>
                <AddMethodForm on_added=on_added />
            </section>
            {finish}
        </ScreenCard>
    }
}
