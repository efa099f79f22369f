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

use crate::context::use_services;
use crate::i18n::rule_text;
use crate::i18n::{t, tr, Key};
use crate::identity::seconds_until;
use crate::steps::{field_id, show_failure, show_invalid, submit_checked, LabelledField};
use crate::ui::{focus_id_soon, Button, ButtonVariant, ErrorAlert, ScreenCard, SubmitButton};
use crate::ui::{FieldState, TextField};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::identity::{check_code, CodeCheck, CodeSent, NewCode, NewProfile, SignIn};
use payout_model::user::{check_country_code, check_email, check_name, check_phone_number};
use payout_model::{FlowState, Rule, Timestamp, Validate};
use std::time::Duration;

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

/// The inline check of one field by a model rule, worded with the field's label.
fn rule(label: Key, check: fn(&str) -> Result<(), Rule>) -> Callback<String, Option<String>> {
    Callback::new(move |value: String| check(&value).err().map(|r| rule_text(t(label), r)))
}

/// Signs the user in by phone and one-time code, creating their profile when the phone is new.
#[component]
pub fn AuthStep() -> impl IntoView {
    let services = use_services();
    let stage = RwSignal::new(Stage::Phone);
    let country = FieldState::with_value("1");
    let phone = FieldState::new();
    let code = FieldState::new();
    let first_name = FieldState::new();
    let last_name = FieldState::new();
    let email = FieldState::new();
    let sent = RwSignal::new(None::<CodeSent>);
    let busy = RwSignal::new(false);
    // What failed, for the form as a whole: (what, the server's or browser's words).
    let form_error = RwSignal::new(None::<(Key, String)>);
    let notice = RwSignal::new(String::new());
    // Seconds until a new code may be asked for.
    let wait = RwSignal::new(0_i64);
    // Bumped to stop a running countdown.
    let countdown = StoredValue::new(0_u32);
    let phone_form = NodeRef::<html::Form>::new();
    let code_form = NodeRef::<html::Form>::new();
    let profile_form = NodeRef::<html::Form>::new();

    let phone_fields = move || {
        [
            LabelledField {
                path: "country_code",
                label: t(Key::FieldCountryCode),
                state: country,
            },
            LabelledField {
                path: "phone_number",
                label: t(Key::FieldPhone),
                state: phone,
            },
        ]
    };
    let code_fields = move || {
        [LabelledField {
            path: "code",
            label: t(Key::FieldCode),
            state: code,
        }]
    };
    let profile_fields = move || {
        [
            LabelledField {
                path: "first_name",
                label: t(Key::FieldFirstName),
                state: first_name,
            },
            LabelledField {
                path: "last_name",
                label: t(Key::FieldLastName),
                state: last_name,
            },
            LabelledField {
                path: "email",
                label: t(Key::FieldEmail),
                state: email,
            },
        ]
    };
    let stop_countdown = move || countdown.update_value(|g| *g = g.wrapping_add(1));

    // Counts down to `resend_at` a second at a time; never slower than the wall clock (a
    // background tab's timers may be late).
    let start_countdown = {
        let sleep = services.sleep.clone();
        UnsyncCallback::new(move |resend_at: Timestamp| {
            stop_countdown();
            let generation = countdown.get_value();
            let mut left = seconds_until(resend_at, js_sys::Date::now());
            wait.set(left);
            let sleep = sleep.clone();
            spawn_local(async move {
                while left > 0 {
                    sleep(Duration::from_secs(1)).await;
                    if countdown.try_get_value() != Some(generation) {
                        return;
                    }
                    left = (left - 1).min(seconds_until(resend_at, js_sys::Date::now()));
                    wait.try_set(left);
                }
            });
        })
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
                form_error.set(rest.map(|r| (Key::SendCodeFailed, r)));
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
                            notice.try_set(tr(Key::CodeResentTo, &[("sent_to", &answer.sent_to)]));
                        }
                        start_countdown.run(answer.resend_at);
                        sent.try_set(Some(answer));
                        stage.try_set(Stage::Code);
                        focus_id_soon(field_id(PREFIX, "code"));
                    }
                    Err(failure) if resend => {
                        form_error.try_set(Some((Key::ResendFailed, failure.message().to_owned())));
                    }
                    Err(failure) => {
                        let rest = show_failure(phone_form, PREFIX, &phone_fields(), &failure);
                        form_error.try_set(rest.map(|r| (Key::SendCodeFailed, r)));
                    }
                }
            });
        })
    };

    // What no field took, worded as a sign-in failure.
    let auth_rest = move |rest: Option<String>| {
        form_error.try_set(rest.map(|r| (Key::AuthFailed, r)));
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
                    form_error.try_set(Some((Key::AuthFailed, String::new())));
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

    let phone_view = move || {
        view! {
            <form
                class="pf-form"
                novalidate=true
                node_ref=phone_form
                data-testid="auth-phone-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    send.run(false);
                }
            >
                <p class="pf-body">{t(Key::AuthPhoneIntro)}</p>
                <div class="pf-phone">
                    <TextField
                        id=field_id(PREFIX, "country_code")
                        label=t(Key::FieldCountryCode)
                        field=country
                        testid="auth-country-code"
                        prefix="+"
                        inputmode="tel"
                        autocomplete="tel-country-code"
                        maxlength=4
                        check=rule(Key::FieldCountryCode, check_country_code)
                    />
                    <TextField
                        id=field_id(PREFIX, "phone_number")
                        label=t(Key::FieldPhone)
                        field=phone
                        testid="auth-phone"
                        input_type="tel"
                        inputmode="tel"
                        autocomplete="tel-national"
                        check=Callback::new(move |value: String| {
                            check_phone_number(&country.value.get_untracked(), &value)
                                .err()
                                .map(|r| rule_text(t(Key::FieldPhone), r))
                        })
                    />
                </div>
                <div class="pf-actions">
                    <SubmitButton
                        label=t(Key::SendCode)
                        busy_label=t(Key::Sending)
                        busy=busy
                        testid="auth-send-code"
                        disabled=Signal::derive(move || wait.get() > 0)
                        described_by=SEND_WAIT_ID
                    />
                </div>
                // Kept in the page (empty once the cooldown is over): the button refers to it.
                <p class="pf-details" id=SEND_WAIT_ID data-testid="auth-send-wait">
                    {move || match wait.get() {
                        0 => String::new(),
                        seconds => tr(Key::NewCodeIn, &[("seconds", &seconds.to_string())]),
                    }}
                </p>
            </form>
        }
    };

    let code_view = move || {
        let sent_to = sent.with(|s| s.as_ref().map(|s| s.sent_to.clone()).unwrap_or_default());
        view! {
            <form
                class="pf-form"
                novalidate=true
                node_ref=code_form
                data-testid="auth-code-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    verify.run(());
                }
            >
                <p class="pf-body" data-testid="auth-sent-to">
                    {tr(Key::CodeSentTo, &[("sent_to", &sent_to)])}
                </p>
                <TextField
                    id=field_id(PREFIX, "code")
                    label=t(Key::FieldCode)
                    hint=t(Key::CodeHint)
                    field=code
                    testid="auth-code"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength=6
                    no_spaces=true
                    check=rule(Key::FieldCode, check_code)
                />
                <div class="pf-actions">
                    <SubmitButton
                        label=t(Key::Verify)
                        busy_label=t(Key::Verifying)
                        busy=busy
                        testid="auth-verify"
                    />
                </div>
                <div class="pf-actions pf-actions--secondary">
                    <button
                        type="button"
                        class="pf-button pf-button--secondary"
                        data-testid="auth-resend"
                        disabled=move || { wait.get() > 0 || busy.get() }
                        on:click=move |_| send.run(true)
                    >
                        {move || match wait.get() {
                            0 => t(Key::ResendCode).to_owned(),
                            seconds => tr(Key::ResendIn, &[("seconds", &seconds.to_string())]),
                        }}
                    </button>
                    <Button
                        label=t(Key::ChangeNumber)
                        on_click=move || change_number()
                        testid="auth-change-number"
                        variant=ButtonVariant::Secondary
                    />
                </div>
            </form>
        }
    };

    let profile_view = move || {
        view! {
            <form
                class="pf-form"
                novalidate=true
                node_ref=profile_form
                data-testid="auth-profile-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    create.run(());
                }
            >
                <p class="pf-body">{t(Key::ProfileIntro)}</p>
                <TextField
                    id=field_id(PREFIX, "first_name")
                    label=t(Key::FieldFirstName)
                    field=first_name
                    testid="auth-first-name"
                    autocomplete="given-name"
                    check=rule(Key::FieldFirstName, check_name)
                />
                <TextField
                    id=field_id(PREFIX, "last_name")
                    label=t(Key::FieldLastName)
                    field=last_name
                    testid="auth-last-name"
                    autocomplete="family-name"
                    check=rule(Key::FieldLastName, check_name)
                />
                <TextField
                    id=field_id(PREFIX, "email")
                    label=t(Key::FieldEmail)
                    field=email
                    testid="auth-email"
                    input_type="email"
                    inputmode="email"
                    autocomplete="email"
                    check=rule(Key::FieldEmail, check_email)
                />
                <div class="pf-actions">
                    <SubmitButton
                        label=t(Key::CreateAccount)
                        busy_label=t(Key::Creating)
                        busy=busy
                        testid="auth-create"
                    />
                </div>
            </form>
        }
    };

    view! {
        <ScreenCard testid="step-auth" title=t(Key::SignInTitle) busy=busy>
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
                        view! { <ErrorAlert message=t(what) details=details testid="auth-error" /> }
                    })
            }}
        </ScreenCard>
    }
}
