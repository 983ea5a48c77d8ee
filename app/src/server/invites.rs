//! An invite to test an unpublished plugin, as the organisation it names meets it: its
//! link says what it is, and an owner or admin of an organisation of that name accepts
//! it for their organisation (issue 20). The developer's side is
//! `publishing::invites`.

use super::scope::Member;
use super::secrets::sha256_hex;
use super::store::invites::{self as store, Accepted, InviteFacts};
use super::store::{self as stores};
use super::{now, Db};
use crate::domain::{InviteDetails, TenantName};

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("no such invite")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<InviteError> for crate::error::AppError {
    fn from(err: InviteError) -> Self {
        use crate::error::AppError;
        match err {
            InviteError::NotFound => AppError::NotFound("This invite link is not valid: the developer withdrew it, or it never existed.".into()),
            InviteError::Refused(why) => AppError::Forbidden(why),
            InviteError::Db(e) => super::internal("reading an invite failed")(e),
        }
    }
}

/// Why `viewer` may not accept the invite (`None`: they may, or their organisation has).
fn refusal(facts: &InviteFacts, viewer: Option<&Member>) -> Option<String> {
    let invited = &facts.organisation;
    if facts.suspended_at.is_some() {
        return Some(format!("Plugboard suspended {}, so it cannot be tried for now.", facts.plugin_name));
    }
    let Some(member) = viewer else {
        return Some(format!("Sign in as an owner or admin of {invited} to accept it."));
    };
    match facts.tenant_id {
        Some(tenant) if tenant == member.scope().tenant() => return None,
        Some(_) => return Some("Another organisation accepted this invite already. Ask the developer for an invite of your own.".into()),
        None => {}
    }
    let named = TenantName::parse(invited).is_ok_and(|name| name.names(&member.tenant_name));
    if !named {
        return Some(format!("This invite is for {invited}; you are signed in to {}. Sign in to {invited} to accept it.", member.tenant_name));
    }
    if !member.role.can_manage_plugins() {
        return Some(format!("Only owners and admins of {invited} can accept it, as only they install plugins."));
    }
    None
}

fn view(facts: &InviteFacts, viewer: Option<&Member>) -> InviteDetails {
    InviteDetails {
        plugin_name: facts.plugin_name.clone(),
        slug: facts.slug.clone(),
        author: facts.author.clone(),
        organisation: facts.organisation.clone(),
        accepted: viewer.is_some_and(|m| facts.tenant_id == Some(m.scope().tenant())),
        published: facts.open_to_all.0,
        refusal: refusal(facts, viewer),
    }
}

async fn find(conn: &mut stores::Conn, token: &str) -> Result<InviteFacts, InviteError> {
    let facts = store::by_token(conn, &sha256_hex(token)).await?.ok_or(InviteError::NotFound)?;
    if facts.revoked_at.is_some() {
        return Err(InviteError::NotFound);
    }
    Ok(facts)
}

/// What the invite behind `token` is, for whoever opened its link.
pub async fn details(db: &Db, viewer: Option<&Member>, token: &str) -> Result<InviteDetails, InviteError> {
    let mut conn = db.pool().acquire().await?;
    let facts = find(&mut conn, token).await?;
    Ok(view(&facts, viewer))
}

/// Accepts the invite for the member's organisation: from now on it may see and install
/// the plugin as its developer may, until the developer revokes the invite.
pub async fn accept(db: &Db, member: &Member, token: &str) -> Result<InviteDetails, InviteError> {
    let mut tx = db.begin_write().await?;
    let facts = find(&mut tx, token).await?;
    if let Some(why) = refusal(&facts, Some(member)) {
        return Err(InviteError::Refused(why));
    }
    if facts.tenant_id.is_none() {
        match store::accept(&mut tx, facts.id, &member.scope(), member.id, now()).await? {
            Accepted::Now => {}
            Accepted::AlreadyInvited => {
                return Err(InviteError::Refused(format!("{} holds an invite to {} already.", member.tenant_name, facts.plugin_name)));
            }
            Accepted::Gone => return Err(InviteError::NotFound),
        }
    }
    tx.commit().await?;
    let accepted = InviteFacts { tenant_id: Some(member.scope().tenant()), ..facts };
    Ok(view(&accepted, Some(member)))
}
