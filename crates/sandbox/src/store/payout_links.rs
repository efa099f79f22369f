//! The `payout_links` and `sandbox_messages` tables (migration 0013, issue 11): a link as the
//! host made it, its status moves (each a compare-and-set on the status, so a claim racing a
//! cancel or another claim takes effect once), and the outbox of messages the sandbox would have
//! sent. The money of a link is the ledger's ([`crate::service::payout_links`] moves it).

use crate::config::Config;
use crate::db::{
    enum_from_text, from_millis, metadata_from_text, metadata_to_text, next_seq, parse_stored_id,
    parse_stored_json, parse_stored_opt_id, to_flag, to_json_text, to_millis, Answer, Arg, Batch,
};
use crate::error::Error;
use crate::pagination::Page;
use crate::secret::digests_match;
use crate::store::idempotency::{key_reused, IdempotencyKey};
use chrono::{DateTime, Utc};
use payout_model::money::Cents;
use payout_model::payout_link::{
    AccountingData, Delivery, MessageChannel, Payee, PayoutLink, PayoutLinkStatus, SandboxMessage,
};
use payout_model::Metadata;
use sqlx::AnyConnection;
use uuid::Uuid;

/// The 404 for a link that does not exist or is another app's.
pub(crate) fn link_not_found() -> Error {
    Error::NotFound("payout link not found".to_owned())
}

/// The columns of [`LinkRow`].
const COLUMNS: &str = "id, app_id, flow_id, amount, status, payee, delivery, payee_phone, memo, \
    description, metadata, tax_exempt, transfer_id, claimed_user_id, payout_transfer_id, \
    request_hash, expires_at, created, fee_reserve";

/// A `payout_links` row as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct LinkRow {
    id: String,
    app_id: String,
    flow_id: String,
    /// The amount promised, in cents.
    pub amount: Cents,
    status: String,
    payee: String,
    delivery: String,
    /// The payee's phone in E.164 (`+14154332334`), when the host gave one.
    pub payee_phone: Option<String>,
    /// Shown on the payout step.
    pub memo: Option<String>,
    description: Option<String>,
    metadata: Option<String>,
    tax_exempt: i64,
    transfer_id: String,
    claimed_user_id: Option<String>,
    payout_transfer_id: Option<String>,
    request_hash: String,
    expires_at: i64,
    created: i64,
    /// What it still has set aside for its payout's fee, in cents (migration 0023): when the
    /// platform pays the fee, the most any rail charges for its amount from its making until
    /// its payout, a cancel or its expiry; after a payout of it is undone, the part of that
    /// payout's fee it had paid; else 0.
    pub fee_reserve: Cents,
}

impl LinkRow {
    /// The link a [`push_of_flow`] read, if any.
    pub(crate) fn found_in(answer: &Answer) -> Result<Option<LinkRow>, Error> {
        use sqlx::FromRow as _;
        Ok(answer.rows.first().map(LinkRow::from_row).transpose()?)
    }

    /// Whether user `user_id` claimed it.
    pub(crate) fn claimed_by(&self, user_id: Uuid) -> bool {
        matches!(self.claimed_user_id(), Ok(Some(u)) if u == user_id)
    }

    /// Whether its flow pays user `user_id` the link's amount: they claimed it, and it was not
    /// canceled since (a canceled claim's flow pays out like any payout step).
    pub(crate) fn pays(&self, user_id: Uuid) -> bool {
        self.claimed_by(user_id) && !matches!(self.status(), Ok(PayoutLinkStatus::Canceled))
    }

    /// The link's id.
    pub(crate) fn id(&self) -> Result<Uuid, Error> {
        parse_stored_id(&self.id)
    }

    /// The app that made it.
    pub(crate) fn app_id(&self) -> Result<Uuid, Error> {
        parse_stored_id(&self.app_id)
    }

    /// Its flow.
    pub(crate) fn flow_id(&self) -> Result<Uuid, Error> {
        parse_stored_id(&self.flow_id)
    }

    /// Where it stands, as stored.
    pub(crate) fn status(&self) -> Result<PayoutLinkStatus, Error> {
        enum_from_text("payout link status", &self.status)
    }

    /// Who claimed it.
    pub(crate) fn claimed_user_id(&self) -> Result<Option<Uuid>, Error> {
        parse_stored_opt_id(self.claimed_user_id.as_deref())
    }

    /// Whether its payout does not count towards the reporting threshold.
    pub(crate) fn tax_exempt(&self) -> bool {
        self.tax_exempt != 0
    }

    /// Whether it may be claimed at `now`: open, and not past its expiry.
    pub(crate) fn claimable(&self, now: DateTime<Utc>) -> Result<bool, Error> {
        Ok(self.status()?.is_open() && self.before_expiry(now))
    }

    /// Whether `now` is before its `expires_at` (whatever its status).
    pub(crate) fn before_expiry(&self, now: DateTime<Utc>) -> bool {
        to_millis(now) < self.expires_at
    }

    /// The link as the host reads it (links from `config`).
    pub(crate) fn to_link(&self, config: &Config) -> Result<PayoutLink, Error> {
        let flow_id = parse_stored_id(&self.flow_id)?;
        let link = config.flow_link(flow_id);
        Ok(PayoutLink {
            id: self.id()?,
            amount: self.amount,
            status: self.status()?,
            url: link.clone(),
            link,
            flow_id,
            claimed_user_id: self.claimed_user_id()?,
            created: from_millis(self.created)?,
            expires_at: from_millis(self.expires_at)?,
            delivery: parse_stored_json("delivery", &self.delivery)?,
            payee: parse_stored_json("payee", &self.payee)?,
            memo: self.memo.clone(),
            description: self.description.clone(),
            metadata: metadata_from_text(self.metadata.as_deref())?,
            tax_exempt: self.tax_exempt != 0,
            transfer_id: parse_stored_id(&self.transfer_id)?,
            payout_transfer_id: parse_stored_opt_id(self.payout_transfer_id.as_deref())?,
            accounting_data: AccountingData::default(),
        })
    }
}

/// A link about to be stored.
pub(crate) struct NewLink<'a> {
    /// Its id.
    pub id: Uuid,
    /// The app making it.
    pub app_id: Uuid,
    /// Its flow.
    pub flow_id: Uuid,
    /// Cents promised.
    pub amount: Cents,
    /// The user the host named.
    pub user_id: Option<Uuid>,
    /// The payee as given.
    pub payee: &'a Payee,
    /// The delivery as answered.
    pub delivery: &'a Delivery,
    /// The payee's phone in E.164.
    pub payee_phone: Option<String>,
    /// Shown on the payout step.
    pub memo: Option<&'a str>,
    /// For the host's records.
    pub description: Option<&'a str>,
    /// Host data.
    pub metadata: &'a Option<Metadata>,
    /// Not counted towards the threshold.
    pub tax_exempt: bool,
    /// The transfer that set the amount aside.
    pub transfer_id: Uuid,
    /// The request's key, when it had one.
    pub key: Option<&'a str>,
    /// The hash of the request without its key.
    pub request_hash: &'a str,
    /// Until when it may be claimed.
    pub expires_at: DateTime<Utc>,
    /// Where it starts.
    pub status: PayoutLinkStatus,
    /// What it sets aside for its payout's fee, besides the amount ([`LinkRow::fee_reserve`]).
    pub fee_reserve: Cents,
}

/// Stores `link` at `now` inside the caller's transaction.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    link: &NewLink<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let seq = next_seq(&mut *conn, "payout_links", 1).await?;
    sqlx::query(
        "INSERT INTO payout_links (id, app_id, seq, flow_id, amount, status, user_id, payee, \
         delivery, payee_phone, memo, description, metadata, tax_exempt, transfer_id, \
         idempotency_key, request_hash, expires_at, created, fee_reserve) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20)",
    )
    .bind(link.id.to_string())
    .bind(link.app_id.to_string())
    .bind(seq)
    .bind(link.flow_id.to_string())
    .bind(link.amount)
    .bind(link.status.as_str())
    .bind(link.user_id.map(|u| u.to_string()))
    .bind(to_json_text(link.payee)?)
    .bind(to_json_text(link.delivery)?)
    .bind(link.payee_phone.clone())
    .bind(link.memo.map(str::to_owned))
    .bind(link.description.map(str::to_owned))
    .bind(metadata_to_text(link.metadata)?)
    .bind(to_flag(link.tax_exempt))
    .bind(link.transfer_id.to_string())
    .bind(link.key.map(str::to_owned))
    .bind(link.request_hash)
    .bind(to_millis(link.expires_at))
    .bind(to_millis(now))
    .bind(link.fee_reserve)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Link `id` of any app.
pub(crate) async fn find_any(conn: &mut AnyConnection, id: Uuid) -> Result<Option<LinkRow>, Error> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM payout_links WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// Link `id` of app `app_id`.
pub(crate) async fn find(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<LinkRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payout_links WHERE id = $1 AND app_id = $2"
    ))
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(conn)
    .await?)
}

/// The link whose flow is `flow_id`, if that flow is a link's.
pub(crate) async fn of_flow(
    conn: &mut AnyConnection,
    flow_id: Uuid,
) -> Result<Option<LinkRow>, Error> {
    let mut batch = Batch::new(conn);
    let at = push_of_flow(&mut batch, flow_id);
    LinkRow::found_in(batch.run(conn).await?.get(at)?)
}

/// Adds [`of_flow`]'s read to `batch`; read its answer with [`LinkRow::found_in`].
pub(crate) fn push_of_flow(batch: &mut Batch, flow_id: Uuid) -> usize {
    batch.push(
        format!("SELECT {COLUMNS} FROM payout_links WHERE flow_id = $1"),
        vec![Arg::from(flow_id.to_string())],
    )
}

/// The link an earlier request of app `app_id` with `key` made, if any; 409 if that request's
/// body was another.
pub(crate) async fn find_by_key(
    conn: &mut AnyConnection,
    app_id: Uuid,
    key: &IdempotencyKey,
) -> Result<Option<LinkRow>, Error> {
    let row: Option<LinkRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payout_links WHERE app_id = $1 AND idempotency_key = $2"
    ))
    .bind(app_id.to_string())
    .bind(key.key())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) if !digests_match(&row.request_hash, key.request_hash()) => Err(key_reused()),
        row => Ok(row),
    }
}

/// The sequence number of link `id` of app `app_id`, for a page cursor.
pub(crate) async fn seq_of(
    conn: &mut AnyConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    crate::pagination::seq_of(conn, "payout_links", app_id, id).await
}

/// Up to `limit` links of app `app_id` (of `status` only, when given), newest first, and
/// whether more lie beyond them in the direction of `page`.
pub(crate) async fn list(
    conn: &mut AnyConnection,
    app_id: Uuid,
    status: Option<PayoutLinkStatus>,
    page: Page,
    limit: i64,
) -> Result<(Vec<LinkRow>, bool), Error> {
    // The status is one of a closed set of wire names, never the caller's text.
    let status = status
        .map(|s| format!(" AND status = '{}'", s.as_str()))
        .unwrap_or_default();
    let select = format!("SELECT {COLUMNS} FROM payout_links WHERE app_id = $1{status}");
    page.fetch(conn, &select, app_id.to_string(), limit).await
}

/// Moves link `id` from an open status to `to` (`claimed`, `expired`, `canceled`) when it is
/// still open (and, for a claim, not past its expiry at `now`), setting `claimed_user_id` for a
/// claim; whether it took. The one compare-and-set every such move goes through. An expiry or a
/// cancel also clears the link's `fee_reserve` (its caller returns it with the amount); a
/// claim keeps it for the link's payout.
pub(crate) async fn close(
    conn: &mut AnyConnection,
    id: Uuid,
    to: PayoutLinkStatus,
    claimant: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    // A claim needs the link unexpired; an expiry needs it expired; a cancel either.
    let when = match to {
        PayoutLinkStatus::Claimed => " AND expires_at > $4",
        PayoutLinkStatus::Expired => " AND expires_at <= $4",
        _ => "",
    };
    let sql = format!(
        "UPDATE payout_links SET status = $1, claimed_user_id = COALESCE($2, claimed_user_id), \
         fee_reserve = CASE WHEN $1 = 'claimed' THEN fee_reserve ELSE 0 END \
         WHERE id = $3 AND status IN ('created', 'delivered'){when}"
    );
    let mut update = sqlx::query(&sql)
        .bind(to.as_str())
        .bind(claimant.map(|u| u.to_string()))
        .bind(id.to_string());
    if !when.is_empty() {
        update = update.bind(to_millis(now));
    }
    let updated = update.execute(&mut *conn).await?;
    Ok(updated.rows_affected() == 1)
}

/// Records on link `id` the transfer that moved its money at a claim (`claim`) or returned it
/// (`return`).
pub(crate) async fn set_transfer(
    conn: &mut AnyConnection,
    id: Uuid,
    column: LinkTransfer,
    transfer_id: Uuid,
) -> Result<(), Error> {
    let column = match column {
        LinkTransfer::Claim => "claim_transfer_id",
        LinkTransfer::Return => "return_transfer_id",
    };
    sqlx::query(&format!(
        "UPDATE payout_links SET {column} = $1 WHERE id = $2"
    ))
    .bind(transfer_id.to_string())
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Which of a link's transfers [`set_transfer`] records.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LinkTransfer {
    /// The claim's (hold → claimant).
    Claim,
    /// A cancel's or an expiry's (hold → app).
    Return,
}

/// Marks claimed link `id` paid by `payout_transfer_id`, whose transfer released
/// `fee_reserve` (what the link had set aside for its fee, now 0); whether it took (`false`:
/// it was paid already, is not claimed, or had another reserve).
pub(crate) async fn mark_paid(
    conn: &mut AnyConnection,
    id: Uuid,
    payout_transfer_id: Uuid,
    fee_reserve: Cents,
) -> Result<bool, Error> {
    let updated = sqlx::query(
        "UPDATE payout_links SET status = 'paid', payout_transfer_id = $1, fee_reserve = 0 \
         WHERE id = $2 AND status = 'claimed' AND fee_reserve = $3",
    )
    .bind(payout_transfer_id.to_string())
    .bind(id.to_string())
    .bind(fee_reserve)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Cancels claimed link `id` while its fee reserve is `fee_reserve` (its caller returns the
/// reserve); whether it took (`false`: paid since, or its reserve changed).
pub(crate) async fn cancel_claimed(
    conn: &mut AnyConnection,
    id: Uuid,
    fee_reserve: Cents,
) -> Result<bool, Error> {
    let updated = sqlx::query(
        "UPDATE payout_links SET status = 'canceled', fee_reserve = 0 \
         WHERE id = $1 AND status = 'claimed' AND fee_reserve = $2",
    )
    .bind(id.to_string())
    .bind(fee_reserve)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The link paid by payout `payout_transfer_id`, claimed again now that the payout gave its
/// money back to the claimant (failed, canceled or reversed): its id, if there is one. Its fee
/// reserve is again what the undo gave back to its hold: the part of the fee the payout paid
/// from it.
pub(crate) async fn unpay(
    conn: &mut AnyConnection,
    payout_transfer_id: Uuid,
) -> Result<Option<Uuid>, Error> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE payout_links SET status = 'claimed', payout_transfer_id = NULL, \
         fee_reserve = COALESCE((SELECT SUM(t.amount) FROM transactions t \
         WHERE t.transfer_id = $1 AND t.kind = 'fee' \
         AND t.source = 'linkhold:' || payout_links.app_id), 0) \
         WHERE payout_transfer_id = $1 AND status = 'paid' RETURNING id",
    )
    .bind(payout_transfer_id.to_string())
    .fetch_optional(conn)
    .await?;
    id.as_deref().map(parse_stored_id).transpose()
}

/// How many links a look for due ones finds at most ([`due_for_expiry`]).
pub(crate) const DUE_PAGE: usize = 100;

/// Up to [`DUE_PAGE`] links (of app `app_id`, or of every app) still open but past their expiry
/// at `now`, the longest due first.
pub(crate) async fn due_for_expiry(
    conn: &mut AnyConnection,
    app_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, Error> {
    let select = "SELECT id FROM payout_links WHERE status IN ('created', 'delivered') \
         AND expires_at <= $1";
    let ids: Vec<String> = match app_id {
        Some(app_id) => {
            sqlx::query_scalar(&format!(
                "{select} AND app_id = $2 ORDER BY expires_at LIMIT {DUE_PAGE}"
            ))
            .bind(to_millis(now))
            .bind(app_id.to_string())
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_scalar(&format!("{select} ORDER BY expires_at LIMIT {DUE_PAGE}"))
                .bind(to_millis(now))
                .fetch_all(conn)
                .await?
        }
    };
    ids.iter().map(|id| parse_stored_id(id)).collect()
}

/// Stores `message` of app `app_id` in the outbox, inside the caller's transaction.
pub(crate) async fn insert_message(
    conn: &mut AnyConnection,
    app_id: Uuid,
    message: &SandboxMessage,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO sandbox_messages (id, app_id, channel, recipient, body, link, \
         payout_link_id, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(message.id.to_string())
    .bind(app_id.to_string())
    .bind(match message.channel {
        MessageChannel::Sms => "sms",
        MessageChannel::Email => "email",
    })
    .bind(&message.to)
    .bind(&message.body)
    .bind(&message.link)
    .bind(message.payout_link_id.to_string())
    .bind(to_millis(message.created))
    .execute(conn)
    .await?;
    Ok(())
}

/// A `sandbox_messages` row as stored.
#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    channel: String,
    recipient: String,
    body: String,
    link: String,
    payout_link_id: String,
    created: i64,
}

/// The 100 latest messages of app `app_id`, newest first.
pub(crate) async fn messages(
    conn: &mut AnyConnection,
    app_id: Uuid,
) -> Result<Vec<SandboxMessage>, Error> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, channel, recipient, body, link, payout_link_id, created \
         FROM sandbox_messages WHERE app_id = $1 ORDER BY created DESC, id LIMIT 100",
    )
    .bind(app_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(SandboxMessage {
                id: parse_stored_id(&row.id)?,
                channel: enum_from_text("message channel", &row.channel)?,
                to: row.recipient,
                body: row.body,
                link: row.link,
                payout_link_id: parse_stored_id(&row.payout_link_id)?,
                created: from_millis(row.created)?,
            })
        })
        .collect()
}
