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
//!
//! [`row`] is one account's row, [`form`] the form that connects one; this module owns the
//! step's state and its requests: the list is a resource, edited in place after each saved
//! change (read again instead when it was not shown: still loading, or its load failed), and
//! the rows' removals go through one action, which says which account is busy. An account
//! whose connecting answer was lost is looked for in the list ([`crate::api::or_found_after`]).

mod form;
mod row;

use crate::api::{or_found_after, removed_or_gone, ApiFailure, UnsureAdd};
use crate::context::{use_services, FlowServices};
use crate::forms::bank_account_label;
use crate::i18n::{failure_details, localized, step_title, Worded};
use crate::requests::{fetched, reload, Fetched, Sender};
use crate::steps::{
    record_in_background, BankFieldsState, ContinueButton, LoadedList, RecordStatus, Recording,
};
use crate::t;
use crate::ui::{focus_id_soon, focus_node, ErrorAlert, Form, ScreenCard};
use form::add_bank_form;
use leptos::html;
use leptos::prelude::*;
use payout_model::money::{BankAccount, BankAccountList, NewBankAccount};
use payout_model::{digits, StepName};
use row::{account_row, Row};
use uuid::Uuid;

/// Element id prefix of the form's fields.
const PREFIX: &str = "pf-bank";

/// The step's signals, copied into every handler.
#[derive(Clone, Copy)]
struct State {
    accounts: Fetched<Vec<BankAccount>>,
    notice: RwSignal<Option<Worded>>,
    removals: Sender,
    confirming: RwSignal<Option<Uuid>>,
    action_error: RwSignal<Option<ApiFailure>>,
    recording: Recording,
    list_heading: NodeRef<html::H2>,
    form: Form,
    bank: BankFieldsState,
    /// A connect whose answer and lookup were both lost ([`or_found_after`]).
    unsure: StoredValue<UnsureAdd<NewBankAccount, BankAccount, BankAccountList>, LocalStorage>,
    hide_continue_button: bool,
}

impl State {
    fn new(services: &FlowServices, hide_continue_button: bool) -> Self {
        let form = Form::new(PREFIX);
        let api = services.api.clone();
        State {
            accounts: fetched(move || {
                let call = api.bank_accounts();
                Box::pin(async move { call.await.map(|list| list.data) })
            }),
            notice: RwSignal::new(None),
            removals: Sender::new(),
            confirming: RwSignal::new(None),
            action_error: RwSignal::new(None),
            recording: Recording::new(),
            list_heading: NodeRef::new(),
            bank: BankFieldsState::new(&form),
            form,
            unsure: StoredValue::new_local(UnsureAdd::default()),
            hide_continue_button,
        }
    }

    fn has_accounts(self) -> bool {
        self.accounts
            .try_with_untracked(|load| matches!(load, Some(Ok(list)) if !list.is_empty()))
            .unwrap_or(false)
    }

    /// A change the server has saved: say so, and record the step when the step keeps the
    /// user here and an account is left (`added`: one was just connected, whether or not the
    /// list is shown yet).
    fn saved(self, services: &FlowServices, notice: Worded, added: bool) {
        self.action_error.try_set(None);
        self.notice.try_set(Some(notice));
        if self.hide_continue_button && (added || self.has_accounts()) {
            record_in_background(services, StepName::ManagePayments, self.recording);
        }
    }

    /// Checks the form and connects the account; the server's field errors land on the form.
    fn add(self, services: &FlowServices) {
        let (api, services) = (services.api.clone(), services.clone());
        let bank = self.bank;
        self.form.submit(
            move || bank.fields().to_vec(),
            self.bank.input().check(),
            move |new: NewBankAccount| {
                // The ids of the accounts shown, or `None` while no list is shown.
                let known: Option<Vec<Uuid>> = self
                    .accounts
                    .try_with_untracked(|load| match load {
                        Some(Ok(list)) => Some(list.iter().map(|a| a.id).collect()),
                        _ => None,
                    })
                    .flatten();
                let (routing, account_type) = (digits(&new.routing_number), new.account_type);
                let number = digits(&new.account_number);
                let found = move |list: BankAccountList, later: bool| {
                    // The newest not shown before (by its number's tail too when no list was
                    // shown: not one the user had; or when looked for long after, at the next
                    // press: not one added meanwhile elsewhere), with that routing number and
                    // account type (not by the tail otherwise: the server keeps fewer digits of
                    // a short one, and may keep more in time).
                    let mut list = list.data.into_iter().rev();
                    list.find(|a| {
                        let tail = number.ends_with(&a.account_number_last4);
                        known
                            .as_ref()
                            .map_or(tail, |known| !known.contains(&a.id) && (!later || tail))
                            && digits(&a.routing_number) == routing
                            && a.account_type == account_type
                    })
                };
                let accounts = api.clone();
                let list = move || accounts.bank_accounts();
                let add = move |new| api.add_bank_account(new);
                let unsure = self.unsure.get_value();
                or_found_after(new, &unsure, add, |_| false, list, found)
            },
            move |account| {
                self.bank.clear();
                let label = account.clone();
                let mut read_again = false;
                self.accounts.update(|load| match load {
                    Some(Ok(list)) => {
                        // Found again after an add whose answer was lost, it may be listed.
                        list.retain(|a| a.id != account.id);
                        list.push(account);
                    }
                    // Not shown (still loading, or its load failed): read with the rest, so
                    // the others are not hidden behind it.
                    _ => read_again = true,
                });
                if read_again {
                    reload(self.accounts);
                }
                let notice = move || t!(bank_account_added, label = bank_account_label(&label));
                self.saved(&services, Worded::new(notice), true);
            },
        );
    }

    /// Disconnects `account` (confirmed), unless another removal is in flight.
    fn remove(self, services: &FlowServices, account: BankAccount) {
        if self.removals.is_pending() {
            return;
        }
        let (call, services) = (
            removed_or_gone(services.api.remove_bank_account(account.id)),
            services.clone(),
        );
        self.removals.send_for(account.id, call, move |result| {
            self.confirming.try_set(None);
            match result {
                Ok(()) => {
                    self.accounts.update(|load| {
                        if let Some(Ok(list)) = load {
                            list.retain(|a| a.id != account.id);
                        }
                    });
                    let notice =
                        move || t!(bank_account_removed, label = bank_account_label(&account));
                    self.saved(&services, Worded::new(notice), false);
                    focus_node(self.list_heading);
                }
                Err(failure) => {
                    self.action_error.try_set(Some(failure));
                    // The panel, with the focused button, is gone: back to the row's Remove.
                    focus_id_soon(format!("bank-{}-remove", account.id));
                }
            }
        });
    }
}

/// Lists, connects and removes the user's bank accounts.
#[component]
pub fn ManagePaymentsStep(
    /// Keep the user on this step: no Continue; each saved change is reported instead.
    hide_continue_button: bool,
) -> impl IntoView {
    let services = use_services();
    let state = State::new(&services, hide_continue_button);
    let add = {
        let services = services.clone();
        UnsyncCallback::new(move |()| state.add(&services))
    };
    let remove = {
        let services = services.clone();
        UnsyncCallback::new(move |account: BankAccount| state.remove(&services, account))
    };
    let record = {
        let services = services.clone();
        UnsyncCallback::new(move |()| {
            record_in_background(&services, StepName::ManagePayments, state.recording)
        })
    };
    let has_accounts = Signal::derive(move || {
        state
            .accounts
            .with(|load| matches!(load, Some(Ok(list)) if !list.is_empty()))
    });
    let row = Row {
        busy: state.removals.working_on(),
        confirming: state.confirming,
        remove,
    };

    let finish = move || {
        if hide_continue_button {
            view! {
                <RecordStatus state=state.recording on_retry=record testid="manage-payments-record" />
            }
            .into_any()
        } else {
            view! {
                <ContinueButton
                    step=StepName::ManagePayments
                    ready=has_accounts
                    reason=t!(add_bank_to_continue)
                    testid="manage-payments-continue"
                />
            }
            .into_any()
        }
    };

    localized(move || {
        view! {
            <ScreenCard testid="step-manage-payments" title=step_title(StepName::ManagePayments)>
                <p class="pf-body">{t!(manage_payments_intro)}</p>
                <p class="pf-notice" role="status" data-testid="bank-accounts-notice">
                    {move || state.notice.get().map(|notice| notice.text())}
                </p>
                <section class="pf-section" aria-labelledby="pf-banks-heading">
                    <h2
                        class="pf-subtitle"
                        id="pf-banks-heading"
                        tabindex="-1"
                        node_ref=state.list_heading
                    >
                        {t!(your_bank_accounts)}
                    </h2>
                    <LoadedList
                        items=state.accounts
                        key=|a: &BankAccount| a.id
                        row=move |account| account_row(account, row)
                        testid="bank-accounts"
                        loading=t!(loading_bank_accounts)
                        failed=t!(load_bank_accounts_failed)
                        empty=t!(no_bank_accounts)
                    />
                    {move || {
                        state
                            .action_error
                            .get()
                            .map(|failure| {
                                view! {
                                    <ErrorAlert
                                        message=t!(remove_bank_failed)
                                        details=failure_details(&failure)
                                        testid="bank-accounts-action-error"
                                    />
                                }
                            })
                    }}
                </section>
                {add_bank_form(state.bank, state.form, add)}
                {finish()}
            </ScreenCard>
        }
    })
}
