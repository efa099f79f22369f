//! Shared screen pieces: the card every screen sits in, buttons, the spinner, the progress
//! indicator and the error screen. Steps compose these instead of styling their own.

mod button;
mod error_screen;
mod layout;
mod progress;
mod spinner;

pub use button::{Button, ButtonVariant};
pub use error_screen::{error_testid, error_title, ErrorScreen};
pub use layout::ScreenCard;
pub use progress::ProgressIndicator;
pub use spinner::Spinner;
