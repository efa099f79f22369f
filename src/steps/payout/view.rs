//! The payout step's screens, one small component each: the balance, the amount-and-method form
//! (with its empty and no-method states), the review (also while sending and after an
//! unconfirmed send), the transfer's status, and the blocked notice. They show what they are
//! given and report clicks; what happens next is the machine's (`super::machine`). Plain view
//! functions rather than `#[component]`s: nothing here needs optional or `into` props, and
//! they skip the generated props builders (235 bytes of release wasm for the five).

use super::machine::{net_of, status_kind, Payout};
use crate::forms::{fee_line, field, method_label, platform_name, receive_line};
use crate::steps::{AddMethodForm, ContinueButton};
use crate::t;
use crate::ui::{
    Button, ButtonVariant, Choice, ErrorAlert, Field, Form, RadioGroup, Spinner, SubmitButton,
    TextField,
};
use leptos::prelude::*;
use payout_model::money::{
    format_cents, Cents, FeeParty, FlowWallet, PayoutMethod, PayoutPlatform, PayoutQuote, Transfer,
    LEAST_FEE,
};
use payout_model::StepName;

/// Element id prefix of the payout form's fields.
pub const PREFIX: &str = "pf-payout";

/// Element id of the blocked explanation's heading, which takes focus when it shows.
pub const BLOCKED_HEADING: &str = "pf-payout-blocked-heading";

/// The id of "Try again" after an unconfirmed payout, which takes focus when it appears.
pub const RETRY_ID: &str = "pf-payout-retry";

/// What the form edits, and what it was told: copyable signals the step owns.
#[derive(Clone, Copy)]
pub struct FormState {
    /// The form (its alert: a refusal that names no field).
    pub form: Form,
    /// The wallet, once fetched.
    pub wallet: RwSignal<Option<FlowWallet>>,
    /// The user's payout methods, oldest first.
    pub methods: RwSignal<Vec<PayoutMethod>>,
    /// The amount as typed.
    pub amount: Field,
    /// The chosen method's id, and the error under the picker.
    pub method: Field,
}

impl FormState {
    /// Empty, before anything is fetched.
    pub fn new() -> Self {
        let form = Form::new(PREFIX);
        FormState {
            form,
            wallet: RwSignal::new(None),
            methods: RwSignal::new(Vec::new()),
            amount: form.field(field::AMOUNT, || t!(field_amount)),
            method: form.field(field::PAYOUT_METHOD_ID, || t!(field_payout_method)),
        }
    }

    /// The fields the form shows, in order, where a refusal's errors go: a payout link's flow
    /// has no amount field, so an error on the amount (the link's) goes to the form's alert.
    pub fn fields(&self) -> Vec<Field> {
        match self.is_link() {
            true => vec![self.method],
            false => vec![self.amount, self.method],
        }
    }

    /// What may be paid out now.
    pub fn withdrawable(&self) -> Cents {
        self.wallet
            .with(|w| w.as_ref().map_or(0, |w| w.withdrawable_amount))
    }

    /// Whether this is a payout link's flow, whose payout pays the link's amount: no amount
    /// field (issue 11).
    pub fn is_link(&self) -> bool {
        self.wallet
            .with(|w| w.as_ref().is_some_and(|w| w.payout_link.is_some()))
    }

    /// The smallest payout; a cent (the model's own floor) until the wallet says otherwise.
    pub fn minimum(&self) -> Cents {
        self.wallet.with(|w| {
            w.as_ref().map_or(1, |w| {
                w.payout_link
                    .as_ref()
                    .map_or(w.minimum_payout, |link| link.amount)
            })
        })
    }

    /// The chosen method.
    pub fn selected_method(&self) -> Option<PayoutMethod> {
        let id = self.method.value.get();
        self.methods
            .with(|list| list.iter().find(|m| m.id.to_string() == id).cloned())
    }
}

/// The withdrawable balance, and what is still pending; in a payout link's flow, what the link
/// pays, who it is from and its memo instead (issue 11).
pub fn balance(wallet: RwSignal<Option<FlowWallet>>) -> impl IntoView {
    move || {
        wallet.get().map(|w| {
            if let Some(link) = w.payout_link {
                return view! {
                    <div class="pf-balance" data-testid="payout-link-offer">
                        <p class="pf-balance__label">{t!(link_offer_heading)}</p>
                        <p class="pf-balance__amount" data-testid="payout-balance">
                            {format_cents(link.amount)}
                        </p>
                        <p class="pf-details" data-testid="payout-link-from">
                            {t!(link_offer_from, from = &link.from)}
                        </p>
                        {link
                            .memo
                            .map(|memo| {
                                view! {
                                    <p class="pf-body" data-testid="payout-link-memo">{memo}</p>
                                }
                            })}
                    </div>
                }
                .into_any();
            }
            let pending = w.amount - w.withdrawable_amount;
            view! {
                <div class="pf-balance">
                    <p class="pf-balance__label">{t!(available_to_withdraw)}</p>
                    <p class="pf-balance__amount" data-testid="payout-balance">
                        {format_cents(w.withdrawable_amount)}
                    </p>
                    {(pending > 0)
                        .then(|| {
                            view! {
                                <p class="pf-details" data-testid="payout-pending-balance">
                                    {t!(pending_balance, amount = &format_cents(pending))}
                                </p>
                            }
                        })}
                </div>
            }
            .into_any()
        })
    }
}

/// The amount and method form; "nothing to pay out" for an empty wallet, and the add-a-method
/// form for a user without a method. `live_quote` is the fee and net amount of what is typed
/// (once it is a valid amount), `amount_check` the amount field's inline check; `on_review`
/// runs on submit, `on_reload` on "Check again", `on_added` when a user without a method adds
/// one.
pub fn payout_form(
    state: FormState,
    fee_party: FeeParty,
    live_quote: Memo<Option<PayoutQuote>>,
    amount_check: Callback<String, Option<String>>,
    on_review: UnsyncCallback<leptos::ev::SubmitEvent>,
    on_reload: UnsyncCallback<()>,
    on_added: UnsyncCallback<PayoutMethod>,
) -> impl IntoView {
    let choices = Signal::derive(move || {
        state
            .methods
            .get()
            .into_iter()
            .map(|m| Choice {
                value: m.id.to_string(),
                label: method_label(&m),
                badge: m.default.then(|| t!(default_badge).to_owned()),
                testid: "payout-method-option".to_owned(),
                kind: Some(m.platform.as_str().to_owned()),
            })
            .collect::<Vec<_>>()
    });
    move || {
        let withdrawable = state.withdrawable();
        // Less than the flow's minimum is as good as nothing: no amount could be paid out. Nor
        // could one the user's fee would take whole (every rail's is at least LEAST_FEE).
        let minimum = match fee_party {
            FeeParty::User => state.minimum().max(LEAST_FEE + 1),
            FeeParty::Platform => state.minimum(),
        };
        let below_minimum = withdrawable > 0 && withdrawable < minimum && !state.is_link();
        if withdrawable <= 0 || below_minimum {
            let (testid, title, body) = if below_minimum {
                (
                    "payout-below-minimum",
                    t!(below_minimum_payout).to_owned(),
                    t!(below_minimum_payout_body, minimum = &format_cents(minimum)),
                )
            } else {
                (
                    "payout-empty",
                    t!(nothing_to_pay_out).to_owned(),
                    t!(nothing_to_pay_out_body).to_owned(),
                )
            };
            return view! {
                <div class="pf-empty-state" data-testid=testid>
                    <h2 class="pf-subtitle">{title}</h2>
                    <p class="pf-body">{body}</p>
                    <div class="pf-actions">
                        <Button
                            label=t!(check_again)
                            on_click=on_reload
                            testid="payout-check-again"
                            variant=ButtonVariant::Secondary
                        />
                    </div>
                </div>
            }
            .into_any();
        }
        if state.methods.with(Vec::is_empty) {
            return view! {
                <div data-testid="payout-no-method">
                    <h2 class="pf-subtitle">{t!(add_method_heading)}</h2>
                    <p class="pf-body">{t!(no_method_for_payout)}</p>
                    <AddMethodForm on_added=on_added shown=Signal::stored(Some(Vec::new())) first_only=true />
                </div>
            }
            .into_any();
        }
        view! {
            <form
                class="pf-form"
                novalidate=true
                node_ref=state.form.node
                data-testid="payout-form"
                on:submit=move |ev| on_review.run(ev)
            >
                {(!state.is_link())
                    .then(|| {
                        view! {
                            <TextField
                                hint=t!(amount_hint, balance = &format_cents(withdrawable))
                                field=state.amount
                                testid="payout-amount"
                                inputmode="decimal"
                                autocomplete="off"
                                prefix="$"
                                check=amount_check
                            />
                        }
                    })}
                // Drawn again in a new language, a refusal's error under the picker is worded
                // again too (review), as a text field's is.
                {crate::ui::reword(state.method, None)}
                <RadioGroup
                    name=format!("{PREFIX}-method")
                    legend=t!(field_payout_method)
                    options=choices
                    selected=state.method.value
                    testid="payout-method-picker"
                    error=state.method.error
                    id=state.method.id()
                />
                <div class="pf-quote" aria-live="polite" data-testid="payout-quote">
                    {move || {
                        live_quote
                            .get()
                            .map(|q| {
                                view! {
                                    <p class="pf-details" data-testid="payout-fee">{fee_line(&q)}</p>
                                    <p class="pf-quote__net" data-testid="payout-net">{receive_line(&q)}</p>
                                }
                            })
                    }}
                </div>
                {move || {
                    state
                        .form
                        .alert
                        .get()
                        .map(|details| {
                            view! {
                                <ErrorAlert
                                    message=t!(payout_refused)
                                    details=details.text()
                                    testid="payout-form-error"
                                />
                            }
                        })
                }}
                <div class="pf-actions">
                    <SubmitButton
                        label=t!(review_payout)
                        busy_label=t!(review_payout)
                        busy=Signal::stored(false)
                        testid="payout-review"
                    />
                </div>
            </form>
        }
        .into_any()
    }
}

/// Where the review screen is: waiting for Confirm, sending, or unsure whether it was sent.
#[derive(Clone, Debug, PartialEq)]
pub enum ReviewPhase {
    /// Confirm or Back.
    Ready,
    /// In flight: Confirm is disabled.
    Sending,
    /// No answer: only "Try again" (same key), with these details.
    Unconfirmed(String),
}

/// The review of a payout, with what can be done in its phase.
pub fn review_screen(
    payout: Payout,
    phase: ReviewPhase,
    on_confirm: UnsyncCallback<()>,
    on_back: UnsyncCallback<()>,
    on_retry: UnsyncCallback<()>,
) -> impl IntoView {
    let method_label = payout.method.as_ref().map(method_label);
    let actions = match phase {
        ReviewPhase::Ready => view! {
            <div class="pf-actions">
                <Button label=t!(confirm_payout) on_click=on_confirm testid="payout-confirm" />
                <Button
                    label=t!(back)
                    on_click=on_back
                    testid="payout-back"
                    variant=ButtonVariant::Secondary
                />
            </div>
        }
        .into_any(),
        ReviewPhase::Sending => view! {
            <p class="pf-status" role="status" data-testid="payout-sending">
                <Spinner />
                {t!(sending_payout)}
            </p>
            <div class="pf-actions">
                <Button
                    label=t!(confirm_payout)
                    on_click=on_confirm
                    testid="payout-confirm"
                    disabled=true
                />
            </div>
        }
        .into_any(),
        ReviewPhase::Unconfirmed(details) => view! {
            <ErrorAlert
                message=t!(payout_unconfirmed)
                details=details
                testid="payout-send-error"
            />
            <div class="pf-actions">
                <Button label=t!(retry) on_click=on_retry testid="payout-retry" id=RETRY_ID />
            </div>
        }
        .into_any(),
    };
    view! {
        <section class="pf-section" data-testid="payout-review-screen">
            <h2 class="pf-subtitle" tabindex="-1" data-stage-heading="">
                {t!(review_title)}
            </h2>
            <dl class="pf-summary">
                <div>
                    <dt>{t!(summary_amount)}</dt>
                    <dd data-testid="review-amount">{format_cents(payout.attempt.amount)}</dd>
                </div>
                <div>
                    <dt>{t!(summary_to)}</dt>
                    <dd data-testid="review-method">{method_label.unwrap_or_default()}</dd>
                </div>
            </dl>
            {payout
                .quote
                .map(|q| {
                    view! {
                        <p class="pf-details" data-testid="review-fee">{fee_line(&q)}</p>
                        <p class="pf-quote__net" data-testid="review-net">{receive_line(&q)}</p>
                    }
                })}
            {actions}
        </section>
    }
}

/// The title and body of the status screen for `transfer` paid to `method`.
fn status_text(transfer: &Transfer, method: Option<&PayoutMethod>) -> (String, String, String) {
    let quoted = transfer
        .external_data
        .fee
        .zip(transfer.external_data.payout_fee_party)
        .map(|(fee, party)| PayoutQuote {
            amount: transfer.amount.abs(),
            fee,
            payout_fee_party: party,
            net_amount: net_of(transfer, None),
        });
    let net = format_cents(net_of(transfer, quoted.as_ref()));
    let platform = method
        .map(|m| m.platform)
        .or(transfer.external_data.platform);
    // A method removed since (in another flow) is no longer listed: the transfer's platform
    // names it (review: the status read "…was sent to .").
    let label = method
        .map(method_label)
        .or_else(|| platform.map(|p| platform_name(p).to_owned()))
        .unwrap_or_default();
    let (title, body) = match status_kind(transfer.status) {
        "completed" => (
            t!(payout_completed_title).to_owned(),
            t!(payout_completed_body, net = &net, method = &label),
        ),
        "pending" if platform == Some(PayoutPlatform::Ach) => (
            t!(payout_pending_title).to_owned(),
            t!(payout_pending_ach).to_owned(),
        ),
        "pending" => (
            t!(payout_pending_title).to_owned(),
            t!(payout_pending_other).to_owned(),
        ),
        _ => (
            t!(payout_failed_title).to_owned(),
            t!(payout_failed_body).to_owned(),
        ),
    };
    let pending_net = t!(payout_pending_net, net = &net, method = &label);
    (title, body, pending_net)
}

/// The transfer as it is: completed, pending (refreshed, with "Check status") or failed;
/// `refresh_failed` says the last refresh failed (the status shown may be old).
pub fn status_screen(
    transfer: Transfer,
    method: Option<PayoutMethod>,
    refresh_failed: RwSignal<bool>,
    on_check_now: UnsyncCallback<()>,
    on_start_over: UnsyncCallback<()>,
) -> impl IntoView {
    let kind = status_kind(transfer.status);
    let (title, body, pending_net) = status_text(&transfer, method.as_ref());
    let went_through = kind != "failed";
    let next = if went_through {
        view! {
            {(kind == "pending")
                .then(|| {
                    view! {
                        <div class="pf-actions">
                            <Button
                                label=t!(check_status)
                                on_click=on_check_now
                                testid="payout-refresh"
                                variant=ButtonVariant::Secondary
                            />
                        </div>
                    }
                })}
            <ContinueButton
                step=StepName::Payout
                ready=true
                reason=String::new()
                testid="payout-continue"
            />
        }
        .into_any()
    } else {
        view! {
            <div class="pf-actions">
                <Button label=t!(retry) on_click=on_start_over testid="payout-start-over" />
            </div>
        }
        .into_any()
    };
    view! {
        <div
            class="pf-payout-status"
            class:pf-alert=!went_through
            role="status"
            data-testid=format!("payout-status-{kind}")
            data-status=transfer.status.as_str()
        >
            <h2 class="pf-subtitle" tabindex="-1" data-stage-heading="">
                {title}
            </h2>
            <p class="pf-body" data-testid="payout-status-text">{body}</p>
            {(kind == "pending")
                .then(|| {
                    view! {
                        <p class="pf-details" data-testid="payout-status-net">{pending_net}</p>
                    }
                })}
        </div>
        {move || {
            refresh_failed
                .get()
                .then(|| {
                    view! {
                        <p class="pf-details" data-testid="payout-refresh-failed">
                            {t!(refresh_failed)}
                        </p>
                    }
                })
        }}
        {next}
    }
}

/// Why the user cannot pay out here: plain words, nothing to do.
pub fn blocked_notice() -> impl IntoView {
    view! {
        <section class="pf-section pf-notice pf-notice--info" data-testid="payout-blocked">
            <h2
                class="pf-subtitle"
                id=BLOCKED_HEADING
                tabindex="-1"
                data-stage-heading=""
                aria-describedby="pf-payout-blocked-body"
            >
                {t!(payout_blocked_title)}
            </h2>
            <p class="pf-body" id="pf-payout-blocked-body">
                {t!(payout_blocked_body)}
            </p>
        </section>
    }
}
