//! Small status pieces every fetch needs: a loading line, an error alert with a retry, and a
//! badge.

use crate::t;
use crate::ui::{Button, ButtonVariant, Spinner};
use leptos::prelude::*;

/// "Loading your …" with a spinner, announced politely.
#[component]
pub fn LoadingLine(
    /// What is loading.
    #[prop(into)]
    text: String,
    /// `data-testid`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    view! {
        <p class="pf-status" role="status" data-testid=testid>
            <Spinner />
            {text}
        </p>
    }
}

/// What failed, the server's words as details, and "Try again" when `on_retry` is given.
#[component]
pub fn ErrorAlert(
    /// What failed, for people.
    #[prop(into)]
    message: String,
    /// The underlying message (`Details: …`), when there is one.
    #[prop(optional, into)]
    details: Option<String>,
    /// `data-testid` of the alert; the retry button is `{testid}-retry`.
    #[prop(into)]
    testid: String,
    /// Runs the failed work again.
    #[prop(optional, into)]
    on_retry: Option<UnsyncCallback<()>>,
    /// The retry button's text ("Try again" when absent).
    #[prop(optional, into)]
    retry_label: Option<String>,
) -> impl IntoView {
    let retry = on_retry.map(|on_retry| {
        let on_click = UnsyncCallback::new(move |()| {
            let card = focused_card();
            on_retry.run(());
            if let Some(card) = card {
                keep_focus_in(card);
            }
        });
        view! {
            <div class="pf-actions">
                <Button
                    label=retry_label.unwrap_or_else(|| t!(retry).to_owned())
                    on_click=on_click
                    testid=format!("{testid}-retry")
                    variant=ButtonVariant::Secondary
                />
            </div>
        }
    });
    view! {
        <div class="pf-alert" role="alert" data-testid=testid>
            <p>{message}</p>
            {details
                .filter(|d| !d.is_empty())
                .map(|d| view! { <p class="pf-details">{t!(error_details, message = &d)}</p> })}
            {retry}
        </div>
    }
}

/// The card of the element that has the focus, if the page has it.
fn focused_card() -> Option<web_sys::Element> {
    let document = document();
    if !document.has_focus().unwrap_or(false) {
        return None;
    }
    document
        .active_element()?
        .closest(".pf-card")
        .ok()
        .flatten()
}

/// After a "Try again" that had the focus: the alert goes (a saving or loading line takes its
/// place), and with it the focus, which fell to the page (review: a keyboard or screen-reader
/// user was left at the top, after the list loaded or the save failed again). Then the
/// screen's title in `card` takes it, two frames later, so a step that gives it somewhere
/// better (the payout step's stage heading) goes first.
fn keep_focus_in(card: web_sys::Element) {
    request_animation_frame(move || {
        request_animation_frame(move || {
            let document = document();
            let lost = document
                .active_element()
                .is_none_or(|el| document.body().is_some_and(|body| *body == el));
            if !lost || !document.has_focus().unwrap_or(false) || !card.is_connected() {
                return;
            }
            let title = card
                .query_selector(".pf-title")
                .ok()
                .flatten()
                .and_then(|h| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(h).ok());
            if let Some(title) = title {
                let _ = title.focus();
            }
        });
    });
}

/// A short tag next to a name (`Default`).
#[component]
pub fn Badge(
    /// The tag.
    #[prop(into)]
    text: String,
    /// `data-testid`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    view! { <span class="pf-badge" data-testid=testid>{text}</span> }
}
