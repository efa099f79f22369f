//! Group commit of transfers on SQLite (issue 10: 2,000 payouts/s). SQLite has one writer at a
//! time, and a payout's commit cost about as much as its statements (the log pages it wrote,
//! and now and then a checkpoint), all of it while every other writer waited. Transfers asked
//! for while a group is being written wait for the next group: one runner per database writes
//! them in one write transaction, each in a savepoint of its own, commits once, and only then
//! answers each.
//!
//! - Each transfer keeps its own outcome: one that fails (a shortfall, an idempotency key a
//!   concurrent request used, a refused [`AfterWrite`]) is rolled back to its savepoint and
//!   answers its error; the others are written.
//! - Nothing is answered before the commit: when the commit fails, or SQLite ends the
//!   transaction itself, every transfer of the group answers an error and none is written.
//! - Each transfer reads the balances the ones before it in the group left, in its own
//!   transaction's order, as it would one commit at a time.
//! - A caller that stops waiting leaves its transfer to be written (an idempotency key's retry
//!   then finds it).
//!
//! The runner lives on a thread of its own ([`crate::db::spawn_on_writer`]): between its trips
//! to the database it holds the only write lock, so it must not wait behind requests. On
//! PostgreSQL, where ledger writes of unrelated wallets run side by side, each transfer keeps its
//! own transaction ([`crate::ledger::create_transfer_then`]).

use crate::db::{begin_ledger_write, spawn_on_writer, Db};
use crate::error::Error;
use crate::ledger::{write_transfer, AfterWrite, LedgerError, TransferDraft};
use crate::store::idempotency::IdempotencyKey;
use crate::webhooks::wake;
use chrono::{DateTime, Utc};
use payout_model::money::Transfer;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use tokio::sync::oneshot;

/// The most transfers one group writes: the write lock is held for all of them, so other
/// writers (sign-in, identity) wait at most this many transfers' statements.
const MOST_PER_GROUP: usize = 64;

/// A transfer waiting for its group.
pub(crate) struct Job {
    /// The database (the pool) it is written to.
    pub db: Db,
    /// What to write.
    pub draft: TransferDraft,
    /// Its idempotency key, recorded with it.
    pub key: Option<IdempotencyKey>,
    /// When it is made.
    pub now: DateTime<Utc>,
    /// What else the same transaction does once it is written.
    pub after: Option<AfterWrite<'static>>,
}

/// A job and where its outcome goes.
struct Queued {
    job: Job,
    answer: oneshot::Sender<Result<Transfer, LedgerError>>,
}

/// One database's waiting transfers, and whether its runner is at work.
#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    running: bool,
}

/// The queues, by pool: a pool's options live as long as the pool, and a waiting job holds its
/// pool, so no other pool can take a key while its queue has work. (Every in-memory SQLite
/// database has the same URL; two pools on one file still take turns through the write lock.)
static QUEUES: LazyLock<Mutex<HashMap<usize, Queue>>> = LazyLock::new(Default::default);

/// The queue key of pool `db`.
fn pool_key(db: &Db) -> usize {
    Arc::as_ptr(&db.connect_options()) as usize
}

/// Writes `job` with the next group of its database; answers once that group committed.
pub(crate) async fn write(job: Job) -> Result<Transfer, LedgerError> {
    let key = pool_key(&job.db);
    let (answer, answered) = oneshot::channel();
    let start = {
        let mut queues = QUEUES.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = queues.entry(key).or_default();
        queue.waiting.push(Queued { job, answer });
        !std::mem::replace(&mut queue.running, true)
    };
    if start {
        spawn_on_writer(run(key));
    }
    answered
        .await
        .map_err(|_| LedgerError::Failed(Error::Internal("the ledger writer stopped".to_owned())))?
}

/// Queues `jobs` at once (one group, when no runner is at work) and answers each outcome, in
/// order.
#[cfg(test)]
async fn write_together(jobs: Vec<Job>) -> Vec<Result<Transfer, LedgerError>> {
    let Some(key) = jobs.first().map(|job| pool_key(&job.db)) else {
        return Vec::new();
    };
    let mut answers = Vec::new();
    let start = {
        let mut queues = QUEUES.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = queues.entry(key).or_default();
        for job in jobs {
            let (answer, answered) = oneshot::channel();
            queue.waiting.push(Queued { job, answer });
            answers.push(answered);
        }
        !std::mem::replace(&mut queue.running, true)
    };
    if start {
        spawn_on_writer(run(key));
    }
    let mut outcomes = Vec::new();
    for answered in answers {
        outcomes.push(
            answered.await.unwrap_or_else(|_| {
                Err(LedgerError::Failed(Error::Internal("no answer".to_owned())))
            }),
        );
    }
    outcomes
}

/// The runner of pool `key`: writes groups until none waits.
async fn run(key: usize) {
    let mut stopping = ForgetUnlessDone { key, done: false };
    loop {
        let group: Vec<Queued> = {
            let mut queues = QUEUES.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(queue) = queues.get_mut(&key) else {
                stopping.done = true;
                return;
            };
            if queue.waiting.is_empty() {
                queues.remove(&key);
                stopping.done = true;
                return;
            }
            let count = queue.waiting.len().min(MOST_PER_GROUP);
            queue.waiting.drain(..count).collect()
        };
        write_group(group).await;
    }
}

/// Hands pool `key`'s queue on when its runner ends other than by finding it empty (a panic,
/// which unwinds in tests and aborts release builds): the callers of the group it was writing
/// are answered that nothing was written (their answers are dropped), and a new runner takes
/// whatever waits, so no caller waits for a runner that is gone.
struct ForgetUnlessDone {
    key: usize,
    done: bool,
}

impl Drop for ForgetUnlessDone {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut queues = QUEUES.lock().unwrap_or_else(PoisonError::into_inner);
        match queues.get(&self.key) {
            // `running` stays set: a caller queuing meanwhile leaves it to the new runner.
            Some(queue) if !queue.waiting.is_empty() => {
                drop(queues);
                spawn_on_writer(run(self.key));
            }
            _ => {
                queues.remove(&self.key);
            }
        }
    }
}

/// Writes `group` in one transaction and answers each of its transfers.
async fn write_group(group: Vec<Queued>) {
    let Some(db) = group.first().map(|queued| queued.job.db.clone()) else {
        return;
    };
    let mut tx = match begin_ledger_write(&db).await {
        Ok(tx) => tx,
        Err(e) => return fail_all(group.into_iter().map(|q| q.answer), &e),
    };
    let mut outcomes = Vec::with_capacity(group.len());
    let mut group = group.into_iter();
    while let Some(Queued { job, answer }) = group.next() {
        match write_one(&mut tx, job).await {
            Ok(outcome) => outcomes.push((answer, outcome)),
            Err(e) => {
                // The transaction cannot be committed in part: nothing of the group is written.
                drop(tx);
                let written = outcomes.into_iter().map(|(answer, _)| answer);
                let rest = group.map(|queued| queued.answer);
                return fail_all(written.chain([answer]).chain(rest), &e);
            }
        }
    }
    if let Err(e) = tx.commit().await {
        let answers = outcomes.into_iter().map(|(answer, _)| answer);
        return fail_all(answers, &e.into());
    }
    wake();
    for (answer, outcome) in outcomes {
        // A caller that stopped waiting has its transfer written all the same.
        let _ = answer.send(outcome);
    }
}

/// The savepoint each transfer of a group is written in.
const SAVEPOINT: &str = "transfer";

/// Writes `job` in a savepoint of `tx`: its outcome, rolled back to the savepoint when it
/// failed; `Err` when that roll back failed (SQLite ended the transaction, or the savepoint was
/// already gone), after which nothing of the group may be committed. A transfer's first batch
/// of reads opens the savepoint and its batch of writes releases it, so a transfer costs no
/// trip more than on its own; one with an [`AfterWrite`] releases it after that.
async fn write_one(
    tx: &mut AnyConnection,
    job: Job,
) -> Result<Result<Transfer, LedgerError>, Error> {
    // What fails before the savepoint opens fails here, with nothing to roll back.
    if let Err(e) = job.draft.check() {
        return Ok(Err(e));
    }
    let (draft, key) = (&job.draft, job.key.as_ref());
    let outcome = match job.after {
        None => write_transfer(tx, draft, key, Some(SAVEPOINT), job.now).await,
        Some(after) => {
            sqlx::query(&format!("SAVEPOINT {SAVEPOINT}"))
                .execute(&mut *tx)
                .await?;
            async {
                let transfer = write_transfer(tx, draft, key, None, job.now).await?;
                after(tx, &transfer).await?;
                sqlx::query(&format!("RELEASE {SAVEPOINT}"))
                    .execute(&mut *tx)
                    .await?;
                Ok(transfer)
            }
            .await
        }
    };
    if outcome.is_err() {
        // No savepoint of that name is open but this transfer's: an earlier one's was released.
        sqlx::query(&format!("ROLLBACK TO {SAVEPOINT}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("RELEASE {SAVEPOINT}"))
            .execute(&mut *tx)
            .await?;
    }
    Ok(outcome)
}

/// Answers each of `answers` that its transfer was not written, because of `e`.
fn fail_all(
    answers: impl IntoIterator<Item = oneshot::Sender<Result<Transfer, LedgerError>>>,
    e: &Error,
) {
    tracing::error!(error = %e, "a group of ledger writes was not committed");
    for answer in answers {
        let _ = answer.send(Err(LedgerError::Failed(Error::Internal(
            "the transfer was not written".to_owned(),
        ))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::connect;
    use crate::ledger::{app_account, rail_account, Move, OPENING_BALANCE};
    use payout_model::money::{PayoutPlatform, TransactionType, TransferType};
    use uuid::Uuid;

    /// A payout of `cents` from app `app_id`'s wallet to PayPal.
    fn draft(app_id: Uuid, cents: i64) -> TransferDraft {
        TransferDraft::completed(
            app_id,
            None,
            TransferType::Payout,
            cents,
            vec![Move::new(
                app_account(app_id),
                rail_account(PayoutPlatform::Paypal),
                cents,
                TransactionType::Payout,
            )],
            None,
        )
    }

    fn job(db: &Db, draft: TransferDraft, key: Option<&str>) -> Job {
        Job {
            db: db.clone(),
            key: key.map(|k| IdempotencyKey::new("test", k, &k).unwrap()),
            draft,
            now: Utc::now(),
            after: None,
        }
    }

    /// One group of five on a SQLite file: the transfers that fail (no money, a key another of
    /// the group used, a refused after-write) are rolled back alone, each answering its own
    /// error; the others are written, each seeing the balance the ones before it left.
    #[tokio::test]
    async fn a_group_writes_its_good_transfers_and_rolls_back_each_failed_one() {
        let (db, dir, app) = file_db().await;
        let events = count(&db, "events").await;
        let refused: AfterWrite<'static> = Box::new(|_, _| {
            Box::pin(async { Err(Error::Conflict("refused after the write".to_owned())) })
        });
        let jobs = vec![
            job(&db, draft(app, 4_000), Some("a")),
            // 4,000 + 7,000 is more than the opening 10,000.
            job(&db, draft(app, 7_000), None),
            job(&db, draft(app, 5_000), None),
            job(&db, draft(app, 100), Some("a")),
            Job {
                after: Some(refused),
                ..job(&db, draft(app, 200), None)
            },
        ];
        let outcomes = write_together(jobs).await;
        assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
        assert!(
            matches!(outcomes[1], Err(LedgerError::Shortfall(_))),
            "{:?}",
            outcomes[1]
        );
        assert!(outcomes[2].is_ok(), "{:?}", outcomes[2]);
        assert!(
            matches!(&outcomes[3], Err(LedgerError::Failed(e)) if crate::db::is_unique_violation(e)),
            "{:?}",
            outcomes[3]
        );
        assert!(
            matches!(&outcomes[4], Err(LedgerError::Failed(Error::Conflict(_)))),
            "{:?}",
            outcomes[4]
        );
        assert_eq!(app_balance(&db, app).await, OPENING_BALANCE - 9_000);
        let payouts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE kind = 'payout'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(payouts, 2);
        assert_eq!(count(&db, "idempotency_keys").await, 1);
        // One `transfer.updated` for each written transfer, none for the rolled back ones.
        assert_eq!(count(&db, "events").await, events + 2);
        db.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }

    /// When a transfer's savepoint is gone before the runner can roll back to it (here an
    /// after-write releases it, then fails), the group cannot be committed in part: every
    /// transfer of it answers an error, the good one before it too, and nothing is written.
    #[tokio::test]
    async fn a_group_that_cannot_roll_back_one_transfer_writes_none() {
        let (db, dir, app) = file_db().await;
        let breaks: AfterWrite<'static> = Box::new(|conn, _| {
            Box::pin(async move {
                sqlx::query("RELEASE transfer").execute(&mut *conn).await?;
                Err(Error::Conflict("refused after the write".to_owned()))
            })
        });
        let jobs = vec![
            job(&db, draft(app, 1_000), Some("a")),
            Job {
                after: Some(breaks),
                ..job(&db, draft(app, 2_000), None)
            },
            job(&db, draft(app, 3_000), None),
        ];
        let before = count(&db, "transfers").await;
        for outcome in write_together(jobs).await {
            assert!(
                matches!(outcome, Err(LedgerError::Failed(Error::Internal(_)))),
                "{outcome:?}"
            );
        }
        assert_eq!(count(&db, "transfers").await, before);
        assert_eq!(count(&db, "idempotency_keys").await, 0);
        assert_eq!(app_balance(&db, app).await, OPENING_BALANCE);
        the_next_transfer_is_written(db, dir, app).await;
    }

    /// A runner that panics (an unwinding test build; release builds abort) answers its
    /// waiting callers that nothing was written, and the next transfer gets a new runner.
    #[tokio::test]
    async fn a_runner_that_panics_leaves_no_caller_waiting() {
        let (db, dir, app) = file_db().await;
        let panics: AfterWrite<'static> =
            Box::new(|_, _| Box::pin(async { panic!("an after-write panicked") }));
        let jobs = vec![
            Job {
                after: Some(panics),
                ..job(&db, draft(app, 1_000), None)
            },
            job(&db, draft(app, 2_000), None),
        ];
        for outcome in write_together(jobs).await {
            assert!(outcome.is_err(), "{outcome:?}");
        }
        assert_eq!(app_balance(&db, app).await, OPENING_BALANCE);
        the_next_transfer_is_written(db, dir, app).await;
    }

    /// After a failed group, with nothing of it written: the next transfer has a runner and a
    /// usable database. Then closes the pool and removes its directory.
    async fn the_next_transfer_is_written(db: Db, dir: std::path::PathBuf, app: Uuid) {
        let later = write_together(vec![job(&db, draft(app, 500), None)]).await;
        assert!(later[0].is_ok(), "{:?}", later[0]);
        assert_eq!(app_balance(&db, app).await, OPENING_BALANCE - 500);
        db.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A fresh SQLite file with the default app: the pool, its directory and the app's id.
    async fn file_db() -> (Db, std::path::PathBuf, Uuid) {
        let dir = std::env::temp_dir().join(format!("group-commit-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = connect(&format!("sqlite://{}", dir.join("db.sqlite").display()))
            .await
            .unwrap();
        let app = crate::ensure_default_app(&db, Some(("pk_test", "sk_test")))
            .await
            .unwrap()
            .id;
        (db, dir, app)
    }

    async fn count(db: &Db, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db)
            .await
            .unwrap()
    }

    async fn app_balance(db: &Db, app: Uuid) -> i64 {
        sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
            .bind(app_account(app))
            .fetch_one(db)
            .await
            .unwrap()
    }
}
