//! Sign-in's three forms: the phone number (with the resend cooldown), the one-time code (resend
//! and change number), and the profile of a new phone, and the screen of a payout link that
//! cannot be claimed. They show what they are given and report submits.

use super::SEND_WAIT_ID;
use crate::forms::Rejected;
use crate::i18n::reason_text;
use crate::t;
use crate::ui::{Button, ButtonVariant, Field, SubmitButton, TextField};
use leptos::html;
use leptos::prelude::*;
use payout_model::Reason;

/// The sign-in forms' rules with one field's value: `(path, value)` → what is wrong.
pub type Check = Callback<(&'static str, String), Option<Rejected>>;

/// The inline check of `field` by `check`.
fn check_of(field: Field, check: Check) -> Callback<String, Option<String>> {
    field.checked_by(move |path, value| check.try_run((path, value))?)
}

/// The phone form's handles.
#[derive(Clone, Copy)]
pub struct PhoneForm {
    pub form: NodeRef<html::Form>,
    pub check: Check,
    pub country: Field,
    pub phone: Field,
    pub busy: Signal<bool>,
    /// Seconds until a new code may be asked for.
    pub wait: Signal<i64>,
    /// Sends a code (`true`: a resend).
    pub send: UnsyncCallback<bool>,
    /// The payout link's payee phone, masked (`+1 ••• ••• 0123`): the code goes there, and no
    /// number is typed.
    pub payee: StoredValue<Option<String>>,
}

/// The code form's handles.
#[derive(Clone)]
pub struct CodeForm {
    pub form: NodeRef<html::Form>,
    pub check: Check,
    pub code: Field,
    /// The number the code went to, as the user reads it.
    pub sent_to: String,
    /// A request is out (no resend meanwhile).
    pub busy: Signal<bool>,
    /// The code is being checked: Verify's own busy state (not a resend's).
    pub verifying: Signal<bool>,
    pub wait: Signal<i64>,
    pub send: UnsyncCallback<bool>,
    pub verify: UnsyncCallback<()>,
    /// "Use a different number"; none when the code goes to a payee's phone only.
    pub change_number: Option<UnsyncCallback<()>>,
}

/// The profile form's handles.
#[derive(Clone, Copy)]
pub struct ProfileForm {
    pub form: NodeRef<html::Form>,
    pub check: Check,
    pub first_name: Field,
    pub last_name: Field,
    pub email: Field,
    pub busy: Signal<bool>,
    pub create: UnsyncCallback<()>,
}

/// Asks for the phone number.
pub fn phone_form_view(p: PhoneForm) -> impl IntoView {
    let (country, wait) = (p.country, p.wait);
    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=p.form
            data-testid="auth-phone-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                p.send.run(false);
            }
        >
            {match p.payee.get_value() {
                Some(number) => {
                    view! {
                        <p class="pf-body" data-testid="auth-payee-phone">
                            {t!(auth_payee_phone_intro, number = &number)}
                        </p>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="pf-body">{t!(auth_phone_intro)}</p>
                        <div class="pf-phone">
                            <TextField
                                field=country
                                testid="auth-country-code"
                                prefix="+"
                                inputmode="tel"
                                autocomplete="tel-country-code"
                                maxlength=4
                                check=check_of(country, p.check)
                            />
                            <TextField
                                field=p.phone
                                testid="auth-phone"
                                input_type="tel"
                                inputmode="tel"
                                autocomplete="tel-national"
                                check=check_of(p.phone, p.check)
                            />
                        </div>
                    }
                        .into_any()
                }
            }}
            <div class="pf-actions">
                <SubmitButton
                    label=t!(send_code)
                    busy_label=t!(sending)
                    busy=p.busy
                    testid="auth-send-code"
                    disabled=Signal::derive(move || wait.get() > 0)
                    described_by=SEND_WAIT_ID
                />
            </div>
            // Kept in the page (empty once the cooldown is over): the button refers to it.
            <p class="pf-details" id=SEND_WAIT_ID data-testid="auth-send-wait">
                {move || match wait.get() {
                    0 => String::new(),
                    seconds => t!(new_code_in, seconds),
                }}
            </p>
        </form>
    }
}

/// Asks for the code sent; offers a resend (after the cooldown) and another number.
pub fn code_form_view(p: CodeForm) -> impl IntoView {
    let (wait, busy, verifying, send, verify) = (p.wait, p.busy, p.verifying, p.send, p.verify);
    let sent_to = p.sent_to;
    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=p.form
            data-testid="auth-code-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                verify.run(());
            }
        >
            <p class="pf-body" data-testid="auth-sent-to">
                {t!(code_sent_to, sent_to = &sent_to)}
            </p>
            <TextField
                hint=t!(code_hint)
                field=p.code
                testid="auth-code"
                inputmode="numeric"
                autocomplete="one-time-code"
                maxlength=6
                no_spaces=true
                check=check_of(p.code, p.check)
            />
            <div class="pf-actions">
                <SubmitButton
                    label=t!(verify)
                    busy_label=t!(verifying)
                    busy=verifying
                    disabled=busy
                    testid="auth-verify"
                />
            </div>
            <div class="pf-actions pf-actions--secondary">
                <button
                    type="button"
                    class="pf-button pf-button--secondary"
                    data-testid="auth-resend"
                    // Not `disabled`, which would drop the focus of a keyboard user who pressed
                    // it; the machine ignores a press while busy or waiting.
                    aria-disabled=move || (wait.get() > 0 || busy.get()).then_some("true")
                    on:click=move |_| send.run(true)
                >
                    {move || match wait.get() {
                        0 => t!(resend_code).to_owned(),
                        seconds => t!(resend_in, seconds),
                    }}
                </button>
                {p.change_number.map(|change_number| {
                    view! {
                        <Button
                            label=t!(change_number)
                            on_click=change_number
                            testid="auth-change-number"
                            variant=ButtonVariant::Secondary
                        />
                    }
                })}
            </div>
        </form>
    }
}

/// Asks a new phone's owner who they are.
pub fn profile_form_view(p: ProfileForm) -> impl IntoView {
    view! {
        <form
            class="pf-form"
            novalidate=true
            node_ref=p.form
            data-testid="auth-profile-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                p.create.run(());
            }
        >
            <p class="pf-body">{t!(profile_intro)}</p>
            <TextField
                field=p.first_name
                testid="auth-first-name"
                autocomplete="given-name"
                check=check_of(p.first_name, p.check)
            />
            <TextField
                field=p.last_name
                testid="auth-last-name"
                autocomplete="family-name"
                check=check_of(p.last_name, p.check)
            />
            <TextField
                field=p.email
                testid="auth-email"
                input_type="email"
                inputmode="email"
                autocomplete="email"
                check=check_of(p.email, p.check)
            />
            <div class="pf-actions">
                <SubmitButton
                    label=t!(create_account)
                    busy_label=t!(creating)
                    busy=p.busy
                    testid="auth-create"
                />
            </div>
        </form>
    }
}

/// The end of sign-in on a payout link that cannot be claimed here (issue 11): already claimed
/// by someone else, or canceled or expired. Announced, with nothing more to fill in.
pub fn link_unavailable_view(reason: Reason, heading_id: String) -> impl IntoView {
    let title = match reason {
        Reason::LinkClaimed => t!(link_claimed_title),
        _ => t!(link_closed_title),
    };
    view! {
        <div class="pf-empty-state" role="alert" data-testid="auth-link-unavailable">
            <h2
                class="pf-subtitle"
                id=heading_id
                tabindex="-1"
                data-testid="auth-link-unavailable-title"
            >
                {title}
            </h2>
            <p class="pf-body">{reason_text(reason)}</p>
        </div>
    }
}
