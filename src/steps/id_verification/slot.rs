//! One picture's slot: its heading and status (a polite live region), the preview, the file
//! input, "Use camera" with the live preview and "Take photo" / "Cancel", and the slot's error.
//! It shows the slot's signals and reports what the user does.

use super::{Camera, Slot, SlotStatus, ACCEPT};
use crate::t;
use crate::ui::{Button, ButtonVariant, Spinner};
use leptos::prelude::*;
use payout_model::identity::DocumentSide;
use web_sys::Blob;

/// What every slot reads and reports: copyable handles the step owns.
#[derive(Clone, Copy)]
pub struct SlotActions {
    /// Where the camera stands (one camera for all slots).
    pub camera: Memo<Camera>,
    /// While the decision is asked for, the pictures are what they are: the slot's controls
    /// say so (`aria-disabled`, the file input opens no picker), and a press does nothing.
    pub deciding: Memo<bool>,
    /// A picture chosen or taken for a side: checked, then uploaded.
    pub accept: UnsyncCallback<(DocumentSide, Blob)>,
    /// "Use camera".
    pub open_camera: UnsyncCallback<DocumentSide>,
    /// "Take photo".
    pub capture: UnsyncCallback<DocumentSide>,
    /// "Cancel" (and Escape): the camera closes, focus returns to "Use camera".
    pub close_camera: UnsyncCallback<DocumentSide>,
    /// "Try again" after an upload failed: the same picture is sent again.
    pub retry: UnsyncCallback<DocumentSide>,
}

/// The slot of `slot`.
pub fn slot_view(slot: Slot, actions: SlotActions) -> impl IntoView {
    let side = slot.side;
    let name = side.as_str();
    let heading_id = format!("pf-idv-{name}-heading");
    let input_id = format!("pf-idv-{name}-file");
    // Each slot's controls are named with their side ("Upload a photo Front of ID"), so a
    // screen reader's list of controls, or a voice command, tells the three slots apart.
    let input_label_id = format!("pf-idv-{name}-file-label");
    let camera_id = format!("pf-idv-{name}-camera");
    let error_id = format!("pf-idv-{name}-error");
    // "Try again" names the slot (why it is there is the alert, while it stands).
    let retry_described_by = heading_id.clone();
    let described_by = {
        let error_id = error_id.clone();
        move || slot.error.get().map(|_| error_id.clone())
    };
    let preview = move || {
        slot.preview.get().map(|url| {
            view! {
                <img
                    class="pf-slot__preview"
                    src=url
                    alt=t!(preview_alt, side = slot.label())
                    data-testid=format!("idv-{name}-preview")
                />
            }
        })
    };
    // Cancel also while the camera opens: a permission prompt left unanswered would otherwise
    // hold every slot's camera with no way out but Escape, which a phone does not have.
    let camera_controls = move || {
        let camera = actions.camera.get();
        matches!(camera, Camera::Opening(s) | Camera::On(s) if s == side).then(|| {
            view! {
                <div class="pf-actions">
                    {(camera == Camera::On(side))
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    id="pf-idv-capture"
                                    class="pf-button pf-button--primary pf-focus-ring"
                                    data-testid="idv-capture"
                                    on:click=move |_| actions.capture.run(side)
                                >
                                    {t!(take_photo)}
                                </button>
                            }
                        })}
                    <Button
                        label=t!(cancel)
                        on_click=move || actions.close_camera.run(side)
                        testid="idv-camera-cancel"
                        variant=ButtonVariant::Secondary
                    />
                </div>
            }
        })
    };
    view! {
        <section class="pf-slot" aria-labelledby=heading_id.clone() data-testid=format!("idv-{name}")>
            <div class="pf-slot__head">
                <h2 class="pf-subtitle" id=heading_id.clone()>
                    {slot.label()}
                </h2>
                <p
                    class="pf-slot__status"
                    role="status"
                    aria-live="polite"
                    data-testid=format!("idv-{name}-status")
                    data-state=move || slot.status.get().as_str()
                >
                    {move || {
                        if slot.status.get() == SlotStatus::Uploading {
                            view! { <Spinner /> }.into_any()
                        } else {
                            ().into_any()
                        }
                    }}
                    {move || slot.status.get().text()}
                </p>
            </div>
            {preview}
            <div class="pf-field">
                <label class="pf-field__label" for=input_id.clone() id=input_label_id.clone()>
                    {t!(upload_photo)}
                </label>
                <input
                    class="pf-file"
                    type="file"
                    id=input_id
                    aria-labelledby=format!("{input_label_id} {heading_id}")
                    accept=ACCEPT
                    data-testid=format!("idv-{name}-file")
                    aria-describedby=described_by
                    aria-disabled=move || actions.deciding.get().then_some("true")
                    on:click=move |ev: leptos::ev::MouseEvent| {
                        if actions.deciding.get_untracked() {
                            ev.prevent_default();
                        }
                    }
                    on:change=move |ev: leptos::ev::Event| {
                        let input = event_target::<web_sys::HtmlInputElement>(&ev);
                        if let Some(file) = input.files().and_then(|files| files.get(0)) {
                            actions.accept.run((side, file.into()));
                        }
                        input.set_value("");
                    }
                />
            </div>
            // Never disabled: a disabled button drops the keyboard's focus to the page, and
            // "Take photo" would then take it without a visible focus ring. A press while a
            // camera opens does nothing.
            <div class="pf-actions">
                <Button
                    label=t!(use_camera)
                    on_click=move || {
                        if !matches!(actions.camera.get_untracked(), Camera::Opening(_)) {
                            actions.open_camera.run(side);
                        }
                    }
                    testid=format!("idv-{name}-camera")
                    variant=ButtonVariant::Secondary
                    busy=actions.deciding
                    id=camera_id.clone()
                    labelled_by=format!("{camera_id} {heading_id}")
                    node_ref=slot.camera_button
                />
            </div>
            <video
                class="pf-slot__camera"
                node_ref=slot.video
                autoplay=true
                playsinline=true
                prop:muted=true
                aria-label=t!(camera_preview, side = slot.label())
                hidden=move || {
                    !matches!(actions.camera.get(), Camera::Opening(s) | Camera::On(s) if s == side)
                }
            ></video>
            {camera_controls}
            {move || {
                slot.error
                    .get()
                    .map(|message| {
                        view! {
                            <p
                                class="pf-field__error"
                                id=error_id.clone()
                                role="alert"
                                data-testid=format!("idv-{name}-error")
                            >
                                {message}
                            </p>
                        }
                    })
            }}
            {move || {
                (slot.status.get() == SlotStatus::Failed)
                    .then(|| {
                        view! {
                            <div class="pf-actions">
                                <Button
                                    label=t!(retry)
                                    on_click=move || actions.retry.run(side)
                                    testid=format!("idv-{name}-retry")
                                    variant=ButtonVariant::Secondary
                                    busy=actions.deciding
                                    described_by=retry_described_by.clone()
                                />
                            </div>
                        }
                    })
            }}
        </section>
    }
}
