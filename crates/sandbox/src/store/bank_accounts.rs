//! The `bank_accounts` table (issue 4): each user's bank accounts for pay-ins, oldest first by
//! `seq`. Of an account number only its last four digits are stored (the sandbox pays no real
//! bank; rows from before are cut down when the database opens,
//! [`crate::store::payout_methods::keep_last4_only`]), and nothing here logs them.

use crate::db::{
    begin_write, enum_from_text, from_millis, next_seq, parse_stored_id, to_millis, Db,
};
use crate::error::Error;
use crate::store::flows::FlowWrite;
use chrono::{DateTime, Utc};
use payout_model::money::{BankAccount, BankAccountList, NewBankAccount};
use payout_model::{last4, shown_tail};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The 404 for a bank account that is not the user's.
pub(crate) fn bank_account_not_found() -> Error {
    Error::NotFound("bank account not found".to_owned())
}

/// Connects `new` (already valid) for user `user_id` of app `app_id` at `now`; for a flow
/// session, `through` is checked again in the write's transaction.
pub(crate) async fn add_account(
    db: &Db,
    app_id: Uuid,
    user_id: Uuid,
    new: &NewBankAccount,
    now: DateTime<Utc>,
    through: Option<FlowWrite<'_>>,
) -> Result<BankAccount, Error> {
    let account = BankAccount {
        id: Uuid::new_v4(),
        routing_number: new.routing_number.trim().to_owned(),
        account_number_last4: shown_tail(new.account_number.trim()),
        account_type: new.account_type,
        created: now,
    };
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(through, &mut tx).await?;
    let seq = next_seq(&mut tx, "bank_accounts", 1).await?;
    sqlx::query(
        "INSERT INTO bank_accounts (id, app_id, user_id, routing_number, account_number, \
         account_type, seq, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(account.id.to_string())
    .bind(app_id.to_string())
    .bind(user_id.to_string())
    .bind(&account.routing_number)
    // Only the last four digits: the sandbox pays no real bank, and nothing shows more.
    .bind(&account.account_number_last4)
    .bind(account.account_type.as_str())
    .bind(seq)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// Removes bank account `id` of user `user_id`; 404 if it is not theirs. For a flow session,
/// `through` is checked again in the write's transaction.
pub(crate) async fn remove_account(
    db: &Db,
    user_id: Uuid,
    id: Uuid,
    through: Option<FlowWrite<'_>>,
) -> Result<(), Error> {
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(through, &mut tx).await?;
    let deleted = sqlx::query("DELETE FROM bank_accounts WHERE id = $1 AND user_id = $2")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(bank_account_not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// Whether user `user_id` has connected a bank account.
pub(crate) async fn has_bank_account(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<bool, Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM bank_accounts WHERE user_id = $1 LIMIT 1")
            .bind(user_id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

#[derive(sqlx::FromRow)]
struct BankAccountRow {
    id: String,
    routing_number: String,
    account_number: String,
    account_type: String,
    created: i64,
}

/// User `user_id`'s bank accounts, oldest first.
pub(crate) async fn list_accounts(db: &Db, user_id: Uuid) -> Result<BankAccountList, Error> {
    let rows: Vec<BankAccountRow> = sqlx::query_as(
        "SELECT id, routing_number, account_number, account_type, created FROM bank_accounts \
         WHERE user_id = $1 ORDER BY seq",
    )
    .bind(user_id.to_string())
    .fetch_all(db)
    .await?;
    let data = rows
        .into_iter()
        .map(|row| {
            Ok(BankAccount {
                id: parse_stored_id(&row.id)?,
                routing_number: row.routing_number,
                account_number_last4: last4(&row.account_number),
                account_type: enum_from_text("account_type", &row.account_type)?,
                created: from_millis(row.created)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(BankAccountList { data })
}
