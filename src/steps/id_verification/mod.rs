//! The id-verification step (DESIGN.md "id-verification", issue 3): the front and back of a
//! government ID and a selfie, each from a file or the camera, then the sandbox's decision.
//!
//! Each picture has a slot: "Upload a photo" (a file input taking JPEG, PNG or WebP) and "Use
//! camera" (`getUserMedia`: a live preview, "Take photo" draws a frame to a canvas and sends it
//! as a JPEG; the camera is then turned off). The type and size are checked with the model's
//! [`check_document`] before anything is sent, and the picture is uploaded at once, with a
//! preview (an object URL, revoked when replaced and when the step goes away) and its status.
//! An upload that failed where sending it again may pass ([`ApiFailure::may_pass_again`]) keeps
//! the preview and the picture, and offers "Try again", which sends the same picture again; a
//! picture the server refused goes, with the reason, and the slot asks for another (or, where
//! it was to replace one the server holds, shows that one again, uploaded). A side has one
//! upload out at a time: a picture picked meanwhile goes once it answers (only the newest), so
//! the server keeps the picture the slot shows. While the decision is asked for, the slots'
//! controls are `aria-disabled` and do nothing. A denied or missing camera says so in the slot;
//! the file input stays.
//!
//! The camera is closed by "Take photo", "Cancel" or Escape; focus then goes back to the slot's
//! "Use camera". A change of language leaves it open: the slot drawn anew gets its stream. Each slot's status line is a polite live region.
//!
//! Pictures uploaded before (after a reload) show as uploaded. With all three uploaded, "Submit
//! for verification" asks for the decision: verified or needs review → Continue (the server
//! recorded the step); failed → "Try again" with empty slots. The decision replaces the slots
//! and takes focus on its heading.
//!
//! A user already verified or under review (a later flow) has nothing to upload: when the
//! current verification says so, the step asks for the decision at once (the server answers
//! the existing one and records the step), showing a loading line meanwhile, then the same
//! result and Continue.
//!
//! [`slot`] draws one picture's slot; this module owns the slots' state, the camera, the
//! uploads and the decision. The pure [`machine`] decides what each event does; the requests it
//! asks for (the current verification, the uploads, the decision) go through the step's action
//! ([`Sender`]), which drops an answer that comes after the step is gone.

pub mod machine;
mod slot;

use crate::api::{ApiFailure, LocalFuture};
use crate::context::{use_services, FlowServices, SessionApi};
use crate::forms::Reason;
use crate::i18n::{failure_details, locale_signal, localized, rule_text, step_title};
use crate::requests::Sender;
use crate::steps::RecordedContinue;
use crate::t;
use crate::ui::{focus_id_soon, focus_node, Button, ErrorAlert, LoadingLine, ScreenCard, Spinner};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use machine::{next, Camera, Effect, Event, SlotError, SlotStatus, Stage, State};
use payout_model::identity::{DocumentSide, IdVerification, Submitted, VerificationStatus};
use payout_model::{ErrorCode, StepName};
use send_wrapper::SendWrapper;
use slot::{slot_view, SlotActions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, MediaStream};

/// The image types the file inputs offer (the model's `DOCUMENT_TYPES`).
const ACCEPT: &str = "image/jpeg,image/png,image/webp";

/// Element id of the decision's heading, which takes focus once the decision replaces the
/// slots.
const RESULT_HEADING: &str = "pf-idv-result-heading";

/// Element id of the line saying why "Submit for verification" is disabled (empty once it is
/// not): always in the page, since the button refers to it.
const SUBMIT_REASON: &str = "pf-idv-submit-reason";

impl SlotStatus {
    fn as_str(self) -> &'static str {
        match self {
            SlotStatus::Empty => "empty",
            SlotStatus::Uploading => "uploading",
            SlotStatus::Uploaded => "uploaded",
            SlotStatus::Failed => "failed",
        }
    }

    fn text(self) -> &'static str {
        match self {
            SlotStatus::Empty => t!(status_not_uploaded),
            SlotStatus::Uploading => t!(status_uploading),
            SlotStatus::Uploaded => t!(status_uploaded),
            SlotStatus::Failed => t!(status_upload_failed),
        }
    }
}

/// One picture's slot as its view reads it. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct Slot {
    side: DocumentSide,
    status: Memo<SlotStatus>,
    error: Memo<Option<String>>,
    /// The preview's object URL.
    preview: RwSignal<Option<String>>,
    video: NodeRef<html::Video>,
    /// "Use camera", where focus returns when the camera closes.
    camera_button: NodeRef<html::Button>,
}

impl Slot {
    fn new(side: DocumentSide, state: RwSignal<State>) -> Self {
        // Worded in the language of the moment: a change of language words it again.
        let locale = locale_signal();
        Slot {
            side,
            status: Memo::new(move |_| state.with(|s| s.slot(side).status)),
            error: Memo::new(move |_| {
                locale.track();
                let label = side_label(side);
                state.with(|s| s.slot(side).error.as_ref().map(|e| slot_error(label, e)))
            }),
            preview: RwSignal::new(None),
            video: NodeRef::new(),
            camera_button: NodeRef::new(),
        }
    }

    fn label(self) -> &'static str {
        side_label(self.side)
    }
}

fn side_label(side: DocumentSide) -> &'static str {
    match side {
        DocumentSide::Front => t!(side_front),
        DocumentSide::Back => t!(side_back),
        DocumentSide::Selfie => t!(side_selfie),
    }
}

/// What a slot's error says.
fn slot_error(label: &str, error: &SlotError) -> String {
    match error {
        SlotError::Rule(rule) => rule_text(label, *rule),
        SlotError::Upload(failure) => upload_error(label, failure),
        SlotError::CameraDenied => t!(camera_denied).to_owned(),
        SlotError::CameraUnavailable => t!(camera_unavailable).to_owned(),
        SlotError::CameraFailed => t!(camera_failed).to_owned(),
    }
}

/// The browser objects the step must release: the camera's stream and the previews' object
/// URLs. Shared with the cleanup, which runs when the step goes away.
#[derive(Clone, Default)]
struct Held(Rc<RefCell<HeldInner>>);

#[derive(Default)]
struct HeldInner {
    stream: Option<MediaStream>,
    urls: Vec<String>,
    /// By side ([`machine::index`]): the picture last sent, for "Try again" after its upload
    /// failed.
    sent: [Option<Blob>; 3],
    /// By side: the picture whose upload last succeeded (the server holds it), shown again when
    /// a replacement is refused.
    on_file: [Option<Blob>; 3],
    /// By side: whether an upload is out.
    out: [bool; 3],
    /// By side: the upload to send once the one out answers (the latest picked meanwhile).
    queued: [Option<(u32, Blob)>; 3],
}

impl Held {
    fn set_stream(&self, stream: MediaStream) {
        self.stop_stream();
        self.0.borrow_mut().stream = Some(stream);
    }

    /// The camera's stream, while it is on.
    fn stream(&self) -> Option<MediaStream> {
        self.0.borrow().stream.clone()
    }

    /// Turns the camera off.
    fn stop_stream(&self) {
        if let Some(stream) = self.0.borrow_mut().stream.take() {
            stop_tracks(&stream);
        }
    }

    /// Keeps `picture` as the one last sent for `side`.
    fn keep_sent(&self, side: DocumentSide, picture: &Blob) {
        self.0.borrow_mut().sent[machine::index(side)] = Some(picture.clone());
    }

    /// The picture last sent for `side`.
    fn sent(&self, side: DocumentSide) -> Option<Blob> {
        self.0.borrow().sent[machine::index(side)].clone()
    }

    /// The picture the server holds for `side`, as far as this step has sent it.
    fn on_file(&self, side: DocumentSide) -> Option<Blob> {
        self.0.borrow().on_file[machine::index(side)].clone()
    }

    /// Takes the turn of `side`'s upload `attempt` of `picture`: `true` when none is out (it is
    /// sent now, and is out until [`Held::answered`]); else it waits, replacing any picture
    /// waiting before it, which is then never sent.
    fn take_turn(&self, side: DocumentSide, attempt: u32, picture: &Blob) -> bool {
        let mut inner = self.0.borrow_mut();
        let i = machine::index(side);
        if inner.out[i] {
            inner.queued[i] = Some((attempt, picture.clone()));
            return false;
        }
        inner.out[i] = true;
        true
    }

    /// `side`'s upload of `picture` answered (`kept`: the server holds it now): the upload
    /// waiting for its turn, if any.
    fn answered(&self, side: DocumentSide, picture: &Blob, kept: bool) -> Option<(u32, Blob)> {
        let mut inner = self.0.borrow_mut();
        let i = machine::index(side);
        inner.out[i] = false;
        if kept {
            inner.on_file[i] = Some(picture.clone());
        }
        inner.queued[i].take()
    }

    /// An object URL showing `blob`.
    fn url_for(&self, blob: &Blob) -> Option<String> {
        let url = web_sys::Url::create_object_url_with_blob(blob).ok()?;
        self.0.borrow_mut().urls.push(url.clone());
        Some(url)
    }

    fn revoke(&self, url: &str) {
        self.0.borrow_mut().urls.retain(|u| u != url);
        let _ = web_sys::Url::revoke_object_url(url);
    }

    fn release(&self) {
        self.stop_stream();
        for url in self.0.borrow_mut().urls.drain(..) {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    }
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
}

/// Asks for the camera: the back one for the ID, the front one for the selfie (preferred, not
/// required, so any camera will do). `None` when the browser offers no camera API.
fn request_camera(side: DocumentSide) -> Option<js_sys::Promise> {
    let devices = window()
        .navigator()
        .media_devices()
        .ok()
        .filter(|d| !d.is_undefined())?;
    let video = js_sys::Object::new();
    let facing = if side == DocumentSide::Selfie {
        "user"
    } else {
        "environment"
    };
    js_sys::Reflect::set(&video, &"facingMode".into(), &facing.into()).ok()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video);
    devices.get_user_media_with_constraints(&constraints).ok()
}

/// Resolves once `video` has a frame to show (`loadeddata`), or after 10 seconds without one.
fn first_frame(video: &web_sys::HtmlVideoElement) -> js_sys::Promise {
    let video = video.clone();
    js_sys::Promise::new(&mut |resolve, _reject| {
        // HAVE_CURRENT_DATA
        if video.ready_state() >= 2 {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        }
        let once = web_sys::AddEventListenerOptions::new();
        once.set_once(true);
        let listening = video.add_event_listener_with_callback_and_add_event_listener_options(
            "loadeddata",
            &resolve,
            &once,
        );
        let timer =
            window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10_000);
        if listening.is_err() || timer.is_err() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    })
}

/// Whether the camera was refused (rather than missing), by the browser's error.
fn camera_denied(error: &JsValue) -> bool {
    let name = js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    matches!(
        name.as_str(),
        "NotAllowedError" | "SecurityError" | "PermissionDeniedError"
    )
}

/// The video's current frame as a JPEG (`canvas.toBlob`), or `None` when there is no frame yet.
fn snapshot(video: &web_sys::HtmlVideoElement) -> Option<js_sys::Promise> {
    let (width, height) = (video.video_width(), video.video_height());
    if width == 0 || height == 0 {
        return None;
    }
    let canvas: web_sys::HtmlCanvasElement =
        document().create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_html_video_element(video, 0.0, 0.0)
        .ok()?;
    let mut started = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        started = Some(canvas.to_blob_with_type_and_encoder_options(
            &resolve,
            "image/jpeg",
            &JsValue::from_f64(0.92),
        ));
    });
    started?.ok()?;
    Some(promise)
}

/// Why an upload failed, for its slot: the server's field message worded with the slot's
/// name, else its message.
fn upload_error(label: &str, failure: &ApiFailure) -> String {
    match failure.api_error().and_then(|e| e.fields.first()) {
        Some(field) => Reason::of(field).word(label),
        None => failure_details(failure),
    }
}

/// The wire name of a decision (`needs_review`), for `data-status`.
fn status_name(status: VerificationStatus) -> &'static str {
    match status {
        VerificationStatus::NotStarted => "not_started",
        VerificationStatus::Verified => "verified",
        VerificationStatus::NeedsReview => "needs_review",
        VerificationStatus::Failed => "failed",
    }
}

/// Everything the step's effects touch, shared by its handlers and tasks.
struct Step {
    services: FlowServices,
    state: RwSignal<State>,
    slots: [Slot; 3],
    held: StoredValue<Held, LocalStorage>,
    /// The action the machine's requests go through.
    requests: Sender,
}

impl Step {
    fn slot(&self, side: DocumentSide) -> Slot {
        self.slots[machine::index(side)]
    }

    /// Applies `event` to the state and runs the effects of the transition; whether it applied.
    fn dispatch(self: &Rc<Self>, event: Event<Blob>) -> bool {
        let Some(Some((state, effects))) = self.state.try_with_untracked(|s| next(s, event)) else {
            return false;
        };
        self.state.set(state);
        effects.into_iter().for_each(|effect| self.run(effect));
        true
    }

    fn run(self: &Rc<Self>, effect: Effect<Blob>) {
        match effect {
            Effect::Preview(side, image) => {
                let url = self.held.with_value(|h| h.url_for(&image));
                self.set_preview(side, url);
            }
            Effect::DropPreview(side) => self.set_preview(side, None),
            Effect::RestorePreview(side) => {
                let url = self
                    .held
                    .with_value(|h| h.on_file(side).and_then(|image| h.url_for(&image)));
                self.set_preview(side, url);
            }
            Effect::Upload(side, attempt, image) => {
                self.held.with_value(|h| h.keep_sent(side, &image));
                self.upload(side, attempt, image);
            }
            Effect::Reupload(side, attempt) => {
                if let Some(image) = self.held.with_value(|h| h.sent(side)) {
                    self.upload(side, attempt, image);
                }
            }
            Effect::StopCamera => {
                self.held.with_value(Held::stop_stream);
                for slot in self.slots {
                    if let Some(video) = slot.video.get_untracked() {
                        video.set_src_object(None);
                    }
                }
            }
            Effect::RequestCamera(side) => self.request_camera(side),
            Effect::FocusCameraButton(side) => focus_node(self.slot(side).camera_button),
            Effect::FocusCapture => focus_id_soon("pf-idv-capture".to_owned()),
            Effect::Decide => {
                let (call, this) = (decide(&self.services.api), self.clone());
                self.requests.send(call, move |answer| {
                    this.dispatch(match answer {
                        Ok(answer) => Event::Decided(answer),
                        Err(failure) => Event::DecideFailed(failure),
                    });
                });
            }
            Effect::ReadCurrent => self.read_current(),
            Effect::FocusResult => focus_id_soon(RESULT_HEADING.to_owned()),
            Effect::FocusFirstFile => {
                focus_id_soon(format!("pf-idv-{}-file", DocumentSide::ALL[0].as_str()));
            }
        }
    }

    /// Reads where the verification stands, answered as [`Event::Current`] (nothing when the
    /// read fails: the slots stay, and an upload refused because the user is decided already
    /// reads it again).
    fn read_current(self: &Rc<Self>) {
        let (call, this) = (self.services.api.id_verification(), self.clone());
        self.requests.send(call, move |answer| {
            if let Ok(current) = answer {
                this.dispatch(Event::Current(current));
            }
        });
    }

    /// Sends `image` as `side`'s picture, as upload `attempt`: once no other upload of that
    /// side is out (review: a picture replaced while its upload was out went beside it, and the
    /// server kept whichever came last, perhaps the older one, while the slot showed the newer).
    fn upload(self: &Rc<Self>, side: DocumentSide, attempt: u32, image: Blob) {
        if !self.held.with_value(|h| h.take_turn(side, attempt, &image)) {
            return;
        }
        let call = self.services.api.upload_document(side, image.clone());
        let this = self.clone();
        self.requests.send(call, move |answer| {
            let waiting = this
                .held
                .with_value(|h| h.answered(side, &image, answer.is_ok()));
            this.dispatch(Event::Uploaded {
                side,
                attempt,
                result: answer.map(|_| ()),
            });
            if let Some((attempt, image)) = waiting {
                this.upload(side, attempt, image);
            }
        });
    }

    fn set_preview(&self, side: DocumentSide, url: Option<String>) {
        let slot = self.slot(side);
        if let Some(old) = slot.preview.try_get_untracked().flatten() {
            self.held.with_value(|h| h.revoke(&old));
        }
        slot.preview.try_set(url);
    }

    /// Opens the camera for `side` into its slot's video; "Take photo" appears once there is a
    /// frame to take.
    fn request_camera(self: &Rc<Self>, side: DocumentSide) {
        let Some(request) = request_camera(side) else {
            self.dispatch(Event::NoCamera(side));
            return;
        };
        let (this, slot) = (self.clone(), self.slot(side));
        let opening = move || this.state.try_with_untracked(|s| s.opening(side)) == Some(true);
        let this = self.clone();
        spawn_local(async move {
            let answer = wasm_bindgen_futures::JsFuture::from(request).await;
            // Closed, or another slot's camera asked for, meanwhile.
            if !opening() {
                if let Ok(stream) = answer {
                    stop_tracks(stream.unchecked_ref());
                }
                return;
            }
            let stream: MediaStream = match answer {
                Ok(stream) => stream.unchecked_into(),
                Err(error) => {
                    let denied = camera_denied(&error);
                    this.dispatch(Event::CameraRefused { side, denied });
                    return;
                }
            };
            this.held.with_value(|h| h.set_stream(stream.clone()));
            let Some(video) = slot.video.get_untracked() else {
                return;
            };
            video.set_src_object(Some(&stream));
            // Autoplay (muted, inline) starts it anyway; a refusal here is harmless.
            let _ = video.play();
            let _ = wasm_bindgen_futures::JsFuture::from(first_frame(&video)).await;
            if video.video_width() == 0 {
                this.dispatch(Event::NoFrame(side));
            } else {
                this.dispatch(Event::CameraOn(side));
            }
        });
    }

    /// "Take photo": the video's frame, then the camera closes and the photo is checked and
    /// uploaded.
    fn capture(self: &Rc<Self>, side: DocumentSide) {
        let shot = self
            .slot(side)
            .video
            .get_untracked()
            .and_then(|v| snapshot(&v));
        let Some(shot) = shot else {
            self.dispatch(Event::CaptureFailed(side));
            return;
        };
        let this = self.clone();
        spawn_local(async move {
            let blob = wasm_bindgen_futures::JsFuture::from(shot).await;
            if !this.dispatch(Event::CloseCamera(side)) {
                return;
            }
            match blob.ok().and_then(|b| b.dyn_into::<Blob>().ok()) {
                Some(image) => this.dispatch(pick(side, image)),
                None => this.dispatch(Event::CaptureFailed(side)),
            };
        });
    }
}

/// A picture for `side`, to check and upload.
fn pick(side: DocumentSide, picture: Blob) -> Event<Blob> {
    Event::Pick {
        side,
        kind: picture.type_(),
        size: picture.size() as u64,
        picture,
    }
}

/// Asks for the decision. A submit whose answer was lost may have been decided: verified or in
/// review, it completed the step, and every submit sent again is refused (the step complete);
/// failed, it cleared the pictures and left the step open, and every submit sent again is
/// refused for the missing pictures. Either way the decision on file is read and answered as
/// the lost answer would have been: a completed step's ([`SessionApi::submitted_or_kept`]), or
/// a failure that holds no pictures (one with pictures is an earlier failure, the pictures
/// uploaded since: that submit was not decided).
fn decide(api: &SessionApi) -> LocalFuture<Result<Submitted<IdVerification>, ApiFailure>> {
    let kept = api.submitted_or_kept(
        api.submit_id_verification(),
        StepName::IdVerification,
        |api| {
            let read = api.id_verification();
            Box::pin(async move { read.await.map(Some) })
        },
    );
    let api = api.clone();
    Box::pin(async move {
        let failure = match kept.await {
            Err(failure) => failure,
            answer => return answer,
        };
        let pictures_missing = matches!(&failure,
            ApiFailure::Api(e) if e.code == ErrorCode::InvalidRequest && !e.fields.is_empty());
        if failure.may_have_happened() || pictures_missing {
            if let Ok(current) = api.id_verification().await {
                if current.status == VerificationStatus::Failed && current.documents.is_empty() {
                    if let Ok(flow) = api.flow_state().await {
                        return Ok(Submitted {
                            data: current,
                            flow,
                        });
                    }
                }
            }
        }
        Err(failure)
    })
}

/// Collects the ID pictures and shows the verification decision.
#[component]
pub fn IdVerificationStep() -> impl IntoView {
    let state = RwSignal::new(State::default());
    let held = Held::default();
    {
        let held = SendWrapper::new(held.clone());
        on_cleanup(move || held.release());
    }
    let step = Rc::new(Step {
        services: use_services(),
        state,
        slots: DocumentSide::ALL.map(|side| Slot::new(side, state)),
        held: StoredValue::new_local(held),
        requests: Sender::new(),
    });
    let on = |event: fn(DocumentSide) -> Event<Blob>| {
        let step = step.clone();
        UnsyncCallback::new(move |side| {
            step.dispatch(event(side));
        })
    };
    let actions = SlotActions {
        camera: Memo::new(move |_| state.with(|s| s.camera)),
        deciding: Memo::new(move |_| state.with(State::deciding)),
        accept: {
            let step = step.clone();
            UnsyncCallback::new(move |(side, image)| {
                step.dispatch(pick(side, image));
            })
        },
        open_camera: on(Event::OpenCamera),
        capture: {
            let step = step.clone();
            UnsyncCallback::new(move |side| step.capture(side))
        },
        close_camera: on(Event::CloseCamera),
        retry: on(Event::RetryUpload),
    };

    // Escape closes the camera, wherever focus is in the step.
    {
        let step = SendWrapper::new(step.clone());
        let listener = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" && step.dispatch(Event::Escape) {
                ev.prevent_default();
            }
        });
        on_cleanup(move || listener.remove());
    }

    // Pictures uploaded before (a reload) count as uploaded. A user already verified or under
    // review gets the decision at once instead of the slots.
    step.read_current();

    let submit = {
        let step = step.clone();
        UnsyncCallback::new(move |()| {
            step.dispatch(Event::Submit);
        })
    };
    let retry = {
        let step = step.clone();
        UnsyncCallback::new(move |()| {
            step.dispatch(Event::Retry);
        })
    };
    let slots = step.slots;
    let busy = Signal::derive(move || state.with(State::deciding));
    // The slots stay in the page while a submit is in flight (focus stays put); the decision,
    // or the loading line of a resumed decision, replaces them.
    let result = Memo::new(move |_| {
        state.with(|s| match &s.stage {
            Stage::Decided(answer) => Some(answer.clone()),
            _ => None,
        })
    });
    let resuming = Memo::new(move |_| state.with(|s| s.stage == Stage::Deciding { resumed: true }));

    // Drawn again in a new language, an open camera stays open: its stream goes to the slot's
    // video element drawn anew (focus comes back to "Take photo" by its id).
    for slot in slots {
        let held = step.held;
        leptos::prelude::Effect::new(move |_| {
            let Some(video) = slot.video.get() else {
                return;
            };
            let showing = state.with_untracked(|s| {
                matches!(s.camera, Camera::Opening(side) | Camera::On(side) if side == slot.side)
            });
            if !showing || video.src_object().is_some() {
                return;
            }
            if let Some(stream) = held.with_value(Held::stream) {
                video.set_src_object(Some(&stream));
                // Autoplay (muted, inline) starts it anyway; a refusal here is harmless.
                let _ = video.play();
            }
        });
    }
    localized(move || {
        view! {
            <ScreenCard testid="step-id-verification" title=step_title(StepName::IdVerification) busy=busy>
                {move || match result.get() {
                    Some(answer) => result_view(answer, retry).into_any(),
                    None if resuming.get() => {
                        view! { <LoadingLine text=t!(idv_resuming) testid="idv-loading" /> }
                            .into_any()
                    }
                    None => collect_view(state, slots, actions, submit).into_any(),
                }}
            </ScreenCard>
        }
    })
}

/// The three slots, "Submit for verification" and what the last submit answered.
fn collect_view(
    state: RwSignal<State>,
    slots: [Slot; 3],
    actions: SlotActions,
    submit: UnsyncCallback<()>,
) -> impl IntoView {
    let all_uploaded = Memo::new(move |_| state.with(State::all_uploaded));
    let submitting = Memo::new(move |_| state.with(State::deciding));
    let submit_error = Memo::new(move |_| state.with(|s| s.submit_error.clone()));
    view! {
        <p class="pf-body">{t!(idv_intro)}</p>
        {slots.map(|slot| slot_view(slot, actions)).into_iter().collect_view()}
        {move || {
            submit_error
                .get()
                .map(|failure| {
                    view! {
                        <ErrorAlert
                            message=t!(idv_submit_failed)
                            details=failure_details(&failure)
                            testid="idv-error"
                        />
                    }
                })
        }}
        {move || {
            submitting
                .get()
                .then(|| {
                    view! {
                        <p class="pf-status" role="status">
                            <Spinner />
                            {t!(submitting)}
                        </p>
                    }
                })
        }}
        <div class="pf-actions">
            <Button
                label=t!(submit_verification)
                on_click=submit
                testid="idv-submit"
                disabled=Signal::derive(move || !all_uploaded.get())
                busy=submitting
                described_by=SUBMIT_REASON
            />
        </div>
        <p class="pf-details" id=SUBMIT_REASON>
            {move || if all_uploaded.get() { "" } else { t!(add_all_photos) }}
        </p>
    }
}

/// The decision: Continue when verified or in review, "Try again" when it failed.
fn result_view(answer: Submitted<IdVerification>, retry: UnsyncCallback<()>) -> impl IntoView {
    let status = answer.data.status;
    let (title, body, tone) = match status {
        VerificationStatus::Verified => (
            t!(idv_verified),
            t!(idv_verified_body),
            "pf-result--success",
        ),
        VerificationStatus::NeedsReview => (
            t!(idv_needs_review),
            t!(idv_needs_review_body),
            "pf-result--info",
        ),
        VerificationStatus::Failed | VerificationStatus::NotStarted => {
            (t!(idv_failed), t!(idv_failed_body), "pf-result--problem")
        }
    };
    let next = match status {
        VerificationStatus::Verified | VerificationStatus::NeedsReview => view! {
            <RecordedContinue step=StepName::IdVerification flow=answer.flow testid="idv-continue" />
        }
        .into_any(),
        _ => view! {
            <div class="pf-actions">
                <Button label=t!(retry) on_click=retry testid="idv-retry" />
            </div>
        }
        .into_any(),
    };
    view! {
        <div
            class=format!("pf-result {tone}")
            role="status"
            data-testid="idv-result"
            data-status=status_name(status)
        >
            <h2 class="pf-subtitle" id=RESULT_HEADING tabindex="-1">
                {title}
            </h2>
            <p class="pf-body">{body}</p>
        </div>
        {next}
    }
}
