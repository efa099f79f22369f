//! `payout-flows`: the embeddable payout-onboarding flow (DESIGN.md), a Leptos CSR app compiled to
//! WebAssembly. `main.rs` mounts [`App`]; the modules below are public so browser tests
//! (`tests/web.rs`) can mount single screens.

pub mod api;
pub mod app;
pub mod bridge;
pub mod context;
pub mod forms;
pub mod i18n;
pub mod identity;
pub mod requests;
pub mod router;
pub mod screens;
pub mod steps;
pub mod ui;

pub use app::{App, FlowApp};
