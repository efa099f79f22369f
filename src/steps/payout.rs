//! The payout step (DESIGN.md "payout", seeds 000 and 004): the wallet's withdrawable balance,
//! an amount (all of it by default), a payout method (the default one preselected), the fee and
//! who pays it (`payout_fee_party`), a review screen, then the transfer's status as it moves —
//! completed at once on PayPal, Venmo and Cash App; pending on ACH, refreshed every few seconds
//! until it settles. Continue then records the step.
//!
//! **Never pay twice.** Each payout attempt has one idempotency key (a random UUID v4), made
//! when the user reaches the review screen for an amount and a method and reused for that pair:
//! - a request that may have reached the server (no answer, or a 5xx) offers only "Try again",
//!   which resends the *same* key and body — the server answers the first transfer, never a
//!   second one; the user cannot change the amount or method of an attempt in that state;
//! - from the moment the user confirms until the transfer is known, the attempt
//!   (`{flow_id, key, amount, payout_method_id}` — no secret; the session token is never
//!   stored) sits in `sessionStorage`, so after a reload the step resends it with the same key
//!   and shows the transfer the server answers;
//! - the Confirm button ignores clicks while a request is in flight (double-click safe);
//! - a refusal (4xx: the server made no payout) ends the attempt: its error lands on the
//!   amount or method field, and the next review makes a new key.
//!
//! **Minimum and block** (issue 8): the amount must reach the flow's `minimum_payout`, checked
//! here with the sandbox's wording. A user the flow may not pay (`payout_block`, or a payout
//! refused 403 `payout_blocked`) sees a plain explanation instead of the form — no amount, no
//! pay button, no internals — and the host gets one `error` message with code
//! `payout_blocked`.

use crate::api::ApiFailure;
use crate::context::use_services;
use crate::forms::{
    amount_input, check_amount, fee_line, field, field_label, quote, receive_line, server_errors,
};
use crate::i18n::{step_title, t, tr, Key};
use crate::steps::{field_id, AddMethodForm, ContinueButton};
use crate::ui::{
    focus_id_soon, focus_within, Button, ButtonVariant, Choice, ErrorAlert, FieldState,
    LoadingLine, RadioGroup, ScreenCard, Spinner, SubmitButton, TextField,
};
use leptos::html;
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::money::{
    format_cents, Cents, FeeParty, FlowWallet, NewFlowPayout, PayoutMethod, PayoutPlatform,
    PayoutQuote, Transfer, TransferStatus,
};
use payout_model::{ErrorCode, StepName};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::JsCast;

/// How often a pending transfer is fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(4);

/// Element id prefix of the payout form's fields.
const PREFIX: &str = "pf-payout";

/// One payout attempt: what the user confirmed and the idempotency key it is sent with.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Attempt {
    /// The flow the payout belongs to.
    pub flow_id: Uuid,
    /// The idempotency key, the same on every retry of this attempt.
    pub key: String,
    /// Cents to pay out.
    pub amount: Cents,
    /// The payout method.
    pub payout_method_id: Uuid,
}

impl Attempt {
    /// A new attempt with a fresh key.
    pub fn new(flow_id: Uuid, amount: Cents, payout_method_id: Uuid) -> Self {
        Attempt {
            flow_id,
            key: new_idempotency_key(),
            amount,
            payout_method_id,
        }
    }

    /// Whether this attempt pays `amount` to `payout_method_id` (so its key may be reused).
    pub fn is_for(&self, amount: Cents, payout_method_id: Uuid) -> bool {
        self.amount == amount && self.payout_method_id == payout_method_id
    }

    /// The request body.
    pub fn request(&self) -> NewFlowPayout {
        NewFlowPayout {
            amount: self.amount,
            payout_method_id: self.payout_method_id,
            idempotency_key: self.key.clone(),
        }
    }

    /// The `sessionStorage` key of `flow_id`'s attempt.
    pub fn storage_key(flow_id: Uuid) -> String {
        format!("payout-flows:payout-attempt:{flow_id}")
    }

    /// Reads a stored attempt; `None` when there is none, or it is unreadable or for another
    /// flow.
    pub fn parse(flow_id: Uuid, stored: &str) -> Option<Self> {
        serde_json::from_str::<Attempt>(stored)
            .ok()
            .filter(|a| a.flow_id == flow_id && !a.key.is_empty())
    }

    /// The attempt of `flow_id` kept in `sessionStorage`, if any.
    pub fn load(flow_id: Uuid) -> Option<Self> {
        let stored = session_storage()?
            .get_item(&Self::storage_key(flow_id))
            .ok()
            .flatten()?;
        Self::parse(flow_id, &stored)
    }

    /// Keeps this attempt in `sessionStorage` until [`Attempt::forget`].
    pub fn keep(&self) {
        let Some(storage) = session_storage() else {
            return;
        };
        let Ok(json) = serde_json::to_string(self) else {
            return;
        };
        if let Err(e) = storage.set_item(&Self::storage_key(self.flow_id), &json) {
            warn!("payout-flows: could not keep the payout attempt across reloads: {e:?}");
        }
    }

    /// Removes `flow_id`'s attempt from `sessionStorage`.
    pub fn forget(flow_id: Uuid) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(&Self::storage_key(flow_id));
        }
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// A random UUID v4 from the browser's cryptographic generator (`crypto.getRandomValues`,
/// which, unlike `crypto.randomUUID`, also works on plain-http pages).
fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (very old browsers): Math.random still makes a key unique enough to
        // tell this user's attempts apart.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// What is being paid out: the attempt and, for display, its method and quote.
#[derive(Clone, Debug, PartialEq)]
struct Payout {
    attempt: Attempt,
    method: Option<PayoutMethod>,
    quote: Option<PayoutQuote>,
}

/// Where the step is.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Fetching the wallet and the payout methods.
    Loading,
    /// That failed with this message.
    LoadFailed(String),
    /// The amount and method form (or the empty and no-method states).
    Form,
    /// The review screen; Confirm sends.
    Review(Payout),
    /// The payout request is in flight.
    Sending(Payout),
    /// It may or may not have reached the server: only a retry with the same key is offered.
    SendFailed(Payout, String),
    /// The server answered the transfer.
    Status(Transfer, Option<PayoutMethod>),
    /// The user may not pay out through the flow (issue 8): an explanation, nothing to do.
    Blocked,
}

impl Stage {
    /// Which screen the stage shows, for moving focus when it changes.
    fn screen(&self) -> u8 {
        match self {
            Stage::Loading | Stage::LoadFailed(_) | Stage::Form => 0,
            Stage::Review(_) | Stage::Sending(_) | Stage::SendFailed(..) => 1,
            Stage::Status(..) => 2,
            Stage::Blocked => 3,
        }
    }
}

/// What the host's developers read in the `error` message of a blocked payout: no more than
/// the user is told, since the host page may show or log it.
pub const BLOCKED_MESSAGE: &str = "this user cannot be paid out through a flow";

/// Element id of the blocked explanation's heading, which takes focus when it shows.
const BLOCKED_HEADING: &str = "pf-payout-blocked-heading";

/// What the status screen says about `status`.
fn status_kind(status: TransferStatus) -> &'static str {
    match status {
        TransferStatus::Completed => "completed",
        TransferStatus::Failed | TransferStatus::Canceled | TransferStatus::Reversed => "failed",
        TransferStatus::Created | TransferStatus::Flagged | TransferStatus::Pending => "pending",
    }
}

/// The net amount of `transfer`: what the server says reached the user, else what was quoted.
fn net_of(transfer: &Transfer, quoted: Option<&PayoutQuote>) -> Cents {
    transfer
        .external_data
        .net_amount
        .or(quoted.map(|q| q.net_amount))
        .unwrap_or(transfer.amount.abs())
}

/// Withdraws the balance to a payout method.
#[component]
pub fn PayoutStep(
    /// The flow, for keeping a payout attempt across reloads.
    flow_id: Uuid,
    /// Who pays the payout fee in this flow.
    fee_party: FeeParty,
) -> impl IntoView {
    let services = use_services();
    let api = services.api.clone();
    let stage = RwSignal::new(Stage::Loading);
    let wallet = RwSignal::new(None::<FlowWallet>);
    let methods = RwSignal::new(Vec::<PayoutMethod>::new());
    let amount = FieldState::new();
    let method_id = RwSignal::new(String::new());
    let method_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let refresh_failed = RwSignal::new(false);
    // The attempt of the last review, reused while the amount and method stay the same.
    let attempt = StoredValue::new(None::<Attempt>);
    // Bumped whenever a status refresh loop starts; a loop stops when it is not the latest, or
    // when the step is gone (the value is disposed).
    let refresh_loop = StoredValue::new(0u32);
    let form = NodeRef::<html::Form>::new();
    let root = NodeRef::<html::Div>::new();

    let selected_method = move || {
        let id = method_id.get();
        methods.with(|list| list.iter().find(|m| m.id.to_string() == id).cloned())
    };
    let withdrawable = move || wallet.get().map_or(0, |w| w.withdrawable_amount);
    // Until the wallet says otherwise, a cent (the model's own floor).
    let minimum = move || wallet.get().map_or(1, |w| w.minimum_payout);
    // The host hears of a block once per step, whichever way the step learnt of it.
    let host_told = StoredValue::new(false);
    let block = {
        let bridge = services.bridge.clone();
        move || {
            Attempt::forget(flow_id);
            attempt.try_set_value(None);
            // Focus, so screen readers announce the explanation (also when it is the first
            // screen the step settles on, which the screen-change effect does not see).
            if stage.try_set(Stage::Blocked).is_none() {
                focus_id_soon(BLOCKED_HEADING.to_owned());
            }
            if host_told.try_get_value() == Some(false) {
                host_told.try_set_value(true);
                bridge.error_with_code(BLOCKED_MESSAGE, Some(ErrorCode::PayoutBlocked));
            }
        }
    };

    // A refreshed transfer replaces the shown one only when its status moved, so the status
    // screen (and the focus in it) stays put while nothing changes.
    let apply_fresh = move |fresh: Result<Transfer, ApiFailure>| match fresh {
        Ok(fresh) => {
            refresh_failed.try_set(false);
            let moved = stage.try_with_untracked(|s| {
                matches!(s, Stage::Status(t, _) if t.id == fresh.id && t.status != fresh.status)
            });
            if moved == Some(true) {
                stage.try_update(|s| {
                    if let Stage::Status(t, _) = s {
                        *t = fresh;
                    }
                });
            }
        }
        Err(_) => {
            refresh_failed.try_set(true);
        }
    };

    // Refreshes a pending transfer every few seconds until it is final or the step is gone.
    let watch = {
        let (api, sleep) = (api.clone(), services.sleep.clone());
        move |id: Uuid| {
            let Some(generation) = refresh_loop.try_update_value(|g| {
                *g += 1;
                *g
            }) else {
                return;
            };
            let (api, sleep) = (api.clone(), sleep.clone());
            spawn_local(async move {
                loop {
                    sleep(REFRESH_EVERY).await;
                    let still_pending = stage.try_with_untracked(
                        |s| matches!(s, Stage::Status(t, _) if t.id == id && !t.status.is_final()),
                    );
                    if refresh_loop.try_get_value() != Some(generation)
                        || still_pending != Some(true)
                    {
                        return;
                    }
                    apply_fresh(api.transfer(id).await);
                }
            });
        }
    };

    let show_transfer = {
        let watch = watch.clone();
        move |transfer: Transfer, method: Option<PayoutMethod>| {
            Attempt::forget(flow_id);
            attempt.try_set_value(None);
            let pending = !transfer.status.is_final();
            let id = transfer.id;
            stage.try_set(Stage::Status(transfer, method));
            if pending {
                watch(id);
            }
        }
    };

    // Refetches the balance without leaving the form (after the server refused a payout).
    let refresh_wallet = {
        let (api, block) = (api.clone(), block.clone());
        move || {
            let call = api.wallet();
            let block = block.clone();
            spawn_local(async move {
                if let Ok(w) = call.await {
                    wallet.try_set(Some(w));
                    if w.payout_block.is_some() {
                        block();
                    }
                }
            });
        }
    };

    let send = {
        let (api, show_transfer, refresh_wallet, block) = (
            api.clone(),
            show_transfer.clone(),
            refresh_wallet.clone(),
            block.clone(),
        );
        move |payout: Payout| {
            payout.attempt.keep();
            stage.set(Stage::Sending(payout.clone()));
            let call = api.create_payout(payout.attempt.request());
            let (show_transfer, refresh_wallet, block) =
                (show_transfer.clone(), refresh_wallet.clone(), block.clone());
            spawn_local(async move {
                match call.await {
                    Ok(transfer) => show_transfer(transfer, payout.method),
                    // The user was blocked since the wallet was read (a race): same screen.
                    Err(failure)
                        if failure.api_error().map(|e| e.code)
                            == Some(ErrorCode::PayoutBlocked) =>
                    {
                        block();
                    }
                    Err(failure) if failure.may_have_happened() => {
                        let message = failure.message().to_owned();
                        stage.try_set(Stage::SendFailed(payout, message));
                    }
                    Err(failure) => {
                        // Refused: no payout was made with this key; the next review makes a
                        // new one.
                        Attempt::forget(flow_id);
                        attempt.try_set_value(None);
                        let (mut mapped, rest) =
                            server_errors(&failure, &[field::AMOUNT, field::PAYOUT_METHOD_ID]);
                        amount.error.try_set(mapped.remove(field::AMOUNT));
                        method_error.try_set(mapped.remove(field::PAYOUT_METHOD_ID));
                        form_error.try_set(rest);
                        stage.try_set(Stage::Form);
                        refresh_wallet();
                    }
                }
            });
        }
    };

    let load = {
        let (api, send, block) = (api.clone(), send.clone(), block.clone());
        move || {
            stage.set(Stage::Loading);
            form_error.set(None);
            let wallet_call = api.wallet();
            let (api, send, block) = (api.clone(), send.clone(), block.clone());
            spawn_local(async move {
                let loaded = match wallet_call.await {
                    // Blocked: nothing more to fetch, and no stored attempt is resent.
                    Ok(w) if w.payout_block.is_some() => {
                        wallet.try_set(Some(w));
                        block();
                        return;
                    }
                    Ok(w) => api.payout_methods().await.map(|list| (w, list.data)),
                    Err(failure) => Err(failure),
                };
                let (w, list) = match loaded {
                    Ok(loaded) => loaded,
                    Err(failure) => {
                        stage.try_set(Stage::LoadFailed(failure.message().to_owned()));
                        return;
                    }
                };
                wallet.try_set(Some(w));
                amount.value.try_set(amount_input(w.withdrawable_amount));
                amount.error.try_set(None);
                let preselect = list.iter().find(|m| m.default).or(list.first());
                method_id.try_set(preselect.map(|m| m.id.to_string()).unwrap_or_default());
                methods.try_set(list.clone());
                match Attempt::load(flow_id) {
                    // A payout confirmed before a reload: resend it with its key.
                    Some(stored) => {
                        let method = list
                            .iter()
                            .find(|m| m.id == stored.payout_method_id)
                            .cloned();
                        let quote = method.as_ref().and_then(|m| {
                            PayoutQuote::new(stored.amount, m.platform, fee_party).ok()
                        });
                        attempt.try_set_value(Some(stored.clone()));
                        send(Payout {
                            attempt: stored,
                            method,
                            quote,
                        });
                    }
                    None => {
                        stage.try_set(Stage::Form);
                    }
                }
            });
        }
    };
    load();
    let reload = UnsyncCallback::new(move |()| load());

    let review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if stage.get_untracked() != Stage::Form {
            return;
        }
        form_error.set(None);
        let cents = match check_amount(&amount.text(), withdrawable(), minimum()) {
            Ok(cents) => cents,
            Err(message) => {
                amount.error.set(Some(message));
                if let Some(form) = form.get_untracked() {
                    focus_within(&form, &field_id(PREFIX, field::AMOUNT));
                }
                return;
            }
        };
        let Some(method) = selected_method() else {
            method_error.set(Some(tr(
                Key::RuleChooseMethod,
                &[("label", field_label(field::PAYOUT_METHOD_ID))],
            )));
            return;
        };
        method_error.set(None);
        let quoted = match quote(cents, method.platform, fee_party) {
            Ok(q) => q,
            Err(message) => {
                amount.error.set(Some(message));
                if let Some(form) = form.get_untracked() {
                    focus_within(&form, &field_id(PREFIX, field::AMOUNT));
                }
                return;
            }
        };
        let this = attempt
            .get_value()
            .filter(|a| a.is_for(cents, method.id))
            .unwrap_or_else(|| Attempt::new(flow_id, cents, method.id));
        attempt.set_value(Some(this.clone()));
        stage.set(Stage::Review(Payout {
            attempt: this,
            method: Some(method),
            quote: Some(quoted),
        }));
    };

    let confirm = {
        let send = send.clone();
        UnsyncCallback::new(move |()| {
            // Double-click safe: only the first click finds the review screen.
            if let Stage::Review(payout) = stage.get_untracked() {
                send(payout);
            }
        })
    };
    let retry = {
        let send = send.clone();
        UnsyncCallback::new(move |()| {
            if let Stage::SendFailed(payout, _) = stage.get_untracked() {
                send(payout);
            }
        })
    };
    let back = UnsyncCallback::new(move |()| {
        if matches!(stage.get_untracked(), Stage::Review(_)) {
            stage.set(Stage::Form);
            request_animation_frame(move || {
                if let Some(form) = form.get_untracked() {
                    focus_within(&form, &field_id(PREFIX, field::AMOUNT));
                }
            });
        }
    });
    let check_now = {
        let api = api.clone();
        UnsyncCallback::new(move |()| {
            let Stage::Status(transfer, _) = stage.get_untracked() else {
                return;
            };
            let call = api.transfer(transfer.id);
            spawn_local(async move { apply_fresh(call.await) });
        })
    };

    let on_added = UnsyncCallback::new(move |method: PayoutMethod| {
        method_id.set(method.id.to_string());
        methods.update(|list| {
            if method.default {
                list.iter_mut().for_each(|m| m.default = false);
            }
            list.push(method);
        });
    });

    // Focus follows the screen: the review, then the status, are announced by their heading.
    let screen = Memo::new(move |_| stage.with(Stage::screen));
    Effect::new(move |previous: Option<u8>| {
        let now = screen.get();
        if previous.is_some_and(|p| p != now) {
            request_animation_frame(move || {
                let heading = root
                    .try_get_untracked()
                    .flatten()
                    .and_then(|el| el.query_selector("[data-stage-heading]").ok().flatten())
                    .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(heading) = heading {
                    let _ = heading.focus();
                }
            });
        }
        now
    });

    let balance_view = move || {
        wallet.get().map(|w| {
            let pending = w.amount - w.withdrawable_amount;
            view! {
                <div class="pf-balance">
                    <p class="pf-balance__label">{t(Key::AvailableToWithdraw)}</p>
                    <p class="pf-balance__amount" data-testid="payout-balance">
                        {format_cents(w.withdrawable_amount)}
                    </p>
                    {(pending > 0)
                        .then(|| {
                            view! {
                                <p class="pf-details" data-testid="payout-pending-balance">
                                    {tr(Key::PendingBalance, &[("amount", &format_cents(pending))])}
                                </p>
                            }
                        })}
                </div>
            }
        })
    };

    let method_choices = Signal::derive(move || {
        methods
            .get()
            .into_iter()
            .map(|m| Choice {
                value: m.id.to_string(),
                label: m.label.clone(),
                badge: m.default.then(|| t(Key::DefaultBadge).to_owned()),
                testid: "payout-method-option".to_owned(),
                kind: Some(m.platform.as_str().to_owned()),
            })
            .collect::<Vec<_>>()
    });
    // The quote for what is typed, once it is a valid amount.
    let live_quote = Memo::new(move |_| {
        let cents = check_amount(&amount.value.get(), withdrawable(), minimum()).ok()?;
        let method = selected_method()?;
        PayoutQuote::new(cents, method.platform, fee_party).ok()
    });
    let amount_check = Callback::new(move |value: String| {
        let cents = match check_amount(&value, withdrawable(), minimum()) {
            Ok(cents) => cents,
            Err(message) => return Some(message),
        };
        let platform = methods.with_untracked(|list| {
            let id = method_id.get_untracked();
            list.iter()
                .find(|m| m.id.to_string() == id)
                .map(|m| m.platform)
        })?;
        quote(cents, platform, fee_party).err()
    });

    let form_view = move || {
        let w = withdrawable();
        if w <= 0 {
            return view! {
                <div class="pf-empty-state" data-testid="payout-empty">
                    <h2 class="pf-subtitle">{t(Key::NothingToPayOut)}</h2>
                    <p class="pf-body">{t(Key::NothingToPayOutBody)}</p>
                    <div class="pf-actions">
                        <Button
                            label=t(Key::CheckAgain)
                            on_click=reload
                            testid="payout-check-again"
                            variant=ButtonVariant::Secondary
                        />
                    </div>
                </div>
            }
            .into_any();
        }
        if methods.with(Vec::is_empty) {
            return view! {
                <div data-testid="payout-no-method">
                    <h2 class="pf-subtitle">{t(Key::AddMethodHeading)}</h2>
                    <p class="pf-body">{t(Key::NoMethodForPayout)}</p>
                    <AddMethodForm on_added=on_added />
                </div>
            }
            .into_any();
        }
        view! {
            <form
                class="pf-form"
                novalidate=true
                node_ref=form
                data-testid="payout-form"
                on:submit=review
            >
                <TextField
                    id=field_id(PREFIX, field::AMOUNT)
                    label=t(Key::FieldAmount)
                    hint=tr(Key::AmountHint, &[("balance", &format_cents(w))])
                    field=amount
                    testid="payout-amount"
                    inputmode="decimal"
                    autocomplete="off"
                    prefix="$"
                    check=amount_check
                />
                <RadioGroup
                    name=format!("{PREFIX}-method")
                    legend=t(Key::FieldPayoutMethod)
                    options=method_choices
                    selected=method_id
                    testid="payout-method-picker"
                    error=method_error
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
                    form_error
                        .get()
                        .map(|details| {
                            view! {
                                <ErrorAlert
                                    message=t(Key::PayoutRefused)
                                    details=details
                                    testid="payout-form-error"
                                />
                            }
                        })
                }}
                <div class="pf-actions">
                    <SubmitButton
                        label=t(Key::ReviewPayout)
                        busy_label=t(Key::ReviewPayout)
                        busy=Signal::stored(false)
                        testid="payout-review"
                    />
                </div>
            </form>
        }
        .into_any()
    };

    let summary = move |payout: &Payout| {
        let method_label = payout
            .method
            .as_ref()
            .map(|m| m.label.clone())
            .unwrap_or_default();
        let quote = payout.quote;
        view! {
            <dl class="pf-summary">
                <div>
                    <dt>{t(Key::SummaryAmount)}</dt>
                    <dd data-testid="review-amount">{format_cents(payout.attempt.amount)}</dd>
                </div>
                <div>
                    <dt>{t(Key::SummaryTo)}</dt>
                    <dd data-testid="review-method">{method_label}</dd>
                </div>
            </dl>
            {quote
                .map(|q| {
                    view! {
                        <p class="pf-details" data-testid="review-fee">{fee_line(&q)}</p>
                        <p class="pf-quote__net" data-testid="review-net">{receive_line(&q)}</p>
                    }
                })}
        }
    };

    let status_view = move |transfer: Transfer, method: Option<PayoutMethod>| {
        let quoted = transfer
            .external_data
            .fee
            .zip(transfer.external_data.payout_fee_party)
            .map(|(fee, party)| PayoutQuote {
                amount: transfer.amount.abs(),
                fee,
                payout_fee_party: party,
                net_amount: net_of(&transfer, None),
            });
        let net = format_cents(net_of(&transfer, quoted.as_ref()));
        let label = method.as_ref().map(|m| m.label.clone()).unwrap_or_default();
        let platform = method
            .as_ref()
            .map(|m| m.platform)
            .or(transfer.external_data.platform);
        let kind = status_kind(transfer.status);
        let (title, body) = match kind {
            "completed" => (
                t(Key::PayoutCompletedTitle).to_owned(),
                tr(
                    Key::PayoutCompletedBody,
                    &[("net", &net), ("method", &label)],
                ),
            ),
            "pending" => (
                t(Key::PayoutPendingTitle).to_owned(),
                if platform == Some(PayoutPlatform::Ach) {
                    t(Key::PayoutPendingAch).to_owned()
                } else {
                    t(Key::PayoutPendingOther).to_owned()
                },
            ),
            _ => (
                t(Key::PayoutFailedTitle).to_owned(),
                t(Key::PayoutFailedBody).to_owned(),
            ),
        };
        let went_through = kind != "failed";
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
                            <p class="pf-details" data-testid="payout-status-net">
                                {tr(Key::PayoutPendingNet, &[("net", &net), ("method", &label)])}
                            </p>
                        }
                    })}
            </div>
            {move || {
                refresh_failed
                    .get()
                    .then(|| {
                        view! {
                            <p class="pf-details" data-testid="payout-refresh-failed">
                                {t(Key::RefreshFailed)}
                            </p>
                        }
                    })
            }}
            {if went_through {
                view! {
                    {(kind == "pending")
                        .then(|| {
                            view! {
                                <div class="pf-actions">
                                    <Button
                                        label=t(Key::CheckStatus)
                                        on_click=check_now
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
                        <Button label=t(Key::Retry) on_click=reload testid="payout-start-over" />
                    </div>
                }
                    .into_any()
            }}
        }
    };

    // Rebuilt only when the screen or the transfer's status changes, not on every keystroke.
    let stage_view = move || match stage.get() {
        Stage::Loading => view! {
            <LoadingLine text=t(Key::LoadingBalance) testid="payout-loading" />
        }
        .into_any(),
        Stage::LoadFailed(details) => view! {
            <ErrorAlert
                message=t(Key::LoadBalanceFailed)
                details=details
                testid="payout-load-error"
                on_retry=reload
            />
        }
        .into_any(),
        Stage::Form => view! { {balance_view} {form_view} }.into_any(),
        Stage::Review(payout) => view! {
            <section class="pf-section" data-testid="payout-review-screen">
                <h2 class="pf-subtitle" tabindex="-1" data-stage-heading="">
                    {t(Key::ReviewTitle)}
                </h2>
                {summary(&payout)}
                <div class="pf-actions">
                    <Button label=t(Key::ConfirmPayout) on_click=confirm testid="payout-confirm" />
                    <Button
                        label=t(Key::Back)
                        on_click=back
                        testid="payout-back"
                        variant=ButtonVariant::Secondary
                    />
                </div>
            </section>
        }
        .into_any(),
        Stage::Sending(payout) => view! {
            <section class="pf-section" data-testid="payout-review-screen">
                <h2 class="pf-subtitle" tabindex="-1" data-stage-heading="">
                    {t(Key::ReviewTitle)}
                </h2>
                {summary(&payout)}
                <p class="pf-status" role="status" data-testid="payout-sending">
                    <Spinner />
                    {t(Key::SendingPayout)}
                </p>
                <div class="pf-actions">
                    <Button
                        label=t(Key::ConfirmPayout)
                        on_click=confirm
                        testid="payout-confirm"
                        disabled=true
                    />
                </div>
            </section>
        }
        .into_any(),
        Stage::SendFailed(payout, details) => view! {
            <section class="pf-section" data-testid="payout-review-screen">
                <h2 class="pf-subtitle" tabindex="-1" data-stage-heading="">
                    {t(Key::ReviewTitle)}
                </h2>
                {summary(&payout)}
                <ErrorAlert
                    message=t(Key::PayoutUnconfirmed)
                    details=details
                    testid="payout-send-error"
                />
                <div class="pf-actions">
                    <Button label=t(Key::Retry) on_click=retry testid="payout-retry" />
                </div>
            </section>
        }
        .into_any(),
        Stage::Status(transfer, method) => status_view(transfer, method).into_any(),
        Stage::Blocked => view! {
            <section class="pf-section pf-notice pf-notice--info" data-testid="payout-blocked">
                <h2
                    class="pf-subtitle"
                    id=BLOCKED_HEADING
                    tabindex="-1"
                    data-stage-heading=""
                    aria-describedby="pf-payout-blocked-body"
                >
                    {t(Key::PayoutBlockedTitle)}
                </h2>
                <p class="pf-body" id="pf-payout-blocked-body">
                    {t(Key::PayoutBlockedBody)}
                </p>
            </section>
        }
        .into_any(),
    };

    view! {
        <ScreenCard
            testid="step-payout"
            title=step_title(StepName::Payout)
            busy=Signal::derive(move || matches!(stage.get(), Stage::Loading | Stage::Sending(_)))
        >
            <div node_ref=root>{stage_view}</div>
        </ScreenCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> Attempt {
        Attempt {
            flow_id: Uuid::from_u128(1),
            key: "k-1".into(),
            amount: 1_000,
            payout_method_id: Uuid::from_u128(2),
        }
    }

    #[test]
    fn attempt_keeps_only_what_a_retry_needs() {
        let json = serde_json::to_value(attempt()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "flow_id": "00000000-0000-0000-0000-000000000001",
                "key": "k-1",
                "amount": 1000,
                "payout_method_id": "00000000-0000-0000-0000-000000000002"
            })
        );
    }

    #[test]
    fn stored_attempt_is_read_only_for_its_flow() {
        let stored = serde_json::to_string(&attempt()).unwrap();
        assert_eq!(Attempt::parse(Uuid::from_u128(1), &stored), Some(attempt()));
        assert_eq!(Attempt::parse(Uuid::from_u128(9), &stored), None);
        assert_eq!(Attempt::parse(Uuid::from_u128(1), "not json"), None);
    }

    #[test]
    fn attempt_is_reused_only_for_the_same_amount_and_method() {
        let a = attempt();
        assert!(a.is_for(1_000, Uuid::from_u128(2)));
        assert!(!a.is_for(999, Uuid::from_u128(2)));
        assert!(!a.is_for(1_000, Uuid::from_u128(3)));
        assert_eq!(
            a.request(),
            NewFlowPayout {
                amount: 1_000,
                payout_method_id: Uuid::from_u128(2),
                idempotency_key: "k-1".into()
            }
        );
    }

    #[test]
    fn transfer_statuses_map_to_three_screens() {
        assert_eq!(status_kind(TransferStatus::Completed), "completed");
        assert_eq!(status_kind(TransferStatus::Pending), "pending");
        assert_eq!(status_kind(TransferStatus::Created), "pending");
        assert_eq!(status_kind(TransferStatus::Failed), "failed");
        assert_eq!(status_kind(TransferStatus::Canceled), "failed");
    }
}
