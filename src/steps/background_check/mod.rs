//! The background-check step (DESIGN.md "background-check", issues 3 and 8): SSN, date of
//! birth and US address, for US residents aged 18 or older.
//!
//! **Tax details on file** (issue 8): when the user has given compliance data, the check runs
//! on that record and nothing else, so the two can never disagree. The step shows a summary
//! (country, date of birth, SSN as `•••• 1234`, address) and one "Run background check" button
//! that sends `{}` ([`NewBackgroundCheck::on_file`]). Without tax details, the form below: its
//! answers become the user's compliance record on the server. Checked inline with
//! [`NewBackgroundCheck::validate`]; the server's field errors land on the same fields.
//!
//! Outside the US there is nothing to check: the step says so plainly and its Continue sends
//! only the country (the answer is `not_eligible`, not a failure). The outcome — clear, failed
//! (worded neutrally: the host is notified, the user is not accused of anything) or not
//! eligible with its reason — replaces the form, takes focus on its heading and is shown with a
//! Continue; the server has recorded the step.
//!
//! [`view`] holds the three screens (the form, the summary of the tax details on file, the
//! outcome); this module the fields, the requests and the choice between the screens.

mod view;

use crate::api::{ApiFailure, LocalFuture};
use crate::context::{use_services, SessionApi};
use crate::forms::Rejected;
use crate::i18n::{localized, step_title};
use crate::identity::{country_options, is_us, optional, today};
use crate::requests::fetched;
use crate::steps::{show_answer, AddressState};
use crate::t;
use crate::ui::{Field, Form, LoadingLine, ScreenCard};
use leptos::prelude::*;
use payout_model::identity::{
    Address, BackgroundCheck, BackgroundCheckStatus, Ineligible, NewBackgroundCheck, Submitted,
};
use payout_model::{StepName, Validate};
use view::{check_form, on_file_view, outcome_view, CheckForm};

/// Element id prefix of the form's fields.
const PREFIX: &str = "pf-bgc";

/// Element id of the outcome's heading, which takes focus once the check has run.
const RESULT_HEADING: &str = "pf-bgc-result-heading";

/// What the background-check form holds. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct CheckFields {
    country: Field,
    ssn: Field,
    date_of_birth: Field,
    address: AddressState,
}

impl CheckFields {
    fn new(form: &Form) -> Self {
        CheckFields {
            country: form.field_with("country", || t!(field_country), "US"),
            ssn: form.field("ssn", || t!(field_ssn)),
            date_of_birth: form.field("date_of_birth", || t!(field_date_of_birth)),
            address: AddressState::new(form),
        }
    }

    fn input(&self) -> NewBackgroundCheck {
        let country = self.country.text().trim().to_ascii_uppercase();
        if !is_us(&country) {
            return NewBackgroundCheck {
                country,
                ..Default::default()
            };
        }
        NewBackgroundCheck {
            country,
            ssn: optional(&self.ssn.text()),
            date_of_birth: self.date_of_birth.text().trim().to_owned(),
            address: Some(self.address.address(true)),
        }
    }

    /// The fields the form shows for the chosen country, in form order.
    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![self.country];
        if is_us(&self.country.text()) {
            fields.extend([self.ssn, self.date_of_birth]);
            fields.extend(self.address.fields(true));
        }
        fields
    }

    /// What is sent, checked by the model's rules as of today.
    fn checked(&self) -> Result<NewBackgroundCheck, Rejected> {
        let new = self.input();
        new.as_of(today()).validate()?;
        Ok(new)
    }

    /// The inline check of the field at `path` holding `value`, by the whole form's rules.
    fn check(&self, path: &'static str, value: String) -> Option<Rejected> {
        let mut input = self.input();
        let value_opt = optional(&value);
        let address = input.address.get_or_insert_with(Default::default);
        match path {
            "country" => input.country = value.trim().to_ascii_uppercase(),
            "ssn" => input.ssn = value_opt,
            "date_of_birth" => input.date_of_birth = value,
            "address.line1" => address.line1 = value,
            "address.line2" => address.line2 = value_opt,
            "address.city" => address.city = value,
            "address.region" => address.region = value_opt,
            "address.postal_code" => address.postal_code = value_opt,
            _ => return None,
        }
        input.as_of(today()).validate().err().map(Rejected::from)
    }
}

/// The name of the country `code` as the picker shows it (the code where there is none).
fn country_name(code: &str) -> String {
    country_options()
        .into_iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map_or_else(|| code.to_owned(), |(_, name)| name)
}

/// An address on one line: `1 Main St, Apt 2, San Francisco, CA 94103`.
pub fn address_line(address: &Address) -> String {
    let region_postal = [address.region.as_deref(), address.postal_code.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [
        Some(address.line1.as_str()),
        address.line2.as_deref(),
        Some(address.city.as_str()),
        Some(region_postal.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|p| !p.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// The outcome's heading, explanation and `data-status`.
fn outcome(check: &BackgroundCheck) -> (&'static str, &'static str, &'static str, &'static str) {
    match check.status {
        BackgroundCheckStatus::Clear => (
            t!(bgc_clear),
            t!(bgc_clear_body),
            "clear",
            "pf-result--success",
        ),
        BackgroundCheckStatus::Failed => (
            t!(bgc_failed),
            t!(bgc_failed_body),
            "failed",
            "pf-result--info",
        ),
        BackgroundCheckStatus::NotEligible => (
            t!(bgc_not_eligible),
            match check.reason {
                Some(Ineligible::Under18) => t!(bgc_under18),
                _ => t!(bgc_not_us),
            },
            "not_eligible",
            "pf-result--info",
        ),
    }
}

/// Runs the check on `new`. A run whose answer was lost completed the step, and every run sent
/// again is refused: the check it made is read instead ([`SessionApi::submitted_or_kept`]).
fn run(
    api: &SessionApi,
    new: NewBackgroundCheck,
) -> LocalFuture<Result<Submitted<BackgroundCheck>, ApiFailure>> {
    api.submitted_or_kept(
        api.submit_background_check(new),
        StepName::BackgroundCheck,
        SessionApi::background_check,
    )
}

/// Runs the background check, or explains why none is needed.
#[component]
pub fn BackgroundCheckStep() -> impl IntoView {
    let services = use_services();
    let form = Form::new(PREFIX);
    let fields = CheckFields::new(&form);
    let result = RwSignal::new(None::<Submitted<BackgroundCheck>>);
    let us = Memo::new(move |_| is_us(&fields.country.value.get()));
    // The tax details on file, a resource: `None` while asked, then the record, or nothing
    // (none on file, or the request failed: the form then collects everything, as before
    // issue 8).
    let on_file = {
        let api = services.api.clone();
        fetched(move || api.compliance())
    };

    // Both screens submit through the form: the summary sends `{}`, checked by nothing.
    let run_on_file = {
        let api = services.api.clone();
        UnsyncCallback::new(move |()| {
            let api = api.clone();
            form.submit(
                Vec::new,
                Ok(NewBackgroundCheck::on_file()),
                move |new| run(&api, new),
                show_answer(result, RESULT_HEADING),
            );
        })
    };

    let submit = {
        let api = services.api.clone();
        UnsyncCallback::new(move |()| {
            let api = api.clone();
            form.submit(
                move || fields.fields(),
                fields.checked(),
                move |new| run(&api, new),
                show_answer(result, RESULT_HEADING),
            );
        })
    };

    let form_view = move || {
        check_form(CheckForm {
            fields,
            form,
            us,
            submit,
        })
    };

    localized(move || {
        view! {
            <ScreenCard testid="step-background-check" title=step_title(StepName::BackgroundCheck) busy=form.busy>
                {move || match (result.get(), on_file.with(|load| load.map(|on_file| on_file.ok().cloned().flatten()))) {
                    (Some(answer), _) => outcome_view(answer).into_any(),
                    (None, None) => view! {
                        <LoadingLine text=t!(bgc_loading_file) testid="bgc-loading" />
                    }
                    .into_any(),
                    (None, Some(Some(saved))) => {
                        on_file_view(saved, run_on_file, form).into_any()
                    }
                    (None, Some(None)) => form_view().into_any(),
                }}
            </ScreenCard>
        }
    })
}
