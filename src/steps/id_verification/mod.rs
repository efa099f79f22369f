//! The id-verification step (DESIGN.md "id-verification", issue 3): the front and back of a
//! government ID and a selfie, each from a file or the camera, then the sandbox's decision.
//!
//! Each picture has a slot: "Upload a photo" (a file input taking JPEG, PNG or WebP) and "Use
//! camera" (`getUserMedia`: a live preview, "Take photo" draws a frame to a canvas and sends it
//! as a JPEG; the camera is then turned off). The type and size are checked with the model's
//! [`check_document`] before anything is sent, and the picture is uploaded at once, with a
//! preview (an object URL, revoked when replaced and when the step goes away) and its status.
//! A denied or missing camera says so in the slot; the file input stays.
//!
//! The camera is closed by "Take photo", "Cancel" or Escape; focus then goes back to the slot's
//! "Use camera". Each slot's status line is a polite live region.
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
//! uploads and the decision.

use crate::api::ApiFailure;
mod slot;

use crate::context::use_services;
use crate::forms::server_message;
use crate::i18n::rule_text;
use crate::i18n::step_title;
use crate::steps::RecordedContinue;
use crate::t;
use crate::ui::{focus_id_soon, focus_node, Button, ErrorAlert, LoadingLine, ScreenCard, Spinner};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_model::identity::{
    check_document, DocumentSide, IdVerification, Submitted, VerificationStatus,
};
use payout_model::StepName;
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

/// Where one picture stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotStatus {
    /// Nothing added yet.
    Empty,
    /// Being uploaded.
    Uploading,
    /// Uploaded.
    Uploaded,
    /// The upload failed (the slot's error says why).
    Failed,
}

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

/// One picture's slot. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
struct Slot {
    side: DocumentSide,
    status: RwSignal<SlotStatus>,
    error: RwSignal<Option<String>>,
    /// The preview's object URL.
    preview: RwSignal<Option<String>>,
    /// Bumped per upload, so a slower earlier upload cannot overwrite a later one.
    attempt: StoredValue<u32>,
    video: NodeRef<html::Video>,
    /// "Use camera", where focus returns when the camera closes.
    camera_button: NodeRef<html::Button>,
}

impl Slot {
    fn new(side: DocumentSide) -> Self {
        Slot {
            side,
            status: RwSignal::new(SlotStatus::Empty),
            error: RwSignal::new(None),
            preview: RwSignal::new(None),
            attempt: StoredValue::new(0),
            video: NodeRef::new(),
            camera_button: NodeRef::new(),
        }
    }

    fn label(self) -> &'static str {
        match self.side {
            DocumentSide::Front => t!(side_front),
            DocumentSide::Back => t!(side_back),
            DocumentSide::Selfie => t!(side_selfie),
        }
    }

    fn next_attempt(self) -> u32 {
        self.attempt.update_value(|a| *a = a.wrapping_add(1));
        self.attempt.get_value()
    }
}

/// Where the camera stands: off, being opened for a slot, or showing a slot's live preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Camera {
    Off,
    Opening(DocumentSide),
    On(DocumentSide),
}

/// The browser objects the step must release: the camera's stream and the previews' object
/// URLs. Shared with the cleanup, which runs when the step goes away.
#[derive(Clone, Default)]
struct Held(Rc<RefCell<HeldInner>>);

#[derive(Default)]
struct HeldInner {
    stream: Option<MediaStream>,
    urls: Vec<String>,
}

impl Held {
    fn set_stream(&self, stream: MediaStream) {
        self.stop_stream();
        self.0.borrow_mut().stream = Some(stream);
    }

    /// Turns the camera off.
    fn stop_stream(&self) {
        if let Some(stream) = self.0.borrow_mut().stream.take() {
            stop_tracks(&stream);
        }
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

/// What to tell the user when the camera could not be opened.
fn camera_error(error: &JsValue) -> &'static str {
    let name = js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => t!(camera_denied),
        _ => t!(camera_unavailable),
    }
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
        Some(field) => server_message(label, &field.message),
        None => failure.message().to_owned(),
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

/// Collects the ID pictures and shows the verification decision.
#[component]
pub fn IdVerificationStep() -> impl IntoView {
    let services = use_services();
    let slots = DocumentSide::ALL.map(Slot::new);
    let slot_of = move |side: DocumentSide| {
        slots
            .into_iter()
            .find(|s| s.side == side)
            .unwrap_or(slots[0])
    };
    let camera = RwSignal::new(Camera::Off);
    let submitting = RwSignal::new(false);
    // Asking for the decision of a user already verified or under review, without slots.
    let resuming = RwSignal::new(false);
    let submit_error = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<Submitted<IdVerification>>);
    let held = Held::default();
    {
        let held = SendWrapper::new(held.clone());
        on_cleanup(move || held.release());
    }
    let held = StoredValue::new_local(held);

    let set_preview = move |slot: Slot, url: Option<String>| {
        if let Some(old) = slot.preview.try_get_untracked().flatten() {
            held.with_value(|h| h.revoke(&old));
        }
        slot.preview.try_set(url);
    };

    let stop_camera = move || {
        held.with_value(Held::stop_stream);
        for slot in slots {
            if let Some(video) = slot.video.get_untracked() {
                video.set_src_object(None);
            }
        }
        camera.set(Camera::Off);
    };

    // Closes the camera opened for `side` and puts focus back on its "Use camera" (the camera
    // controls it was on are gone).
    let close_camera = move |side: DocumentSide| {
        stop_camera();
        focus_node(slot_of(side).camera_button);
    };

    // Escape closes the camera, wherever focus is in the step.
    {
        let listener = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() != "Escape" {
                return;
            }
            if let Some(Camera::Opening(side) | Camera::On(side)) = camera.try_get_untracked() {
                ev.prevent_default();
                close_camera(side);
            }
        });
        on_cleanup(move || listener.remove());
    }

    // Checks and uploads a picture for `side`.
    let accept = {
        let api = services.api.clone();
        UnsyncCallback::new(move |(side, image): (DocumentSide, Blob)| {
            let slot = slot_of(side);
            if let Err(rule) = check_document(&image.type_(), image.size() as u64) {
                slot.error.set(Some(rule_text(slot.label(), rule)));
                return;
            }
            slot.error.set(None);
            set_preview(slot, held.with_value(|h| h.url_for(&image)));
            slot.status.set(SlotStatus::Uploading);
            let attempt = slot.next_attempt();
            let call = api.upload_document(side, image);
            spawn_local(async move {
                let answer = call.await;
                if slot.attempt.try_get_value() != Some(attempt) {
                    return;
                }
                match answer {
                    Ok(_) => {
                        slot.status.set(SlotStatus::Uploaded);
                    }
                    Err(failure) => {
                        slot.status.set(SlotStatus::Failed);
                        slot.error.set(Some(upload_error(slot.label(), &failure)));
                        set_preview(slot, None);
                    }
                }
            });
        })
    };

    let open_camera = move |side: DocumentSide| {
        stop_camera();
        let slot = slot_of(side);
        slot.error.set(None);
        let Some(request) = request_camera(side) else {
            slot.error.set(Some(t!(camera_unavailable).to_owned()));
            return;
        };
        camera.set(Camera::Opening(side));
        spawn_local(async move {
            let answer = wasm_bindgen_futures::JsFuture::from(request).await;
            // Closed, or another slot's camera asked for, meanwhile.
            if camera.try_get_untracked() != Some(Camera::Opening(side)) {
                if let Ok(stream) = answer {
                    stop_tracks(stream.unchecked_ref());
                }
                return;
            }
            let stream: MediaStream = match answer {
                Ok(stream) => stream.unchecked_into(),
                Err(error) => {
                    camera.set(Camera::Off);
                    slot.error.set(Some(camera_error(&error).to_owned()));
                    focus_node(slot.camera_button);
                    return;
                }
            };
            held.with_value(|h| h.set_stream(stream.clone()));
            let Some(video) = slot.video.get_untracked() else {
                return;
            };
            video.set_src_object(Some(&stream));
            // Autoplay (muted, inline) starts it anyway; a refusal here is harmless.
            let _ = video.play();
            // "Take photo" appears once there is a frame to take.
            let _ = wasm_bindgen_futures::JsFuture::from(first_frame(&video)).await;
            if camera.try_get_untracked() != Some(Camera::Opening(side)) {
                return;
            }
            if video.video_width() == 0 {
                close_camera(side);
                slot.error.set(Some(t!(camera_unavailable).to_owned()));
                return;
            }
            camera.set(Camera::On(side));
            focus_id_soon("pf-idv-capture".to_owned());
        });
    };

    let capture = move |side: DocumentSide| {
        let slot = slot_of(side);
        let shot = slot.video.get_untracked().and_then(|v| snapshot(&v));
        let Some(shot) = shot else {
            slot.error.set(Some(t!(camera_failed).to_owned()));
            return;
        };
        spawn_local(async move {
            let blob = wasm_bindgen_futures::JsFuture::from(shot).await;
            if camera.try_get_untracked().is_none() {
                return;
            }
            close_camera(side);
            match blob.ok().and_then(|b| b.dyn_into::<Blob>().ok()) {
                Some(image) => accept.run((side, image)),
                None => slot.error.set(Some(t!(camera_failed).to_owned())),
            }
        });
    };

    let all_uploaded =
        Memo::new(move |_| slots.iter().all(|s| s.status.get() == SlotStatus::Uploaded));

    // Asks for the decision: after the user's submit, or at once (`resumed`) for a user
    // already verified or under review.
    let decide = {
        let api = services.api.clone();
        UnsyncCallback::new(move |resumed: bool| {
            if submitting.get_untracked() {
                return;
            }
            stop_camera();
            submit_error.set(None);
            submitting.set(true);
            resuming.set(resumed);
            let call = api.submit_id_verification();
            spawn_local(async move {
                let answer = call.await;
                match answer {
                    Ok(answer) => {
                        // The user who submitted lands on the decision, not on the page.
                        if result.try_set(Some(answer)).is_none() && !resumed {
                            focus_id_soon(RESULT_HEADING.to_owned());
                        }
                    }
                    Err(failure) => {
                        submit_error.try_set(Some(failure.message().to_owned()));
                    }
                }
                resuming.try_set(false);
                submitting.try_set(false);
            });
        })
    };

    let submit = UnsyncCallback::new(move |()| {
        if all_uploaded.get_untracked() {
            decide.run(false);
        }
    });

    // Pictures uploaded before (a reload) count as uploaded. A user already verified or under
    // review gets the decision at once instead of the slots.
    {
        let call = services.api.id_verification();
        spawn_local(async move {
            let Ok(current) = call.await else {
                return;
            };
            // The step may be gone by now.
            if result.try_get_untracked().is_none() {
                return;
            }
            for document in current.documents {
                let slot = slot_of(document.side);
                if slot.status.get_untracked() == SlotStatus::Empty {
                    slot.status.set(SlotStatus::Uploaded);
                }
            }
            let decided = matches!(
                current.status,
                VerificationStatus::Verified | VerificationStatus::NeedsReview
            );
            if decided && result.with_untracked(Option::is_none) {
                decide.run(true);
            }
        });
    }

    let retry = move || {
        for slot in slots {
            slot.next_attempt();
            set_preview(slot, None);
            slot.status.set(SlotStatus::Empty);
            slot.error.set(None);
        }
        result.set(None);
        // "Try again" is gone with the decision: focus goes to the first slot's file input.
        focus_id_soon(format!("pf-idv-{}-file", slots[0].side.as_str()));
    };

    let actions = SlotActions {
        camera,
        accept,
        open_camera: UnsyncCallback::new(open_camera),
        capture: UnsyncCallback::new(capture),
        close_camera: UnsyncCallback::new(close_camera),
    };
    let slot_view = move |slot: Slot| slot_view(slot, actions);

    let collect_view = move || {
        view! {
                <p class="pf-body">{t!(idv_intro)}</p>
                {slots.map(slot_view).into_iter().collect_view()}
                {move || {
                    submit_error
                        .get()
                        .map(|details| {
                            view! {
                                <ErrorAlert
                                    message=t!(idv_submit_failed)
                                    details=details
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
                        disabled=Signal::derive(move || !all_uploaded.get() || submitting.get())
                        described_by=SUBMIT_REASON
                    />
                </div>
                <p class="pf-details" id=SUBMIT_REASON>
                    {move || if all_uploaded.get() { "" } else { t!(add_all_photos) }}
                </p>
        }
    };

    let result_view = move |answer: Submitted<IdVerification>| {
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
                    <Button label=t!(retry) on_click=move || retry() testid="idv-retry" />
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
    };

    view! {
        <ScreenCard testid="step-id-verification" title=step_title(StepName::IdVerification) busy=submitting>
            {move || match result.get() {
                Some(answer) => result_view(answer).into_any(),
                None if resuming.get() => {
                    view! { <LoadingLine text=t!(idv_resuming) testid="idv-loading" /> }
                        .into_any()
                }
                None => collect_view().into_any(),
            }}
        </ScreenCard>
    }
}
