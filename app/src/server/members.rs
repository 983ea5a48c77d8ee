//! The organisation's people, as its owners and admins manage them on the Members page
//! (issue 20): add a person (with a first password to hand over), change a role, remove
//! a person. Each change is a data event (`member.added`, `member.updated`,
//! `member.removed`) for the plugins that subscribe and may read users, queued in the
//! change's transaction. Only owners make or unmake owners; nobody changes or removes
//! themselves; every change checks, under the rows' locks, that the actor still may and
//! that an owner remains.

use super::accounts::{self, AccountError, NewUser};
use super::scope::Member;
use super::store::{self as stores, work as store};
use super::webhooks::{self, Change};
use super::{now, Db};
use crate::domain::{Email, EventType, MembersPage, OrgUser, Password, Role, UserId};
use crate::error::{AppError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("no such person in the organisation")]
    NotFound,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("invalid form")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] stores::Error),
    #[error(transparent)]
    Account(AccountError),
}

impl From<MemberError> for AppError {
    fn from(err: MemberError) -> Self {
        match err {
            MemberError::NotAllowed(why) => AppError::Forbidden(why.into()),
            MemberError::NotFound => AppError::NotFound("There is no such person in your organisation.".into()),
            MemberError::Conflict(why) => AppError::Conflict(why.into()),
            MemberError::Invalid(fields) => AppError::InvalidFields(fields),
            MemberError::Db(e) => super::internal("changing the organisation's people failed")(e),
            MemberError::Account(AccountError::EmailTaken) => AppError::InvalidFields(vec![FieldError::new("email", "Someone already has this email address.")]),
            MemberError::Account(e) => e.into(),
        }
    }
}

const MANAGERS_ONLY: &str = "Only owners and admins manage the organisation's people.";
const OWNERS_ONLY: &str = "Only owners make, change or remove an owner.";

/// The Members page: everyone, and what the viewer may do.
pub async fn page(db: &Db, by: &Member) -> Result<MembersPage, MemberError> {
    let mut people = Vec::new();
    let mut after = 0;
    loop {
        let batch = store::users(db, &by.scope(), after, 200).await?;
        let full = batch.len() == 200;
        after = batch.last().map_or(after, |u| u.id.get());
        people.extend(batch);
        if !full {
            break;
        }
    }
    Ok(MembersPage { people, me: by.id, may_manage: by.role.can_manage_plugins(), is_owner: by.role == Role::Owner })
}

/// What the Add form sends.
pub struct NewMember<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password: &'a str,
}

/// Adds a person with a first password, which the owner or admin hands over: the person
/// as a plugin sees them.
pub async fn add(db: &Db, by: &Member, form: &NewMember<'_>) -> Result<OrgUser, MemberError> {
    if !by.role.can_manage_plugins() {
        return Err(MemberError::NotAllowed(MANAGERS_ONLY));
    }
    if form.name.chars().count() > 80 {
        return Err(MemberError::Invalid(vec![FieldError::new("name", "Use a name of at most 80 characters.")]));
    }
    let mut problems = Vec::new();
    let email = Email::parse(form.email).map_err(|m| problems.push(FieldError::new("email", m))).ok();
    let password = Password::parse_new(form.password).map_err(|m| problems.push(FieldError::new("password", m))).ok();
    let role = Role::parse(form.role);
    if role.is_none() {
        problems.push(FieldError::new("role", "Choose owner, admin, member or viewer."));
    }
    let (Some(email), Some(password), Some(role)) = (email, password, role) else { return Err(MemberError::Invalid(problems)) };
    if role == Role::Owner && by.role != Role::Owner {
        return Err(MemberError::NotAllowed(OWNERS_ONLY));
    }
    let hash = accounts::hash_password(&password).await.map_err(MemberError::Account)?;
    let scope = by.scope();
    let mut tx = db.begin_write().await?;
    let person = NewUser { email: &email, display_name: form.name, password: &password, role };
    let id = accounts::insert_user(&mut tx, scope.tenant(), &person, &hash).await.map_err(MemberError::Account)?;
    let user = store::lock_user(&mut tx, &scope, id).await?.map(|locked| locked.user).ok_or_else(|| {
        tracing::error!(user = id.get(), "a person just added is not found");
        MemberError::Db(stores::Error::RowNotFound)
    })?;
    webhooks::publish(&mut tx, &scope, Change::Member(EventType::MemberAdded, &user, None), now()).await?;
    tx.commit().await?;
    Ok(user)
}

/// Gives a person another role.
pub async fn change_role(db: &Db, by: &Member, id: UserId, role: &str) -> Result<OrgUser, MemberError> {
    let role = Role::parse(role).ok_or_else(|| MemberError::Invalid(vec![FieldError::new("role", "Choose owner, admin, member or viewer.")]))?;
    let scope = by.scope();
    let mut tx = db.begin_write().await?;
    let (actor, before) = permitted(&mut tx, by, id).await?;
    if role == Role::Owner && actor != Role::Owner {
        return Err(MemberError::NotAllowed(OWNERS_ONLY));
    }
    if before.role == role {
        return Ok(before);
    }
    let after = store::set_role(&mut tx, &scope, id, role).await?;
    keeps_an_owner(&mut tx, by).await?;
    webhooks::publish(&mut tx, &scope, Change::Member(EventType::MemberUpdated, &after, Some(vec!["role"])), now()).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a person: their tasks are unassigned first (a `task.updated` each), then they
/// go (`member.removed`), in one transaction. Their row stays, marked removed, so their id
/// is never given to anybody else; they sign in nowhere, and their sessions, tokens,
/// service connections, pending consents and unused codes end.
pub async fn remove(db: &Db, by: &Member, id: UserId) -> Result<(), MemberError> {
    let scope = by.scope();
    let t = now();
    let mut tx = db.begin_write().await?;
    let (_, person) = permitted(&mut tx, by, id).await?;
    let unassigned = store::unassign_all(&mut tx, &scope, id).await?;
    if !store::remove_user(&mut tx, &scope, id, t).await? {
        return Err(MemberError::NotFound);
    }
    keeps_an_owner(&mut tx, by).await?;
    let mut events: Vec<Change<'_>> = unassigned.iter().map(|task| Change::Task(EventType::TaskUpdated, task, Some(vec!["assignee_id"]))).collect();
    events.push(Change::Member(EventType::MemberRemoved, &person, None));
    webhooks::publish_all(&mut tx, &scope, &events, t).await?;
    tx.commit().await?;
    Ok(())
}

/// The acting member's role as it stands now and the person `id`, both rows locked (in id
/// order, so two managers acting on each other wait rather than deadlock), if the actor
/// may change or remove them.
async fn permitted(conn: &mut stores::Conn, by: &Member, id: UserId) -> Result<(Role, OrgUser), MemberError> {
    if id == by.id {
        return Err(MemberError::NotAllowed("You cannot change or remove yourself: ask another owner or admin."));
    }
    let scope = by.scope();
    let (first, second) = if by.id.get() < id.get() { (by.id, id) } else { (id, by.id) };
    let a = store::lock_user(&mut *conn, &scope, first).await?;
    let b = store::lock_user(&mut *conn, &scope, second).await?;
    let (me, them) = if first == by.id { (a, b) } else { (b, a) };
    // The actor's role is read again under the lock: a demotion a moment ago counts.
    let actor = me.map(|m| m.user.role).filter(|r| r.can_manage_plugins()).ok_or(MemberError::NotAllowed(MANAGERS_ONLY))?;
    let person = them.ok_or(MemberError::NotFound)?;
    if person.user.role == Role::Owner && actor != Role::Owner {
        return Err(MemberError::NotAllowed(OWNERS_ONLY));
    }
    if person.has_platform_role {
        return Err(MemberError::Conflict("This person is a Plugboard developer or staff member: their plugins and reviews depend on their account, so Plugboard keeps it."));
    }
    Ok((actor, person.user))
}

/// Refuses a change that would leave the organisation without an owner.
async fn keeps_an_owner(conn: &mut stores::Conn, by: &Member) -> Result<(), MemberError> {
    if store::count_owners(conn, &by.scope()).await? == 0 {
        return Err(MemberError::Conflict("An organisation keeps at least one owner."));
    }
    Ok(())
}
