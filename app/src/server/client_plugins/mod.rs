//! Client-side plugins (DESIGN.md §7): a plugin's JavaScript bundle runs in a sandboxed
//! frame on Plugboard's pages and reaches the tenant's data only through the host page's
//! `postMessage` bridge, limited to the scopes the tenant granted.
//!
//! - `bundles`: storing a developer's upload, and serving it by its hash.
//! - `frame`: the frame document with its CSP, the bundle, and the bridge helper script.
//! - `bridge`: the calls the host page relays, checked again here and run through the
//!   REST API's own code.

pub mod bridge;
pub mod bundles;
pub mod frame;

use crate::server::scope::TenantScope;
use super::plugin_servers::{PluginInstall, Which};
use super::Db;
use crate::domain::ClientPlugin;

/// The tenant's installed plugins that ship client-side code, as the host page frames them.
pub async fn installed(db: &Db, scope: &TenantScope) -> Result<Vec<ClientPlugin>, crate::server::store::Error> {
    Ok(PluginInstall::load(db, scope, Which::All)
        .await?
        .into_iter()
        .filter(|i| i.bundle.is_some())
        .map(|i| ClientPlugin {
            installation_id: i.installation,
            frame_url: frame::frame_path(&i.slug),
            slug: i.slug,
            name: i.name,
            scopes: i.granted,
        })
        .collect())
}

/// The most origins a plugin may declare.
const MAX_ORIGINS: usize = 10;

/// The network origins a plugin's client-side code may reach, one per line: https (http
/// only on loopback, for development), no path, no wildcards. Answered as origins.
pub fn parse_origins(raw: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.len() > MAX_ORIGINS {
        return Err(format!("Declare at most {MAX_ORIGINS} origins."));
    }
    let mut origins = Vec::new();
    for line in lines {
        let bad = || format!("{line:?} is not an origin such as https://api.example.com");
        let url = url::Url::parse(line).map_err(|_| bad())?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        let plain = url.username().is_empty() && url.password().is_none() && url.query().is_none() && url.fragment().is_none() && url.path() == "/";
        if !plain || line.contains('*') || !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
            return Err(bad());
        }
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::parse_origins;

    #[test]
    fn origins_are_exact_https_origins() {
        assert_eq!(parse_origins("https://api.example.com\n\nhttp://127.0.0.1:3211/\nhttps://API.example.com:443").unwrap(), ["https://api.example.com", "http://127.0.0.1:3211"]);
        for bad in ["http://api.example.com", "https://*.example.com", "https://api.example.com/v1", "ftp://x.example.com", "https://u:p@x.example.com", "not a url"] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
        assert!(parse_origins(&"https://a.example.com\n".repeat(11)).is_err(), "at most ten");
    }
}
