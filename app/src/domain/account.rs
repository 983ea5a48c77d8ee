use super::{TenantId, UserId};
use serde::{Deserialize, Serialize};

/// A role within one tenant. Only owners and admins install and uninstall plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn can_manage_plugins(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Adds, changes and deletes tasks and adds and archives projects: everyone but viewers.
    pub fn can_edit_work(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Deletes a project with its tasks.
    pub fn can_delete_projects(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A person of a tenant as the API shows them to a plugin granted `read:users`: never
/// password or platform data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgUser {
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// owner, admin, member or viewer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub role: Role,
}

/// The Members page: the organisation's people, and what the viewer may do with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersPage {
    pub people: Vec<OrgUser>,
    pub me: UserId,
    /// Owners and admins add, change and remove people.
    pub may_manage: bool,
    /// Only owners make, change or remove owners.
    pub is_owner: bool,
}

/// A lower-cased email address with one `@`, a local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("Enter an email address like name@example.com.");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err("Enter an email address like name@example.com.");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse_new(raw: &str) -> Result<Self, &'static str> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err("Use a password of at least 10 characters.");
        }
        if n > Self::MAX_CHARS {
            return Err("Use a password of at most 128 characters.");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// An organisation's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        if !(2..=80).contains(&name.chars().count()) {
            return Err("Give your organisation a name of 2 to 80 characters.");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` names the same organisation: the same words, whatever their case.
    pub fn names(&self, other: &str) -> bool {
        let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
        words(&self.0) == words(other)
    }
}

/// Who is signed in, as pages need to know it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Has a developer profile: may register plugins.
    pub is_developer: bool,
    /// A platform operator: reviews and publishes plugins.
    pub is_staff: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "a@b@c.com", "ada@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_length_bounds() {
        assert!(Password::parse_new("short").is_err());
        assert!(Password::parse_new("long enough!").is_ok());
        assert!(Password::parse_new(&"x".repeat(129)).is_err());
        assert_eq!(format!("{:?}", Password::parse_new("secret-secret").unwrap()), "Password(…)");
    }
}
