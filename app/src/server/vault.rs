//! Secrets Plugboard must read back (the tokens it holds as the OAuth client of a plugin's
//! service, that service's client secret, PKCE verifiers in flight) are sealed with
//! AES-256-GCM under the key in `PLUGBOARD_TOKEN_KEY`: the database holds only ciphertext.
//! Each value is sealed for one purpose and one row (the associated data), so a sealed
//! value copied into another row or column does not open there.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// The stored form: `v1.` + base64url(96-bit nonce ‖ ciphertext ‖ tag).
const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("PLUGBOARD_TOKEN_KEY must be 32 random bytes in base64 (make one with `openssl rand -base64 32`)")]
    BadKey,
    #[error("PLUGBOARD_TOKEN_KEY is required in production: without it, tokens held for plugins could not be read after a restart")]
    MissingKey,
    /// Wrong key, wrong row, or tampered with: the value cannot be used.
    #[error("a sealed value could not be opened")]
    CannotOpen,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    /// A key made up at start-up: what it sealed is lost with the process.
    ephemeral: bool,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("ephemeral", &self.ephemeral).finish_non_exhaustive()
    }
}

impl Vault {
    /// The vault for the configured key. Without one, production refuses to start, and
    /// development gets a random key for this process only.
    pub fn from_config(key: Option<&str>, production: bool) -> Result<Self, VaultError> {
        match key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(encoded) => {
                let bytes = STANDARD.decode(encoded).map_err(|_| VaultError::BadKey)?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadKey)?;
                Ok(Self::with_key(key, false))
            }
            None if production => Err(VaultError::MissingKey),
            None => Ok(Self::with_key(super::secrets::random_bytes::<32>(), true)),
        }
    }

    fn with_key(key: [u8; 32], ephemeral: bool) -> Self {
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)), ephemeral }
    }

    /// A vault with a fresh random key (tests, and development without a key).
    pub fn ephemeral() -> Self {
        Self::with_key(super::secrets::random_bytes::<32>(), true)
    }

    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// Seals `plaintext` for `context` (what it is and which row it belongs to).
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let nonce = super::secrets::random_bytes::<NONCE_BYTES>();
        let payload = Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() };
        // Encryption fails only for inputs of gigabytes; these are tokens.
        let sealed = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what `seal` made for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, VaultError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or(VaultError::CannotOpen)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| VaultError::CannotOpen)?;
        String::from_utf8(plain).map_err(|_| VaultError::CannotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let vault = Vault::from_config(Some(KEY), true).unwrap();
        let sealed = vault.seal("access_token:1:2", "svc_at_secret");
        assert!(sealed.starts_with("v1.") && !sealed.contains("svc_at_secret"));
        assert_ne!(sealed, vault.seal("access_token:1:2", "svc_at_secret"), "a fresh nonce each time");
        assert_eq!(vault.open("access_token:1:2", &sealed).unwrap(), "svc_at_secret");
        assert_eq!(vault.open("access_token:1:3", &sealed), Err(VaultError::CannotOpen), "another row");
        assert_eq!(Vault::ephemeral().open("access_token:1:2", &sealed), Err(VaultError::CannotOpen), "another key");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(vault.open("access_token:1:2", &String::from_utf8(tampered).unwrap()), Err(VaultError::CannotOpen));
        assert_eq!(vault.open("access_token:1:2", "svc_at_secret"), Err(VaultError::CannotOpen), "plaintext is not accepted");
    }

    #[test]
    fn production_needs_a_real_key() {
        assert_eq!(Vault::from_config(None, true).unwrap_err(), VaultError::MissingKey);
        assert_eq!(Vault::from_config(Some("  "), true).unwrap_err(), VaultError::MissingKey);
        assert_eq!(Vault::from_config(Some("c2hvcnQ="), true).unwrap_err(), VaultError::BadKey);
        assert_eq!(Vault::from_config(Some("not base64!"), false).unwrap_err(), VaultError::BadKey);
        assert!(Vault::from_config(None, false).unwrap().is_ephemeral());
        assert!(!Vault::from_config(Some(KEY), true).unwrap().is_ephemeral());
    }
}
