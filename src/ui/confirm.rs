//! A [`ConfirmPanel`]: asks "are you sure?" in place, next to what it is about, instead of a
//! modal dialog (which an iframe of content height cannot centre). Focus moves to its question
//! when it opens, so screen readers read it; Cancel is a real button next to the action.

use crate::ui::{focus_node, Button, ButtonVariant};
use leptos::html;
use leptos::prelude::*;

/// A question with a confirming and a cancelling button.
#[component]
pub fn ConfirmPanel(
    /// The question (`Remove PayPal · ada@example.com?`).
    #[prop(into)]
    question: String,
    /// More about what happens.
    #[prop(optional_no_strip, into)]
    details: Option<String>,
    /// The confirming button's text (`Remove`).
    #[prop(into)]
    confirm_label: String,
    /// The cancelling button's text.
    #[prop(into)]
    cancel_label: String,
    /// Runs on confirm.
    #[prop(into)]
    on_confirm: UnsyncCallback<()>,
    /// Runs on cancel.
    #[prop(into)]
    on_cancel: UnsyncCallback<()>,
    /// While true, both buttons are `aria-disabled` and ignore a press (the action is running);
    /// the focus stays where it is.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// `data-testid` of the panel; its buttons are `{testid}-confirm` and `{testid}-cancel`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    let question_ref = NodeRef::<html::P>::new();
    focus_node(question_ref);
    let name = question.clone();
    view! {
        <div class="pf-confirm" role="group" aria-label=name data-testid=testid.clone()>
            <p class="pf-confirm__question" tabindex="-1" node_ref=question_ref>
                {question}
            </p>
            {details.map(|d| view! { <p class="pf-details">{d}</p> })}
            <div class="pf-actions">
                <Button
                    label=confirm_label
                    on_click=on_confirm
                    testid=format!("{testid}-confirm")
                    variant=ButtonVariant::Danger
                    busy=busy
                />
                <Button
                    label=cancel_label
                    on_click=on_cancel
                    testid=format!("{testid}-cancel")
                    variant=ButtonVariant::Secondary
                    busy=busy
                />
            </div>
        </div>
    }
}
