//! HTTP requests Plugboard makes to plugins (webhooks, plugin servers, their services'
//! token URLs), and the URLs a developer registers for them. They go to public addresses only: the check runs on the address
//! actually connected to (a resolver that drops the rest), so DNS tricks cannot point
//! a plugin's URL at Plugboard's own network. An allowlist in configuration opens
//! chosen addresses, such as 127.0.0.1 for tests and local development.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// An address range: one address or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| format!("{raw:?} is not an IP address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{raw:?} has a bad prefix length"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Parses `127.0.0.1, 10.0.0.0/8` (the `PLUGBOARD_OUTBOUND_ALLOWLIST` form).
pub fn parse_allowlist(raw: &str) -> Result<Vec<IpRange>, String> {
    raw.split(',').filter(|s| !s.trim().is_empty()).map(IpRange::parse).collect()
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            let first = segments[0];
            // Addresses that carry an IPv4 address inside (IPv4-compatible ::a.b.c.d, 6to4,
            // NAT64) reach whatever IPv4 address they embed, private ones included.
            let embeds_v4 = segments[..6].iter().all(|s| *s == 0) // ::a.b.c.d (and :: and ::1)
                || first == 0x2002 // 6to4, 2002::/16
                || (first == 0x0064 && segments[1] == 0xff9b); // NAT64, 64:ff9b::/96 and 64:ff9b:1::/48
            !(embeds_v4
                || v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || (first == 0x2001 && segments[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::from(1u128))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 192 && b == 0 && c == 0)) // IETF protocol assignments
}

#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    pub allowlist: Vec<IpRange>,
}

impl OutboundPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowlist.iter().any(|r| r.contains(ip))
    }

    /// Checks a URL before a request: https (http only to an allowlisted address), and
    /// an IP-literal host must be permitted (names are checked when they resolve).
    pub fn check_url(&self, raw: &str) -> Result<url::Url, String> {
        let url = url::Url::parse(raw).map_err(|_| "the URL is not valid".to_owned())?;
        let literal: Option<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err("the URL has no host".into()),
        };
        if let Some(ip) = literal {
            if !self.permits(ip) {
                return Err(format!("refusing to connect to the non-public address {ip}"));
            }
        }
        match url.scheme() {
            "https" => Ok(url),
            "http" if self.allowlist.iter().any(|r| literal.is_some_and(|ip| r.contains(ip))) || self.allows_names_over_http() => Ok(url),
            _ => Err("the URL must use https".into()),
        }
    }

    /// Plain http to a host name is allowed only when loopback is allowlisted (local
    /// development, where `localhost` is the usual name).
    fn allows_names_over_http(&self) -> bool {
        self.allowlist.iter().any(|r| r.contains(IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }
}

/// A resolver that keeps only permitted addresses.
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| policy.permits(a.ip())).collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("refusing to connect to {host}: it resolves to no public address").into();
                return Err(err);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client for plugin endpoints: guarded addresses, no redirects, a timeout.
pub fn client(policy: Arc<OutboundPolicy>, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve names itself, past the guarded resolver.
        .no_proxy()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("Plugboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Validates an endpoint Plugboard will call (a webhook URL, a plugin server) as a plugin registers it:
/// https to a public address, or http to an address the outbound allowlist opens for
/// development. The address is checked again at every connection.
pub fn parse_endpoint_url(raw: &str, policy: &OutboundPolicy) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err("a URL may have at most 2000 characters".into());
    }
    policy.check_url(raw).map_err(|e| format!("{raw:?}: {e}"))?;
    Ok(raw.to_owned())
}

/// Validates a link people follow or load (the author's site, the icon): an absolute
/// https URL, or http on a loopback host for development.
pub fn parse_link(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err("a URL may have at most 2000 characters".into());
    }
    let url = url::Url::parse(raw).map_err(|_| format!("{raw:?} is not an absolute URL"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match url.scheme() {
        "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(raw.to_owned()),
        "http" if loopback => Ok(raw.to_owned()),
        _ => Err(format!("{raw:?} must be an https URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn addresses_that_embed_ipv4_are_not_public() {
        for ip in ["::127.0.0.1", "::10.0.0.1", "::8.8.8.8", "2002:7f00:1::1", "2002:0808:0808::1", "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::a00:1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
            assert!(OutboundPolicy::default().check_url(&format!("https://[{ip}]/hook")).is_err(), "{ip}");
        }
        // Unless allowlisted, like any other address.
        let policy = OutboundPolicy { allowlist: parse_allowlist("2002::/16").unwrap() };
        assert!(policy.permits("2002:7f00:1::1".parse().unwrap()));
    }

    #[test]
    fn proxies_in_the_environment_are_ignored() {
        // A proxy would resolve the plugin's host itself, past the guarded resolver. With
        // one set for every scheme, a request to a closed local port must still fail by
        // connecting there directly (refused), not through the proxy (a 200 from it).
        let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for mut stream in proxy.incoming().flatten() {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\nproxied");
            }
        });
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, format!("http://{proxy_addr}"));
        }
        // An exemption for loopback would let the request pass without the fix.
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }
        let policy = Arc::new(OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() });
        let http = client(policy, Duration::from_secs(5));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answer = runtime.block_on(async { http.get(format!("http://{closed}/hook")).send().await });
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::remove_var(name);
        }
        assert!(answer.is_err(), "the request went through the proxy: {answer:?}");
    }

    #[test]
    fn the_allowlist_opens_exactly_what_it_names() {
        let policy = OutboundPolicy { allowlist: parse_allowlist("127.0.0.1, 10.0.0.0/8").unwrap() };
        assert!(policy.permits("127.0.0.1".parse().unwrap()));
        assert!(policy.permits("10.9.9.9".parse().unwrap()));
        assert!(!policy.permits("127.0.0.2".parse().unwrap()));
        assert!(!policy.permits("192.168.0.1".parse().unwrap()));
        assert!(policy.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(OutboundPolicy::default().check_url("http://127.0.0.1:9000/hook").is_err());
        assert!(OutboundPolicy::default().check_url("https://169.254.169.254/latest").is_err());
        assert!(OutboundPolicy::default().check_url("http://example.com/hook").is_err());
        assert!(OutboundPolicy::default().check_url("https://example.com/hook").is_ok());
        assert!(parse_allowlist("nonsense").is_err());
    }
}
