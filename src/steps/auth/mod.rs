//! Sign-in (DESIGN.md "auth / onboarding", issue 3), shown whenever the session has no
//! authenticated user. Three stages on one card:
//!
//! 1. **Phone**: country calling code (1 by default) and national number, checked inline with
//!    the model's rules; "Send code". A refusal that asks to wait (the number's cooldown, a
//!    rate limit) counts down on the button. (Another person's phone in a flow named for a
//!    user is refused at Verify: back here, the error under the number; for a payee's phone,
//!    which has no number field, in the code form's alert.)
//! 2. **Code**: "We sent a code to {masked number}", the six-digit code (`one-time-code`, so the
//!    phone offers it from the text message), "Verify". "Resend code" waits out the cooldown the
//!    server gave (`resend_at` less the code's sending, both the server's times, counted from
//!    the answer: the device's clock may be ahead or behind) with a visible countdown driven by
//!    [`FlowServices::sleep`] (tests control time); while it waits, or a request is out, it is
//!    `aria-disabled` (so it keeps a keyboard user's focus) and a press does nothing;
//!    "Use a different number" (not for a payee's phone) goes back with the number kept, and the
//!    cooldown (which the server applies to any new code) keeps counting there: "Send code"
//!    stays disabled, with "You can ask for a new code in N s", until it ends. The code field
//!    drops spaces as typed or pasted (`000 000`). A wrong, expired or exhausted code shows the
//!    server's message under the code field.
//! 3. **Profile** (only when the server answers `profile_required`): first name, last name,
//!    email.
//!
//! Signed in, [`FlowServices::signed_in`] hands the flow to the shell, which routes to the
//! first step. An answer to Verify or Create account that may have been lost after the server
//! signed the session in (or a retry refused as `already_signed_in`) is checked against the
//! flow's state, which names its user only to a signed-in session.
//!
//! The pure [`machine`] decides what each event does (including which request is in flight,
//! which picks the busy button's label); its requests go through the step's action
//! ([`Sender`]), which drops an answer that comes after the step is gone.
//!
//! [`FlowServices::sleep`]: crate::context::FlowServices::sleep
//! [`FlowServices::signed_in`]: crate::context::FlowServices::signed_in

pub mod machine;
mod view;

use crate::context::{use_services, FlowServices, SessionApi};
use crate::forms::Rejected;
use crate::i18n::{failure_details, localized, Worded};
use crate::identity::seconds_until;
use crate::requests::Sender;
use crate::t;
use crate::ui::{field_id, focus_id_soon, ErrorAlert, Field, Form as FormHandle, ScreenCard};
use leptos::prelude::*;
use leptos::task::spawn_local;
use machine::{next, Busy, Effect, Event, Failure, Form, Stage, State};
use payout_model::identity::{CodeCheck, CodeSent, NewCode, NewProfile, PhoneHint};
use payout_model::user::national_number;
use payout_model::{Reason, Timestamp, Validate};
use std::rc::Rc;
use std::time::Duration;
use view::{
    code_form_view, link_unavailable_view, phone_form_view, profile_form_view, CodeForm, PhoneForm,
    ProfileForm,
};

/// Element id prefix of the sign-in fields.
const PREFIX: &str = "pf-auth";

/// Element id of the line saying when a new code may be asked for, on the phone stage.
const SEND_WAIT_ID: &str = "pf-auth-send-wait";

/// What sign-in's three forms hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct AuthFields {
    /// The code goes to the payout link's payee phone (issue 11), not a number typed.
    payee: bool,
    country: Field,
    phone: Field,
    code: Field,
    first_name: Field,
    last_name: Field,
    email: Field,
}

impl AuthFields {
    fn new(form: &FormHandle, payee: bool) -> Self {
        AuthFields {
            payee,
            country: form.field_with("country_code", || t!(field_country_code), "1"),
            phone: form.field("phone_number", || t!(field_phone)),
            code: form.field("code", || t!(field_code)),
            first_name: form.field("first_name", || t!(field_first_name)),
            last_name: form.field("last_name", || t!(field_last_name)),
            email: form.field("email", || t!(field_email)),
        }
    }

    /// A form's fields, by the paths the server's errors name.
    fn of(self, form: Form) -> Vec<Field> {
        match form {
            Form::Phone => vec![self.country, self.phone],
            Form::Code => vec![self.code],
            Form::Profile => vec![self.first_name, self.last_name, self.email],
        }
    }

    /// The inline check of the field at `path` holding `value`: the model's rules of the
    /// request that field is part of.
    fn check(self, path: &'static str, value: String) -> Option<Rejected> {
        let invalid = match path {
            "country_code" | "phone_number" => {
                let mut new = self.new_code();
                if path == "country_code" {
                    new.country_code = value;
                } else {
                    new.phone_number = national_number(&new.country_code, &value).to_owned();
                }
                new.validate()
            }
            "code" => CodeCheck { code: value }.validate(),
            _ => {
                let mut new = self.new_profile();
                match path {
                    "first_name" => new.first_name = value,
                    "last_name" => new.last_name = value,
                    _ => new.email = value,
                }
                new.validate()
            }
        };
        invalid.err().map(Rejected::from)
    }

    /// The number typed, trimmed, without the country code a paste or autofill put before it
    /// ([`national_number`]); or the payee's phone, which the server knows.
    fn new_code(self) -> NewCode {
        if self.payee {
            return NewCode {
                country_code: String::new(),
                phone_number: String::new(),
                payee_phone: true,
            };
        }
        let country_code = self.country.text().trim().to_owned();
        let phone_number = national_number(&country_code, &self.phone.text()).to_owned();
        NewCode {
            country_code,
            phone_number,
            payee_phone: false,
        }
    }

    /// The code typed, without the spaces a paste may bring.
    fn code_check(self) -> CodeCheck {
        CodeCheck {
            code: self.code.text().split_whitespace().collect(),
        }
    }

    /// The profile typed, trimmed.
    fn new_profile(self) -> NewProfile {
        NewProfile {
            first_name: self.first_name.text().trim().to_owned(),
            last_name: self.last_name.text().trim().to_owned(),
            email: self.email.text().trim().to_owned(),
        }
    }
}

/// What the alert says failed.
fn failure_text(failure: Failure) -> &'static str {
    match failure {
        Failure::SendCode => t!(send_code_failed),
        Failure::Resend => t!(resend_failed),
        Failure::SignIn => t!(auth_failed),
    }
}

/// Everything sign-in's effects touch, shared by its handlers and tasks.
struct Step {
    services: FlowServices,
    state: RwSignal<State>,
    fields: AuthFields,
    /// The forms' element, id prefix and drafts (one form shows at a time).
    form: FormHandle,
    /// What failed, for the form as a whole: (what, the server's or browser's words).
    form_error: RwSignal<Option<(Failure, Worded)>>,
    notice: RwSignal<Option<Worded>>,
    /// Bumped to stop a running countdown.
    countdown: StoredValue<u32>,
    /// The action the machine's requests go through.
    requests: Sender,
}

impl Step {
    /// Applies `event` to the state and runs the effects of the transition, if it applies.
    fn dispatch(self: &Rc<Self>, event: Event) {
        let Some(Some((state, effects))) = self.state.try_with_untracked(|s| next(s, event)) else {
            return;
        };
        self.state.set(state);
        effects.into_iter().for_each(|effect| self.run(effect));
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::ClearError => {
                self.form_error.try_set(None);
            }
            Effect::ClearNotice => {
                self.notice.try_set(None);
            }
            Effect::ShowInvalid(form, invalid) => {
                let rest = (self.form).rejected_worded(&self.fields.of(form), &invalid.into());
                self.alert(form, rest);
            }
            Effect::ShowFailure(form, failure) => {
                let rest = self.form.failed_worded(&self.fields.of(form), &failure);
                self.alert(form, rest);
            }
            Effect::ShowError(failure, cause) => {
                let details =
                    Worded::new(move || cause.as_ref().map(failure_details).unwrap_or_default());
                self.form_error.try_set(Some((failure, details)));
            }
            Effect::SendCode(new) => {
                let (call, api) = (self.services.api.send_code(new), self.services.api.clone());
                self.answer(async move {
                    match call.await {
                        Ok(sent) => Event::Sent(sent),
                        Err(failure) => complete_or(failure, &api, Event::SendFailed).await,
                    }
                });
            }
            Effect::VerifyCode(check) => {
                let (call, api) = (
                    self.services.api.verify_code(check.clone()),
                    self.services.api.clone(),
                );
                let again = move |api: &SessionApi| api.verify_code(check);
                self.answer(async move { signed_in_or_refused(call.await, &api, again).await });
            }
            Effect::CreateProfile(new) => {
                let (call, api) = (
                    self.services.api.create_profile(new.clone()),
                    self.services.api.clone(),
                );
                let again = move |api: &SessionApi| api.create_profile(new);
                self.answer(async move { signed_in_or_refused(call.await, &api, again).await });
            }
            Effect::ClearCode => {
                self.fields.code.value.try_set(String::new());
                self.fields.code.error.try_set(None);
            }
            Effect::NoticeResent(sent) => {
                let notice = Worded::new(move || t!(code_resent_to, sent_to = sent_to(&sent)));
                self.notice.try_set(Some(notice));
            }
            Effect::CountDown(seconds) => {
                let at = js_sys::Date::now() as i64 + seconds.saturating_mul(1000);
                if let Some(resend_at) = Timestamp::from_timestamp_millis(at) {
                    self.count_down(resend_at, seconds);
                }
            }
            Effect::StopCountdown => self.stop_countdown(),
            Effect::Focus(path) => focus_id_soon(field_id(PREFIX, path)),
            Effect::SignedIn(flow) => (self.services.signed_in)(flow),
            Effect::Advance(flow) => (self.services.advance)(flow),
        }
    }

    /// What no field of `form` took, in the alert.
    fn alert(&self, form: Form, rest: Option<Worded>) {
        self.form_error
            .try_set(rest.map(|rest| (form.failure(), rest)));
    }

    /// Sends a request through the step's action and dispatches the event it answers.
    fn answer(self: &Rc<Self>, answer: impl std::future::Future<Output = Event> + 'static) {
        let this = self.clone();
        self.requests
            .send(answer, move |event| this.dispatch(event));
    }

    fn stop_countdown(&self) {
        self.countdown.try_update_value(|g| *g = g.wrapping_add(1));
    }

    /// Counts down to `resend_at` (by this device's clock: now plus the wait the server gave) a
    /// second at a time, never slower than the wall clock (a background tab's timers may be
    /// late), and from at most `most` seconds.
    fn count_down(self: &Rc<Self>, resend_at: Timestamp, most: i64) {
        self.stop_countdown();
        let Some(generation) = self.countdown.try_get_value() else {
            return;
        };
        let mut left = seconds_until(resend_at, js_sys::Date::now()).min(most);
        self.dispatch(Event::Waiting(left));
        let (this, sleep) = (self.clone(), self.services.sleep.clone());
        spawn_local(async move {
            while left > 0 {
                sleep(Duration::from_secs(1)).await;
                if this.countdown.try_get_value() != Some(generation) {
                    return;
                }
                left = (left - 1).min(seconds_until(resend_at, js_sys::Date::now()));
                this.dispatch(Event::Waiting(left));
            }
        });
    }
}

/// The event a code's or a profile's answer is. An answer that may have been lost after the
/// server signed the session in (no answer, a 5xx), or a refusal because the session is signed
/// in already (a retry of such a one), is checked against the flow's state, which names its
/// user only to a signed-in session: signed in, the user goes on; else the failure shows. A
/// lost answer carried the session's resume cookie: the request is sent `again` once, for the
/// server's 409 `already_signed_in`, which carries it (review: a reload then asked for sign-in
/// again); what it answers changes nothing here.
async fn signed_in_or_refused(
    result: Result<payout_model::identity::SignIn, crate::api::ApiFailure>,
    api: &SessionApi,
    again: impl FnOnce(
        &SessionApi,
    ) -> crate::api::LocalFuture<
        Result<payout_model::identity::SignIn, crate::api::ApiFailure>,
    >,
) -> Event {
    let failure = match result {
        Ok(answer) => return Event::Answered(answer),
        Err(failure) => failure,
    };
    let signed_in_already =
        failure.api_error().and_then(|e| e.reason) == Some(Reason::AlreadySignedIn);
    if failure.may_have_happened() || signed_in_already {
        if let Ok(flow) = api.flow_state().await {
            if flow.user_id.is_some() {
                if !signed_in_already {
                    let _ = again(api).await;
                }
                return Event::Answered(payout_model::identity::SignIn::SignedIn { flow });
            }
        }
    }
    complete_or(failure, api, Event::Refused).await
}

/// [`Event::FlowComplete`] when `failure` is a refusal because the flow is complete (a finished
/// flow signs nobody in: 403 `step_not_allowed`) and the flow reads complete; else `other`.
async fn complete_or(
    failure: crate::api::ApiFailure,
    api: &SessionApi,
    other: fn(crate::api::ApiFailure) -> Event,
) -> Event {
    let not_allowed = matches!(&failure,
        crate::api::ApiFailure::Api(e) if e.code == payout_model::ErrorCode::StepNotAllowed);
    if not_allowed {
        if let Ok(flow) = api.flow_state().await {
            if flow.is_complete() {
                return Event::FlowComplete(flow);
            }
        }
    }
    other(failure)
}

/// Signs the user in by phone and one-time code, creating their profile when the phone is new.
#[component]
pub fn AuthStep(
    /// The payout link's payee phone, masked, when the host named it (issue 11): sign-in then
    /// texts it a code with no number typed.
    #[prop(optional_no_strip)]
    payee_phone: Option<PhoneHint>,
) -> impl IntoView {
    let form = FormHandle::new(PREFIX);
    let payee =
        payee_phone.map(|hint| payout_model::identity::mask_phone(&hint.country_code, &hint.last4));
    let step = Rc::new(Step {
        services: use_services(),
        state: RwSignal::new(State::default()),
        fields: AuthFields::new(&form, payee.is_some()),
        form,
        form_error: RwSignal::new(None),
        notice: RwSignal::new(None),
        countdown: StoredValue::new(0),
        requests: Sender::new(),
    });
    let state = step.state;
    let busy = Signal::derive(move || state.with(|s| s.busy.is_some()));
    let verifying = Signal::derive(move || state.with(|s| s.busy == Some(Busy::Verifying)));
    let wait = Signal::derive(move || state.with(|s| s.wait));
    // Rebuilt when the form changes, not on every second of the countdown.
    let stage = Memo::new(move |_| state.with(|s| s.stage.clone()));
    let (fields, notice, form_error) = (step.fields, step.notice, step.form_error);
    let on = |event: fn(AuthFields) -> Event| {
        let step = step.clone();
        UnsyncCallback::new(move |()| step.dispatch(event(step.fields)))
    };
    let verify = on(|f| Event::Verify(f.code_check()));
    let create = on(|f| Event::Create(f.new_profile()));
    let change_number = on(|_| Event::ChangeNumber);
    let send = {
        let step = step.clone();
        UnsyncCallback::new(move |resend: bool| {
            let code = step.fields.new_code();
            step.dispatch(Event::Send { resend, code });
        })
    };
    let node = form.node;
    let check =
        Callback::new(move |(path, value): (&'static str, String)| fields.check(path, value));

    let stage_view = move || match stage.get() {
        Stage::Phone => phone_form_view(PhoneForm {
            form: node,
            check,
            country: fields.country,
            phone: fields.phone,
            busy,
            wait,
            send,
            payee: StoredValue::new(payee.clone()),
        })
        .into_any(),
        Stage::Code(sent) => code_form_view(CodeForm {
            form: node,
            check,
            code: fields.code,
            sent_to: sent_to(&sent),
            busy,
            verifying,
            wait,
            send,
            verify,
            // A payee's code goes to their phone only: there is no other number to use.
            change_number: payee.is_none().then_some(change_number),
        })
        .into_any(),
        Stage::LinkUnavailable(reason) => {
            link_unavailable_view(reason, field_id(PREFIX, machine::UNAVAILABLE)).into_any()
        }
        Stage::Profile => profile_form_view(ProfileForm {
            form: node,
            check,
            first_name: fields.first_name,
            last_name: fields.last_name,
            email: fields.email,
            busy,
            create,
        })
        .into_any(),
    };

    localized(move || {
        let stage_view = stage_view.clone();
        view! {
            <ScreenCard testid="step-auth" title=t!(sign_in_title) busy=busy>
                <p class="pf-notice" role="status" data-testid="auth-notice">
                    {move || notice.get().map(|notice| notice.text())}
                </p>
                {stage_view}
                {move || {
                    form_error
                        .get()
                        .map(|(failure, details)| {
                            view! {
                                <ErrorAlert
                                    message=failure_text(failure)
                                    details=details.text()
                                    testid="auth-error"
                                />
                            }
                        })
                }}
            </ScreenCard>
        }
    })
}

/// The number a code went to, as the user reads it (`+1 ••• ••• 2334`), built from the answer's
/// data; a server without those fields gives its own `sent_to`.
pub(crate) fn sent_to(sent: &CodeSent) -> String {
    if sent.last4.is_empty() {
        return sent.sent_to.clone();
    }
    payout_model::identity::mask_phone(&sent.country_code, &sent.last4)
}
