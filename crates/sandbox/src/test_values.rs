//! The sandbox's magic test values and simulated rails (README "Sandbox identity test values",
//! "Sandbox fees and test values"): inputs that make the sandbox answer a given way so hosts and
//! tests can reach every outcome. They are sandbox behaviour, not API rules, so they live here
//! and not in `payout-model`; the app never knows them (its browser tests keep their own copies
//! in `tests/common`).

use payout_model::money::PayoutPlatform;

/// The one-time code the sandbox always sends (DESIGN.md "Sandbox behaviour").
pub const SANDBOX_CODE: &str = "000000";
/// A background check with this SSN fails.
pub const SANDBOX_FAILING_SSN: &str = "111-11-1111";
/// An email containing this tag (`ada+review@example.com`) makes ID verification answer
/// `needs_review`.
pub const SANDBOX_IDV_REVIEW_TAG: &str = "+review";
/// An email containing this tag (`ada+fail@example.com`) makes ID verification fail.
pub const SANDBOX_IDV_FAIL_TAG: &str = "+fail";

/// Whether payouts on `platform` complete at once in the sandbox (seed 004: PayPal and Venmo
/// do); ACH stays `pending` until simulated.
pub fn completes_at_once(platform: PayoutPlatform) -> bool {
    !matches!(platform, PayoutPlatform::Ach)
}
