//! Payouts (seed 004, "Create Payout"; issue 4): the one engine behind the host's and the
//! flow's payout routes: which payout method a host payout goes to ([`host_payout_method`]) and
//! the transfer a payout writes ([`payout_draft`], then [`crate::ledger::create_transfer`]).
//!
//! The sandbox rails: PayPal, Venmo and Cash App payouts complete at once (user → `external:
//! <platform>`); ACH payouts go `pending` with the money in the user's hold until the sandbox's
//! simulate endpoint completes or fails them. The fee
//! ([`PayoutPlatform::fee`](payout_model::money::PayoutPlatform::fee)) is charged at creation, to
//! the app's wallet (`platform`, the default) or out of the amount (`user`).

use crate::error::Error;
use crate::ledger::{
    app_account, fees_account, hold_account, rail_account, user_account, Move, TransferDraft,
};
use crate::secret::random_alphanumeric;
use crate::store::payout_methods::{chosen_platform, MethodRow};
use payout_model::money::{
    Cents, ExternalData, FeeParty, NewPayout, PayoutQuote, TransactionType, TransferStatus,
    TransferType,
};
use payout_model::Metadata;
use sqlx::AnyConnection;
use uuid::Uuid;

/// The payout method a host payout `new` goes to: `account_id` when given (422 naming it when it
/// is not the user's, or naming `platform` when that disagrees), else the user's method on
/// `platform` (`default`: their default method; 422 naming `platform` when they have none).
pub(crate) async fn host_payout_method(
    conn: &mut AnyConnection,
    new: &NewPayout,
) -> Result<MethodRow, Error> {
    let account_id = new
        .account_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    Ok(match account_id {
        Some(account_id) => {
            let not_theirs =
                || Error::invalid_field("account_id", "is not a payout method of this user");
            let id = Uuid::try_parse(account_id).map_err(|_| not_theirs())?;
            let method = MethodRow::find(conn, new.user_id, id)
                .await?
                .ok_or_else(not_theirs)?;
            if let Some(platform) = chosen_platform(new.platform) {
                let actual = method.platform()?;
                if actual != platform {
                    return Err(Error::invalid_field(
                        "platform",
                        format!(
                            "is {}, but the payout method is {}",
                            platform.as_str(),
                            actual.as_str()
                        ),
                    ));
                }
            }
            method
        }
        None => MethodRow::for_platform(conn, new.user_id, new.platform)
            .await?
            .ok_or_else(|| {
                let message = match chosen_platform(new.platform) {
                    Some(platform) => {
                        format!("the user has no {} payout method", platform.as_str())
                    }
                    None => "the user has no payout method".to_owned(),
                };
                Error::invalid_field("platform", message)
            })?,
    })
}

/// A payout, its method resolved.
pub(crate) struct PayoutOrder<'a> {
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
    /// The host's metadata.
    pub metadata: Option<Metadata>,
}

/// The transfer a payout writes:
///
/// 1. `fund`: app → user, the amount (`balance`);
/// 2. the fee to the app's fee account (`fee`), from the user (`user` party) or the app
///    (`platform`);
/// 3. user → the rail (`external:<platform>`, completed) or the user's hold (ACH, pending),
///    the amount less a user-paid fee (`payout`).
pub(crate) fn payout_draft(order: PayoutOrder<'_>) -> Result<TransferDraft, Error> {
    let platform = order.method.platform()?;
    let quote = PayoutQuote::new(order.amount, platform, order.party)
        .map_err(|message| Error::invalid_field("amount", message))?;
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
    if quote.fee > 0 {
        moves.push(Move::new(
            fee_payer,
            fees_account(order.app_id),
            quote.fee,
            TransactionType::Fee,
        ));
    }
    let (rail, rests_at) = if platform.completes_at_once() {
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
        id: Uuid::new_v4(),
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
        metadata: order.metadata.filter(|m| !m.is_null()),
    })
}
