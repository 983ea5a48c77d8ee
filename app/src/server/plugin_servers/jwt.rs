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
pub fn mint(secret: &str, claims: &HostClaims) -> Result<String, JwtError> {
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
    let claims: HostClaims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| JwtError::Malformed)?).map_err(|_| JwtError::Malformed)?;
    if claims.iss != ISSUER || claims.aud != client_id {
        return Err(JwtError::WrongParty);
    }
    if claims.exp <= now || claims.exp - claims.iat > LIFETIME_SECS {
        return Err(JwtError::Expired);
    }
    Ok(claims)
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
}
