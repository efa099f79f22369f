//! The payout step (DESIGN.md "payout", seeds 000 and 004): the wallet's withdrawable balance,
//! an amount (all of it by default), a payout method (the default one preselected), the fee and
//! who pays it (`payout_fee_party`), a review screen, then the transfer's status as it moves —
//! completed at once on PayPal, Venmo and Cash App; pending on ACH, refreshed every few seconds
//! until it settles. Continue then records the step.
//!
//! What the step does is [`machine`] (a pure state machine, unit tested natively); what it shows
//! is [`view`] (one small component per screen); this module wires them: it dispatches events,
//! runs the machine's effects (requests, storage, focus, the host) and owns the signals. The
//! requests (the wallet and methods, the payout, the transfer's refreshes) go through the step's
//! action ([`Sender`]), which drops an answer that comes after the step is gone.
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
//! - Confirm is ignored while a request is in flight (double-click safe: the machine takes
//!   Confirm only on the review screen);
//! - a refusal (4xx: the server made no payout) ends the attempt: its error lands on the
//!   amount or method field, and the next review makes a new key; but a 401 (the session
//!   expired) keeps it, for the step to resend after the user signs in again;
//! - a payout of this flow that stands (the wallet's `payout`: answered before a reload, or in
//!   an earlier session, maybe on another device) is shown with its Continue instead of the
//!   form, and ends any attempt still stored: it wins over a resend, and over the form after
//!   a refusal.
//!
//! **Minimum and block** (issue 8): the amount must reach the flow's `minimum_payout`, checked
//! here with the sandbox's wording. A user the flow may not pay (`payout_block`, or a payout
//! refused 403 `payout_blocked`) sees a plain explanation instead of the form — no amount, no
//! pay button, no internals — and the host gets one `error` message with code
//! `payout_blocked`.

mod attempt;
pub mod machine;
mod view;

pub use attempt::Attempt;

use crate::api::ApiFailure;
use crate::context::{use_services, FlowServices};
use crate::forms::{amount_input, check_amount, field, quote, Reason, Rejected};
use crate::i18n::{failure_details, localized, step_title};
use crate::requests::Sender;
use crate::router::ErrorKind;
use crate::steps::manage_payouts::list::{apply, Change};
use crate::t;
use crate::ui::{focus_id_soon, focus_within, ErrorAlert, LoadingLine, ScreenCard};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use machine::{next, Event, Payout, Stage};
use payout_model::money::{FeeParty, FlowWallet, PayoutMethod, PayoutQuote, Transfer};
use payout_model::{ErrorCode, StepName};
use std::rc::Rc;
use std::time::Duration;
use uuid::Uuid;
use view::{
    balance, blocked_notice, payout_form, review_screen, status_screen, FormState, ReviewPhase,
    BLOCKED_HEADING, RETRY_ID,
};
use wasm_bindgen::JsCast;

/// How often a pending transfer is fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(4);

/// What the host's developers read in the `error` message of a blocked payout: no more than
/// the user is told, since the host page may show or log it.
pub const BLOCKED_MESSAGE: &str = "this user cannot be paid out through a flow";

/// Everything the step's effects touch, copied into each task.
#[derive(Clone)]
struct Step {
    services: FlowServices,
    flow_id: Uuid,
    fee_party: FeeParty,
    stage: RwSignal<Stage>,
    form: FormState,
    refresh_failed: RwSignal<bool>,
    /// The attempt of the last review, reused while the amount and method stay the same.
    attempt: StoredValue<Option<Attempt>>,
    /// Bumped whenever a refresh loop starts; a loop stops when it is not the latest.
    refresh_loop: StoredValue<u32>,
    /// The action the step's requests go through.
    requests: Sender,
    /// What the last change of stage tells focus ([`focus_heading_on_screen_change`]).
    focus: FocusCues,
    /// Whether the step has left its first loading.
    settled: StoredValue<bool>,
}

/// What a change of stage tells the focus effects. Copy, for the effects to hold.
#[derive(Clone, Copy)]
struct FocusCues {
    /// Whether the keyboard's focus was in the step (in a page that has the focus) just before
    /// the change.
    was_here: StoredValue<bool>,
    /// Whether the change ends the step's first loading (and the resend of an attempt kept
    /// from before a reload): the screen the step opens on.
    first_screen: StoredValue<bool>,
}

impl FocusCues {
    /// Whether the last change may move the focus: any but the screen the step opens on, which
    /// takes it only from within the step (as the shell's first screen takes none).
    fn may_move(&self) -> bool {
        !self.first_screen.get_value() || self.was_here.get_value()
    }
}

/// What loading the step found.
enum Loaded {
    /// The wallet says the user may not be paid out.
    Blocked(FlowWallet),
    /// The wallet and the payout methods.
    Ready(FlowWallet, Vec<PayoutMethod>),
    /// A request failed.
    Failed(ApiFailure),
}

impl Step {
    /// Applies `event` to the stage and runs the effects of the transition, if it applies.
    fn dispatch(&self, event: Event) {
        let Some(Some((stage, effects))) = self.stage.try_with_untracked(|s| next(s, event)) else {
            return;
        };
        let blocked = stage == Stage::Blocked;
        // The step opens on the first stage that is not on its way to another: after loading,
        // and after resending an attempt kept from before a reload. Every change until then is
        // its opening (review: the resend's screen, then its answer, took focus as screen
        // changes would).
        let opening = !self.settled.get_value() && stage != Stage::Loading;
        if opening && !matches!(stage, Stage::Sending(_)) {
            self.settled.set_value(true);
        }
        self.focus.first_screen.set_value(opening);
        self.focus.was_here.set_value(focus_in_step());
        self.stage.set(stage);
        if blocked {
            // Focus, so screen readers announce the explanation (also when it is the first
            // screen the step settles on, which the screen-change effect does not see).
            focus_id_soon(BLOCKED_HEADING.to_owned());
        }
        effects.into_iter().for_each(|effect| self.run(effect));
    }

    fn run(&self, effect: machine::Effect) {
        use machine::Effect;
        match effect {
            Effect::Fetch => self.fetch(),
            Effect::Send(payout) => self.send(payout),
            Effect::ForgetAttempt => {
                Attempt::forget(self.flow_id);
                self.attempt.try_set_value(None);
            }
            Effect::Watch(id) => self.watch(id),
            Effect::TellHostBlocked => {
                let bridge = &self.services.bridge;
                bridge.error_with_code(BLOCKED_MESSAGE, Some(ErrorCode::PayoutBlocked));
            }
            Effect::RefreshWallet => self.refresh_wallet(),
            Effect::FocusAmount => {
                let form = self.form;
                request_animation_frame(move || focus_amount(form));
            }
            Effect::FocusRetry if self.focus.may_move() => focus_id_soon(RETRY_ID.to_owned()),
            Effect::FocusRetry => {}
        }
    }

    /// The wallet, then the methods; a stored attempt is resent.
    fn fetch(&self) {
        self.form.form.alert.set(None);
        let api = self.services.api.clone();
        let call = async move {
            let wallet = match api.wallet().await {
                // A payout of this flow that stands wins over a block found since (a check
                // failed in another flow after it): it is shown, with Continue (review).
                Ok(w) if w.payout_block.is_some() && w.payout.is_none() => {
                    return Loaded::Blocked(w)
                }
                Ok(w) => w,
                Err(failure) => return Loaded::Failed(failure),
            };
            match api.payout_methods().await {
                Ok(list) => Loaded::Ready(wallet, list.data),
                Err(failure) => Loaded::Failed(failure),
            }
        };
        let this = self.clone();
        self.requests.send(call, move |loaded| this.loaded(loaded));
    }

    /// Fills the form from what [`Step::fetch`] found.
    fn loaded(&self, loaded: Loaded) {
        let (wallet, list) = match loaded {
            Loaded::Blocked(wallet) => {
                self.form.wallet.try_set(Some(wallet));
                return self.dispatch(Event::Blocked);
            }
            Loaded::Failed(failure) => {
                return self.dispatch(Event::LoadFailed(failure));
            }
            Loaded::Ready(wallet, list) => (wallet, list),
        };
        let form = self.form;
        let made = wallet.payout.clone();
        // A payout link pays exactly its amount (issue 11): there is no amount to type.
        let link_amount = wallet.payout_link.as_ref().map(|link| link.amount);
        let withdrawable = wallet.withdrawable_amount;
        form.wallet.try_set(Some(wallet));
        // The whole balance (or the link's amount), to the default method; no more than one
        // payout may be (review: a balance over $1,000,000 opened the form invalid).
        let amount = link_amount.unwrap_or(withdrawable.min(payout_model::money::MAX_AMOUNT));
        form.amount.value.try_set(amount_input(amount));
        form.amount.error.try_set(None);
        let preselect = list.iter().find(|m| m.default).or(list.first());
        form.method
            .value
            .try_set(preselect.map(|m| m.id.to_string()).unwrap_or_default());
        form.methods.try_set(list.clone());
        // A payout of this flow that stands (its answer came before a reload, or in an earlier
        // session, maybe on another device) did the step's work: its status and Continue, not
        // a second payout; an attempt still stored is over (if it reached the server, its
        // payout is this one or has failed). Otherwise a stored attempt is resent with its key.
        if let Some(made) = made {
            self.run(machine::Effect::ForgetAttempt);
            let method = method_of(&list, &made);
            return self.dispatch(Event::Made(made, method));
        }
        let stored = Attempt::load(self.flow_id).map(|stored| {
            let method = list
                .iter()
                .find(|m| m.id == stored.payout_method_id)
                .cloned();
            let quote = method
                .as_ref()
                .and_then(|m| PayoutQuote::new(stored.amount, m.platform, self.fee_party).ok());
            self.attempt.try_set_value(Some(stored.clone()));
            Payout {
                attempt: stored,
                method,
                quote,
            }
        });
        self.dispatch(Event::Loaded(stored));
    }

    fn send(&self, payout: Payout) {
        payout.attempt.keep();
        let api = self.services.api.clone();
        let call = async move {
            let answer = api.create_payout(payout.attempt.request()).await;
            // Refused as not this step's: the flow's route may have moved since the app read
            // it (tax data came due when the balance grew past the reporting threshold, say),
            // and every payout would be refused alike: the flow as it stands, when its next
            // step is another.
            let moved = api.route_moved(&answer, StepName::Payout).await;
            // Refused as blocked: a payout of this flow may stand (made on another device
            // before the block), which did the step's work and wins (review).
            let stands = match &answer {
                Err(f) if f.api_error().map(|e| e.code) == Some(ErrorCode::PayoutBlocked) => {
                    api.wallet().await.ok().and_then(|w| w.payout)
                }
                _ => None,
            };
            (answer, moved, stands)
        };
        let this = self.clone();
        self.requests.send(call, move |(answer, moved, stands)| {
            if let Some(flow) = moved {
                // The refused attempt is over; the shell shows the step that comes first.
                this.dispatch(Event::Refused);
                return (this.services.advance)(flow);
            }
            if let Some(made) = stands {
                this.dispatch(Event::Refused);
                let method = this
                    .form
                    .methods
                    .with_untracked(|list| method_of(list, &made));
                return this.dispatch(Event::Made(made, method));
            }
            let event = match answer {
                Ok(transfer) => Event::Paid(transfer),
                // The user was blocked since the wallet was read (a race), and no payout of
                // this flow stands: same screen as on loading.
                Err(f) if f.api_error().map(|e| e.code) == Some(ErrorCode::PayoutBlocked) => {
                    Event::Blocked
                }
                // An expired session's 401 looked at nothing, but the send before it may have
                // been made: the attempt is kept, and the step resends it with its key once the
                // user has signed in again.
                Err(f)
                    if f.may_have_happened()
                        || ErrorKind::from_failure(&f) == ErrorKind::SessionExpired =>
                {
                    Event::Unconfirmed(f)
                }
                Err(failure) => {
                    // Back to the form, its errors on its fields; focus on the first of them
                    // once the form is drawn (and again once the wallet, read anew, is).
                    this.dispatch(Event::Refused);
                    this.show_refusal(&failure);
                    if this.focus.may_move() {
                        let form = this.form;
                        request_animation_frame(move || focus_first_error(form));
                    }
                    return;
                }
            };
            this.dispatch(event);
        });
    }

    /// Puts a refusal's field errors on the form.
    fn show_refusal(&self, failure: &ApiFailure) {
        self.form.form.fail(&self.form.fields(), failure);
    }

    /// Refetches the balance and the methods without leaving the form (after the server
    /// refused a payout): the refusal may be about a method removed since, in another tab or on
    /// another device, which the picker would otherwise go on offering (review: every Confirm
    /// was refused alike until a reload).
    fn refresh_wallet(&self) {
        let api = self.services.api.clone();
        let call = async move {
            let wallet = api.wallet().await;
            let methods = match wallet {
                Ok(_) => api.payout_methods().await.ok(),
                Err(_) => None,
            };
            (wallet, methods)
        };
        let this = self.clone();
        self.requests.send(call, move |(answer, methods)| {
            if let Some(list) = methods {
                this.keep_methods(list.data);
            }
            if let Ok(w) = answer {
                let blocked = w.payout_block.is_some();
                let made = w.payout.clone();
                this.form.wallet.try_set(Some(w));
                if let Some(made) = made {
                    // Refused because a payout was made meanwhile (on another device): that
                    // one did the step's work, whatever has happened since.
                    let method = this
                        .form
                        .methods
                        .with_untracked(|list| method_of(list, &made));
                    this.dispatch(Event::Made(made, method));
                } else if blocked {
                    this.dispatch(Event::Blocked);
                } else if this.focus.may_move() {
                    // The form is drawn anew with the balance: focus back on what to fix.
                    let form = this.form;
                    request_animation_frame(move || focus_first_error(form));
                }
            }
        });
    }

    /// Shows `list` as the user's methods now: the chosen one stays chosen while it is there;
    /// when it is gone none is chosen, and the refusal's error under the picker (about the
    /// method gone) stays until the user picks another, so nothing is switched silently
    /// (review). An empty list shows the form to add one.
    fn keep_methods(&self, list: Vec<PayoutMethod>) {
        let form = self.form;
        let chosen = form.method.value.get_untracked();
        if !list.iter().any(|m| m.id.to_string() == chosen) {
            form.method.value.try_set(String::new());
        }
        form.methods.try_set(list);
    }

    /// Refreshes a pending transfer every few seconds until it is final, another loop starts,
    /// or the step is gone (its values disposed).
    fn watch(&self, id: Uuid) {
        if let Some(generation) = self.refresh_loop.try_update_value(|g| {
            *g += 1;
            *g
        }) {
            self.refresh_later(id, generation);
        }
    }

    /// One turn of loop `generation`: waits, then (while the loop is the latest and transfer
    /// `id` still pending) fetches the transfer through the step's action and goes round again.
    fn refresh_later(&self, id: Uuid, generation: u32) {
        let this = self.clone();
        spawn_local(async move {
            (this.services.sleep)(REFRESH_EVERY).await;
            let pending = this.stage.try_with_untracked(Stage::pending_transfer);
            if this.refresh_loop.try_get_value() != Some(generation) || pending != Some(Some(id)) {
                return;
            }
            let (call, again) = (this.services.api.transfer(id), this.clone());
            this.requests.send(call, move |fresh| {
                again.refreshed(fresh);
                again.refresh_later(id, generation);
            });
        });
    }

    fn refreshed(&self, fresh: Result<Transfer, ApiFailure>) {
        self.refresh_failed.try_set(fresh.is_err());
        if let Ok(fresh) = fresh {
            self.dispatch(Event::Refreshed(fresh));
        }
    }

    /// The form's Review: checks the amount and method, then shows the review of an attempt
    /// (the last one again while the amount and method are the same); or, failing, puts what
    /// is wrong on the fields like any form's check.
    fn review(&self) {
        let form = self.form;
        form.form.alert.set(None);
        match self.checked() {
            Ok(payout) => {
                form.method.error.set(None);
                self.dispatch(Event::Reviewed(payout));
            }
            Err(rejected) => form.form.reject(&form.fields(), &rejected),
        }
    }

    /// The payout the form asks for, or what is wrong with it.
    fn checked(&self) -> Result<Payout, Rejected> {
        let form = self.form;
        let amount = |message| Rejected::one(field::AMOUNT, Reason::Worded(message));
        let cents = check_amount(&form.amount.text(), form.withdrawable(), form.minimum())
            .map_err(amount)?;
        let Some(method) = form.selected_method() else {
            let label = form.method.label();
            let message = t!(rule_choose_method, label);
            return Err(Rejected::one(
                field::PAYOUT_METHOD_ID,
                Reason::Worded(message),
            ));
        };
        let quoted = quote(cents, method.platform, self.fee_party).map_err(amount)?;
        let attempt = self
            .attempt
            .get_value()
            .filter(|a| a.is_for(cents, method.id))
            .unwrap_or_else(|| Attempt::new(self.flow_id, cents, method.id));
        self.attempt.set_value(Some(attempt.clone()));
        Ok(Payout {
            attempt,
            method: Some(method),
            quote: Some(quoted),
        })
    }
}

/// The payout method of `list` that `transfer` went to, if it is there.
fn method_of(list: &[PayoutMethod], transfer: &Transfer) -> Option<PayoutMethod> {
    let id = transfer.external_data.account_id.as_deref()?;
    list.iter().find(|m| m.id.to_string() == id).cloned()
}

/// Moves focus to the first field of the form that shows an error, if any.
fn focus_first_error(form: FormState) {
    let fields = form.fields();
    let errors = fields
        .iter()
        .filter(|f| f.error.with_untracked(Option::is_some));
    // A refusal of the whole payout (its alert says why) names no field: the first there is,
    // so focus stays in the form, where the button that had it is gone.
    focus_first_shown(form, errors.chain(fields.iter()).map(|f| f.id()));
}

/// Moves focus to the first of `ids` the form shows (a payout link's form has no amount).
fn focus_first_shown(form: FormState, ids: impl IntoIterator<Item = String>) {
    let Some(node) = form.form.node.get_untracked() else {
        return;
    };
    let shown = |id: &String| {
        node.query_selector(&format!("#{id}"))
            .ok()
            .flatten()
            .is_some()
    };
    if let Some(id) = ids.into_iter().find(shown) {
        focus_within(&node, &id);
    }
}

/// Moves focus to the form's first field.
fn focus_first_field(form: FormState) {
    if let (Some(node), Some(field)) = (form.form.node.get_untracked(), form.fields().first()) {
        focus_within(&node, &field.id());
    }
}

fn focus_amount(form: FormState) {
    let others = form.fields().into_iter().map(|f| f.id());
    focus_first_shown(form, std::iter::once(form.amount.id()).chain(others));
}

/// Withdraws the balance to a payout method.
#[component]
pub fn PayoutStep(
    /// The flow, for keeping a payout attempt across reloads.
    flow_id: Uuid,
    /// Who pays the payout fee in this flow.
    fee_party: FeeParty,
) -> impl IntoView {
    let step = Rc::new(Step {
        services: use_services(),
        flow_id,
        fee_party,
        stage: RwSignal::new(Stage::Loading),
        form: FormState::new(),
        refresh_failed: RwSignal::new(false),
        attempt: StoredValue::new(None),
        refresh_loop: StoredValue::new(0),
        requests: Sender::new(),
        focus: FocusCues {
            was_here: StoredValue::new(false),
            first_screen: StoredValue::new(false),
        },
        settled: StoredValue::new(false),
    });
    step.dispatch(Event::Load);
    let (stage, form) = (step.stage, step.form);
    let on = |event: Event| {
        let step = step.clone();
        UnsyncCallback::new(move |()| step.dispatch(event.clone()))
    };
    let (reload, confirm, back, retry) = (
        on(Event::Load),
        on(Event::Confirm),
        on(Event::Back),
        on(Event::Retry),
    );
    let check_now = {
        let step = step.clone();
        UnsyncCallback::new(move |()| {
            if let Some(Some(id)) = step.stage.try_with_untracked(Stage::pending_transfer) {
                let (call, this) = (step.services.api.transfer(id), step.clone());
                step.requests.send(call, move |fresh| this.refreshed(fresh));
            }
        })
    };
    let on_review = {
        let step = step.clone();
        UnsyncCallback::new(move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if step.stage.get_untracked() == Stage::Form {
                step.review();
            }
        })
    };
    let on_added = UnsyncCallback::new(move |method: PayoutMethod| {
        form.method.value.set(method.id.to_string());
        form.methods.update(|list| {
            *list = apply(std::mem::take(list), Change::Added(method));
        });
        // The add form that held focus is gone, the payout form drawn in its place: focus its
        // first field (the amount; a link's method), not the page.
        request_animation_frame(move || focus_first_field(form));
    });
    let live_quote = Memo::new(move |_| {
        let cents = check_amount(
            &form.amount.value.get(),
            form.withdrawable(),
            form.minimum(),
        )
        .ok()?;
        PayoutQuote::new(cents, form.selected_method()?.platform, fee_party).ok()
    });
    let amount_check = Callback::new(move |value: String| {
        let cents = match check_amount(&value, form.withdrawable(), form.minimum()) {
            Ok(cents) => cents,
            Err(message) => return Some(message),
        };
        let platform = form.methods.with_untracked(|list| {
            let id = form.method.value.get_untracked();
            list.iter()
                .find(|m| m.id.to_string() == id)
                .map(|m| m.platform)
        })?;
        quote(cents, platform, fee_party).err()
    });
    let root = NodeRef::<html::Div>::new();
    focus_heading_on_screen_change(stage, root, step.focus);
    let refresh_failed = step.refresh_failed;

    // Rebuilt only when the screen or the transfer's status changes, not on every keystroke.
    let stage_view = move || match stage.get() {
        Stage::Loading => view! {
            <LoadingLine text=t!(loading_balance) testid="payout-loading" />
        }
        .into_any(),
        // Worded here, so a change of language words the failure again.
        Stage::LoadFailed(failure) => view! {
            <ErrorAlert
                message=t!(load_balance_failed)
                details=failure_details(&failure)
                testid="payout-load-error"
                on_retry=reload
            />
        }
        .into_any(),
        Stage::Form => view! {
            {balance(form.wallet)}
            {payout_form(form, fee_party, live_quote, amount_check, on_review, reload, on_added)}
        }
        .into_any(),
        Stage::Review(payout) => {
            review_screen(payout, ReviewPhase::Ready, confirm, back, retry).into_any()
        }
        Stage::Sending(payout) => {
            review_screen(payout, ReviewPhase::Sending, confirm, back, retry).into_any()
        }
        Stage::SendFailed(payout, failure) => {
            let phase = ReviewPhase::Unconfirmed(failure_details(&failure));
            review_screen(payout, phase, confirm, back, retry).into_any()
        }
        Stage::Status(transfer, method) => {
            status_screen(transfer, method, refresh_failed, check_now, reload).into_any()
        }
        Stage::Blocked => blocked_notice().into_any(),
    };

    localized(move || {
        view! {
            <ScreenCard
                testid="step-payout"
                title=step_title(StepName::Payout)
                busy=Signal::derive(move || stage.with(Stage::loading))
            >
                <div node_ref=root>{stage_view}</div>
            </ScreenCard>
        }
    })
}

/// Focus follows the screen: the review, then the status, are announced by their heading.
/// Within a screen, focus stays where the user has it, unless the button that had it went with
/// the change (review: "Check status" once the payout settles, "Try again" once the step loads
/// again, leaving focus on the page): then the stage's heading takes it, else the step's title.
/// Only focus that was in the step, in a page that has the focus, is given back, so a pending
/// payout settling while the user is on the host's page does not take it. The screen the step
/// opens on (a payout that stands, found on a reload) takes focus only from within the step,
/// as the shell's first screen takes none (review: both pulled focus, and the host page's
/// scroll, into an embedded flow). A payout that is blocked says so with focus, whatever the
/// screen (its effect in [`Step::dispatch`]).
fn focus_heading_on_screen_change(
    stage: RwSignal<Stage>,
    root: NodeRef<html::Div>,
    focus: FocusCues,
) {
    let screen = Memo::new(move |_| stage.with(Stage::screen));
    Effect::new(move |previous: Option<u8>| {
        let now = screen.get();
        if previous.is_some_and(|p| p != now) && focus.may_move() {
            request_animation_frame(move || {
                if let Some(heading) = stage_heading(root) {
                    let _ = heading.focus();
                }
            });
        }
        now
    });
    Effect::new(move |first: Option<()>| {
        stage.track();
        if first.is_some() && focus.was_here.get_value() {
            request_animation_frame(move || {
                let document = document();
                let lost = document
                    .active_element()
                    .is_none_or(|el| document.body().is_some_and(|body| *body == el));
                if !lost || !document.has_focus().unwrap_or(false) {
                    return;
                }
                let title = || {
                    root.try_get_untracked()
                        .flatten()
                        .and_then(|el| el.closest(".pf-card").ok().flatten())
                        .and_then(|card| card.query_selector(".pf-title").ok().flatten())
                        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
                };
                if let Some(heading) = stage_heading(root).or_else(title) {
                    let _ = heading.focus();
                }
            });
        }
    });
}

/// Whether the keyboard's focus is in the payout step, in a page that has the focus.
fn focus_in_step() -> bool {
    let document = document();
    document.has_focus().unwrap_or(false)
        && document.active_element().is_some_and(|el| {
            el.closest("[data-testid=step-payout]")
                .ok()
                .flatten()
                .is_some()
        })
}

/// The heading of the stage shown in `root`, if it has one.
fn stage_heading(root: NodeRef<html::Div>) -> Option<web_sys::HtmlElement> {
    root.try_get_untracked()
        .flatten()
        .and_then(|el| el.query_selector("[data-stage-heading]").ok().flatten())
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
}
