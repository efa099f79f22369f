//! Issue 8, "the flow is a bounded capability": one test binary for its rules, a module per
//! concern. Each test pins a hole that was open before issue 8 and fails on that code.
//!
//! - [`capability`]: which step owns which flow action, finished flows, pre-authenticated links
//!   that sign in one browser, payouts blocked by a failed background check, the flow payout
//!   minimum;
//! - [`background`]: the background check bound to the compliance record;
//! - [`abuse`]: sign-in lock-outs and oracles, rate limits, extreme amounts, purging, paging;
//! - [`headers`]: CSP and the other security headers, log redaction, Basic challenges.

#![allow(clippy::unwrap_used)]

mod support;

mod security {
    mod abuse;
    mod background;
    mod capability;
    mod headers;
}
