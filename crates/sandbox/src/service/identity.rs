//! The identity decisions (issue 3, issue 8): the compliance record and the background check
//! never disagree ([`save_compliance`], [`run_background_check`]), and the sandbox's ID
//! verification decision ([`decide`], [`submit_id_verification`]): one of verified or needs
//! review is the user's, not the flow's, and stands for every later flow of theirs. Tax ids and
//! SSNs are never logged.
//!
//! The check and the compliance record never disagree (issue 8):
//! - with a compliance record on file, the check runs on its country, date of birth, address and
//!   SSN; the body may be `{}` ([`NewBackgroundCheck::on_file`]), and any field it does give
//!   must agree with the file (422 naming it; the SSN compared by its keyed hash, an HMAC under the secrets key). A W-8BEN
//!   record is `not_eligible`. So a US adult cannot dodge the check by claiming another country
//!   or an under-18 birth date, nor pass it with someone else's SSN;
//! - without one, the fields are required, and a check that runs (US, 18 or older) stores what
//!   it collected as the user's W-9 record (legal name from the user's profile), in the same
//!   transaction; a compliance submission then cannot change its country, SSN or birth date.
//!   A profile with no legal name (a host's user made with a phone number alone) gives a
//!   record without one, which binds the W-9 all the same but is not tax details on file
//!   ([`push_has_compliance`](crate::store::compliance::push_has_compliance)): the compliance
//!   step still asks for the form;
//! - a failed check is final: any later request, from any flow, answers the failed check on
//!   file (and completes the step with it), so it cannot be re-run with another SSN and no one
//!   is stuck at a 409;
//! - the 422 for a tax id that differs from the one on file cannot be used to guess it (the
//!   last four digits are shown, so 100,000 tries would do): each wrong one is counted (the
//!   request's transaction, which has only read, commits the count alone), and after
//!   [`WRONG_TAX_ID_TRIES`](crate::store::compliance::WRONG_TAX_ID_TRIES) within the window every request
//!   that gives a tax id to compare is a 429 `too_many_wrong_tax_ids`, the right one too.

use crate::auth::FlowUser;
use crate::config::Config;
use crate::db::{begin_write, Db, WriteTx};
use crate::error::Error;
use crate::service::steps::record_form_step;
use crate::service::steps::route_state;
use crate::service::steps::{commit_form_step, complete_form_step_in};
use crate::store::background_checks::{
    find_latest, has_failed_check, has_run_check, insert_check, not_eligible_claims, CheckSubject,
};
use crate::store::compliance::{
    find_record, record_wrong_tax_id, store_record, store_tin_hash, tax_id_refused_until, TaxRecord,
};
use crate::store::flows::FlowWrite;
use crate::store::id_verification::{
    find_id_verification, is_settled, record_decision, upsert_document, DecisionFor,
};
use crate::store::users::{email, flag_criminal_activity, legal_name};
use crate::store::webhooks::record_user_updated;
use crate::test_values::{SANDBOX_FAILING_SSN, SANDBOX_IDV_FAIL_TAG, SANDBOX_IDV_REVIEW_TAG};
use chrono::{DateTime, NaiveDate, Utc};
use payout_model::identity::{
    age_on, tin_digits, Address, BackgroundCheck, BackgroundCheckStatus, Compliance, DocumentSide,
    IdVerification, Ineligible, NewBackgroundCheck, Submitted, TaxForm, UploadedDocument,
    VerificationStatus, MIN_AGE_YEARS, US_TERRITORIES,
};
use payout_model::{last4, FieldError, Invalid, Reason, Rule, StepName, Validate};
use sqlx::AnyConnection;
use uuid::Uuid;

/// A value that differs from what the background check already ran on.
const MATCH: Rule = Rule::MatchesBackgroundCheck;

/// Stores `compliance` (with its whole US tax id `tin`; `None` for a W-8BEN) as the signed-in
/// user's record, replacing any: 422 naming each of `country`, `tin`, `date_of_birth` and the
/// parts of the address (`address.city`, …) that differ from what a background check already
/// run was run on, or that contradict what a `not_eligible` check was told. What the check ran on is read and the new
/// record written in one transaction, so a check running meanwhile cannot slip between them.
/// `through` (the session's permit) is checked again first in it, under the flow's lock, and
/// the compliance step is completed in it too ([`complete_form_step_in`]): a second submission
/// that raced this one is refused, never saved over the data the step was completed with.
pub(crate) async fn save_compliance(
    db: &Db,
    config: &Config,
    user: &FlowUser,
    compliance: &Compliance,
    tin: Option<&str>,
    now: DateTime<Utc>,
    through: FlowWrite<'_>,
) -> Result<(), Error> {
    let key = &config.secrets_key;
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(Some(through), &mut tx).await?;
    if has_run_check(&mut tx, user.user_id).await? {
        if let Some(record) = find_record(&mut *tx, key, user.user_id).await? {
            if tin.is_some() {
                refuse_tax_id_guessing(&mut tx, user.user_id, now).await?;
            }
            if let Err(refusal) = check_unchanged_by(&record, compliance, tin) {
                return Err(if tin.is_some_and(|tin| !record.tin_matches(tin)) {
                    count_wrong_tax_id(tx, user.user_id, now, refusal).await
                } else {
                    refusal
                });
            }
        }
    }
    check_not_eligible_claims(&mut tx, user.user_id, compliance).await?;
    store_record(&mut tx, key, user.user_id, user.app_id, compliance, tin).await?;
    complete_form_step_in(&mut tx, config, through.flow, StepName::Compliance, now).await?;
    record_user_updated(&mut tx, user.app_id, user.user_id, now).await?;
    commit_form_step(tx, db, user.flow_id).await?;
    Ok(())
}

/// 422 naming `country` or `date_of_birth` when `new` contradicts what a `not_eligible`
/// background check of the user was told: that they live outside the US, or were under 18 on
/// the day of the check. Otherwise a user could dodge the check by claiming another country (or
/// a later birth date) in it and then give US adult tax details, and the two would disagree
/// (issue 8).
async fn check_not_eligible_claims(
    conn: &mut AnyConnection,
    user_id: Uuid,
    new: &Compliance,
) -> Result<(), Error> {
    let claims = not_eligible_claims(conn, user_id).await?;
    let born = NaiveDate::parse_from_str(new.date_of_birth.trim(), "%Y-%m-%d").ok();
    let mut errors = Vec::new();
    for claim in claims {
        match claim.reason {
            // A territory was a country of residence once (US_TERRITORIES): a check from then
            // may have meant one by "not in the US", and holds against a W-9 of the states only.
            Some(Ineligible::NotUs)
                if new.country == "US"
                    && !(claim.may_mean_territory && in_us_territory(&new.address)) =>
            {
                errors.push(FieldError::broke("country", MATCH))
            }
            Some(Ineligible::Under18) => {
                let checked_on = claim.completed_at.date_naive();
                if born.is_some_and(|born| age_on(born, checked_on) >= MIN_AGE_YEARS) {
                    errors.push(FieldError::broke("date_of_birth", MATCH));
                }
            }
            _ => {}
        }
    }
    Error::unless_fields(errors)
}

/// Whether `address` (a W-9's) is in one of the US territories.
fn in_us_territory(address: &Address) -> bool {
    address
        .region
        .as_deref()
        .is_some_and(|r| US_TERRITORIES.contains(&r.trim().to_ascii_uppercase().as_str()))
}

/// 422 naming `country`, `tin`, `date_of_birth` and each part of the address (`address.city`,
/// …) where `new` (with its tax id `tin`) differs from `record`, which a background check was
/// run on.
fn check_unchanged_by(
    record: &TaxRecord,
    new: &Compliance,
    tin: Option<&str>,
) -> Result<(), Error> {
    let mut errors = Vec::new();
    if new.country != record.compliance.country {
        errors.push(FieldError::broke("country", MATCH));
    } else if let Some(tin) = tin {
        if !record.tin_matches(tin) {
            errors.push(FieldError::broke("tin", MATCH));
        }
    }
    if !same_date(&new.date_of_birth, &record.compliance.date_of_birth) {
        errors.push(FieldError::broke("date_of_birth", MATCH));
    }
    // The check ran on the address too (issue 8: the two never disagree); each part that
    // differs is named, so the form shows the error where the difference is.
    for part in address_differences(&new.address, &record.compliance.address) {
        errors.push(FieldError::broke(part, MATCH));
    }
    Error::unless_fields(errors)
}

/// Whether two `YYYY-MM-DD` dates are the same day (text compared when one does not parse).
fn same_date(a: &str, b: &str) -> bool {
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// Checks the signed-in user at `now`, on their compliance record when there is one (module
/// docs): the failed check on file when their check already failed (never run again); 422 naming each bad field (as of `now`'s date),
/// each missing one when nothing is on file, or each one that contradicts the file. The check,
/// the compliance record it ran on or collected, the `has_criminal_activity` flag, the app's
/// `user.updated` event and the background-check step's completion exist together or not at
/// all; `through` (the session's permit) is checked again first, under the flow's lock, so a
/// second submission let in before the first completed the step is refused.
pub(crate) async fn run_background_check(
    db: &Db,
    config: &Config,
    user: &FlowUser,
    new: &NewBackgroundCheck,
    now: DateTime<Utc>,
    through: FlowWrite<'_>,
) -> Result<BackgroundCheck, Error> {
    let key = &config.secrets_key;
    let today = now.date_naive();
    let id = Uuid::new_v4();
    // A concurrent check or compliance submission waits.
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(Some(through), &mut tx).await?;
    if has_failed_check(&mut tx, user.user_id).await? {
        // A failed check is final: never run again (another SSN could come back clear), the
        // answer is the check on file whatever is sent, and the step is completed with it, as
        // a settled ID verification's is. So a user is never stuck at a 409 in another flow.
        let check = find_latest(&mut *tx, user.user_id)
            .await?
            .ok_or(Error::Refused(Reason::CheckAlreadyRun))?;
        complete_form_step_in(
            &mut tx,
            config,
            through.flow,
            StepName::BackgroundCheck,
            now,
        )
        .await?;
        commit_form_step(tx, db, user.flow_id).await?;
        return Ok(check);
    }
    let record = find_record(&mut *tx, key, user.user_id).await?;
    let given_ssn = new
        .ssn
        .as_deref()
        .map(str::trim)
        .filter(|ssn| !ssn.is_empty());
    let subject = match &record {
        Some(record) => {
            if given_ssn.is_some() {
                refuse_tax_id_guessing(&mut tx, user.user_id, now).await?;
            }
            match Subject::on_file(new, record) {
                Ok(subject) => subject,
                Err(refusal) if given_ssn.is_some_and(|ssn| !record.tin_matches(ssn)) => {
                    return Err(count_wrong_tax_id(tx, user.user_id, now, refusal).await);
                }
                Err(refusal) => return Err(refusal),
            }
        }
        None => {
            new.as_of(today).validate()?;
            Subject::collected(new)
        }
    };
    let check = subject.check(today, now)?;
    let ran = check.status != BackgroundCheckStatus::NotEligible;
    match (&record, &subject.ssn) {
        (Some(_), Ssn::Given(ssn)) if ran => {
            store_tin_hash(&mut tx, key, user.user_id, ssn).await?;
        }
        (None, Ssn::Given(ssn)) if ran => {
            let compliance = subject.collected_record(&mut tx, user.user_id, now).await?;
            // As tax details are: a US adult's record may not follow an earlier answer that
            // the user lives outside the US or is under 18 (else the record stored here
            // contradicts it, and no tax details could be saved after it).
            check_not_eligible_claims(&mut tx, user.user_id, &compliance).await?;
            store_record(
                &mut tx,
                key,
                user.user_id,
                user.app_id,
                &compliance,
                Some(ssn),
            )
            .await?;
        }
        _ => {}
    }
    // A row with the digest of before the keyed one gets the keyed one from the SSN that
    // just matched it.
    if let (Some(record), Some(ssn)) = (&record, new.ssn.as_deref().map(str::trim)) {
        if record.has_old_tin_hash() && !ssn.is_empty() && record.tin_matches(ssn) {
            store_tin_hash(&mut tx, key, user.user_id, ssn).await?;
        }
    }
    let who = CheckSubject {
        id,
        app_id: user.app_id,
        user_id: user.user_id,
        flow_id: user.flow_id,
    };
    insert_check(&mut tx, &who, &check, now).await?;
    if check.status == BackgroundCheckStatus::Failed {
        flag_criminal_activity(&mut tx, user.user_id).await?;
    }
    // Every outcome completes the step.
    complete_form_step_in(
        &mut tx,
        config,
        through.flow,
        StepName::BackgroundCheck,
        now,
    )
    .await?;
    // The check is on the user object, whatever its result (issue 10).
    record_user_updated(&mut tx, user.app_id, user.user_id, now).await?;
    commit_form_step(tx, db, user.flow_id).await?;
    // Not its result: a failed check is personal data, not for the logs (the user object has it).
    tracing::info!(user_id = %user.user_id, "background check done");
    Ok(check)
}

/// 429 `too_many_wrong_tax_ids` when user `user_id` gave
/// [`WRONG_TAX_ID_TRIES`](crate::store::compliance::WRONG_TAX_ID_TRIES) wrong tax ids lately (module docs): asked inside the write transaction that would compare one.
async fn refuse_tax_id_guessing(
    tx: &mut WriteTx,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match tax_id_refused_until(tx, user_id, now).await? {
        Some(until) => {
            // Whole seconds, rounded up.
            let seconds = ((until - now).num_milliseconds() + 999) / 1000;
            Err(Error::Refused(Reason::TooManyWrongTaxIds {
                retry_after: u32::try_from(seconds).unwrap_or(u32::MAX).max(1),
            }))
        }
        None => Ok(()),
    }
}

/// `refusal`, a wrong tax id's 422, once the wrong try is counted against user `user_id`: in
/// `tx`, which has only read so far and is committed with the count alone, so the try counts
/// though the request fails, and the count and the check before it (under the write lock) are
/// one step: requests sent at once cannot all slip under the limit. (Or the failure to count
/// it, which refuses too.)
async fn count_wrong_tax_id(
    mut tx: WriteTx,
    user_id: Uuid,
    now: DateTime<Utc>,
    refusal: Error,
) -> Error {
    let counted = async {
        record_wrong_tax_id(&mut tx, user_id, now).await?;
        tx.commit().await?;
        Ok::<(), Error>(())
    };
    match counted.await {
        Ok(()) => refusal,
        Err(e) => e,
    }
}

/// Who is checked: the compliance record on file, or what the request collected.
struct Subject<'a> {
    /// Upper case.
    country: String,
    /// `YYYY-MM-DD`.
    date_of_birth: String,
    /// Normalized; `None` only outside the US without a record.
    address: Option<Address>,
    ssn: Ssn<'a>,
}

/// The SSN a check runs on.
enum Ssn<'a> {
    /// The one on file, known by its keyed hash.
    OnFile(&'a TaxRecord),
    /// One the request gave (no record, or a W-9 row from before the hash was kept).
    Given(&'a str),
    /// None (outside the US).
    Missing,
}

impl<'a> Subject<'a> {
    /// The record on file, after 422 naming each field `new` gives that contradicts it. A W-9
    /// row from before the hash was kept needs the SSN, matched by its last four digits.
    fn on_file(new: &'a NewBackgroundCheck, record: &'a TaxRecord) -> Result<Self, Error> {
        let file = &record.compliance;
        let given = |v: &'a str| Some(v.trim()).filter(|v| !v.is_empty());
        let ssn = new.ssn.as_deref().and_then(given);
        let mut errors = Vec::new();
        if let Some(country) = given(&new.country) {
            if !country.eq_ignore_ascii_case(&file.country) {
                errors.push(
                    FieldError::new(
                        "country",
                        format!(
                            "must match the country of your tax information ({})",
                            file.country
                        ),
                    )
                    .with_rule(Rule::MatchesTaxInformation),
                );
            }
        }
        if let Some(date_of_birth) = given(&new.date_of_birth) {
            if !same_date(date_of_birth, &file.date_of_birth) {
                errors.push(
                    FieldError::new(
                        "date_of_birth",
                        "must match the date of birth of your tax information",
                    )
                    .with_rule(Rule::MatchesTaxInformation),
                );
            }
        }
        match ssn {
            Some(ssn) if !record.tin_matches(ssn) => {
                errors.push(
                    FieldError::new("ssn", "must match the SSN of your tax information")
                        .with_rule(Rule::MatchesTaxInformation),
                );
            }
            None if file.form == TaxForm::W9 && !record.has_tin_hash() => {
                errors.push(FieldError::broke("ssn", Rule::Required));
            }
            _ => {}
        }
        if let Some(address) = &new.address {
            for part in address_differences(address, &file.address) {
                errors.push(
                    FieldError::new(part, "must match the address of your tax information")
                        .with_rule(Rule::MatchesTaxInformation),
                );
            }
        }
        Error::unless_fields(errors)?;
        let ssn = match ssn {
            _ if record.has_tin_hash() => Ssn::OnFile(record),
            Some(ssn) => Ssn::Given(ssn),
            None => Ssn::Missing,
        };
        Ok(Subject {
            country: file.country.clone(),
            date_of_birth: file.date_of_birth.clone(),
            address: Some(file.address.clone()),
            ssn,
        })
    }

    /// What `new` (already valid) collected.
    fn collected(new: &'a NewBackgroundCheck) -> Self {
        let country = new.country.trim().to_uppercase();
        let us = country == "US";
        let date_of_birth = NaiveDate::parse_from_str(new.date_of_birth.trim(), "%Y-%m-%d")
            .ok()
            .map_or_else(
                || new.date_of_birth.trim().to_owned(),
                |born| born.format("%Y-%m-%d").to_string(),
            );
        Subject {
            country,
            date_of_birth,
            address: new.address.as_ref().map(Address::normalized),
            ssn: match new.ssn.as_deref() {
                Some(ssn) if us => Ssn::Given(ssn.trim()),
                _ => Ssn::Missing,
            },
        }
    }

    /// The check's outcome as of `today`.
    fn check(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BackgroundCheck, Error> {
        let who = NewBackgroundCheck {
            country: self.country.clone(),
            date_of_birth: self.date_of_birth.clone(),
            ..NewBackgroundCheck::default()
        };
        if let Some(reason) = who.ineligible(today) {
            return Ok(BackgroundCheck {
                status: BackgroundCheckStatus::NotEligible,
                reason: Some(reason),
                ssn_last4: None,
                completed_at: now,
            });
        }
        let (fails, ssn_last4) = match &self.ssn {
            Ssn::OnFile(record) => (
                record.tin_matches(SANDBOX_FAILING_SSN),
                record.compliance.tin_last4.clone(),
            ),
            Ssn::Given(ssn) => (
                tin_digits(ssn) == tin_digits(SANDBOX_FAILING_SSN),
                Some(last4(ssn)),
            ),
            Ssn::Missing => return Err(Error::Internal("a us check without an ssn".to_owned())),
        };
        Ok(BackgroundCheck {
            status: if fails {
                BackgroundCheckStatus::Failed
            } else {
                BackgroundCheckStatus::Clear
            },
            reason: None,
            ssn_last4,
            completed_at: now,
        })
    }

    /// The W-9 record a check that ran collected: its country, date of birth, address and SSN,
    /// and the legal name of user `user_id`'s profile.
    async fn collected_record(
        &self,
        conn: &mut AnyConnection,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Compliance, Error> {
        let (first_name, last_name) = legal_name(conn, user_id).await?;
        Ok(Compliance {
            form: TaxForm::W9,
            country: self.country.clone(),
            first_name: first_name.trim().to_owned(),
            last_name: last_name.trim().to_owned(),
            date_of_birth: self.date_of_birth.clone(),
            tin_last4: match self.ssn {
                Ssn::Given(ssn) => Some(last4(ssn)),
                _ => None,
            },
            foreign_tax_id_last4: None,
            address: self.address.clone().unwrap_or_default(),
            submitted_at: now,
        })
    }
}

/// The parts in which two addresses differ (`address.line1`, `address.city`, …; none: the
/// same place), for a background check and for a compliance resubmission after one: every
/// part compared trimmed, with runs of spaces as one and in any case.
fn address_differences(a: &Address, b: &Address) -> Vec<&'static str> {
    const PARTS: [&str; 5] = [
        "address.line1",
        "address.line2",
        "address.city",
        "address.region",
        "address.postal_code",
    ];
    let key = |a: &Address| {
        let a = a.normalized();
        [
            a.line1,
            a.line2.unwrap_or_default(),
            a.city,
            a.region.unwrap_or_default(),
            a.postal_code.unwrap_or_default(),
        ]
        .map(|part| {
            part.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
    };
    let (a, b) = (key(a), key(b));
    PARTS
        .into_iter()
        .zip(a.iter().zip(&b))
        .filter_map(|(part, (a, b))| (a != b).then_some(part))
        .collect()
}

/// The 409 for an upload once the decision is settled.
fn already_decided(status: VerificationStatus) -> Error {
    Error::Refused(if status == VerificationStatus::Verified {
        Reason::IdAlreadyVerified
    } else {
        Reason::IdInReview
    })
}

/// Keeps `document` as user `user_id`'s picture of its side; 409 once their ID verification
/// decision is settled (verified or in review): they upload nothing more.
pub(crate) async fn keep_document(
    db: &Db,
    user_id: Uuid,
    document: &UploadedDocument,
    sha256: &str,
) -> Result<(), Error> {
    match upsert_document(db, user_id, document, sha256).await? {
        Some(settled) => Err(already_decided(settled)),
        None => Ok(()),
    }
}

/// Asks for the sandbox's decision ([`decide`]) on the signed-in user's pictures at `now`:
/// 422 naming each missing side ("is required"). A failure clears the pictures and leaves the
/// step open; verified and needs-review complete it. Once the user is verified or in review (in
/// this flow or an earlier one), no new decision is made and no pictures are needed: the answer
/// is the decision on file, and the step is completed.
pub(crate) async fn submit_id_verification(
    db: &Db,
    config: &Config,
    user: &FlowUser,
    now: DateTime<Utc>,
) -> Result<Submitted<IdVerification>, Error> {
    let current = find_id_verification(&mut *db.acquire().await?, user.user_id).await?;
    if is_settled(current.status) {
        let flow =
            record_form_step(db, config, user.flow_id, StepName::IdVerification, now).await?;
        return Ok(Submitted {
            data: current,
            flow,
        });
    }
    let mut errors = Invalid::default();
    for side in DocumentSide::ALL {
        if !current.documents.iter().any(|d| d.side == side) {
            errors.add(side.as_str(), Rule::Required);
        }
    }
    errors.finish()?;

    let status = decide(&email(db, user.user_id).await?);
    let who = DecisionFor {
        user_id: user.user_id,
        app_id: user.app_id,
        flow_id: user.flow_id,
    };
    // Recorded, or made meanwhile by another submit: the answer is the decision on file.
    if record_decision(db, &who, status, now).await? {
        tracing::info!(user_id = %user.user_id, "id verification decided");
    }
    let data = find_id_verification(&mut *db.acquire().await?, user.user_id).await?;
    let flow = if is_settled(data.status) {
        record_form_step(db, config, user.flow_id, StepName::IdVerification, now).await?
    } else {
        route_state(db, user.flow_id, now).await?
    };
    Ok(Submitted { data, flow })
}

/// The sandbox's ID verification decision for a user with `email` (README "Sandbox test
/// values"): one containing [`SANDBOX_IDV_FAIL_TAG`] fails, one containing
/// [`SANDBOX_IDV_REVIEW_TAG`] needs review, any other is verified.
pub(crate) fn decide(email: &str) -> VerificationStatus {
    let email = email.to_lowercase();
    if email.contains(SANDBOX_IDV_FAIL_TAG) {
        VerificationStatus::Failed
    } else if email.contains(SANDBOX_IDV_REVIEW_TAG) {
        VerificationStatus::NeedsReview
    } else {
        VerificationStatus::Verified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_from_the_email_tags() {
        assert_eq!(decide("ada+fail@example.com"), VerificationStatus::Failed);
        assert_eq!(
            decide("Ada+Review@example.com"),
            VerificationStatus::NeedsReview
        );
        assert_eq!(decide("ada@example.com"), VerificationStatus::Verified);
    }
}
