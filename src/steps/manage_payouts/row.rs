//! One payout method's row: its label and Default badge, "Make default", and "Remove" behind a
//! confirmation. The row stays mounted while the list changes (its default flag is read from
//! the list as it is now), so focus stays put.

use super::list::find;
use crate::forms::method_label;
use crate::requests::Fetched;
use crate::t;
use crate::ui::{focus_node, Badge, Button, ButtonVariant, ConfirmPanel};
use leptos::html;
use leptos::prelude::*;
use payout_model::money::PayoutMethod;
use uuid::Uuid;

/// What every row reads and reports: copyable handles the step owns.
#[derive(Clone, Copy)]
pub struct Row {
    /// The list as the server now holds it.
    pub methods: Fetched<Vec<PayoutMethod>>,
    /// The method a request is in flight for; every row's actions wait meanwhile.
    pub busy: Signal<Option<Uuid>>,
    /// The method whose removal is being confirmed.
    pub confirming: RwSignal<Option<Uuid>>,
    /// "Make default".
    pub make_default: UnsyncCallback<PayoutMethod>,
    /// "Remove", confirmed.
    pub remove: UnsyncCallback<PayoutMethod>,
}

/// The row of `method`.
pub fn method_row(method: PayoutMethod, row: Row) -> impl IntoView {
    let id = method.id;
    let label_id = format!("method-{id}-label");
    let remove_button = NodeRef::<html::Button>::new();
    let current = move || {
        row.methods.with(|load| match load {
            Some(Ok(list)) => find(list, id),
            _ => None,
        })
    };
    let is_default = move || current().is_some_and(|m| m.default);
    let actions_disabled = Signal::derive(move || row.busy.get().is_some());
    let make_default_button = {
        let label_id = label_id.clone();
        move || {
            (!is_default()).then(|| {
                view! {
                    <Button
                        label=t!(make_default)
                        on_click=move || {
                            if let Some(m) = current() {
                                row.make_default.run(m);
                            }
                        }
                        testid="payout-method-make-default"
                        id=format!("method-{id}-make-default")
                        variant=ButtonVariant::Secondary
                        busy=actions_disabled
                        described_by=label_id.clone()
                    />
                }
            })
        }
    };
    let confirm_panel = move || {
        if row.confirming.get() != Some(id) {
            return None;
        }
        let m = current()?;
        let details = m.default.then(|| t!(remove_default_details).to_owned());
        let question = t!(remove_method_question, label = method_label(&m));
        Some(view! {
            <ConfirmPanel
                question=question
                details=details
                confirm_label=t!(remove)
                cancel_label=t!(cancel)
                on_confirm=move || row.remove.run(m.clone())
                on_cancel=move || {
                    row.confirming.set(None);
                    focus_node(remove_button);
                }
                busy=Signal::derive(move || row.busy.get() == Some(id))
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
                    {method_label(&method)}
                </span>
                {move || {
                    is_default()
                        .then(|| {
                            view! {
                                <Badge text=t!(default_badge) testid="payout-method-default-badge" />
                            }
                        })
                }}
            </div>
            <div class="pf-item__actions">
                {make_default_button}
                <Button
                    label=t!(remove)
                    on_click=move || row.confirming.set(Some(id))
                    testid="payout-method-remove"
                    id=format!("method-{id}-remove")
                    variant=ButtonVariant::Secondary
                    busy=actions_disabled
                    described_by=label_id.clone()
                    node_ref=remove_button
                />
            </div>
            {confirm_panel}
        </li>
    }
}
