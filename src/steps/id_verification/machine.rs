//! The ID-verification step's behaviour as a pure state machine (issue 9): a [`State`] and an
//! [`Event`] give the next state and the [`Effect`]s to run, or nothing when the event does not
//! apply (a stale upload answer, a second submit, a camera answer for a slot no longer asked
//! for). No browser, no signals: unit tested natively like `router.rs`. The component (`super`)
//! holds the browser objects (pictures, the camera's stream, object URLs), runs the effects and
//! turns their outcomes back into events. A picture is any `P` (a `Blob` in the browser).

use crate::api::ApiFailure;
use payout_model::identity::{
    check_document, DocumentSide, IdVerification, Submitted, VerificationStatus,
};
use payout_model::{Reason, Rule};

/// Where one picture stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotStatus {
    /// Nothing added yet.
    Empty,
    /// Being uploaded.
    Uploading,
    /// Uploaded.
    Uploaded,
    /// The upload failed (the slot's error says why).
    Failed,
}

/// Why a slot has no good picture.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotError {
    /// The picture broke a rule (its type or size) and was not sent.
    Rule(Rule),
    /// The server refused it, or it did not arrive.
    Upload(ApiFailure),
    /// The camera was refused.
    CameraDenied,
    /// There is no camera, or it gave no picture.
    CameraUnavailable,
    /// The photo could not be taken.
    CameraFailed,
}

/// One picture's slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// Its upload.
    pub status: SlotStatus,
    /// What went wrong, shown under it.
    pub error: Option<SlotError>,
    /// Bumped per upload, so a slower earlier upload cannot overwrite a later one.
    pub attempt: u32,
    /// Whether the server holds a picture of this side: an upload of it succeeded (a later one
    /// may be out), or one was there when the step opened. A replacement the server refuses
    /// then leaves the slot uploaded, with that picture, rather than empty.
    pub on_file: bool,
}

/// Where the camera stands: off, being opened for a slot, or showing a slot's live preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Camera {
    /// Off.
    Off,
    /// Asked for, for this slot.
    Opening(DocumentSide),
    /// Showing this slot's live preview.
    On(DocumentSide),
}

/// Where the step is.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// Collecting the pictures.
    Collecting,
    /// Asking for the decision (`resumed`: at once, for a user already decided, without slots).
    Deciding {
        /// Whether the step asked by itself rather than on the user's submit.
        resumed: bool,
    },
    /// The decision.
    Decided(Submitted<IdVerification>),
}

/// The step's state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The slots, in [`DocumentSide::ALL`]'s order.
    pub slots: [Slot; 3],
    /// The one camera.
    pub camera: Camera,
    /// The stage.
    pub stage: Stage,
    /// Why the last request for a decision failed (worded when shown, so a change of language
    /// words it again).
    pub submit_error: Option<ApiFailure>,
    /// The verification is read again because an upload was refused as decided already: the
    /// decision then answers the user's own action (the slots stay while it is asked for, and
    /// focus moves to it), not the step's opening.
    pub reread: bool,
}

impl Default for State {
    fn default() -> Self {
        let slot = Slot {
            status: SlotStatus::Empty,
            error: None,
            attempt: 0,
            on_file: false,
        };
        State {
            slots: [slot.clone(), slot.clone(), slot],
            camera: Camera::Off,
            stage: Stage::Collecting,
            submit_error: None,
            reread: false,
        }
    }
}

/// The position of `side`'s slot.
pub fn index(side: DocumentSide) -> usize {
    DocumentSide::ALL
        .iter()
        .position(|s| *s == side)
        .unwrap_or_default()
}

impl State {
    /// `side`'s slot.
    pub fn slot(&self, side: DocumentSide) -> &Slot {
        &self.slots[index(side)]
    }

    fn slot_mut(&mut self, side: DocumentSide) -> &mut Slot {
        &mut self.slots[index(side)]
    }

    /// Whether all three pictures are uploaded.
    pub fn all_uploaded(&self) -> bool {
        self.slots.iter().all(|s| s.status == SlotStatus::Uploaded)
    }

    /// Whether a decision is being asked for.
    pub fn deciding(&self) -> bool {
        matches!(self.stage, Stage::Deciding { .. })
    }

    /// Whether the camera is still being opened for `side` (else a stream that arrives is
    /// stopped at once).
    pub fn opening(&self, side: DocumentSide) -> bool {
        self.camera == Camera::Opening(side)
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<P> {
    /// A picture for `side`, from a file or the camera, of this type and size.
    Pick {
        /// The slot.
        side: DocumentSide,
        /// Its MIME type.
        kind: String,
        /// Its size in bytes.
        size: u64,
        /// The picture.
        picture: P,
    },
    /// An upload answered.
    Uploaded {
        /// The slot.
        side: DocumentSide,
        /// The upload's attempt.
        attempt: u32,
        /// Its answer.
        result: Result<(), ApiFailure>,
    },
    /// "Try again" after `side`'s upload failed: the same picture is sent again.
    RetryUpload(DocumentSide),
    /// "Use camera".
    OpenCamera(DocumentSide),
    /// The browser has no camera API.
    NoCamera(DocumentSide),
    /// The camera could not be opened: refused (`denied`) or missing.
    CameraRefused {
        /// The slot.
        side: DocumentSide,
        /// Whether the user (or the page's policy) refused it.
        denied: bool,
    },
    /// The camera opened but shows no picture.
    NoFrame(DocumentSide),
    /// The camera shows a frame: "Take photo" may be used.
    CameraOn(DocumentSide),
    /// "Cancel", or the photo was taken: the camera closes.
    CloseCamera(DocumentSide),
    /// Escape, wherever focus is in the step.
    Escape,
    /// The photo could not be taken.
    CaptureFailed(DocumentSide),
    /// "Submit for verification".
    Submit,
    /// The current verification, read when the step opens.
    Current(IdVerification),
    /// The decision.
    Decided(Submitted<IdVerification>),
    /// Asking for the decision failed so.
    DecideFailed(ApiFailure),
    /// "Try again" after a failed verification.
    Retry,
}

/// What the component does for a transition.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<P> {
    /// Show this picture as `side`'s preview (replacing and releasing the old one).
    Preview(DocumentSide, P),
    /// Drop `side`'s preview.
    DropPreview(DocumentSide),
    /// Show the picture the server holds for `side` as its preview again (the last one whose
    /// upload succeeded; none after a reload, which leaves no picture to show).
    RestorePreview(DocumentSide),
    /// Upload the picture for `side` as this attempt (the step keeps the last one sent for each
    /// side, for [`Effect::Reupload`], until it goes).
    Upload(DocumentSide, u32, P),
    /// Upload `side`'s kept picture again, as this attempt.
    Reupload(DocumentSide, u32),
    /// Turn the camera off and detach it from every slot's video.
    StopCamera,
    /// Ask the browser for the camera for `side`.
    RequestCamera(DocumentSide),
    /// Move focus to `side`'s "Use camera".
    FocusCameraButton(DocumentSide),
    /// Move focus to "Take photo".
    FocusCapture,
    /// Ask for the decision.
    Decide,
    /// Read where the verification stands again (answered as [`Event::Current`]).
    ReadCurrent,
    /// Move focus to the decision's heading.
    FocusResult,
    /// Move focus to the first slot's file input.
    FocusFirstFile,
}

/// Whether `failure` says the user's ID is verified or in review already.
fn decided_already(failure: &ApiFailure) -> bool {
    matches!(
        failure.api_error().and_then(|e| e.reason),
        Some(Reason::IdAlreadyVerified | Reason::IdInReview)
    )
}

/// The next state and its effects, or `None` when `event` does not apply to `state`.
pub fn next<P: Clone>(state: &State, event: Event<P>) -> Option<(State, Vec<Effect<P>>)> {
    use Effect::*;
    let mut to = state.clone();
    // While the decision is asked for, or shown, the pictures are what they are: a camera
    // opened then stayed on once the decision replaced the slots (no preview, no Cancel), and a
    // picture picked then was sent beside the decision (review).
    let collecting = state.stage == Stage::Collecting;
    let effects = match event {
        Event::Pick { .. } | Event::OpenCamera(_) | Event::RetryUpload(_) if !collecting => {
            return None
        }
        Event::Pick {
            side,
            kind,
            size,
            picture,
        } => {
            let slot = to.slot_mut(side);
            if let Err(rule) = check_document(&kind, size) {
                slot.error = Some(SlotError::Rule(rule));
                return Some((to, vec![]));
            }
            slot.error = None;
            slot.status = SlotStatus::Uploading;
            slot.attempt = slot.attempt.wrapping_add(1);
            let attempt = slot.attempt;
            vec![
                Preview(side, picture.clone()),
                Upload(side, attempt, picture),
            ]
        }
        Event::Uploaded {
            side,
            attempt,
            result,
        } => {
            let slot = to.slot_mut(side);
            if slot.attempt != attempt {
                // An earlier upload, overtaken by a later picture still being sent: its answer
                // changes nothing shown, but one that succeeded is on file until the later one
                // is. (Once the slot is emptied, by "Try again" after a failed decision, which
                // cleared the pictures, it is ignored.)
                if result.is_ok() && !slot.on_file && slot.status == SlotStatus::Uploading {
                    slot.on_file = true;
                    return Some((to, vec![]));
                }
                return None;
            }
            match result {
                Ok(()) => {
                    slot.status = SlotStatus::Uploaded;
                    slot.on_file = true;
                    vec![]
                }
                // The preview (and the picture) stay: "Try again" sends it again, so a photo
                // taken is not lost to a dropped connection.
                Err(failure) if failure.may_pass_again() => {
                    slot.status = SlotStatus::Failed;
                    slot.error = Some(SlotError::Upload(failure));
                    vec![]
                }
                // Refused because the user is verified or in review already (the step's first
                // read, which would have said so, failed): no picture is needed, and the
                // decision on file is read, as at the start.
                Err(failure) if decided_already(&failure) => {
                    slot.status = SlotStatus::Empty;
                    slot.on_file = false;
                    slot.error = Some(SlotError::Upload(failure));
                    to.reread = true;
                    vec![DropPreview(side), ReadCurrent]
                }
                // The server refused the picture itself (its type, its size, its content):
                // sending it again would be refused again, so the slot asks for another one,
                // or, replacing a picture the server kept, shows that one again (review: the
                // slot emptied, and Submit waited for a picture the server had).
                Err(failure) => {
                    slot.error = Some(SlotError::Upload(failure));
                    if slot.on_file {
                        slot.status = SlotStatus::Uploaded;
                        vec![RestorePreview(side)]
                    } else {
                        slot.status = SlotStatus::Empty;
                        vec![DropPreview(side)]
                    }
                }
            }
        }
        // Whatever the slot says since (a file refused, the camera's trouble), the picture it
        // shows is the one whose upload failed.
        Event::RetryUpload(side) => {
            let slot = to.slot_mut(side);
            if slot.status != SlotStatus::Failed {
                return None;
            }
            slot.error = None;
            slot.status = SlotStatus::Uploading;
            slot.attempt = slot.attempt.wrapping_add(1);
            // "Try again" goes as the upload starts: focus to the slot's "Use camera".
            vec![Reupload(side, slot.attempt), FocusCameraButton(side)]
        }
        Event::OpenCamera(side) => {
            to.slot_mut(side).error = None;
            to.camera = Camera::Opening(side);
            vec![StopCamera, RequestCamera(side)]
        }
        Event::NoCamera(side) if state.opening(side) => {
            to.camera = Camera::Off;
            to.slot_mut(side).error = Some(SlotError::CameraUnavailable);
            vec![]
        }
        Event::CameraRefused { side, denied } if state.opening(side) => {
            to.camera = Camera::Off;
            to.slot_mut(side).error = Some(if denied {
                SlotError::CameraDenied
            } else {
                SlotError::CameraUnavailable
            });
            vec![FocusCameraButton(side)]
        }
        Event::NoFrame(side) if state.opening(side) => {
            to.camera = Camera::Off;
            to.slot_mut(side).error = Some(SlotError::CameraUnavailable);
            vec![StopCamera, FocusCameraButton(side)]
        }
        Event::CameraOn(side) if state.opening(side) => {
            to.camera = Camera::On(side);
            vec![FocusCapture]
        }
        Event::CloseCamera(side) => {
            to.camera = Camera::Off;
            vec![StopCamera, FocusCameraButton(side)]
        }
        Event::Escape => match state.camera {
            Camera::Opening(side) | Camera::On(side) => {
                to.camera = Camera::Off;
                vec![StopCamera, FocusCameraButton(side)]
            }
            Camera::Off => return None,
        },
        Event::CaptureFailed(side) => {
            to.slot_mut(side).error = Some(SlotError::CameraFailed);
            vec![]
        }
        Event::Submit if state.all_uploaded() && state.stage == Stage::Collecting => {
            decide(&mut to, false)
        }
        Event::Current(current) => {
            // Pictures uploaded before (a reload) count as uploaded.
            for document in current.documents {
                let slot = to.slot_mut(document.side);
                slot.on_file = true;
                if slot.status == SlotStatus::Empty {
                    slot.status = SlotStatus::Uploaded;
                }
            }
            // A user already verified or under review gets the decision at once.
            let decided = matches!(
                current.status,
                VerificationStatus::Verified | VerificationStatus::NeedsReview
            );
            if decided && to.stage == Stage::Collecting {
                let resumed = !to.reread;
                decide(&mut to, resumed)
            } else {
                vec![]
            }
        }
        Event::Decided(answer) => match state.stage {
            Stage::Deciding { resumed } => {
                to.stage = Stage::Decided(answer);
                // The user who submitted lands on the decision, not on the page.
                if resumed {
                    vec![]
                } else {
                    vec![FocusResult]
                }
            }
            _ => return None,
        },
        Event::DecideFailed(failure) if state.deciding() => {
            to.stage = Stage::Collecting;
            to.submit_error = Some(failure);
            vec![]
        }
        Event::Retry if matches!(state.stage, Stage::Decided(_)) => {
            let mut effects = vec![];
            for (slot, side) in to.slots.iter_mut().zip(DocumentSide::ALL) {
                slot.attempt = slot.attempt.wrapping_add(1);
                slot.status = SlotStatus::Empty;
                slot.error = None;
                // A failed decision cleared the pictures on the server.
                slot.on_file = false;
                effects.push(DropPreview(side));
            }
            to.stage = Stage::Collecting;
            // "Try again" is gone with the decision.
            effects.push(FocusFirstFile);
            effects
        }
        _ => return None,
    };
    Some((to, effects))
}

/// Asks for the decision; the camera closes.
fn decide<P>(to: &mut State, resumed: bool) -> Vec<Effect<P>> {
    to.camera = Camera::Off;
    to.submit_error = None;
    to.stage = Stage::Deciding { resumed };
    vec![Effect::StopCamera, Effect::Decide]
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::identity::UploadedDocument;
    use payout_model::{ApiError, ErrorCode, FlowState};

    type E = Event<&'static str>;
    const FRONT: DocumentSide = DocumentSide::Front;

    fn pick(side: DocumentSide, kind: &str, size: u64) -> E {
        Event::Pick {
            side,
            kind: kind.into(),
            size,
            picture: "photo",
        }
    }

    fn uploaded(side: DocumentSide, attempt: u32, ok: bool) -> E {
        Event::Uploaded {
            side,
            attempt,
            result: if ok { Ok(()) } else { Err(failure()) },
        }
    }

    fn failure() -> ApiFailure {
        ApiFailure::Api(ApiError::new(ErrorCode::TooManyRequests, "too large"))
    }

    fn run(state: &State, event: E) -> (State, Vec<Effect<&'static str>>) {
        next(state, event).expect("the event applies")
    }

    fn all_uploaded() -> State {
        let mut state = State::default();
        for slot in &mut state.slots {
            slot.status = SlotStatus::Uploaded;
        }
        state
    }

    fn verification(status: VerificationStatus, sides: &[DocumentSide]) -> IdVerification {
        IdVerification {
            status,
            documents: sides
                .iter()
                .map(|side| {
                    serde_json::from_value::<UploadedDocument>(serde_json::json!({
                        "side": side.as_str(),
                        "content_type": "image/jpeg",
                        "size": 100,
                        "uploaded_at": "2026-01-01T00:00:00Z",
                    }))
                    .expect("an uploaded document")
                })
                .collect(),
            decided_at: None,
        }
    }

    fn decision(status: VerificationStatus) -> Submitted<IdVerification> {
        Submitted {
            data: verification(status, &[]),
            flow: FlowState {
                id: uuid::Uuid::from_u128(1),
                steps: vec![],
                completed_steps: vec![],
                user_id: None,
                hide_go_to_dashboard_on_complete: false,
                require_auth: false,
                payout_fee_party: Default::default(),
                compliance_due: false,
                payee_phone: None,
            },
        }
    }

    #[test]
    fn a_good_picture_is_previewed_and_uploaded() {
        let (state, effects) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploading);
        assert_eq!(
            effects,
            vec![
                Effect::Preview(FRONT, "photo"),
                Effect::Upload(FRONT, 1, "photo")
            ]
        );
        let (state, effects) = run(&state, uploaded(FRONT, 1, true));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
        assert!(effects.is_empty());
    }

    #[test]
    fn a_picture_breaking_a_rule_is_not_sent() {
        let (state, effects) = run(&State::default(), pick(FRONT, "application/pdf", 1_000));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Empty);
        assert!(matches!(state.slot(FRONT).error, Some(SlotError::Rule(_))));
        assert!(effects.is_empty());
        let (state, _) = run(&State::default(), pick(FRONT, "image/png", 100_000_000));
        assert!(matches!(state.slot(FRONT).error, Some(SlotError::Rule(_))));
    }

    /// Review: a replacement the server refused emptied the slot, though the server still held
    /// the picture it replaced: Submit waited for a picture that was there. The slot shows that
    /// picture again, uploaded, with the refusal; one known from an earlier, overtaken upload
    /// counts too, and a failed decision (which clears the pictures) forgets it.
    #[test]
    fn a_refused_replacement_leaves_the_picture_on_file() {
        let refused = ApiFailure::Api(ApiError::new(ErrorCode::InvalidRequest, "unreadable"));
        let refusal = |attempt| Event::Uploaded {
            side: FRONT,
            attempt,
            result: Err(refused.clone()),
        };
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let (state, _) = run(&state, uploaded(FRONT, 1, true));
        let (state, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        let (state, effects) = run(&state, refusal(2));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
        assert_eq!(
            state.slot(FRONT).error,
            Some(SlotError::Upload(refused.clone()))
        );
        assert_eq!(effects, vec![Effect::RestorePreview(FRONT)]);

        // The first upload answers after the second picture was picked.
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let (state, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        let (state, effects) = run(&state, uploaded(FRONT, 1, true));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploading);
        assert!(effects.is_empty());
        let (state, effects) = run(&state, refusal(2));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
        assert_eq!(effects, vec![Effect::RestorePreview(FRONT)]);
        // An overtaken upload that failed changes nothing.
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let (state, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        assert_eq!(next(&state, uploaded(FRONT, 1, false)), None);

        // Pictures there when the step opened are on file too, until a failed decision.
        let current = verification(VerificationStatus::NotStarted, &DocumentSide::ALL);
        let (state, _) = run(&State::default(), E::Current(current));
        let (replacing, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        let (after, _) = run(&replacing, refusal(1));
        assert_eq!(after.slot(FRONT).status, SlotStatus::Uploaded);
        let (deciding, _) = run(&state, E::Submit);
        let (failed, _) = run(&deciding, E::Decided(decision(VerificationStatus::Failed)));
        let (state, _) = run(&failed, E::Retry);
        let (state, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        let (state, effects) = run(&state, refusal(state.slot(FRONT).attempt));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Empty);
        assert_eq!(effects, vec![Effect::DropPreview(FRONT)]);
    }

    /// Review: "Try again" was offered after the server refused the picture itself, which the
    /// same picture then met again.
    #[test]
    fn a_refused_picture_is_dropped_and_another_asked_for() {
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let refused = ApiFailure::Api(ApiError::new(ErrorCode::InvalidRequest, "unreadable"));
        let (state, effects) = run(
            &state,
            Event::Uploaded {
                side: FRONT,
                attempt: 1,
                result: Err(refused.clone()),
            },
        );
        assert_eq!(state.slot(FRONT).status, SlotStatus::Empty);
        assert_eq!(state.slot(FRONT).error, Some(SlotError::Upload(refused)));
        assert_eq!(effects, vec![Effect::DropPreview(FRONT)]);
        assert_eq!(next(&state, E::RetryUpload(FRONT)), None);
        // A dropped connection or the server's own failure keeps the picture for "Try again".
        for failure in [
            ApiFailure::Network("offline".into()),
            ApiFailure::Api(ApiError::new(ErrorCode::Internal, "down")),
        ] {
            let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
            let (state, effects) = run(
                &state,
                Event::Uploaded {
                    side: FRONT,
                    attempt: 1,
                    result: Err(failure),
                },
            );
            assert_eq!(state.slot(FRONT).status, SlotStatus::Failed);
            assert!(effects.is_empty());
        }
    }

    #[test]
    fn a_failed_upload_keeps_its_preview_says_why_and_tries_again() {
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let (state, effects) = run(&state, uploaded(FRONT, 1, false));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Failed);
        assert_eq!(state.slot(FRONT).error, Some(SlotError::Upload(failure())));
        assert!(effects.is_empty(), "the preview stays");
        let (state, effects) = run(&state, Event::RetryUpload(FRONT));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploading);
        assert_eq!(state.slot(FRONT).error, None);
        assert_eq!(
            effects,
            vec![Effect::Reupload(FRONT, 2), Effect::FocusCameraButton(FRONT)]
        );
        let (state, _) = run(&state, uploaded(FRONT, 2, true));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
        // Only after a failed upload.
        assert_eq!(next(&state, Event::<()>::RetryUpload(FRONT)), None);
        // Whatever the slot said since (here: a file refused by its type), its picture is sent.
        let (failed, _) = run(&state, pick(FRONT, "image/jpeg", 1_000));
        let (failed, _) = run(&failed, uploaded(FRONT, 3, false));
        let (failed, _) = run(&failed, pick(FRONT, "application/pdf", 1_000));
        assert!(matches!(failed.slot(FRONT).error, Some(SlotError::Rule(_))));
        let (_, effects) = run(&failed, Event::RetryUpload(FRONT));
        assert_eq!(
            effects,
            vec![Effect::Reupload(FRONT, 4), Effect::FocusCameraButton(FRONT)]
        );
    }

    #[test]
    fn a_slower_earlier_upload_cannot_overwrite_a_later_one() {
        let (state, _) = run(&State::default(), pick(FRONT, "image/jpeg", 1_000));
        let (state, _) = run(&state, pick(FRONT, "image/jpeg", 2_000));
        assert_eq!(next(&state, uploaded(FRONT, 1, false)), None);
        let (state, _) = run(&state, uploaded(FRONT, 2, true));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
    }

    #[test]
    fn the_camera_opens_for_one_slot_and_answers_for_another_are_ignored() {
        let (state, effects) = run(&State::default(), Event::OpenCamera(FRONT));
        assert_eq!(state.camera, Camera::Opening(FRONT));
        assert_eq!(
            effects,
            vec![Effect::StopCamera, Effect::RequestCamera(FRONT)]
        );
        assert!(state.opening(FRONT));
        let (state, _) = run(&state, Event::OpenCamera(DocumentSide::Back));
        assert_eq!(next(&state, E::CameraOn(FRONT)), None);
        let (on, effects) = run(&state, Event::CameraOn(DocumentSide::Back));
        assert_eq!(on.camera, Camera::On(DocumentSide::Back));
        assert_eq!(effects, vec![Effect::FocusCapture]);
    }

    #[test]
    fn a_refused_or_missing_camera_says_so_in_its_slot() {
        let (opening, _) = run(&State::default(), Event::OpenCamera(FRONT));
        let (state, effects) = run(
            &opening,
            Event::CameraRefused {
                side: FRONT,
                denied: true,
            },
        );
        assert_eq!(state.camera, Camera::Off);
        assert_eq!(state.slot(FRONT).error, Some(SlotError::CameraDenied));
        assert_eq!(effects, vec![Effect::FocusCameraButton(FRONT)]);
        let (state, effects) = run(&opening, Event::NoCamera(FRONT));
        assert_eq!(state.slot(FRONT).error, Some(SlotError::CameraUnavailable));
        assert!(effects.is_empty());
        let (state, effects) = run(&opening, Event::NoFrame(FRONT));
        assert_eq!(state.camera, Camera::Off);
        assert_eq!(state.slot(FRONT).error, Some(SlotError::CameraUnavailable));
        assert_eq!(
            effects,
            vec![Effect::StopCamera, Effect::FocusCameraButton(FRONT)]
        );
    }

    #[test]
    fn opening_the_camera_clears_the_slots_error() {
        let (state, _) = run(&State::default(), Event::CaptureFailed(FRONT));
        assert_eq!(state.slot(FRONT).error, Some(SlotError::CameraFailed));
        let (state, _) = run(&state, Event::OpenCamera(FRONT));
        assert_eq!(state.slot(FRONT).error, None);
    }

    #[test]
    fn escape_closes_an_open_camera_and_returns_focus() {
        assert_eq!(next(&State::default(), E::Escape), None);
        let (opening, _) = run(&State::default(), Event::OpenCamera(FRONT));
        let (state, effects) = run(&opening, Event::Escape);
        assert_eq!(state.camera, Camera::Off);
        assert_eq!(
            effects,
            vec![Effect::StopCamera, Effect::FocusCameraButton(FRONT)]
        );
        let (state, effects) = run(&opening, Event::CloseCamera(FRONT));
        assert_eq!(state.camera, Camera::Off);
        assert_eq!(
            effects,
            vec![Effect::StopCamera, Effect::FocusCameraButton(FRONT)]
        );
    }

    #[test]
    fn submit_needs_all_three_pictures_and_asks_once() {
        assert_eq!(next(&State::default(), E::Submit), None);
        let (deciding, effects) = run(&all_uploaded(), Event::Submit);
        assert_eq!(deciding.stage, Stage::Deciding { resumed: false });
        assert_eq!(effects, vec![Effect::StopCamera, Effect::Decide]);
        assert_eq!(next(&deciding, E::Submit), None);
        // Review: the camera opened, or a picture picked, while the decision was asked for
        // outlived the slots (the camera left on) or went beside the decision.
        assert_eq!(next(&deciding, E::OpenCamera(FRONT)), None);
        assert_eq!(next(&deciding, pick(FRONT, "image/jpeg", 1_000)), None);
        assert_eq!(next(&deciding, E::RetryUpload(FRONT)), None);
    }

    #[test]
    fn the_decision_takes_focus_after_a_submit() {
        let (deciding, _) = run(&all_uploaded(), Event::Submit);
        let answer = decision(VerificationStatus::Verified);
        let (state, effects) = run(&deciding, Event::Decided(answer.clone()));
        assert_eq!(state.stage, Stage::Decided(answer));
        assert_eq!(effects, vec![Effect::FocusResult]);
    }

    #[test]
    fn a_failed_request_for_the_decision_shows_its_message_with_the_slots() {
        let (deciding, _) = run(&all_uploaded(), Event::Submit);
        let offline = ApiFailure::Network("offline".into());
        let (state, effects) = run(&deciding, Event::DecideFailed(offline.clone()));
        assert_eq!(state.stage, Stage::Collecting);
        assert_eq!(state.submit_error, Some(offline));
        assert!(effects.is_empty());
        let (state, _) = run(&state, Event::Submit);
        assert_eq!(state.submit_error, None);
    }

    #[test]
    fn pictures_on_file_count_as_uploaded() {
        let current = verification(VerificationStatus::NotStarted, &[FRONT, DocumentSide::Back]);
        let (state, effects) = run(&State::default(), Event::Current(current));
        assert_eq!(state.slot(FRONT).status, SlotStatus::Uploaded);
        assert_eq!(state.slot(DocumentSide::Back).status, SlotStatus::Uploaded);
        assert_eq!(state.slot(DocumentSide::Selfie).status, SlotStatus::Empty);
        assert!(effects.is_empty());
    }

    #[test]
    fn a_user_already_under_review_gets_the_decision_at_once_without_focus() {
        let current = verification(VerificationStatus::NeedsReview, &DocumentSide::ALL);
        let (resuming, effects) = run(&State::default(), Event::Current(current));
        assert_eq!(resuming.stage, Stage::Deciding { resumed: true });
        assert_eq!(effects, vec![Effect::StopCamera, Effect::Decide]);
        let (_, effects) = run(
            &resuming,
            Event::Decided(decision(VerificationStatus::NeedsReview)),
        );
        assert!(effects.is_empty());
    }

    #[test]
    fn try_again_empties_every_slot_and_ignores_their_old_uploads() {
        let (deciding, _) = run(&all_uploaded(), Event::Submit);
        let (failed, _) = run(
            &deciding,
            Event::Decided(decision(VerificationStatus::Failed)),
        );
        let (state, effects) = run(&failed, Event::Retry);
        assert_eq!(state.stage, Stage::Collecting);
        assert!(state.slots.iter().all(|s| s.status == SlotStatus::Empty));
        assert_eq!(
            effects,
            vec![
                Effect::DropPreview(DocumentSide::Front),
                Effect::DropPreview(DocumentSide::Back),
                Effect::DropPreview(DocumentSide::Selfie),
                Effect::FocusFirstFile
            ]
        );
        assert_eq!(next(&state, uploaded(FRONT, 0, true)), None);
        assert_eq!(next(&State::default(), E::Retry), None);
        assert_eq!(
            next(&state, E::Decided(decision(VerificationStatus::Verified))),
            None
        );
    }
}
