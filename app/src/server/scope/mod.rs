//! Whose data a request may reach. The functions that find a tenant's projects, tasks,
//! installations, Runs and connections take a [`TenantScope`]; only authentication makes
//! one:
//! - a signed-in session gives a [`Member`] and the scope of their organisation
//!   ([`session`]);
//! - a Bearer access token gives the scope of its installation's tenant, acting as that
//!   installation ([`bearer`]);
//! - a client-side plugin's bridge call narrows the member's scope to one of the tenant's
//!   own installations ([`TenantScope::acting_as`]: the tenant never changes; the caller
//!   finds the installation through the member's scope first).
//!
//! A developer's own plugins are reached through a [`DeveloperScope`], and the review
//! queue through a [`StaffScope`]: a signed-in member with the developer profile or the
//! staff flag gives one ([`Member::as_developer`], [`Member::as_staff`]). A developer
//! token gives its developer for the developer API only ([`developer_token`]).
//!
//! The fields are private and the constructor lives here, so no other module can make a
//! scope up from a tenant id out of a request, a row or a URL. A session opens only for
//! an [`Authenticated`](crate::server::accounts::Authenticated) person, whom only a
//! checked password (sign-in) or a new account (sign-up) gives. The steps that end an
//! uninstalled installation take the proof that the scoped Uninstall marked it
//! (`store::installations::Uninstalled`). One path takes an installation by id without
//! a scope, because no person is in it: the code exchange, where the plugin's own
//! credentials and the one-time code (which names its installation and tenant) are the
//! authority.
//!
//! What other code can do with a scope is read it:
//!
//! ```
//! use app::domain::TenantId;
//! use app::server::scope::TenantScope;
//! fn whose(scope: &TenantScope) -> TenantId {
//!     scope.tenant()
//! }
//! ```
//!
//! but not make one:
//!
//! ```compile_fail,E0451
//! use app::domain::{InstallationId, TenantId};
//! use app::server::scope::{Acting, TenantScope};
//! fn forge(tenant: TenantId, installation: InstallationId) -> TenantScope {
//!     // The fields are private.
//!     TenantScope { tenant, by: Acting::Plugin(installation) }
//! }
//! ```
//!
//! ```compile_fail,E0624
//! use app::domain::{InstallationId, TenantId};
//! use app::server::scope::{Acting, TenantScope};
//! fn forge(tenant: TenantId, installation: InstallationId) -> TenantScope {
//!     // And its constructor is private.
//!     TenantScope::new(tenant, Acting::Plugin(installation))
//! }
//! ```
//!
//! ```compile_fail,E0451
//! use app::domain::UserId;
//! use app::server::scope::DeveloperScope;
//! fn forge(developer: UserId) -> DeveloperScope {
//!     // Nor a developer's scope around somebody's user id.
//!     DeveloperScope { developer }
//! }
//! ```
//!
//! ```compile_fail,E0451
//! use app::domain::UserId;
//! use app::server::scope::StaffScope;
//! fn forge(staff: UserId) -> StaffScope {
//!     // Nor staff's.
//!     StaffScope { staff }
//! }
//! ```
//!
//! ```compile_fail,E0451
//! use app::server::scope::{Member, TenantScope};
//! // Nor can a signed-in member be made up around another scope.
//! fn forge(user: app::domain::SessionUser, scope: TenantScope) -> Member {
//!     Member { user, scope }
//! }
//! ```
//!
//! A session, the source of a member's scope, opens only for a person whose password was
//! checked, never for a bare user id,
//!
//! ```compile_fail,E0308
//! async fn open(db: &app::server::Db, user: app::domain::UserId) {
//!     let _ = app::server::session::create(db, user).await;
//! }
//! ```
//!
//! and that proof cannot be made up either:
//!
//! ```compile_fail,E0451
//! fn forge(user: app::domain::UserId) -> app::server::accounts::Authenticated {
//!     app::server::accounts::Authenticated { user }
//! }
//! ```
//!
//! The ids a scope holds and the store takes are newtypes with private fields
//! (`domain::ids`): code cannot make one up from a number,
//!
//! ```compile_fail,E0423
//! let tenant = app::domain::TenantId(2);
//! ```
//!
//! nor pass one kind for another, nor take one apart but through `get`:
//!
//! ```compile_fail,E0616
//! fn raw(task: app::domain::TaskId) -> i64 {
//!     task.0
//! }
//! ```

pub mod bearer;
pub mod developer_token;
pub mod session;

use crate::domain::{InstallationId, SessionUser, TenantId, UserId};

/// Who acts through a scope: a signed-in person, or one of the tenant's installations
/// (a plugin with its token, or a client-side plugin through the bridge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    Person(UserId),
    Plugin(InstallationId),
}

/// The tenant whose data a request may reach, and who acts: a plugin's mark goes on what
/// it creates or changes, and the webhooks about a change name who made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    tenant: TenantId,
    by: Acting,
}

impl TenantScope {
    /// Only authentication, in this module and its children, makes a scope.
    fn new(tenant: TenantId, by: Acting) -> Self {
        TenantScope { tenant, by }
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Who acts.
    pub fn by(&self) -> Acting {
        self.by
    }

    /// The installation acting, if a plugin acts rather than a person.
    pub fn acting_plugin(&self) -> Option<InstallationId> {
        match self.by {
            Acting::Plugin(installation) => Some(installation),
            Acting::Person(_) => None,
        }
    }

    /// The same tenant, acting as one of its installations: for a client-side plugin's
    /// call relayed by a member's page. The caller checks first that the installation is
    /// the tenant's (a lookup through this scope); the tenant cannot change here.
    pub fn acting_as(&self, installation: InstallationId) -> TenantScope {
        TenantScope::new(self.tenant, Acting::Plugin(installation))
    }
}

/// A signed-in person and the scope of their organisation. Reads as the [`SessionUser`]
/// it holds (name, role, flags); the scope is what reaches tenant data.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    user: SessionUser,
    scope: TenantScope,
}

impl Member {
    fn new(user: SessionUser) -> Self {
        let scope = TenantScope::new(user.tenant_id, Acting::Person(user.id));
        Member { user, scope }
    }

    pub fn scope(&self) -> TenantScope {
        self.scope
    }

    /// The member as a developer, acting on their own plugins; `None` without a developer profile.
    pub fn as_developer(&self) -> Option<DeveloperScope> {
        self.user.is_developer.then_some(DeveloperScope { developer: self.user.id })
    }

    /// The member as Plugboard staff; `None` unless they are.
    pub fn as_staff(&self) -> Option<StaffScope> {
        self.user.is_staff.then_some(StaffScope { staff: self.user.id })
    }

    /// What pages are told of who is signed in.
    pub fn into_user(self) -> SessionUser {
        self.user
    }
}

impl std::ops::Deref for Member {
    type Target = SessionUser;

    fn deref(&self) -> &SessionUser {
        &self.user
    }
}

/// A developer, acting on the plugins they own: the functions that read or change a
/// developer's plugins take it and add the owner condition themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeveloperScope {
    developer: UserId,
}

impl DeveloperScope {
    pub fn developer(&self) -> UserId {
        self.developer
    }
}

/// Plugboard staff, who review every developer's plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffScope {
    staff: UserId,
}

impl StaffScope {
    pub fn staff(&self) -> UserId {
        self.staff
    }
}
