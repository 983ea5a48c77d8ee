use serde::{Deserialize, Serialize};

/// A plugin's URL name: 2 to 64 characters of `a-z`, `0-9` and single inner `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PluginSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a slug is 2 to 64 characters of lowercase letters, digits and single dashes, starting and ending with a letter or digit")]
pub struct InvalidSlug;

impl PluginSlug {
    pub fn parse(raw: &str) -> Result<Self, InvalidSlug> {
        let ok_len = (2..=64).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_dashes = !raw.starts_with('-') && !raw.ends_with('-') && !raw.contains("--");
        if ok_len && ok_chars && ok_dashes {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where an icon uploaded for this plugin is served; the version changes with every
    /// upload, so it can be cached for good.
    pub fn uploaded_icon_url(&self, version: i64) -> String {
        format!("/icons/{}?v={version}", self.0)
    }

    /// Whether `url` is the address of an icon uploaded for this very plugin.
    pub fn is_uploaded_icon_url(&self, url: &str) -> bool {
        url.strip_prefix("/icons/")
            .and_then(|rest| rest.strip_prefix(self.0.as_str()))
            .and_then(|rest| rest.strip_prefix("?v="))
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl TryFrom<String> for PluginSlug {
    type Error = InvalidSlug;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PluginSlug> for String {
    fn from(slug: PluginSlug) -> Self {
        slug.0
    }
}

impl std::fmt::Display for PluginSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_slugs() {
        for ok in ["ab", "github-sync", "a1-b2-c3", "x9"] {
            assert!(PluginSlug::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_slugs() {
        let long = "a".repeat(65);
        for bad in ["", "a", "-ab", "ab-", "a--b", "Ab", "a_b", "a b", "ä-b", long.as_str()] {
            assert!(PluginSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
