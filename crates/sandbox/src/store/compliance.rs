//! The `compliance` table: each user's tax data (W-9 or W-8BEN, issue 3) as shown, masked,
//! plus a keyed digest of a US tax id's digits ([`TaxRecord`]; never logged or returned), so
//! the background check can run on the SSN on file and compare one typed into it (issue 8).
//!
//! The digest is an HMAC under the server's secrets key ([`SecretsKey::mac_hex`], stored as
//! `hmac:v1:<hex>`), so a copy of the database alone cannot test guesses against it: nine
//! digits with the last four kept beside them are 100,000 guesses, which a salted sha256 (the
//! digest of rows written before) does not stand. A row with the old digest has it wrapped in
//! the key when the server starts ([`wrap_old_tin_hashes`], `hmac:v0:<hex>`: the HMAC of the
//! old digest, so no tax id is needed), is compared through the wrap, and gets the keyed digest
//! proper when its tax id is next given.
//!
//! Also the `wrong_tax_ids` table (migration 0018): the wrong tax ids a user gave lately, so
//! the 422 a wrong one answers cannot be used to guess the rest of an SSN
//! ([`tax_id_refused_until`]).

use crate::db::{enum_from_text, from_millis, parse_stored_json, to_json_text, to_millis};
use crate::error::Error;
use crate::secret::{digests_match, random_alphanumeric, sha256_hex, SecretsKey};
use chrono::{DateTime, Duration, Utc};
use payout_model::identity::{tin_digits, Compliance, TaxForm};
use payout_model::last4;
use uuid::Uuid;

/// How many wrong tax ids a user may give within [`WRONG_TAX_ID_WINDOW_MINUTES`]; then none is
/// compared until the oldest of them leaves the window. At five an hour, the 100,000 SSNs that
/// end in the shown last four take over two years to try.
pub(crate) const WRONG_TAX_ID_TRIES: i64 = 5;

/// The window [`WRONG_TAX_ID_TRIES`] counts in.
pub(crate) const WRONG_TAX_ID_WINDOW_MINUTES: i64 = 60;

/// A user's compliance record as stored: what is shown, plus the keyed digest of the US tax id
/// (never shown, never logged).
pub(crate) struct TaxRecord {
    /// What the user and the host see.
    pub(crate) compliance: Compliance,
    /// The salt and digest of the tax id's digits; `None` for W-8BEN and for W-9 rows written
    /// before the hash was kept (migration 0008).
    tin_hash: Option<(String, String)>,
    /// The key the digest is made with.
    key: SecretsKey,
}

impl TaxRecord {
    /// Whether `tin` (an SSN or ITIN in any spelling) is the one on file: by its digest, or,
    /// for a row from before the hash was kept, by its last four digits. Never for a W-8BEN.
    pub(crate) fn tin_matches(&self, tin: &str) -> bool {
        match (&self.tin_hash, &self.compliance.tin_last4) {
            (Some((salt, hash)), _) => {
                if hash.starts_with(KEYED) {
                    digests_match(&hash_tin(&self.key, salt, tin), hash)
                } else if hash.starts_with(WRAPPED) {
                    digests_match(&wrap(&self.key, &old_hash_tin(salt, tin)), hash)
                } else {
                    digests_match(&old_hash_tin(salt, tin), hash)
                }
            }
            (None, Some(stored)) => {
                self.compliance.form == TaxForm::W9 && tin_digits(tin).len() == 9 && {
                    digests_match(&last4(tin), stored)
                }
            }
            (None, None) => false,
        }
    }

    /// Whether the record keeps the hash of its tax id (false for W-8BEN and older W-9 rows).
    pub(crate) fn has_tin_hash(&self) -> bool {
        self.tin_hash.is_some()
    }

    /// Whether its digest is of the kind written before the keyed one.
    pub(crate) fn has_old_tin_hash(&self) -> bool {
        self.tin_hash
            .as_ref()
            .is_some_and(|(_, hash)| !hash.starts_with(KEYED))
    }
}

/// How a keyed tax id digest starts.
const KEYED: &str = "hmac:v1:";

/// How an old digest wrapped in the key starts ([`wrap_old_tin_hashes`]).
const WRAPPED: &str = "hmac:v0:";

/// An old digest wrapped in `key`.
fn wrap(key: &SecretsKey, old: &str) -> String {
    format!("{WRAPPED}{}", key.mac_hex("tin-v0", old))
}

/// Wraps every old (unkeyed) tax id digest in `key`, so a copy of the database alone cannot
/// test guesses against it; how many. Run as the server starts. Each row is replaced only if it
/// still holds the digest read (a concurrent start wrapping it first wins).
pub(crate) async fn wrap_old_tin_hashes(
    conn: &mut sqlx::AnyConnection,
    key: &SecretsKey,
) -> Result<u64, Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, tin_hash FROM compliance WHERE tin_hash IS NOT NULL \
         AND tin_hash NOT LIKE 'hmac:%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut wrapped = 0;
    for (user_id, old) in rows {
        let done =
            sqlx::query("UPDATE compliance SET tin_hash = $1 WHERE user_id = $2 AND tin_hash = $3")
                .bind(wrap(key, &old))
                .bind(&user_id)
                .bind(&old)
                .execute(&mut *conn)
                .await?;
        wrapped += done.rows_affected();
    }
    Ok(wrapped)
}

/// What is stored of a tax id: the HMAC, under `key`, of the salt and its digits.
fn hash_tin(key: &SecretsKey, salt: &str, tin: &str) -> String {
    format!(
        "{KEYED}{}",
        key.mac_hex("tin", &format!("{salt}:{}", tin_digits(tin)))
    )
}

/// What rows written before the keyed digest keep: sha256 of the salt and the digits.
fn old_hash_tin(salt: &str, tin: &str) -> String {
    sha256_hex(format!("{salt}:{}", tin_digits(tin)))
}

/// Writes `compliance` as user `user_id`'s record, replacing any, with a fresh salted digest of
/// `tin` under `key` (the whole US tax id; `None` for a W-8BEN). Inside the caller's write
/// transaction.
pub(crate) async fn store_record(
    conn: &mut sqlx::AnyConnection,
    key: &SecretsKey,
    user_id: Uuid,
    app_id: Uuid,
    compliance: &Compliance,
    tin: Option<&str>,
) -> Result<(), Error> {
    let (tin_salt, tin_hash) = match tin {
        Some(tin) => {
            let salt = random_alphanumeric(24);
            let hash = hash_tin(key, &salt, tin);
            (Some(salt), Some(hash))
        }
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO compliance (user_id, app_id, form, country, first_name, last_name, \
         date_of_birth, tin_last4, foreign_tax_id_last4, address, submitted_at, tin_salt, \
         tin_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (user_id) DO UPDATE SET form = excluded.form, country = excluded.country, \
         first_name = excluded.first_name, last_name = excluded.last_name, \
         date_of_birth = excluded.date_of_birth, tin_last4 = excluded.tin_last4, \
         foreign_tax_id_last4 = excluded.foreign_tax_id_last4, address = excluded.address, \
         submitted_at = excluded.submitted_at, tin_salt = excluded.tin_salt, \
         tin_hash = excluded.tin_hash",
    )
    .bind(user_id.to_string())
    .bind(app_id.to_string())
    .bind(compliance.form.as_str())
    .bind(&compliance.country)
    .bind(&compliance.first_name)
    .bind(&compliance.last_name)
    .bind(&compliance.date_of_birth)
    .bind(compliance.tin_last4.clone())
    .bind(compliance.foreign_tax_id_last4.clone())
    .bind(to_json_text(&compliance.address)?)
    .bind(to_millis(compliance.submitted_at))
    .bind(tin_salt)
    .bind(tin_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps the keyed digest of `tin` on user `user_id`'s W-9 row that has none, or the old
/// digest (its last four digits, or its old digest, already matched), inside the caller's write
/// transaction.
pub(crate) async fn store_tin_hash(
    conn: &mut sqlx::AnyConnection,
    key: &SecretsKey,
    user_id: Uuid,
    tin: &str,
) -> Result<(), Error> {
    let salt = random_alphanumeric(24);
    let hash = hash_tin(key, &salt, tin);
    sqlx::query(
        "UPDATE compliance SET tin_salt = $1, tin_hash = $2 WHERE user_id = $3 AND form = 'w9' \
         AND (tin_hash IS NULL OR tin_hash NOT LIKE 'hmac:v1:%')",
    )
    .bind(salt)
    .bind(hash)
    .bind(user_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Until when user `user_id`'s tax ids are not compared, at `now`: `None` unless they gave
/// [`WRONG_TAX_ID_TRIES`] wrong ones within the last [`WRONG_TAX_ID_WINDOW_MINUTES`], then when
/// the oldest of the last that many leaves the window.
pub(crate) async fn tax_id_refused_until(
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Error> {
    let window = Duration::minutes(WRONG_TAX_ID_WINDOW_MINUTES);
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM wrong_tax_ids WHERE user_id = $1 AND at > $2 \
         ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(user_id.to_string())
    .bind(to_millis(now - window))
    .bind(WRONG_TAX_ID_TRIES - 1)
    .fetch_optional(conn)
    .await?;
    at.map(|at| Ok(from_millis(at)? + window)).transpose()
}

/// Counts a wrong tax id user `user_id` gave at `now`, forgetting theirs older than the window.
pub(crate) async fn record_wrong_tax_id(
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let window = Duration::minutes(WRONG_TAX_ID_WINDOW_MINUTES);
    sqlx::query("DELETE FROM wrong_tax_ids WHERE user_id = $1 AND at <= $2")
        .bind(user_id.to_string())
        .bind(to_millis(now - window))
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO wrong_tax_ids (user_id, at) VALUES ($1, $2)")
        .bind(user_id.to_string())
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ComplianceRow {
    form: String,
    country: String,
    first_name: String,
    last_name: String,
    date_of_birth: String,
    tin_last4: Option<String>,
    foreign_tax_id_last4: Option<String>,
    address: String,
    submitted_at: i64,
    tin_salt: Option<String>,
    tin_hash: Option<String>,
}

/// Adds to `batch` the look for user `user_id`'s tax details on file (what the reporting
/// threshold asks for): they have them when its value (their id, text) is there. A record
/// without a legal name (a background check's of a host's user made with a phone number
/// alone) is not ([`Compliance::is_on_file`], which the host's user object follows): it binds
/// the W-9 to what the check ran on, and the compliance step still asks for the form, names
/// and all.
pub(crate) fn push_has_compliance(
    batch: &mut crate::db::Batch,
    user_id: Uuid,
) -> crate::db::ValueAt {
    batch.push_value(
        "SELECT user_id FROM compliance WHERE user_id = $1 AND first_name <> '' \
         AND last_name <> ''",
        vec![crate::db::Arg::from(user_id.to_string())],
    )
}

/// The compliance data of user `user_id`, if they submitted any (or their background check
/// collected it).
pub(crate) async fn find_compliance<'e, E>(
    db: E,
    user_id: Uuid,
) -> Result<Option<Compliance>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(read_record(db, user_id).await?.map(|(c, _)| c))
}

/// The compliance record of user `user_id` with its tax id hash (compared under `key`), if
/// there is one.
pub(crate) async fn find_record<'e, E>(
    db: E,
    key: &SecretsKey,
    user_id: Uuid,
) -> Result<Option<TaxRecord>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(read_record(db, user_id)
        .await?
        .map(|(compliance, tin_hash)| TaxRecord {
            compliance,
            tin_hash,
            key: key.clone(),
        }))
}

/// User `user_id`'s compliance row: what is shown, and the salt and digest of its tax id.
#[allow(clippy::type_complexity)]
async fn read_record<'e, E>(
    db: E,
    user_id: Uuid,
) -> Result<Option<(Compliance, Option<(String, String)>)>, Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<ComplianceRow> = sqlx::query_as(
        "SELECT form, country, first_name, last_name, date_of_birth, tin_last4, \
         foreign_tax_id_last4, address, submitted_at, tin_salt, tin_hash FROM compliance \
         WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok((
            Compliance {
                form: enum_from_text("form", &row.form)?,
                country: row.country,
                first_name: row.first_name,
                last_name: row.last_name,
                date_of_birth: row.date_of_birth,
                tin_last4: row.tin_last4,
                foreign_tax_id_last4: row.foreign_tax_id_last4,
                address: parse_stored_json("address", &row.address)?,
                submitted_at: from_millis(row.submitted_at)?,
            },
            row.tin_salt.zip(row.tin_hash),
        ))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_ids_hash_by_their_digits_with_a_salt_under_the_key() {
        let key = SecretsKey::generate();
        let hash = |salt: &str, tin: &str| hash_tin(&key, salt, tin);
        assert_eq!(hash("s", "123-45-6789"), hash("s", "123 45 6789"));
        assert_ne!(hash("s", "123-45-6789"), hash("t", "123-45-6789"));
        assert_ne!(hash("s", "123-45-6789"), hash("s", "123-45-6788"));
        // Without the key, the row's salt and the digits do not make the digest.
        let other = SecretsKey::generate();
        assert_ne!(
            hash("s", "123-45-6789"),
            hash_tin(&other, "s", "123-45-6789")
        );
        assert!(!hash("s", "123-45-6789").contains(&old_hash_tin("s", "123-45-6789")));
    }
}
