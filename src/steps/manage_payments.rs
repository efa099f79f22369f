//! The manage-payments step (DESIGN.md "manage-payments", seed 000): the user's connected US
//! bank accounts for pay-ins (masked: `Checking ••••6789`, with the routing number), a form to
//! connect one (routing number with the ABA checksum, account number typed twice, checking or
//! savings), and removing one after a confirmation.
//!
//! **Continue** records the step, posts `step_completed` (`completed`) and moves on; it is
//! disabled, with the reason shown, until an account is connected (the server refuses to record
//! the step without one). With **`hide_continue_button`** there is no Continue: each saved
//! change records the step (while an account is left) and posts `step_completed`, and the user
//! stays here — as manage-payouts does.

use crate::context::use_services;
use crate::forms::{bank_account_label, server_errors, FieldErrors};
use crate::i18n::{step_title, t, tr, Key};
use crate::steps::{
    record_in_background, show_errors, BankFields, BankFieldsState, ContinueButton, Load,
    LoadedList, RecordStatus, Recording,
};
use crate::ui::{
    focus_node, Button, ButtonVariant, ConfirmPanel, ErrorAlert, ScreenCard, SubmitButton,
};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::money::BankAccount;
use payout_model::StepName;
use uuid::Uuid;

/// Element id prefix of the form's fields.
const PREFIX: &str = "pf-bank";

/// Lists, connects and removes the user's bank accounts.
#[component]
pub fn ManagePaymentsStep(
    /// Keep the user on this step: no Continue; each saved change is reported instead.
    hide_continue_button: bool,
) -> impl IntoView {
    let services = use_services();
    let accounts = RwSignal::new(Load::<Vec<BankAccount>>::Loading);
    let notice = RwSignal::new(String::new());
    let busy = RwSignal::new(None::<Uuid>);
    let confirming = RwSignal::new(None::<Uuid>);
    let action_error = RwSignal::new(None::<String>);
    let recording = RwSignal::new(Recording::Idle);
    let list_heading = NodeRef::<html::H2>::new();
    let bank = BankFieldsState::new();
    let saving = RwSignal::new(false);
    let form_error = RwSignal::new(None::<String>);
    let form = NodeRef::<html::Form>::new();

    let load = {
        let api = services.api.clone();
        UnsyncCallback::new(move |()| {
            accounts.set(Load::Loading);
            let call = api.bank_accounts();
            spawn_local(async move {
                accounts.try_set(match call.await {
                    Ok(list) => Load::Ready(list.data),
                    Err(failure) => Load::Failed(failure.message().to_owned()),
                });
            });
        })
    };
    load.run(());

    let has_accounts =
        Signal::derive(move || matches!(accounts.get(), Load::Ready(list) if !list.is_empty()));
    let record = {
        let services = services.clone();
        UnsyncCallback::new(move |()| {
            record_in_background(&services, StepName::ManagePayments, recording)
        })
    };
    let saved_change = UnsyncCallback::new(move |text: String| {
        action_error.set(None);
        notice.set(text);
        if hide_continue_button && has_accounts.get_untracked() {
            record.run(());
        }
    });

    let submit = {
        let api = services.api.clone();
        UnsyncCallback::new(move |()| {
            if saving.get_untracked() {
                return;
            }
            form_error.set(None);
            let new = match bank.input().check() {
                Ok(new) => new,
                Err(errors) => {
                    show_errors(form, PREFIX, &bank.fields(), &errors);
                    return;
                }
            };
            saving.set(true);
            let call = api.add_bank_account(new);
            spawn_local(async move {
                let result = call.await;
                saving.try_set(false);
                match result {
                    Ok(account) => {
                        bank.clear();
                        let text = tr(
                            Key::BankAccountAdded,
                            &[("label", &bank_account_label(&account))],
                        );
                        accounts.try_update(|load| match load {
                            Load::Ready(list) => list.push(account),
                            other => *other = Load::Ready(vec![account]),
                        });
                        saved_change.run(text);
                    }
                    Err(failure) => {
                        let fields = bank.fields();
                        let names: Vec<&'static str> = fields.iter().map(|(n, _)| *n).collect();
                        let (mapped, rest): (FieldErrors, _) = server_errors(&failure, &names);
                        if !mapped.is_empty() {
                            show_errors(form, PREFIX, &fields, &mapped);
                        }
                        form_error.try_set(rest);
                    }
                }
            });
        })
    };

    let remove = {
        let api = services.api.clone();
        UnsyncCallback::new(move |account: BankAccount| {
            if busy.get_untracked().is_some() {
                return;
            }
            busy.set(Some(account.id));
            let call = api.remove_bank_account(account.id);
            spawn_local(async move {
                let result = call.await;
                busy.try_set(None);
                confirming.try_set(None);
                match result {
                    Ok(()) => {
                        accounts.try_update(|load| {
                            if let Load::Ready(list) = load {
                                list.retain(|a| a.id != account.id);
                            }
                        });
                        saved_change.run(tr(
                            Key::BankAccountRemoved,
                            &[("label", &bank_account_label(&account))],
                        ));
                        focus_node(list_heading);
                    }
                    Err(failure) => {
                        action_error.try_set(Some(failure.message().to_owned()));
                    }
                }
            });
        })
    };

    let row = move |account: BankAccount| {
        let id = account.id;
        let label = bank_account_label(&account);
        let label_id = format!("bank-{id}-label");
        let remove_button = NodeRef::<html::Button>::new();
        let confirm_panel = {
            let (account, label) = (account.clone(), label.clone());
            move || {
                (confirming.get() == Some(id)).then(|| {
                    let account = account.clone();
                    view! {
                        <ConfirmPanel
                            question=tr(Key::RemoveBankQuestion, &[("label", &label)])
                            details=t(Key::RemoveBankDetails).to_owned()
                            confirm_label=t(Key::Remove)
                            cancel_label=t(Key::Cancel)
                            on_confirm=move || remove.run(account.clone())
                            on_cancel=move || {
                                confirming.set(None);
                                focus_node(remove_button);
                            }
                            busy=Signal::derive(move || busy.get() == Some(id))
                            testid="confirm-remove"
                        />
                    }
                })
            }
        };
        view! {
            <li class="pf-item" data-testid="bank-account" data-account-id=id.to_string()>
                <div class="pf-item__main">
                    <span class="pf-item__label" id=label_id.clone() data-testid="bank-account-label">
                        {label.clone()}
                    </span>
                    <span class="pf-details" data-testid="bank-account-routing">
                        {tr(Key::RoutingLine, &[("routing", &account.routing_number)])}
                    </span>
                </div>
                <div class="pf-item__actions">
                    <Button
                        label=t(Key::Remove)
                        on_click=move || confirming.set(Some(id))
                        testid="bank-account-remove"
                        variant=ButtonVariant::Secondary
                        disabled=Signal::derive(move || busy.get().is_some())
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
            items=accounts
            key=|a: &BankAccount| a.id
            row=row
            testid="bank-accounts"
            loading=t(Key::LoadingBankAccounts)
            failed=t(Key::LoadBankAccountsFailed)
            empty=t(Key::NoBankAccounts)
            on_retry=load
        />
    };

    let finish = if hide_continue_button {
        view! { <RecordStatus state=recording on_retry=record testid="manage-payments-record" /> }
            .into_any()
    } else {
        view! {
            <ContinueButton
                step=StepName::ManagePayments
                ready=has_accounts
                reason=t(Key::AddBankToContinue)
                testid="manage-payments-continue"
            />
        }
        .into_any()
    };

    view! {
        <ScreenCard testid="step-manage-payments" title=step_title(StepName::ManagePayments)>
            <p class="pf-body">{t(Key::ManagePaymentsIntro)}</p>
            <p class="pf-notice" role="status" data-testid="bank-accounts-notice">
                {move || notice.get()}
            </p>
            <section class="pf-section" aria-labelledby="pf-banks-heading">
                <h2 class="pf-subtitle" id="pf-banks-heading" tabindex="-1" node_ref=list_heading>
                    {t(Key::YourBankAccounts)}
                </h2>
                {list_view}
                {move || {
                    action_error
                        .get()
                        .map(|details| {
                            view! {
                                <ErrorAlert
                                    message=t(Key::RemoveBankFailed)
                                    details=details
                                    testid="bank-accounts-action-error"
                                />
                            }
                        })
                }}
            </section>
            <section class="pf-section" aria-labelledby="pf-add-bank-heading">
                <h2 class="pf-subtitle" id="pf-add-bank-heading">
                    {t(Key::AddBankHeading)}
                </h2>
                <form
                    class="pf-form"
                    novalidate=true
                    node_ref=form
                    data-testid="add-bank-form"
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        submit.run(());
                    }
                >
                    <BankFields state=bank prefix=PREFIX />
                    {move || {
                        form_error
                            .get()
                            .map(|details| {
                                view! {
                                    <ErrorAlert
                                        message=t(Key::AddBankFailed)
                                        details=details
                                        testid="add-bank-error"
                                    />
                                }
                            })
                    }}
                    <div class="pf-actions">
                        <SubmitButton
                            label=t(Key::AddBank)
                            busy_label=t(Key::Adding)
                            busy=saving
                            testid="add-bank-submit"
                        />
                    </div>
                </form>
            </section>
            {finish}
        </ScreenCard>
    }
}
