//! The address of the client behind a request, for throttles keyed by source. The
//! socket's peer, unless that peer is one of the configured trusted proxies
//! (`PLUGBOARD_TRUSTED_PROXIES`): then the nearest address in `X-Forwarded-For` that is
//! not itself a trusted proxy. A header from anyone else is ignored, so a client cannot
//! pick the address it is counted under.

use super::outbound::IpRange;
use super::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client address of a request whose socket peer is `peer`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Each proxy appends the address it received the request from: read from the right,
    // and the first address no trusted proxy accounts for is the client.
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return ip,
            // Garbage from beyond the proxies: the nearest address known is the best we have.
            None => return client,
        }
    }
    client
}

/// The key a throttle counts an address under: an IPv4 address as it is, an IPv6 one by
/// its /64 (one subscriber's network holds 2^64 addresses, each of which would otherwise
/// get an allowance of its own), an IPv4-mapped one as the IPv4 address it is.
pub fn throttle_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    hop.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

/// The request's client address, as an axum extractor (`None` without a socket address,
/// as in a router called directly rather than served).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(of_parts(parts, &state.settings.trusted_proxies)))
    }
}

fn of_parts(parts: &Parts, trusted: &[IpRange]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(resolve(peer, &parts.headers, trusted))
}

/// The client address inside a server function.
pub async fn of_server_fn(state: &AppState) -> Option<IpAddr> {
    let parts = leptos::prelude::use_context::<Parts>()?;
    of_parts(&parts, &state.settings.trusted_proxies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::outbound::parse_allowlist;
    use axum::http::HeaderValue;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn ipv6_addresses_are_throttled_by_their_64() {
        let key = |s: &str| throttle_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:eeee:dddd:cccc"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted = parse_allowlist("10.0.0.0/8").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // No proxy configured, or a peer that is not one: the socket decides.
        assert_eq!(resolve(ip("203.0.113.9"), &forwarded(&["1.2.3.4"]), &[]), ip("203.0.113.9"));
        assert_eq!(resolve(ip("203.0.113.9"), &forwarded(&["1.2.3.4"]), &trusted), ip("203.0.113.9"));
        // Behind the proxy: the nearest untrusted hop, whatever the client put before it.
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&["1.2.3.4"]), &trusted), ip("1.2.3.4"));
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&["6.6.6.6, 1.2.3.4"]), &trusted), ip("1.2.3.4"));
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&["6.6.6.6", "1.2.3.4, 10.0.0.7"]), &trusted), ip("1.2.3.4"));
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&["[2001:db8::1]:443"]), &trusted), ip("2001:db8::1"));
        // Nothing usable: the proxy itself.
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&[]), &trusted), ip("10.0.0.2"));
        assert_eq!(resolve(ip("10.0.0.2"), &forwarded(&["nonsense"]), &trusted), ip("10.0.0.2"));
    }
}
