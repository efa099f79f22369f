//! What a saved change does to the user's list of payout methods, as the server does it: pure
//! functions, unit tested natively, so the screen shows what the server now holds without
//! fetching the list again. An added method goes last (the list is oldest first); one found
//! again after a lost answer and listed already moves there, listed once.

use payout_model::money::PayoutMethod;
use uuid::Uuid;

/// A change the server has saved.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A method was added; when it is the default, the others no longer are.
    Added(PayoutMethod),
    /// A method was removed; a removed default passes to the oldest remaining one.
    Removed(PayoutMethod),
    /// The server answered the whole list (`fresh`) after a new default was chosen; `known`
    /// the ids shown when the choice was sent. A method shown but in neither stays, not the
    /// default: it was added while the choice was under way (the answer was read before the
    /// add), and the user was told it was added. One shown before and missing from the answer
    /// is gone (removed elsewhere).
    Replaced {
        /// The server's list.
        fresh: Vec<PayoutMethod>,
        /// The ids shown when the request was sent.
        known: Vec<Uuid>,
    },
}

/// `list` after `change`, oldest first as the server keeps it.
pub fn apply(mut list: Vec<PayoutMethod>, change: Change) -> Vec<PayoutMethod> {
    match change {
        Change::Added(method) => {
            if method.default {
                list.iter_mut().for_each(|m| m.default = false);
            }
            // Found again after an add whose answer was lost, it may be listed already.
            list.retain(|m| m.id != method.id);
            list.push(method);
            list
        }
        Change::Removed(method) => {
            list.retain(|m| m.id != method.id);
            if method.default {
                if let Some(oldest) = list.first_mut() {
                    oldest.default = true;
                }
            }
            list
        }
        Change::Replaced { mut fresh, known } => {
            let missing: Vec<PayoutMethod> = list
                .into_iter()
                .filter(|shown| !known.contains(&shown.id))
                .filter(|shown| !fresh.iter().any(|m| m.id == shown.id))
                .map(|shown| PayoutMethod {
                    default: false,
                    ..shown
                })
                .collect();
            fresh.extend(missing);
            fresh
        }
    }
}

/// The method `id` in `list`, as it is now.
pub fn find(list: &[PayoutMethod], id: Uuid) -> Option<PayoutMethod> {
    list.iter().find(|m| m.id == id).cloned()
}

/// Whether a saved change records the step: only when the step keeps the user here (no
/// Continue) and a method is left (the server refuses to record the step without one).
pub fn records_step(hide_continue_button: bool, methods_left: usize) -> bool {
    hide_continue_button && methods_left > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::money::PayoutPlatform;

    fn method(n: u128, default: bool) -> PayoutMethod {
        PayoutMethod {
            id: Uuid::from_u128(n),
            platform: PayoutPlatform::Paypal,
            label: format!("PayPal · user{n}@example.com"),
            account: format!("user{n}@example.com"),
            account_type: None,
            default,
            created: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn defaults(list: &[PayoutMethod]) -> Vec<u128> {
        list.iter()
            .filter(|m| m.default)
            .map(|m| m.id.as_u128())
            .collect()
    }

    #[test]
    fn an_added_default_takes_the_badge_from_the_old_one() {
        let list = apply(vec![method(1, true)], Change::Added(method(2, true)));
        assert_eq!(defaults(&list), [2]);
        let list = apply(list, Change::Added(method(3, false)));
        assert_eq!(defaults(&list), [2]);
        assert_eq!(list.len(), 3);
        // Found again after a lost answer, a method listed already is listed once.
        let list = apply(list, Change::Added(method(3, false)));
        assert_eq!(list.len(), 3);
    }

    #[test]
    fn a_removed_default_passes_to_the_oldest_remaining() {
        let list = vec![method(1, false), method(2, true), method(3, false)];
        let list = apply(list, Change::Removed(method(2, true)));
        assert_eq!(defaults(&list), [1]);
        let list = apply(list, Change::Removed(method(3, false)));
        assert_eq!(defaults(&list), [1]);
        assert!(apply(list, Change::Removed(method(1, true))).is_empty());
    }

    #[test]
    fn the_servers_list_replaces_the_shown_one() {
        let fresh = vec![method(1, false), method(2, true)];
        let list = apply(
            vec![method(1, true)],
            Change::Replaced {
                fresh: fresh.clone(),
                known: vec![Uuid::from_u128(1)],
            },
        );
        assert_eq!(list, fresh);
        assert_eq!(find(&list, Uuid::from_u128(2)), Some(method(2, true)));
        assert_eq!(find(&list, Uuid::from_u128(9)), None);
    }

    /// Review: a new default's answer, read before an add that was answered first, dropped the
    /// added method from the list the user was told it joined.
    #[test]
    fn a_method_added_while_a_default_was_chosen_stays() {
        let known = vec![Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(4)];
        let shown = vec![method(1, true), method(2, false), method(4, false)];
        let shown = apply(shown, Change::Added(method(3, true)));
        // 4 was removed elsewhere before the answer was read: it goes (review of the first
        // version, which kept every method missing from the answer).
        let fresh = vec![method(1, false), method(2, true)];
        let list = apply(shown, Change::Replaced { fresh, known });
        assert_eq!(list.len(), 3);
        assert_eq!(defaults(&list), [2]);
        assert_eq!(list[2].id, Uuid::from_u128(3));
    }

    #[test]
    fn only_a_kept_step_with_a_method_left_records_each_change() {
        assert!(records_step(true, 1));
        assert!(!records_step(true, 0));
        assert!(!records_step(false, 3));
    }
}
