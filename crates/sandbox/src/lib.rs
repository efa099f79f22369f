//! payout-sandbox
