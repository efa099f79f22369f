//! Sign-in by phone and one-time code (issue 3, DESIGN.md "auth / onboarding"), for a flow
//! session that does not act for a user yet: the session asks for a code to a phone
//! ([`send_code`]), verifies it ([`verify_code`]), and either signs in as the user that phone
//! belongs to or, for a phone the app does not know, creates the user from a profile
//! ([`sign_up`]). Either way the user ends verified, the session authenticated for them, and the
//! flow claimed (`user_id` set, seed 002).
//!
//! The rules, with their constants in `payout_model::identity`:
//! - codes are made and delivered by the state's [`crate::CodeSender`] (the sandbox's is always
//!   `000000`), stored as a salted hash, one live code per session;
//! - a code expires [`CODE_TTL_MINUTES`] after it was sent and dies after
//!   [`CODE_MAX_ATTEMPTS`] wrong tries; a new one may be asked for [`CODE_RESEND_SECONDS`]
//!   after the last (429 with `Retry-After` before), and replaces it; asked again before
//!   then for the same number, with the code not tried yet (a send whose answer was lost),
//!   the answer is that code's again and nothing is sent;
//! - a code is sent, and `POST …/code` answers the same, for any well-formed number on every
//!   flow (issue 8: no oracle for whose phone a flow's user has); only `POST …/verify` tells
//!   right from wrong. When the flow already names its user (named by the host,
//!   `flows.preauthenticated`, with or without `require_auth`, or claimed by an earlier
//!   sign-in), the right code for another number answers 403 naming `phone_number`: such a flow
//!   signs in its own user only, by their own phone, never someone else claiming it. Claiming a
//!   flow never pre-authenticates it: only a `user_id` the host named at creation does (see
//!   `routes::flow_sessions`);
//! - otherwise the phone signs in as the oldest user of the app with that phone (the sandbox
//!   allows duplicate phones, seed 004).
//!
//! No one can lock a user out (issue 8), short of a flood of one flow from several addresses at
//! once, which its rate limit bounds ([`crate::ratelimit`]). Wrong codes count against the
//! session that typed them: each burns a try of that session's code, and from the
//! [`CODE_MAX_ATTEMPTS`]th on each makes that session wait twice as long before its next try
//! (1 s, 2 s, 4 s, … at most [`MAX_WRONG_CODE_WAIT_SECONDS`]; 429 with `Retry-After`). The
//! owner asking for a fresh code in their own session and typing it signs in, whatever
//! strangers typed. Sessions are free to
//! mint, so guesses are bounded per number too, without refusing the owner: a new code for a
//! number waits [`CODE_RESEND_SECONDS`] after the last code sent to it from the same client, in
//! whichever session of the app (table `phone_sign_in_events`, migrations 0005 and 0009; the
//! same 429), so each client faces at most [`CODE_MAX_ATTEMPTS`] guesses per code and one code
//! per [`CODE_RESEND_SECONDS`] for a number typed, plus one per payout link naming it as the
//! payee's phone (whose send is kept per link, `payee:<flow id>`: kept under the number, it would
//! tell a session typing numbers which one is the payee's), while a stranger asking codes for
//! someone's number never holds its owner's device back; and sending and verifying codes are rate limited per
//! client IP (checked by the handlers) and per flow and per app (checked here, where a code goes
//! out or is tried: [`crate::ratelimit`]).

use crate::auth::FlowSession;
use crate::db::{begin_ledger_write, begin_write, Db};
use crate::error::{whole_seconds, Error};
use crate::otp::{code_matches, hash_code, new_salt};
use crate::phone::ParsedPhone;
use crate::ratelimit::{Action, ClientIp};
use crate::service::payout_links::{check_sign_in, claim_in, payee_phone_to_text, SignInRefusal};
use crate::state::AppState;
use crate::store::flows::{claim_for_user, flow_state};
use crate::store::sessions::{
    authenticate, mark_phone_verified, phone_verified, phone_verified_in, session_phone, set_phone,
    set_wrong_codes, verified_phone, wrong_codes,
};
use crate::store::sign_in::{
    code_sent_at, count_wrong_try, delete_code, delete_code_if, event_number, find_code,
    forget_code_sent, last_code_to_phone, mark_delivered, record_code_sent, replace_code,
    untried_code_to, CodeRow,
};
use crate::store::users::{insert_user, mark_verified, oldest_user_with_phone, phone_is_users};
use crate::store::webhooks::{record_flow_updated, record_user_updated};
use crate::webhooks::wake;
use chrono::{DateTime, Duration, Utc};
use payout_model::identity::{
    CodeSent, NewCode, NewProfile, CODE_MAX_ATTEMPTS, CODE_RESEND_SECONDS, CODE_TTL_MINUTES,
};
use payout_model::{
    ApiError, Denial, ErrorCode, FieldError, FlowState, PhoneNumber, Reason, Rule, User,
    UserStatus, Validate,
};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The longest a session waits between code tries after many wrong codes (module docs).
pub(crate) const MAX_WRONG_CODE_WAIT_SECONDS: i64 = 15 * 60;

/// How long a session waits before its next code try after its `wrong`th wrong code: nothing
/// before the [`CODE_MAX_ATTEMPTS`]th, then 1 s, doubling with each, at most
/// [`MAX_WRONG_CODE_WAIT_SECONDS`].
fn wrong_code_wait(wrong: i64) -> Duration {
    let over = wrong - i64::from(CODE_MAX_ATTEMPTS);
    if over < 0 {
        return Duration::zero();
    }
    let seconds = u32::try_from(over)
        .ok()
        .and_then(|over| 1i64.checked_shl(over))
        .filter(|s| *s > 0)
        .map_or(MAX_WRONG_CODE_WAIT_SECONDS, |s| {
            s.min(MAX_WRONG_CODE_WAIT_SECONDS)
        });
    Duration::seconds(seconds)
}

/// Flow `flow_id` as it is, or 403 `step_not_allowed` when it is complete: a finished flow's
/// link signs nobody in (issue 8).
pub(crate) async fn open_for_sign_in(db: &Db, flow_id: Uuid) -> Result<FlowState, Error> {
    let flow = flow_state(db, flow_id).await?;
    if flow.is_complete() {
        return Err(Error::StepNotAllowed(Denial::SignInClosed));
    }
    Ok(flow)
}

/// The 409 for a session that acts for a user already.
pub(crate) fn already_signed_in() -> Error {
    Error::Refused(Reason::AlreadySignedIn)
}

/// The phone `new` asks a code for in flow `flow_id` at `now`: the number typed (422 naming
/// `country_code` / `phone_number`: the model's rules, then the phone library's), or, with
/// `payee_phone`, the one the flow's payout link names (422 naming `phone_number` when the flow
/// is no link with a payee phone; 409 `link_closed` when its link was canceled or expired
/// unclaimed), which the session never sees whole.
pub(crate) async fn phone_to_text(
    db: &Db,
    flow_id: Uuid,
    new: &NewCode,
    now: DateTime<Utc>,
) -> Result<ParsedPhone, Error> {
    if !new.payee_phone {
        new.validate()?;
        return ParsedPhone::parse(&new.country_code, &new.phone_number);
    }
    let e164 = payee_phone_to_text(db, flow_id, now)
        .await?
        .ok_or_else(|| Error::broke("phone_number", Rule::Required))?;
    let (country_code, national) = ParsedPhone::split_e164(&e164)?;
    ParsedPhone::parse(&country_code, &national)
}

/// Sends a new code to `phone` for `session`, asked by client `ip`: 429 within the resend
/// cooldown (of this session, or of this number asked from this client in any session), then
/// 429 over the flow's or the app's rate limit ([`crate::ratelimit`]). `to_payee`: `phone` is
/// the payee's of the flow's payout link, never typed (its cooldown across sessions is the
/// link's own: [`event_number`]). With `answer_again`,
/// within the cooldown, asked again for the number its code went to before any try of that
/// code, the session gets that code's answer again and nothing is sent
/// ([`code_already_sent`]); the caller leaves it out where the answer would tell something (a
/// payout link's flow that names the payee's phone).
pub(crate) async fn send_code(
    state: &AppState,
    ip: ClientIp,
    session: &FlowSession,
    phone: &ParsedPhone,
    to_payee: bool,
    answer_again: bool,
) -> Result<CodeSent, Error> {
    let number = event_number(phone, to_payee, session.flow_id);
    let now = state.clock.now();
    let code = state.code_sender.new_code();
    let salt = new_salt();
    let expires_at = now + Duration::minutes(CODE_TTL_MINUTES);
    let resend_at = now + Duration::seconds(CODE_RESEND_SECONDS);
    // The cooldown first, outside the write lock; then the flow's and the app's budgets, which
    // only a code about to go out takes from (crate::ratelimit), so a flood refused by either
    // never queues for the lock; then the cooldown again under it, where the code is recorded,
    // so two requests racing the cooldown send one code.
    {
        let mut conn = state.db.acquire().await?;
        if answer_again {
            if let Some(sent) = code_already_sent(&mut conn, session, phone, now).await? {
                return Ok(sent);
            }
        }
        cooldown(&mut conn, session, &number, ip, now).await?;
    }
    state
        .limiters
        .check_flow(Action::SendCode, session.flow_id, session.app_id)?;
    let mut tx = begin_write(&state.db).await?;
    if answer_again {
        if let Some(sent) = code_already_sent(&mut tx, session, phone, now).await? {
            return Ok(sent);
        }
    }
    cooldown(&mut tx, session, &number, ip, now).await?;
    record_code_sent(&mut tx, session.app_id, &number, ip.0, now).await?;
    let hash = hash_code(&salt, &code);
    replace_code(&mut tx, &session.token_hash, &salt, &hash, now, expires_at).await?;
    set_phone(&mut tx, &session.token_hash, phone).await?;
    tx.commit().await?;

    if let Err(e) = state.code_sender.send(phone, &code).await {
        // No code went out: forget it, so the user may ask again at once (this code only: a
        // text slower than the cooldown may fail after a newer code went out). The session's
        // own rows: a ledger write's turn, not the global write lock (crate::db).
        let mut tx = begin_ledger_write(&state.db).await?;
        delete_code_if(&mut tx, &session.token_hash, &hash).await?;
        forget_code_sent(&mut tx, session.app_id, &number, now).await?;
        tx.commit().await?;
        return Err(Error::Internal(format!(
            "cannot send a sign-in code to {}: {e}",
            phone.masked()
        )));
    }
    // Only now may a send asked again be answered with this code. Should the mark fail, the
    // code went out all the same: this answer stands, and a send asked again meets the
    // cooldown instead.
    let delivered = async {
        let mut tx = begin_ledger_write(&state.db).await?;
        mark_delivered(&mut tx, &session.token_hash, &hash).await?;
        tx.commit().await.map_err(Error::from)
    };
    if let Err(e) = delivered.await {
        tracing::warn!("a sign-in code went out but was not marked sent: {e}");
    }
    Ok(code_sent(phone, expires_at, resend_at))
}

/// The answer for a code sent to `phone`.
fn code_sent(phone: &ParsedPhone, expires_at: DateTime<Utc>, resend_at: DateTime<Utc>) -> CodeSent {
    CodeSent {
        sent_to: phone.masked(),
        country_code: phone.country_code().to_owned(),
        last4: phone.shown_tail(),
        expires_at,
        resend_at,
    }
}

/// The answer of `session`'s code again, when, within its resend cooldown at `now`, it was
/// sent to `phone` and not tried yet: a send asked again after its answer was lost (review: the
/// user had the text, the app a failure, and a second send was refused 429 until the cooldown
/// ended, then replaced the code the user was about to type). Nothing is sent or counted. Not
/// while the code's text is still going out: that text may yet fail (the cooldown answers).
async fn code_already_sent(
    conn: &mut AnyConnection,
    session: &FlowSession,
    phone: &ParsedPhone,
    now: DateTime<Utc>,
) -> Result<Option<CodeSent>, Error> {
    let Some((sent_at, expires_at)) =
        untried_code_to(conn, &session.token_hash, phone, now).await?
    else {
        return Ok(None);
    };
    let resend_at = sent_at + Duration::seconds(CODE_RESEND_SECONDS);
    Ok((resend_at > now).then(|| code_sent(phone, expires_at, resend_at)))
}

/// 429 `code_cooldown` while `session` may not ask for a new code to `number` (the phone's
/// [`event_number`]) from client `ip` at `now`. The cooldown runs from the last code this
/// session asked for (to any number) and from the last code sent to this number from this
/// client (any session of the app), whichever
/// ends later. Per client, so a stranger asking codes for someone's number never keeps its owner
/// from getting one (migration 0009).
async fn cooldown(
    conn: &mut AnyConnection,
    session: &FlowSession,
    number: &str,
    ip: ClientIp,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let session_last = code_sent_at(&mut *conn, &session.token_hash).await?;
    let phone_last = last_code_to_phone(&mut *conn, session.app_id, number, ip.0).await?;
    if let Some(last_sent) = session_last.max(phone_last) {
        let wait = last_sent + Duration::seconds(CODE_RESEND_SECONDS) - now;
        if wait > Duration::zero() {
            return Err(Error::Refused(Reason::CodeCooldown {
                retry_after: whole_seconds(wait),
            }));
        }
    }
    Ok(())
}

/// What a right code did.
pub(crate) enum Verified {
    /// The session now acts for the phone's user.
    SignedIn,
    /// The phone is verified but the app does not know it: a profile is needed.
    ProfileRequired,
}

/// Checks `code` (whitespace removed) for `session` of `flow`: `profile_required` again when a
/// right code already verified the session's phone for a profile (a retry of a lost answer:
/// the code is used up, and a new code asked for would have unverified the phone); 429 while
/// the session must wait after many wrong codes; 409 when no code was asked for; 422 on `code`
/// when it has expired or has had [`CODE_MAX_ATTEMPTS`] wrong tries; 429 over the flow's or the app's rate limit
/// ([`crate::ratelimit`]); 422 on `code` when it is wrong (saying how many tries are left); 403
/// naming `phone_number` when the flow names its user and the phone is not theirs. The right
/// code is used up.
pub(crate) async fn verify_code(
    state: &AppState,
    session: &FlowSession,
    flow: &FlowState,
    code: &str,
) -> Result<Verified, Error> {
    let now = state.clock.now();
    // A verify sent again after its answer (a profile is needed) was lost: the code was used up
    // and the session's phone verified (a new code asked for unverifies it). The same answer
    // again, not "ask for a code first", which would leave the user to wait for a new code.
    if profile_required_already(&mut *state.db.acquire().await?, session).await? {
        return Ok(Verified::ProfileRequired);
    }
    let max_attempts = i64::from(CODE_MAX_ATTEMPTS);

    // Whether a try may be made, first outside the write lock; then the flow's and the app's
    // budgets, which only a try of a live code takes from (crate::ratelimit), so a flood
    // refused by either never queues for the lock; then the same again under it.
    may_try(&mut *state.db.acquire().await?, session, now).await?;
    state
        .limiters
        .check_flow(Action::VerifyCode, session.flow_id, session.app_id)?;
    let mut tx = begin_write(&state.db).await?;
    // The same again under the lock: a verify sent again while the first was still being
    // written finds the code used up only now.
    if profile_required_already(&mut tx, session).await? {
        tx.commit().await?;
        return Ok(Verified::ProfileRequired);
    }
    let (wrong, row) = may_try(&mut tx, session, now).await?;
    let phone = session_phone(&mut tx, &session.token_hash).await?;
    if !code_matches(&row.code_salt, &row.code_hash, code) {
        count_wrong_try(&mut tx, &session.token_hash).await?;
        let wrong = wrong.saturating_add(1);
        let wait = wrong_code_wait(wrong);
        let next_try_at = (wait > Duration::zero()).then(|| now + wait);
        set_wrong_codes(&mut tx, &session.token_hash, wrong, next_try_at).await?;
        tx.commit().await?;
        let left = max_attempts - (row.attempts + 1);
        return Err(match left {
            ..=0 => too_many_tries(),
            n => Error::broke(
                "code",
                Rule::WrongCode {
                    tries_left: u32::try_from(n).unwrap_or(u32::MAX),
                },
            ),
        });
    }
    delete_code(&mut tx, &session.token_hash).await?;

    // A payout link's flow (issue 11): only its claimant resumes a claimed link, nobody signs in
    // through a canceled or expired one, and only the payee's phone claims it when the host gave
    // one. Told only now, like the rule below.
    // Whether the phone is the user's the flow names (read once: both rules below use it).
    let claimant_phone = match flow.user_id {
        Some(user_id) => phone_is_users(&mut tx, user_id, &phone).await?,
        None => false,
    };
    if let Err(refusal) = check_sign_in(&mut tx, session.flow_id, &phone, claimant_phone, now).await
    {
        tx.commit().await?;
        return Err(match refusal {
            SignInRefusal::NotThePayee => not_this_persons_phone(),
            SignInRefusal::Error(e) => e,
        });
    }

    let user_id = match flow.user_id {
        // The flow signs in its own user only, by their own phone (module docs). Told only now,
        // after the code proved the phone is the typist's: no oracle for anyone else's number.
        Some(user_id) => {
            if !claimant_phone {
                tx.commit().await?;
                return Err(not_this_persons_phone());
            }
            Some(user_id)
        }
        None => oldest_user_with_phone(&mut tx, session.app_id, &phone).await?,
    };
    let Some(user_id) = user_id else {
        mark_phone_verified(&mut tx, &session.token_hash).await?;
        tx.commit().await?;
        tracing::info!(app_id = %session.app_id, "phone verified; profile required");
        return Ok(Verified::ProfileRequired);
    };
    sign_in(&mut tx, state, session, user_id, now).await?;
    tx.commit().await?;
    state.flows.invalidate(session.flow_id);
    wake();
    Ok(Verified::SignedIn)
}

/// Whether a right code already verified `session`'s phone for a profile: the phone verified,
/// the code used up (a new code asked for would have unverified the phone).
async fn profile_required_already(
    conn: &mut AnyConnection,
    session: &FlowSession,
) -> Result<bool, Error> {
    Ok(phone_verified_in(&mut *conn, &session.token_hash).await?
        && find_code(conn, &session.token_hash).await?.is_none())
}

/// Whether `session` may try a code at `now`: 429 while it must wait after many wrong codes; 409
/// when no code was asked for; 422 on `code` when it has expired or has had
/// [`CODE_MAX_ATTEMPTS`] wrong tries. Else the session's wrong codes so far and its code.
async fn may_try(
    conn: &mut AnyConnection,
    session: &FlowSession,
    now: DateTime<Utc>,
) -> Result<(i64, CodeRow), Error> {
    let (wrong, next_try_at) = wrong_codes(&mut *conn, &session.token_hash).await?;
    if let Some(next_try_at) = next_try_at {
        let wait = next_try_at - now;
        if wait > Duration::zero() {
            return Err(Error::Refused(Reason::TooManyWrongCodes {
                retry_after: whole_seconds(wait),
            }));
        }
    }
    let row = find_code(&mut *conn, &session.token_hash)
        .await?
        .ok_or(Error::Refused(Reason::NoCodeRequested))?;
    if now >= row.expires_at()? {
        return Err(Error::broke("code", Rule::CodeExpired));
    }
    if row.attempts >= i64::from(CODE_MAX_ATTEMPTS) {
        return Err(too_many_tries());
    }
    Ok((wrong, row))
}

/// 422 on `code`: it has had [`CODE_MAX_ATTEMPTS`] wrong tries.
fn too_many_tries() -> Error {
    Error::broke("code", Rule::TooManyTries)
}

/// 403 naming `phone_number`: the flow names its user, and the phone whose code was just
/// verified is not theirs.
fn not_this_persons_phone() -> Error {
    Error::Invalid(ApiError {
        code: ErrorCode::Forbidden,
        message: "this phone number does not belong to the person this flow is for".to_owned(),
        fields: vec![FieldError::broke("phone_number", Rule::NotThisPersonsPhone)],
        reason: None,
    })
}

/// Signs the session in as `user_id`, inside the caller's transaction (which, after its commit,
/// invalidates the host's cached view of the flow: `state.flows`): a payout link's flow claims
/// its link for them ([`claim_in`]: 409 `link_claimed` when someone else did), the flow is
/// claimed for them when it names nobody yet (409 when someone else claimed it meanwhile), the
/// session acts for them (409 when it already acts for someone), and they are verified (their
/// phone just proved it).
async fn sign_in(
    conn: &mut AnyConnection,
    state: &AppState,
    session: &FlowSession,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    claim_in(&mut *conn, state, session.flow_id, user_id, now).await?;
    match claim_for_user(&mut *conn, session.flow_id, user_id, now).await? {
        None => return Err(Error::Refused(Reason::FlowClaimed)),
        // Sign-in is the flow's first step (seed 000): the flow now names its user, which the
        // host hears as it hears every step completed.
        Some(true) => record_flow_updated(&mut *conn, &state.config, session.flow_id, now).await?,
        Some(false) => {}
    }
    if !authenticate(&mut *conn, &session.token_hash, user_id).await? {
        return Err(already_signed_in());
    }
    if mark_verified(&mut *conn, user_id).await? {
        // Sign-in verified the user (issue 10); a new profile is verified as it is created.
        record_user_updated(&mut *conn, session.app_id, user_id, now).await?;
    }
    tracing::info!(app_id = %session.app_id, %user_id, "signed in");
    Ok(())
}

/// Creates the user `new` describes for the session's verified phone (verified, with a wallet:
/// the same user object the host reads), signs the session in and claims the flow. 409 unless
/// the session's phone was verified; 422 naming each bad field. The phone is read, verified,
/// again under the write lock: a code asked for another number meanwhile (which unverifies the
/// session's phone) must not give the new user that number; and a user of that number made
/// meanwhile (another tab's profile) signs in instead, `new` unused.
pub(crate) async fn sign_up(
    state: &AppState,
    session: &FlowSession,
    new: &NewProfile,
) -> Result<(), Error> {
    if !phone_verified(&state.db, &session.token_hash).await? {
        return Err(Error::Refused(Reason::PhoneNotVerified));
    }
    new.validate()?;
    let now = state.clock.now();
    let mut tx = begin_write(&state.db).await?;
    let phone = verified_phone(&mut tx, &session.token_hash).await?;
    // The phone may have become a user's since it was verified here (another tab of the same
    // person made one): that user signs in, as a verify would have signed them in, rather than
    // a second user of the number whose wallet no later sign-in would reach.
    if let Some(user_id) = oldest_user_with_phone(&mut tx, session.app_id, &phone).await? {
        sign_in(&mut tx, state, session, user_id, now).await?;
        tx.commit().await?;
        state.flows.invalidate(session.flow_id);
        wake();
        tracing::info!(app_id = %session.app_id, %user_id, "signed in: the phone's user exists");
        return Ok(());
    }
    let id = Uuid::new_v4();
    let user = User {
        id,
        user_id: id,
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        email: new.email.trim().to_owned(),
        phone_number: PhoneNumber {
            country_code: phone.country_code().to_owned(),
            phone_number: phone.national().to_owned(),
        },
        metadata: None,
        status: UserStatus::Verified,
        verified: true,
        has_criminal_activity: false,
        compliance: None,
        id_verification: None,
        background_check: None,
    };
    insert_user(&mut tx, session.app_id, &user, None, now).await?;
    sign_in(&mut tx, state, session, user.id, now).await?;
    tx.commit().await?;
    state.flows.invalidate(session.flow_id);
    wake();
    tracing::info!(
        app_id = %session.app_id,
        user_id = %user.id,
        phone = %phone.masked(),
        "user signed up in a flow"
    );
    Ok(())
}
