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
    let retry = on_retry.map(|on_click| {
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
