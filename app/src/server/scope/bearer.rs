//! A Bearer access token's scope: the tenant of the installation it was issued to (the
//! lookup joins the installation and requires the token's tenant to be its tenant), acting
//! as that installation.

use super::TenantScope;
use crate::server::oauth::grants::{self, LiveToken, ACCESS_PREFIX};
use crate::server::secrets::sha256_hex;
use crate::server::Db;

/// The scope of a live access token (not a refresh token, not expired or revoked, its
/// installation active) and what the token says of its installation; `None` for any
/// other string.
pub async fn authenticate(db: &Db, token: &str, now: i64) -> Result<Option<(TenantScope, LiveToken)>, crate::server::store::Error> {
    if !token.starts_with(ACCESS_PREFIX) {
        return Ok(None);
    }
    let Some(live) = grants::live_token(db, &sha256_hex(token), now).await? else { return Ok(None) };
    if live.info.kind != "access_token" {
        return Ok(None);
    }
    let scope = TenantScope::new(live.info.tenant_id, super::Acting::Plugin(live.info.installation_id));
    Ok(Some((scope, live)))
}
