//! payout-e2e
