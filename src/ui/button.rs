//! Buttons: real `<button>` elements in three looks; [`SubmitButton`] submits its form, so Enter
//! in a field submits too.

use leptos::html;
use leptos::prelude::*;

/// How a [`Button`] looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ButtonVariant {
    /// The screen's main action.
    #[default]
    Primary,
    /// A secondary action.
    Secondary,
    /// An action that removes something.
    Danger,
}

impl ButtonVariant {
    fn class(self) -> &'static str {
        match self {
            ButtonVariant::Primary => "pf-button pf-button--primary",
            ButtonVariant::Secondary => "pf-button pf-button--secondary",
            ButtonVariant::Danger => "pf-button pf-button--danger",
        }
    }
}

/// A button that runs `on_click`.
#[component]
pub fn Button(
    /// The button's text.
    #[prop(into)]
    label: String,
    /// What a click does.
    #[prop(into)]
    on_click: UnsyncCallback<()>,
    /// `data-testid` for tests.
    #[prop(into)]
    testid: String,
    /// Primary (default), secondary or danger.
    #[prop(optional)]
    variant: ButtonVariant,
    /// Disables the button while true.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// While true the button's action is under way: it is `aria-disabled` and a press does
    /// nothing, but it keeps the keyboard's focus (a `disabled` one would drop it to the page,
    /// [`SubmitButton`]).
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// Ids of elements that describe the button (`aria-describedby`): the item a "Remove"
    /// acts on, or why the button is disabled.
    #[prop(optional, into)]
    described_by: Option<String>,
    /// Ids of the elements whose text names the button (`aria-labelledby`), when its label
    /// alone would not tell it from another (the button's own id first, to keep its label).
    #[prop(optional, into)]
    labelled_by: Option<String>,
    /// A reference to the element, to move focus back to it.
    #[prop(optional)]
    node_ref: NodeRef<html::Button>,
    /// The element id: a button that may have focus when its screen is drawn again (a change of
    /// language) gets it back by its id.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    view! {
        <button
            node_ref=node_ref
            id=id
            type="button"
            class=variant.class()
            data-testid=testid
            disabled=move || disabled.get()
            aria-disabled=move || busy.get().then_some("true")
            aria-labelledby=labelled_by
            aria-describedby=described_by
            on:click=move |_| {
                if !busy.get_untracked() {
                    on_click.run(())
                }
            }
        >
            {label}
        </button>
    }
}

/// The submit button of a form, with `busy_label` while `busy`: `aria-disabled` while `busy` or
/// `disabled` (a cooldown), never `disabled`. A disabled button drops the keyboard's focus to
/// the page, so a user whose request failed (or whose press started a cooldown) would have to
/// find their way back from the top; the form ignores a press meanwhile ([`super::Form::submit`],
/// the sign-in machine's cooldown).
#[component]
pub fn SubmitButton(
    /// The button's text.
    #[prop(into)]
    label: String,
    /// The text while the form is being sent (`Adding…`).
    #[prop(into)]
    busy_label: String,
    /// Whether the form is being sent.
    #[prop(into)]
    busy: Signal<bool>,
    /// `data-testid` for tests.
    #[prop(into)]
    testid: String,
    /// Marks the button unusable while true, besides while `busy` (a cooldown): the form must
    /// ignore a press meanwhile.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Ids of elements that describe the button (`aria-describedby`): why it is disabled.
    #[prop(optional, into)]
    described_by: Option<String>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=ButtonVariant::Primary.class()
            data-testid=testid
            aria-disabled=move || (busy.get() || disabled.get()).then_some("true")
            aria-describedby=described_by
            aria-busy=move || if busy.get() { "true" } else { "false" }
        >
            {move || if busy.get() { busy_label.clone() } else { label.clone() }}
        </button>
    }
}
