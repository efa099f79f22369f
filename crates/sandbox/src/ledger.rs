//! The double-entry ledger (issue 4, DESIGN.md "Money"): accounts, the transactions that move
//! integer cents between them, the transfers that group transactions, and the transfer
//! lifecycle of seed 001.
//!
//! Accounts are named by owner (`app:<id>`, `user:<id>`, `fees:<app id>`, `hold:<user id>`,
//! `external:bank`, `external:<platform>`; see `migrations/0002_money.sql`). Every transaction
//! moves a positive amount from one account to another, so the sum over all accounts stays 0
//! and each balance is its credits less its debits. Only `external:` accounts may go negative:
//! a debit is a conditional `UPDATE … WHERE balance >= amount` whose miss is a [`Shortfall`],
//! backed by a CHECK constraint. A transfer, its transactions and its status changes are
//! written in one write transaction ([`crate::db::begin_ledger_write`]), with its idempotency
//! key when it has one and its `transfer.updated` event: a new transfer in two
//! [`Batch`]es, the reads and then the writes ([`write_transfer`]), so on SQLite its write
//! transaction is four trips to the connection's thread (begin, reads, writes, commit) whatever
//! the number of statements (issue 10). On SQLite the transfers asked for at the same time
//! share one write transaction and, but for those with an [`AfterWrite`], those two batches
//! ([`crate::group_commit`], [`write_transfers_together`]).
//!
//! Locking (issue 10): on PostgreSQL a ledger write locks only the rows it reads and then
//! changes: the accounts whose balances it moves, all at once in id order before changing any
//! ([`apply_moves`]), and for a status change the transfer first ([`lock_accounts`] locks
//! accounts a write must hold without moving them: a claimed payout link's cancel, whose link
//! row comes after them). Payouts of unrelated wallets therefore run side by side and never
//! deadlock. A new transfer written on its own ([`create_transfer_then`]: payouts, payout
//! batches' items, `/transfers` and refills) first waits for its app's turn in this process
//! ([`app_write_turn`]): the app's transfers queue on its event counter row anyway,
//! and a request waiting there in PostgreSQL holds one of the pool's connections, so one busy
//! app took them all and every other app's requests waited behind its queue. Two of an app's
//! transfers go at a time: one writing and the next in its transaction, at the row lock, so the
//! app's own queue moves as fast as before. The app's other writes of money (a payout link's
//! moves, status changes, the opening balance) still queue at the row lock holding their
//! connection: rarer, and each inside a transaction that writes more than the transfer. `external:` accounts keep no stored balance
//! (their `balance` column is left as it is: 0, or what it was before issue 10): outside the
//! system and unbounded, they need no check, and as every payout on a rail touches its account,
//! its row would queue every payout of every app. Their balance is the sum of their
//! transactions. SQLite's write transaction holds the whole database, so none of this applies
//! there. A payout the yearly reporting threshold holds ([`ReportingLimit`]) also locks its
//! user's wallet, whether its balance moves or not, and reads the user's reportable payouts
//! after the lock: the rule holds for payouts asked for at once.

use crate::db::{
    begin_ledger_write, enum_from_text, for_update, from_millis, is_postgres_pool,
    is_unique_violation, metadata_from_text, metadata_to_text, next_seqs, parse_stored_id,
    parse_stored_json, parse_stored_opt_id, to_flag, to_json_text, to_millis, Answer, Answers, Arg,
    Batch, Db, Rows, ValueAt,
};
use crate::error::Error;
use crate::group_commit;
use crate::pagination::Page;
use crate::store::compliance::push_has_compliance;
use crate::store::idempotency::IdempotencyKey;
use crate::store::webhooks::{
    event_counter, hooks_by_app, push_hooks_read, record_event, EventRows, EventSlot,
};
use crate::webhooks::wake;
use chrono::{DateTime, Utc};
use payout_model::money::{
    format_cents, Cents, ExternalData, PayoutPlatform, StatusChange, Transaction, TransactionType,
    Transfer, TransferStatus, TransferType, Wallet,
};
use payout_model::webhook::EventType;
use payout_model::{Metadata, Rule};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a new app's wallet holds in the sandbox: $100.00 (seed 004, "Sandbox Environment").
pub(crate) const OPENING_BALANCE: Cents = 10_000;

/// Where refills and opening balances come from.
pub(crate) const BANK: &str = "external:bank";

/// The wallet of app `app_id`.
pub(crate) fn app_account(app_id: Uuid) -> String {
    format!("app:{app_id}")
}

/// The fee revenue collected from app `app_id`'s payouts.
pub(crate) fn fees_account(app_id: Uuid) -> String {
    format!("fees:{app_id}")
}

/// The wallet of user `user_id` (what is withdrawable).
pub(crate) fn user_account(user_id: Uuid) -> String {
    format!("user:{user_id}")
}

/// The money of user `user_id`'s payouts still pending.
pub(crate) fn hold_account(user_id: Uuid) -> String {
    format!("hold:{user_id}")
}

/// The money app `app_id` has set aside for its payout links (issue 11): a link's amount moves
/// here when the link is made, and on to the claimant or back to the app; a platform-paid
/// link's fee reserve stays until the link's payout pays the fee from it, or a cancel or an
/// expiry returns it.
pub(crate) fn link_hold_account(app_id: Uuid) -> String {
    format!("linkhold:{app_id}")
}

/// Whether `account` is an app's [`link_hold_account`].
fn is_link_hold(account: &str) -> bool {
    account.starts_with("linkhold:")
}

/// Opens app `app_id`'s [`link_hold_account`] unless it is open, inside the caller's write
/// transaction.
pub(crate) async fn open_link_hold_in(
    conn: &mut AnyConnection,
    app_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO accounts (id, kind, app_id, balance, created) VALUES ($1, 'hold', $2, 0, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(link_hold_account(app_id))
    .bind(app_id.to_string())
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Where payouts on `platform` go.
pub(crate) fn rail_account(platform: PayoutPlatform) -> String {
    format!("external:{}", platform.as_str())
}

/// Whether `account` is outside the system (and so may go negative).
fn is_external(account: &str) -> bool {
    account.starts_with("external:")
}

/// One movement of money, before it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    /// The account debited.
    pub from: String,
    /// The account credited.
    pub to: String,
    /// Cents, positive.
    pub amount: Cents,
    /// What the transaction records.
    pub kind: TransactionType,
}

impl Move {
    /// `amount` cents from `from` to `to`.
    pub(crate) fn new(from: String, to: String, amount: Cents, kind: TransactionType) -> Self {
        Self {
            from,
            to,
            amount,
            kind,
        }
    }
}

/// An account that could not pay its part: it holds only `balance`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shortfall {
    /// The account's id.
    pub account: String,
    /// What it holds.
    pub balance: Cents,
}

impl Shortfall {
    /// Whether the account is a user's wallet (else the app's, as a rule).
    pub(crate) fn is_user(&self) -> bool {
        self.account.starts_with("user:")
    }

    /// `the app's wallet has $12.34`, for error messages.
    pub(crate) fn describe(&self) -> String {
        let whose = match self.account.split_once(':').map(|(kind, _)| kind) {
            Some("app") => "the app's wallet",
            Some("user") => "the user's wallet",
            Some("hold") => "the user's pending payouts",
            Some("fees") => "the app's fee account",
            _ => "the account",
        };
        format!("{whose} has {}", format_cents(self.balance))
    }
}

/// Why a ledger write did not happen.
#[derive(Debug)]
pub(crate) enum LedgerError {
    /// An account lacked the money; nothing was written.
    Shortfall(Shortfall),
    /// A balance would leave the `i64` range; nothing was written.
    Overflow,
    /// A payout would take its user past the app's reporting threshold with no tax data on
    /// file ([`ReportingLimit`]); nothing was written. A 422 naming `field`.
    ComplianceRequired {
        /// The field the refusal names.
        field: &'static str,
        /// The app's threshold.
        threshold: Cents,
    },
    /// Anything else.
    Failed(Error),
}

impl From<Error> for LedgerError {
    fn from(e: Error) -> Self {
        LedgerError::Failed(e)
    }
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Failed(e.into())
    }
}

impl LedgerError {
    /// The error to answer with, `shortfall` saying what a missing amount means here; an
    /// overflow is a 422 on `amount`.
    pub(crate) fn into_error(self, shortfall: impl FnOnce(Shortfall) -> Error) -> Error {
        match self {
            LedgerError::Shortfall(s) => shortfall(s),
            LedgerError::Overflow => amount_out_of_range(),
            LedgerError::ComplianceRequired { field, threshold } => {
                Error::broke(field, Rule::ComplianceRequired { threshold })
            }
            LedgerError::Failed(e) => e,
        }
    }
}

/// The net change per account of `moves`, leaving out external accounts (they keep no stored
/// balance) and accounts that end where they started. Every sum is checked (issue 8): a change
/// beyond the `i64` range is [`LedgerError::Overflow`].
fn net_changes(moves: &[Move]) -> Result<BTreeMap<&str, Cents>, LedgerError> {
    let mut net: BTreeMap<&str, Cents> = BTreeMap::new();
    for m in moves {
        if m.amount <= 0 || m.from == m.to {
            return Err(Error::Internal(format!("bad move of {} cents", m.amount)).into());
        }
        let from = net.entry(&m.from).or_default();
        *from = from.checked_sub(m.amount).ok_or(LedgerError::Overflow)?;
        let to = net.entry(&m.to).or_default();
        *to = to.checked_add(m.amount).ok_or(LedgerError::Overflow)?;
    }
    net.retain(|account, delta| *delta != 0 && !is_external(account));
    Ok(net)
}

/// Adds the read of the balances of `net`'s accounts to `batch`: on PostgreSQL locked, in one
/// statement in id order (see the module docs); SQLite's write transaction already holds the
/// database. Read it with [`balances_of`].
fn push_balance_read(batch: &mut Batch, net: &BTreeMap<&str, Cents>) -> usize {
    push_accounts_read(batch, net.keys().copied())
}

/// [`push_balance_read`] of `accounts` (at least one).
fn push_accounts_read<'a>(
    batch: &mut Batch,
    accounts: impl ExactSizeIterator<Item = &'a str>,
) -> usize {
    let sql = format!(
        "SELECT id, balance FROM accounts WHERE id IN ({}) ORDER BY id{}",
        placeholders(accounts.len()),
        batch.for_update()
    );
    batch.push(sql, accounts.map(Arg::from).collect())
}

/// Locks `accounts` on PostgreSQL, in one statement in id order, as a ledger write takes them
/// (the module docs); nothing on SQLite, whose write transaction holds the whole database. For
/// a write that must hold an account before the rows it changes next, whether or not it moves
/// its money (a claimed payout link's cancel: [`crate::service::payout_links`]). An account
/// that does not exist is not locked.
pub(crate) async fn lock_accounts(
    conn: &mut AnyConnection,
    accounts: &[String],
) -> Result<(), Error> {
    let mut batch = Batch::new(conn);
    if accounts.is_empty() || !batch.is_postgres() {
        return Ok(());
    }
    // The statement's `ORDER BY id` is the lock order.
    push_accounts_read(&mut batch, accounts.iter().map(String::as_str));
    batch.run(conn).await?;
    Ok(())
}

/// The balances a [`push_balance_read`] answered, by account.
fn balances_of(answer: &Answer) -> Result<HashMap<String, Cents>, Error> {
    use sqlx::Row as _;
    answer
        .rows
        .iter()
        .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<Cents, _>(1)?)))
        .collect()
}

/// Checks that every account of `net` can take its change: in account-id order (the app's
/// wallet before the user's), the first that lacks the money is the [`Shortfall`].
fn check_balances(
    net: &BTreeMap<&str, Cents>,
    balances: &HashMap<String, Cents>,
) -> Result<(), LedgerError> {
    for (account, delta) in net {
        let balance = *balances
            .get(*account)
            .ok_or_else(|| Error::Internal(format!("no ledger account {account}")))?;
        let after = balance.checked_add(*delta).ok_or(LedgerError::Overflow)?;
        if after < 0 {
            return Err(LedgerError::Shortfall(Shortfall {
                account: (*account).to_owned(),
                balance,
            }));
        }
    }
    Ok(())
}

/// Adds to `batch` the one `UPDATE` that applies every change of `net` (the CHECK constraint
/// stays the backstop); check its answer with [`check_balances_updated`].
fn push_balance_update(batch: &mut Batch, net: &BTreeMap<&str, Cents>) -> usize {
    let cases = (0..net.len())
        .map(|i| format!("WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" ");
    let ids = (0..net.len())
        .map(|i| format!("${}", 2 * net.len() + i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE accounts SET balance = balance + CASE id {cases} ELSE 0 END WHERE id IN ({ids})"
    );
    let mut args = Vec::with_capacity(3 * net.len());
    for (account, delta) in net {
        args.push(Arg::from(*account));
        args.push(Arg::from(*delta));
    }
    args.extend(net.keys().map(|account| Arg::from(*account)));
    batch.push(sql, args)
}

/// Whether the [`push_balance_update`] of `net` changed every account.
fn check_balances_updated(net: &BTreeMap<&str, Cents>, answer: &Answer) -> Result<(), Error> {
    if answer.rows_affected != net.len() as u64 {
        return Err(Error::Internal(
            "a ledger account vanished under its lock".to_owned(),
        ));
    }
    Ok(())
}

/// Applies `moves` to the balances, all or nothing (inside the caller's write transaction):
/// the balances are read (locked on PostgreSQL) and checked ([`check_balances`]), then one
/// `UPDATE` applies every net change. External accounts are not changed.
async fn apply_moves(conn: &mut AnyConnection, moves: &[Move]) -> Result<(), LedgerError> {
    let net = net_changes(moves)?;
    if net.is_empty() {
        return Ok(());
    }
    let mut batch = Batch::new(conn);
    let read = push_balance_read(&mut batch, &net);
    let balances = balances_of(batch.run(&mut *conn).await?.get(read)?)?;
    check_balances(&net, &balances)?;
    let mut batch = Batch::new(conn);
    let update = push_balance_update(&mut batch, &net);
    check_balances_updated(&net, batch.run(conn).await?.get(update)?)?;
    Ok(())
}

/// The host API's 422 for money an account does not have.
pub(crate) fn insufficient_funds(shortfall: Shortfall) -> Error {
    Error::invalid_field(
        "amount",
        Rule::InsufficientFunds,
        format!("insufficient funds: {}", shortfall.describe()),
    )
}

/// The 422 for an amount that would take a balance beyond what the ledger can hold.
pub(crate) fn amount_out_of_range() -> Error {
    Error::broke("amount", Rule::LedgerRange)
}

/// Inserts `moves` as transactions of `transfer_id`, numbered from the ledger sequence, in one
/// statement.
async fn insert_transactions(
    conn: &mut AnyConnection,
    transfer_id: &str,
    moves: &[Move],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let ids = next_seqs(&mut *conn, "ledger", moves.len()).await?;
    let mut batch = Batch::new(conn);
    push_transactions(&mut batch, transfer_id, &ids, moves, now);
    batch.run(conn).await?;
    Ok(())
}

/// Adds to `batch` the insert of `moves` as transactions of `transfer_id` with ids `ids`, one
/// statement (none without moves).
fn push_transactions(
    batch: &mut Batch,
    transfer_id: &str,
    ids: &[i64],
    moves: &[Move],
    now: DateTime<Utc>,
) {
    let mut rows = transaction_rows();
    add_transactions(&mut rows, transfer_id, ids, moves, now);
    rows.push_into(batch);
}

/// No rows yet of `transactions`.
fn transaction_rows() -> Rows {
    Rows::new(
        "INSERT INTO transactions (id, transfer_id, source, destination, amount, kind, created)",
        7,
        "",
    )
}

/// Adds `moves` to `rows` as transactions of `transfer_id` with ids `ids`.
fn add_transactions(
    rows: &mut Rows,
    transfer_id: &str,
    ids: &[i64],
    moves: &[Move],
    now: DateTime<Utc>,
) {
    for (id, m) in ids.iter().zip(moves) {
        rows.add([
            Arg::from(*id),
            Arg::from(transfer_id),
            Arg::from(&m.from),
            Arg::from(&m.to),
            Arg::from(m.amount),
            Arg::from(m.kind.as_str()),
            Arg::from(to_millis(now)),
        ]);
    }
}

/// Appends `status` to the status history of `transfer_id`.
async fn insert_status_change(
    conn: &mut AnyConnection,
    transfer_id: &str,
    status: TransferStatus,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // Never before the change it follows: `now` was read before this write waited its turn, so
    // a change that took its turn first may carry a later time (review of the ledger core).
    sqlx::query(
        "INSERT INTO transfer_status_changes (transfer_id, position, status, changed) \
         SELECT $1, COUNT(*), $2, CASE WHEN COALESCE(MAX(changed), $3) > $3 THEN MAX(changed) \
         ELSE $3 END FROM transfer_status_changes WHERE transfer_id = $4",
    )
    .bind(transfer_id)
    .bind(status.as_str())
    .bind(to_millis(now))
    .bind(transfer_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes sure user `user_id` (of app `app_id`) has its wallet and hold accounts; users created
/// before the ledger existed got them on first use, and since migration 0028 have them all.
pub(crate) async fn ensure_user_accounts(
    conn: &mut AnyConnection,
    app_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut batch = Batch::new(conn);
    push_user_accounts(&mut batch, app_id, user_id, now);
    batch.run(conn).await?;
    Ok(())
}

/// Adds [`ensure_user_accounts`]'s one statement to `batch` (a payout's write transaction may
/// run it every time).
fn push_user_accounts(batch: &mut Batch, app_id: Uuid, user_id: Uuid, now: DateTime<Utc>) {
    let mut rows = user_account_rows();
    add_user_accounts(&mut rows, app_id, user_id, now);
    rows.push_into(batch);
}

/// No user accounts yet to open (each opens unless it is open already).
fn user_account_rows() -> Rows {
    Rows::new(
        "INSERT INTO accounts (id, kind, app_id, user_id, balance, created)",
        6,
        " ON CONFLICT (id) DO NOTHING",
    )
}

/// Adds to `rows` the wallet and hold accounts of user `user_id` of app `app_id`.
fn add_user_accounts(rows: &mut Rows, app_id: Uuid, user_id: Uuid, now: DateTime<Utc>) {
    for (id, kind) in [
        (user_account(user_id), "user"),
        (hold_account(user_id), "hold"),
    ] {
        rows.add([
            Arg::from(id),
            Arg::from(kind),
            Arg::from(app_id.to_string()),
            Arg::from(user_id.to_string()),
            Arg::from(0_i64),
            Arg::from(to_millis(now)),
        ]);
    }
}

/// Gives app `app_id` its wallet and fee account, and the wallet its [`OPENING_BALANCE`] (a
/// refill from `external:bank`), unless it has them already. Safe to call at every start, and
/// from several processes at once: the wallet's insert decides which call opens it (on
/// PostgreSQL a concurrent one waits for it and then does nothing).
pub(crate) async fn open_app_wallet(
    db: &Db,
    app_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut tx = begin_ledger_write(db).await?;
    open_app_wallet_in(&mut tx, app_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`open_app_wallet`] inside the caller's write transaction: a new app and its wallet are
/// written together (issue 10). The wallet's insert decides whether this call opens it.
pub(crate) async fn open_app_wallet_in(
    tx: &mut AnyConnection,
    app_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for (id, kind) in [(app_account(app_id), "app"), (fees_account(app_id), "fees")] {
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, kind, app_id, balance, created) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(app_id.to_string())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 && kind == "app" {
            return Ok(());
        }
    }
    let draft = TransferDraft::completed(
        app_id,
        None,
        TransferType::Refill,
        OPENING_BALANCE,
        vec![Move::new(
            BANK.to_owned(),
            app_account(app_id),
            OPENING_BALANCE,
            TransactionType::Refill,
        )],
        Some(serde_json::json!({"sandbox": "opening balance"})),
    );
    // The opening refill is a transfer like any other: the app's events list it (issue 10).
    write_transfer(tx, &draft, None, None, now)
        .await
        .map_err(|e| e.into_error(|s| Error::Internal(s.describe())))?;
    Ok(())
}

/// Adds the read of `account`'s balance to `batch` (a value); read it with [`balance_in`].
fn push_balance(batch: &mut Batch, account: String) -> ValueAt {
    batch.push_value(
        "SELECT balance FROM accounts WHERE id = $1",
        vec![Arg::from(account)],
    )
}

/// The balance a [`push_balance`] read; an account not yet opened holds nothing.
fn balance_in(read: &Answers, at: ValueAt) -> Result<Cents, Error> {
    Ok(read.value::<Cents>(at)?.unwrap_or(0))
}

/// App `app_id`'s wallet: all of it is withdrawable.
pub(crate) async fn app_wallet(conn: &mut AnyConnection, app_id: Uuid) -> Result<Wallet, Error> {
    let mut batch = Batch::new(conn);
    let at = push_balance(&mut batch, app_account(app_id));
    let amount = balance_in(&batch.run(conn).await?, at)?;
    Ok(Wallet {
        amount,
        withdrawable_amount: amount,
    })
}

/// User `user_id`'s wallet: the amount includes pending payouts, which are not withdrawable.
pub(crate) async fn user_wallet(conn: &mut AnyConnection, user_id: Uuid) -> Result<Wallet, Error> {
    let mut batch = Batch::new(conn);
    let at = UserWalletAt::push(&mut batch, user_id);
    at.wallet(&batch.run(conn).await?)
}

/// Where a user's wallet is among a batch's answers: its two balances, read as values
/// ([`Batch::push_value`]) with a payout's other checks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserWalletAt {
    withdrawable: ValueAt,
    held: ValueAt,
}

impl UserWalletAt {
    /// Adds the read of user `user_id`'s wallet to `batch`.
    pub(crate) fn push(batch: &mut Batch, user_id: Uuid) -> Self {
        Self {
            withdrawable: push_balance(batch, user_account(user_id)),
            held: push_balance(batch, hold_account(user_id)),
        }
    }

    /// The wallet it read, as [`user_wallet`] answers.
    pub(crate) fn wallet(self, read: &Answers) -> Result<Wallet, Error> {
        let withdrawable_amount = balance_in(read, self.withdrawable)?;
        let held = balance_in(read, self.held)?;
        let amount = withdrawable_amount
            .checked_add(held)
            .ok_or_else(|| Error::Internal("a user's wallet overflows".to_owned()))?;
        Ok(Wallet {
            amount,
            withdrawable_amount,
        })
    }
}

/// A transfer about to be written.
#[derive(Clone, Debug)]
pub(crate) struct TransferDraft {
    /// Its id.
    pub id: Uuid,
    /// The app it belongs to.
    pub app_id: Uuid,
    /// The user involved, if any.
    pub user_id: Option<Uuid>,
    /// The flow that made it, if any.
    pub flow_id: Option<Uuid>,
    /// What kind.
    pub kind: TransferType,
    /// Signed cents as on the wire.
    pub amount: Cents,
    /// The statuses it goes through at once, the last being where it rests.
    pub statuses: Vec<TransferStatus>,
    /// Its transactions.
    pub moves: Vec<Move>,
    /// Payout rail details.
    pub external_data: ExternalData,
    /// Host data.
    pub metadata: Option<Metadata>,
    /// A payout that does not count towards the yearly reporting threshold (issue 11).
    pub tax_exempt: bool,
    /// For a payout the reporting threshold holds, the threshold checked where it is written.
    pub reporting_limit: Option<ReportingLimit>,
}

/// The yearly reporting threshold as a payout's write checks it (issue 11): the user's
/// reportable payouts from the app since `since` (the start of the year, UTC), read where the
/// payout is written (stop 42: no longer also before; the rules read it there only for a draft
/// they refuse, [`crate::service::payouts`]), with it must stay within `threshold` unless tax
/// data is on file; else [`LedgerError::ComplianceRequired`], checked before the balances. On
/// PostgreSQL the read comes after the user's wallet is locked (every payout that carries a
/// limit locks it, whether or not its balance moves), on SQLite inside the write transaction,
/// counting the payouts written before it in the same group: payouts asked for at once cannot
/// together pass the threshold, which a read before the write (outside any lock) could not
/// promise.
///
/// Set by the payout rules ([`crate::service::payouts`]) only when no tax data was on file
/// then: tax data, once given, stays.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReportingLimit {
    /// The start of the payout's year.
    pub since: DateTime<Utc>,
    /// The app's threshold, as the rules read it.
    pub threshold: Cents,
    /// The field a refusal names.
    pub field: &'static str,
}

/// Where a batch read what a [`ReportingLimit`] needs.
#[derive(Clone, Copy)]
struct LimitAt {
    paid: ValueAt,
    on_file: ValueAt,
}

impl LimitAt {
    /// Adds to `batch` the reads `draft`'s limit needs, if it has one.
    fn push(batch: &mut Batch, draft: &TransferDraft) -> Option<(Self, ReportingLimit, Uuid)> {
        let (Some(limit), Some(user_id)) = (draft.reporting_limit, draft.user_id) else {
            return None;
        };
        let at = LimitAt {
            paid: push_reportable_payouts(batch, draft.app_id, user_id, limit.since),
            on_file: push_has_compliance(batch, user_id),
        };
        Some((at, limit, user_id))
    }

    /// [`LimitAt::push`], but for a user and year whose reads `pushed` already holds: those.
    fn push_once(
        batch: &mut Batch,
        pushed: &mut HashMap<PaidKey, LimitAt>,
        draft: &TransferDraft,
    ) -> Option<(Self, ReportingLimit, Uuid)> {
        let (Some(limit), Some(user_id)) = (draft.reporting_limit, draft.user_id) else {
            return None;
        };
        let key = (draft.app_id, user_id, limit.since);
        if let Some(at) = pushed.get(&key) {
            return Some((*at, limit, user_id));
        }
        let read = Self::push(batch, draft);
        if let Some((at, _, _)) = read {
            pushed.insert(key, at);
        }
        read
    }

    /// What the batch read: the user's reportable payouts, or `None` when tax data is on file
    /// (no limit holds).
    fn paid(self, read: &Answers) -> Result<Option<Cents>, Error> {
        if read.value::<String>(self.on_file)?.is_some() {
            return Ok(None);
        }
        Ok(Some(read.value::<i64>(self.paid)?.unwrap_or(0)))
    }
}

/// `Err` when `amount` on top of `paid` passes `limit`'s threshold.
fn check_limit(limit: &ReportingLimit, paid: Cents, amount: Cents) -> Result<(), LedgerError> {
    if paid.saturating_add(amount) > limit.threshold {
        return Err(LedgerError::ComplianceRequired {
            field: limit.field,
            threshold: limit.threshold,
        });
    }
    Ok(())
}

impl TransferDraft {
    /// What [`write_transfer`] checks of the draft alone, before it reads anything: a status to
    /// rest in, and net changes within the `i64` range ([`LedgerError::Overflow`]).
    pub(crate) fn check(&self) -> Result<(), LedgerError> {
        self.net().map(|_| ())
    }

    /// Its net change per account ([`net_changes`]), once [`TransferDraft::check`]'s checks
    /// passed.
    fn net(&self) -> Result<BTreeMap<&str, Cents>, LedgerError> {
        self.statuses
            .last()
            .ok_or_else(|| Error::Internal("a transfer without a status".to_owned()))?;
        net_changes(&self.moves)
    }

    /// A transfer that completes at once (created → completed).
    pub(crate) fn completed(
        app_id: Uuid,
        user_id: Option<Uuid>,
        kind: TransferType,
        amount: Cents,
        moves: Vec<Move>,
        metadata: Option<Metadata>,
    ) -> Self {
        Self {
            id: crate::db::row_id(),
            app_id,
            user_id,
            flow_id: None,
            kind,
            amount,
            statuses: vec![TransferStatus::Created, TransferStatus::Completed],
            moves,
            external_data: ExternalData::default(),
            metadata: metadata.filter(|m| !m.is_null()),
            tax_exempt: false,
            reporting_limit: None,
        }
    }
}

/// `found`, the balances read of `net`'s accounts, completed: when some are missing and `draft`
/// is a user's, that user's wallet and hold accounts are opened (a user from before the
/// ledger: their accounts open on first use) and the balances read again.
async fn opened_balances(
    conn: &mut AnyConnection,
    net: &BTreeMap<&str, Cents>,
    draft: &TransferDraft,
    now: DateTime<Utc>,
    found: HashMap<String, Cents>,
) -> Result<HashMap<String, Cents>, Error> {
    let (true, Some(user_id)) = (found.len() < net.len(), draft.user_id) else {
        return Ok(found);
    };
    ensure_user_accounts(&mut *conn, draft.app_id, user_id, now).await?;
    let mut again = Batch::new(conn);
    let at = push_balance_read(&mut again, net);
    balances_of(again.run(conn).await?.get(at)?)
}

/// The rows transfers write beside their balances and events: the transfers, their status
/// histories, their transactions and their idempotency keys, one insert a table however many
/// transfers ([`TransferRows::push_into`]).
struct TransferRows {
    transfers: Rows,
    statuses: Rows,
    transactions: Rows,
    keys: Rows,
}

impl TransferRows {
    fn new() -> Self {
        Self {
            transfers: Rows::new(
                "INSERT INTO transfers (id, seq, app_id, user_id, flow_id, kind, amount, status, \
                 external_data, metadata, created, tax_exempt)",
                12,
                "",
            ),
            statuses: Rows::new(
                "INSERT INTO transfer_status_changes (transfer_id, position, status, changed)",
                4,
                "",
            ),
            transactions: transaction_rows(),
            keys: IdempotencyKey::rows(),
        }
    }

    /// Adds the rows of `draft`, numbered `numbers[0]` and its transactions by the rest of
    /// `numbers`, and `key`'s record. The transfer as [`load_transfer`] would read it back,
    /// built from what is written rather than read again under the write lock.
    fn add(
        &mut self,
        draft: &TransferDraft,
        numbers: &[i64],
        key: Option<&IdempotencyKey>,
        now: DateTime<Utc>,
    ) -> Result<Transfer, Error> {
        let status = *draft
            .statuses
            .last()
            .ok_or_else(|| Error::Internal("a transfer without a status".to_owned()))?;
        let (seq, transaction_ids) = numbers
            .split_first()
            .ok_or_else(|| Error::Internal("no ledger number".to_owned()))?;
        let id = draft.id.to_string();
        let metadata = metadata_to_text(&draft.metadata)?;
        self.transfers.add([
            Arg::from(&id),
            Arg::from(*seq),
            Arg::from(draft.app_id.to_string()),
            Arg::from(draft.user_id.map(|u| u.to_string())),
            Arg::from(draft.flow_id.map(|f| f.to_string())),
            Arg::from(draft.kind.as_str()),
            Arg::from(draft.amount),
            Arg::from(status.as_str()),
            Arg::from(to_json_text(&draft.external_data)?),
            Arg::from(metadata.clone()),
            Arg::from(to_millis(now)),
            Arg::from(to_flag(draft.tax_exempt)),
        ]);
        for (status, position) in draft.statuses.iter().zip(0_i64..) {
            self.statuses.add([
                Arg::from(&id),
                Arg::from(position),
                Arg::from(status.as_str()),
                Arg::from(to_millis(now)),
            ]);
        }
        add_transactions(
            &mut self.transactions,
            &id,
            transaction_ids,
            &draft.moves,
            now,
        );
        if let Some(key) = key {
            key.add_record(&mut self.keys, draft.app_id, draft.id, now);
        }

        // As stored: the time at millisecond precision, the metadata through its column's rule.
        let created = from_millis(to_millis(now))?;
        let metadata = metadata_from_text(metadata.as_deref())?;
        Ok(Transfer {
            id: draft.id,
            created,
            user_id: draft.user_id,
            amount: draft.amount,
            status,
            status_history: draft
                .statuses
                .iter()
                .map(|status| StatusChange {
                    status: *status,
                    timestamp: created,
                })
                .collect(),
            transactions: transaction_ids
                .iter()
                .zip(&draft.moves)
                .map(|(id, m)| Transaction {
                    id: *id,
                    amount: m.amount,
                    created,
                    kind: m.kind,
                    source_name: m.from.clone(),
                    destination_name: m.to.clone(),
                    metadata: metadata.clone(),
                })
                .collect(),
            kind: draft.kind,
            external_data: draft.external_data.clone(),
            metadata,
        })
    }

    /// Adds one insert a table to `batch`, in the order the foreign keys need.
    fn push_into(self, batch: &mut Batch) {
        for rows in [self.transfers, self.statuses, self.transactions, self.keys] {
            rows.push_into(batch);
        }
    }
}

/// Writes `draft` inside the caller's write transaction, with idempotency key `key` and its
/// `transfer.updated` event, in two batches ([`Batch`]: on SQLite two trips to
/// the connection's thread, where this was one per statement, issue 10):
///
/// 1. reads: the balances of the accounts it moves (locked on PostgreSQL, see the module docs),
///    the ledger numbers of the transfer and its transactions, and the event's number and the
///    app's webhook endpoints;
/// 2. after the balances are checked (a [`Shortfall`] writes nothing): the balances' update, the
///    transfer, its status history, its transactions, the key, the event and its deliveries.
///
/// With `savepoint` (SQLite, [`crate::group_commit`]), the reads open a savepoint of that name
/// and the writes release it, no trip more: when this fails the savepoint is open (roll back
/// to it), unless the draft's own check failed ([`TransferDraft::check`], nothing opened) or the
/// balances' check after the writes did (the transfer is in, and the transaction must not be
/// committed).
///
/// Returns the transfer as [`load_transfer`] would read it back, built from what was written
/// rather than read again under the write lock.
pub(crate) async fn write_transfer(
    conn: &mut AnyConnection,
    draft: &TransferDraft,
    key: Option<&IdempotencyKey>,
    savepoint: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Transfer, LedgerError> {
    let net = draft.net()?;
    let count = i64::try_from(1 + draft.moves.len()).map_err(|e| Error::Internal(e.to_string()))?;

    let mut reads = Batch::new(conn);
    // On PostgreSQL the accounts are read before the batch: they would be outside it.
    debug_assert!(savepoint.is_none() || !reads.is_postgres());
    if let Some(name) = savepoint {
        reads.push(format!("SAVEPOINT {name}"), Vec::new());
    }
    // On PostgreSQL (where a batch runs a statement at a time anyway) the accounts are read and
    // locked, and a missing one opened, before the event's counter row is locked: the order
    // every ledger write takes its locks in. On SQLite the read joins the batch.
    let mut balances = None;
    let mut balances_read = None;
    // A payout the reporting threshold holds locks its user's wallet too, moved or not: the
    // lock every such payout of the user queues on before its limit is read.
    let user_wallet = draft
        .reporting_limit
        .and(draft.user_id)
        .filter(|_| reads.is_postgres())
        .map(user_account);
    let mut held = net.clone();
    if let Some(wallet) = &user_wallet {
        held.entry(wallet.as_str()).or_insert(0);
    }
    if !held.is_empty() {
        if reads.is_postgres() {
            let mut first = Batch::new(conn);
            let at = push_balance_read(&mut first, &held);
            let found = balances_of(first.run(&mut *conn).await?.get(at)?)?;
            balances = Some(opened_balances(conn, &held, draft, now, found).await?);
        } else {
            balances_read = Some(push_balance_read(&mut reads, &held));
        }
    }
    // A flow's transfer (its payout) locks the flow after the accounts and before the event
    // counter: a step's completion takes the flow, then the counter, and an undo the
    // accounts, then the flow (PostgreSQL; the payout's own check of the flow, run after the
    // write, then finds the lock held).
    if let Some(flow_id) = draft.flow_id.filter(|_| reads.is_postgres()) {
        crate::store::flows::lock_flow(conn, flow_id).await?;
    }
    // The app's event counter first: on PostgreSQL its row lock orders the app's transfers,
    // so numbers taken after it (the transfer's and its transactions', in one go) come in
    // commit order, and a host paging by number misses none (`ledger_seq` alone is not).
    let event = EventSlot::push_reads(&mut reads, draft.app_id);
    let numbers_read = reads.push_next_seqs("ledger", count);
    let limit = LimitAt::push(&mut reads, draft);
    let read = reads.run(&mut *conn).await?;
    if let Some(at) = balances_read {
        let found = balances_of(read.get(at)?)?;
        balances = Some(opened_balances(conn, &held, draft, now, found).await?);
    }
    // The threshold before the money: the order of the payout rules (a payout past it and
    // short of money is refused for its tax data).
    if let Some((at, limit, _)) = limit {
        if let Some(paid) = at.paid(&read)? {
            check_limit(&limit, paid, draft.amount)?;
        }
    }
    if let Some(balances) = &balances {
        check_balances(&net, balances)?;
    }
    let numbers = read.seqs(numbers_read, count)?;
    let mut writes = Batch::writes_together(conn);
    let update = (!net.is_empty()).then(|| push_balance_update(&mut writes, &net));
    let mut rows = TransferRows::new();
    let transfer = rows.add(draft, &numbers, key, now)?;
    rows.push_into(&mut writes);
    event.push_writes(
        &read,
        &mut writes,
        EventType::TransferUpdated,
        &transfer,
        now,
    )?;
    if let Some(name) = savepoint {
        writes.push(format!("RELEASE {name}"), Vec::new());
    }
    let written = writes.run(conn).await?;
    if let Some(at) = update {
        check_balances_updated(&net, written.get(at)?)?;
    }
    Ok(transfer)
}

/// Writes `draft` with its `transfer.updated` event inside the caller's write transaction (for
/// a change that moves money with other rows: a payout link's, issue 11); no idempotency key.
pub(crate) async fn write_transfer_in(
    conn: &mut AnyConnection,
    draft: &TransferDraft,
    now: DateTime<Utc>,
) -> Result<Transfer, LedgerError> {
    write_transfer(conn, draft, None, None, now).await
}

/// A transfer of a group written together ([`write_transfers_together`]).
pub(crate) struct Together<'a> {
    /// What to write.
    pub draft: &'a TransferDraft,
    /// Its idempotency key, recorded with it.
    pub key: Option<&'a IdempotencyKey>,
    /// When it is made.
    pub now: DateTime<Utc>,
}

/// Writes `transfers` inside the caller's SQLite write transaction, each as [`write_transfer`]
/// would one after another, in two trips for all of them ([`crate::group_commit`], issue 10):
///
/// 1. reads: the balances of every account they move, the ledger counter and each app's event
///    counter, and each app's webhook endpoints;
/// 2. in memory, in order: each transfer checked against the balances the ones before it left,
///    and numbered after them; one that fails its own check ([`TransferDraft::check`]), lacks
///    the money ([`Shortfall`]) or moves an account that is not open is left out and answers
///    its error, taking no number;
/// 3. writes: every other transfer's statements as [`write_transfer`] writes them, then the
///    counters.
///
/// The reads open savepoint `savepoint` and the writes release it. `Err` when a batch failed (a
/// key a concurrent request recorded meanwhile, say): the caller rolls back to the savepoint,
/// and nothing of them is written; when that roll back fails too (the balances' check after
/// the writes, which the savepoint no longer covers), nothing of the transaction may be.
pub(crate) async fn write_transfers_together(
    conn: &mut AnyConnection,
    transfers: &[Together<'_>],
    savepoint: &str,
) -> Result<Vec<Result<Transfer, LedgerError>>, Error> {
    let nets: Vec<_> = transfers.iter().map(|t| t.draft.net()).collect();
    let mut accounts = std::collections::BTreeSet::new();
    let mut apps = Vec::new();
    for (t, net) in transfers.iter().zip(&nets) {
        if let Ok(net) = net {
            accounts.extend(net.keys().copied());
        }
        if !apps.contains(&t.draft.app_id) {
            apps.push(t.draft.app_id);
        }
    }
    if apps.is_empty() {
        return Ok(Vec::new());
    }

    let mut reads = Batch::new(conn);
    debug_assert!(!reads.is_postgres());
    reads.push(format!("SAVEPOINT {savepoint}"), Vec::new());
    let balances_read =
        (!accounts.is_empty()).then(|| push_accounts_read(&mut reads, accounts.into_iter()));
    let counters: Vec<String> = std::iter::once("ledger".to_owned())
        .chain(apps.iter().map(|app| event_counter(*app)))
        .collect();
    let counters_read = reads.push(
        format!(
            "SELECT name, value FROM sequences WHERE name IN ({})",
            placeholders(counters.len())
        ),
        counters.iter().map(Arg::from).collect(),
    );
    let hooks_read = push_hooks_read(&mut reads, &apps);
    // Each limited payout's reads, once for each user and year: every payout of theirs in the
    // group after the first reads what the ones before it added ([`limits_in`]), and the sum
    // (over the user's payouts of the year) is read under the write lock.
    let mut limit_reads: HashMap<PaidKey, LimitAt> = HashMap::new();
    let mut limits = Vec::with_capacity(transfers.len());
    for t in transfers {
        limits.push(LimitAt::push_once(&mut reads, &mut limit_reads, t.draft));
    }
    let read = reads.run(&mut *conn).await?;
    // Each limited user's reportable payouts, as the group's written ones add to them.
    let mut paid: HashMap<PaidKey, Option<Cents>> = HashMap::new();

    let mut balances = match balances_read {
        Some(at) => balances_of(read.get(at)?)?,
        None => HashMap::new(),
    };
    let counted: HashMap<String, i64> = {
        use sqlx::Row as _;
        read.get(counters_read)?
            .rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?
    };
    let hooks = hooks_by_app(read.get(hooks_read)?)?;
    let mut ledger = *counted
        .get("ledger")
        .ok_or_else(|| Error::Internal("no ledger counter".to_owned()))?;
    let first_ledger = ledger;
    // Each app's event counter as read (0 before its first event), and as it ends.
    let mut events: Vec<(Uuid, i64, i64)> = apps
        .iter()
        .zip(&counters[1..])
        .map(|(app, name)| {
            let value = counted.get(name).copied().unwrap_or(0);
            (*app, value, value)
        })
        .collect();

    let mut outcomes = Vec::with_capacity(transfers.len());
    // What the written transfers change, summed: one update of the balances for all of them
    // (each was checked in its turn above, and the CHECK constraint stays the backstop).
    let mut total: BTreeMap<&str, Cents> = BTreeMap::new();
    let mut opened_users = user_account_rows();
    let mut rows = TransferRows::new();
    let mut events_rows = EventRows::new();
    for ((t, net), limit_at) in transfers.iter().zip(nets).zip(limits) {
        let net = match net {
            Ok(net) => net,
            Err(e) => {
                outcomes.push(Err(e));
                continue;
            }
        };
        let limited = match limits_in(&read, &mut paid, t.draft, limit_at) {
            Ok(limited) => limited,
            Err(e) => {
                outcomes.push(Err(e.into()));
                continue;
            }
        };
        // A user from before the ledger: their accounts open with their first transfer.
        let opens = t
            .draft
            .user_id
            .filter(|_| net.keys().any(|account| !balances.contains_key(*account)));
        let mut opened = Vec::new();
        if let Some(user_id) = opens {
            for account in [user_account(user_id), hold_account(user_id)] {
                if !balances.contains_key(&account) {
                    balances.insert(account.clone(), 0);
                    opened.push(account);
                }
            }
        }
        // The threshold before the money, as [`write_transfer`] checks them.
        let checked = match &limited {
            Some((limit, Some(before), _)) => check_limit(limit, *before, t.draft.amount),
            _ => Ok(()),
        }
        .and_then(|()| check_balances(&net, &balances));
        if let Err(e) = checked {
            for account in opened {
                balances.remove(&account);
            }
            outcomes.push(Err(e));
            continue;
        }
        if let Some((_, Some(before), key)) = limited {
            paid.insert(key, Some(before.saturating_add(t.draft.amount)));
        }
        for (account, delta) in &net {
            if let Some(balance) = balances.get_mut(*account) {
                // Checked by `check_balances` just now.
                *balance += *delta;
            }
            let sum = total.entry(account).or_default();
            *sum = sum
                .checked_add(*delta)
                .ok_or_else(|| Error::Internal("a group's changes overflow".to_owned()))?;
        }
        if let Some(user_id) = opens {
            add_user_accounts(&mut opened_users, t.draft.app_id, user_id, t.now);
        }
        let count =
            i64::try_from(1 + t.draft.moves.len()).map_err(|e| Error::Internal(e.to_string()))?;
        let numbers: Vec<i64> = (ledger + 1..=ledger + count).collect();
        ledger += count;
        let transfer = rows.add(t.draft, &numbers, t.key, t.now)?;
        let seq = events
            .iter_mut()
            .find(|(app, _, _)| *app == t.draft.app_id)
            .map(|(_, _, last)| {
                *last += 1;
                *last
            })
            .ok_or_else(|| Error::Internal("an app without an event counter".to_owned()))?;
        let app_hooks = hooks.get(&t.draft.app_id).map_or(&[][..], Vec::as_slice);
        events_rows.add(
            t.draft.app_id,
            seq,
            app_hooks,
            EventType::TransferUpdated,
            &transfer,
            t.now,
        )?;
        outcomes.push(Ok(transfer));
    }

    let mut writes = Batch::new(conn);
    opened_users.push_into(&mut writes);
    let update = (!total.is_empty()).then(|| push_balance_update(&mut writes, &total));
    rows.push_into(&mut writes);
    events_rows.push_into(&mut writes);
    if ledger != first_ledger {
        writes.push(
            "UPDATE sequences SET value = $1 WHERE name = $2",
            vec![Arg::from(ledger), Arg::from("ledger")],
        );
    }
    for (app, was, last) in events {
        if last != was {
            writes.push(
                "INSERT INTO sequences (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                vec![Arg::from(event_counter(app)), Arg::from(last)],
            );
        }
    }
    writes.push(format!("RELEASE {savepoint}"), Vec::new());
    let written = writes.run(conn).await?;
    if let Some(at) = update {
        check_balances_updated(&total, written.get(at)?)?;
    }
    Ok(outcomes)
}

/// A user's reportable payouts in a group: the app, the user, the start of the year.
type PaidKey = (Uuid, Uuid, DateTime<Utc>);

/// For [`write_transfers_together`]: a limited payout's limit, its user's reportable payouts
/// before it (`None`: tax data on file), and their key in `paid`, which holds what the group
/// has added so far (read from `read` at the user's first payout of the group).
fn limits_in(
    read: &Answers,
    paid: &mut HashMap<PaidKey, Option<Cents>>,
    draft: &TransferDraft,
    at: Option<(LimitAt, ReportingLimit, Uuid)>,
) -> Result<Option<(ReportingLimit, Option<Cents>, PaidKey)>, Error> {
    let Some((at, limit, user_id)) = at else {
        return Ok(None);
    };
    let key = (draft.app_id, user_id, limit.since);
    let before = match paid.get(&key) {
        Some(before) => *before,
        None => {
            let before = at.paid(read)?;
            paid.insert(key, before);
            before
        }
    };
    Ok(Some((limit, before, key)))
}

/// What a change does inside a transfer's write transaction once the transfer is written
/// ([`create_transfer_then`]): `Err` rolls the transfer back.
pub(crate) type AfterWrite<'a> = Box<
    dyn for<'c> FnOnce(
            &'c mut AnyConnection,
            &'c Transfer,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), Error>> + Send + 'c>,
        > + Send
        + 'a,
>;

/// Writes `draft` in one write transaction, with its `transfer.updated` event, and returns it
/// as written. With `key`, a request that already made a transfer under that key returns that
/// transfer instead (or 409 if its body differed), whether it committed before this call or
/// raced it.
///
/// The key is not looked up inside the transaction: every caller has looked before
/// ([`replayed_transfer`], which also answers a replay before the request's own rules), and a
/// request that got there meanwhile is found after this write fails: on the key's primary key,
/// or for money the other request already spent. One statement less under the write lock of
/// every payout.
///
/// On SQLite the write joins the next group ([`crate::group_commit`]): its own savepoint in a
/// transaction shared with the transfers asked for at the same time, answered after that
/// transaction committed. On PostgreSQL it has a transaction of its own.
pub(crate) async fn create_transfer(
    db: &Db,
    draft: TransferDraft,
    key: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Transfer, LedgerError> {
    create_transfer_then(db, draft, key, now, None).await
}

/// [`create_transfer`], running `after` in the same write transaction once the transfer is
/// written (a payout that pays a payout link marks the link paid, issue 11).
pub(crate) async fn create_transfer_then(
    db: &Db,
    draft: TransferDraft,
    key: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
    after: Option<AfterWrite<'static>>,
) -> Result<Transfer, LedgerError> {
    let app_id = draft.app_id;
    let written = if is_postgres_pool(db) {
        async {
            // The app's writes take turns in this process before taking a connection: on
            // PostgreSQL they queue on the app's event counter row anyway (see
            // [`write_transfer`]), and a request waiting there would hold one of the pool's
            // connections, which a busy app could then take all of from the others (module
            // docs, "Locking").
            let turn = app_write_turn(app_id);
            let _turn = turn
                .acquire()
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            let mut tx = begin_ledger_write(db).await?;
            let transfer = write_transfer(&mut tx, &draft, key, None, now).await?;
            if let Some(after) = after {
                after(&mut tx, &transfer).await?;
            }
            tx.commit().await?;
            wake();
            Ok::<_, LedgerError>(transfer)
        }
        .await
    } else {
        group_commit::write(group_commit::Job {
            db: db.clone(),
            draft,
            key: key.cloned(),
            now,
            after,
        })
        .await
    };
    match (written, key) {
        // Another request with this key committed since the caller looked (its money or its
        // reportable amount then refuses this one).
        (Err(e), Some(key))
            if matches!(
                &e,
                LedgerError::Shortfall(_) | LedgerError::ComplianceRequired { .. }
            ) || matches!(&e, LedgerError::Failed(e) if is_unique_violation(e)) =>
        {
            let mut conn = db.acquire().await?;
            match key.earlier(&mut conn, app_id).await? {
                Some(earlier) => Ok(load_transfer(&mut conn, earlier).await?),
                None => Err(e),
            }
        }
        (written, _) => written,
    }
}

/// The apps whose transfers wait or write ([`app_write_turn`]), and the map's size at which the
/// apps no longer writing are swept from it.
struct AppTurns {
    apps: HashMap<Uuid, std::sync::Weak<tokio::sync::Semaphore>>,
    sweep_at: usize,
}

static APP_TURNS: std::sync::Mutex<Option<AppTurns>> = std::sync::Mutex::new(None);

/// The turns of this process's new transfers of `app_id` on PostgreSQL ([`create_transfer_then`]):
/// two at a time, one writing and the next begun and waiting at the app's row lock, so a
/// commit finds the next transfer ready; the others wait here, holding no connection. One per
/// app while any transfer waits or writes; apps no longer writing are forgotten once the map
/// has doubled since it was last swept.
fn app_write_turn(app_id: Uuid) -> std::sync::Arc<tokio::sync::Semaphore> {
    use std::sync::{Arc, Weak};
    let mut turns = APP_TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let turns = turns.get_or_insert_with(|| AppTurns {
        apps: HashMap::new(),
        sweep_at: 64,
    });
    if let Some(turn) = turns.apps.get(&app_id).and_then(Weak::upgrade) {
        return turn;
    }
    if turns.apps.len() >= turns.sweep_at {
        turns.apps.retain(|_, turn| turn.strong_count() > 0);
        turns.sweep_at = (turns.apps.len() * 2).max(64);
    }
    let turn = Arc::new(tokio::sync::Semaphore::new(2));
    turns.apps.insert(app_id, Arc::downgrade(&turn));
    turn
}

/// The transfer an earlier request with `key` made, if any (409 when that request's body was
/// another); `None` without a key. Checked before a request's own rules, so a retry gets the
/// first result even when the request could not be made again now.
pub(crate) async fn replayed_transfer(
    db: &Db,
    app_id: Uuid,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Transfer>, Error> {
    let Some(key) = key else {
        return Ok(None);
    };
    let mut conn = db.acquire().await?;
    match key.earlier(&mut conn, app_id).await? {
        Some(id) => Ok(Some(load_transfer(&mut conn, id).await?)),
        None => Ok(None),
    }
}

/// The cents user `user_id` was paid out by app `app_id` since `since` that count towards the
/// yearly reporting threshold: payouts not `tax_exempt`, not failed, canceled or reversed (their
/// money came back: issue 11).
/// Adds that sum's read to `batch` (a value, [`Batch::push_value`]).
pub(crate) fn push_reportable_payouts(
    batch: &mut Batch,
    app_id: Uuid,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> ValueAt {
    batch.push_value(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transfers \
         WHERE user_id = $1 AND app_id = $2 AND kind = 'payout' AND tax_exempt = 0 \
         AND created >= $3 AND status NOT IN ('failed', 'canceled', 'reversed')",
        vec![
            Arg::from(user_id.to_string()),
            Arg::from(app_id.to_string()),
            Arg::from(to_millis(since)),
        ],
    )
}

/// The latest payout user `user_id` made through flow `flow_id` (the payout step's work,
/// issue 4) that still stands: one failed, canceled or reversed gave its money back.
pub(crate) async fn standing_flow_payout(
    conn: &mut AnyConnection,
    flow_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Transfer>, Error> {
    let row: Option<TransferRow> = sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE flow_id = $1 AND user_id = $2 \
         AND kind = 'payout' AND status NOT IN ('failed', 'canceled', 'reversed') \
         ORDER BY seq DESC LIMIT 1"
    ))
    .bind(flow_id.to_string())
    .bind(user_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(load_transfers(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// A `transfers` row as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct TransferRow {
    id: String,
    seq: i64,
    user_id: Option<String>,
    kind: String,
    amount: i64,
    status: String,
    external_data: String,
    metadata: Option<String>,
    created: i64,
}

const TRANSFER_COLUMNS: &str =
    "id, seq, user_id, kind, amount, status, external_data, metadata, created";

impl TransferRow {
    /// Transfer `id` of app `app_id` (and of user `user_id`, when given).
    pub(crate) async fn find(
        conn: &mut AnyConnection,
        app_id: Uuid,
        user_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<Option<TransferRow>, Error> {
        let mut sql =
            format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1 AND app_id = $2");
        if user_id.is_some() {
            sql.push_str(" AND user_id = $3");
        }
        let mut query = sqlx::query_as(&sql)
            .bind(id.to_string())
            .bind(app_id.to_string());
        if let Some(user_id) = user_id {
            query = query.bind(user_id.to_string());
        }
        Ok(query.fetch_optional(conn).await?)
    }

    /// Transfer `id` of app `app_id`, locked until the write transaction ends (PostgreSQL).
    async fn find_for_update(
        conn: &mut AnyConnection,
        app_id: Uuid,
        id: Uuid,
    ) -> Result<Option<TransferRow>, Error> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1 AND app_id = $2{}",
            for_update(conn)
        );
        Ok(sqlx::query_as(&sql)
            .bind(id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(conn)
            .await?)
    }

    /// Whether transfer `id` was made through flow `flow_id` (a flow session reads only the
    /// payouts its own flow made, issue 8).
    pub(crate) async fn made_in_flow(
        conn: &mut AnyConnection,
        id: Uuid,
        flow_id: Uuid,
    ) -> Result<bool, Error> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM transfers WHERE id = $1 AND flow_id = $2")
                .bind(id.to_string())
                .bind(flow_id.to_string())
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    /// The current status.
    pub(crate) fn status(&self) -> Result<TransferStatus, Error> {
        enum_from_text("transfer status", &self.status)
    }

    fn kind(&self) -> Result<TransferType, Error> {
        enum_from_text("transfer kind", &self.kind)
    }

    fn external_data(&self) -> Result<ExternalData, Error> {
        parse_stored_json("external_data", &self.external_data)
    }
}

/// A `transactions` row as stored.
#[derive(sqlx::FromRow)]
struct TransactionRow {
    id: i64,
    transfer_id: String,
    source: String,
    destination: String,
    amount: i64,
    kind: String,
    created: i64,
}

impl TransactionRow {
    fn kind(&self) -> Result<TransactionType, Error> {
        enum_from_text("transaction kind", &self.kind)
    }
}

/// A `transfer_status_changes` row as stored.
#[derive(sqlx::FromRow)]
struct StatusRow {
    transfer_id: String,
    status: String,
    changed: i64,
}

/// `$1, $2, …, $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Transfer `id` as the wire shows it, with its history and transactions.
pub(crate) async fn load_transfer(conn: &mut AnyConnection, id: Uuid) -> Result<Transfer, Error> {
    let row: TransferRow = sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    load_transfers(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("a transfer vanished".to_owned()))
}

/// `rows` as the wire shows them, in the same order (three queries, whatever their number).
pub(crate) async fn load_transfers(
    conn: &mut AnyConnection,
    rows: Vec<TransferRow>,
) -> Result<Vec<Transfer>, Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = placeholders(rows.len());
    let history_sql = format!(
        "SELECT transfer_id, status, changed FROM transfer_status_changes \
         WHERE transfer_id IN ({ids}) ORDER BY transfer_id, position"
    );
    let transactions_sql = format!(
        "SELECT id, transfer_id, source, destination, amount, kind, created FROM transactions \
         WHERE transfer_id IN ({ids}) ORDER BY id"
    );
    let mut history = sqlx::query_as::<_, StatusRow>(&history_sql);
    let mut transactions = sqlx::query_as::<_, TransactionRow>(&transactions_sql);
    for row in &rows {
        history = history.bind(row.id.clone());
        transactions = transactions.bind(row.id.clone());
    }
    let mut history_of: HashMap<String, Vec<StatusChange>> = HashMap::new();
    for h in history.fetch_all(&mut *conn).await? {
        history_of
            .entry(h.transfer_id)
            .or_default()
            .push(StatusChange {
                status: enum_from_text("transfer status", &h.status)?,
                timestamp: from_millis(h.changed)?,
            });
    }
    let mut transactions_of: HashMap<String, Vec<TransactionRow>> = HashMap::new();
    for t in transactions.fetch_all(&mut *conn).await? {
        transactions_of
            .entry(t.transfer_id.clone())
            .or_default()
            .push(t);
    }
    rows.into_iter()
        .map(|row| {
            let metadata = metadata_from_text(row.metadata.as_deref())?;
            let transactions = transactions_of
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    Ok(Transaction {
                        id: t.id,
                        amount: t.amount,
                        created: from_millis(t.created)?,
                        kind: t.kind()?,
                        source_name: t.source,
                        destination_name: t.destination,
                        metadata: metadata.clone(),
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(Transfer {
                id: parse_stored_id(&row.id)?,
                created: from_millis(row.created)?,
                user_id: parse_stored_opt_id(row.user_id.as_deref())?,
                amount: row.amount,
                status: row.status()?,
                status_history: history_of.remove(&row.id).unwrap_or_default(),
                transactions,
                kind: row.kind()?,
                external_data: row.external_data()?,
                metadata,
            })
        })
        .collect()
}

/// The ledger number of transfer `id` of app `app_id`, for a page cursor.
pub(crate) async fn transfer_seq(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM transfers WHERE id = $1 AND app_id = $2")
            .bind(id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// Up to `limit` transfers of app `app_id` (of user `user_id`, when given), newest first, and
/// whether more lie beyond them in the direction of `page`.
pub(crate) async fn list_transfers(
    conn: &mut AnyConnection,
    app_id: Uuid,
    user_id: Option<Uuid>,
    page: Page,
    limit: i64,
) -> Result<(Vec<Transfer>, bool), Error> {
    let mut sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE app_id = $1");
    let mut n = 1;
    if user_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND user_id = ${n}"));
    }
    let page_sql = page.sql("seq", n + 1);
    if page_sql.bind.is_some() {
        n += 1;
    }
    sql.push_str(&format!(
        "{} {} LIMIT ${}",
        page_sql.filter,
        page_sql.order,
        n + 1
    ));
    let mut query = sqlx::query_as::<_, TransferRow>(&sql).bind(app_id.to_string());
    if let Some(user_id) = user_id {
        query = query.bind(user_id.to_string());
    }
    if let Some(seq) = page_sql.bind {
        query = query.bind(seq);
    }
    query = query.bind(Page::fetch_limit(limit));
    let rows = query.fetch_all(&mut *conn).await?;
    let (rows, has_more) = page.finish(rows, limit);
    debug_assert!(rows.windows(2).all(|w| w[0].seq > w[1].seq));
    Ok((load_transfers(conn, rows).await?, has_more))
}

/// Moves transfer `id` of app `app_id` to status `to` in one write transaction, moving the
/// money that goes with it, and returns it as it then is.
///
/// - `failed`, `canceled`, `reversed`: the money goes back where it came from (`return`
///   transactions): each balance, refill and fee transaction is undone, and a payout's money
///   returns from where it now is (the hold or the rail) to the wallet it left. Money that
///   funded a payout (`fund: true`) stays with the user.
/// - `completed`: a payout's money still held moves on to its rail.
/// - `flagged`, `pending`: no money moves.
///
/// `after` runs in the same transaction once the transfer has its new status (a link whose
/// payout this undid is claimed again: [`crate::service::payout_links::payout_undone_after`]).
///
/// 404 for another app's transfer; 409 for a payout link's own transfer (its money moves with
/// the link; a link's payout is a payout like any), and when [`TransferStatus::can_become`]
/// forbids the move or an account no longer holds what must go back (`verb` names the action in that message).
pub(crate) async fn change_status(
    db: &Db,
    app_id: Uuid,
    id: Uuid,
    to: TransferStatus,
    verb: &str,
    now: DateTime<Utc>,
    after: AfterWrite<'_>,
) -> Result<Transfer, Error> {
    let mut tx = begin_ledger_write(db).await?;
    // Locked first: a concurrent change of the same transfer waits, then sees this one's status.
    let row = TransferRow::find_for_update(&mut tx, app_id, id)
        .await?
        .ok_or_else(transfer_not_found)?;
    let from = row.status()?;
    if !from.can_become(to) {
        return Err(Error::Conflict(format!(
            "a {} transfer cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let transactions: Vec<TransactionRow> = sqlx::query_as(
        "SELECT id, transfer_id, source, destination, amount, kind, created FROM transactions \
         WHERE transfer_id = $1 ORDER BY id",
    )
    .bind(&row.id)
    .fetch_all(&mut *tx)
    .await?;
    // A payout link's money (set aside, claimed, returned) moves with its link, which keeps
    // the set-aside sum and the link's status in step: undoing one of its transfers alone
    // would pay the app back while the link stays open, or take a claim back from its payee.
    // The link's payout is a payout like any: it pays its fee from the link's fee reserve (a
    // `fee` transaction, which undoing it returns to the reserve) and the rest of the reserve
    // goes back to the app (a `balance` one, which undoing it leaves as it is).
    if row.kind()? != TransferType::Payout
        && transactions
            .iter()
            .any(|t| is_link_hold(&t.source) || is_link_hold(&t.destination))
    {
        return Err(Error::Conflict(format!(
            "cannot {verb} a payout link's transfer: it changes with its link (cancel an open \
             link to return its money)"
        )));
    }
    let moves = match to {
        TransferStatus::Failed | TransferStatus::Canceled | TransferStatus::Reversed => {
            undo_moves(row.kind()?, &transactions)?
        }
        TransferStatus::Completed => settle_moves(&row, &transactions)?,
        TransferStatus::Created | TransferStatus::Flagged | TransferStatus::Pending => Vec::new(),
    };
    apply_moves(&mut tx, &moves).await.map_err(|e| {
        e.into_error(|s| Error::Conflict(format!("cannot {verb} the transfer: {}", s.describe())))
    })?;
    insert_transactions(&mut tx, &row.id, &moves, now).await?;
    insert_status_change(&mut tx, &row.id, to, now).await?;
    let updated = sqlx::query("UPDATE transfers SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to.as_str())
        .bind(&row.id)
        .bind(&row.status)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() != 1 {
        return Err(Error::Internal(
            "a transfer changed under its write lock".to_owned(),
        ));
    }
    let transfer = load_transfer(&mut tx, id).await?;
    // `after` before the event: on PostgreSQL what it locks (a link's flow) then comes before
    // the app's event counter, the order a step's completion takes them in.
    after(&mut tx, &transfer).await?;
    record_event(&mut tx, app_id, EventType::TransferUpdated, &transfer, now).await?;
    tx.commit().await?;
    wake();
    Ok(transfer)
}

/// The 404 for a transfer that does not exist or is not the caller's.
pub(crate) fn transfer_not_found() -> Error {
    Error::NotFound("transfer not found".to_owned())
}

/// Net change per account of a transfer's `payout` transactions: the wallet the payout left is
/// negative, where its money now is (the hold or the rail) positive.
fn payout_position(transactions: &[TransactionRow]) -> Result<BTreeMap<&str, Cents>, Error> {
    let mut net: BTreeMap<&str, Cents> = BTreeMap::new();
    for t in transactions {
        if t.kind()? == TransactionType::Payout {
            let overflow = || Error::Internal("a payout's amounts overflow".to_owned());
            let source = net.entry(&t.source).or_default();
            *source = source.checked_sub(t.amount).ok_or_else(overflow)?;
            let destination = net.entry(&t.destination).or_default();
            *destination = destination.checked_add(t.amount).ok_or_else(overflow)?;
        }
    }
    net.retain(|_, v| *v != 0);
    Ok(net)
}

/// The `return` transactions that undo a transfer (see [`change_status`]).
fn undo_moves(kind: TransferType, transactions: &[TransactionRow]) -> Result<Vec<Move>, Error> {
    let mut moves = Vec::new();
    let position = payout_position(transactions)?;
    match (
        position.iter().find(|(_, v)| **v > 0),
        position.iter().find(|(_, v)| **v < 0),
    ) {
        (Some((now_at, amount)), Some((left, _))) if position.len() == 2 => moves.push(Move::new(
            (*now_at).to_owned(),
            (*left).to_owned(),
            *amount,
            TransactionType::Return,
        )),
        (None, None) => {}
        _ => return Err(Error::Internal("a payout of unexpected shape".to_owned())),
    }
    for t in transactions {
        let undo = match t.kind()? {
            // Funding a payout moved the money to the user for good; only the payout returns.
            TransactionType::Balance => kind != TransferType::Payout,
            TransactionType::Refill | TransactionType::Fee => true,
            TransactionType::Payout | TransactionType::Return => false,
        };
        if undo {
            moves.push(Move::new(
                t.destination.clone(),
                t.source.clone(),
                t.amount,
                TransactionType::Return,
            ));
        }
    }
    Ok(moves)
}

/// The transactions that complete a transfer: a payout's held money goes to its rail.
fn settle_moves(row: &TransferRow, transactions: &[TransactionRow]) -> Result<Vec<Move>, Error> {
    let position = payout_position(transactions)?;
    let Some((held, amount)) = position
        .iter()
        .find(|(account, v)| **v > 0 && account.starts_with("hold:"))
    else {
        return Ok(Vec::new());
    };
    let platform = row
        .external_data()?
        .platform
        .ok_or_else(|| Error::Internal("a held payout without a platform".to_owned()))?;
    Ok(vec![Move::new(
        (*held).to_owned(),
        rail_account(platform),
        *amount,
        TransactionType::Payout,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apps_transfers_share_one_turn_and_idle_apps_are_forgotten() {
        use std::sync::Arc;
        let app = Uuid::new_v4();
        let turn = app_write_turn(app);
        assert_eq!(
            turn.available_permits(),
            2,
            "one writing, the next at the lock"
        );
        assert!(Arc::ptr_eq(&turn, &app_write_turn(app)));
        assert!(!Arc::ptr_eq(&turn, &app_write_turn(Uuid::new_v4())));
        for _ in 0..1_000 {
            drop(app_write_turn(Uuid::new_v4()));
        }
        // The app still writing keeps its turn; the thousand that came and went are swept.
        assert!(Arc::ptr_eq(&turn, &app_write_turn(app)));
        let kept = APP_TURNS
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |turns| turns.apps.len());
        assert!(kept < 200, "{kept} apps kept");
    }

    fn row(id: i64, source: &str, destination: &str, amount: Cents, kind: &str) -> TransactionRow {
        TransactionRow {
            id,
            transfer_id: "t".into(),
            source: source.into(),
            destination: destination.into(),
            amount,
            kind: kind.into(),
            created: 0,
        }
    }

    #[test]
    fn undoing_a_pending_ach_payout_returns_the_hold_and_the_fee() {
        let txs = [
            row(1, "app:a", "user:u", 1000, "balance"),
            row(2, "user:u", "fees:a", 25, "fee"),
            row(3, "user:u", "hold:u", 975, "payout"),
        ];
        let moves = undo_moves(TransferType::Payout, &txs).unwrap();
        assert_eq!(
            moves,
            vec![
                Move::new(
                    "hold:u".into(),
                    "user:u".into(),
                    975,
                    TransactionType::Return
                ),
                Move::new(
                    "fees:a".into(),
                    "user:u".into(),
                    25,
                    TransactionType::Return
                ),
            ]
        );
    }

    #[test]
    fn undoing_a_settled_payout_returns_from_the_rail() {
        let txs = [
            row(1, "app:a", "fees:a", 25, "fee"),
            row(2, "user:u", "hold:u", 1000, "payout"),
            row(3, "hold:u", "external:ach", 1000, "payout"),
        ];
        let moves = undo_moves(TransferType::Payout, &txs).unwrap();
        assert_eq!(
            moves,
            vec![
                Move::new(
                    "external:ach".into(),
                    "user:u".into(),
                    1000,
                    TransactionType::Return
                ),
                Move::new("fees:a".into(), "app:a".into(), 25, TransactionType::Return),
            ]
        );
    }

    #[test]
    fn undoing_a_balance_transfer_moves_it_back() {
        let txs = [row(1, "app:a", "user:u", 500, "balance")];
        assert_eq!(
            undo_moves(TransferType::Balance, &txs).unwrap(),
            vec![Move::new(
                "user:u".into(),
                "app:a".into(),
                500,
                TransactionType::Return
            )]
        );
    }

    #[test]
    fn shortfalls_say_whose_wallet() {
        let s = Shortfall {
            account: "app:x".into(),
            balance: 1234,
        };
        assert_eq!(s.describe(), "the app's wallet has $12.34");
        assert!(!s.is_user());
    }
}
