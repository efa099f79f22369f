//! Buttons: real `<button type="button">` elements in two looks.

use leptos::prelude::*;

/// How a [`Button`] looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ButtonVariant {
    /// The screen's main action.
    #[default]
    Primary,
    /// A secondary action.
    Secondary,
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
    /// Primary (default) or secondary.
    #[prop(optional)]
    variant: ButtonVariant,
) -> impl IntoView {
    let class = match variant {
        ButtonVariant::Primary => "pf-button pf-button--primary",
        ButtonVariant::Secondary => "pf-button pf-button--secondary",
    };
    view! {
        <button type="button" class=class data-testid=testid on:click=move |_| on_click.run(())>
            {label}
        </button>
    }
}
