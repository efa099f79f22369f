//! A [`RadioGroup`]: one choice among a few, as native radio buttons in a `<fieldset>` with a
//! `<legend>`, so arrow keys move between options and screen readers name the group.

use leptos::prelude::*;

/// One option of a [`RadioGroup`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    /// The value selected when this option is chosen.
    pub value: String,
    /// What the option says.
    pub label: String,
    /// A short tag shown after the label (`Default`).
    pub badge: Option<String>,
    /// `data-testid` of the radio input.
    pub testid: String,
    /// `data-kind` of the radio input, for tests telling options of one testid apart
    /// (`paypal`, `ach`).
    pub kind: Option<String>,
}

impl Choice {
    /// An option with `value`, `label` and `testid`.
    pub fn new(
        value: impl Into<String>,
        label: impl Into<String>,
        testid: impl Into<String>,
    ) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            badge: None,
            testid: testid.into(),
            kind: None,
        }
    }
}

/// Radio buttons for `options`; `selected` holds the chosen value.
#[component]
pub fn RadioGroup(
    /// The radios' `name`, unique on the screen; also the prefix of their element ids.
    #[prop(into)]
    name: String,
    /// What the group asks.
    #[prop(into)]
    legend: String,
    /// The options, in order.
    #[prop(into)]
    options: Signal<Vec<Choice>>,
    /// The chosen value.
    selected: RwSignal<String>,
    /// `data-testid` of the `<fieldset>`.
    #[prop(into)]
    testid: String,
    /// An error for the whole group (shown under the legend, gone once another option is
    /// picked).
    #[prop(optional, into)]
    error: Option<RwSignal<Option<String>>>,
    /// The `<fieldset>`'s id: a form field's ([`crate::ui::Field::id`]), so the form's focus on
    /// its first error ([`crate::ui::focus_within`]) finds the group and lands on its chosen
    /// option.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let error_testid = format!("{testid}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.and_then(|e| e.get()).map(|_| error_id.clone())
    };
    let invalid = move || error.is_some_and(|e| e.get().is_some());
    view! {
        <fieldset
            id=id
            class="pf-choices"
            class:pf-field--invalid=invalid
            data-testid=testid
            aria-describedby=described_by
        >
            <legend class="pf-field__label">{legend}</legend>
            {move || {
                error
                    .and_then(|e| e.get())
                    .map(|message| {
                        view! {
                            <p
                                class="pf-field__error"
                                id=error_id.clone()
                                role="alert"
                                data-testid=error_testid.clone()
                            >
                                {message}
                            </p>
                        }
                    })
            }}
            <For
                each=move || options.get()
                key=|choice| choice.clone()
                children={
                    let name = name.clone();
                    move |choice: Choice| {
                        let id = format!("{name}-{}", choice.value);
                        let value = choice.value.clone();
                        let checked = {
                            let value = value.clone();
                            move || selected.get() == value
                        };
                        view! {
                            <label class="pf-choice" for=id.clone()>
                                <input
                                    type="radio"
                                    class="pf-choice__input"
                                    id=id.clone()
                                    name=name.clone()
                                    value=value.clone()
                                    data-testid=choice.testid.clone()
                                    data-kind=choice.kind.clone()
                                    prop:checked=checked
                                    on:change=move |_| {
                                        selected.set(value.clone());
                                        if let Some(error) = error {
                                            error.set(None);
                                        }
                                    }
                                />
                                <span class="pf-choice__label">{choice.label.clone()}</span>
                                {choice
                                    .badge
                                    .clone()
                                    .map(|b| view! { <span class="pf-badge">{b}</span> })}
                            </label>
                        }
                    }
                }
            />
        </fieldset>
    }
}
