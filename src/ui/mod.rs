//! Shared screen pieces: the card every screen sits in, buttons, the form system ([`Form`],
//! [`Field`]) and its controls (text field, select, radio group, confirm panel), status pieces (spinner, loading line, error alert, badge), the
//! progress indicator and the error screen. Steps compose these instead of styling their own.

mod button;
mod choice;
mod confirm;
mod error_screen;
mod field;
mod form;
mod layout;
mod notice;
mod progress;
mod spinner;

pub use button::{Button, ButtonVariant, SubmitButton};
pub use choice::{Choice, RadioGroup};
pub use confirm::ConfirmPanel;
pub use error_screen::{error_testid, error_title, ErrorScreen};
pub use field::{focus_id_soon, focus_node, focus_within, reword, SelectField, TextField};
pub use form::{field_id, Drafts, Field, Form};
pub use layout::{BrandHeader, ScreenCard};
pub use notice::{Badge, ErrorAlert, LoadingLine};
pub use progress::ProgressIndicator;
pub use spinner::Spinner;
