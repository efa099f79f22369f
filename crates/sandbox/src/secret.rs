//! Secrets: random credentials and session tokens from the operating system's generator, and the
//! digests that are all the database ever holds of them: plain sha256 for session tokens (32
//! random bytes each, looked up by digest), salted sha256 for api keys ([`SaltedHash`], issue
//! 10), compared in constant time ([`digests_match`]).

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

/// What is stored of an api key (an app's or the organization's): a random salt and sha256 of
/// `salt:key` as lowercase hex, so equal keys never hash alike and a leaked table is no lookup
/// table. Its `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SaltedHash {
    /// 24 random letters and digits.
    pub salt: String,
    /// sha256 of `salt:key`.
    pub hash: String,
}

impl SaltedHash {
    /// A fresh salt and the digest of `key` under it.
    pub(crate) fn new(key: &str) -> Self {
        let salt = random_alphanumeric(24);
        let hash = salted_sha256(&salt, key);
        Self { salt, hash }
    }
}

impl std::fmt::Debug for SaltedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaltedHash(<redacted>)")
    }
}

fn salted_sha256(salt: &str, key: &str) -> String {
    sha256_hex(format!("{salt}:{key}"))
}

/// Whether `key` is the key stored as `hash` under `salt`, in constant time; a `None` salt is a
/// plain sha256 kept from before salts (migration 0010).
pub(crate) fn key_matches(salt: Option<&str>, hash: &str, key: &str) -> bool {
    let digest = match salt {
        Some(salt) => salted_sha256(salt, key),
        None => sha256_hex(key),
    };
    digests_match(&digest, hash)
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

    #[test]
    fn salted_hashes_differ_for_one_key_and_match_only_it() {
        let (a, b) = (SaltedHash::new("sk_1"), SaltedHash::new("sk_1"));
        assert_ne!(a.hash, b.hash);
        assert!(key_matches(Some(&a.salt), &a.hash, "sk_1"));
        assert!(!key_matches(Some(&a.salt), &a.hash, "sk_2"));
        assert!(key_matches(None, &sha256_hex("sk_1"), "sk_1"));
        assert!(!format!("{a:?}").contains(&a.salt));
    }
}
