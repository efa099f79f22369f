//! Form controls: a labelled [`TextField`] or [`SelectField`] with hint and inline error, each
//! drawing one [`Field`] of a [`Form`](super::Form) (its id and label come from it). The error
//! shows under the input (`role=alert`, so it is announced when
//! it appears) and is referenced by the input's `aria-describedby`; the input carries
//! `aria-invalid` while it shows.

use super::Field;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A text input with its label, an optional hint and an inline error.
///
/// `check` runs when the user leaves a non-empty field and on every edit while an error shows,
/// so a mistake is pointed out once the user moves on and the message clears as soon as the
/// value is right. An empty field is only flagged on submit (by the form).
#[component]
pub fn TextField(
    /// The field: its element id (the hint is `{id}-hint`, the error `{id}-error`), its label,
    /// its value and error.
    field: Field,
    /// `data-testid` of the input; the error is `{testid}-error`.
    #[prop(into)]
    testid: String,
    /// Help shown under the label.
    #[prop(optional, into)]
    hint: Option<String>,
    /// The input's `type` (`text` when empty).
    #[prop(optional, into)]
    input_type: Signal<&'static str>,
    /// While true the characters show as dots (CSS `-webkit-text-security`), for a secret a
    /// "Show" toggle reveals: not `type=password`, which browsers offer to save in their
    /// password managers, `autocomplete="off"` notwithstanding (review: an account number
    /// saved as a password, the routing number as its user name).
    #[prop(optional, into)]
    concealed: Signal<bool>,
    /// The input's `inputmode` (`numeric`, `decimal`, `email`, `tel`).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The input's `autocomplete` (`off`, `email`, …).
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// Checks the value: `Some(message)` when it breaks a rule.
    #[prop(optional, into)]
    check: Option<Callback<String, Option<String>>>,
    /// Text shown before the input, outside it (`$`); hidden from assistive technology, so the
    /// label must say the same.
    #[prop(optional)]
    prefix: Option<&'static str>,
    /// The input's `maxlength`.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// Drops whitespace as it is typed or pasted (a one-time code pasted as `000 000`), so
    /// `maxlength` counts only what matters.
    #[prop(optional)]
    no_spaces: bool,
    /// What the input shows instead of the value while it does not have focus (a tax id reduced
    /// to `•••-••-6789`). The value itself stays in memory only.
    #[prop(optional)]
    mask: Option<fn(&str) -> String>,
    /// Controls after the input (a "Show" toggle).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let (id, label) = (field.id(), field.label());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = described_by(field, hint.is_some().then(|| hint_id.clone()), &error_id);
    let run_check = move |value: String| {
        // `try_`: an input removed while focused gets a blur after its form has gone away.
        if let Some(error) = check.and_then(|check| check.try_run(value)) {
            // What the check says replaces any server error: the flag goes with it.
            field.server_error.try_set(None);
            field.error.try_set(error);
        }
    };
    reword(field, check);
    // Takes `value` as the field's text (what the user typed, or pasted).
    let take = move |value: String| {
        field.value.set(value.clone());
        field.server_error.set(None);
        if field.error.get_untracked().is_some() {
            match check {
                Some(_) => run_check(value),
                // Errors from the server or the submit clear as soon as the user edits.
                None => field.error.set(None),
            }
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let mut value = event_target_value(&ev);
        if no_spaces && value.chars().any(char::is_whitespace) {
            value.retain(|c| !c.is_whitespace());
            event_target::<web_sys::HtmlInputElement>(&ev).set_value(&value);
        }
        take(value);
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if no_spaces {
            if let Some(value) = paste_without_spaces(&ev) {
                take(value);
            }
        }
    };
    let focused = RwSignal::new(false);
    let shown = move || {
        let value = field.value.get();
        match mask {
            Some(mask) if !focused.get() && !value.is_empty() => mask(&value),
            _ => value,
        }
    };
    // Leaving checks what was typed (the check may read other fields: a confirmation that now
    // matches), but never over an error the server found, which the check would not find: it
    // must not vanish as the user moves on without changing anything.
    let on_blur = move |_| {
        focused.try_set(false);
        let Some(value) = field.value.try_get_untracked() else {
            return;
        };
        // (A server error cleared some other way, with the country changed, leaves the flag.)
        let server_error_shown = field.server_error.try_get_untracked().flatten().is_some()
            && field.error.try_get_untracked().flatten().is_some();
        if !value.trim().is_empty() && !server_error_shown {
            run_check(value);
        }
    };
    // Some changes arrive without `input` events (a browser clearing the field, autofill):
    // `change` brings the field's value back in line. A masked field's own mask is not a
    // value the user typed.
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let current = field.value.get_untracked();
        if value != current && !shows_mask(mask, &current, &value) {
            on_input(ev);
        }
    };
    let error_testid = format!("{testid}-error");
    view! {
        <div class="pf-field" class:pf-field--invalid=move || field.error.get().is_some()>
            <label class="pf-field__label" for=id.clone()>
                {label}
            </label>
            {hint.map(|hint| view! { <p class="pf-field__hint" id=hint_id>{hint}</p> })}
            <div class="pf-field__control">
                {prefix.map(|p| view! { <span class="pf-field__prefix" aria-hidden="true">{p}</span> })}
                <input
                    class="pf-input"
                    class:pf-input--concealed=move || concealed.get()
                    id=id
                    type=move || match input_type.get() {
                        "" => "text",
                        other => other,
                    }
                    inputmode=inputmode
                    autocomplete=autocomplete
                    maxlength=maxlength
                    spellcheck="false"
                    data-testid=testid
                    aria-invalid=move || if field.error.get().is_some() { "true" } else { "false" }
                    aria-describedby=described_by
                    prop:value=shown
                    on:input=on_input
                    on:paste=on_paste
                    on:change=on_change
                    on:focus=move |_| focused.set(true)
                    on:blur=on_blur
                />
                {children.map(|c| c())}
            </div>
            <InlineError field=field id=error_id testid=error_testid />
        </div>
    }
}

/// A field drawn again (its screen in another language) that shows an error words it again, in
/// the new language: one the server found from its reason (review: it stayed in the language it
/// came in), else by the field's own check.
pub fn reword(field: Field, check: Option<Callback<String, Option<String>>>) {
    if field.error.get_untracked().is_none() {
        return;
    }
    if let Some(reason) = field.server_error.get_untracked() {
        field.error.set(Some(reason.word(field.label())));
        return;
    }
    if let Some(Some(error)) = check.and_then(|check| check.try_run(field.value.get_untracked())) {
        field.error.set(Some(error));
    }
}

/// A paste with spaces would be cut by `maxlength` before any `input` event: inserts it without
/// them instead (the browser's own paste is cancelled) and answers the input's new value, or
/// `None` when the paste had no spaces (the browser pastes it) or could not be inserted.
fn paste_without_spaces(ev: &leptos::ev::ClipboardEvent) -> Option<String> {
    let pasted = ev
        .clipboard_data()
        .and_then(|data| data.get_data("text").ok())
        .unwrap_or_default();
    if !pasted.chars().any(char::is_whitespace) {
        return None;
    }
    ev.prevent_default();
    let compact: String = pasted.chars().filter(|c| !c.is_whitespace()).collect();
    let input = event_target::<web_sys::HtmlInputElement>(ev);
    let start = input.selection_start().ok().flatten();
    input.set_range_text(&compact).ok()?;
    if let Some(start) = start {
        let caret = start + compact.encode_utf16().count() as u32;
        let _ = input.set_selection_range(caret, caret);
    }
    Some(input.value())
}

/// Whether `shown` is the field's own mask of `current` (not a value the user typed).
fn shows_mask(mask: Option<fn(&str) -> String>, current: &str, shown: &str) -> bool {
    mask.is_some_and(|mask| !current.is_empty() && mask(current) == shown)
}

/// A `<select>` with its label, an optional hint and an inline error, like [`TextField`]:
/// `check` runs on every change.
#[component]
pub fn SelectField(
    /// The field: its element id (the hint is `{id}-hint`, the error `{id}-error`), its label,
    /// the chosen value and the error.
    field: Field,
    /// `data-testid` of the select; the error is `{testid}-error`.
    #[prop(into)]
    testid: String,
    /// The options as `(value, text)`, in order; an empty value is the "choose one" option.
    options: Vec<(String, String)>,
    /// Help shown under the label.
    #[prop(optional, into)]
    hint: Option<String>,
    /// The select's `autocomplete` (`country`, `address-level1`).
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// Checks the chosen value: `Some(message)` when it breaks a rule.
    #[prop(optional, into)]
    check: Option<Callback<String, Option<String>>>,
) -> impl IntoView {
    let (id, label) = (field.id(), field.label());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = described_by(field, hint.is_some().then(|| hint_id.clone()), &error_id);
    reword(field, check);
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        field.value.set(value.clone());
        field.server_error.set(None);
        field
            .error
            .set(check.and_then(|check| check.try_run(value)).flatten());
    };
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let selected = {
                let value = value.clone();
                move || field.value.get() == value
            };
            view! { <option value=value prop:selected=selected>{text}</option> }
        })
        .collect_view();
    let error_testid = format!("{testid}-error");
    view! {
        <div class="pf-field" class:pf-field--invalid=move || field.error.get().is_some()>
            <label class="pf-field__label" for=id.clone()>
                {label}
            </label>
            {hint.map(|hint| view! { <p class="pf-field__hint" id=hint_id>{hint}</p> })}
            <div class="pf-field__control">
                <select
                    class="pf-input pf-select"
                    id=id
                    autocomplete=autocomplete
                    data-testid=testid
                    aria-invalid=move || if field.error.get().is_some() { "true" } else { "false" }
                    aria-describedby=described_by
                    on:change=on_change
                >
                    {options}
                </select>
            </div>
            <InlineError field=field id=error_id testid=error_testid />
        </div>
    }
}

/// Moves focus to the element with id `id` once the page has rendered (the first field of a
/// form that just appeared).
pub fn focus_id_soon(id: String) {
    request_animation_frame(move || {
        let el = document()
            .get_element_by_id(&id)
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    });
}

/// Moves focus to the element with id `id` inside `root` (the first invalid field of a form
/// just submitted), so keyboard and screen-reader users land on what needs fixing. A group of
/// radio buttons (a `<fieldset>`, [`crate::ui::RadioGroup`]) gives its chosen option the focus,
/// or its first.
pub fn focus_within(root: &web_sys::Element, id: &str) {
    let found = root.query_selector(&format!("#{id}")).ok().flatten();
    let target = found
        .map(|el| match el.tag_name().as_str() {
            "FIELDSET" => el
                .query_selector("input:checked")
                .ok()
                .flatten()
                .or_else(|| el.query_selector("input").ok().flatten())
                .unwrap_or(el),
            _ => el,
        })
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = target {
        let _ = el.focus();
    }
}

/// Moves focus to the element `node` refers to, once it is in the page.
pub fn focus_node<E>(node: NodeRef<E>)
where
    E: html::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    request_animation_frame(move || {
        let el = node
            .try_get_untracked()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    });
}

/// `aria-describedby` of a field: its hint (when it has one) and its error (while shown).
fn described_by(
    field: Field,
    hint_id: Option<String>,
    error_id: &str,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let error_id = error_id.to_owned();
    move || {
        let ids: Vec<&str> = [
            hint_id.as_deref(),
            field.error.get().is_some().then_some(error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A field's error under it, while it has one: an alert the field's `aria-describedby` names.
#[component]
fn InlineError(
    /// The field whose error this is.
    field: Field,
    /// The element id (`{field id}-error`).
    id: String,
    /// `data-testid` (`{field testid}-error`).
    testid: String,
) -> impl IntoView {
    move || {
        field.error.get().map(|message| {
            view! {
                <p class="pf-field__error" id=id.clone() role="alert" data-testid=testid.clone()>
                    {message}
                </p>
            }
        })
    }
}
