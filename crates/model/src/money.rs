//! Money on the wire (seeds 001 and 004): wallets, transfers and their transactions, the
//! transfer lifecycle, payout methods, payouts and the sandbox fee schedule. Amounts are integer
//! cents everywhere ([`Cents`]); there are no floats in this module.

use crate::flow::{check_metadata, Metadata};
use crate::rule::{Invalid, Rule, Validate};
use crate::wire_names::deserialize_by_name;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An amount of US cents. Signed: a transfer's amount is negative when money moves from the
/// app to the user (seed 004, "Create Fund Transfer").
pub type Cents = i64;

/// Largest single amount accepted: $1,000,000.00.
pub const MAX_AMOUNT: Cents = 100_000_000;

/// A wallet's balance (`GET /api/v2/wallet`, `GET /api/v2/users/{id}/wallet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wallet {
    /// Everything the wallet holds, including money reserved by payouts still pending.
    pub amount: Cents,
    /// What can be paid out or moved now: `amount` less pending payouts.
    pub withdrawable_amount: Cents,
}

/// The smallest payout a flow may make unless the app sets another (issue 8): one-cent payouts
/// would let fees drain the app's wallet.
pub const DEFAULT_MIN_FLOW_PAYOUT: Cents = 100;

/// The yearly US reporting threshold an app has unless it sets another: $600.00 (the 1099
/// threshold; issue 11).
pub const DEFAULT_REPORTING_THRESHOLD: Cents = 60_000;

/// The signed-in user's wallet as the payout step reads it (`GET /api/flow/wallet`): the
/// [`Wallet`] fields, plus what the step needs to offer a payout. Flow-facing only, not a Dots
/// shape.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowWallet {
    /// Everything the wallet holds, including money reserved by payouts still pending.
    pub amount: Cents,
    /// What can be paid out now.
    pub withdrawable_amount: Cents,
    /// The smallest payout this flow accepts (the app's setting, [`DEFAULT_MIN_FLOW_PAYOUT`]
    /// unless changed).
    pub minimum_payout: Cents,
    /// Why the user cannot pay out through the flow at all, if they cannot.
    pub payout_block: Option<PayoutBlock>,
    /// In a payout link's flow, for its claimant: the link's amount, who it is from and its
    /// memo; the payout pays exactly that amount (issue 11). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_link: Option<crate::payout_link::LinkOffer>,
    /// The latest payout the user made through this flow, unless it failed, was canceled or
    /// was reversed: the step's work is done, and the step shows its status and Continue
    /// rather than the form (after a reload, or a new session, before Continue). Absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout: Option<Transfer>,
}

/// Why a user cannot pay out through a flow. Says nothing of the details: the step shows a
/// generic explanation and tells the host (`error` window message with code `payout_blocked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutBlock {
    /// The user's background check failed (`has_criminal_activity`); only the host may pay them.
    BackgroundCheck,
}

/// Where a transfer is in its lifecycle (seed 001's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Created, not yet processed.
    Created,
    /// Held for review.
    Flagged,
    /// Being processed; money is reserved.
    Pending,
    /// Done.
    Completed,
    /// Could not be processed; the payout's money went back to the user's wallet (a `fund`
    /// stays there) and its fee to whoever paid it.
    Failed,
    /// Undone after completion; the money went back as for `failed`.
    Reversed,
    /// Stopped before completion; the money went back as for `failed`.
    Canceled,
}

impl TransferStatus {
    /// The wire name, as serde writes it (`created`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Created => "created",
            TransferStatus::Flagged => "flagged",
            TransferStatus::Pending => "pending",
            TransferStatus::Completed => "completed",
            TransferStatus::Failed => "failed",
            TransferStatus::Reversed => "reversed",
            TransferStatus::Canceled => "canceled",
        }
    }

    /// Whether no further change can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TransferStatus::Completed
                | TransferStatus::Failed
                | TransferStatus::Reversed
                | TransferStatus::Canceled
        )
    }

    /// Whether a transfer may move from `self` to `to`. `Completed` may only be `Reversed`.
    pub fn can_become(self, to: TransferStatus) -> bool {
        use TransferStatus::*;
        match self {
            Created => matches!(to, Flagged | Pending | Completed | Failed | Canceled),
            Flagged => matches!(to, Pending | Completed | Failed | Canceled),
            Pending => matches!(to, Completed | Failed | Canceled),
            Completed => to == Reversed,
            Failed | Reversed | Canceled => false,
        }
    }

    /// Whether a transfer at `self` may be at `to` later: one or more moves
    /// ([`Self::can_become`]) away. (Two reads of a transfer a few seconds apart may skip a
    /// status: pending, then reversed after it completed.)
    pub fn can_reach(self, to: TransferStatus) -> bool {
        use TransferStatus::*;
        let all = [
            Created, Flagged, Pending, Completed, Failed, Reversed, Canceled,
        ];
        let mut reached = vec![self];
        let mut next = 0;
        while let Some(&from) = reached.get(next) {
            for status in all {
                if from.can_become(status) && !reached.contains(&status) {
                    reached.push(status);
                }
            }
            next += 1;
        }
        reached[1..].contains(&to)
    }
}

deserialize_by_name!(TransferStatus: Created, Flagged, Pending, Completed, Failed, Reversed, Canceled);

/// What kind of transfer (seed 001, "Transfer Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferType {
    /// Between the app's wallet and a user's wallet.
    Balance,
    /// From a user's wallet to their external account.
    Payout,
    /// From an external bank account into the app's wallet.
    Refill,
}

impl TransferType {
    /// The wire name, as serde writes it (`balance`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferType::Balance => "balance",
            TransferType::Payout => "payout",
            TransferType::Refill => "refill",
        }
    }
}

deserialize_by_name!(TransferType: Balance, Payout, Refill);

/// What one transaction records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransactionType {
    /// A move between two wallets.
    Balance,
    /// Money leaving for an external payout account.
    Payout,
    /// A payout fee.
    Fee,
    /// Money arriving from an external bank account.
    Refill,
    /// Money going back where it came from after a failure, reversal or cancellation.
    Return,
}

impl TransactionType {
    /// The wire name, as serde writes it (`balance`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TransactionType::Balance => "balance",
            TransactionType::Payout => "payout",
            TransactionType::Fee => "fee",
            TransactionType::Refill => "refill",
            TransactionType::Return => "return",
        }
    }
}

deserialize_by_name!(TransactionType: Balance, Payout, Fee, Refill, Return);

/// One status change of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    /// The status entered.
    pub status: TransferStatus,
    /// When.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub timestamp: DateTime<Utc>,
}

/// One ledger entry: `amount` cents moved from `source_name` to `destination_name`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transaction {
    /// Ledger sequence number.
    pub id: i64,
    /// Cents moved; always positive.
    pub amount: Cents,
    /// When it was written.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// The wallet or account the money left.
    pub source_name: String,
    /// The wallet or account the money reached.
    pub destination_name: String,
    /// What it records.
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// Host data of the transfer, repeated.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
}

/// Payout rail details of a payout transfer (seed 004's `external_data`); empty otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExternalData {
    /// The payout method used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The rail's own reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The rail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PayoutPlatform>,
    /// Fee charged, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Cents>,
    /// Who paid the fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_fee_party: Option<FeeParty>,
    /// What reached the user's external account, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Cents>,
}

/// A transfer (seed 004 "Create Fund Transfer Response"; also the response of a payout).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    /// ID of the transfer.
    pub id: Uuid,
    /// When it was created.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
    /// The user involved, if any.
    pub user_id: Option<Uuid>,
    /// Cents: negative from the app to the user, positive from the user to the app; a payout's
    /// amount is what left the user's wallet. A transfer without a user (a payout link's money
    /// set aside, or returned) is signed as the app's wallet sees it: negative leaves it.
    pub amount: Cents,
    /// Current status.
    pub status: TransferStatus,
    /// Every status entered, oldest first.
    pub status_history: Vec<StatusChange>,
    /// The ledger entries, oldest first.
    pub transactions: Vec<Transaction>,
    /// What kind of transfer.
    #[serde(rename = "type")]
    pub kind: TransferType,
    /// Payout rail details.
    pub external_data: ExternalData,
    /// Host data.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
}

/// A page of transfers (`GET /api/v2/transfers`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferList {
    /// Newest first.
    pub data: Vec<Transfer>,
    /// Whether more lie beyond this page in the direction asked.
    pub has_more: bool,
}

/// `POST /api/v2/transfers` body (seed 004).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTransfer {
    /// Cents; negative moves money from the app to the user, positive from the user to the app.
    pub amount: Cents,
    /// The user.
    pub user_id: Uuid,
    /// Host data.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Makes a retried request return the first transfer.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl Validate for NewTransfer {
    /// A non-zero amount within [`MAX_AMOUNT`], sane metadata and key.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if self.amount == 0 {
            errors.add("amount", Rule::NonZero);
        } else if self.amount.unsigned_abs() > MAX_AMOUNT.unsigned_abs() {
            errors.add("amount", Rule::MaxCentsEitherWay { max: MAX_AMOUNT });
        }
        check_metadata(&self.metadata, &mut errors);
        check_idempotency_key(&self.idempotency_key, &mut errors);
        errors.finish()
    }
}

/// `POST /api/v2/sandbox/refills` body: money from an external bank into the app's wallet.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRefill {
    /// Cents, positive.
    pub amount: Cents,
    /// Host data.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
}

impl Validate for NewRefill {
    /// A positive amount within [`MAX_AMOUNT`].
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_positive_amount(self.amount) {
            errors.add("amount", m);
        }
        check_metadata(&self.metadata, &mut errors);
        errors.finish()
    }
}

/// `POST /api/v2/sandbox/transfers/{id}/simulate` body: moves a sandbox transfer along its
/// lifecycle (ACH payouts stay `pending` until this is called).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimulateTransfer {
    /// The status to enter: `flagged`, `pending`, `completed`, `failed`, `reversed`, `canceled`.
    pub status: TransferStatus,
}

/// A payout rail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutPlatform {
    /// US bank account by ACH.
    Ach,
    /// PayPal, by email.
    Paypal,
    /// Venmo, by phone number or handle.
    Venmo,
    /// Cash App, by cashtag.
    CashApp,
}

impl PayoutPlatform {
    /// Every rail.
    pub const ALL: [PayoutPlatform; 4] = [
        PayoutPlatform::Ach,
        PayoutPlatform::Paypal,
        PayoutPlatform::Venmo,
        PayoutPlatform::CashApp,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PayoutPlatform::Ach => "ach",
            PayoutPlatform::Paypal => "paypal",
            PayoutPlatform::Venmo => "venmo",
            PayoutPlatform::CashApp => "cash_app",
        }
    }

    /// The sandbox fee for paying out `amount` cents on this rail, rounded up to a whole cent:
    /// ACH 25¢ flat; PayPal and Venmo 2% (at least 25¢, at most $20.00); Cash App 1.5% (at
    /// least 25¢, at most $15.00). Documented in the README; both sides compute it here.
    /// Defined for every `amount`, `i64::MAX` included: the arithmetic never overflows.
    pub fn fee(self, amount: Cents) -> Cents {
        let percent = |basis_points: i128, max: Cents| {
            let fee = (i128::from(amount.max(0)) * basis_points + 9_999) / 10_000;
            Cents::try_from(fee.min(i128::from(max))).map_or(max, |fee| fee.max(LEAST_FEE))
        };
        match self {
            PayoutPlatform::Ach => LEAST_FEE,
            PayoutPlatform::Paypal | PayoutPlatform::Venmo => percent(200, 2_000),
            PayoutPlatform::CashApp => percent(150, 1_500),
        }
    }
}

deserialize_by_name!(PayoutPlatform: Ach, Paypal, Venmo, CashApp);

/// The smallest fee of any rail, in cents ([`PayoutPlatform::fee`]): a payout whose user pays
/// the fee must be more than this.
pub const LEAST_FEE: Cents = 25;

/// The rail asked for in a payout: one of [`PayoutPlatform`] or the user's `default` method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlatformChoice {
    /// The user's default payout method.
    Default,
    /// See [`PayoutPlatform::Ach`].
    Ach,
    /// See [`PayoutPlatform::Paypal`].
    Paypal,
    /// See [`PayoutPlatform::Venmo`].
    Venmo,
    /// See [`PayoutPlatform::CashApp`].
    CashApp,
}

/// Who pays a payout's fee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeeParty {
    /// The app's wallet pays the fee; the user receives the whole amount.
    #[default]
    Platform,
    /// The fee comes out of the amount; the user receives the rest.
    User,
}

impl FeeParty {
    /// The wire name, as serde writes it (`platform`).
    pub const fn as_str(self) -> &'static str {
        match self {
            FeeParty::Platform => "platform",
            FeeParty::User => "user",
        }
    }
}

deserialize_by_name!(FeeParty: Platform, User);

/// A bank account type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// Checking.
    Checking,
    /// Savings.
    Savings,
}

impl AccountType {
    /// The wire name, as serde writes it (`checking`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountType::Checking => "checking",
            AccountType::Savings => "savings",
        }
    }
}

deserialize_by_name!(AccountType: Checking, Savings);

/// A US bank account as entered (for ACH payouts and for pay-ins).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBankAccount {
    /// Nine-digit ABA routing number; its checksum is verified.
    pub routing_number: String,
    /// 4 to 17 digits.
    pub account_number: String,
    /// Checking or savings.
    pub account_type: AccountType,
}

impl NewBankAccount {
    /// Checks each field into `errors`, under `prefix` (`""` or `"ach."`).
    pub fn check(&self, prefix: &str, errors: &mut Invalid) {
        if let Err(m) = check_routing_number(&self.routing_number) {
            errors.add(format!("{prefix}routing_number"), m);
        }
        if let Err(m) = check_account_number(&self.account_number) {
            errors.add(format!("{prefix}account_number"), m);
        }
    }
}

impl Validate for NewBankAccount {
    /// Every field checked.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        self.check("", &mut errors);
        errors.finish()
    }
}

/// A bank account as returned: the account number masked to its last four digits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankAccount {
    /// ID of the account.
    pub id: Uuid,
    /// Routing number (public information).
    pub routing_number: String,
    /// Last four digits of the account number.
    pub account_number_last4: String,
    /// Checking or savings.
    pub account_type: AccountType,
    /// When it was connected.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
}

/// A user's bank accounts: `{"data": [BankAccount]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankAccountList {
    /// Oldest first.
    pub data: Vec<BankAccount>,
}

/// `POST …/payout-methods` body: the rail and its details. Read through
/// [`PayoutMethodFields`], so a wrongly typed field is named by its path.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "platform",
    rename_all = "snake_case",
    try_from = "PayoutMethodFields"
)]
pub enum NewPayoutMethod {
    /// A US bank account.
    Ach {
        /// Nine-digit ABA routing number.
        routing_number: String,
        /// 4 to 17 digits.
        account_number: String,
        /// Checking or savings.
        account_type: AccountType,
    },
    /// A PayPal account.
    Paypal {
        /// The PayPal email.
        email: String,
    },
    /// A Venmo account.
    Venmo {
        /// `@handle` or a 10-digit US phone number.
        handle: String,
    },
    /// A Cash App account.
    CashApp {
        /// `$cashtag`.
        cashtag: String,
    },
}

/// A payout method's fields as sent, whatever its rail, each read as itself: serde reads an
/// internally tagged enum from a buffered copy, whose errors name no field (`{"platform":
/// "paypal", "email": 7}` was "invalid type" at the body). The rail's fields are then required
/// by [`NewPayoutMethod`]'s `TryFrom`, which names a missing one as serde does
/// (`missing field `email``), null as missing. Fields of other rails are not used, but one
/// sent must still have its type (`"handle": 7` beside a PayPal email is refused, naming it).
#[derive(Deserialize)]
pub struct PayoutMethodFields {
    platform: PayoutPlatform,
    routing_number: Option<String>,
    account_number: Option<String>,
    account_type: Option<AccountType>,
    email: Option<String>,
    handle: Option<String>,
    cashtag: Option<String>,
}

/// `value`, or serde's words for a missing field `name`.
fn required<T>(value: Option<T>, name: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{name}`"))
}

impl TryFrom<PayoutMethodFields> for NewPayoutMethod {
    type Error = String;

    fn try_from(f: PayoutMethodFields) -> Result<Self, String> {
        Ok(match f.platform {
            PayoutPlatform::Ach => NewPayoutMethod::Ach {
                routing_number: required(f.routing_number, "routing_number")?,
                account_number: required(f.account_number, "account_number")?,
                account_type: required(f.account_type, "account_type")?,
            },
            PayoutPlatform::Paypal => NewPayoutMethod::Paypal {
                email: required(f.email, "email")?,
            },
            PayoutPlatform::Venmo => NewPayoutMethod::Venmo {
                handle: required(f.handle, "handle")?,
            },
            PayoutPlatform::CashApp => NewPayoutMethod::CashApp {
                cashtag: required(f.cashtag, "cashtag")?,
            },
        })
    }
}

impl NewPayoutMethod {
    /// The rail.
    pub fn platform(&self) -> PayoutPlatform {
        match self {
            NewPayoutMethod::Ach { .. } => PayoutPlatform::Ach,
            NewPayoutMethod::Paypal { .. } => PayoutPlatform::Paypal,
            NewPayoutMethod::Venmo { .. } => PayoutPlatform::Venmo,
            NewPayoutMethod::CashApp { .. } => PayoutPlatform::CashApp,
        }
    }

    /// What identifies the method to its owner, secrets masked, as [`PayoutMethod::account`]
    /// carries it: `ada@example.com`, `@ada`, `(415) 555-0123` (a Venmo phone stored as
    /// digits), `$ada`, or `••••6789` for a bank account.
    pub fn account_shown(&self) -> String {
        match self {
            NewPayoutMethod::Ach { account_number, .. } => {
                format!("••••{}", crate::last4(account_number))
            }
            NewPayoutMethod::Paypal { email } => email.clone(),
            NewPayoutMethod::Venmo { handle }
                if handle.len() == 10 && handle.bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("({}) {}-{}", &handle[..3], &handle[3..6], &handle[6..])
            }
            NewPayoutMethod::Venmo { handle } => handle.clone(),
            NewPayoutMethod::CashApp { cashtag } => cashtag.clone(),
        }
    }

    /// A bank account's type; `None` for the other rails.
    pub fn account_type(&self) -> Option<AccountType> {
        match self {
            NewPayoutMethod::Ach { account_type, .. } => Some(*account_type),
            _ => None,
        }
    }
}

impl Validate for NewPayoutMethod {
    /// Every field checked; errors name the field (`routing_number`, `email`, …).
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        match self {
            NewPayoutMethod::Ach {
                routing_number,
                account_number,
                account_type,
            } => NewBankAccount {
                routing_number: routing_number.clone(),
                account_number: account_number.clone(),
                account_type: *account_type,
            }
            .check("", &mut errors),
            NewPayoutMethod::Paypal { email } => {
                if let Err(m) = crate::user::check_email(email) {
                    errors.add("email", m);
                }
            }
            NewPayoutMethod::Venmo { handle } => {
                if let Err(m) = check_venmo(handle) {
                    errors.add("handle", m);
                }
            }
            NewPayoutMethod::CashApp { cashtag } => {
                if let Err(m) = check_cashtag(cashtag) {
                    errors.add("cashtag", m);
                }
            }
        }
        errors.finish()
    }
}

/// A payout method as returned: what identifies it to the user, secrets masked.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutMethod {
    /// ID of the method (a payout's `account_id`).
    pub id: Uuid,
    /// The rail.
    pub platform: PayoutPlatform,
    /// Whether payouts with `platform: "default"` use it.
    pub default: bool,
    /// An English label (`PayPal · ada@example.com`, `ACH · checking ••••6789`), kept for
    /// hosts that show it; the app words the method itself from `platform`, `account` and
    /// `account_type`, in the user's language (issue 9).
    pub label: String,
    /// What identifies the method to its owner, secrets masked: `ada@example.com`, `@ada`,
    /// `(415) 555-0123`, `$ada`, `••••6789` ([`NewPayoutMethod::account_shown`]).
    #[serde(default)]
    pub account: String,
    /// A bank account's type (`checking`, `savings`); absent for the other rails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
    /// When it was added.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created: DateTime<Utc>,
}

/// The user's payout methods.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutMethodList {
    /// Oldest first.
    pub data: Vec<PayoutMethod>,
}

/// `POST /api/v2/payouts` body (seed 004).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPayout {
    /// The user paid.
    pub user_id: Uuid,
    /// Cents to take from the user's wallet; at least 1.
    pub amount: Cents,
    /// The rail, or `default` for the user's default method.
    pub platform: PlatformChoice,
    /// A specific payout method of the user (its `id`); else the user's method on `platform`.
    #[serde(default)]
    pub account_id: Option<String>,
    /// First move `amount` from the app's wallet to the user's.
    #[serde(default)]
    pub fund: bool,
    /// Not counted towards the 1099 threshold.
    #[serde(default)]
    pub tax_exempt: bool,
    /// Makes a retried request return the first payout, never a second one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Host data.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata_schema))]
    pub metadata: Option<Metadata>,
    /// Who pays the fee; the app's `payout_fee_party` (`GET /api/v2/app`) when absent.
    #[serde(default)]
    pub payout_fee_party: Option<FeeParty>,
}

impl Validate for NewPayout {
    /// A positive amount, a sane key and metadata.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if let Err(m) = check_positive_amount(self.amount) {
            errors.add("amount", m);
        }
        check_idempotency_key(&self.idempotency_key, &mut errors);
        check_metadata(&self.metadata, &mut errors);
        errors.finish()
    }
}

/// The flow app's payout request (`POST /api/flow/payouts`): the signed-in user pays out.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewFlowPayout {
    /// Cents to take from the wallet; at least 1, at most the withdrawable balance.
    pub amount: Cents,
    /// The payout method to use.
    pub payout_method_id: Uuid,
    /// One key per payout attempt, kept across retries and reloads.
    pub idempotency_key: String,
}

impl Validate for NewFlowPayout {
    /// A positive amount (the balance and the flow's minimum are checked by the server) and a
    /// usable key.
    fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        errors.check("amount", check_positive_amount(self.amount));
        errors.check("idempotency_key", check_key(&self.idempotency_key));
        errors.finish()
    }
}

/// What a payout of `amount` costs and delivers, for the confirmation screen and the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutQuote {
    /// Cents leaving the user's wallet.
    pub amount: Cents,
    /// The fee.
    pub fee: Cents,
    /// Who pays it.
    pub payout_fee_party: FeeParty,
    /// Cents reaching the user's external account.
    pub net_amount: Cents,
}

impl PayoutQuote {
    /// Quotes `amount` on `platform` with the fee paid by `party`. `Err` when the user would
    /// pay a fee as large as the amount.
    pub fn new(amount: Cents, platform: PayoutPlatform, party: FeeParty) -> Result<Self, Rule> {
        let fee = platform.fee(amount);
        let net_amount = match party {
            FeeParty::Platform => amount,
            FeeParty::User => amount.checked_sub(fee).unwrap_or(0),
        };
        if net_amount <= 0 {
            return Err(Rule::MoreThanFee { fee });
        }
        Ok(Self {
            amount,
            fee,
            payout_fee_party: party,
            net_amount,
        })
    }
}

/// `$1,234.56` for 123456 cents (`-$0.05` for -5).
pub fn format_cents(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let dollars = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", abs % 100)
}

/// Parses what a person types as dollars (`12`, `12.5`, `$1,234.56`) into cents; at most two
/// decimals, never through floats. A comma groups thousands (`1,234`), but a single comma with
/// one or two digits after it and no dot is a decimal comma (`12,5`, `12,34`: what a phone's
/// decimal key types where the comma is the decimal mark, so there may be no dot to type);
/// anything else with commas (`1,23,456`, `1,2345`) is refused rather than guessed at.
pub fn parse_dollars(input: &str) -> Result<Cents, Rule> {
    let bad = || Err(Rule::AmountFormat);
    let typed = input.trim().trim_start_matches('$');
    let decimal_comma = !typed.contains('.')
        && typed.matches(',').count() == 1
        && typed.rsplit_once(',').is_some_and(|(_, frac)| {
            (1..=2).contains(&frac.len()) && frac.chars().all(|c| c.is_ascii_digit())
        });
    let typed = if decimal_comma {
        std::borrow::Cow::Owned(typed.replacen(',', ".", 1))
    } else {
        std::borrow::Cow::Borrowed(typed)
    };
    let typed = typed.as_ref();
    let whole_typed = typed.split_once('.').map_or(typed, |(whole, _)| whole);
    if whole_typed.contains(',') {
        let mut groups = whole_typed.split(',');
        let first = groups.next().unwrap_or_default();
        // A leading group of `0` is no grouping (`0,125` is not 125 dollars).
        if first.is_empty()
            || first.len() > 3
            || first.starts_with('0')
            || groups.any(|g| g.len() != 3)
        {
            return bad();
        }
    }
    if typed
        .split_once('.')
        .is_some_and(|(_, frac)| frac.contains(','))
    {
        return bad();
    }
    let s: String = typed.chars().filter(|c| *c != ',').collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return bad();
    }
    if frac.len() > 2 {
        return Err(Rule::TwoDecimals);
    }
    if whole.len() > 9 {
        return Err(Rule::AtMostAmount { max: MAX_AMOUNT });
    }
    let whole: Cents = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| Rule::AmountFormat)?
    };
    let frac: Cents = format!("{frac:0<2}").parse().unwrap_or(0);
    Ok(whole * 100 + frac)
}

/// At least 1 cent and at most [`MAX_AMOUNT`].
pub fn check_positive_amount(amount: Cents) -> Result<(), Rule> {
    if amount < 1 {
        Err(Rule::AtLeastOneCent)
    } else if amount > MAX_AMOUNT {
        Err(Rule::MaxCents { max: MAX_AMOUNT })
    } else {
        Ok(())
    }
}

fn check_idempotency_key(key: &Option<String>, errors: &mut Invalid) {
    if let Some(key) = key {
        errors.check("idempotency_key", check_key(key));
    }
}

/// An idempotency key: 1 to 255 bytes, no control characters.
pub fn check_key(key: &str) -> Result<(), Rule> {
    if key.is_empty() || key.len() > 255 || key.chars().any(char::is_control) {
        Err(Rule::IdempotencyKey)
    } else {
        Ok(())
    }
}

/// A nine-digit ABA routing number whose checksum holds:
/// 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
pub fn check_routing_number(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if v.len() != 9 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rule::Digits { count: 9 });
    }
    let d: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
    if !sum.is_multiple_of(10) {
        return Err(Rule::RoutingChecksum);
    }
    Ok(())
}

/// A US bank account number: 4 to 17 digits.
pub fn check_account_number(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if !(4..=17).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rule::DigitsBetween { min: 4, max: 17 });
    }
    Ok(())
}

/// A Venmo handle (`@name`, 5 to 30 letters, digits, `-` or `_`) or a 10-digit US phone.
pub fn check_venmo(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    if let Some(name) = v.strip_prefix('@') {
        let ok = (5..=30).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        return if ok { Ok(()) } else { Err(Rule::VenmoHandle) };
    }
    crate::user::check_phone_number("1", v).map_err(|_| Rule::VenmoHandleOrPhone)
}

/// A Cash App cashtag: `$` and 1 to 20 letters or digits, with at least one letter.
pub fn check_cashtag(value: &str) -> Result<(), Rule> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Rule::Required);
    }
    let ok = v.strip_prefix('$').is_some_and(|tag| {
        (1..=20).contains(&tag.len())
            && tag.chars().all(|c| c.is_ascii_alphanumeric())
            && tag.chars().any(|c| c.is_ascii_alphabetic())
    });
    if ok {
        Ok(())
    } else {
        Err(Rule::Cashtag)
    }
}

// Debug without the account numbers (`crate::mask::Redacted`).

impl std::fmt::Debug for NewBankAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewBankAccount")
            .field("routing_number", &self.routing_number)
            .field("account_number", &crate::mask::Redacted)
            .field("account_type", &self.account_type)
            .finish()
    }
}

impl std::fmt::Debug for NewPayoutMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewPayoutMethod::Ach {
                routing_number,
                account_type,
                ..
            } => f
                .debug_struct("Ach")
                .field("routing_number", routing_number)
                .field("account_number", &crate::mask::Redacted)
                .field("account_type", account_type)
                .finish(),
            NewPayoutMethod::Paypal { email } => {
                f.debug_struct("Paypal").field("email", email).finish()
            }
            NewPayoutMethod::Venmo { handle } => {
                f.debug_struct("Venmo").field("handle", handle).finish()
            }
            NewPayoutMethod::CashApp { cashtag } => {
                f.debug_struct("CashApp").field("cashtag", cashtag).finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reaches_what_its_moves_lead_to() {
        use TransferStatus::*;
        assert!(Pending.can_reach(Reversed), "completed, then reversed");
        assert!(Created.can_reach(Reversed));
        assert!(Flagged.can_reach(Completed));
        assert!(!Completed.can_reach(Pending));
        assert!(!Reversed.can_reach(Completed));
        assert!(!Pending.can_reach(Flagged));
        assert!(!Pending.can_reach(Pending), "no move leads back");
        assert!(!Failed.can_reach(Completed));
    }
    use serde_json::json;

    /// Seed 004, "Create Fund Transfer Response", with amounts as integer cents.
    #[test]
    fn transfer_matches_seed_004_shape() {
        let seed = json!({
            "amount": -1000, "created": "2024-07-11T21:17:33.959976Z", "external_data": {},
            "id": "847e70b4-e057-457e-aa89-ba0312f159c1", "metadata": null,
            "status": "completed",
            "status_history": [{"status": "completed", "timestamp": "2024-07-11T21:17:33Z"}],
            "transactions": [{
                "amount": 1000, "created": "2024-07-11T21:17:33.950405Z",
                "destination_name": "enamored-education", "id": 767354, "metadata": null,
                "source_name": "TestWriteChoiceApp", "type": "balance"
            }],
            "type": "balance", "user_id": "f33919ae-6793-41bd-b512-1ad3c19f4ecb"
        });
        let t: Transfer = serde_json::from_value(seed.clone()).unwrap();
        assert_eq!(t.kind, TransferType::Balance);
        assert_eq!(serde_json::to_value(&t).unwrap(), seed);
    }

    /// Seed 004, "Create Payout with Idempotency Key" request.
    #[test]
    fn new_payout_matches_seed_004_request() {
        let seed = json!({
            "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "amount": 123,
            "platform": "paypal", "account_id": "", "fund": true, "tax_exempt": true,
            "idempotency_key": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "metadata": "",
        });
        let p: NewPayout = serde_json::from_value(seed).unwrap();
        p.validate().unwrap();
        assert_eq!(p.platform, PlatformChoice::Paypal);
        assert_eq!(p.payout_fee_party, None);
        let p: NewPayout = serde_json::from_value(json!({
            "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "amount": 1000,
            "platform": "default", "payout_fee_party": "user"
        }))
        .unwrap();
        assert_eq!(
            (p.platform, p.payout_fee_party),
            (PlatformChoice::Default, Some(FeeParty::User))
        );
    }

    #[test]
    fn lifecycle_allows_only_forward_moves() {
        use TransferStatus::*;
        assert!(Created.can_become(Pending) && Pending.can_become(Completed));
        assert!(Completed.can_become(Reversed));
        assert!(!Completed.can_become(Failed));
        assert!(!Failed.can_become(Completed) && !Canceled.can_become(Pending));
        assert!(Failed.is_final() && !Flagged.is_final());
    }

    #[test]
    fn fees_and_quotes_never_overflow() {
        for platform in PayoutPlatform::ALL {
            for amount in [i64::MIN, -1, 0, i64::MAX] {
                let fee = platform.fee(amount);
                assert!((25..=2_000).contains(&fee), "{platform:?} {amount}: {fee}");
            }
            assert!(PayoutQuote::new(i64::MIN, platform, FeeParty::User).is_err());
            let q = PayoutQuote::new(i64::MAX, platform, FeeParty::User).unwrap();
            assert_eq!(q.net_amount, i64::MAX - q.fee);
        }
        let t = |amount| NewTransfer {
            amount,
            user_id: Uuid::nil(),
            metadata: None,
            idempotency_key: None,
        };
        for amount in [i64::MIN, i64::MIN + 1, i64::MAX, -MAX_AMOUNT - 1] {
            let e = t(amount).validate().unwrap_err();
            assert_eq!(
                e.rule("amount"),
                Some(Rule::MaxCentsEitherWay { max: MAX_AMOUNT })
            );
        }
        assert!(t(-MAX_AMOUNT).validate().is_ok());
    }

    #[test]
    fn fees_follow_the_documented_schedule() {
        assert_eq!(PayoutPlatform::Ach.fee(1_000_000), 25);
        assert_eq!(PayoutPlatform::Paypal.fee(100), 25); // 2¢ → minimum 25¢
        assert_eq!(PayoutPlatform::Paypal.fee(10_001), 201); // 200.02 → rounded up
        assert_eq!(PayoutPlatform::Venmo.fee(1_000_000), 2_000); // capped at $20
        assert_eq!(PayoutPlatform::CashApp.fee(10_000), 150);
    }

    #[test]
    fn quotes_who_pays_the_fee() {
        let q = PayoutQuote::new(10_000, PayoutPlatform::Paypal, FeeParty::User).unwrap();
        assert_eq!((q.fee, q.net_amount), (200, 9_800));
        let q = PayoutQuote::new(10_000, PayoutPlatform::Paypal, FeeParty::Platform).unwrap();
        assert_eq!(q.net_amount, 10_000);
        assert!(PayoutQuote::new(25, PayoutPlatform::Ach, FeeParty::User).is_err());
    }

    #[test]
    fn routing_numbers_need_a_valid_checksum() {
        assert!(check_routing_number("011000015").is_ok());
        assert!(check_routing_number("021000021").is_ok());
        assert_eq!(
            check_routing_number("011000016").unwrap_err(),
            Rule::RoutingChecksum
        );
        assert_eq!(
            check_routing_number("12345").unwrap_err(),
            Rule::Digits { count: 9 }
        );
    }

    #[test]
    fn payout_methods_are_tagged_by_platform_and_checked() {
        let m: NewPayoutMethod =
            serde_json::from_value(json!({"platform": "paypal", "email": "ada@example.com"}))
                .unwrap();
        assert_eq!(m.platform(), PayoutPlatform::Paypal);
        m.validate().unwrap();
        let bad = NewPayoutMethod::Ach {
            routing_number: "011000016".into(),
            account_number: "12".into(),
            account_type: AccountType::Checking,
        };
        let err = bad.validate().unwrap_err();
        assert!(err.rule("routing_number").is_some() && err.rule("account_number").is_some());
        assert!(check_venmo("@ada-lovelace").is_ok() && check_venmo("4155550123").is_ok());
        assert!(check_venmo("@ab").is_err() && check_venmo("ada").is_err());
        assert!(check_cashtag("$ada").is_ok() && check_cashtag("ada").is_err());
        assert!(check_cashtag("$123").is_err());
    }

    #[test]
    fn dollars_parse_to_cents_without_floats() {
        assert_eq!(parse_dollars("12"), Ok(1200));
        assert_eq!(parse_dollars("$1,234.5"), Ok(123_450));
        assert_eq!(parse_dollars(".07"), Ok(7));
        assert_eq!(parse_dollars("0.29"), Ok(29)); // 0.29 * 100 is 28.999… in floats
        assert!(parse_dollars("1.234").is_err());
        assert_eq!(parse_dollars("1,234,567"), Ok(123_456_700));
        // A phone's decimal key types a comma where that is the decimal mark (no dot key).
        assert_eq!(parse_dollars("12,34"), Ok(1_234));
        assert_eq!(parse_dollars("$12,5"), Ok(1_250));
        assert_eq!(parse_dollars(",07"), Ok(7));
        for misgrouped in [
            ",123", "1,23,456", "1.5,0", "1,2345", "1,234,5", "12,3a", "0,125",
        ] {
            assert_eq!(
                parse_dollars(misgrouped),
                Err(Rule::AmountFormat),
                "{misgrouped}"
            );
        }
        assert!(parse_dollars("-5").is_err());
        assert!(parse_dollars("abc").is_err());
        assert!(parse_dollars("").is_err());
        assert_eq!(format_cents(123_456), "$1,234.56");
        assert_eq!(format_cents(-5), "-$0.05");
        assert_eq!(format_cents(100_000_000), "$1,000,000.00");
    }

    #[test]
    fn transfer_status_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                TransferStatus::Created,
                TransferStatus::Flagged,
                TransferStatus::Pending,
                TransferStatus::Completed,
                TransferStatus::Failed,
                TransferStatus::Reversed,
                TransferStatus::Canceled,
            ],
            TransferStatus::as_str,
        );
    }

    #[test]
    fn transfer_type_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                TransferType::Balance,
                TransferType::Payout,
                TransferType::Refill,
            ],
            TransferType::as_str,
        );
    }

    #[test]
    fn transaction_type_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                TransactionType::Balance,
                TransactionType::Payout,
                TransactionType::Fee,
                TransactionType::Refill,
                TransactionType::Return,
            ],
            TransactionType::as_str,
        );
    }

    #[test]
    fn fee_party_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[FeeParty::Platform, FeeParty::User],
            FeeParty::as_str,
        );
    }

    #[test]
    fn account_type_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[AccountType::Checking, AccountType::Savings],
            AccountType::as_str,
        );
    }

    #[test]
    fn payout_platform_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &PayoutPlatform::ALL,
            PayoutPlatform::as_str,
        );
    }
}
