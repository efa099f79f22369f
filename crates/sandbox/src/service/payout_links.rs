//! Payout links (issue 11; seed 004 "Create a Payout Link"): the money and the status moves of
//! a link, each in one write transaction with its ledger transfer and its `payout_link.updated`
//! event.
//!
//! - [`create_link`]: the amount moves from the app's wallet to its link hold account
//!   (`linkhold:<app id>`, the link's `transfer_id`), so the same money cannot be promised
//!   twice and the app's wallet shows it as spent; when the platform pays the fee, so does the
//!   most any rail charges for the amount, in a transfer of its own (the link's
//!   `fee_reserve`, migration 0023); the link's flow (sign-in, the
//!   `additional_steps`, compliance when forced, then `payout`) and, for `sms` / `email`
//!   delivery, the sandbox's messages are written with it. The same idempotency key and body
//!   answer the same link; the key with another body is a 409.
//! - [`claim_in`], inside a sign-in's transaction: the first person to sign in through an open
//!   link claims it (a compare-and-set on its status: of two racing, exactly one wins; the other
//!   is refused `link_claimed`) and its amount moves to their wallet. Only the user the host
//!   named, or the payee's phone when the host gave one, may claim. The claimant signing in
//!   again resumes.
//! - [`cancel_link`] and [`expire_due`]: an open link's amount and fee reserve return to the
//!   app's wallet. Expiry happens when a due link is next read, and by the purge task. A
//!   claimed link not yet paid out may be canceled too: its fee reserve returns, its amount
//!   stays the claimant's, and its flow pays out like any payout step.
//! - [`mark_paid_after`] (run by [`crate::service::payouts::flow_payout`]): the claimant's
//!   payout in the link's flow pays exactly the link's amount and marks the link `paid` in the
//!   payout's own transaction, whose transfer pays the fee from the link's fee reserve and
//!   returns the rest to the app (`service::payouts`); a payout that later fails, is
//!   canceled or reversed makes the link `claimed` again and reopens its flow's payout step
//!   ([`payout_undone_after`]).

use crate::db::{begin_ledger_write, Db};
use crate::error::Error;
use crate::ledger::{
    app_account, insufficient_funds, link_hold_account, lock_accounts, open_link_hold_in,
    user_account, write_transfer_in, AfterWrite, Move, Shortfall, TransferDraft,
};
use crate::phone::ParsedPhone;
use crate::state::AppState;
use crate::store::apps::{default_fee_party, settings};
use crate::store::flows::{flow_not_found, insert_flow, set_completed_steps, FlowCache, FlowRow};
use crate::store::idempotency::IdempotencyKey;
use crate::store::payout_links::{self, LinkRow, LinkTransfer, NewLink};
use crate::store::users::{phone_is_users, user_exists};
use crate::store::webhooks::{record_event, record_flow_updated};
use crate::webhooks::wake;
use chrono::{DateTime, Duration, Utc};
use payout_model::identity::PhoneHint;
use payout_model::money::{
    format_cents, Cents, FeeParty, PayoutPlatform, PayoutQuote, TransactionType, TransferStatus,
    TransferType,
};
use payout_model::payout_link::{
    Delivery, LinkOffer, MessageChannel, NewPayoutLink, PayoutLink, PayoutLinkStatus,
    SandboxMessage, DEFAULT_LINK_DAYS, MAX_LINK_DAYS,
};
use payout_model::step::asked_fee_party;
use payout_model::webhook::EventType;
use payout_model::{NewFlow, Reason, Rule, StepName};
use serde_json::json;
use sqlx::AnyConnection;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The scope of payout link keys.
const SCOPE: &str = "payout-links";

/// Makes payout link `new` for app `app_id` (module docs); 422 naming the field for a user that
/// is not the app's, a payee phone that is not a real number, an `expires_at` in the past, or an
/// amount the app's wallet does not hold.
pub(crate) async fn create_link(
    state: &AppState,
    app_id: Uuid,
    new: NewPayoutLink,
) -> Result<PayoutLink, Error> {
    let db = &state.db;
    let key = IdempotencyKey::new(SCOPE, new.idempotency_key.clone().unwrap_or_default(), &new)?;
    let keyed = new.idempotency_key.is_some();
    if keyed {
        if let Some(link) = earlier(state, app_id, &key).await? {
            return Ok(link);
        }
    }
    if let Some(user_id) = new.user_id {
        if !user_exists(db, app_id, user_id).await? {
            return Err(Error::broke("user_id", Rule::NoSuchUser));
        }
    }
    let payee = new.payee.clone().unwrap_or_default();
    let payee_phone = payee
        .phone()
        .map(|(cc, number)| ParsedPhone::parse_at("payee.", cc, number))
        .transpose()?;
    // A link for a named user that only another phone may claim could never be claimed: the
    // sign-in needs the payee's phone and the user's both.
    if let (Some(user_id), Some(phone)) = (new.user_id, &payee_phone) {
        let mut conn = db.acquire().await?;
        if !phone_is_users(&mut conn, user_id, phone).await? {
            return Err(Error::broke(
                "payee.phone_number",
                Rule::NotThisPersonsPhone,
            ));
        }
    }
    let now = state.clock.now();
    let expires_at = new
        .expires_at
        .unwrap_or(now + Duration::days(DEFAULT_LINK_DAYS));
    if expires_at <= now {
        return Err(Error::broke("expires_at", Rule::InFuture));
    }
    if expires_at > now + Duration::days(MAX_LINK_DAYS.into()) {
        return Err(Error::broke(
            "expires_at",
            Rule::AtMostDaysAhead { max: MAX_LINK_DAYS },
        ));
    }
    // The link's own, else its payout step's (checked to agree on arrival), else the app's.
    let asked = asked_fee_party(new.payout_fee_party, &new.additional_steps)
        .map_err(|rule| Error::broke("payout_fee_party", rule))?;
    let fee_party = match asked {
        Some(party) => party,
        None => default_fee_party(db, app_id).await?,
    };
    // The link's payout must be exactly its amount: with the fee on the user, an amount no
    // rail's fee leaves anything of could never be paid out (the claimant would hold it, and
    // the link stay claimed, for good).
    if let Some(Err(rule)) = PayoutPlatform::ALL
        .iter()
        .map(|platform| PayoutQuote::new(new.amount, *platform, fee_party))
        .reduce(|a, b| a.or(b))
    {
        return Err(Error::broke("amount", rule));
    }
    let fee_reserve = fee_reserve(new.amount, fee_party);

    let id = Uuid::new_v4();
    let flow_id = Uuid::new_v4();
    let method = new.method();
    let delivery = Delivery {
        method,
        country_code: payee_phone
            .as_ref()
            .filter(|_| method.texts())
            .map(|p| p.country_code().to_owned()),
        phone_number: payee_phone
            .as_ref()
            .filter(|_| method.texts())
            .map(|p| p.national().to_owned()),
        email: payee.email.clone().filter(|_| method.emails()),
    };
    let flow = NewFlow {
        steps: new.flow_steps(),
        user_id: new.user_id,
        hide_go_to_dashboard_on_complete: false,
        // A link pays whoever signs in: never without a sign-in, even for a named user.
        require_auth: true,
        metadata: None,
        payout_fee_party: Some(fee_party),
    };
    let link_url = state.config.flow_link(flow_id);
    let written = async {
        let mut tx = begin_ledger_write(db).await?;
        open_link_hold_in(&mut tx, app_id, now).await?;
        // Minus the amount: it leaves the app's wallet (the sign of a host's balance transfers).
        let funding = TransferDraft::completed(
            app_id,
            None,
            TransferType::Balance,
            -new.amount,
            vec![Move::new(
                app_account(app_id),
                link_hold_account(app_id),
                new.amount,
                TransactionType::Balance,
            )],
            Some(json!({"payout_link_id": id})),
        );
        let transfer = write_transfer_in(&mut tx, &funding, now)
            .await
            .map_err(|e| e.into_error(insufficient_funds))?;
        if let Some(reserve) = reserve_draft(app_id, id, fee_reserve, Direction::Aside) {
            write_transfer_in(&mut tx, &reserve, now)
                .await
                .map_err(|e| {
                    e.into_error(|short| reserve_shortfall(&short, new.amount, fee_reserve))
                })?;
        }
        insert_flow(&mut *tx, flow_id, app_id, &flow, fee_party, Some(id), now).await?;
        payout_links::insert(
            &mut tx,
            &NewLink {
                id,
                app_id,
                flow_id,
                amount: new.amount,
                user_id: new.user_id,
                payee: &payee,
                delivery: &delivery,
                payee_phone: payee_phone.as_ref().map(ParsedPhone::e164),
                memo: new.memo.as_deref(),
                description: new.description.as_deref(),
                metadata: &new.metadata,
                tax_exempt: new.tax_exempt,
                transfer_id: transfer.id,
                key: keyed.then(|| key.key()),
                request_hash: key.request_hash(),
                expires_at,
                // The sandbox delivers at once: its messages are written with the link.
                status: PayoutLinkStatus::Delivered,
                fee_reserve,
            },
            now,
        )
        .await?;
        let message = new.delivery.as_ref().and_then(|d| d.message.clone());
        let body = |link: &str| match &message {
            Some(message) => format!("{message}\n{link}"),
            None => format!("You have a payout waiting. Claim it here: {link}"),
        };
        let recipients = [
            (
                MessageChannel::Sms,
                payee_phone
                    .as_ref()
                    .filter(|_| method.texts())
                    .map(ParsedPhone::e164),
            ),
            (
                MessageChannel::Email,
                payee.email.clone().filter(|_| method.emails()),
            ),
        ];
        for (channel, to) in recipients {
            if let Some(to) = to {
                let message = SandboxMessage {
                    id: Uuid::new_v4(),
                    channel,
                    to,
                    body: body(&link_url),
                    link: link_url.clone(),
                    payout_link_id: id,
                    created: now,
                };
                payout_links::insert_message(&mut tx, app_id, &message).await?;
            }
        }
        let link = announce(&mut tx, state, id).await?;
        tx.commit().await?;
        Ok::<_, Error>(link)
    }
    .await;
    match written {
        // Another request with this key committed since the look above: this one then failed
        // on the key, or found the money already set aside by it. Either way its link is the
        // answer.
        Err(e) if keyed => earlier(state, app_id, &key).await?.ok_or(e),
        Err(e) => Err(e),
        Ok(link) => {
            wake();
            tracing::info!(%app_id, payout_link_id = %id, amount = new.amount, "payout link made");
            Ok(link)
        }
    }
}

/// The 409 for a payout of link `id` that changed since the payout read it: paid meanwhile
/// ("paid out already"), or its fee reserve changed (a payout of it undone meanwhile: a retry
/// then pays it).
pub(crate) async fn link_changed(conn: &mut AnyConnection, id: Uuid) -> Result<Error, Error> {
    let paid = payout_links::find_any(conn, id)
        .await?
        .map(|row| row.status())
        .transpose()?
        == Some(PayoutLinkStatus::Paid);
    Ok(Error::Refused(if paid {
        Reason::LinkPaid
    } else {
        Reason::LinkChanged
    }))
}

/// The 422 when the app's wallet holds a link's `amount` but not its fee `reserve` too: the
/// wallet as the host sees it (the amount, moved aside in the same transaction, rolled back with
/// it) and what the link needs. Review: it named the balance left after the amount, which the
/// wallet never showed.
fn reserve_shortfall(short: &Shortfall, amount: Cents, reserve: Cents) -> Error {
    Error::invalid_field(
        "amount",
        Rule::InsufficientFunds,
        format!(
            "insufficient funds: the app's wallet has {}; the link needs {} with its fee \
             reserve of {}",
            format_cents(short.balance.saturating_add(amount)),
            format_cents(amount.saturating_add(reserve)),
            format_cents(reserve)
        ),
    )
}

/// What a link of `amount` whose fee `party` pays sets aside for that fee: when the platform
/// pays, the most any rail charges for the amount (the payee chooses the rail later), so the
/// link's payout never waits on the app's wallet; nothing when the payee pays.
fn fee_reserve(amount: Cents, party: FeeParty) -> Cents {
    match party {
        FeeParty::Platform => PayoutPlatform::ALL
            .iter()
            .map(|platform| platform.fee(amount))
            .max()
            .unwrap_or(0),
        FeeParty::User => 0,
    }
}

/// Which way [`reserve_draft`] goes.
#[derive(Clone, Copy)]
enum Direction {
    /// Set aside when the link is made (app → hold).
    Aside,
    /// Returned on a cancel or an expiry (hold → app).
    Back,
}

/// The transfer that sets link `link_id`'s fee reserve aside, or returns it: a balance
/// transfer of its own beside the link's (whose amount stays the link's), marked
/// `{"payout_link_id": …, "fee_reserve": true}`; none without a reserve.
fn reserve_draft(
    app_id: Uuid,
    link_id: Uuid,
    fee_reserve: Cents,
    way: Direction,
) -> Option<TransferDraft> {
    // Signed as a host's balance transfers are: negative leaves the app's wallet.
    let (from, to, kind, signed) = match way {
        Direction::Aside => (
            app_account(app_id),
            link_hold_account(app_id),
            TransactionType::Balance,
            -fee_reserve,
        ),
        Direction::Back => (
            link_hold_account(app_id),
            app_account(app_id),
            TransactionType::Return,
            fee_reserve,
        ),
    };
    (fee_reserve > 0).then(|| {
        TransferDraft::completed(
            app_id,
            None,
            TransferType::Balance,
            signed,
            vec![Move::new(from, to, fee_reserve, kind)],
            Some(json!({"payout_link_id": link_id, "fee_reserve": true})),
        )
    })
}

/// The link an earlier request with `key` made, if any (409 when its body was another).
async fn earlier(
    state: &AppState,
    app_id: Uuid,
    key: &IdempotencyKey,
) -> Result<Option<PayoutLink>, Error> {
    let link = {
        let mut conn = state.db.acquire().await?;
        payout_links::find_by_key(&mut conn, app_id, key)
            .await?
            .map(|row| row.to_link(&state.config))
            .transpose()?
    };
    match link {
        Some(link) => Ok(Some(expired_if_due(state, link).await?)),
        None => Ok(None),
    }
}

/// Link `id` as it is now, with its `payout_link.updated` event recorded, inside the caller's
/// transaction.
async fn announce(
    conn: &mut AnyConnection,
    state: &AppState,
    id: Uuid,
) -> Result<PayoutLink, Error> {
    let row = payout_links::find_any(&mut *conn, id)
        .await?
        .ok_or_else(payout_links::link_not_found)?;
    let link = row.to_link(&state.config)?;
    record_event(
        conn,
        row.app_id()?,
        EventType::PayoutLinkUpdated,
        &link,
        state.clock.now(),
    )
    .await?;
    Ok(link)
}

/// Link `id` of app `app_id` as the host reads it (expired first when it is due).
pub(crate) async fn get_link(
    state: &AppState,
    app_id: Uuid,
    id: Uuid,
) -> Result<PayoutLink, Error> {
    expire_due(state, Some(app_id)).await?;
    let link = {
        let mut conn = state.db.acquire().await?;
        payout_links::find(&mut conn, app_id, id)
            .await?
            .ok_or_else(payout_links::link_not_found)?
            .to_link(&state.config)?
    };
    expired_if_due(state, link).await
}

/// `link` (just read) as a read answers it: still open past its expiry, it is expired first and
/// its money returned, whatever page of due links [`expire_due`] took (the app's most overdue,
/// which need not hold this one).
async fn expired_if_due(state: &AppState, link: PayoutLink) -> Result<PayoutLink, Error> {
    if !(link.status.is_open() && link.expires_at <= state.clock.now()) {
        return Ok(link);
    }
    if let Some(expired) = close_and_return(state, link.id, PayoutLinkStatus::Expired).await? {
        return Ok(expired);
    }
    // Closed meanwhile (claimed before its expiry, canceled): as it is now.
    let mut conn = state.db.acquire().await?;
    payout_links::find_any(&mut conn, link.id)
        .await?
        .ok_or_else(payout_links::link_not_found)?
        .to_link(&state.config)
}

/// Moves open link `id` to `to` (`expired` or `canceled`) and its amount back to the app's
/// wallet, in one transaction; the link, or `None` when it was not open (or, for an expiry, not
/// yet due).
async fn close_and_return(
    state: &AppState,
    id: Uuid,
    to: PayoutLinkStatus,
) -> Result<Option<PayoutLink>, Error> {
    let now = state.clock.now();
    let mut tx = begin_ledger_write(&state.db).await?;
    let Some(row) = payout_links::find_any(&mut tx, id).await? else {
        return Ok(None);
    };
    if !payout_links::close(&mut tx, id, to, None, now).await? {
        return Ok(None);
    }
    let app_id = row.app_id()?;
    let back = TransferDraft::completed(
        app_id,
        None,
        TransferType::Balance,
        row.amount,
        vec![Move::new(
            link_hold_account(app_id),
            app_account(app_id),
            row.amount,
            TransactionType::Return,
        )],
        Some(json!({"payout_link_id": id})),
    );
    let transfer = write_transfer_in(&mut tx, &back, now)
        .await
        .map_err(|e| e.into_error(|s| Error::Internal(s.describe())))?;
    if let Some(reserve) = reserve_draft(app_id, id, row.fee_reserve, Direction::Back) {
        write_transfer_in(&mut tx, &reserve, now)
            .await
            .map_err(|e| e.into_error(|s| Error::Internal(s.describe())))?;
    }
    payout_links::set_transfer(&mut tx, id, LinkTransfer::Return, transfer.id).await?;
    let link = announce(&mut tx, state, id).await?;
    tx.commit().await?;
    wake();
    tracing::info!(%app_id, payout_link_id = %id, status = to.as_str(), "payout link closed");
    Ok(Some(link))
}

/// `POST /api/v2/payout-links/{id}/cancel`: link `id` of app `app_id` is canceled: an open one
/// returns its amount and fee reserve to the app; a claimed one not yet paid out returns its
/// fee reserve, its amount staying the claimant's ([`cancel_claimed`]). 404 for another app's;
/// 409 for a link paid, expired or canceled.
pub(crate) async fn cancel_link(
    state: &AppState,
    app_id: Uuid,
    id: Uuid,
) -> Result<PayoutLink, Error> {
    let mut link = get_link(state, app_id, id).await?;
    // A link claimed between the read and the cancel is canceled as claimed. A try fails only
    // when the status moved on, which it does at most twice (open, claimed, then closed): the
    // third read is final, and the refusal names the status the link has (review: one claimed
    // and paid during the cancel was refused as "claimed", which README says can be canceled).
    for _ in 0..3 {
        let closed = match link.status {
            status if status.is_open() => {
                close_and_return(state, id, PayoutLinkStatus::Canceled).await?
            }
            PayoutLinkStatus::Claimed => cancel_claimed(state, id).await?,
            _ => break,
        };
        if let Some(canceled) = closed {
            return Ok(canceled);
        }
        link = get_link(state, app_id, id).await?;
    }
    Err(Error::Conflict(format!(
        "a payout link that is {} cannot be canceled",
        link.status.as_str()
    )))
}

/// Cancels claimed link `id` whose payout has not been made: the amount stays with the
/// claimant, whose wallet it reached at the claim (their flow then pays out like any payout
/// step, from their balance), and the fee reserve returns to the app; `None` when the link is
/// no longer claimed with that reserve.
///
/// On PostgreSQL the claimant's wallet and the reserve's accounts are locked first, in id order,
/// as a payout of the link takes them before the link's row (so the two cannot deadlock,
/// whether or not a reserve moves), and the link is read again under that lock: a payout that
/// committed meanwhile is seen, and this answers `None`.
async fn cancel_claimed(state: &AppState, id: Uuid) -> Result<Option<PayoutLink>, Error> {
    let now = state.clock.now();
    let mut tx = begin_ledger_write(&state.db).await?;
    let Some(seen) = payout_links::find_any(&mut tx, id).await? else {
        return Ok(None);
    };
    let app_id = seen.app_id()?;
    let Some(claimant) = seen.claimed_user_id()? else {
        return Ok(None);
    };
    lock_accounts(
        &mut tx,
        &[
            user_account(claimant),
            app_account(app_id),
            link_hold_account(app_id),
        ],
    )
    .await?;
    let Some(row) = payout_links::find_any(&mut tx, id).await? else {
        return Ok(None);
    };
    if row.status()? != PayoutLinkStatus::Claimed {
        return Ok(None);
    }
    if let Some(reserve) = reserve_draft(app_id, id, row.fee_reserve, Direction::Back) {
        // Read again under the lock, the link still holds its reserve: a shortfall would be a
        // ledger out of step with its links, a 500.
        write_transfer_in(&mut tx, &reserve, now)
            .await
            .map_err(|e| e.into_error(|s| Error::Internal(s.describe())))?;
    }
    if !payout_links::cancel_claimed(&mut tx, id, row.fee_reserve).await? {
        return Ok(None);
    }
    let link = announce(&mut tx, state, id).await?;
    tx.commit().await?;
    wake();
    tracing::info!(%app_id, payout_link_id = %id, "claimed payout link canceled");
    Ok(Some(link))
}

/// Expires up to a page ([`payout_links::DUE_PAGE`]) of the open links past their expiry (of
/// app `app_id`, or of every app) and returns their money; how many were due, and how many it
/// expired (another request may have closed some meanwhile). Reads of an app's links call it
/// first.
pub(crate) async fn expire_due(
    state: &AppState,
    app_id: Option<Uuid>,
) -> Result<(usize, usize), Error> {
    let due = {
        let mut conn = state.db.acquire().await?;
        payout_links::due_for_expiry(&mut conn, app_id, state.clock.now()).await?
    };
    let mut expired = 0;
    for id in &due {
        if close_and_return(state, *id, PayoutLinkStatus::Expired)
            .await?
            .is_some()
        {
            expired += 1;
        }
    }
    Ok((due.len(), expired))
}

/// The most pages of due links one run of [`expire_all_due`] expires: 5,000 links.
const EXPIRY_PAGES_PER_RUN: usize = 50;

/// Expires every app's open links past their expiry, a page after another while pages come
/// full (at most [`EXPIRY_PAGES_PER_RUN`]); how many. The purge task runs it every minute, so
/// one app's thousands of due links hold up another app's expiry (its money back, its
/// `payout_link.updated`) by a minute or two, not by hours at a page a run.
pub async fn expire_all_due(state: &AppState) -> Result<usize, Error> {
    expire_all_due_of(state, None).await
}

/// [`expire_all_due`] for app `app_id`'s links only (or every app's); how many. A list of an
/// app's links calls it first, so the list shows no link open past its expiry.
pub(crate) async fn expire_all_due_of(
    state: &AppState,
    app_id: Option<Uuid>,
) -> Result<usize, Error> {
    let mut expired = 0;
    for _ in 0..EXPIRY_PAGES_PER_RUN {
        let (due, done) = expire_due(state, app_id).await?;
        expired += done;
        if due < payout_links::DUE_PAGE {
            break;
        }
    }
    Ok(expired)
}

/// Claims the link of flow `flow_id` (if the flow is a link's) for `user_id`, signing in with
/// `phone`, inside the sign-in's transaction (module docs): the link's amount moves to their
/// wallet. 403 naming `phone_number` when the link is for another phone or user; 409
/// `link_claimed` when someone else claimed it, `link_closed` when it was canceled or has
/// expired. The claimant signing in again changes nothing.
pub(crate) async fn claim_in(
    conn: &mut AnyConnection,
    state: &AppState,
    flow_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let Some(row) = payout_links::of_flow(&mut *conn, flow_id).await? else {
        return Ok(());
    };
    match row.claimed_user_id()? {
        Some(claimant) if claimant == user_id => return Ok(()),
        Some(_) => return Err(Error::Refused(Reason::LinkClaimed)),
        None => {}
    }
    let id = row.id()?;
    if !payout_links::close(
        &mut *conn,
        id,
        PayoutLinkStatus::Claimed,
        Some(user_id),
        now,
    )
    .await?
    {
        return Err(Error::Refused(
            if row.status()? == PayoutLinkStatus::Claimed {
                Reason::LinkClaimed
            } else {
                Reason::LinkClosed
            },
        ));
    }
    let app_id = row.app_id()?;
    // The app's money (set aside) to the user: negative, as a host's own app → user balance
    // transfer is (seed 004, "Create Fund Transfer").
    let claim = TransferDraft::completed(
        app_id,
        Some(user_id),
        TransferType::Balance,
        -row.amount,
        vec![Move::new(
            link_hold_account(app_id),
            user_account(user_id),
            row.amount,
            TransactionType::Balance,
        )],
        Some(json!({"payout_link_id": id})),
    );
    let transfer = write_transfer_in(&mut *conn, &claim, now)
        .await
        .map_err(|e| e.into_error(|s| Error::Internal(s.describe())))?;
    payout_links::set_transfer(&mut *conn, id, LinkTransfer::Claim, transfer.id).await?;
    announce(conn, state, id).await?;
    tracing::info!(%app_id, payout_link_id = %id, %user_id, "payout link claimed");
    Ok(())
}

/// Whether a sign-in with `phone` may go on in flow `flow_id`, checked once the code proved the
/// phone is the typist's: for a link's flow, 409 `link_claimed` when someone else claimed it
/// (`claimant_phone_matches`: whether the phone is the claimant's), 409 `link_closed` for a
/// link canceled or expired, and 403 naming `phone_number` when the host gave the payee's phone
/// and this is another.
pub(crate) async fn check_sign_in(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    phone: &ParsedPhone,
    claimant_phone_matches: bool,
    now: DateTime<Utc>,
) -> Result<(), SignInRefusal> {
    let Some(row) = payout_links::of_flow(&mut *conn, flow_id).await? else {
        return Ok(());
    };
    if row.claimed_user_id()?.is_some() {
        return if claimant_phone_matches {
            Ok(())
        } else {
            Err(SignInRefusal::Error(Error::Refused(Reason::LinkClaimed)))
        };
    }
    if !row.claimable(now)? {
        return Err(SignInRefusal::Error(Error::Refused(Reason::LinkClosed)));
    }
    match &row.payee_phone {
        Some(payee) if *payee != phone.e164() => Err(SignInRefusal::NotThePayee),
        _ => Ok(()),
    }
}

/// Why [`check_sign_in`] refused.
pub(crate) enum SignInRefusal {
    /// The phone is not the payee's (the sign-in's 403 naming `phone_number`).
    NotThePayee,
    /// Another refusal.
    Error(Error),
}

impl From<Error> for SignInRefusal {
    fn from(e: Error) -> Self {
        SignInRefusal::Error(e)
    }
}

impl From<sqlx::Error> for SignInRefusal {
    fn from(e: sqlx::Error) -> Self {
        SignInRefusal::Error(e.into())
    }
}

/// The link of flow `flow_id`, if the flow is a link's.
async fn link_of_flow(db: &Db, flow_id: Uuid) -> Result<Option<LinkRow>, Error> {
    payout_links::of_flow(&mut *db.acquire().await?, flow_id).await
}

/// Whether flow `flow_id` is a payout link's whose host named the payee's phone (claimable or
/// not): its sign-in may text a number the session never sees.
pub(crate) async fn names_payee_phone(db: &Db, flow_id: Uuid) -> Result<bool, Error> {
    Ok(link_of_flow(db, flow_id)
        .await?
        .is_some_and(|row| row.payee_phone.is_some()))
}

/// The payee's phone (E.164) that the link of flow `flow_id` names, while the link may still be
/// claimed at `now`: where sign-in may text a code without the number being typed (or shown).
pub(crate) async fn payee_phone(
    db: &Db,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let Some(row) = link_of_flow(db, flow_id).await? else {
        return Ok(None);
    };
    Ok(row
        .payee_phone
        .clone()
        .filter(|_| matches!(row.claimable(now), Ok(true))))
}

/// The phone a code goes to when the payee asks for one without typing it (`payee_phone`): the
/// link's payee phone while it can be claimed, and once it is claimed until the link's expiry
/// (only that phone could claim it: the claimant, on another device say, signs in again,
/// [`check_sign_in`]; a leaked link texts the claimant no longer than it could text the payee
/// before the claim); otherwise, for one canceled or expired, 409 `link_closed`, so a page
/// opened while it was open says why rather than nothing.
pub(crate) async fn payee_phone_to_text(
    db: &Db,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let Some(row) = link_of_flow(db, flow_id).await? else {
        return Ok(None);
    };
    if row.payee_phone.is_none() {
        return Ok(None);
    }
    let claimed_in_time = row.claimed_user_id()?.is_some() && row.before_expiry(now);
    if row.claimable(now)? || claimed_in_time {
        return Ok(row.payee_phone);
    }
    Err(Error::Refused(Reason::LinkClosed))
}

/// [`payee_phone`] as a session that has not signed in may see it: its country code and last
/// four digits, never more than half of them (review: a 4-digit number showed whole).
pub(crate) async fn payee_phone_hint(
    db: &Db,
    flow_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<PhoneHint>, Error> {
    let Some(e164) = payee_phone(db, flow_id, now).await? else {
        return Ok(None);
    };
    let (country_code, national) = ParsedPhone::split_e164(&e164)?;
    Ok(Some(PhoneHint {
        country_code,
        last4: payout_model::mask::shown_tail(&national),
    }))
}

/// The link of flow `flow_id` when `user_id` claimed it: what the flow's payout must pay.
pub(crate) async fn claimed_link(
    db: &Db,
    flow_id: Uuid,
    user_id: Uuid,
) -> Result<Option<LinkRow>, Error> {
    let mut conn = db.acquire().await?;
    Ok(payout_links::of_flow(&mut conn, flow_id)
        .await?
        .filter(|row| row.pays(user_id)))
}

/// What the payout step shows of link `row`, the link the signed-in user claimed: the amount,
/// who it is from (the app's name) and the memo.
pub(crate) async fn link_offer(db: &Db, row: &LinkRow) -> Result<LinkOffer, Error> {
    let mut conn = db.acquire().await?;
    let from = settings(&mut conn, row.app_id()?).await?.name;
    Ok(LinkOffer {
        amount: row.amount,
        from,
        memo: row.memo.clone(),
    })
}

/// What a flow payout of claimed link `row` does in its own transaction once written: marks
/// the link `paid` (409 when it was paid already: the payout is rolled back) and announces it.
pub(crate) fn mark_paid_after(
    state: &AppState,
    row: &LinkRow,
) -> Result<AfterWrite<'static>, Error> {
    let id = row.id()?;
    let fee_reserve = row.fee_reserve;
    let state = state.clone();
    Ok(Box::new(move |conn, transfer| {
        let transfer_id = transfer.id;
        Box::pin(async move {
            if !payout_links::mark_paid(&mut *conn, id, transfer_id, fee_reserve).await? {
                return Err(link_changed(&mut *conn, id).await?);
            }
            announce(conn, &state, id).await?;
            Ok(())
        })
    }))
}

/// What a change of a transfer's status does in its own transaction
/// ([`crate::ledger::change_status`]): when it gave a link's payout its money back (failed,
/// canceled, reversed: the money is in the claimant's wallet again), the link is `claimed`
/// again, with no payout, and its flow's payout step (with any step after it) is no longer
/// completed, so the payee can open the link again and be paid once more; the host hears both
/// (`payout_link.updated`, `flow.updated`). The flows so reopened are in [`Reopened`], for the
/// caller to call [`Reopened::after_commit`].
pub(crate) fn payout_undone_after(state: &AppState) -> (AfterWrite<'static>, Reopened) {
    let state = state.clone();
    let reopened = Reopened::default();
    let noted = reopened.clone();
    let after: AfterWrite<'static> = Box::new(move |conn, transfer| {
        let (payout, status) = (transfer.id, transfer.status);
        Box::pin(async move {
            if !matches!(
                status,
                TransferStatus::Failed | TransferStatus::Canceled | TransferStatus::Reversed
            ) {
                return Ok(());
            }
            let Some(id) = payout_links::unpay(&mut *conn, payout).await? else {
                return Ok(());
            };
            if let Some(flow_id) = reopen_payout_step(conn, &state, id).await? {
                noted.note(flow_id);
            }
            announce(conn, &state, id).await?;
            tracing::info!(payout_link_id = %id, "payout link claimed again: its payout was undone");
            Ok(())
        })
    });
    (after, reopened)
}

/// The flows whose payout step [`payout_undone_after`] reopened.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reopened(Arc<Mutex<Vec<Uuid>>>);

impl Reopened {
    fn note(&self, flow_id: Uuid) {
        if let Ok(mut flows) = self.0.lock() {
            flows.push(flow_id);
        }
    }

    /// After the commit: the host's cached views of those flows are dropped ([`FlowCache`]).
    pub(crate) fn after_commit(&self, db: &Db) {
        if let Ok(mut flows) = self.0.lock() {
            for flow_id in flows.drain(..) {
                FlowCache::of(db).invalidate(flow_id);
            }
        }
    }
}

/// Takes the payout step, and every step after it, out of the completed steps of link
/// `link_id`'s flow, recording `flow.updated`, inside the caller's transaction; the flow's id
/// when that changed it. A compare-and-set, as a step's completion is.
async fn reopen_payout_step(
    conn: &mut AnyConnection,
    state: &AppState,
    link_id: Uuid,
) -> Result<Option<Uuid>, Error> {
    let link = payout_links::find_any(&mut *conn, link_id)
        .await?
        .ok_or_else(payout_links::link_not_found)?;
    let flow_id = link.flow_id()?;
    let now = state.clock.now();
    // On PostgreSQL the flow's row is locked before it is read, as a completion locks it: a
    // completion of the payout step running meanwhile has then either committed (and is
    // undone here) or waits, and then finds this payout undone (SQLite's writes take turns).
    crate::store::flows::lock_flow(conn, flow_id).await?;
    for _ in 0..3 {
        let flow = FlowRow::find(&mut *conn, flow_id)
            .await?
            .ok_or_else(flow_not_found)?;
        let route = flow.to_state()?;
        let Some(at) = route
            .steps
            .iter()
            .position(|s| s.name() == StepName::Payout)
        else {
            return Ok(None);
        };
        let undone: Vec<StepName> = route.steps[at..].iter().map(|s| s.name()).collect();
        let kept: Vec<StepName> = (route.completed_steps.iter().copied())
            .filter(|s| !undone.contains(s))
            .collect();
        if kept.len() == route.completed_steps.len() {
            return Ok(None);
        }
        if set_completed_steps(conn, flow_id, &kept, &flow.completed_steps, now).await? {
            record_flow_updated(conn, &state.config, flow_id, now).await?;
            return Ok(Some(flow_id));
        }
    }
    Err(Error::Refused(Reason::FlowChanged))
}

/// `GET /api/v2/sandbox/messages`: app `app_id`'s latest messages.
pub(crate) async fn messages(state: &AppState, app_id: Uuid) -> Result<Vec<SandboxMessage>, Error> {
    let mut conn = state.db.acquire().await?;
    payout_links::messages(&mut conn, app_id).await
}
