//! One-time sign-in codes (issue 3): the [`CodeSender`] that makes and delivers them (what a
//! real SMS provider would implement; the sandbox's is [`SandboxCodeSender`]), and how they are
//! kept: only a salted sha256 of each code is stored, compared in constant time.

use crate::phone::ParsedPhone;
use crate::secret::{digests_match, random_alphanumeric, sha256_hex};
use crate::test_values::SANDBOX_CODE;
use payout_model::identity::CODE_LENGTH;
use rand::rngs::OsRng;
use rand::Rng as _;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// What [`CodeSender::send`] returns: a boxed future, so senders can be used as trait objects.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Why a code could not be sent (logged by the server, never shown to the user). Its text is
/// logged as it is: a sender must not put the number (or the code) in it, as providers' own
/// error messages often do; give their error code instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(pub String);

/// Makes and delivers one-time sign-in codes. The server keeps one in its state
/// ([`crate::AppState::with_code_sender`]); a real deployment would implement `send` with an
/// SMS provider's API and keep the default, random `new_code`.
pub trait CodeSender: fmt::Debug + Send + Sync + 'static {
    /// A new code: [`CODE_LENGTH`] random digits from the operating system's generator.
    fn new_code(&self) -> String {
        let n: u32 = OsRng.gen_range(0..10u32.pow(CODE_LENGTH as u32));
        format!("{n:0width$}", width = CODE_LENGTH)
    }

    /// Delivers `code` to `to`. Implementations must never log the code or the whole number
    /// (log [`ParsedPhone::masked`] if anything).
    fn send<'a>(&'a self, to: &'a ParsedPhone, code: &'a str) -> SendFuture<'a>;
}

/// The sandbox's sender: the code is always [`SANDBOX_CODE`] (DESIGN.md "Sandbox behaviour",
/// README "Sandbox test values") and nothing is sent; it logs the masked number only.
#[derive(Clone, Copy, Debug, Default)]
pub struct SandboxCodeSender;

impl CodeSender for SandboxCodeSender {
    fn new_code(&self) -> String {
        SANDBOX_CODE.to_owned()
    }

    fn send<'a>(&'a self, to: &'a ParsedPhone, _code: &'a str) -> SendFuture<'a> {
        tracing::info!(to = %to.masked(), "sandbox: sign-in code sent (it is the sandbox code)");
        Box::pin(async { Ok(()) })
    }
}

/// A fresh random salt for one code.
pub(crate) fn new_salt() -> String {
    random_alphanumeric(24)
}

/// What is stored of `code`: sha256 of the salt and the code, as lowercase hex.
pub(crate) fn hash_code(salt: &str, code: &str) -> String {
    sha256_hex(format!("{salt}:{code}"))
}

/// Whether `code` is the one whose salted hash is `hash`.
pub(crate) fn code_matches(salt: &str, hash: &str, code: &str) -> bool {
    digests_match(&hash_code(salt, code), hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Real;
    impl CodeSender for Real {
        fn send<'a>(&'a self, _to: &'a ParsedPhone, _code: &'a str) -> SendFuture<'a> {
            Box::pin(async { Ok(()) })
        }
    }

    #[test]
    fn sandbox_code_is_the_documented_one() {
        assert_eq!(SandboxCodeSender.new_code(), "000000");
    }

    #[test]
    fn real_codes_are_six_random_digits() {
        let codes: Vec<String> = (0..20).map(|_| Real.new_code()).collect();
        for code in &codes {
            assert_eq!(code.len(), CODE_LENGTH, "{code}");
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
        assert!(
            codes.iter().any(|c| c != &codes[0]),
            "not random: {codes:?}"
        );
    }

    #[test]
    fn codes_are_stored_salted() {
        let (a, b) = (new_salt(), new_salt());
        assert_ne!(hash_code(&a, "000000"), hash_code(&b, "000000"));
        assert!(code_matches(&a, &hash_code(&a, "123456"), "123456"));
        assert!(!code_matches(&a, &hash_code(&a, "123456"), "123457"));
    }
}
