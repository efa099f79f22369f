//! What of a secret may be kept readable and shown: its last four characters, never more than
//! half of it ([`shown_tail`]). Tax ids and account numbers are stored and returned only this
//! way (issue 3, issue 4), and the app masks what the user typed with [`last4`].

/// The digits of `value`, in order, everything else dropped: `digits("(415) 555-0123") ==
/// "4155550123"`.
pub fn digits(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

/// The last four letters or digits of `value`, separators (spaces, dashes, dots) ignored; all of
/// them when there are fewer: `last4("123-45-6789") == "6789"`, `last4("12") == "12"`.
pub fn last4(value: &str) -> String {
    let chars: Vec<char> = value.chars().filter(char::is_ascii_alphanumeric).collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// What of a whole secret is kept and shown, from the value as given: [`last4`], but never
/// more than half of it (rounded down), so a short one (a 4-digit account number, a 5-letter
/// foreign tax id) is never kept or shown whole or nearly: `shown_tail("123-45-6789") ==
/// "6789"`, `shown_tail("1234") == "34"`. Only for the value as given: on a tail already kept,
/// [`last4`] (which leaves it as it is) is the one to use.
pub fn shown_tail(value: &str) -> String {
    let tail = last4(value);
    let all = value.chars().filter(char::is_ascii_alphanumeric).count();
    let shown = tail.chars().count().min(all / 2);
    tail.chars().skip(tail.chars().count() - shown).collect()
}

/// How a secret field shows in a `Debug` of what holds it: a TIN, an SSN, an account number, a
/// sign-in code or a session token never reaches a log through `{:?}`.
pub(crate) struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `Some(Redacted)` for a present secret, `None` for an absent one.
pub(crate) fn redacted<T>(value: &Option<T>) -> Option<Redacted> {
    value.as_ref().map(|_| Redacted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{CodeCheck, NewBackgroundCheck, NewCompliance};
    use crate::money::{AccountType, NewBankAccount, NewPayoutMethod};

    #[test]
    fn a_tail_kept_shows_four_at_most_and_never_half_of_a_short_secret() {
        assert_eq!(shown_tail("123-45-6789"), "6789");
        assert_eq!(shown_tail("12345678"), "5678");
        assert_eq!(shown_tail("1234567"), "567");
        assert_eq!(shown_tail("AB-1234"), "234");
        assert_eq!(shown_tail("1234"), "34");
        assert_eq!(shown_tail("12"), "2");
        assert_eq!(shown_tail(""), "");
        // What is kept reads back the same through `last4`.
        assert_eq!(last4(&shown_tail("1234")), "34");
    }

    /// No secret of the bodies that carry one shows in their `Debug`.
    #[test]
    fn secrets_do_not_show_in_debug() {
        let secret = "123456789";
        let shown = [
            format!(
                "{:?}",
                NewCompliance {
                    tin: Some(secret.into()),
                    foreign_tax_id: Some(secret.into()),
                    ..NewCompliance::default()
                }
            ),
            format!(
                "{:?}",
                NewBackgroundCheck {
                    ssn: Some(secret.into()),
                    ..NewBackgroundCheck::default()
                }
            ),
            format!(
                "{:?}",
                NewBankAccount {
                    routing_number: "011000015".into(),
                    account_number: secret.into(),
                    account_type: AccountType::Checking,
                }
            ),
            format!(
                "{:?}",
                NewPayoutMethod::Ach {
                    routing_number: "011000015".into(),
                    account_number: secret.into(),
                    account_type: AccountType::Checking,
                }
            ),
            format!(
                "{:?}",
                CodeCheck {
                    code: secret.into()
                }
            ),
            format!(
                "{:?}",
                crate::session::Session {
                    token: secret.into(),
                    expires_at: chrono::DateTime::UNIX_EPOCH,
                    authenticated: false,
                    flow: crate::capability::tests::flow(&[], &[]),
                    host_origin: None,
                }
            ),
        ];
        for shown in shown {
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn keeps_the_last_four_letters_or_digits() {
        assert_eq!(last4("123-45-6789"), "6789");
        assert_eq!(last4("000123456789"), "6789");
        assert_eq!(last4("AB 12.34"), "1234");
        assert_eq!(last4("12"), "12");
        assert_eq!(last4(""), "");
    }
}
