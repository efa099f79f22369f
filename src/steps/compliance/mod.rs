//! The compliance step (DESIGN.md "compliance", issue 3): the user's tax data. In the US a W-9:
//! legal name, date of birth (18+), SSN or ITIN, US address with state and ZIP. Elsewhere a
//! W-8BEN: legal name, date of birth, foreign tax id, address with an optional region and
//! postal code.
//!
//! Every field is checked with [`NewCompliance::validate`] as the user leaves it (and as they
//! fix it), and the whole form again on submit; the server's 422 field errors (`tin`,
//! `address.postal_code`) land on the same fields. Nothing typed is lost on any error.
//!
//! **The tax id** shows as `•••-••-6789` once the user leaves the field (a foreign one as
//! `•••••456C`: its last few letters or digits, never more than half); the whole number stays
//! in memory only (never storage, the URL or the console) and is never prefilled: the server
//! keeps only its last four digits. Names, date of birth and address are prefilled from what
//! was saved before.
//!
//! Saved, the server has recorded the step; the confirmation replaces the form, takes focus on
//! its heading, shows the masked tax id, and Continue tells the host (`step_completed`) and
//! moves on. A save refused because the step is no longer the flow's (tax data stopped being
//! due while the form showed) shows the step that comes now.
//!
//! [`view`] holds the form and the confirmation; this module the fields, their rules and the
//! request.

mod view;

use crate::api::{ApiFailure, LocalFuture};
use crate::context::{use_services, SessionApi};
use crate::forms::Rejected;
use crate::i18n::{localized, step_title};
use crate::identity::{is_us, masked_last4, optional, today};
use crate::requests::fetched;
use crate::steps::{show_answer, AddressState};
use crate::t;
use crate::ui::{Field, Form, ScreenCard};
use leptos::prelude::*;
use payout_model::identity::{Compliance, NewCompliance, Submitted, TaxForm};
use payout_model::{FlowState, StepName, Validate};
use view::{saved_view, tax_form, FormProps};
/// Element id prefix of the form's fields.
const PREFIX: &str = "pf-compliance";

/// Element id of the confirmation's heading, which takes focus once the form is saved.
const SAVED_HEADING: &str = "pf-compliance-saved-heading";

/// What the compliance form holds. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct ComplianceFields {
    country: Field,
    first_name: Field,
    last_name: Field,
    date_of_birth: Field,
    tin: Field,
    foreign_tax_id: Field,
    address: AddressState,
    /// Whether the user has picked a country (the form's `change` from its select): the saved
    /// data's country then no longer replaces it.
    country_picked: StoredValue<bool>,
}

impl ComplianceFields {
    fn new(form: &Form) -> Self {
        ComplianceFields {
            country: form.field_with("country", || t!(field_country), "US"),
            first_name: form.field("first_name", || t!(field_legal_first_name)),
            last_name: form.field("last_name", || t!(field_legal_last_name)),
            date_of_birth: form.field("date_of_birth", || t!(field_date_of_birth)),
            tin: form.field("tin", || t!(field_tin)),
            foreign_tax_id: form.field("foreign_tax_id", || t!(field_foreign_tax_id)),
            address: AddressState::new(form),
            country_picked: StoredValue::new(false),
        }
    }

    fn us(&self) -> bool {
        is_us(&self.country.text())
    }

    /// The answers as typed, trimmed; only the country's own tax id is sent.
    fn input(&self) -> NewCompliance {
        let us = self.us();
        NewCompliance {
            country: self.country.text().trim().to_ascii_uppercase(),
            first_name: self.first_name.text().trim().to_owned(),
            last_name: self.last_name.text().trim().to_owned(),
            date_of_birth: self.date_of_birth.text().trim().to_owned(),
            tin: if us { optional(&self.tin.text()) } else { None },
            foreign_tax_id: if us {
                None
            } else {
                optional(&self.foreign_tax_id.text())
            },
            address: self.address.address(us),
        }
    }

    /// The fields the form shows for the chosen country, by request path, in form order.
    fn fields(&self) -> Vec<Field> {
        let us = self.us();
        let mut fields = vec![
            self.country,
            self.first_name,
            self.last_name,
            self.date_of_birth,
            if us { self.tin } else { self.foreign_tax_id },
        ];
        fields.extend(self.address.fields(us));
        fields
    }

    /// What is sent, checked by the model's rules as of today.
    fn checked(&self) -> Result<NewCompliance, Rejected> {
        let new = self.input();
        new.as_of(today()).validate()?;
        Ok(new)
    }

    /// Fills what was saved before into the fields still empty (never a tax id), and the
    /// country while the user has not picked one (review: a country picked while the saved data
    /// was on its way was set back to the saved one).
    fn prefill(&self, saved: &Compliance) {
        let untouched = self.first_name.text().is_empty()
            && self.last_name.text().is_empty()
            && self.date_of_birth.text().is_empty()
            && !self.country_picked.get_value();
        if untouched {
            self.country.value.set(saved.country.clone());
        }
        for (field, value) in [
            (self.first_name, &saved.first_name),
            (self.last_name, &saved.last_name),
            (self.date_of_birth, &saved.date_of_birth),
        ] {
            if field.text().is_empty() {
                field.value.set(value.clone());
            }
        }
        self.address.prefill(&saved.address, is_us(&saved.country));
    }

    /// The inline check of the field at `path` holding `value`: the whole form's rules, so the
    /// country decides which tax id and address rules apply.
    fn check(&self, path: &'static str, value: String) -> Option<Rejected> {
        let mut input = self.input();
        let value_opt = optional(&value);
        match path {
            "country" => input.country = value.trim().to_ascii_uppercase(),
            "first_name" => input.first_name = value,
            "last_name" => input.last_name = value,
            "date_of_birth" => input.date_of_birth = value,
            "tin" => input.tin = value_opt,
            "foreign_tax_id" => input.foreign_tax_id = value_opt,
            "address.line1" => input.address.line1 = value,
            "address.line2" => input.address.line2 = value_opt,
            "address.city" => input.address.city = value,
            "address.region" => input.address.region = value_opt,
            "address.postal_code" => input.address.postal_code = value_opt,
            _ => return None,
        }
        input.as_of(today()).validate().err().map(Rejected::from)
    }
}

/// The saved answer's confirmation: which form, and the tax id masked.
fn saved_lines(saved: &Compliance) -> (String, Option<String>) {
    let form = match saved.form {
        TaxForm::W9 => t!(form_w9),
        TaxForm::W8ben => t!(form_w8ben),
    };
    let tax_id = match (&saved.tin_last4, &saved.foreign_tax_id_last4) {
        (Some(last4), _) => Some(t!(tin_on_file, masked = &masked_last4(last4))),
        (None, Some(last4)) => Some(t!(foreign_tax_id_on_file, last4)),
        (None, None) => None,
    };
    (t!(compliance_saved_form, form), tax_id)
}

/// Saves `new`. A save that may have been made although its answer was lost (no answer, a
/// 5xx), or refused because the step is already complete (a retry after such a loss), is
/// looked up ([`SessionApi::submitted_or_kept`]): the flow showing the step completed and the tax data on file being what `new`
/// stores ([`is_this_save`]), it is answered as if the first answer had come. Else the user
/// would be left on a form the server refuses for good, their data saved but never shown
/// saved. Data on file from another save (another tab of the session, or this form's own lost
/// save before a correction) is not taken for this one: it is shown as what is on file, with
/// `on_file` set, since the step is complete and no save can change it any more.
///
/// Refused because the flow's route has moved ([`SessionApi::route_moved`]: tax data stopped
/// being due as the balance fell while the form showed, say), the answer is the flow as it now
/// stands, for the shell to show the step that comes now: every save would be refused alike.
fn save(
    api: SessionApi,
    new: NewCompliance,
    on_file: RwSignal<bool>,
) -> LocalFuture<Result<Saved, ApiFailure>> {
    let kept = kept_save(api.clone(), new, on_file);
    Box::pin(async move {
        let answer = kept.await;
        match api.route_moved(&answer, StepName::Compliance).await {
            // Completed meanwhile, by this form's own save whose answer was lost (the data it
            // saved could not be read back): the refusal stays, and a retry finds the save,
            // shows it and tells the host (review: the shell moved on without either).
            Some(flow) if !flow.completed_steps.contains(&StepName::Compliance) => {
                Ok(Saved::Moved(flow))
            }
            _ => answer.map(|kept| Saved::Kept(Box::new(kept))),
        }
    })
}

/// What a save came to ([`save`]).
enum Saved {
    /// Saved (or found saved): the confirmation replaces the form.
    Kept(Box<Submitted<Compliance>>),
    /// Not this step's any more: the flow as it now stands.
    Moved(FlowState),
}

/// [`save`] before the route is looked at.
fn kept_save(
    api: SessionApi,
    new: NewCompliance,
    on_file: RwSignal<bool>,
) -> LocalFuture<Result<Submitted<Compliance>, ApiFailure>> {
    let sent = new.clone();
    api.submitted_or_kept(
        api.submit_compliance(new),
        StepName::Compliance,
        move |api| {
            let read = api.compliance();
            Box::pin(async move {
                let data = read.await?;
                if let Some(data) = &data {
                    on_file.try_set(!is_this_save(data, &sent));
                }
                Ok(data)
            })
        },
    )
}

/// Whether `saved` (the tax data on file) is what `sent` stores: the same form, country, names,
/// birth date (as a date: the server writes `1990-4-5` as `1990-04-05`) and address (each part
/// as the server normalizes it), and a tax id ending in the tail the server kept of it.
fn is_this_save(saved: &Compliance, sent: &NewCompliance) -> bool {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let date = |d: &str| payout_model::identity::parse_iso_date(d.trim());
    let same_date = match (date(&saved.date_of_birth), date(&sent.date_of_birth)) {
        (Some(a), Some(b)) => a == b,
        _ => same(&saved.date_of_birth, &sent.date_of_birth),
    };
    let parts = |a: &payout_model::identity::Address| {
        let a = a.normalized();
        [
            a.line1,
            a.line2.unwrap_or_default(),
            a.city,
            a.region.unwrap_or_default(),
            a.postal_code.unwrap_or_default(),
        ]
        .map(|p| {
            p.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase()
        })
    };
    let kept_tail_of = |kept: &Option<String>, typed: &Option<String>| match (kept, typed) {
        (Some(kept), Some(typed)) => {
            let typed: String = typed.chars().filter(char::is_ascii_alphanumeric).collect();
            typed
                .to_ascii_uppercase()
                .ends_with(&kept.to_ascii_uppercase())
        }
        (kept, typed) => kept.is_none() && typed.as_deref().is_none_or(|t| t.trim().is_empty()),
    };
    saved.form == sent.form()
        && same(&saved.country, &sent.country)
        && same(&saved.first_name, &sent.first_name)
        && same(&saved.last_name, &sent.last_name)
        && same_date
        && parts(&saved.address) == parts(&sent.address)
        && kept_tail_of(&saved.tin_last4, &sent.tin)
        && kept_tail_of(&saved.foreign_tax_id_last4, &sent.foreign_tax_id)
}

/// Collects the user's W-9 or W-8BEN data.
#[component]
pub fn ComplianceStep() -> impl IntoView {
    let services = use_services();
    let form = Form::new(PREFIX);
    let fields = ComplianceFields::new(&form);
    let saved = RwSignal::new(None::<Submitted<Compliance>>);
    // The answer shown is the data another save had put on file (`save`), not this one's.
    let on_file = RwSignal::new(false);
    let us = Memo::new(move |_| is_us(&fields.country.value.get()));

    // Prefill from what was saved before (a resource); a failure only means empty fields. The
    // fields are filled once, when it answers, and not tracked: typing never refills them.
    let previous = {
        let api = services.api.clone();
        fetched(move || api.compliance())
    };
    Effect::new(move || {
        previous.with(|load| {
            if let Some(Ok(Some(previous))) = load {
                untrack(|| fields.prefill(previous));
            }
        });
    });

    let submit = {
        let (api, advance) = (services.api.clone(), services.advance.clone());
        UnsyncCallback::new(move |()| {
            let (api, advance) = (api.clone(), advance.clone());
            let show = show_answer(saved, SAVED_HEADING);
            form.submit(
                move || fields.fields(),
                fields.checked(),
                move |new| save(api, new, on_file),
                move |answer| match answer {
                    Saved::Kept(answer) => show(*answer),
                    Saved::Moved(flow) => advance(flow),
                },
            );
        })
    };

    let props = FormProps {
        fields,
        form,
        us,
        submit,
    };

    localized(move || {
        view! {
            <ScreenCard testid="step-compliance" title=step_title(StepName::Compliance) busy=form.busy>
                {move || match saved.get() {
                    Some(answer) => saved_view(answer, on_file.get_untracked()).into_any(),
                    None => tax_form(props).into_any(),
                }}
            </ScreenCard>
        }
    })
}
