//! One payout attempt (module docs of [`super`], "Never pay twice"): what the user confirmed,
//! the idempotency key it is sent with, and its copy in `sessionStorage` that survives a reload.

use leptos::logging::warn;
use payout_model::money::{Cents, NewFlowPayout};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One payout attempt: what the user confirmed and the idempotency key it is sent with.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Attempt {
    /// The flow the payout belongs to.
    pub flow_id: Uuid,
    /// The idempotency key, the same on every retry of this attempt.
    pub key: String,
    /// Cents to pay out.
    pub amount: Cents,
    /// The payout method.
    pub payout_method_id: Uuid,
}

impl Attempt {
    /// A new attempt with a fresh key.
    pub fn new(flow_id: Uuid, amount: Cents, payout_method_id: Uuid) -> Self {
        Attempt {
            flow_id,
            key: new_idempotency_key(),
            amount,
            payout_method_id,
        }
    }

    /// Whether this attempt pays `amount` to `payout_method_id` (so its key may be reused).
    pub fn is_for(&self, amount: Cents, payout_method_id: Uuid) -> bool {
        self.amount == amount && self.payout_method_id == payout_method_id
    }

    /// The request body.
    pub fn request(&self) -> NewFlowPayout {
        NewFlowPayout {
            amount: self.amount,
            payout_method_id: self.payout_method_id,
            idempotency_key: self.key.clone(),
        }
    }

    /// The `sessionStorage` key of `flow_id`'s attempt.
    pub fn storage_key(flow_id: Uuid) -> String {
        format!("payout-flows:payout-attempt:{flow_id}")
    }

    /// Reads a stored attempt; `None` when there is none, or it is unreadable or for another
    /// flow.
    pub fn parse(flow_id: Uuid, stored: &str) -> Option<Self> {
        serde_json::from_str::<Attempt>(stored)
            .ok()
            .filter(|a| a.flow_id == flow_id && !a.key.is_empty())
    }

    /// The attempt of `flow_id` kept in `sessionStorage`, if any.
    pub fn load(flow_id: Uuid) -> Option<Self> {
        let stored = session_storage()?
            .get_item(&Self::storage_key(flow_id))
            .ok()
            .flatten()?;
        Self::parse(flow_id, &stored)
    }

    /// Keeps this attempt in `sessionStorage` until [`Attempt::forget`].
    pub fn keep(&self) {
        let Some(storage) = session_storage() else {
            return;
        };
        let Ok(json) = serde_json::to_string(self) else {
            return;
        };
        if let Err(e) = storage.set_item(&Self::storage_key(self.flow_id), &json) {
            warn!("payout-flows: could not keep the payout attempt across reloads: {e:?}");
        }
    }

    /// Removes `flow_id`'s attempt from `sessionStorage`.
    pub fn forget(flow_id: Uuid) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(&Self::storage_key(flow_id));
        }
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// A random UUID v4 from the browser's cryptographic generator (`crypto.getRandomValues`,
/// which, unlike `crypto.randomUUID`, also works on plain-http pages).
fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (very old browsers): Math.random still makes a key unique enough to
        // tell this user's attempts apart.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> Attempt {
        Attempt {
            flow_id: Uuid::from_u128(1),
            key: "k-1".into(),
            amount: 1_000,
            payout_method_id: Uuid::from_u128(2),
        }
    }

    #[test]
    fn attempt_keeps_only_what_a_retry_needs() {
        let json = serde_json::to_value(attempt()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "flow_id": "00000000-0000-0000-0000-000000000001",
                "key": "k-1",
                "amount": 1000,
                "payout_method_id": "00000000-0000-0000-0000-000000000002"
            })
        );
    }

    #[test]
    fn stored_attempt_is_read_only_for_its_flow() {
        let stored = serde_json::to_string(&attempt()).unwrap();
        assert_eq!(Attempt::parse(Uuid::from_u128(1), &stored), Some(attempt()));
        assert_eq!(Attempt::parse(Uuid::from_u128(9), &stored), None);
        assert_eq!(Attempt::parse(Uuid::from_u128(1), "not json"), None);
    }

    #[test]
    fn attempt_is_reused_only_for_the_same_amount_and_method() {
        let a = attempt();
        assert!(a.is_for(1_000, Uuid::from_u128(2)));
        assert!(!a.is_for(999, Uuid::from_u128(2)));
        assert!(!a.is_for(1_000, Uuid::from_u128(3)));
        assert_eq!(
            a.request(),
            NewFlowPayout {
                amount: 1_000,
                payout_method_id: Uuid::from_u128(2),
                idempotency_key: "k-1".into()
            }
        );
    }
}
