//! A redirect URI as a plugin registers it. Authorization requests must name one of a
//! plugin's URIs byte for byte: no normalisation, no prefix matching (RFC 9700 §4.1).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// An absolute `https` URL, or `http` on a loopback host for development; no
    /// fragment, no user name or password.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > 2000 {
            return Err("a redirect URI may have at most 2000 characters".into());
        }
        let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not an absolute URL ({e})"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(format!("{raw:?} must use https (http only on 127.0.0.1, [::1] or localhost)")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{raw:?} has no host"));
        }
        if url.fragment().is_some() {
            return Err(format!("{raw:?} must not have a #fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{raw:?} must not carry a user name or password"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This URI with query parameters added (after any it already has).
    pub fn with_params(&self, params: &[(&str, &str)]) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                {
                    let mut query = url.query_pairs_mut();
                    for (k, v) in params {
                        query.append_pair(k, v);
                    }
                }
                url.to_string()
            }
            // Registered URIs always parse; keep the original rather than panic.
            Err(_) => self.0.clone(),
        }
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The registered URI that `requested` names exactly, if any.
pub fn find_registered<'a>(registered: &'a [RedirectUri], requested: &str) -> Option<&'a RedirectUri> {
    registered.iter().find(|r| r.0 == requested)
}

/// How redirect URIs are stored: a JSON array (the store reads it back strictly).
pub fn to_json(uris: &[RedirectUri]) -> String {
    serde_json::to_string(&uris.iter().map(|u| u.0.as_str()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(RedirectUri::parse("https://plugin.example.com/oauth/callback").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:8080/cb").is_ok());
        assert!(RedirectUri::parse("http://plugin.example.com/cb").is_err());
        assert!(RedirectUri::parse("https://plugin.example.com/cb#x").is_err());
        assert!(RedirectUri::parse("https://user:pw@plugin.example.com/cb").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn matching_is_exact() {
        let registered = vec![RedirectUri::parse("https://p.example.com/cb").unwrap()];
        assert!(find_registered(&registered, "https://p.example.com/cb").is_some());
        for other in [
            "https://p.example.com/cb/",
            "https://p.example.com/cb?x=1",
            "https://p.example.com/other",
            "https://p.example.com:8443/cb",
            "http://p.example.com/cb",
            "https://evil@p.example.com/cb",
            "https://P.example.com/cb",
            "https://p.example.com/CB",
        ] {
            assert!(find_registered(&registered, other).is_none(), "{other}");
        }
    }

    #[test]
    fn parameters_are_appended_and_encoded() {
        let uri = RedirectUri::parse("https://p.example.com/cb?tenant=a").unwrap();
        assert_eq!(uri.with_params(&[("code", "x y"), ("state", "a&b=c")]), "https://p.example.com/cb?tenant=a&code=x+y&state=a%26b%3Dc");
    }
}
