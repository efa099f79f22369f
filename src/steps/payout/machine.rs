//! The payout step's behaviour as a pure state machine (issue 9): a [`Stage`] and an [`Event`]
//! give the next stage and the [`Effect`]s to run, or nothing when the event does not apply
//! (a second Confirm while the first is in flight, a stale answer). No browser, no signals:
//! unit tested natively like `router.rs`. The component (`super`) runs the effects and turns
//! their outcomes back into events.

use super::attempt::Attempt;
use crate::api::ApiFailure;
use payout_model::money::{Cents, PayoutMethod, PayoutQuote, Transfer, TransferStatus};
use uuid::Uuid;

/// What is being paid out: the attempt and, for display, its method and quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Payout {
    /// What is sent, with its idempotency key.
    pub attempt: Attempt,
    /// The method, when the step knows it.
    pub method: Option<PayoutMethod>,
    /// The fee and net amount shown.
    pub quote: Option<PayoutQuote>,
}

/// Where the step is.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// Fetching the wallet and the payout methods.
    Loading,
    /// That failed: the failure, worded when shown (in the language of the moment).
    LoadFailed(ApiFailure),
    /// The amount and method form (or the empty and no-method states).
    Form,
    /// The review screen; Confirm sends.
    Review(Payout),
    /// The payout request is in flight.
    Sending(Payout),
    /// It may or may not have reached the server: only a retry with the same key is offered.
    SendFailed(Payout, ApiFailure),
    /// The server answered the transfer.
    Status(Transfer, Option<PayoutMethod>),
    /// The user may not pay out through the flow (issue 8): an explanation, nothing to do.
    Blocked,
}

impl Stage {
    /// Which screen the stage shows, for moving focus when it changes. A status screen whose
    /// transfer moves (pending, then completed) is the same screen, drawn again in place:
    /// focus stays where the user has it, and its `role=status` region announces the change.
    pub fn screen(&self) -> u8 {
        match self {
            Stage::Loading | Stage::LoadFailed(_) | Stage::Form => 0,
            Stage::Review(_) | Stage::Sending(_) | Stage::SendFailed(..) => 1,
            Stage::Status(..) => 2,
            Stage::Blocked => 3,
        }
    }

    /// Whether what the step shows is being loaded (the card's `aria-busy`). Not while sending:
    /// the review stays, and its `role=status` "Sending your payout…" must be announced, which
    /// a screen reader may hold back inside a busy region.
    pub fn loading(&self) -> bool {
        matches!(self, Stage::Loading)
    }

    /// The pending transfer the step shows, if any.
    pub fn pending_transfer(&self) -> Option<Uuid> {
        match self {
            Stage::Status(t, _) if !t.status.is_final() => Some(t.id),
            _ => None,
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Fetch the wallet and the methods (first, and on "Check again" / "Try again").
    Load,
    /// Fetching failed.
    LoadFailed(ApiFailure),
    /// Fetched; with the attempt confirmed before a reload, if one is stored.
    Loaded(Option<Payout>),
    /// Fetched, and a payout of this flow already stands (made before a reload, or in an
    /// earlier session, and Continue not pressed since): its status, and its method if known.
    Made(Transfer, Option<PayoutMethod>),
    /// The user may not pay out (the wallet's `payout_block`, or a 403 `payout_blocked`).
    Blocked,
    /// The form checked out: review this payout.
    Reviewed(Payout),
    /// Back from the review to the form.
    Back,
    /// Confirm on the review screen.
    Confirm,
    /// "Try again" after an unconfirmed send.
    Retry,
    /// The server answered the transfer.
    Paid(Transfer),
    /// No answer, or a 5xx: the payout may have been made.
    Unconfirmed(ApiFailure),
    /// Refused (4xx): no payout was made with this key.
    Refused,
    /// A pending transfer fetched again.
    Refreshed(Transfer),
}

/// What the component does for a transition.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Fetch the wallet, then the methods.
    Fetch,
    /// Keep the attempt in `sessionStorage` and send it.
    Send(Payout),
    /// Forget the attempt, in memory and in `sessionStorage`.
    ForgetAttempt,
    /// Fetch this pending transfer every few seconds while the step shows it.
    Watch(Uuid),
    /// Tell the host the user may not be paid out through a flow.
    TellHostBlocked,
    /// Fetch the balance again without leaving the form.
    RefreshWallet,
    /// Move focus to the amount field.
    FocusAmount,
    /// Move focus to "Try again" (the Confirm button it replaces is gone).
    FocusRetry,
}

/// The next stage and its effects, or `None` when `event` does not apply to `stage`.
pub fn next(stage: &Stage, event: Event) -> Option<(Stage, Vec<Effect>)> {
    use Effect::*;
    match (stage, event) {
        // Blocked is final: the host hears of it once, whichever way the step learnt of it.
        (Stage::Blocked, _) => None,
        (_, Event::Blocked) => Some((Stage::Blocked, vec![ForgetAttempt, TellHostBlocked])),
        // A payout in flight finishes before anything else happens.
        (Stage::Sending(_), Event::Load) => None,
        (_, Event::Load) => Some((Stage::Loading, vec![Fetch])),
        (Stage::Loading, Event::LoadFailed(message)) => Some((Stage::LoadFailed(message), vec![])),
        (Stage::Loading, Event::Loaded(None)) => Some((Stage::Form, vec![])),
        // A payout confirmed before a reload is resent with its key.
        (Stage::Loading, Event::Loaded(Some(payout))) => {
            Some((Stage::Sending(payout.clone()), vec![Send(payout)]))
        }
        // Found on loading, or on reading the wallet again after a refusal (a payout made
        // meanwhile, elsewhere).
        (Stage::Loading | Stage::Form, Event::Made(transfer, method)) => {
            status(transfer, method, vec![])
        }
        (Stage::Form, Event::Reviewed(payout)) => Some((Stage::Review(payout), vec![])),
        (Stage::Review(_), Event::Back) => Some((Stage::Form, vec![FocusAmount])),
        (Stage::Review(payout), Event::Confirm) | (Stage::SendFailed(payout, _), Event::Retry) => {
            Some((Stage::Sending(payout.clone()), vec![Send(payout.clone())]))
        }
        (Stage::Sending(payout), Event::Paid(transfer)) => {
            status(transfer, payout.method.clone(), vec![ForgetAttempt])
        }
        (Stage::Sending(payout), Event::Unconfirmed(message)) => {
            Some((Stage::SendFailed(payout.clone(), message), vec![FocusRetry]))
        }
        (Stage::Sending(_), Event::Refused) => {
            Some((Stage::Form, vec![ForgetAttempt, RefreshWallet]))
        }
        // A refreshed transfer replaces the shown one only when its status moved on, as a
        // transfer's status may move (`TransferStatus::can_reach`): so the status screen (and
        // the focus in it) stays put while nothing changes, and never goes back when an older
        // read answers last (two in flight at once, "Check status" beside the timer's).
        (Stage::Status(shown, method), Event::Refreshed(fresh))
            if shown.id == fresh.id && shown.status.can_reach(fresh.status) =>
        {
            Some((Stage::Status(fresh, method.clone()), vec![]))
        }
        _ => None,
    }
}

/// The status screen of `transfer` after `effects`, watching it while it is pending.
fn status(
    transfer: Transfer,
    method: Option<PayoutMethod>,
    mut effects: Vec<Effect>,
) -> Option<(Stage, Vec<Effect>)> {
    if !transfer.status.is_final() {
        effects.push(Effect::Watch(transfer.id));
    }
    Some((Stage::Status(transfer, method), effects))
}

/// What the status screen says about `status`.
pub fn status_kind(status: TransferStatus) -> &'static str {
    match status {
        TransferStatus::Completed => "completed",
        TransferStatus::Failed | TransferStatus::Canceled | TransferStatus::Reversed => "failed",
        TransferStatus::Created | TransferStatus::Flagged | TransferStatus::Pending => "pending",
    }
}

/// The net amount of `transfer`: what the server says reached the user, else what was quoted.
pub fn net_of(transfer: &Transfer, quoted: Option<&PayoutQuote>) -> Cents {
    transfer
        .external_data
        .net_amount
        .or(quoted.map(|q| q.net_amount))
        .unwrap_or(transfer.amount.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::money::{ExternalData, TransferType};

    fn payout() -> Payout {
        Payout {
            attempt: Attempt {
                flow_id: Uuid::from_u128(1),
                key: "k-1".into(),
                amount: 1_000,
                payout_method_id: Uuid::from_u128(2),
            },
            method: None,
            quote: None,
        }
    }

    fn transfer(status: TransferStatus) -> Transfer {
        Transfer {
            id: Uuid::from_u128(7),
            created: chrono::DateTime::UNIX_EPOCH,
            user_id: Some(Uuid::from_u128(3)),
            amount: -1_000,
            status,
            status_history: vec![],
            transactions: vec![],
            kind: TransferType::Payout,
            external_data: ExternalData::default(),
            metadata: None,
        }
    }

    fn stage_after(stage: &Stage, event: Event) -> Stage {
        next(stage, event).expect("the event applies").0
    }

    #[test]
    fn a_confirmed_payout_is_sent_once_however_often_confirm_is_pressed() {
        let review = Stage::Review(payout());
        let (sending, effects) = next(&review, Event::Confirm).unwrap();
        assert_eq!(effects, vec![Effect::Send(payout())]);
        assert_eq!(sending, Stage::Sending(payout()));
        assert_eq!(next(&sending, Event::Confirm), None);
        assert_eq!(next(&sending, Event::Retry), None);
        assert_eq!(next(&sending, Event::Load), None);
    }

    fn offline() -> ApiFailure {
        ApiFailure::Network("offline".into())
    }

    #[test]
    fn an_unconfirmed_payout_is_retried_with_the_same_key_only() {
        let (failed, effects) =
            next(&Stage::Sending(payout()), Event::Unconfirmed(offline())).unwrap();
        assert_eq!(failed, Stage::SendFailed(payout(), offline()));
        assert_eq!(
            effects,
            vec![Effect::FocusRetry],
            "Confirm, which had focus, is gone"
        );
        // No way back to the form: the amount and method of this attempt cannot change.
        assert_eq!(next(&failed, Event::Back), None);
        assert_eq!(next(&failed, Event::Reviewed(payout())), None);
        let (again, effects) = next(&failed, Event::Retry).unwrap();
        assert_eq!(again, Stage::Sending(payout()));
        assert_eq!(effects, vec![Effect::Send(payout())]);
    }

    #[test]
    fn a_refused_payout_returns_to_the_form_and_forgets_its_key() {
        let (stage, effects) = next(&Stage::Sending(payout()), Event::Refused).unwrap();
        assert_eq!(stage, Stage::Form);
        assert_eq!(effects, vec![Effect::ForgetAttempt, Effect::RefreshWallet]);
    }

    #[test]
    fn a_pending_transfer_is_watched_and_a_completed_one_is_not() {
        let sending = Stage::Sending(payout());
        let pending = transfer(TransferStatus::Pending);
        let (stage, effects) = next(&sending, Event::Paid(pending.clone())).unwrap();
        assert_eq!(
            effects,
            vec![Effect::ForgetAttempt, Effect::Watch(pending.id)]
        );
        assert_eq!(stage.pending_transfer(), Some(pending.id));
        let (_, effects) =
            next(&sending, Event::Paid(transfer(TransferStatus::Completed))).unwrap();
        assert_eq!(effects, vec![Effect::ForgetAttempt]);
    }

    #[test]
    fn a_refresh_replaces_the_transfer_only_when_its_status_moved() {
        let shown = Stage::Status(transfer(TransferStatus::Pending), None);
        assert_eq!(
            next(&shown, Event::Refreshed(transfer(TransferStatus::Pending))),
            None
        );
        let mut other = transfer(TransferStatus::Completed);
        other.id = Uuid::from_u128(8);
        assert_eq!(next(&shown, Event::Refreshed(other)), None);
        let done = stage_after(
            &shown,
            Event::Refreshed(transfer(TransferStatus::Completed)),
        );
        assert_eq!(done.pending_transfer(), None);
        // The older of two reads in flight, answered last, leaves a newer status as it is
        // (pending after completed; completed after reversed, below); a later one (a completed
        // payout reversed) still shows.
        assert_eq!(
            next(&done, Event::Refreshed(transfer(TransferStatus::Pending))),
            None
        );
        let reversed = stage_after(&done, Event::Refreshed(transfer(TransferStatus::Reversed)));
        assert_eq!(
            reversed,
            Stage::Status(transfer(TransferStatus::Reversed), None)
        );
        assert_eq!(
            next(
                &reversed,
                Event::Refreshed(transfer(TransferStatus::Completed))
            ),
            None
        );
        // A status two moves on (completed, then reversed, between two reads) still shows.
        let reversed_since = stage_after(
            &Stage::Status(transfer(TransferStatus::Pending), None),
            Event::Refreshed(transfer(TransferStatus::Reversed)),
        );
        assert_eq!(reversed_since.pending_transfer(), None);
        let flagged = Stage::Status(transfer(TransferStatus::Flagged), None);
        let pending = stage_after(
            &flagged,
            Event::Refreshed(transfer(TransferStatus::Pending)),
        );
        assert_eq!(
            next(
                &pending,
                Event::Refreshed(transfer(TransferStatus::Flagged))
            ),
            None
        );
    }

    #[test]
    fn a_payout_made_before_shows_its_status_and_a_pending_one_is_watched() {
        let pending = transfer(TransferStatus::Pending);
        let (stage, effects) = next(&Stage::Loading, Event::Made(pending.clone(), None)).unwrap();
        assert_eq!(stage, Stage::Status(pending.clone(), None));
        assert_eq!(effects, vec![Effect::Watch(pending.id)]);
        let done = transfer(TransferStatus::Completed);
        let (stage, effects) = next(&Stage::Loading, Event::Made(done.clone(), None)).unwrap();
        assert_eq!(stage, Stage::Status(done.clone(), None));
        assert_eq!(effects, vec![]);
        // As what loading found, or a wallet read again on the form; not over a payout in
        // flight or on review.
        assert_eq!(
            next(&Stage::Form, Event::Made(done.clone(), None))
                .unwrap()
                .0,
            Stage::Status(done.clone(), None)
        );
        assert_eq!(
            next(&Stage::Sending(payout()), Event::Made(done.clone(), None)),
            None
        );
        assert_eq!(
            next(&Stage::Review(payout()), Event::Made(done, None)),
            None
        );
    }

    #[test]
    fn a_stored_attempt_is_resent_on_load_and_an_answer_out_of_turn_is_ignored() {
        let (stage, effects) = next(&Stage::Loading, Event::Loaded(Some(payout()))).unwrap();
        assert_eq!(stage, Stage::Sending(payout()));
        assert_eq!(effects, vec![Effect::Send(payout())]);
        assert_eq!(
            next(
                &Stage::Form,
                Event::Paid(transfer(TransferStatus::Completed))
            ),
            None
        );
        assert_eq!(next(&Stage::Form, Event::Confirm), None);
    }

    #[test]
    fn blocked_is_final_and_the_host_hears_of_it_once() {
        for stage in [Stage::Loading, Stage::Form, Stage::Sending(payout())] {
            let (blocked, effects) = next(&stage, Event::Blocked).unwrap();
            assert_eq!(blocked, Stage::Blocked);
            assert_eq!(
                effects,
                vec![Effect::ForgetAttempt, Effect::TellHostBlocked]
            );
        }
        for event in [
            Event::Blocked,
            Event::Load,
            Event::Loaded(None),
            Event::Confirm,
        ] {
            assert_eq!(next(&Stage::Blocked, event), None);
        }
    }

    #[test]
    fn back_from_the_review_focuses_the_amount() {
        let (stage, effects) = next(&Stage::Review(payout()), Event::Back).unwrap();
        assert_eq!(stage, Stage::Form);
        assert_eq!(effects, vec![Effect::FocusAmount]);
    }

    #[test]
    fn transfer_statuses_map_to_three_screens() {
        assert_eq!(status_kind(TransferStatus::Completed), "completed");
        assert_eq!(status_kind(TransferStatus::Pending), "pending");
        assert_eq!(status_kind(TransferStatus::Created), "pending");
        assert_eq!(status_kind(TransferStatus::Failed), "failed");
        assert_eq!(status_kind(TransferStatus::Canceled), "failed");
    }
}
