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
//! Each run of a group's transfers without an [`AfterWrite`] (every host payout but a batch
//! item's; a flow's payout, which checks its step again, a payout link's and a batch item's
//! are written alone between runs) is written together, in
//! two trips to the database whatever its size ([`write_transfers_together`]): the balances,
//! counters and endpoints it needs read at once, each transfer checked and numbered in memory
//! in its turn, every write sent at once. When that fails (a key two requests of the group
//! share, say), the group is rolled back to its savepoint and written one transfer at a time,
//! each in a savepoint of its own, so each still answers its own outcome.
//!
//! The runner lives on a thread of its own ([`crate::db::spawn_on_writer`]): between its trips
//! to the database it holds the only write lock, so it must not wait behind requests. On
//! PostgreSQL, where ledger writes of unrelated wallets run side by side, each transfer keeps its
//! own transaction ([`crate::ledger::create_transfer_then`]).

use crate::db::{begin_ledger_write, spawn_on_writer, Db};
use crate::error::Error;
use crate::ledger::{
    write_transfer, write_transfers_together, AfterWrite, LedgerError, Together, TransferDraft,
};
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
    let (answers, jobs): (Vec<_>, Vec<_>) = group.into_iter().map(|q| (q.answer, q.job)).unzip();
    let mut tx = match begin_ledger_write(&db).await {
        Ok(tx) => tx,
        Err(e) => return fail_all(answers, &e),
    };
    let outcomes = match write_jobs(&mut tx, jobs).await {
        Ok(outcomes) => outcomes,
        // The transaction cannot be committed in part: nothing of the group is written.
        Err(e) => return fail_all(answers, &e),
    };
    if let Err(e) = tx.commit().await {
        return fail_all(answers, &e.into());
    }
    wake();
    for (answer, outcome) in answers.into_iter().zip(outcomes) {
        // A caller that stopped waiting has its transfer written all the same.
        let _ = answer.send(outcome);
    }
}

/// The savepoint a group written together is written in.
const TOGETHER: &str = "together";

/// Writes `jobs` in `tx`, in order; each one's outcome. Each run of jobs with no
/// [`AfterWrite`] is written together ([`write_plain`]); a job with one (a flow's payout, a
/// batch item's) alone between them, so it does not cost the rest of its group the
/// written-together path. `Err` when a roll back failed: nothing of the group may be committed.
async fn write_jobs(
    tx: &mut AnyConnection,
    jobs: Vec<Job>,
) -> Result<Vec<Result<Transfer, LedgerError>>, Error> {
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut run = Vec::new();
    for job in jobs {
        if job.after.is_none() {
            run.push(job);
            continue;
        }
        outcomes.extend(write_plain(tx, std::mem::take(&mut run)).await?);
        outcomes.push(write_one(tx, job).await?);
    }
    outcomes.extend(write_plain(tx, run).await?);
    Ok(outcomes)
}

/// Writes `jobs` (none with an [`AfterWrite`]) in `tx`; each one's outcome, in order: together,
/// in two trips for the whole group ([`write_transfers_together`]); when that fails (a batch met
/// an error: a key a concurrent request recorded, say) it is rolled back and the jobs written
/// one transfer at a time, so each answers its own outcome. `Err` when a roll back failed.
async fn write_plain(
    tx: &mut AnyConnection,
    jobs: Vec<Job>,
) -> Result<Vec<Result<Transfer, LedgerError>>, Error> {
    if !jobs.is_empty() {
        let together: Vec<Together> = jobs
            .iter()
            .map(|job| Together {
                draft: &job.draft,
                key: job.key.as_ref(),
                now: job.now,
            })
            .collect();
        match write_transfers_together(tx, &together, TOGETHER).await {
            Ok(outcomes) => return Ok(outcomes),
            Err(e) => {
                tracing::debug!(error = %e, "a group written together failed; one at a time");
                sqlx::query(&format!("ROLLBACK TO {TOGETHER}"))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&format!("RELEASE {TOGETHER}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        outcomes.push(write_one(tx, job).await?);
    }
    Ok(outcomes)
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
    use crate::db::test_files::{close, new_dir, url_in};
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
        close(db, &dir).await;
    }

    /// A group without after-writes is written together (two trips for all of it): each
    /// transfer is checked against what the ones before it left (a shortfall answers alone and
    /// takes no number), the ledger and each app's events are numbered on without a gap, each
    /// event reaches its own app's endpoints only, and each answer is the transfer as stored.
    #[tokio::test]
    async fn a_group_written_together_checks_and_numbers_each_transfer_in_turn() {
        let (db, dir, app) = file_db().await;
        let other = second_app(&db).await;
        add_endpoint(&db, other).await;
        let ledger = counter(&db, "ledger").await;
        let (app_events, other_events) = (last_event(&db, app).await, last_event(&db, other).await);
        let jobs = vec![
            job(&db, draft(app, 4_000), Some("a")),
            job(&db, draft(other, 9_000), None),
            // 6,000 left after the first.
            job(&db, draft(app, 7_000), None),
            job(&db, draft(app, 6_000), Some("b")),
            job(&db, draft(other, 1_000), None),
            // The other app's wallet is empty by now.
            job(&db, draft(other, 1), None),
        ];
        let outcomes = write_together(jobs).await;
        for (i, outcome) in outcomes.iter().enumerate() {
            let short = matches!(outcome, Err(LedgerError::Shortfall(_)));
            assert_eq!(short, i == 2 || i == 5, "{i}: {outcome:?}");
            assert!(short || outcome.is_ok(), "{i}: {outcome:?}");
        }
        assert_eq!(app_balance(&db, app).await, 0);
        assert_eq!(app_balance(&db, other).await, 0);
        // Four transfers of one transaction each: eight ledger numbers, in the group's order.
        assert_eq!(counter(&db, "ledger").await, ledger + 8);
        let mut conn = db.acquire().await.unwrap();
        let written: Vec<&Transfer> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        for (i, transfer) in written.iter().enumerate() {
            let seq: i64 = sqlx::query_scalar("SELECT seq FROM transfers WHERE id = $1")
                .bind(transfer.id.to_string())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(seq, ledger + 1 + 2 * i as i64);
            assert_eq!(transfer.transactions[0].id, seq + 1);
            let stored = crate::ledger::load_transfer(&mut conn, transfer.id)
                .await
                .unwrap();
            assert_eq!(&&stored, transfer);
        }
        drop(conn);
        assert_eq!(
            event_seqs(&db, app, app_events).await,
            vec![app_events + 1, app_events + 2]
        );
        assert_eq!(
            event_seqs(&db, other, other_events).await,
            vec![other_events + 1, other_events + 2]
        );
        assert_eq!(count(&db, "idempotency_keys").await, 2);
        assert_eq!(count(&db, "webhook_deliveries").await, 2);
        close(db, &dir).await;
    }

    /// A group that cannot be written together (here one key twice: the second record breaks
    /// the batch) is rolled back and written one transfer at a time: nothing of the first try
    /// stays, and each transfer answers its own outcome.
    #[tokio::test]
    async fn a_group_that_cannot_be_written_together_is_written_one_at_a_time() {
        let (db, dir, app) = file_db().await;
        let ledger = counter(&db, "ledger").await;
        let events = count(&db, "events").await;
        let jobs = vec![
            job(&db, draft(app, 1_000), Some("a")),
            job(&db, draft(app, 2_000), None),
            job(&db, draft(app, 100), Some("a")),
            job(&db, draft(app, 3_000), None),
        ];
        let outcomes = write_together(jobs).await;
        assert!(outcomes[0].is_ok() && outcomes[1].is_ok() && outcomes[3].is_ok());
        assert!(
            matches!(&outcomes[2], Err(LedgerError::Failed(e)) if crate::db::is_unique_violation(e)),
            "{:?}",
            outcomes[2]
        );
        assert_eq!(app_balance(&db, app).await, OPENING_BALANCE - 6_000);
        assert_eq!(counter(&db, "ledger").await, ledger + 6);
        assert_eq!(count(&db, "events").await, events + 3);
        assert_eq!(count(&db, "idempotency_keys").await, 1);
        close(db, &dir).await;
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

    /// A payout of `cents` to user `user` of app `app_id` that the reporting threshold of 1,000
    /// holds (none on file).
    fn limited(app_id: Uuid, user: Uuid, cents: i64) -> TransferDraft {
        limited_to(app_id, user, cents, 1_000)
    }

    /// [`limited`], with a threshold of `threshold`.
    fn limited_to(app_id: Uuid, user: Uuid, cents: i64, threshold: i64) -> TransferDraft {
        TransferDraft {
            user_id: Some(user),
            reporting_limit: Some(crate::ledger::ReportingLimit {
                since: DateTime::<Utc>::UNIX_EPOCH,
                threshold,
                field: "amount",
            }),
            ..draft(app_id, cents)
        }
    }

    /// Each limited payout of a group counts the ones written before it, in the group and
    /// before it, whether the group is written together or in parts (its first has an
    /// after-write: written alone, the rest together after it): payouts asked for at once
    /// cannot together pass the threshold. One refused for its money counts nothing; one past
    /// the threshold and short of money is refused for the threshold.
    #[tokio::test]
    async fn each_payout_of_a_group_counts_the_ones_before_it_towards_the_threshold() {
        for one_at_a_time in [false, true] {
            let (db, dir, app) = file_db().await;
            let user = Uuid::new_v4();
            sqlx::query(
                "INSERT INTO users (id, app_id, first_name, last_name, email, country_code, \
                 phone_number, status, verified, created) \
                 VALUES ($1, $2, 'a', 'b', 'e', '1', '2', 'verified', 1, 0)",
            )
            .bind(user.to_string())
            .bind(app.to_string())
            .execute(&db)
            .await
            .unwrap();
            let before = write_together(vec![job(&db, limited(app, user, 100), None)]).await;
            assert!(before[0].is_ok(), "{:?}", before[0]);
            let after: Option<AfterWrite<'static>> = one_at_a_time
                .then(|| -> AfterWrite<'static> { Box::new(|_, _| Box::pin(async { Ok(()) })) });
            let jobs = vec![
                Job {
                    after,
                    ..job(&db, limited(app, user, 500), None)
                },
                job(&db, limited(app, user, 600), None),
                // Short of money, within a higher threshold.
                job(&db, limited_to(app, user, 20_000, 100_000), None),
                job(&db, limited(app, user, 300), None),
                job(&db, limited(app, user, 200), None),
                job(&db, limited(app, user, 100), None),
                // Past the threshold and short of money: refused for the threshold first.
                job(&db, limited(app, user, 20_000), None),
            ];
            let outcomes = write_together(jobs).await;
            let refused = |i: usize| {
                matches!(
                    outcomes[i],
                    Err(LedgerError::ComplianceRequired {
                        field: "amount",
                        threshold: 1_000
                    })
                )
            };
            assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
            assert!(refused(1), "{one_at_a_time}: {:?}", outcomes[1]);
            assert!(
                matches!(outcomes[2], Err(LedgerError::Shortfall(_))),
                "{:?}",
                outcomes[2]
            );
            assert!(outcomes[3].is_ok(), "{:?}", outcomes[3]);
            assert!(refused(4), "{one_at_a_time}: {:?}", outcomes[4]);
            // 100 + 500 + 300 + 100: the threshold exactly is not past it.
            assert!(outcomes[5].is_ok(), "{:?}", outcomes[5]);
            assert!(refused(6), "{one_at_a_time}: {:?}", outcomes[6]);
            assert_eq!(app_balance(&db, app).await, OPENING_BALANCE - 1_000);
            close(db, &dir).await;
        }
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
        close(db, &dir).await;
    }

    /// A fresh SQLite file with the default app: the pool, its directory and the app's id.
    async fn file_db() -> (Db, std::path::PathBuf, Uuid) {
        let dir = new_dir("group-commit");
        let db = connect(&url_in(&dir)).await.unwrap();
        let app = crate::ensure_default_app(&db, Some(("pk_test", "sk_test")))
            .await
            .unwrap()
            .id;
        (db, dir, app)
    }

    /// A second app of the default app's organization, with its opening balance.
    async fn second_app(db: &Db) -> Uuid {
        let organization: String = sqlx::query_scalar("SELECT organization_id FROM apps")
            .fetch_one(db)
            .await
            .unwrap();
        let new = payout_model::NewApp {
            name: "Second".to_owned(),
        };
        crate::service::apps::create_app(db, &organization, &new, Utc::now())
            .await
            .unwrap()
            .id
    }

    /// Gives app `app` an endpoint that takes every event.
    async fn add_endpoint(db: &Db, app: Uuid) {
        sqlx::query(
            "INSERT INTO webhooks (id, app_id, url, events, secret, created, seq) \
             VALUES ($1, $2, 'https://example.com/hook', '[]', 'sealed', 0, 1)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(app.to_string())
        .execute(db)
        .await
        .unwrap();
    }

    /// Counter `name`'s value.
    async fn counter(db: &Db, name: &str) -> i64 {
        sqlx::query_scalar("SELECT value FROM sequences WHERE name = $1")
            .bind(name)
            .fetch_one(db)
            .await
            .unwrap()
    }

    /// The number of app `app`'s last event (0 before any).
    async fn last_event(db: &Db, app: Uuid) -> i64 {
        event_seqs(db, app, 0).await.last().copied().unwrap_or(0)
    }

    /// The numbers of app `app`'s events after number `after`, rising.
    async fn event_seqs(db: &Db, app: Uuid, after: i64) -> Vec<i64> {
        sqlx::query_scalar("SELECT seq FROM events WHERE app_id = $1 AND seq > $2 ORDER BY seq")
            .bind(app.to_string())
            .bind(after)
            .fetch_all(db)
            .await
            .unwrap()
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
