//! Sign-in (DESIGN.md "auth / onboarding", issue 3), shown whenever the session has no
//! authenticated user. Three stages on one card:
//!
//! 1. **Phone**: country calling code (1 by default) and national number, checked inline with
//!    the model's rules; "Send code". A refusal about the phone (a `require_auth` flow opened by
//!    someone else: 403) shows under the phone field.
//! 2. **Code**: "We sent a code to {masked number}", the six-digit code (`one-time-code`, so the
//!    phone offers it from the text message), "Verify". "Resend code" waits out the cooldown the
//!    server gave (`resend_at`) with a visible countdown driven by [`FlowServices::sleep`]
//!    (tests control time); "Use a different number" goes back with the number kept, and the
//!    cooldown (which the server applies to any new code) keeps counting there: "Send code"
//!    stays disabled, with "You can ask for a new code in N s", until it ends. The code field
//!    drops spaces as typed or pasted (`000 000`). A wrong, expired or exhausted code shows the
//!    server's message under the code field.
//! 3. **Profile** (only when the server answers `profile_required`): first name, last name,
//!    email.
//!
//! Signed in, [`FlowServices::signed_in`] hands the flow to the shell, which routes to the
//! first step.
//!
//! [`FlowServices::sleep`]: crate::context::FlowServices::sleep
//! [`FlowServices::signed_in`]: crate::context::FlowServices::signed_in

mod view;

use crate::context::{use_services, Sleep};
use crate::i18n::rule_text;
use crate::identity::seconds_until;
use crate::steps::{field_id, show_failure, show_invalid, submit_checked, LabelledField};
use crate::t;
use crate::ui::FieldState;
use crate::ui::{focus_id_soon, ErrorAlert, ScreenCard};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::identity::{CodeCheck, CodeSent, NewCode, NewProfile, SignIn};
use payout_model::{FlowState, Rule, Timestamp, Validate};
use std::time::Duration;
use view::{code_form_view, phone_form_view, profile_form_view, CodeForm, PhoneForm, ProfileForm};

/// Element id prefix of the sign-in fields.
const PREFIX: &str = "pf-auth";

/// Element id of the line saying when a new code may be asked for, on the phone stage.
const SEND_WAIT_ID: &str = "pf-auth-send-wait";

/// Where sign-in stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Asking for the phone number.
    Phone,
    /// A code was sent; asking for it.
    Code,
    /// The phone is new: asking who the user is.
    Profile,
}

/// The seconds until a new code may be asked for, counting down to the server's `resend_at` a
/// second at a time, never slower than the wall clock (a background tab's timers may be late).
#[derive(Clone, Copy)]
struct Countdown {
    /// Seconds left; 0 when a code may be asked for.
    wait: RwSignal<i64>,
    /// Bumped to stop a running countdown.
    generation: StoredValue<u32>,
}

impl Countdown {
    fn new() -> Self {
        Countdown {
            wait: RwSignal::new(0),
            generation: StoredValue::new(0),
        }
    }

    fn stop(self) {
        self.generation.update_value(|g| *g = g.wrapping_add(1));
    }

    fn start(self, resend_at: Timestamp, sleep: Sleep) {
        self.stop();
        let generation = self.generation.get_value();
        let mut left = seconds_until(resend_at, js_sys::Date::now());
        self.wait.set(left);
        spawn_local(async move {
            while left > 0 {
                sleep(Duration::from_secs(1)).await;
                if self.generation.try_get_value() != Some(generation) {
                    return;
                }
                left = (left - 1).min(seconds_until(resend_at, js_sys::Date::now()));
                self.wait.try_set(left);
            }
        });
    }
}

/// What sign-in's three forms hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct AuthFields {
    country: FieldState,
    phone: FieldState,
    code: FieldState,
    first_name: FieldState,
    last_name: FieldState,
    email: FieldState,
}

impl AuthFields {
    fn new() -> Self {
        AuthFields {
            country: FieldState::with_value("1"),
            phone: FieldState::new(),
            code: FieldState::new(),
            first_name: FieldState::new(),
            last_name: FieldState::new(),
            email: FieldState::new(),
        }
    }

    fn labelled(path: &'static str, label: &'static str, state: FieldState) -> LabelledField {
        LabelledField { path, label, state }
    }

    /// The phone form's fields, by the paths the server's errors name.
    fn phone_fields(self) -> [LabelledField; 2] {
        [
            Self::labelled("country_code", t!(field_country_code), self.country),
            Self::labelled("phone_number", t!(field_phone), self.phone),
        ]
    }

    /// The code form's field.
    fn code_fields(self) -> [LabelledField; 1] {
        [Self::labelled("code", t!(field_code), self.code)]
    }

    /// The profile form's fields.
    fn profile_fields(self) -> [LabelledField; 3] {
        [
            Self::labelled("first_name", t!(field_first_name), self.first_name),
            Self::labelled("last_name", t!(field_last_name), self.last_name),
            Self::labelled("email", t!(field_email), self.email),
        ]
    }
}

/// The inline check of one field by a model rule, worded with the field's label.
fn rule(
    label: &'static str,
    check: fn(&str) -> Result<(), Rule>,
) -> Callback<String, Option<String>> {
    Callback::new(move |value: String| check(&value).err().map(|r| rule_text(label, r)))
}

/// Signs the user in by phone and one-time code, creating their profile when the phone is new.
#[component]
pub fn AuthStep() -> impl IntoView {
    let services = use_services();
    let stage = RwSignal::new(Stage::Phone);
    let fields = AuthFields::new();
    let AuthFields {
        country,
        phone,
        code,
        first_name,
        last_name,
        email,
    } = fields;
    let sent = RwSignal::new(None::<CodeSent>);
    let busy = RwSignal::new(false);
    // What failed, for the form as a whole: (what, the server's or browser's words).
    let form_error = RwSignal::new(None::<(&'static str, String)>);
    let notice = RwSignal::new(String::new());
    let countdown = Countdown::new();
    let wait = countdown.wait;
    let phone_form = NodeRef::<html::Form>::new();
    let code_form = NodeRef::<html::Form>::new();
    let profile_form = NodeRef::<html::Form>::new();

    let phone_fields = move || fields.phone_fields();
    let code_fields = move || fields.code_fields();
    let profile_fields = move || fields.profile_fields();
    let stop_countdown = move || countdown.stop();
    let start_countdown = {
        let sleep = services.sleep.clone();
        UnsyncCallback::new(move |resend_at: Timestamp| countdown.start(resend_at, sleep.clone()))
    };

    let signed_in = {
        let signed_in = services.signed_in.clone();
        UnsyncCallback::new(move |flow: FlowState| {
            stop_countdown();
            signed_in(flow);
        })
    };

    // Sends a code to the number typed; `resend` when asked from the code stage.
    let send = {
        let api = services.api.clone();
        UnsyncCallback::new(move |resend: bool| {
            // The cooldown covers any new code, from either stage (the server would refuse it).
            if busy.get_untracked() || wait.get_untracked() > 0 {
                return;
            }
            form_error.set(None);
            notice.set(String::new());
            let new = NewCode {
                country_code: country.text().trim().to_owned(),
                phone_number: phone.text().trim().to_owned(),
            };
            if let Err(invalid) = new.validate() {
                stage.set(Stage::Phone);
                let rest = show_invalid(phone_form, PREFIX, &phone_fields(), &invalid);
                form_error.set(rest.map(|r| (t!(send_code_failed), r)));
                return;
            }
            busy.set(true);
            let call = api.send_code(new);
            spawn_local(async move {
                let result = call.await;
                busy.try_set(false);
                match result {
                    Ok(answer) => {
                        code.value.try_set(String::new());
                        code.error.try_set(None);
                        if resend {
                            notice.try_set(t!(code_resent_to, sent_to = sent_to(&answer)));
                        }
                        start_countdown.run(answer.resend_at);
                        sent.try_set(Some(answer));
                        stage.try_set(Stage::Code);
                        focus_id_soon(field_id(PREFIX, "code"));
                    }
                    Err(failure) if resend => {
                        form_error.try_set(Some((t!(resend_failed), failure.message().to_owned())));
                    }
                    Err(failure) => {
                        let rest = show_failure(phone_form, PREFIX, &phone_fields(), &failure);
                        form_error.try_set(rest.map(|r| (t!(send_code_failed), r)));
                    }
                }
            });
        })
    };

    // What no field took, worded as a sign-in failure.
    let auth_rest = move |rest: Option<String>| {
        form_error.try_set(rest.map(|r| (t!(auth_failed), r)));
    };

    let verify = {
        let api = services.api.clone();
        submit_checked(
            code_form,
            PREFIX,
            busy,
            code_fields,
            move || {
                let check = CodeCheck {
                    code: code.text().split_whitespace().collect(),
                };
                check.validate().map(|()| check)
            },
            move |check| api.verify_code(check),
            move |answer| match answer {
                SignIn::SignedIn { flow } => signed_in.run(flow),
                SignIn::ProfileRequired => {
                    stop_countdown();
                    notice.try_set(String::new());
                    stage.try_set(Stage::Profile);
                    focus_id_soon(field_id(PREFIX, "first_name"));
                }
            },
            auth_rest,
        )
    };

    let create = {
        let api = services.api.clone();
        submit_checked(
            profile_form,
            PREFIX,
            busy,
            profile_fields,
            move || {
                let new = NewProfile {
                    first_name: first_name.text().trim().to_owned(),
                    last_name: last_name.text().trim().to_owned(),
                    email: email.text().trim().to_owned(),
                };
                new.validate().map(|()| new)
            },
            move |new| api.create_profile(new),
            move |answer| match answer {
                SignIn::SignedIn { flow } => signed_in.run(flow),
                // Not an answer the server gives to a profile; say so rather than loop.
                SignIn::ProfileRequired => {
                    form_error.try_set(Some((t!(auth_failed), String::new())));
                }
            },
            auth_rest,
        )
    };

    // The countdown keeps running: the cooldown applies to a new code for any number.
    let change_number = move || {
        form_error.set(None);
        notice.set(String::new());
        stage.set(Stage::Phone);
        focus_id_soon(field_id(PREFIX, "phone_number"));
    };

    let change_number = UnsyncCallback::new(move |()| change_number());
    let phone_view = move || {
        phone_form_view(PhoneForm {
            form: phone_form,
            country,
            phone,
            busy,
            wait,
            send,
        })
    };
    let code_view = move || {
        code_form_view(CodeForm {
            form: code_form,
            code,
            sent,
            busy,
            wait,
            send,
            verify,
            change_number,
        })
    };
    let profile_view = move || {
        profile_form_view(ProfileForm {
            form: profile_form,
            first_name,
            last_name,
            email,
            busy,
            create,
        })
    };

    view! {
        <ScreenCard testid="step-auth" title=t!(sign_in_title) busy=busy>
            <p class="pf-notice" role="status" data-testid="auth-notice">
                {move || notice.get()}
            </p>
            {move || match stage.get() {
                Stage::Phone => phone_view().into_any(),
                Stage::Code => code_view().into_any(),
                Stage::Profile => profile_view().into_any(),
            }}
            {move || {
                form_error
                    .get()
                    .map(|(what, details)| {
                        view! { <ErrorAlert message=what details=details testid="auth-error" /> }
                    })
            }}
        </ScreenCard>
    }
}

/// The number a code went to, as the user reads it (`+1 ••• ••• 2334`), built from the answer's
/// data; a server without those fields gives its own `sent_to`.
pub(crate) fn sent_to(sent: &CodeSent) -> String {
    if sent.last4.is_empty() {
        return sent.sent_to.clone();
    }
    payout_model::identity::mask_phone(&sent.country_code, &sent.last4)
}
