//! The plugin form: every field checked at once, each problem named with its field.

use crate::server::oauth::redirect_uri::RedirectUri;
use crate::server::outbound::{self, OutboundPolicy};
use crate::server::plugin_servers::service_oauth::ServiceOAuth;
use crate::server::registry::NewPlugin;
use crate::domain::{Category, PluginForm, PluginSlug, ScopeSet};
use crate::error::FieldError;

const MAX_REDIRECT_URIS: usize = 10;
const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// Checks every field and reports every problem at once, each with its field. The
/// answer is an unpublished plugin of nobody's yet.
pub fn validate(form: &PluginForm, policy: &OutboundPolicy) -> Result<NewPlugin, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError::new(field, message));
        }
    };
    let slug = PluginSlug::parse(form.slug.trim());
    check("slug", slug.as_ref().map(|_| ()).map_err(|_| {
        "Use 2 to 64 lowercase letters, digits and single dashes, starting and ending with a letter or digit.".to_owned()
    }));
    let name = form.name.trim().to_owned();
    check("name", match name.chars().count() {
        2..=60 => Ok(()),
        _ => Err("Give the plugin a name of 2 to 60 characters.".into()),
    });
    let description = form.description.trim().to_owned();
    check("description", match description.chars().count() {
        0 => Err("Describe what the plugin does; Markdown works.".into()),
        n if n > MAX_DESCRIPTION_CHARS => Err("Keep the description under 20,000 characters.".into()),
        _ => Ok(()),
    });
    let author = form.author.trim().to_owned();
    check("author", match author.chars().count() {
        1..=80 => Ok(()),
        _ => Err("Name the author (1 to 80 characters): people see it on the plugin's page.".into()),
    });
    let optional_link = |raw: &str| -> Result<Option<String>, String> {
        if raw.trim().is_empty() { Ok(None) } else { outbound::parse_link(raw).map(Some) }
    };
    let author_url = optional_link(&form.author_url);
    check("author_url", author_url.as_ref().map(|_| ()).map_err(Clone::clone));
    // Either a link, or the address of the icon uploaded for this very plugin.
    let icon_url = if slug.as_ref().is_ok_and(|s| s.is_uploaded_icon_url(form.icon_url.trim())) {
        Ok(Some(form.icon_url.trim().to_owned()))
    } else {
        optional_link(&form.icon_url)
    };
    check("icon_url", icon_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let category = Category::parse(form.category.trim());
    check("category", category.map(|_| ()).ok_or_else(|| "Choose one of the listed categories.".to_owned()));
    let scopes = ScopeSet::parse_oauth(&form.scopes.join(" ")).map_err(|e| format!("{e}; choose from the listed permissions."));
    check("scopes", scopes.as_ref().map(|_| ()).map_err(Clone::clone));
    let lines: Vec<&str> = form.redirect_uris.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let redirect_uris: Result<Vec<RedirectUri>, String> = match lines.len() {
        0 => Err("Add at least one redirect URI: where Plugboard sends the administrator after consent.".into()),
        n if n > MAX_REDIRECT_URIS => Err(format!("Register at most {MAX_REDIRECT_URIS} redirect URIs.")),
        _ => lines.iter().map(|l| RedirectUri::parse(l)).collect(),
    };
    check("redirect_uris", redirect_uris.as_ref().map(|_| ()).map_err(Clone::clone));
    let webhook_url = if form.webhook_url.trim().is_empty() {
        Ok(None)
    } else {
        outbound::parse_endpoint_url(&form.webhook_url, policy).map(Some)
    };
    check("webhook_url", webhook_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let server_url = if form.server_url.trim().is_empty() {
        if form.show_authorization_button || form.monetized || form.processes_content {
            Err("Connect/Logout, license status and content processing are asked of the plugin server: give its URL.".to_owned())
        } else {
            Ok(None)
        }
    } else {
        outbound::parse_endpoint_url(&form.server_url, policy).map(Some)
    };
    check("server_url", server_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let client_origins = crate::server::client_plugins::parse_origins(&form.client_origins);
    check("client_origins", client_origins.as_ref().map(|_| ()).map_err(Clone::clone));
    let settings_schema = settings_schema(&form.settings_schema);
    check("settings_schema", settings_schema.as_ref().map(|_| ()).map_err(Clone::clone));
    let subscriptions = crate::domain::Subscriptions::parse(form.events.iter().map(String::as_str)).map_err(|e| format!("{e}; choose from the listed events."));
    check("events", subscriptions.as_ref().map(|_| ()).map_err(Clone::clone));
    if subscriptions.as_ref().is_ok_and(|s| !s.is_empty()) && webhook_url.as_ref().is_ok_and(Option::is_none) {
        check("events", Err("Events are sent to the webhook URL: give one, or subscribe to none.".into()));
    }
    if let (Ok(subscriptions), Ok(scopes)) = (&subscriptions, &scopes) {
        for event in subscriptions.iter() {
            if let Some(needed) = event.needs().filter(|n| !scopes.allows(*n)) {
                check("events", Err(format!("{event} is sent only to installations that may read it: ask for {needed} (or the matching write permission).")));
            }
        }
    }
    let oauth = ServiceOAuth::parse_form(&form.oauth_authorization_url, &form.oauth_token_url, &form.oauth_client_id, &form.oauth_scopes, policy);
    if let Err(oauth_errors) = &oauth {
        errors.extend(oauth_errors.iter().cloned());
    }

    match (slug, category, scopes, redirect_uris, author_url, icon_url, webhook_url, server_url) {
        (Ok(slug), Some(category), Ok(scopes), Ok(redirect_uris), Ok(author_url), Ok(icon_url), Ok(webhook_url), Ok(server_url))
            if errors.is_empty() =>
        {
            Ok(NewPlugin {
                slug,
                name,
                description,
                author,
                author_url,
                icon_url,
                category,
                scopes,
                redirect_uris,
                webhook_url,
                server_url,
                show_authorization_button: form.show_authorization_button,
                monetized: form.monetized,
                processes_content: form.processes_content,
                oauth: oauth.unwrap_or_default(),
                // Sealed by `create` and `update`, which hold the vault.
                oauth_client_secret: None,
                client_origins: client_origins.unwrap_or_default(),
                settings_schema: settings_schema.unwrap_or_default(),
                subscriptions: subscriptions.unwrap_or_default(),
                private: form.private,
                publish: false,
                verified: false,
                developer_id: None,
            })
        }
        _ => Err(errors),
    }
}

/// The settings schema as stored: the developer's JSON as written (trimmed; its key order
/// is the form's), or `None` when the field is empty. Every problem is listed, one per
/// line.
fn settings_schema(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::server::settings::schema::parse(raw).map_err(|problems| problems.join("\n"))?;
    Ok(Some(raw.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> PluginForm {
        PluginForm {
            slug: "time-keeper".into(),
            name: "Time Keeper".into(),
            description: "Keeps **time**.".into(),
            author: "Clockworks".into(),
            author_url: "https://clockworks.example.com".into(),
            icon_url: String::new(),
            category: "productivity".into(),
            scopes: vec!["read:tasks".into(), "write:tasks".into()],
            redirect_uris: "https://clockworks.example.com/cb\n\nhttp://127.0.0.1:8080/cb\n".into(),
            webhook_url: "https://clockworks.example.com/hooks".into(),
            server_url: String::new(),
            show_authorization_button: false,
            monetized: false,
            ..PluginForm::default()
        }
    }

    fn fields(form: &PluginForm) -> Vec<String> {
        match validate(form, &OutboundPolicy::default()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_good_form_passes() {
        let valid = validate(&good(), &OutboundPolicy::default()).expect("valid");
        assert_eq!(valid.redirect_uris.len(), 2);
        assert_eq!(valid.scopes.to_oauth(), "read:tasks write:tasks");
    }

    #[test]
    fn events_need_a_webhook_url_and_the_read_scope() {
        let events = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let valid = validate(&PluginForm { events: events(&["task.updated", "task.created"]), ..good() }, &OutboundPolicy::default()).expect("valid");
        assert_eq!(valid.subscriptions.describe(), "task.created, task.updated");
        // good() asks for tasks only.
        assert_eq!(fields(&PluginForm { events: events(&["project.created"]), ..good() }), ["events"]);
        assert_eq!(fields(&PluginForm { events: events(&["task.created"]), webhook_url: String::new(), ..good() }), ["events"]);
        assert_eq!(fields(&PluginForm { events: events(&["plugin.installed"]), ..good() }), ["events"]);
        assert_eq!(fields(&PluginForm { events: events(&["task.exploded"]), ..good() }), ["events"]);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = PluginForm {
            slug: "Time Keeper".into(),
            name: "T".into(),
            description: "  ".into(),
            author: String::new(),
            author_url: "http://clockworks.example.com".into(),
            icon_url: "javascript:alert(1)".into(),
            category: "games".into(),
            scopes: vec!["admin:all".into()],
            redirect_uris: "https://ok.example.com/cb\nhttp://evil.example.com/cb".into(),
            webhook_url: "http://hooks.example.com/x".into(),
            server_url: "ftp://plugin.example.com".into(),
            show_authorization_button: false,
            monetized: false,
            ..PluginForm::default()
        };
        assert_eq!(
            fields(&bad),
            ["slug", "name", "description", "author", "author_url", "icon_url", "category", "scopes", "redirect_uris", "webhook_url", "server_url"]
        );
    }

    #[test]
    fn http_webhooks_only_to_allowlisted_development_hosts() {
        let local = PluginForm { webhook_url: "http://127.0.0.1:9000/hooks".into(), ..good() };
        assert_eq!(fields(&local), ["webhook_url"]);
        let policy = OutboundPolicy { allowlist: crate::server::outbound::parse_allowlist("127.0.0.1").unwrap() };
        assert!(validate(&local, &policy).is_ok());
        let private = PluginForm { webhook_url: "https://10.0.0.5/hooks".into(), ..good() };
        assert_eq!(fields(&private), ["webhook_url"]);
    }

    #[test]
    fn only_this_plugins_uploaded_icon_is_a_relative_icon_url() {
        assert!(fields(&PluginForm { icon_url: "/icons/time-keeper?v=1795000000".into(), ..good() }).is_empty());
        for other in ["/icons/other-plugin?v=1", "/icons/time-keeper", "/icons/time-keeper?v=1&x=2", "/elsewhere"] {
            assert_eq!(fields(&PluginForm { icon_url: other.into(), ..good() }), ["icon_url"], "{other}");
        }
    }

    #[test]
    fn connect_and_licenses_need_a_plugin_server() {
        assert_eq!(fields(&PluginForm { monetized: true, ..good() }), ["server_url"]);
        assert_eq!(fields(&PluginForm { processes_content: true, ..good() }), ["server_url"]);
        assert_eq!(fields(&PluginForm { show_authorization_button: true, ..good() }), ["server_url"]);
        let served = PluginForm { server_url: "https://clockworks.example.com/app".into(), monetized: true, show_authorization_button: true, ..good() };
        let valid = validate(&served, &OutboundPolicy::default()).expect("valid");
        assert_eq!(valid.server_url.as_deref(), Some("https://clockworks.example.com/app"));
        assert!(valid.monetized && valid.show_authorization_button);
    }

    #[test]
    fn an_oauth_client_is_checked_with_the_rest_of_the_form() {
        let oauth = PluginForm {
            oauth_authorization_url: "https://svc.example.com/authorize".into(),
            oauth_token_url: "https://10.0.0.8/token".into(),
            ..good()
        };
        assert_eq!(fields(&oauth), ["oauth_token_url", "oauth_client_id"]);
        let oauth = PluginForm { oauth_token_url: "https://svc.example.com/token".into(), oauth_client_id: "plugboard".into(), ..oauth };
        let valid = validate(&oauth, &OutboundPolicy::default()).unwrap();
        assert_eq!(valid.oauth.map(|o| o.token_url), Some("https://svc.example.com/token".to_owned()));
    }

    #[test]
    fn redirect_uris_are_required_and_bounded() {
        assert_eq!(fields(&PluginForm { redirect_uris: " \n ".into(), ..good() }), ["redirect_uris"]);
        let many = (0..11).map(|i| format!("https://x.example.com/{i}")).collect::<Vec<_>>().join("\n");
        assert_eq!(fields(&PluginForm { redirect_uris: many, ..good() }), ["redirect_uris"]);
    }
}
