//! Whose data a request may reach. Tenant data (projects, tasks, installations, jobs,
//! connections) is read and written only through a [`TenantScope`], and only
//! authentication makes one:
//! - a signed-in session gives a [`Member`] and the scope of their organisation
//!   ([`session`]);
//! - a Bearer access token gives the scope of its installation's tenant, acting as that
//!   installation ([`bearer`]);
//! - a client-side plugin's bridge call narrows the member's scope to one of the tenant's
//!   own installations ([`TenantScope::acting_as`]: the tenant never changes).
//!
//! The fields are private and the constructor lives here, so no other module can make a
//! scope up: a store function that takes one cannot be reached with a tenant id from a
//! request, a row or a URL.
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
//! ```compile_fail
//! use app::domain::TenantId;
//! use app::server::scope::TenantScope;
//! // Not even a test can name another tenant: the fields are private.
//! let scope = TenantScope { tenant: TenantId(2), plugin: None };
//! ```
//!
//! ```compile_fail
//! use app::server::scope::TenantScope;
//! // And there is no public constructor.
//! let scope = TenantScope::new(app::domain::TenantId(2), None);
//! ```

pub mod bearer;
pub mod session;

use crate::domain::{InstallationId, SessionUser, TenantId};

/// The tenant whose data a request may reach, and the installation acting, when a plugin
/// acts (its mark goes on what it creates or changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    tenant: TenantId,
    plugin: Option<InstallationId>,
}

impl TenantScope {
    /// Only authentication, in this module and its children, makes a scope.
    fn new(tenant: TenantId, plugin: Option<InstallationId>) -> Self {
        TenantScope { tenant, plugin }
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The installation acting, if a plugin acts rather than a person.
    pub fn acting_plugin(&self) -> Option<InstallationId> {
        self.plugin
    }

    /// The same tenant, acting as one of its installations: for a client-side plugin's
    /// call relayed by a member's page. The caller checks first that the installation is
    /// the tenant's (a lookup through this scope); the tenant cannot change here.
    pub fn acting_as(&self, installation: InstallationId) -> TenantScope {
        TenantScope::new(self.tenant, Some(installation))
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
        let scope = TenantScope::new(user.tenant_id, None);
        Member { user, scope }
    }

    pub fn scope(&self) -> TenantScope {
        self.scope
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
