//! Payouts (seed 004, "Create Payout"; issue 4): the one engine behind the host's and the
//! flow's payout routes: which payout method a host payout goes to ([`host_payout_method_in`])
//! and the transfer a payout writes ([`payout_draft`], then [`crate::ledger::create_transfer`]).
//! A host payout reads everything it checks in one [`Batch`] before its write transaction
//! (issue 10: on SQLite one trip to the connection's thread).
//!
//! The sandbox rails: PayPal, Venmo and Cash App payouts complete at once (user → `external:
//! <platform>`); ACH payouts go `pending` with the money in the user's hold until the sandbox's
//! simulate endpoint completes or fails them. The fee
//! ([`PayoutPlatform::fee`](payout_model::money::PayoutPlatform::fee)) is charged at creation, to
//! the app's wallet (`platform`, the default) or out of the amount (`user`).

use crate::auth::FlowUser;
use crate::db::{Answers, Batch, Db, ValueAt};
use crate::error::Error;
use crate::ledger::{
    app_account, create_transfer_then, fees_account, hold_account, insufficient_funds,
    link_hold_account, load_transfer, push_reportable_payouts, rail_account, standing_flow_payout,
    user_account, user_wallet, AfterWrite, LedgerError, Move, ReportingLimit, TransferDraft,
    TransferRow, UserWalletAt,
};
use crate::secret::random_alphanumeric;
use crate::service::payout_links::{claimed_link, link_changed, link_offer, mark_paid_after};
use crate::state::AppState;
use crate::store::apps::{
    default_fee_party_in, min_flow_payout_in, push_default_fee_party, push_min_flow_payout,
    push_reporting_threshold,
};
use crate::store::compliance::push_has_compliance;
use crate::store::flows::still_permits;
use crate::store::idempotency::{key_reused, IdempotencyKey};
use crate::store::payout_links::{push_of_flow, LinkRow};
use crate::store::payout_methods::{chosen_platform, MethodAt, MethodRow};
use crate::store::users::{payout_block_in, push_payout_block, push_user_exists};
use crate::test_values::completes_at_once;
use chrono::{DateTime, Datelike as _, Utc};
use payout_model::money::{
    Cents, ExternalData, FeeParty, FlowWallet, NewFlowPayout, NewPayout, PayoutQuote,
    TransactionType, Transfer, TransferStatus, TransferType, DEFAULT_REPORTING_THRESHOLD,
};
use payout_model::payout_link::PayoutLinkStatus;
use payout_model::{FlowAction, FlowState, Metadata, Rule};
use sqlx::AnyConnection;
use uuid::Uuid;

/// A host payout (`POST /api/v2/payouts`) of app `app_id` at `now`: replays an idempotency
/// key's first transfer; 422 naming `user_id` for another app's user, or as
/// [`host_payout_method_in`] says; `fund` first moves the amount from the app's wallet to the
/// user's, in the same transfer; 422 on `amount` for money a wallet does not have. `after`
/// runs in the transfer's own transaction (not for a replay), and its `Err` undoes the
/// transfer.
pub(crate) async fn host_payout(
    db: &Db,
    app_id: Uuid,
    new: NewPayout,
    now: DateTime<Utc>,
    after: Option<AfterWrite<'static>>,
) -> Result<Transfer, Error> {
    let key = new
        .idempotency_key
        .as_deref()
        .map(|key| IdempotencyKey::new("payouts", key, &new))
        .transpose()?;
    // Every read before the write in one batch, its answers taken in the order of the rules: a
    // replay first, then the user, the fee party, the method, the reporting threshold's limit
    // (checked where the payout is written: [`ReportingReads`]). All are values read together:
    // one statement (issue 10: on PostgreSQL, a trip a statement).
    let mut conn = db.acquire().await?;
    let mut reads = Batch::new(&conn);
    let earlier = key.as_ref().map(|key| key.push_earlier(&mut reads, app_id));
    let user = push_user_exists(&mut reads, app_id, new.user_id);
    let default_party = new
        .payout_fee_party
        .is_none()
        .then(|| push_default_fee_party(&mut reads, app_id));
    let reporting = ReportingReads::push(
        &mut reads,
        &ReportableOrder {
            app_id,
            user_id: new.user_id,
            amount: new.amount,
            tax_exempt: new.tax_exempt,
            now,
        },
    )?;
    let method = push_host_payout_method(&mut reads, &new);
    let read = reads.run(&mut conn).await?;
    if let (Some(key), Some(at)) = (key.as_ref(), earlier) {
        if let Some(id) = key.earlier_in(&read, at)? {
            return load_transfer(&mut conn, id).await;
        }
    }
    drop(conn);
    if read.value::<String>(user)?.is_none() {
        return Err(Error::broke("user_id", Rule::NoSuchUser));
    }
    let party = match (new.payout_fee_party, default_party) {
        (Some(party), _) => party,
        (None, Some(at)) => default_fee_party_in(&read, at)?,
        (None, None) => return Err(Error::Internal("no fee party was read".to_owned())),
    };
    let method = host_payout_method_in(&new, &read, method?)?;
    let reporting_limit = match reporting {
        Some(reporting) => reporting.limit(&read, "user_id")?,
        None => None,
    };
    let order = PayoutOrder {
        app_id,
        user_id: new.user_id,
        flow_id: None,
        method: &method,
        amount: new.amount,
        party,
        fund: new.fund,
        fee_reserve: 0,
        tax_exempt: new.tax_exempt,
        reporting_limit,
        metadata: new.metadata,
    };
    let draft = threshold_before(db, &order, payout_draft(&order)).await?;
    let transfer = create_transfer_then(db, draft, key.as_ref(), now, after)
        .await
        .map_err(|e| e.into_error(insufficient_funds))?;
    Ok(transfer)
}

/// What the flow's payout step reads of the signed-in `user` (`GET /api/flow/wallet`, issue
/// 8): their wallet, the app's flow payout minimum, why they may not pay out, if they may not,
/// in a payout link's flow they claimed, what the link pays (issue 11), and the payout they
/// already made through this flow, if one stands (a reload after paying out shows it). One
/// batch (issue 10): the minimum, the block and the wallet read together, and the flow's link;
/// then the standing payout; the app's name is read only for a link the user claimed.
pub(crate) async fn flow_wallet(db: &Db, user: &FlowUser) -> Result<FlowWallet, Error> {
    let mut conn = db.acquire().await?;
    let mut reads = Batch::new(&conn);
    let minimum = push_min_flow_payout(&mut reads, user.app_id);
    let block = push_payout_block(&mut reads, user.user_id);
    let wallet = UserWalletAt::push(&mut reads, user.user_id);
    let link = push_of_flow(&mut reads, user.flow_id);
    let read = reads.run(&mut conn).await?;
    let payout = standing_flow_payout(&mut conn, user.flow_id, user.user_id).await?;
    drop(conn);
    let wallet = wallet.wallet(&read)?;
    let payout_link = match LinkRow::found_in(read.get(link)?)? {
        Some(row) if row.pays(user.user_id) => Some(link_offer(db, &row).await?),
        _ => None,
    };
    Ok(FlowWallet {
        amount: wallet.amount,
        withdrawable_amount: wallet.withdrawable_amount,
        minimum_payout: min_flow_payout_in(&read, minimum)?,
        payout_block: payout_block_in(&read, block)?,
        payout_link,
        payout,
    })
}

/// A flow payout of the signed-in user through `flow` at `now` (the caller checked the payout
/// step is current; in a payout link's flow the amount must be the link's, which the payout
/// marks `paid` in its own transaction, its fee paid from the link's fee reserve first): 403
/// `payout_blocked` for a user whose background check failed; replays an idempotency key's
/// first transfer (the key is scoped to the app and the user); 422 on
/// `amount` under the app's `min_flow_payout` or above the user's withdrawable balance, on
/// `payout_method_id` for a method not theirs; the fee paid as the flow's `payout_fee_party`
/// says; when the app's wallet cannot pay its part, a 409 that says nothing of its balance.
pub(crate) async fn flow_payout(
    state: &AppState,
    user: &FlowUser,
    flow: &FlowState,
    new: NewFlowPayout,
    now: DateTime<Utc>,
) -> Result<Transfer, Error> {
    let db = &state.db;
    let key = flow_payout_key(user, &new)?;
    // Every read before the write in one batch, its answers taken in the order of the rules:
    // a replay (the first answer, whatever has changed since: a block, the balance), the
    // block, the link's amount or the app's minimum, the method, the balance, the
    // reporting threshold. One trip on SQLite; on PostgreSQL two statements, the values read
    // together and the flow's link (issue 10).
    let mut conn = db.acquire().await?;
    let mut reads = Batch::new(&conn);
    let block = push_payout_block(&mut reads, user.user_id);
    let earlier = key.push_earlier(&mut reads, user.app_id);
    let minimum = push_min_flow_payout(&mut reads, user.app_id);
    let method = MethodRow::push_find(&mut reads, user.user_id, new.payout_method_id);
    let wallet = UserWalletAt::push(&mut reads, user.user_id);
    // Read whatever the link says; a tax-exempt link's payout carries no limit.
    let reporting = ReportingReads::push(
        &mut reads,
        &ReportableOrder {
            app_id: user.app_id,
            user_id: user.user_id,
            amount: new.amount,
            tax_exempt: false,
            now,
        },
    )?;
    let link = push_of_flow(&mut reads, user.flow_id);
    let read = reads.run(&mut conn).await?;
    if let Some(id) = key.earlier_in(&read, earlier)? {
        replayed_in_this_flow(&mut conn, id, user).await?;
        return load_transfer(&mut conn, id).await;
    }
    if payout_block_in(&read, block)?.is_some() {
        return Err(Error::PayoutBlocked);
    }
    drop(conn);
    // A payout link's flow pays exactly the link's amount (issue 11), whatever the minimum.
    let link = LinkRow::found_in(read.get(link)?)?.filter(|link| link.pays(user.user_id));
    match &link {
        Some(link) if new.amount > link.amount => {
            return Err(Error::broke(
                "amount",
                Rule::AtMostAmount { max: link.amount },
            ));
        }
        Some(link) if new.amount < link.amount => {
            return Err(Error::broke(
                "amount",
                Rule::AtLeastAmount { min: link.amount },
            ));
        }
        Some(_) => {}
        None => {
            let minimum = min_flow_payout_in(&read, minimum)?;
            if new.amount < minimum {
                return Err(Error::broke("amount", Rule::AtLeastAmount { min: minimum }));
            }
        }
    }
    let method = MethodRow::found_in(&read, method)?
        .ok_or_else(|| Error::broke("payout_method_id", Rule::NotYourPayoutMethod))?;
    let withdrawable = wallet.wallet(&read)?.withdrawable_amount;
    if new.amount > withdrawable {
        return Err(above_balance(withdrawable));
    }
    let tax_exempt = link.as_ref().is_some_and(LinkRow::tax_exempt);
    let reporting_limit = match (reporting, tax_exempt) {
        (Some(reporting), false) => reporting.limit(&read, "amount")?,
        _ => None,
    };
    let order = PayoutOrder {
        app_id: user.app_id,
        user_id: user.user_id,
        flow_id: Some(user.flow_id),
        method: &method,
        amount: new.amount,
        party: flow.payout_fee_party,
        fund: false,
        fee_reserve: link.as_ref().map_or(0, |link| link.fee_reserve),
        tax_exempt,
        reporting_limit,
        metadata: None,
    };
    let draft = threshold_before(db, &order, payout_draft(&order)).await?;
    let link_paid = link
        .as_ref()
        .map(|link| mark_paid_after(state, link))
        .transpose()?;
    // The payout step may have been completed since the route's guard read the flow (a
    // Continue racing this payout): checked again in the payout's own transaction.
    let flow = flow.clone();
    let after: AfterWrite<'static> = Box::new(move |conn, transfer| {
        Box::pin(async move {
            still_permits(&mut *conn, &flow, FlowAction::CreatePayout).await?;
            match link_paid {
                Some(link_paid) => link_paid(conn, transfer).await,
                None => Ok(()),
            }
        })
    });
    let made = draft.id;
    let link_id = link.as_ref().map(LinkRow::id).transpose()?;
    let written = create_transfer_then(db, draft, Some(&key), now, Some(after)).await;
    let transfer = match (written, link_id) {
        // The link's fee reserve is not what this payout read: a payout racing this one paid
        // the link, or an undone one gave part of it back.
        (Err(LedgerError::Shortfall(shortfall)), Some(link_id))
            if shortfall.account == link_hold_account(user.app_id) =>
        {
            return Err(link_changed(&mut *db.acquire().await?, link_id).await?);
        }
        (written, _) => written,
    };
    let transfer = transfer.map_err(|e| {
        e.into_error(|shortfall| {
            if shortfall.is_user() {
                above_balance(shortfall.balance)
            } else {
                // The app's side: the end user learns nothing of its wallet; the log has
                // what happened (no ids, no amounts of the user).
                tracing::warn!("a flow payout was refused: the app's wallet cannot pay its part");
                payout_unavailable()
            }
        })
    })?;
    // Another request with this key won a race: its transfer is the answer, as a replay.
    if transfer.id != made {
        replayed_in_this_flow(&mut *db.acquire().await?, transfer.id, user).await?;
    }
    Ok(transfer)
}

/// A flow payout's idempotency key: scoped to the app (where keys are kept) and the user.
fn flow_payout_key(user: &FlowUser, new: &NewFlowPayout) -> Result<IdempotencyKey, Error> {
    let scope = format!("flow-payouts:{}", user.user_id);
    IdempotencyKey::new(scope, new.idempotency_key.clone(), new)
}

/// The transfer an earlier request of this flow's session made with `new`'s key and body, if
/// any, for a retry the payout step no longer permits (the flow moved on or completed since):
/// the retry is answered its first transfer, as before. Anything else (no such request, another
/// body, another flow's transfer) is `None`, and the caller refuses as the step does.
pub(crate) async fn replayed_flow_payout(
    db: &Db,
    user: &FlowUser,
    new: &NewFlowPayout,
) -> Result<Option<Transfer>, Error> {
    let key = flow_payout_key(user, new)?;
    let mut conn = db.acquire().await?;
    let id = match key.earlier(&mut conn, user.app_id).await {
        Ok(Some(id)) => id,
        Ok(None) | Err(Error::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if !TransferRow::made_in_flow(&mut conn, id, user.flow_id).await? {
        return Ok(None);
    }
    Ok(Some(load_transfer(&mut conn, id).await?))
}

/// A flow payout's key replays only a payout of the same flow: the key is the user's across the
/// app's flows, but another flow's payout is not this session's to see (its transfers answer
/// 404 here), so the key is taken (409).
async fn replayed_in_this_flow(
    conn: &mut AnyConnection,
    id: Uuid,
    user: &FlowUser,
) -> Result<(), Error> {
    if TransferRow::made_in_flow(conn, id, user.flow_id).await? {
        Ok(())
    } else {
        Err(key_reused())
    }
}

/// The flow's 409 when the app cannot pay its part of a payout: says nothing of its wallet.
fn payout_unavailable() -> Error {
    Error::Refused(payout_model::Reason::PayoutUnavailable)
}

/// The flow's 422 for an amount above the user's withdrawable balance.
fn above_balance(withdrawable: Cents) -> Error {
    Error::broke(
        "amount",
        Rule::AtMostBalance {
            balance: withdrawable,
        },
    )
}

/// `account_id` of a host payout `new`, when it gives one.
fn account_id(new: &NewPayout) -> Option<&str> {
    new.account_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// The 422 naming `account_id` for a payout method that is not the user's.
fn not_their_method() -> Error {
    Error::invalid_field(
        "account_id",
        Rule::NotYourPayoutMethod,
        "is not a payout method of this user",
    )
}

/// Adds to `batch` the read of the payout method a host payout `new` goes to (see
/// [`host_payout_method_in`]); 422 naming `account_id` when it cannot name one.
fn push_host_payout_method(batch: &mut Batch, new: &NewPayout) -> Result<MethodAt, Error> {
    Ok(match account_id(new) {
        Some(account_id) => {
            let id = Uuid::try_parse(account_id).map_err(|_| not_their_method())?;
            MethodRow::push_find(batch, new.user_id, id)
        }
        None => MethodRow::push_for_platform(batch, new.user_id, new.platform),
    })
}

/// The payout method a host payout `new` goes to, from what [`push_host_payout_method`] read:
/// `account_id` when given (422 naming it when it is not the user's, or naming `platform` when
/// that disagrees), else the user's method on `platform` (`default`: their default method; 422
/// naming `platform` when they have none).
fn host_payout_method_in(
    new: &NewPayout,
    read: &Answers,
    at: MethodAt,
) -> Result<MethodRow, Error> {
    let found = MethodRow::found_in(read, at)?;
    if account_id(new).is_some() {
        let method = found.ok_or_else(not_their_method)?;
        if let Some(platform) = chosen_platform(new.platform) {
            let actual = method.platform()?;
            if actual != platform {
                return Err(Error::invalid_field(
                    "platform",
                    Rule::PlatformMismatch,
                    format!(
                        "is {}, but the payout method is {}",
                        platform.as_str(),
                        actual.as_str()
                    ),
                ));
            }
        }
        return Ok(method);
    }
    found.ok_or_else(|| {
        let message = match chosen_platform(new.platform) {
            Some(platform) => format!("the user has no {} payout method", platform.as_str()),
            None => "the user has no payout method".to_owned(),
        };
        Error::invalid_field("platform", Rule::NoPayoutMethod, message)
    })
}

/// A payout, its method resolved.
struct PayoutOrder<'a> {
    /// The app paying.
    pub app_id: Uuid,
    /// The user paid.
    pub user_id: Uuid,
    /// The flow it is made through, if any.
    pub flow_id: Option<Uuid>,
    /// Where the money goes.
    pub method: &'a MethodRow,
    /// The amount, fee included.
    pub amount: Cents,
    /// Who pays the fee.
    pub party: FeeParty,
    /// Whether the app first funds the user's wallet with the amount.
    pub fund: bool,
    /// What a payout link set aside for this payout's fee: the fee is paid from it first, and
    /// the rest goes back to the app (0 for any other payout).
    pub fee_reserve: Cents,
    /// Whether it does not count towards the yearly reporting threshold.
    pub tax_exempt: bool,
    /// The threshold its write checks, if it holds it.
    pub reporting_limit: Option<ReportingLimit>,
    /// The host's metadata.
    pub metadata: Option<Metadata>,
}

/// The transfer a payout writes:
///
/// 1. `fund`: app → user, the amount (`balance`);
/// 2. the fee to the app's fee account (`fee`), from the user (`user` party) or the app
///    (`platform`); a payout link's payout pays it from the link's fee reserve first
///    (`linkhold:<app id>`), and what the reserve leaves goes back to the app (`balance`);
/// 3. user → the rail (`external:<platform>`, completed) or the user's hold (ACH, pending),
///    the amount less a user-paid fee (`payout`).
fn payout_draft(order: &PayoutOrder<'_>) -> Result<TransferDraft, Error> {
    let platform = order.method.platform()?;
    let quote = PayoutQuote::new(order.amount, platform, order.party)
        .map_err(|rule| Error::broke("amount", rule))?;
    let user = user_account(order.user_id);
    let mut moves = Vec::new();
    if order.fund {
        moves.push(Move::new(
            app_account(order.app_id),
            user.clone(),
            order.amount,
            TransactionType::Balance,
        ));
    }
    let fee_payer = match quote.payout_fee_party {
        FeeParty::User => user.clone(),
        FeeParty::Platform => app_account(order.app_id),
    };
    // Undoing the payout gives each part of the fee back to where it came from: the
    // reserve's part to the link's hold, where the link keeps it for its next payout.
    let from_reserve = match quote.payout_fee_party {
        FeeParty::Platform => quote.fee.min(order.fee_reserve),
        FeeParty::User => 0,
    };
    for (payer, part) in [
        (link_hold_account(order.app_id), from_reserve),
        (fee_payer, quote.fee - from_reserve),
    ] {
        if part > 0 {
            moves.push(Move::new(
                payer,
                fees_account(order.app_id),
                part,
                TransactionType::Fee,
            ));
        }
    }
    let surplus = order.fee_reserve - from_reserve;
    if surplus > 0 {
        moves.push(Move::new(
            link_hold_account(order.app_id),
            app_account(order.app_id),
            surplus,
            TransactionType::Balance,
        ));
    }
    let (rail, rests_at) = if completes_at_once(platform) {
        (rail_account(platform), TransferStatus::Completed)
    } else {
        (hold_account(order.user_id), TransferStatus::Pending)
    };
    moves.push(Move::new(
        user,
        rail,
        quote.net_amount,
        TransactionType::Payout,
    ));
    Ok(TransferDraft {
        id: crate::db::row_id(),
        app_id: order.app_id,
        user_id: Some(order.user_id),
        flow_id: order.flow_id,
        kind: TransferType::Payout,
        amount: order.amount,
        statuses: vec![TransferStatus::Created, rests_at],
        moves,
        external_data: ExternalData {
            account_id: Some(order.method.id()?.to_string()),
            external_id: Some(format!("sbx_{}", random_alphanumeric(24))),
            platform: Some(platform),
            fee: Some(quote.fee),
            payout_fee_party: Some(quote.payout_fee_party),
            net_amount: Some(quote.net_amount),
        },
        metadata: order.metadata.clone().filter(|m| !m.is_null()),
        tax_exempt: order.tax_exempt,
        reporting_limit: order.reporting_limit,
    })
}

/// `drafted` ([`payout_draft`]), unless it is refused and `order` is past its reporting
/// threshold: then the threshold's refusal, which the rules give first (the ledger checks the
/// threshold where it writes the payout, which a refused draft never reaches). The user's
/// reportable payouts are read only then.
async fn threshold_before(
    db: &Db,
    order: &PayoutOrder<'_>,
    drafted: Result<TransferDraft, Error>,
) -> Result<TransferDraft, Error> {
    let (Err(_), Some(limit)) = (&drafted, order.reporting_limit) else {
        return drafted;
    };
    let mut conn = db.acquire().await?;
    let mut reads = Batch::new(&conn);
    let paid = push_reportable_payouts(&mut reads, order.app_id, order.user_id, limit.since);
    let paid = reads.run(&mut conn).await?.value::<i64>(paid)?.unwrap_or(0);
    if paid.saturating_add(order.amount) > limit.threshold {
        return Err(Error::broke(
            limit.field,
            Rule::ComplianceRequired {
                threshold: limit.threshold,
            },
        ));
    }
    drafted
}

/// The reporting threshold (issue 11): a payout that would take a user's reportable payouts
/// from the app this calendar year (UTC) past the app's threshold while no compliance (W-9 or
/// W-8BEN) is on file is refused, 422 `compliance_required` naming the amount's field. A
/// `tax_exempt` payout neither counts nor is refused; one that reaches the threshold exactly is
/// not past it.
///
/// The reads a payout needs, added to its [`Batch`] as values read together: the app's threshold
/// and whether the user's compliance is on file. A payout without tax data on file carries a
/// [`ReportingLimit`], and the ledger sums the user's reportable payouts this year where it
/// writes the payout (after the user's wallet is locked, so payouts asked for at once cannot
/// together pass the threshold) and refuses it there, before its balances are checked. The
/// sum is not read before the write too (stop 42, issue 10: that cost every payout a scan of
/// the user's payouts for an answer the write gives anyway), but for a payout whose draft is
/// refused ([`threshold_before`]), which never reaches the write.
/// [`compliance_due`], which writes nothing, reads the sum with them
/// ([`ReportingReads::push_with_paid`]).
pub(crate) struct ReportingReads {
    amount: Cents,
    since: DateTime<Utc>,
    threshold: ValueAt,
    paid: Option<ValueAt>,
    compliance: ValueAt,
}

impl ReportingReads {
    /// Adds `order`'s reads to `batch`; `None` for a `tax_exempt` payout, which reads nothing.
    pub(crate) fn push(batch: &mut Batch, order: &ReportableOrder) -> Result<Option<Self>, Error> {
        Self::push_reads(batch, order, false)
    }

    /// [`ReportingReads::push`], with the user's reportable payouts this year.
    fn push_with_paid(batch: &mut Batch, order: &ReportableOrder) -> Result<Option<Self>, Error> {
        Self::push_reads(batch, order, true)
    }

    fn push_reads(
        batch: &mut Batch,
        order: &ReportableOrder,
        with_paid: bool,
    ) -> Result<Option<Self>, Error> {
        if order.tax_exempt {
            return Ok(None);
        }
        let year_start = order
            .now
            .date_naive()
            .with_ordinal(1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| Error::Internal("no start of the year".to_owned()))?;
        Ok(Some(ReportingReads {
            amount: order.amount,
            since: year_start,
            threshold: push_reporting_threshold(batch, order.app_id),
            paid: with_paid
                .then(|| push_reportable_payouts(batch, order.app_id, order.user_id, year_start)),
            compliance: push_has_compliance(batch, order.user_id),
        }))
    }

    /// From what the batch `read`: the limit the payout's write checks, its refusal naming
    /// `field`, when no tax data is on file (`None` when it is).
    pub(crate) fn limit(
        &self,
        read: &Answers,
        field: &'static str,
    ) -> Result<Option<ReportingLimit>, Error> {
        if read.value::<String>(self.compliance)?.is_some() {
            return Ok(None);
        }
        Ok(Some(ReportingLimit {
            since: self.since,
            threshold: read
                .value::<i64>(self.threshold)?
                .unwrap_or(DEFAULT_REPORTING_THRESHOLD),
            field,
        }))
    }

    /// From what the batch `read`: the threshold the payout would cross while no compliance is
    /// on file, or `None` when it may go ahead.
    fn needs_compliance(&self, read: &Answers) -> Result<Option<Cents>, Error> {
        let threshold = read
            .value::<i64>(self.threshold)?
            .unwrap_or(DEFAULT_REPORTING_THRESHOLD);
        let paid = match self.paid {
            Some(at) => read.value::<i64>(at)?.unwrap_or(0),
            None => {
                return Err(Error::Internal(
                    "the reportable payouts were not read".to_owned(),
                ))
            }
        };
        let crosses = paid.saturating_add(self.amount) > threshold;
        let on_file = read.value::<String>(self.compliance)?.is_some();
        Ok((crosses && !on_file).then_some(threshold))
    }
}

/// Whether the signed-in user of `flow` (a flow of app `app_id`) must give tax data before its
/// payout step at `now` (issue 11, [`FlowState::compliance_due`]): the most that step can pay
/// (a payout link's amount, else the user's withdrawable balance) would take their reportable
/// payouts from the app this year past its threshold, and no compliance is on file. A flow
/// that cannot need it ([`FlowState::may_need_compliance`]) reads nothing.
pub(crate) async fn compliance_due(
    db: &Db,
    app_id: Uuid,
    flow: &FlowState,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let Some(user_id) = flow.user_id.filter(|_| flow.may_need_compliance()) else {
        return Ok(false);
    };
    let (amount, tax_exempt) = match claimed_link(db, flow.id, user_id).await? {
        // A paid link's payout already counts among the year's reportable payouts, and its
        // step pays nothing more: counted again, a link over half the threshold asked for tax
        // data after it was paid, and its flow could not finish without it.
        Some(link) if link.status()? == PayoutLinkStatus::Paid => return Ok(false),
        Some(link) => (link.amount, link.tax_exempt()),
        None => {
            let mut conn = db.acquire().await?;
            (
                user_wallet(&mut conn, user_id).await?.withdrawable_amount,
                false,
            )
        }
    };
    if amount <= 0 {
        return Ok(false);
    }
    let order = ReportableOrder {
        app_id,
        user_id,
        amount,
        tax_exempt,
        now,
    };
    let mut conn = db.acquire().await?;
    let mut reads = Batch::new(&conn);
    let Some(reporting) = ReportingReads::push_with_paid(&mut reads, &order)? else {
        return Ok(false);
    };
    let read = reads.run(&mut conn).await?;
    Ok(reporting.needs_compliance(&read)?.is_some())
}

/// A payout as the reporting threshold sees it.
pub(crate) struct ReportableOrder {
    /// The app paying.
    pub app_id: Uuid,
    /// The user paid.
    pub user_id: Uuid,
    /// The amount, in cents.
    pub amount: Cents,
    /// Whether it does not count.
    pub tax_exempt: bool,
    /// When it is made.
    pub now: DateTime<Utc>,
}
