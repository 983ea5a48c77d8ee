//! The host → plugin JWT (DESIGN.md §6): HS256, keyed with the bytes behind the plugin's
//! `whsec_…` signing secret (the one it already holds to check webhooks), with `iss`
//! plugboard, `aud` the plugin's client id, `sub` the user, `tid` the tenant and an `exp`
//! at most five minutes away. `verify` is what a plugin server does with it.

use crate::server::webhooks::signature::SECRET_PREFIX;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const ISSUER: &str = "plugboard";
/// How long a token lives: long enough for one call and its retries, no longer.
pub const LIFETIME_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostClaims {
    pub iss: String,
    pub aud: String,
    /// The user on whose behalf Plugboard calls.
    pub sub: String,
    /// Their tenant.
    pub tid: String,
    pub iat: i64,
    pub exp: i64,
}

impl HostClaims {
    pub fn new(client_id: &str, user_id: i64, tenant_id: i64, now: i64) -> Self {
        Self {
            iss: ISSUER.to_owned(),
            aud: client_id.to_owned(),
            sub: user_id.to_string(),
            tid: tenant_id.to_string(),
            iat: now,
            exp: now + LIFETIME_SECS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the plugin's signing secret is malformed")]
    BadSecret,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token is not for this plugin, or not from Plugboard")]
    WrongParty,
    #[error("the token has expired")]
    Expired,
}

fn key(secret: &str) -> Result<Hmac<Sha256>, JwtError> {
    let bytes = secret.strip_prefix(SECRET_PREFIX).and_then(|s| STANDARD.decode(s).ok()).ok_or(JwtError::BadSecret)?;
    Hmac::<Sha256>::new_from_slice(&bytes).map_err(|_| JwtError::BadSecret)
}

/// A signed token for `claims`.
pub fn mint(secret: &str, claims: &impl Serialize) -> Result<String, JwtError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|_| JwtError::Malformed)?);
    let signing_input = format!("{header}.{payload}");
    let mut mac = key(secret)?;
    mac.update(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())))
}

/// Checks a token as a plugin server would: HS256 only, the signature (in constant
/// time), the issuer, the audience and the expiry.
pub fn verify(secret: &str, token: &str, client_id: &str, now: i64) -> Result<HostClaims, JwtError> {
    let claims: HostClaims = signed_claims(secret, token)?;
    if claims.iss != ISSUER || claims.aud != client_id {
        return Err(JwtError::WrongParty);
    }
    if claims.exp <= now || claims.exp - claims.iat > LIFETIME_SECS {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

/// The claims of a token whose HS256 signature under `secret` holds (nothing else checked).
fn signed_claims<C: serde::de::DeserializeOwned>(secret: &str, token: &str) -> Result<C, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let declared: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|_| JwtError::Malformed)?).map_err(|_| JwtError::Malformed)?;
    if declared["alg"] != "HS256" {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::Malformed)?;
    let mut mac = key(secret)?;
    mac.update(format!("{header}.{payload}").as_bytes());
    mac.verify_slice(&signature).map_err(|_| JwtError::BadSignature)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| JwtError::Malformed)?).map_err(|_| JwtError::Malformed)
}

/// How long an Install hand-over is good for: the admin's browser follows it at once.
pub const HANDOVER_LIFETIME_SECS: i64 = 5 * 60;

/// The Install hand-over (`?install_token=` on the plugin's first redirect URI): who
/// asked to install the plugin, into which tenant, from which Plugboard. `iss` is
/// Plugboard's public URL, which the plugin compares with the one it was configured
/// with (and never takes an endpoint from); the plugin-server calls' `iss` is
/// `plugboard`, so neither token passes for the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverClaims {
    pub iss: String,
    pub aud: String,
    /// The admin who clicked Install.
    pub sub: String,
    /// Their tenant.
    pub tid: String,
    /// The plugin's slug.
    pub install: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique per hand-over, for a plugin that refuses to see one twice.
    pub jti: String,
}

impl HandoverClaims {
    /// Checks a hand-over as a plugin does: signature, `iss` equal to the issuer the
    /// plugin was configured with, `aud` its client id, not expired.
    pub fn verify(secret: &str, token: &str, client_id: &str, issuer: &str, now: i64) -> Result<Self, JwtError> {
        let claims: Self = signed_claims(secret, token)?;
        if claims.iss != issuer || claims.aud != client_id {
            return Err(JwtError::WrongParty);
        }
        if claims.exp <= now || claims.exp - claims.iat > HANDOVER_LIFETIME_SECS {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn a_minted_token_verifies_and_carries_its_claims() {
        let claims = HostClaims::new("pbc_abc", 7, 3, 1_800_000_000);
        let token = mint(SECRET, &claims).unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify(SECRET, &token, "pbc_abc", 1_800_000_010), Ok(claims));
    }

    #[test]
    fn every_way_to_be_wrong_is_refused() {
        let claims = HostClaims::new("pbc_abc", 7, 3, 1_800_000_000);
        let token = mint(SECRET, &claims).unwrap();
        let other_secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(verify(other_secret, &token, "pbc_abc", 1_800_000_010), Err(JwtError::BadSignature));
        assert_eq!(verify(SECRET, &token, "pbc_other", 1_800_000_010), Err(JwtError::WrongParty));
        assert_eq!(verify(SECRET, &token, "pbc_abc", 1_800_000_000 + LIFETIME_SECS), Err(JwtError::Expired));
        let tampered = token.replacen(".e", ".f", 1);
        assert!(verify(SECRET, &tampered, "pbc_abc", 1_800_000_010).is_err());
        let none_alg = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), token.split('.').nth(1).unwrap());
        assert_eq!(verify(SECRET, &none_alg, "pbc_abc", 1_800_000_010), Err(JwtError::Malformed));
        assert_eq!(verify(SECRET, "a.b", "pbc_abc", 1_800_000_010), Err(JwtError::Malformed));
        assert_eq!(mint("nope", &claims), Err(JwtError::BadSecret));
    }

    #[test]
    fn a_handover_verifies_only_for_its_issuer_and_plugin() {
        let claims = HandoverClaims {
            iss: "https://plugboard.example".into(),
            aud: "pbc_abc".into(),
            sub: "7".into(),
            tid: "3".into(),
            install: "task-sync".into(),
            iat: 1_800_000_000,
            exp: 1_800_000_000 + HANDOVER_LIFETIME_SECS,
            jti: "j1".into(),
        };
        let token = mint(SECRET, &claims).unwrap();
        let verify = |issuer: &str, now: i64| HandoverClaims::verify(SECRET, &token, "pbc_abc", issuer, now);
        assert_eq!(verify("https://plugboard.example", 1_800_000_010), Ok(claims.clone()));
        assert_eq!(verify("https://fake-plugboard.example", 1_800_000_010), Err(JwtError::WrongParty));
        assert_eq!(verify("https://plugboard.example", 1_800_000_000 + HANDOVER_LIFETIME_SECS), Err(JwtError::Expired));
        // A host call's token is not a hand-over, nor the other way round.
        let host = mint(SECRET, &HostClaims::new("pbc_abc", 7, 3, 1_800_000_000)).unwrap();
        assert!(HandoverClaims::verify(SECRET, &host, "pbc_abc", "https://plugboard.example", 1_800_000_010).is_err());
        assert!(verify_host_as_handover(&token).is_err());
    }

    fn verify_host_as_handover(token: &str) -> Result<HostClaims, JwtError> {
        verify(SECRET, token, "pbc_abc", 1_800_000_010)
    }
}
