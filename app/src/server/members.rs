//! The organisation's people, as its owners and admins manage them on the Members page
//! (issue 20): add a person (with a first password to hand over), change a role, remove
//! a person. Each change is a data event (`member.added`, `member.updated`,
//! `member.removed`) for the plugins that subscribe and may read users, queued in the
//! change's transaction. Only owners make or unmake owners; nobody changes or removes
//! themselves, so an organisation always keeps an owner.

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

/// Adds a person with a first password (the admin hands it over; they can change it
/// later): the person as a plugin sees them.
pub async fn add(db: &Db, by: &Member, form: &NewMember<'_>) -> Result<OrgUser, MemberError> {
    if !by.role.can_manage_plugins() {
        return Err(MemberError::NotAllowed(MANAGERS_ONLY));
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
    let user = store::lock_user(&mut tx, &scope, id).await?.ok_or(MemberError::NotFound)?;
    webhooks::publish(&mut tx, &scope, Change::Member(EventType::MemberAdded, &user, None), now()).await?;
    tx.commit().await?;
    Ok(user)
}

/// Gives a person another role.
pub async fn change_role(db: &Db, by: &Member, id: UserId, role: &str) -> Result<OrgUser, MemberError> {
    let role = Role::parse(role).ok_or_else(|| MemberError::Invalid(vec![FieldError::new("role", "Choose owner, admin, member or viewer.")]))?;
    let scope = by.scope();
    let mut tx = db.begin_write().await?;
    let before = permitted(&mut tx, by, id).await?;
    if role == Role::Owner && by.role != Role::Owner {
        return Err(MemberError::NotAllowed(OWNERS_ONLY));
    }
    if before.role == role {
        return Ok(before);
    }
    let after = store::set_role(&mut tx, &scope, id, role).await?;
    webhooks::publish(&mut tx, &scope, Change::Member(EventType::MemberUpdated, &after, Some(vec!["role"])), now()).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a person: their tasks are unassigned first (a `task.updated` each), then they
/// go (`member.removed`), in one transaction.
pub async fn remove(db: &Db, by: &Member, id: UserId) -> Result<(), MemberError> {
    let scope = by.scope();
    let t = now();
    let mut tx = db.begin_write().await?;
    let person = permitted(&mut tx, by, id).await?;
    if store::develops_plugins(&mut tx, id).await? {
        return Err(MemberError::Conflict("This person develops plugins on Plugboard: removing them would leave those plugins without a developer."));
    }
    let unassign = store::TaskChanges { project_id: None, title: None, status: None, assignee_id: Some(None), due_date: None };
    let mut changes = Vec::new();
    for task in store::assigned_tasks(&mut tx, &scope, id).await? {
        if let Ok((_, after)) = store::update_task(&mut tx, &scope, task, &unassign).await? {
            changes.push(after);
        }
    }
    let mut events: Vec<Change<'_>> = changes.iter().map(|task| Change::Task(EventType::TaskUpdated, task, Some(vec!["assignee_id"]))).collect();
    if !store::delete_user(&mut tx, &scope, id).await? {
        return Err(MemberError::NotFound);
    }
    events.push(Change::Member(EventType::MemberRemoved, &person, None));
    webhooks::publish_all(&mut tx, &scope, &events, t).await?;
    tx.commit().await?;
    Ok(())
}

/// The person `id`, locked, if `by` may change or remove them.
async fn permitted(conn: &mut stores::Conn, by: &Member, id: UserId) -> Result<OrgUser, MemberError> {
    if !by.role.can_manage_plugins() {
        return Err(MemberError::NotAllowed(MANAGERS_ONLY));
    }
    if id == by.id {
        return Err(MemberError::NotAllowed("You cannot change or remove yourself: ask another owner or admin."));
    }
    let person = store::lock_user(conn, &by.scope(), id).await?.ok_or(MemberError::NotFound)?;
    if person.role == Role::Owner && by.role != Role::Owner {
        return Err(MemberError::NotAllowed(OWNERS_ONLY));
    }
    Ok(person)
}
