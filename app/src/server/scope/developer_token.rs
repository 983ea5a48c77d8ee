//! Developer tokens (issue 20): `Authorization: Bearer pbd_…` on the developer API
//! (`/api/developer/v1`), which the CLI calls. A token gives a [`TokenDeveloper`]: the
//! developer it was made by, for the publishing steps on their own plugins, which reach a
//! plugin only through `publishing::owned` and so only theirs. The developer API serves
//! nothing else, so a leaked token reaches no tenant's data.

use super::Member;
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::store::{self, developer_tokens};
use crate::server::{now, Db};
use http::{header::AUTHORIZATION, HeaderMap};

pub const PREFIX: &str = "pbd_";

/// The developer a token acts for.
pub struct TokenDeveloper(Member);

impl TokenDeveloper {
    /// The developer, for the publishing functions (which act on their own plugins only).
    pub fn publisher(&self) -> &Member {
        &self.0
    }
}

/// Makes a token for the member's developer profile (`None` without one): the token,
/// shown once, and its id.
pub async fn create(db: &Db, member: &Member, name: &str) -> Result<Option<(String, i64)>, store::Error> {
    let Some(developer) = member.as_developer() else { return Ok(None) };
    let token = random_token(PREFIX);
    let mut tx = db.begin_write().await?;
    let id = developer_tokens::insert(&mut tx, &developer, name, &sha256_hex(&token), now()).await?;
    tx.commit().await?;
    Ok(Some((token, id)))
}

/// The developer behind the request's Bearer developer token, if it is live.
pub async fn of_request(db: &Db, headers: &HeaderMap) -> Result<Option<TokenDeveloper>, store::Error> {
    let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(PREFIX))
    else {
        return Ok(None);
    };
    Ok(developer_tokens::developer_of(db, &sha256_hex(token), now()).await?.map(|user| TokenDeveloper(Member::new(user))))
}
