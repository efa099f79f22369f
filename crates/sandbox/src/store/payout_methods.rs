//! The `payout_methods` table (issue 4): each user's payout methods, one default per user (a
//! unique index), oldest first by `seq`. The details are stored as entered but for a bank
//! account's number, of which only the last four digits are kept (the sandbox pays no real
//! bank, and nothing shows more: [`normalized`]; rows from before are cut down when the database
//! opens, [`keep_last4_only`]); what is read back is a [`PayoutMethod`] whose `label` masks
//! them ([`label`]), and nothing here logs them.

use crate::db::{
    begin_write, enum_from_text, from_millis, next_seq, parse_stored_id, to_flag, to_json_text,
    to_millis, Answers, Arg, Batch, Db, ValueAt,
};
use crate::error::Error;
use crate::store::flows::FlowWrite;
use chrono::{DateTime, Utc};
use payout_model::money::{
    NewPayoutMethod, PayoutMethod, PayoutMethodList, PayoutPlatform, PlatformChoice,
};
use payout_model::{Denial, StepName};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The 404 for a payout method that is not the user's.
pub(crate) fn payout_method_not_found() -> Error {
    Error::NotFound("payout method not found".to_owned())
}

/// A `payout_methods` row as stored (without its details).
#[derive(sqlx::FromRow)]
pub(crate) struct MethodRow {
    id: String,
    platform: String,
    label: String,
    details: String,
    is_default: i64,
    created: i64,
}

/// A method's columns, in [`MethodRow`]'s order.
const METHOD_COLUMNS: [&str; 6] = [
    "id",
    "platform",
    "label",
    "details",
    "is_default",
    "created",
];

/// Where a method's columns are among a batch's answers ([`MethodRow::push_find`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MethodAt([ValueAt; 6]);

impl MethodRow {
    /// Payout method `id` of user `user_id`.
    pub(crate) async fn find(
        conn: &mut AnyConnection,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<MethodRow>, Error> {
        let mut batch = Batch::new(conn);
        let at = Self::push_find(&mut batch, user_id, id);
        Self::found_in(&batch.run(conn).await?, at)
    }

    /// Adds [`MethodRow::find`]'s read to `batch`; read it with [`MethodRow::found_in`].
    pub(crate) fn push_find(batch: &mut Batch, user_id: Uuid, id: Uuid) -> MethodAt {
        Self::push_read(
            batch,
            "FROM payout_methods WHERE id = $1 AND user_id = $2",
            &[Arg::from(id.to_string()), Arg::from(user_id.to_string())],
        )
    }

    /// Adds to `batch` the read of the method a payout on `choice` uses: the default for
    /// `default`, else the user's method on that platform (the default one if it is, else the
    /// oldest); read it with [`MethodRow::found_in`].
    pub(crate) fn push_for_platform(
        batch: &mut Batch,
        user_id: Uuid,
        choice: PlatformChoice,
    ) -> MethodAt {
        match chosen_platform(choice) {
            None => Self::push_read(
                batch,
                "FROM payout_methods WHERE user_id = $1 AND is_default = 1",
                &[Arg::from(user_id.to_string())],
            ),
            Some(platform) => Self::push_read(
                batch,
                "FROM payout_methods WHERE user_id = $1 AND platform = $2 \
                 ORDER BY is_default DESC, seq LIMIT 1",
                &[Arg::from(user_id.to_string()), Arg::from(platform.as_str())],
            ),
        }
    }

    /// Adds the read of the columns of the method `from` picks (at most one), as values read
    /// together with the batch's others ([`Batch::push_row`]).
    fn push_read(batch: &mut Batch, from: &str, args: &[Arg]) -> MethodAt {
        MethodAt(batch.push_row(METHOD_COLUMNS, from, args))
    }

    /// The method a [`MethodRow::push_find`] or [`MethodRow::push_for_platform`] read, if any.
    pub(crate) fn found_in(read: &Answers, at: MethodAt) -> Result<Option<MethodRow>, Error> {
        let [id, platform, label, details, is_default, created] = at.0;
        let Some(id) = read.value::<String>(id)? else {
            return Ok(None);
        };
        fn stored<T>(value: Option<T>) -> Result<T, Error> {
            value.ok_or_else(|| Error::Internal("a payout method column is null".to_owned()))
        }
        Ok(Some(MethodRow {
            id,
            platform: stored(read.value(platform)?)?,
            label: stored(read.value(label)?)?,
            details: stored(read.value(details)?)?,
            is_default: stored(read.value(is_default)?)?,
            created: stored(read.value(created)?)?,
        }))
    }

    /// The method's id.
    pub(crate) fn id(&self) -> Result<Uuid, Error> {
        parse_stored_id(&self.id)
    }

    /// The method's rail.
    pub(crate) fn platform(&self) -> Result<PayoutPlatform, Error> {
        enum_from_text("platform", &self.platform)
    }

    fn to_method(&self) -> Result<PayoutMethod, Error> {
        let details: NewPayoutMethod = serde_json::from_str(&self.details)
            .map_err(|e| Error::Internal(format!("stored payout method details: {e}")))?;
        Ok(PayoutMethod {
            id: self.id()?,
            platform: self.platform()?,
            default: self.is_default != 0,
            label: self.label.clone(),
            account: details.account_shown(),
            account_type: details.account_type(),
            created: from_millis(self.created)?,
        })
    }
}

/// The rail `choice` names; `None` for `default`.
pub(crate) fn chosen_platform(choice: PlatformChoice) -> Option<PayoutPlatform> {
    match choice {
        PlatformChoice::Default => None,
        PlatformChoice::Ach => Some(PayoutPlatform::Ach),
        PlatformChoice::Paypal => Some(PayoutPlatform::Paypal),
        PlatformChoice::Venmo => Some(PayoutPlatform::Venmo),
        PlatformChoice::CashApp => Some(PayoutPlatform::CashApp),
    }
}

/// Whether user `user_id` has at least one payout method.
pub(crate) async fn has_payout_method(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<bool, Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM payout_methods WHERE user_id = $1 LIMIT 1")
            .bind(user_id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// User `user_id`'s methods, oldest first.
pub(crate) async fn list_methods(
    conn: &mut AnyConnection,
    user_id: Uuid,
) -> Result<PayoutMethodList, Error> {
    let rows: Vec<MethodRow> = sqlx::query_as(&format!(
        "SELECT {} FROM payout_methods WHERE user_id = $1 ORDER BY seq",
        METHOD_COLUMNS.join(", ")
    ))
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    Ok(PayoutMethodList {
        data: rows
            .iter()
            .map(MethodRow::to_method)
            .collect::<Result<_, _>>()?,
    })
}

/// Adds `new` (already validated) for user `user_id` of app `app_id`; for a flow session,
/// `through` is checked again in the write's transaction, where the payout step, which adds
/// only a first method (issue 8: a leaked payout link must not add the holder's own account
/// next to the user's and pay the balance to it), is refused 403 `step_not_allowed` once the
/// user has one.
pub(crate) async fn add_method(
    db: &Db,
    app_id: Uuid,
    user_id: Uuid,
    new: NewPayoutMethod,
    now: DateTime<Utc>,
    through: Option<FlowWrite<'_>>,
) -> Result<PayoutMethod, Error> {
    let new = normalized(new);
    let mut tx = begin_write(db).await?;
    let step = FlowWrite::recheck(through, &mut tx).await?;
    // A user with methods has exactly one default (a removed default passes on).
    let has_default: Option<String> =
        sqlx::query_scalar("SELECT id FROM payout_methods WHERE user_id = $1 AND is_default = 1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if step == Some(StepName::Payout) && has_default.is_some() {
        return Err(Error::StepNotAllowed(Denial::PayoutStepHasMethods));
    }
    let seq = next_seq(&mut tx, "payout_methods", 1).await?;
    let method = PayoutMethod {
        id: Uuid::new_v4(),
        platform: new.platform(),
        default: has_default.is_none(),
        label: label(&new),
        account: new.account_shown(),
        account_type: new.account_type(),
        created: now,
    };
    sqlx::query(
        "INSERT INTO payout_methods (id, app_id, user_id, platform, details, label, is_default, \
         seq, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(method.id.to_string())
    .bind(app_id.to_string())
    .bind(user_id.to_string())
    .bind(method.platform.as_str())
    .bind(to_json_text(&new)?)
    .bind(&method.label)
    .bind(to_flag(method.default))
    .bind(seq)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(method)
}

/// Removes method `method_id` of user `user_id` (404 if it is not theirs); a removed default
/// passes to the oldest remaining method. For a flow session, `through` is checked again in the
/// write's transaction.
pub(crate) async fn remove_method(
    db: &Db,
    user_id: Uuid,
    method_id: Uuid,
    through: Option<FlowWrite<'_>>,
) -> Result<(), Error> {
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(through, &mut tx).await?;
    let row = MethodRow::find(&mut tx, user_id, method_id)
        .await?
        .ok_or_else(payout_method_not_found)?;
    sqlx::query("DELETE FROM payout_methods WHERE id = $1")
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    if row.is_default != 0 {
        sqlx::query(
            "UPDATE payout_methods SET is_default = 1 WHERE id = \
             (SELECT id FROM payout_methods WHERE user_id = $1 ORDER BY seq LIMIT 1)",
        )
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Makes method `method_id` user `user_id`'s default (404 if it is not theirs).
pub(crate) async fn make_default(
    db: &Db,
    user_id: Uuid,
    method_id: Uuid,
    through: Option<FlowWrite<'_>>,
) -> Result<PayoutMethodList, Error> {
    let mut tx = begin_write(db).await?;
    FlowWrite::recheck(through, &mut tx).await?;
    MethodRow::find(&mut tx, user_id, method_id)
        .await?
        .ok_or_else(payout_method_not_found)?;
    // Clear first: at most one default per user (a unique index) at every statement.
    sqlx::query("UPDATE payout_methods SET is_default = 0 WHERE user_id = $1 AND is_default = 1")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE payout_methods SET is_default = 1 WHERE id = $1")
        .bind(method_id.to_string())
        .execute(&mut *tx)
        .await?;
    let list = list_methods(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(list)
}

/// Cuts every stored bank account number (of payout methods and of bank accounts) that is
/// still whole to what [`payout_model::shown_tail`] keeps: rows written before only the tail was
/// kept. Run as the database opens ([`crate::db::connect_with`]); how many rows it cut.
///
/// A number of four characters or fewer is a tail already kept and is left as it is: cutting a
/// tail again would wear it away a little more at every start (a 4-digit number kept as `21`
/// became `1`, then nothing). A whole number of four digits stored before tails were halved
/// cannot be told from a kept tail, and stays.
pub(crate) async fn keep_last4_only(db: &Db) -> Result<u64, Error> {
    // Read first, without the write lock: almost always there is nothing to cut.
    let mut conn = db.acquire().await?;
    let whole = whole_account_numbers(&mut conn).await?;
    let uncut_accounts: Option<i64> = sqlx::query_scalar(
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM bank_accounts WHERE length(account_number) > 4)",
    )
    .fetch_optional(&mut *conn)
    .await?;
    drop(conn);
    if whole.is_empty() && uncut_accounts.is_none() {
        return Ok(0);
    }
    let mut tx = begin_write(db).await?;
    let mut cut = 0;
    for (id, stored) in whole_account_numbers(&mut tx).await? {
        // The label too: one stored before showed the whole number's last four digits.
        let kept = normalized(stored);
        sqlx::query("UPDATE payout_methods SET details = $1, label = $2 WHERE id = $3")
            .bind(to_json_text(&kept)?)
            .bind(label(&kept))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        cut += 1;
    }
    // Cut as a number given now is ([`payout_model::shown_tail`]): never more than half of it,
    // so a whole 5-digit number keeps 2 digits, not 4.
    let accounts: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, account_number FROM bank_accounts WHERE length(account_number) > 4",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, whole) in accounts {
        sqlx::query("UPDATE bank_accounts SET account_number = $1 WHERE id = $2")
            .bind(payout_model::shown_tail(whole.trim()))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        cut += 1;
    }
    tx.commit().await?;
    // The whole numbers live on in freed space until it is reused.
    crate::db::rewrite_freed_space(db, "payout_methods, bank_accounts").await;
    Ok(cut)
}

/// The ACH payout methods whose stored account number is longer than a kept tail (four
/// characters): numbers stored whole, with their rows' ids.
async fn whole_account_numbers(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, NewPayoutMethod)>, Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, details FROM payout_methods WHERE platform = 'ach'")
            .fetch_all(&mut *conn)
            .await?;
    let mut whole = Vec::new();
    for (id, details) in rows {
        let stored: NewPayoutMethod = serde_json::from_str(&details)
            .map_err(|e| Error::Internal(format!("stored payout method details: {e}")))?;
        if let NewPayoutMethod::Ach { account_number, .. } = &stored {
            if account_number.chars().count() > 4 {
                whole.push((id, stored));
            }
        }
    }
    Ok(whole)
}

/// `new` with its fields trimmed (a Venmo phone number as digits, a bank account's number cut
/// to its last four digits), as it is stored.
fn normalized(new: NewPayoutMethod) -> NewPayoutMethod {
    match new {
        NewPayoutMethod::Ach {
            routing_number,
            account_number,
            account_type,
        } => NewPayoutMethod::Ach {
            routing_number: routing_number.trim().to_owned(),
            account_number: payout_model::shown_tail(account_number.trim()),
            account_type,
        },
        NewPayoutMethod::Paypal { email } => NewPayoutMethod::Paypal {
            email: email.trim().to_owned(),
        },
        NewPayoutMethod::Venmo { handle } => {
            let handle = handle.trim();
            NewPayoutMethod::Venmo {
                handle: if handle.starts_with('@') {
                    handle.to_owned()
                } else {
                    handle.chars().filter(char::is_ascii_digit).collect()
                },
            }
        }
        NewPayoutMethod::CashApp { cashtag } => NewPayoutMethod::CashApp {
            cashtag: cashtag.trim().to_owned(),
        },
    }
}

/// What a person sees of a method: `PayPal · ada@example.com`, `ACH · checking ••••6789`,
/// `Venmo · @ada`, `Venmo · (415) 555-0123`, `Cash App · $ada`. Never a whole account number.
pub(crate) fn label(method: &NewPayoutMethod) -> String {
    let account = method.account_shown();
    match method {
        NewPayoutMethod::Ach { account_type, .. } => {
            format!("ACH · {} {account}", account_type.as_str())
        }
        NewPayoutMethod::Paypal { .. } => format!("PayPal · {account}"),
        NewPayoutMethod::Venmo { .. } => format!("Venmo · {account}"),
        NewPayoutMethod::CashApp { .. } => format!("Cash App · {account}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::money::AccountType;

    #[test]
    fn labels_mask_account_numbers() {
        let ach = NewPayoutMethod::Ach {
            routing_number: "011000015".into(),
            account_number: "123456789".into(),
            account_type: AccountType::Checking,
        };
        assert_eq!(label(&ach), "ACH · checking ••••6789");
        let venmo = normalized(NewPayoutMethod::Venmo {
            handle: " (415) 555-0123 ".into(),
        });
        assert_eq!(label(&venmo), "Venmo · (415) 555-0123");
        assert_eq!(
            label(&NewPayoutMethod::CashApp {
                cashtag: "$ada".into()
            }),
            "Cash App · $ada"
        );
    }
}
