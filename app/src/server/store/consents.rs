//! Consent screens shown and not yet answered.

use crate::server::Db;

/// Forgets consent screens nobody answered in time.
pub async fn prune_consent_requests(db: &Db, now: i64) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM consent_requests WHERE expires_at < $1").bind(now).execute(db.pool()).await?;
    Ok(())
}
