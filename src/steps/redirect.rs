//! The redirect step (DESIGN.md "redirect"): records the step, tells the host, then leaves for
//! `redirect_url` — the top window when embedded.
//!
//! Order matters: the completion is recorded first, so a user never leaves with the step
//! unrecorded; a failure shows a retry and stays. Then `step_completed`, `completed` (when this
//! was the last step) and `redirect` are posted, in that order and in one call
//! ([`crate::bridge::Bridge::step_finished`]), and only then does the flow navigate. A
//! cross-origin frame usually may not navigate the top window without a click, so the host SDK
//! also navigates on `redirect`, and the Continue link (`target=_top`) works with a click.

use crate::api::ApiFailure;
use crate::context::{use_services, FlowServices};
use crate::i18n::{failure_details, localized};
use crate::requests::Sender;
use crate::t;
use crate::ui::{focus_node, Button, ScreenCard, Spinner};
use leptos::prelude::*;
use payout_model::step::check_redirect_url;
use payout_model::{FlowState, StepName, StepStatus};

/// How recording the completion ended (while it is in flight, the step's action is pending).
#[derive(Clone, Debug, PartialEq)]
enum Status {
    /// Recording failed; waiting for a retry. Worded when shown, so a change of language words
    /// it again.
    Failed(ApiFailure),
    /// Recorded; navigating away.
    Leaving,
}

/// The host part of an http(s) URL (`shop.example:8080`), for "Taking you to …".
pub fn host_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    // A browser reads `\` as `/` here (the URL check refuses it anyway).
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then_some(host)
}

/// Leaves the flow for `url` once the step is recorded.
#[component]
pub fn RedirectStep(
    /// Where to go: the step's `redirect_url`, checked again here before any navigation.
    #[prop(into)]
    url: String,
) -> impl IntoView {
    let services = use_services();
    // Defence in depth: the model already refused non-http(s) URLs when the flow was parsed.
    let host = match (check_redirect_url(&url), host_of(&url)) {
        (Ok(()), Some(host)) => host.to_owned(),
        _ => {
            services
                .bridge
                .error("redirect_url refused: not an http(s) URL");
            return view! {
                <ScreenCard testid="step-redirect-invalid" title=t!(redirect_invalid_title)>
                    <p class="pf-body">{t!(redirect_invalid_body)}</p>
                </ScreenCard>
            }
            .into_any();
        }
    };

    let (recording, status) = (Sender::new(), RwSignal::new(None::<Status>));
    let saving = recording.pending();
    let start = {
        let url = url.clone();
        move || {
            if recording.is_pending() {
                return;
            }
            status.set(None);
            let (services, url) = (services.clone(), url.clone());
            let call = (services.complete_step)(StepName::Redirect);
            recording.send(call, move |answer| {
                status.set(Some(leave(&services, &url, answer)))
            });
        }
    };
    start();

    let status_view = move || match (saving.get(), status.get()) {
        (true, _) | (false, None) => view! {
            <p class="pf-status" role="status" data-testid="redirect-status">
                <Spinner />
                {t!(redirect_saving)}
            </p>
        }
        .into_any(),
        (false, Some(Status::Leaving)) => view! {
            <p class="pf-status" role="status" data-testid="redirect-status">
                <Spinner />
                {t!(redirect_leaving)}
            </p>
        }
        .into_any(),
        (false, Some(Status::Failed(failure))) => view! {
            <div class="pf-alert" role="alert" data-testid="redirect-error">
                <p>{t!(redirect_failed)}</p>
                <p class="pf-details">
                    {t!(error_details, message = &failure_details(&failure))}
                </p>
            </div>
        }
        .into_any(),
    };
    let retry = UnsyncCallback::from(start);
    // Where navigating by itself is not allowed (a cross-origin frame without embed.js, a host
    // that stays), the page stays on "Leaving…": Continue gets the focus, so a keyboard or
    // screen-reader user is on the way out at once.
    let continue_ref = NodeRef::<leptos::html::A>::new();
    Effect::new(move |_| {
        if status.get() == Some(Status::Leaving) {
            focus_node(continue_ref);
        }
    });
    let continue_link = {
        let url = url.clone();
        move || {
            (status.get() == Some(Status::Leaving)).then(|| {
                view! {
                    <a
                        node_ref=continue_ref
                        class="pf-button pf-button--primary"
                        href=url.clone()
                        target="_top"
                        rel="noopener"
                        data-testid="redirect-continue"
                    >
                        {t!(redirect_continue)}
                    </a>
                }
            })
        }
    };
    let retry_button = move || {
        matches!(status.get(), Some(Status::Failed(_))).then(|| {
            view! { <Button label=t!(retry) on_click=retry testid="redirect-retry" /> }
        })
    };

    localized(move || {
        let continue_link = continue_link.clone();
        let url = url.clone();
        view! {
            <ScreenCard
                testid="step-redirect"
                title=t!(redirect_title, host = &host)
            >
                <p class="pf-body">{t!(redirect_body)}</p>
                <p class="pf-details" data-testid="redirect-destination">{url}</p>
                {status_view}
                <div class="pf-actions">{continue_link}{retry_button}</div>
            </ScreenCard>
        }
    })
    .into_any()
}

/// Once the step is recorded (`recorded`): posts the messages in order, then navigates.
fn leave(services: &FlowServices, url: &str, recorded: Result<FlowState, ApiFailure>) -> Status {
    match recorded {
        Ok(flow) => {
            let flow_done = flow.next_step().is_none();
            services.bridge.step_finished(
                StepName::Redirect,
                StepStatus::Completed,
                flow_done,
                Some(url),
            );
            (services.navigate)(url);
            Status::Leaving
        }
        Err(failure) => Status::Failed(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_names_the_destination() {
        assert_eq!(
            host_of("https://shop.example/after?x=1"),
            Some("shop.example")
        );
        assert_eq!(
            host_of("http://user@shop.example:8080#a"),
            Some("shop.example:8080")
        );
        assert_eq!(
            host_of("https://evil.example\\@bank.example/"),
            Some("evil.example")
        );
        assert_eq!(host_of("https://"), None);
        assert_eq!(host_of("shop.example"), None);
    }
}
