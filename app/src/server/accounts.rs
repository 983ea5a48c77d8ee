//! Tenants, users and passwords. Sign-in is rate-limited per email and per client
//! address with counters in the database, so every server instance shares them.

use super::store::accounts::{self as store, EmailTaken, NewUserRow};
use super::store::{self as stores, Conn};
use super::{now, Db, Settings};
use crate::domain::{Email, Password, Role, TenantId, TenantName, UserId};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("email or password is incorrect")]
    BadCredentials,
    #[error("too many failed sign-ins")]
    RateLimited,
    #[error("every password hashing slot stayed busy")]
    Busy,
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<AccountError> for crate::error::AppError {
    fn from(err: AccountError) -> Self {
        use crate::error::AppError;
        match err {
            // Says no more than that this email cannot be used to sign up.
            AccountError::EmailTaken => AppError::invalid(
                "email",
                "This email can't be used to create an account. If it is yours, sign in instead.",
            ),
            AccountError::BadCredentials => AppError::BadCredentials,
            AccountError::RateLimited => AppError::RateLimited,
            AccountError::Busy => AppError::Busy,
            AccountError::Hashing(msg) => {
                tracing::error!(error = %msg, "password hashing failed");
                AppError::Internal
            }
            AccountError::Db(e) => super::internal("account storage failed")(e),
        }
    }
}

/// argon2id with m = 19 MiB, t = 2, p = 1 (OWASP's minimum, as DESIGN.md §1 asks).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How long a password check waits for a free hashing slot before answering "busy".
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// argon2 takes 19 MiB and a core for a while: at most one hash per core runs at once,
/// for sign-in, sign-up and every other password alike, so a burst of sign-ins queues
/// (briefly) instead of taking every core and all memory.
async fn hashing_slot() -> Result<tokio::sync::SemaphorePermit<'static>, AccountError> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    });
    match tokio::time::timeout(HASH_WAIT, slots.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AccountError::Busy),
    }
}

/// Hashes off the async threads: argon2 is deliberately slow.
pub async fn hash_password(password: &Password) -> Result<String, AccountError> {
    let password = password.expose().to_owned();
    let _slot = hashing_slot().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

async fn verify_password(hash: String, password: String) -> Result<bool, AccountError> {
    let _slot = hashing_slot().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false))
}

/// A hash of nothing anybody knows, verified when the email is unknown so that
/// an unknown email takes as long to refuse as a wrong password.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn dummy_hash() -> String {
    DUMMY_HASH
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .hash_password(b"plugboard-no-such-user", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone()
}

/// A URL-friendly key for a tenant name, made unique with a suffix when taken.
fn tenant_slug_base(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').chars().take(40).collect::<String>();
    if slug.is_empty() { "org".to_owned() } else { slug }
}

pub async fn insert_tenant(conn: &mut Conn, name: &TenantName) -> Result<TenantId, stores::Error> {
    store::insert_tenant(conn, name, &tenant_slug_base(name.as_str()), now()).await
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password: &'a Password,
    pub role: Role,
}

pub async fn insert_user(conn: &mut Conn, tenant: TenantId, user: &NewUser<'_>, password_hash: &str) -> Result<UserId, AccountError> {
    let display_name = match user.display_name.trim() {
        "" => user.email.as_str().split('@').next().unwrap_or_default().to_owned(),
        name => name.chars().take(80).collect(),
    };
    let row = NewUserRow { email: user.email, display_name: &display_name, password_hash, role: user.role };
    store::insert_user(conn, tenant, &row, now()).await?.map_err(|EmailTaken| AccountError::EmailTaken)
}

/// A person whose password was just checked (a sign-in) or just chosen (a sign-up): what
/// a session opens for (`session::create`, which uses it up). Only this module makes one.
#[derive(Debug, PartialEq, Eq)]
pub struct Authenticated {
    user: UserId,
}

impl Authenticated {
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// Sign-up: a new tenant and its owner, both or neither; the owner is signed in.
pub async fn create_tenant_with_owner(
    db: &Db,
    tenant_name: &TenantName,
    owner: &NewUser<'_>,
) -> Result<(TenantId, Authenticated), AccountError> {
    let hash = hash_password(owner.password).await?;
    let mut tx = db.pool().begin().await?;
    let tenant = insert_tenant(&mut tx, tenant_name).await?;
    let user = insert_user(&mut tx, tenant, owner, &hash).await?;
    tx.commit().await?;
    Ok((tenant, Authenticated { user }))
}

/// Adds a user to the tenant of that name, creating the tenant when there is none.
pub async fn create_user_in_tenant(
    db: &Db,
    tenant_name: &TenantName,
    user: &NewUser<'_>,
) -> Result<(TenantId, UserId), AccountError> {
    let hash = hash_password(user.password).await?;
    let mut tx = db.pool().begin().await?;
    let tenant = match store::tenant_named(&mut tx, tenant_name).await? {
        Some(id) => id,
        None => insert_tenant(&mut tx, tenant_name).await?,
    };
    let user_id = insert_user(&mut tx, tenant, user, &hash).await?;
    tx.commit().await?;
    Ok((tenant, user_id))
}

/// Marks a user as staff and/or developer (flags that are `false` are left as they are).
pub async fn set_platform_roles(db: &Db, user: UserId, staff: bool, developer: bool) -> Result<(), stores::Error> {
    let mut tx = db.begin_write().await?;
    store::set_platform_roles(&mut tx, user, staff, developer).await?;
    tx.commit().await
}

/// Checks a sign-in. Failures count against the email and the client address; past
/// the limit every attempt is refused, right password or not, until the window passes.
///
/// The attempt is reserved before the password is checked: a row per key is written
/// (and committed) first, then the key's rows are counted. The k-th reservation to
/// commit counts at least k rows, so however many guesses arrive at once, at most the
/// allowance of them is ever checked in a window. A wrong password keeps its rows as
/// failures; a right one, or a refusal, takes them back.
pub async fn authenticate(
    db: &Db,
    settings: &Settings,
    email: &str,
    password: &str,
    client_ip: Option<std::net::IpAddr>,
) -> Result<Authenticated, AccountError> {
    let email = email.trim().to_lowercase();
    let email_key = format!("email:{email}");
    let ip_key = client_ip.map(|ip| format!("ip:{}", super::client_addr::throttle_key(ip)));
    let t = now();
    let since = t - settings.login_window_secs;

    let mut reserved = Vec::new();
    let mut over = false;
    for (key, allowance) in std::iter::once((&email_key, settings.login_failures_per_email))
        .chain(ip_key.as_ref().map(|k| (k, settings.login_failures_per_ip)))
    {
        reserved.push(store::reserve_attempt(db, key, t).await?);
        over |= store::count_failures(db, key, since).await? > allowance;
    }
    if over {
        store::release_attempts(db, &reserved).await?;
        return Err(AccountError::RateLimited);
    }

    let (user_id, hash) = match store::password_hash(db, &email).await? {
        Some((id, hash)) => (Some(id), hash),
        None => (None, dummy_hash()),
    };
    let password_ok = match verify_password(hash, password.to_owned()).await {
        Ok(ok) => ok,
        Err(busy) => {
            store::release_attempts(db, &reserved).await?;
            return Err(busy);
        }
    };
    match user_id {
        Some(id) if password_ok => {
            store::release_attempts(db, &reserved).await?;
            store::clear_failures(db, &email_key).await?;
            Ok(Authenticated { user: id })
        }
        _ => {
            // Old rows are of no further use.
            store::prune_failures(db, since).await?;
            Err(AccountError::BadCredentials)
        }
    }
}

/// Counts a sign-up from `client_ip` whose fields are valid (typos cost nothing); refuses
/// past the allowance for the window, so nobody creates tenants in a loop or probes which
/// emails exist.
pub async fn allow_sign_up(db: &Db, settings: &Settings, client_ip: Option<std::net::IpAddr>) -> Result<(), AccountError> {
    let Some(ip) = client_ip else { return Ok(()) };
    let key = format!("sign-up:{}", super::client_addr::throttle_key(ip));
    let verdict = super::rate_limit::hit(db, &key, settings.signups_per_address, settings.signup_window_secs, now()).await?;
    match verdict {
        super::rate_limit::Verdict::Allowed => Ok(()),
        super::rate_limit::Verdict::Limited { .. } => Err(AccountError::RateLimited),
    }
}
