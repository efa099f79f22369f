//! The store layer (issue 9): one module per table group, each owning its rows, its queries and
//! the conversions of its rows into model types. Route handlers and the domain services
//! ([`crate::service`], [`crate::ledger`]) read and write the database only through these.
//! A store may call another store (the user object gathers what the identity stores hold);
//! nothing here knows HTTP. A write that breaks a database constraint answers by the
//! constraint's name, in one place: [`constraints`].

pub(crate) mod apps;
pub(crate) mod background_checks;
pub(crate) mod bank_accounts;
pub(crate) mod compliance;
pub(crate) mod constraints;
pub(crate) mod flows;
pub(crate) mod id_verification;
pub(crate) mod idempotency;
pub(crate) mod organization;
pub(crate) mod payout_batches;
pub(crate) mod payout_links;
pub(crate) mod payout_methods;
pub(crate) mod sessions;
pub(crate) mod sign_in;
pub(crate) mod users;
pub(crate) mod webhooks;
