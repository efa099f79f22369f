//! What a flow session may do (DESIGN.md "Who may do what", issue 8): the one table that says
//! which step owns which flow-facing action, and the rule that turns a flow's progress into
//! "allowed" or a typed [`Denial`]. The sandbox enforces it on every flow-facing endpoint
//! (403 `step_not_allowed`); the app merely follows it.
//!
//! The rule:
//! - a **write** (adding a payout method, paying out, submitting a form) is allowed only when a
//!   step that owns it is the flow's current step (sign-in and every earlier step done) and the
//!   flow is not complete; except that a flow whose last step keeps the user on screen
//!   (`manage-payouts` or `manage-payments` with `hide_continue_button`: the host's settings
//!   page) stays that step's page once complete, so its changes are still allowed
//!   ([`FlowState::kept_step`]);
//! - a **read** of the user's data (their payout methods, wallet, a transfer, their tax record)
//!   is allowed when the flow holds a step that owns it, at any point, so a finished step can
//!   still show what it did; reading the flow's own state (`GET /api/flow/state`) is always
//!   allowed and is not in the table.
//!
//! Sign-in itself (codes, profile) is not a step action: it is what makes the session act for a
//! user at all.

use crate::flow::FlowState;
use crate::step::StepName;
use std::fmt;

/// A flow-facing action on the signed-in user's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlowAction {
    /// `GET /api/flow/payout-methods`.
    ReadPayoutMethods,
    /// `POST /api/flow/payout-methods`.
    AddPayoutMethod,
    /// `DELETE /api/flow/payout-methods/{id}`.
    RemovePayoutMethod,
    /// `POST /api/flow/payout-methods/{id}/default`.
    ChooseDefaultPayoutMethod,
    /// `GET /api/flow/bank-accounts`.
    ReadBankAccounts,
    /// `POST /api/flow/bank-accounts`.
    AddBankAccount,
    /// `DELETE /api/flow/bank-accounts/{id}`.
    RemoveBankAccount,
    /// `GET /api/flow/wallet`.
    ReadWallet,
    /// `POST /api/flow/payouts`.
    CreatePayout,
    /// `GET /api/flow/transfers/{id}`.
    ReadTransfer,
    /// `GET /api/flow/compliance`.
    ReadCompliance,
    /// `PUT /api/flow/compliance`.
    SubmitCompliance,
    /// `GET /api/flow/id-verification`.
    ReadIdVerification,
    /// `PUT /api/flow/id-verification/documents/{side}` and `POST …/submit`.
    SubmitIdVerification,
    /// `GET /api/flow/background-check`.
    ReadBackgroundCheck,
    /// `POST /api/flow/background-check`.
    SubmitBackgroundCheck,
}

impl FlowAction {
    /// Every action, for tables and tests.
    pub const ALL: [FlowAction; 16] = [
        FlowAction::ReadPayoutMethods,
        FlowAction::AddPayoutMethod,
        FlowAction::RemovePayoutMethod,
        FlowAction::ChooseDefaultPayoutMethod,
        FlowAction::ReadBankAccounts,
        FlowAction::AddBankAccount,
        FlowAction::RemoveBankAccount,
        FlowAction::ReadWallet,
        FlowAction::CreatePayout,
        FlowAction::ReadTransfer,
        FlowAction::ReadCompliance,
        FlowAction::SubmitCompliance,
        FlowAction::ReadIdVerification,
        FlowAction::SubmitIdVerification,
        FlowAction::ReadBackgroundCheck,
        FlowAction::SubmitBackgroundCheck,
    ];

    /// The steps that own this action: **the table**. The payout step owns adding a payout
    /// method because it lets the user add one when they have none; the background check reads
    /// the compliance record because it checks the SSN, birth date and address on file.
    pub fn owners(self) -> &'static [StepName] {
        use FlowAction::*;
        use StepName::*;
        match self {
            // Payout adds one only for a user who has none (`Denial::PayoutStepHasMethods`).
            ReadPayoutMethods | AddPayoutMethod => &[ManagePayouts, Payout],
            RemovePayoutMethod | ChooseDefaultPayoutMethod => &[ManagePayouts],
            ReadBankAccounts | AddBankAccount | RemoveBankAccount => &[ManagePayments],
            ReadWallet | CreatePayout | ReadTransfer => &[Payout],
            ReadCompliance => &[Compliance, BackgroundCheck],
            SubmitCompliance => &[Compliance],
            ReadIdVerification | SubmitIdVerification => &[IdVerification],
            ReadBackgroundCheck | SubmitBackgroundCheck => &[BackgroundCheck],
        }
    }

    /// Whether the action changes something (else it only reads).
    pub fn writes(self) -> bool {
        !matches!(
            self,
            FlowAction::ReadPayoutMethods
                | FlowAction::ReadBankAccounts
                | FlowAction::ReadWallet
                | FlowAction::ReadTransfer
                | FlowAction::ReadCompliance
                | FlowAction::ReadIdVerification
                | FlowAction::ReadBackgroundCheck
        )
    }

    /// What the action does, for messages ("adding a payout method").
    pub fn describe(self) -> &'static str {
        match self {
            FlowAction::ReadPayoutMethods => "reading payout methods",
            FlowAction::AddPayoutMethod => "adding a payout method",
            FlowAction::RemovePayoutMethod => "removing a payout method",
            FlowAction::ChooseDefaultPayoutMethod => "choosing the default payout method",
            FlowAction::ReadBankAccounts => "reading bank accounts",
            FlowAction::AddBankAccount => "adding a bank account",
            FlowAction::RemoveBankAccount => "removing a bank account",
            FlowAction::ReadWallet => "reading the wallet",
            FlowAction::CreatePayout => "paying out",
            FlowAction::ReadTransfer => "reading a transfer",
            FlowAction::ReadCompliance => "reading tax details",
            FlowAction::SubmitCompliance => "submitting tax details",
            FlowAction::ReadIdVerification => "reading the ID verification",
            FlowAction::SubmitIdVerification => "submitting ID documents",
            FlowAction::ReadBackgroundCheck => "reading the background check",
            FlowAction::SubmitBackgroundCheck => "running the background check",
        }
    }
}

/// Why a session may not take an action. Its `Display` is the error message (it names the
/// step, never anything about the user or the app).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The flow holds no step that owns the action.
    NoOwningStep {
        /// What was attempted.
        action: FlowAction,
        /// The step that would own it (the first owner in the table).
        step: StepName,
    },
    /// The flow holds an owning step, but another step comes first.
    NotCurrent {
        /// What was attempted.
        action: FlowAction,
        /// The owning step of this flow.
        step: StepName,
        /// The step that comes first.
        current: StepName,
    },
    /// The owning step is done and so is the flow: a finished flow is read-only (but for the
    /// step it keeps the user on, [`FlowState::kept_step`]).
    FlowComplete {
        /// What was attempted.
        action: FlowAction,
    },
    /// The payout step adds a payout method only for a user who has none (its "add one in
    /// place" offer); choosing among or adding to existing methods is manage-payouts' job. The
    /// server decides this, since the table cannot see the user's methods.
    PayoutStepHasMethods,
    /// Signing in through a complete flow's link: a finished flow signs nobody in (its
    /// sessions are read-only and end, but for a settings page's, [`FlowState::kept_step`]; a
    /// sign-in would reopen reads of the user's data).
    SignInClosed,
    /// The owning step is already completed; a later step is current.
    StepCompleted {
        /// What was attempted.
        action: FlowAction,
        /// The owning step, already completed.
        step: StepName,
    },
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Denial::NoOwningStep { action, step } => write!(
                f,
                "{} needs the \"{step}\" step, which this flow does not have",
                action.describe()
            ),
            Denial::NotCurrent {
                action,
                step,
                current,
            } => write!(
                f,
                "{} belongs to the \"{step}\" step; \"{current}\" comes first",
                action.describe()
            ),
            Denial::FlowComplete { action } => {
                write!(
                    f,
                    "{} is not allowed: this flow is complete",
                    action.describe()
                )
            }
            Denial::PayoutStepHasMethods => f.write_str(
                "the \"payout\" step adds a payout method only when there is none; adding \
                 another belongs to the \"manage-payouts\" step",
            ),
            Denial::SignInClosed => f.write_str("this flow is complete; it signs nobody in"),
            Denial::StepCompleted { action, step } => write!(
                f,
                "{} belongs to the \"{step}\" step, which is already completed",
                action.describe()
            ),
        }
    }
}

/// The 403 `step_not_allowed` for `denial`: its message names the step, for developers; its
/// reason ([`Reason::StepNotAllowed`](crate::Reason)) lets the app word it in the user's
/// language (review: a stale tab in Spanish showed the English message). One construction for
/// the sandbox and the browser tests' fake server.
impl From<Denial> for crate::ApiError {
    fn from(denial: Denial) -> Self {
        crate::ApiError {
            reason: Some(crate::Reason::StepNotAllowed),
            ..crate::ApiError::new(crate::ErrorCode::StepNotAllowed, denial.to_string())
        }
    }
}

impl FlowState {
    /// Whether every step is completed.
    pub fn is_complete(&self) -> bool {
        self.next_step().is_none()
    }

    /// The step a complete flow keeps the user on: its last step, when that is `manage-payouts`
    /// or `manage-payments` with `hide_continue_button` (no Continue: the user stays, and each
    /// saved change records the step again). Its changes stay allowed after the flow completes,
    /// and completing the flow does not end its sessions early; else `None`.
    pub fn kept_step(&self) -> Option<StepName> {
        self.route()
            .last()
            .filter(|step| step.hide_continue_button() && self.is_complete())
            .map(|step| step.name())
    }

    /// May a session of this flow (signed in as its user) take `action` now? `Ok` names the
    /// owning step it acts through; `Err` says why not (module docs for the rule).
    pub fn permits(&self, action: FlowAction) -> Result<StepName, Denial> {
        let owners = action.owners();
        let held: Vec<StepName> = self
            .route()
            .map(|s| s.name())
            .filter(|name| owners.contains(name))
            .collect();
        let Some(&first_held) = held.first() else {
            return Err(Denial::NoOwningStep {
                action,
                step: owners[0],
            });
        };
        if !action.writes() {
            return Ok(first_held);
        }
        let Some(current) = self.next_step().map(|s| s.name()) else {
            return match self.kept_step() {
                Some(kept) if owners.contains(&kept) => Ok(kept),
                _ => Err(Denial::FlowComplete { action }),
            };
        };
        if held.contains(&current) {
            return Ok(current);
        }
        // The first owning step not yet completed, if any, names what the user must reach.
        match held.iter().find(|s| !self.completed_steps.contains(s)) {
            Some(&step) => Err(Denial::NotCurrent {
                action,
                step,
                current,
            }),
            None => Err(Denial::StepCompleted {
                action,
                step: first_held,
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::step::Step;
    use uuid::Uuid;

    /// A flow of `steps` with `completed` done and nothing else set (also for other modules'
    /// tests).
    pub(crate) fn flow(steps: &[Step], completed: &[StepName]) -> FlowState {
        FlowState {
            id: Uuid::nil(),
            steps: steps.to_vec(),
            completed_steps: completed.to_vec(),
            user_id: None,
            hide_go_to_dashboard_on_complete: false,
            require_auth: false,
            payout_fee_party: Default::default(),
            compliance_due: false,
            payee_phone: None,
        }
    }

    const MANAGE_PAYOUTS: Step = Step::ManagePayouts {
        hide_continue_button: false,
    };

    /// Issue 8: a compliance-only flow cannot add a payout method or pay out.
    #[test]
    fn compliance_flow_cannot_touch_money() {
        let f = flow(&[Step::Compliance], &[]);
        assert_eq!(
            f.permits(FlowAction::CreatePayout),
            Err(Denial::NoOwningStep {
                action: FlowAction::CreatePayout,
                step: StepName::Payout
            })
        );
        assert!(f.permits(FlowAction::AddPayoutMethod).is_err());
        assert!(f.permits(FlowAction::ReadWallet).is_err());
        assert_eq!(
            f.permits(FlowAction::SubmitCompliance),
            Ok(StepName::Compliance)
        );
    }

    /// Issue 11: tax data due before the payout holds the payout back and lets the inserted
    /// compliance step take the tax form; a payout-only flow without it has no such step.
    #[test]
    fn compliance_due_holds_the_payout_until_tax_data_is_given() {
        let due = FlowState {
            compliance_due: true,
            ..flow(&[Step::PAYOUT], &[])
        };
        assert_eq!(
            due.permits(FlowAction::SubmitCompliance),
            Ok(StepName::Compliance)
        );
        assert_eq!(
            due.permits(FlowAction::CreatePayout),
            Err(Denial::NotCurrent {
                action: FlowAction::CreatePayout,
                step: StepName::Payout,
                current: StepName::Compliance,
            })
        );
        // Reading the wallet while the tax form shows is still a read the flow holds.
        assert_eq!(due.permits(FlowAction::ReadWallet), Ok(StepName::Payout));

        let given = flow(&[Step::PAYOUT], &[StepName::Compliance]);
        assert_eq!(
            given.permits(FlowAction::CreatePayout),
            Ok(StepName::Payout)
        );
        assert_eq!(
            given.permits(FlowAction::SubmitCompliance),
            Err(Denial::StepCompleted {
                action: FlowAction::SubmitCompliance,
                step: StepName::Compliance,
            })
        );
        let not_due = flow(&[Step::PAYOUT], &[]);
        assert!(not_due.permits(FlowAction::SubmitCompliance).is_err());
    }

    #[test]
    fn writes_wait_for_their_step_and_reads_do_not() {
        let f = flow(&[Step::Compliance, Step::PAYOUT], &[]);
        assert_eq!(
            f.permits(FlowAction::CreatePayout),
            Err(Denial::NotCurrent {
                action: FlowAction::CreatePayout,
                step: StepName::Payout,
                current: StepName::Compliance
            })
        );
        assert_eq!(f.permits(FlowAction::ReadWallet), Ok(StepName::Payout));
        let f = flow(&[Step::Compliance, Step::PAYOUT], &[StepName::Compliance]);
        assert_eq!(f.permits(FlowAction::CreatePayout), Ok(StepName::Payout));
        assert_eq!(
            f.permits(FlowAction::SubmitCompliance),
            Err(Denial::StepCompleted {
                action: FlowAction::SubmitCompliance,
                step: StepName::Compliance
            })
        );
    }

    #[test]
    fn payout_step_may_add_but_not_remove_a_method() {
        let f = flow(&[Step::PAYOUT], &[]);
        assert_eq!(f.permits(FlowAction::AddPayoutMethod), Ok(StepName::Payout));
        assert!(f.permits(FlowAction::RemovePayoutMethod).is_err());
        let f = flow(&[MANAGE_PAYOUTS, Step::PAYOUT], &[StepName::ManagePayouts]);
        assert_eq!(f.permits(FlowAction::AddPayoutMethod), Ok(StepName::Payout));
    }

    #[test]
    fn a_complete_flow_is_read_only() {
        let f = flow(&[Step::PAYOUT], &[StepName::Payout]);
        assert!(f.is_complete());
        assert_eq!(
            f.permits(FlowAction::CreatePayout),
            Err(Denial::FlowComplete {
                action: FlowAction::CreatePayout
            })
        );
        assert_eq!(f.permits(FlowAction::ReadTransfer), Ok(StepName::Payout));
    }

    /// A settings page: a flow ending on a manage step without Continue stays that step's page
    /// once complete; its other steps' writes, and a flow whose last step has Continue, do not.
    #[test]
    fn a_complete_flow_keeps_the_settings_page_it_ended_on() {
        let kept = Step::ManagePayouts {
            hide_continue_button: true,
        };
        let f = flow(
            &[Step::PAYOUT, kept.clone()],
            &[StepName::Payout, StepName::ManagePayouts],
        );
        assert_eq!(f.kept_step(), Some(StepName::ManagePayouts));
        for action in [
            FlowAction::AddPayoutMethod,
            FlowAction::RemovePayoutMethod,
            FlowAction::ChooseDefaultPayoutMethod,
        ] {
            assert_eq!(f.permits(action), Ok(StepName::ManagePayouts), "{action:?}");
        }
        assert_eq!(
            f.permits(FlowAction::CreatePayout),
            Err(Denial::FlowComplete {
                action: FlowAction::CreatePayout
            })
        );
        // Not complete: the rule for a current step, nothing more.
        assert_eq!(flow(std::slice::from_ref(&kept), &[]).kept_step(), None);
        // Kept only as the last step; a later step's page is where the user is.
        let earlier = flow(
            &[kept, Step::Compliance],
            &[StepName::ManagePayouts, StepName::Compliance],
        );
        assert_eq!(earlier.kept_step(), None);
        assert!(earlier.permits(FlowAction::AddPayoutMethod).is_err());
        let payments = flow(
            &[Step::ManagePayments {
                hide_continue_button: true,
            }],
            &[StepName::ManagePayments],
        );
        assert_eq!(
            payments.permits(FlowAction::RemoveBankAccount),
            Ok(StepName::ManagePayments)
        );
        assert!(payments.permits(FlowAction::AddPayoutMethod).is_err());
        let with_continue = flow(&[MANAGE_PAYOUTS], &[StepName::ManagePayouts]);
        assert_eq!(with_continue.kept_step(), None);
        assert!(with_continue.permits(FlowAction::AddPayoutMethod).is_err());
    }

    #[test]
    fn every_action_has_an_owner_and_denials_name_the_step() {
        for action in FlowAction::ALL {
            assert!(!action.owners().is_empty(), "{action:?}");
        }
        let f = flow(&[Step::Compliance, Step::PAYOUT], &[]);
        let message = f.permits(FlowAction::CreatePayout).unwrap_err().to_string();
        assert_eq!(
            message,
            "paying out belongs to the \"payout\" step; \"compliance\" comes first"
        );
    }
}
