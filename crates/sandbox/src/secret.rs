//! Secrets: random credentials and session tokens from the operating system's generator, and the
//! sha256 digests that are all the database ever holds of them.

use base64::Engine as _;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// `len` random letters and digits (for generated client ids and api keys).
pub(crate) fn random_alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut OsRng, len)
}

/// A fresh session token: 32 random bytes, base64url without padding (43 characters).
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// sha256 of `secret` as lowercase hex: what is stored instead of a key or token (and of an ID
/// picture, instead of the image).
pub(crate) fn sha256_hex(secret: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(secret.as_ref());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Compares two digests without stopping at the first difference, so response times say
/// nothing about how much of a guess was right.
pub(crate) fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_a_known_digest() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(random_alphanumeric(24).len(), 24);
    }

    #[test]
    fn digests_match_only_when_equal() {
        assert!(digests_match(&sha256_hex("k"), &sha256_hex("k")));
        assert!(!digests_match(&sha256_hex("k"), &sha256_hex("j")));
        assert!(!digests_match("ab", "abc"));
    }
}
