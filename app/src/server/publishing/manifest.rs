//! `plugboard.toml` (issue 20): a plugin version as a file in the plugin's repository.
//! It holds what the console's form holds (listing, scopes, redirect URIs, URLs, events,
//! settings schema, network origins) and the path of the client-side bundle, and is
//! checked by the form's own rules, so the CLI and the console give the same message for
//! the same mistake. Secrets are never in it: the service's OAuth client secret is typed
//! in the console once and kept.

use crate::domain::PluginForm;
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// The file's name, by convention at the root of the plugin's repository.
pub const FILE_NAME: &str = "plugboard.toml";

/// A plugin version as `plugboard.toml` describes it. Unknown keys are refused, so a typo
/// is an error rather than a setting silently ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon_url: String,
    pub category: String,
    /// Installable only by the organisations the developer invites, never listed.
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webhook_url: String,
    /// Data event types the version subscribes to.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_url: String,
    #[serde(default)]
    pub show_authorization_button: bool,
    #[serde(default)]
    pub monetized: bool,
    #[serde(default)]
    pub processes_content: bool,
    /// Network origins the client-side code may reach.
    #[serde(default)]
    pub client_origins: Vec<String>,
    /// The client-side bundle, relative to the manifest; `plugins deploy` uploads it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_bundle: String,
    /// The settings schema, as JSON text (a multi-line TOML string).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub settings_schema: String,
    /// Plugboard as the OAuth client of the plugin's own service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<ManifestOAuth>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestOAuth {
    pub authorization_url: String,
    pub token_url: String,
    pub client_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Manifest {
    /// Reads the file's text; a syntax error, a missing key or an unknown one is one
    /// problem of the field `manifest`, with its line.
    pub fn parse(text: &str) -> Result<Self, Vec<FieldError>> {
        toml::from_str(text).map_err(|e| {
            let at = e.span().map(|span| format!("line {}: ", text.get(..span.start).unwrap_or(text).matches('\n').count() + 1)).unwrap_or_default();
            vec![FieldError::new("manifest", format!("{at}{}", e.message().trim()))]
        })
    }

    /// The console's form with the same values (the service's secret left empty: the
    /// stored one is kept).
    pub fn to_form(&self) -> PluginForm {
        let oauth = self.oauth.clone().unwrap_or_default();
        PluginForm {
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            author: self.author.clone(),
            author_url: self.author_url.clone(),
            icon_url: self.icon_url.clone(),
            category: self.category.clone(),
            scopes: self.scopes.clone(),
            redirect_uris: self.redirect_uris.join("\n"),
            webhook_url: self.webhook_url.clone(),
            server_url: self.server_url.clone(),
            show_authorization_button: self.show_authorization_button,
            monetized: self.monetized,
            processes_content: self.processes_content,
            oauth_authorization_url: oauth.authorization_url,
            oauth_token_url: oauth.token_url,
            oauth_client_id: oauth.client_id,
            oauth_client_secret: String::new(),
            oauth_scopes: oauth.scopes.join(" "),
            client_origins: self.client_origins.join("\n"),
            settings_schema: self.settings_schema.clone(),
            events: self.events.clone(),
            private: self.private,
        }
    }

    /// The manifest of a version as the console's form shows it (its export).
    pub fn of_form(form: &PluginForm, client_bundle: Option<&str>) -> Self {
        let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let oauth = (!form.oauth_authorization_url.is_empty()).then(|| ManifestOAuth {
            authorization_url: form.oauth_authorization_url.clone(),
            token_url: form.oauth_token_url.clone(),
            client_id: form.oauth_client_id.clone(),
            scopes: form.oauth_scopes.split_whitespace().map(str::to_owned).collect(),
        });
        Manifest {
            slug: form.slug.clone(),
            name: form.name.clone(),
            description: form.description.clone(),
            author: form.author.clone(),
            author_url: form.author_url.clone(),
            icon_url: form.icon_url.clone(),
            category: form.category.clone(),
            private: form.private,
            scopes: form.scopes.clone(),
            redirect_uris: lines(&form.redirect_uris),
            webhook_url: form.webhook_url.clone(),
            events: form.events.clone(),
            server_url: form.server_url.clone(),
            show_authorization_button: form.show_authorization_button,
            monetized: form.monetized,
            processes_content: form.processes_content,
            client_origins: lines(&form.client_origins),
            client_bundle: client_bundle.unwrap_or_default().to_owned(),
            settings_schema: form.settings_schema.clone(),
            oauth,
        }
    }

    /// The file's text.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let body = toml::to_string(self)?;
        Ok(format!("# {FILE_NAME}: one version of a Plugboard plugin. `server plugins validate|diff|deploy` read it;\n# the API guide's \"plugboard.toml\" section lists every key.\n\n{body}"))
    }

    /// Where a form rule's field is in the file.
    pub fn key_of(field: &str) -> String {
        match field.strip_prefix("oauth_") {
            Some(rest) => format!("oauth.{rest}"),
            None => field.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
slug = "task-sync"
name = "Task Sync"
description = "Keeps tasks in step."
author = "Robot Works"
category = "automation"
scopes = ["read:projects", "write:tasks"]
redirect_uris = ["https://sync.example.com/callback"]
webhook_url = "https://sync.example.com/hooks"
events = ["task.created"]
client_bundle = "dist/plugin.js"
settings_schema = '''
{"type": "object", "properties": {"channel": {"type": "string"}}}
'''

[oauth]
authorization_url = "https://svc.example.com/authorize"
token_url = "https://svc.example.com/token"
client_id = "plugboard"
scopes = ["read"]
"#;

    #[test]
    fn a_manifest_reads_into_the_consoles_form_and_back() {
        let manifest = Manifest::parse(EXAMPLE).unwrap();
        let form = manifest.to_form();
        assert_eq!(form.redirect_uris, "https://sync.example.com/callback");
        assert_eq!(form.oauth_token_url, "https://svc.example.com/token");
        assert_eq!(form.events, ["task.created"]);
        let again = Manifest::parse(&Manifest::of_form(&form, Some("dist/plugin.js")).to_toml().unwrap()).unwrap();
        assert_eq!(again, manifest);
    }

    #[test]
    fn unknown_keys_and_bad_syntax_say_where() {
        let typo = EXAMPLE.replace("webhook_url =", "webhok_url =");
        let problems = Manifest::parse(&typo).unwrap_err();
        assert_eq!(problems[0].field, "manifest");
        assert!(problems[0].message.contains("webhok_url"), "{problems:?}");
        let broken = Manifest::parse("slug = \"a\"\nname = ").unwrap_err();
        assert!(broken[0].message.starts_with("line 2"), "{broken:?}");
        // An unknown key at the start of its line is reported on that line.
        let unknown = Manifest::parse("slug = \"a\"\ncolour = 1\n").unwrap_err();
        assert!(unknown[0].message.starts_with("line 2"), "{unknown:?}");
        assert_eq!(Manifest::key_of("oauth_token_url"), "oauth.token_url");
    }
}
