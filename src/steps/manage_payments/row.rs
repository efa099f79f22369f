//! One bank account's row: its masked label and routing number, and "Remove" behind a
//! confirmation.

use crate::forms::bank_account_label;
use crate::t;
use crate::ui::{focus_node, Button, ButtonVariant, ConfirmPanel};
use leptos::html;
use leptos::prelude::*;
use payout_model::money::BankAccount;
use uuid::Uuid;

/// What every row reads and reports: copyable handles the step owns.
#[derive(Clone, Copy)]
pub struct Row {
    /// The account a request is in flight for; every row's actions wait meanwhile.
    pub busy: Signal<Option<Uuid>>,
    /// The account whose removal is being confirmed.
    pub confirming: RwSignal<Option<Uuid>>,
    /// "Remove", confirmed.
    pub remove: UnsyncCallback<BankAccount>,
}

/// The row of `account`.
pub fn account_row(account: BankAccount, row: Row) -> impl IntoView {
    let id = account.id;
    let label = bank_account_label(&account);
    let label_id = format!("bank-{id}-label");
    let remove_button = NodeRef::<html::Button>::new();
    let confirm_panel = {
        let (account, label) = (account.clone(), label.clone());
        move || {
            (row.confirming.get() == Some(id)).then(|| {
                let account = account.clone();
                view! {
                    <ConfirmPanel
                        question=t!(remove_bank_question, label = &label)
                        details=t!(remove_bank_details).to_owned()
                        confirm_label=t!(remove)
                        cancel_label=t!(cancel)
                        on_confirm=move || row.remove.run(account.clone())
                        on_cancel=move || {
                            row.confirming.set(None);
                            focus_node(remove_button);
                        }
                        busy=Signal::derive(move || row.busy.get() == Some(id))
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
                    {t!(routing_line, routing = &account.routing_number)}
                </span>
            </div>
            <div class="pf-item__actions">
                <Button
                    label=t!(remove)
                    on_click=move || row.confirming.set(Some(id))
                    testid="bank-account-remove"
                    id=format!("bank-{id}-remove")
                    variant=ButtonVariant::Secondary
                    busy=Signal::derive(move || row.busy.get().is_some())
                    described_by=label_id.clone()
                    node_ref=remove_button
                />
            </div>
            {confirm_panel}
        </li>
    }
}
