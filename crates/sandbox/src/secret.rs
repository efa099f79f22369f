//! Secrets: random credentials and session tokens from the operating system's generator, and the
//! digests that are all the database ever holds of them: plain sha256 for session tokens (32
//! random bytes each, looked up by digest), salted sha256 for api keys ([`SaltedHash`], issue
//! 10), compared in constant time ([`digests_match`]). Secrets the server must read back (a
//! webhook's signing secret) are sealed instead, with a key kept outside the database
//! ([`SecretsKey`]).

use base64::Engine as _;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

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

/// The key that seals the secrets the server must read back (webhook signing secrets, issue 10),
/// so a copy of the database alone (a backup, a dump, a leaked file) holds none of them: 32
/// bytes for ChaCha20-Poly1305, kept outside the database (the binary's `--secrets-key-file`,
/// or `PAYOUT_SANDBOX_SECRETS_KEY`). Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretsKey([u8; 32]);

/// How a sealed value starts: the scheme's version, then base64 of nonce, ciphertext and tag.
const SEALED_PREFIX: &str = "sealed:v1:";

impl SecretsKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// The key written as base64 (standard alphabet, padded): 32 bytes, else an error that says
    /// what was wrong and nothing of the value.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| "a secrets key is base64 (standard alphabet)".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a secrets key is 32 bytes".to_owned())?;
        Ok(Self(key))
    }

    /// The key as [`SecretsKey::from_base64`] reads it.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// The key in file `path`, made (readable by its owner only) when there is none: whether it
    /// was made goes with it. Two processes starting at once agree on one key: the file comes
    /// into place by a hard link, which fails for the second, which then reads the first's.
    pub fn load_or_create(path: &Path) -> io::Result<(Self, bool)> {
        let read = |path: &Path| -> io::Result<Self> {
            let text = std::fs::read_to_string(path)?;
            Self::from_base64(&text).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })
        };
        if path.exists() {
            return Ok((read(path)?, false));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let key = Self::generate();
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".{}.tmp", random_alphanumeric(12)));
        let temporary = std::path::PathBuf::from(temporary);
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            io::Write::write_all(&mut file, format!("{}\n", key.to_base64()).as_bytes())?;
            file.sync_all()?;
        }
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok((key, true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok((read(path)?, false)),
            Err(e) => Err(e),
        }
    }

    fn aead(&self) -> LessSafeKey {
        // 32 bytes is ChaCha20-Poly1305's key length: this cannot fail.
        #[allow(clippy::expect_used)]
        let key = UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("a 32-byte key");
        LessSafeKey::new(key)
    }

    /// HMAC-SHA256 of `value` for `context` under this key, as lowercase hex: a digest only
    /// the key's holder can make, for a value too guessable to hash with a salt alone (a US tax
    /// id's nine digits, four of them kept in the clear beside it: a salted sha256 of it falls
    /// to 100,000 guesses).
    pub(crate) fn mac_hex(&self, context: &str, value: &str) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        let mut mac = ring::hmac::Context::with_key(&key);
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in mac.sign().as_ref() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    /// `secret` sealed for `context` (what it belongs to, e.g. the webhook's id: a sealed value
    /// copied to another row does not open there), with a fresh random nonce.
    pub(crate) fn seal(&self, secret: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut sealed = secret.as_bytes().to_vec();
        // Sealing fails only for inputs of gigabytes.
        #[allow(clippy::expect_used)]
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .expect("a secret small enough to seal");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    /// The secret `sealed` holds for `context`, or `None` when it does not open: not sealed,
    /// altered, sealed for another context, or under another key.
    pub(crate) fn open(&self, sealed: &str, context: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed.strip_prefix(SEALED_PREFIX)?)
            .ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut sealed)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }

    /// Whether `stored` is a sealed value (else a secret kept as is, from before sealing).
    pub(crate) fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<redacted>)")
    }
}

impl PartialEq for SecretsKey {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl Eq for SecretsKey {}

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

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let key = SecretsKey::generate();
        let sealed = key.seal("whsec_abc", "hook-1");
        assert!(SecretsKey::is_sealed(&sealed));
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(
            sealed,
            key.seal("whsec_abc", "hook-1"),
            "a fresh nonce each time"
        );
        assert_eq!(key.open(&sealed, "hook-1").as_deref(), Some("whsec_abc"));
        assert_eq!(key.open(&sealed, "hook-2"), None);
        assert_eq!(SecretsKey::generate().open(&sealed, "hook-1"), None);
        assert_eq!(key.open("whsec_abc", "hook-1"), None);
        // One bit changed anywhere: it does not open.
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(key.open(&String::from_utf8(bytes).unwrap(), "hook-1"), None);
    }

    #[test]
    fn a_key_reads_back_from_base64_and_never_shows() {
        let key = SecretsKey::generate();
        assert_eq!(SecretsKey::from_base64(&key.to_base64()), Ok(key.clone()));
        assert!(SecretsKey::from_base64("c2hvcnQ=").is_err());
        assert!(SecretsKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{key:?}"), "SecretsKey(<redacted>)");
    }

    #[test]
    fn a_key_file_is_made_once_for_its_owner_only_and_read_after() {
        let dir = std::env::temp_dir().join(format!("pf-key-{}", random_alphanumeric(8)));
        let path = dir.join("secrets.key");
        let (made, created) = SecretsKey::load_or_create(&path).unwrap();
        assert!(created);
        let (read, created) = SecretsKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(made, read);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(SecretsKey::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
