//! Domain services (issue 9): the rules that span stores, so route handlers only extract, call
//! and answer. Each reads and writes through [`crate::store`] (the ledger, [`crate::ledger`],
//! is the money service and owns its own tables).

pub(crate) mod apps;
pub(crate) mod identity;
pub(crate) mod payout_batches;
pub(crate) mod payout_links;
pub(crate) mod payouts;
pub(crate) mod sessions;
pub(crate) mod sign_in;
pub(crate) mod steps;
