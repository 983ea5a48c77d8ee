//! The settings schema a version declares: a small subset of JSON Schema (documented in
//! the API guide), read strictly. Anything outside the subset is refused with a message
//! that says where and why, so a developer never finds out at an admin's form that a
//! keyword was silently ignored. And the values: each checked against its field, both
//! when an admin saves and when a stored value is read under a newer schema.

use crate::domain::{Email, SettingField, SettingKind, SettingsSchema, TextFormat};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// The largest schema text accepted.
pub const MAX_SCHEMA_BYTES: usize = 32 * 1024;
/// The most settings one version declares.
pub const MAX_FIELDS: usize = 50;
/// The longest string setting, whatever `maxLength` says.
pub const MAX_TEXT_CHARS: u64 = 10_000;
const MAX_PATTERN_CHARS: usize = 500;
const MAX_CHOICES: usize = 100;
const MAX_TITLE_CHARS: usize = 80;
const MAX_DESCRIPTION_CHARS: usize = 500;

const TOP_KEYWORDS: [&str; 7] = ["$schema", "type", "title", "description", "properties", "required", "additionalProperties"];
const COMMON: [&str; 4] = ["type", "title", "description", "default"];
const STRING_KEYWORDS: [&str; 6] = ["minLength", "maxLength", "pattern", "format", "enum", "x-secret"];
const INTEGER_KEYWORDS: [&str; 4] = ["minimum", "maximum", "enum", "x-source"];
const NUMBER_KEYWORDS: [&str; 2] = ["minimum", "maximum"];

/// Reads a schema as a developer writes it; every problem at once, each saying where.
pub fn parse(text: &str) -> Result<SettingsSchema, Vec<String>> {
    if text.len() > MAX_SCHEMA_BYTES {
        return Err(vec![format!("The schema is {} bytes; keep it under {} KiB.", text.len(), MAX_SCHEMA_BYTES / 1024)]);
    }
    let root: Value = serde_json::from_str(text).map_err(|e| vec![format!("The schema is not valid JSON: {e}.")])?;
    let Value::Object(root) = root else {
        return Err(vec!["The schema must be a JSON object with \"type\": \"object\" and \"properties\".".into()]);
    };
    let mut problems = Vec::new();
    for key in root.keys().filter(|k| !TOP_KEYWORDS.contains(&k.as_str())) {
        problems.push(format!("Unknown keyword \"{key}\" at the top level; allowed: {}.", TOP_KEYWORDS.join(", ")));
    }
    if root.get("type") != Some(&Value::from("object")) {
        problems.push("The top level needs \"type\": \"object\".".into());
    }
    match root.get("additionalProperties") {
        None | Some(Value::Bool(false)) => {}
        Some(_) => problems.push("\"additionalProperties\" can only be false: settings outside \"properties\" are always refused.".into()),
    }
    for key in ["title", "description"] {
        if root.get(key).is_some_and(|v| !v.is_string()) {
            problems.push(format!("\"{key}\" must be a string."));
        }
    }
    let properties = match root.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            problems.push("\"properties\" must be an object: each key a setting, each value its schema.".into());
            Map::new()
        }
        None => {
            problems.push("The schema needs \"properties\": one entry per setting.".into());
            Map::new()
        }
    };
    if properties.len() > MAX_FIELDS {
        problems.push(format!("Declare at most {MAX_FIELDS} settings (this schema has {}).", properties.len()));
    }
    let required: Vec<String> = match root.get("required") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(|n| match n.as_str() {
                Some(name) if properties.contains_key(name) => Some(name.to_owned()),
                Some(name) => {
                    problems.push(format!("\"required\" names \"{name}\", which is not in \"properties\"."));
                    None
                }
                None => {
                    problems.push("\"required\" must list property names (strings).".into());
                    None
                }
            })
            .collect(),
        Some(_) => {
            problems.push("\"required\" must be an array of property names.".into());
            Vec::new()
        }
    };
    // `Value` keeps keys sorted; the form shows them in the order written.
    let mut order = serde_json::from_str::<PropertyOrder>(text).map(|o| o.properties.0).unwrap_or_default();
    // Should the order not cover every property (a key written twice), none is lost.
    order.extend(properties.keys().filter(|k| !order.contains(k)).cloned().collect::<Vec<_>>());
    let mut fields = Vec::new();
    for key in order.iter().filter(|k| properties.contains_key(k.as_str())) {
        if fields.iter().any(|f: &SettingField| &f.key == key) {
            continue;
        }
        if !is_key(key) {
            problems.push(format!(
                "\"{key}\" cannot be a setting's name: use a letter, then letters, digits or underscores (at most 64)."
            ));
            continue;
        }
        match field(key, &properties[key.as_str()], required.contains(key)) {
            Ok(f) => fields.push(f),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(SettingsSchema { fields })
    } else {
        Err(problems)
    }
}

/// A schema as stored (what `parse` accepted before): its fields, or `None` for a text
/// that no longer parses. Every installation of a plugin reads the same few texts, so
/// each is parsed once per process.
pub fn stored(text: &str) -> Option<SettingsSchema> {
    static PARSED: Mutex<Option<HashMap<String, SettingsSchema>>> = Mutex::new(None);
    if let Some(hit) = PARSED.lock().ok().and_then(|cache| cache.as_ref().and_then(|c| c.get(text).cloned())) {
        return Some(hit);
    }
    let schema = parse(text).ok()?;
    if let Ok(mut cache) = PARSED.lock() {
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(text.to_owned(), schema.clone());
    }
    Some(schema)
}

/// How many parsed schemas and compiled patterns a process keeps (then starts again).
const CACHED: usize = 256;

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64 && chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn field(key: &str, schema: &Value, required: bool) -> Result<SettingField, Vec<String>> {
    let at = |what: &str| format!("properties.{key}: {what}");
    let Value::Object(schema) = schema else {
        return Err(vec![at("must be an object such as {\"type\": \"string\"}.")]);
    };
    let mut problems = Vec::new();
    let kind_name = schema.get("type").and_then(Value::as_str).unwrap_or("");
    let specific: &[&str] = match kind_name {
        "string" => &STRING_KEYWORDS,
        "integer" => &INTEGER_KEYWORDS,
        "number" => &NUMBER_KEYWORDS,
        "boolean" => &[],
        _ => {
            return Err(vec![at("\"type\" must be \"string\", \"integer\", \"number\" or \"boolean\".")]);
        }
    };
    for keyword in schema.keys().filter(|k| !COMMON.contains(&k.as_str()) && !specific.contains(&k.as_str())) {
        let allowed: Vec<&str> = COMMON.iter().chain(specific).copied().collect();
        problems.push(at(&format!("unknown keyword \"{keyword}\" for a {kind_name}; allowed: {}.", allowed.join(", "))));
    }
    let text = |name: &str, max: usize, problems: &mut Vec<String>| -> Option<String> {
        match schema.get(name) {
            None => None,
            Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
            Some(Value::String(_)) => {
                problems.push(at(&format!("\"{name}\" is longer than {max} characters.")));
                None
            }
            Some(_) => {
                problems.push(at(&format!("\"{name}\" must be a string.")));
                None
            }
        }
    };
    let title = text("title", MAX_TITLE_CHARS, &mut problems).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| key.to_owned());
    let description = text("description", MAX_DESCRIPTION_CHARS, &mut problems).filter(|t| !t.trim().is_empty());
    let kind = match kind_name {
        "string" => string_kind(schema, &at, &mut problems),
        "integer" => integer_kind(schema, &at, &mut problems),
        "number" => number_kind(schema, &at, &mut problems),
        _ => match schema.get("default") {
            None => Some(SettingKind::Boolean { default: None }),
            Some(Value::Bool(b)) => Some(SettingKind::Boolean { default: Some(*b) }),
            Some(_) => {
                problems.push(at("\"default\" must be true or false."));
                None
            }
        },
    };
    match kind {
        Some(kind) if problems.is_empty() => {
            let field = SettingField { key: key.to_owned(), title, description, required, kind };
            // The default must itself be a value the field accepts.
            if let Some(default) = default_of(&field.kind) {
                if let Err(why) = check(&field, &default) {
                    return Err(vec![at(&format!("\"default\" does not fit: {why}"))]);
                }
            }
            Ok(field)
        }
        _ => Err(problems),
    }
}

fn non_negative(schema: &Map<String, Value>, name: &str, at: &dyn Fn(&str) -> String, problems: &mut Vec<String>) -> Option<u64> {
    let value = schema.get(name)?;
    match value.as_u64() {
        Some(n) if n <= MAX_TEXT_CHARS => Some(n),
        Some(_) => {
            problems.push(at(&format!("\"{name}\" can be at most {MAX_TEXT_CHARS}.")));
            None
        }
        None => {
            problems.push(at(&format!("\"{name}\" must be a whole number, 0 or more.")));
            None
        }
    }
}

fn string_kind(schema: &Map<String, Value>, at: &dyn Fn(&str) -> String, problems: &mut Vec<String>) -> Option<SettingKind> {
    let min_length = non_negative(schema, "minLength", at, problems);
    let max_length = non_negative(schema, "maxLength", at, problems);
    if let (Some(min), Some(max)) = (min_length, max_length) {
        if min > max {
            problems.push(at("\"minLength\" is more than \"maxLength\"."));
        }
    }
    let pattern = match schema.get("pattern") {
        None => None,
        Some(Value::String(p)) if p.chars().count() > MAX_PATTERN_CHARS => {
            problems.push(at(&format!("\"pattern\" is longer than {MAX_PATTERN_CHARS} characters.")));
            None
        }
        Some(Value::String(p)) => match compile(p) {
            Ok(_) => Some(p.clone()),
            Err(why) => {
                problems.push(at(&format!("\"pattern\" is not a valid regular expression: {why}")));
                None
            }
        },
        Some(_) => {
            problems.push(at("\"pattern\" must be a string."));
            None
        }
    };
    let format = match schema.get("format") {
        None => None,
        Some(Value::String(f)) if f == "uri" => Some(TextFormat::Uri),
        Some(Value::String(f)) if f == "email" => Some(TextFormat::Email),
        Some(_) => {
            problems.push(at("\"format\" can be \"uri\" or \"email\"."));
            None
        }
    };
    let secret = match schema.get("x-secret") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push(at("\"x-secret\" must be true or false."));
            false
        }
    };
    let choices = match schema.get("enum") {
        None => Vec::new(),
        Some(Value::Array(items)) if (1..=MAX_CHOICES).contains(&items.len()) => {
            let strings: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_owned)).collect();
            match strings {
                Some(s) if distinct(&s) => s,
                Some(_) => {
                    problems.push(at("\"enum\" lists a value twice."));
                    Vec::new()
                }
                None => {
                    problems.push(at("\"enum\" of a string setting must list strings."));
                    Vec::new()
                }
            }
        }
        Some(_) => {
            problems.push(at(&format!("\"enum\" must be an array of 1 to {MAX_CHOICES} values.")));
            Vec::new()
        }
    };
    let default = match schema.get("default") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push(at("\"default\" of a string setting must be a string."));
            None
        }
    };
    if secret && (default.is_some() || !choices.is_empty()) {
        problems.push(at("a secret (\"x-secret\": true) has no \"default\" or \"enum\": nobody may see its value."));
    }
    Some(SettingKind::Text { min_length, max_length, pattern, format, choices, default, secret })
}

fn integer_kind(schema: &Map<String, Value>, at: &dyn Fn(&str) -> String, problems: &mut Vec<String>) -> Option<SettingKind> {
    match schema.get("x-source") {
        None => {}
        Some(Value::String(s)) if s == "projects" => {
            if schema.keys().any(|k| matches!(k.as_str(), "minimum" | "maximum" | "enum" | "default")) {
                problems.push(at("a project setting (\"x-source\": \"projects\") takes no \"minimum\", \"maximum\", \"enum\" or \"default\"."));
            }
            return Some(SettingKind::Project);
        }
        Some(_) => {
            problems.push(at("\"x-source\" can only be \"projects\"."));
            return None;
        }
    }
    let int = |name: &str, problems: &mut Vec<String>| -> Option<i64> {
        let v = schema.get(name)?;
        // `1.0` is a whole number too.
        let n = v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64));
        if n.is_none() {
            problems.push(at(&format!("\"{name}\" of an integer setting must be a whole number.")));
        }
        n
    };
    let minimum = int("minimum", problems);
    let maximum = int("maximum", problems);
    if let (Some(min), Some(max)) = (minimum, maximum) {
        if min > max {
            problems.push(at("\"minimum\" is more than \"maximum\"."));
        }
    }
    let default = int("default", problems);
    let choices = match schema.get("enum") {
        None => Vec::new(),
        Some(Value::Array(items)) if (1..=MAX_CHOICES).contains(&items.len()) => {
            match items.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>() {
                Some(n) if distinct(&n) => n,
                Some(_) => {
                    problems.push(at("\"enum\" lists a value twice."));
                    Vec::new()
                }
                None => {
                    problems.push(at("\"enum\" of an integer setting must list whole numbers."));
                    Vec::new()
                }
            }
        }
        Some(_) => {
            problems.push(at(&format!("\"enum\" must be an array of 1 to {MAX_CHOICES} values.")));
            Vec::new()
        }
    };
    Some(SettingKind::Integer { minimum, maximum, choices, default })
}

fn number_kind(schema: &Map<String, Value>, at: &dyn Fn(&str) -> String, problems: &mut Vec<String>) -> Option<SettingKind> {
    let num = |name: &str, problems: &mut Vec<String>| -> Option<f64> {
        let v = schema.get(name)?;
        let n = v.as_f64();
        if n.is_none() {
            problems.push(at(&format!("\"{name}\" of a number setting must be a number.")));
        }
        n
    };
    let minimum = num("minimum", problems);
    let maximum = num("maximum", problems);
    if let (Some(min), Some(max)) = (minimum, maximum) {
        if min > max {
            problems.push(at("\"minimum\" is more than \"maximum\"."));
        }
    }
    let default = num("default", problems);
    Some(SettingKind::Number { minimum, maximum, default })
}

fn distinct<T: PartialEq>(items: &[T]) -> bool {
    items.iter().enumerate().all(|(i, a)| !items[..i].contains(a))
}

/// A pattern compiled once per process.
fn compile(pattern: &str) -> Result<regex::Regex, String> {
    static COMPILED: Mutex<Option<HashMap<String, regex::Regex>>> = Mutex::new(None);
    if let Some(hit) = COMPILED.lock().ok().and_then(|cache| cache.as_ref().and_then(|c| c.get(pattern).cloned())) {
        return Ok(hit);
    }
    let regex = build(pattern)?;
    if let Ok(mut cache) = COMPILED.lock() {
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), regex.clone());
    }
    Ok(regex)
}

fn build(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).build().map_err(|e| {
        // The crate's message spans lines with a caret; its last line says what is wrong.
        let text = e.to_string();
        text.lines().filter(|l| !l.trim().is_empty()).last().unwrap_or("invalid").trim().trim_start_matches("error: ").to_owned()
    })
}

/// The value a field has when nobody set one.
pub fn default_of(kind: &SettingKind) -> Option<Value> {
    match kind {
        SettingKind::Text { default, .. } => default.clone().map(Value::from),
        SettingKind::Integer { default, .. } => default.map(Value::from),
        SettingKind::Number { default, .. } => default.map(Value::from),
        SettingKind::Boolean { default } => default.map(Value::from),
        SettingKind::Project => None,
    }
}

/// Checks a typed value against its field (a project's existence is the caller's to
/// check, with the tenant's projects at hand). The message reads after the field's name.
pub fn check(field: &SettingField, value: &Value) -> Result<(), String> {
    match (&field.kind, value) {
        (SettingKind::Text { min_length, max_length, pattern, format, choices, .. }, Value::String(s)) => {
            let chars = s.chars().count() as u64;
            if chars > max_length.unwrap_or(MAX_TEXT_CHARS).min(MAX_TEXT_CHARS) {
                return Err(format!("Use at most {} characters.", max_length.unwrap_or(MAX_TEXT_CHARS).min(MAX_TEXT_CHARS)));
            }
            if let Some(min) = min_length.filter(|min| chars < *min) {
                return Err(format!("Use at least {min} characters."));
            }
            if !choices.is_empty() && !choices.contains(s) {
                return Err(format!("Choose one of: {}.", choices.join(", ")));
            }
            match format {
                // Links an organisation gives a plugin: web addresses only (no `javascript:`).
                Some(TextFormat::Uri) if !url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some()) => {
                    return Err("Enter a full web address, such as https://example.com/path.".into());
                }
                Some(TextFormat::Email) if Email::parse(s).is_err() => return Err("Enter an email address, such as name@example.com.".into()),
                _ => {}
            }
            if let Some(p) = pattern {
                let matches = compile(p).map(|re| re.is_match(s)).unwrap_or(false);
                if !matches {
                    return Err(format!("Enter a value that matches the pattern {p}."));
                }
            }
            Ok(())
        }
        (SettingKind::Integer { minimum, maximum, choices, .. }, v) => {
            let Some(n) = v.as_i64() else { return Err("Enter a whole number.".into()) };
            if minimum.is_some_and(|min| n < min) || maximum.is_some_and(|max| n > max) {
                return Err(bounds(minimum.map(|m| m.to_string()), maximum.map(|m| m.to_string())));
            }
            if !choices.is_empty() && !choices.contains(&n) {
                let listed: Vec<String> = choices.iter().map(i64::to_string).collect();
                return Err(format!("Choose one of: {}.", listed.join(", ")));
            }
            Ok(())
        }
        (SettingKind::Number { minimum, maximum, .. }, v) => {
            let Some(n) = v.as_f64().filter(|n| n.is_finite()) else { return Err("Enter a number.".into()) };
            if minimum.is_some_and(|min| n < min) || maximum.is_some_and(|max| n > max) {
                return Err(bounds(minimum.map(|m| m.to_string()), maximum.map(|m| m.to_string())));
            }
            Ok(())
        }
        (SettingKind::Boolean { .. }, Value::Bool(_)) => Ok(()),
        (SettingKind::Boolean { .. }, _) => Err("Choose yes or no.".into()),
        (SettingKind::Project, v) if v.as_i64().is_some_and(|n| n > 0) => Ok(()),
        (SettingKind::Project, _) => Err("Choose one of your organisation's projects.".into()),
        (SettingKind::Text { .. }, _) => Err("Enter text.".into()),
    }
}

fn bounds(min: Option<String>, max: Option<String>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("Enter a value from {min} to {max}."),
        (Some(min), None) => format!("Enter {min} or more."),
        (None, Some(max)) => format!("Enter {max} or less."),
        (None, None) => "Enter a number.".into(),
    }
}

/// What a form's text becomes for a field: `None` for an empty entry (no value), or the
/// typed value, not yet checked against the field's constraints.
pub fn from_form(field: &SettingField, raw: &str) -> Result<Option<Value>, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let value = match &field.kind {
        // Text is kept as typed: leading spaces may matter to a secret or a pattern.
        SettingKind::Text { secret: true, .. } => Value::from(raw),
        SettingKind::Text { .. } => Value::from(trimmed),
        SettingKind::Integer { .. } | SettingKind::Project => {
            Value::from(trimmed.parse::<i64>().map_err(|_| "Enter a whole number.".to_owned())?)
        }
        SettingKind::Number { .. } => {
            let n = trimmed.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| "Enter a number.".to_owned())?;
            serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(|| "Enter a number.".to_owned())?
        }
        SettingKind::Boolean { .. } => match trimmed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err("Choose yes or no.".into()),
        },
    };
    Ok(Some(value))
}

/// How a stored value shows in the form.
pub fn to_form(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The keys of `properties` in the order they are written.
#[derive(Deserialize)]
struct PropertyOrder {
    #[serde(default)]
    properties: OrderedKeys,
}

#[derive(Default)]
struct OrderedKeys(Vec<String>);

impl<'de> Deserialize<'de> for OrderedKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = OrderedKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(OrderedKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value) -> Vec<String> {
        parse(&schema.to_string()).err().unwrap_or_default()
    }

    #[test]
    fn every_supported_keyword_parses_in_the_order_written() {
        // Text: `json!` would sort the keys.
        let schema = r##"{
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "Sync",
            "properties": {
                "project": {"type": "integer", "x-source": "projects", "title": "Project to sync"},
                "channel": {"type": "string", "minLength": 2, "maxLength": 40, "pattern": "^#[a-z0-9-]+$", "default": "#general"},
                "api_key": {"type": "string", "x-secret": true, "description": "From the other service's settings."},
                "site": {"type": "string", "format": "uri"},
                "notify": {"type": "string", "format": "email"},
                "mode": {"type": "string", "enum": ["daily", "hourly"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                "size": {"type": "integer", "enum": [1, 2, 3]},
                "ratio": {"type": "number", "minimum": 0, "maximum": 1.5},
                "enabled": {"type": "boolean", "default": true}
            },
            "required": ["project", "api_key"],
            "additionalProperties": false
        }"##;
        let parsed = parse(schema).unwrap();
        let keys: Vec<&str> = parsed.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["project", "channel", "api_key", "site", "notify", "mode", "limit", "size", "ratio", "enabled"]);
        assert!(parsed.field("project").unwrap().required && parsed.field("api_key").unwrap().is_secret());
        assert_eq!(parsed.field("project").unwrap().kind, SettingKind::Project);
        assert_eq!(parsed.field("channel").unwrap().title, "channel", "the key when there is no title");
    }

    #[test]
    fn each_bad_schema_says_what_is_wrong_and_where() {
        let cases = [
            (json!([1]), "must be a JSON object"),
            (json!({"type": "object", "properties": {}, "oneOf": []}), "Unknown keyword \"oneOf\" at the top level"),
            (json!({"type": "array", "properties": {}}), "\"type\": \"object\""),
            (json!({"type": "object"}), "needs \"properties\""),
            (json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}}), "properties.a: \"pattern\" is not a valid regular expression"),
            (json!({"type": "object", "properties": {"a": {"type": "string", "maxLen": 3}}}), "properties.a: unknown keyword \"maxLen\" for a string"),
            (json!({"type": "object", "properties": {"a": {"type": "array"}}}), "properties.a: \"type\" must be"),
            (json!({"type": "object", "properties": {"a": {"type": "string", "format": "date"}}}), "\"format\" can be \"uri\" or \"email\""),
            (json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}), "\"required\" names \"b\""),
            (json!({"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1}}}), "\"minimum\" is more than \"maximum\""),
            (json!({"type": "object", "properties": {"a": {"type": "integer", "maximum": 3, "default": 9}}}), "\"default\" does not fit"),
            (json!({"type": "object", "properties": {"a": {"type": "string", "x-secret": true, "default": "k"}}}), "a secret"),
            (json!({"type": "object", "properties": {"a": {"type": "string", "x-source": "projects"}}}), "unknown keyword \"x-source\" for a string"),
            (json!({"type": "object", "properties": {"a": {"type": "integer", "x-source": "users"}}}), "\"x-source\" can only be \"projects\""),
            (json!({"type": "object", "properties": {"a b": {"type": "string"}}}), "cannot be a setting's name"),
            (json!({"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "x"]}}}), "lists a value twice"),
            (json!({"type": "object", "properties": {"a": {"type": "boolean", "default": "yes"}}}), "must be true or false"),
            (json!({"type": "object", "properties": {}, "additionalProperties": true}), "\"additionalProperties\" can only be false"),
        ];
        for (schema, expected) in cases {
            let found = problems(schema.clone());
            assert!(found.iter().any(|p| p.contains(expected)), "{schema}: expected {expected:?}, got {found:?}");
        }
        assert!(parse("{\"type\": ").unwrap_err()[0].starts_with("The schema is not valid JSON"));
    }

    #[test]
    fn values_are_checked_against_every_constraint() {
        let schema = parse(
            &json!({"type": "object", "properties": {
                "channel": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^#"},
                "site": {"type": "string", "format": "uri"},
                "mail": {"type": "string", "format": "email"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10},
                "ratio": {"type": "number", "minimum": 0.5},
                "on": {"type": "boolean"},
                "project": {"type": "integer", "x-source": "projects"}
            }})
            .to_string(),
        )
        .unwrap();
        let verdict = |key: &str, raw: &str| -> Result<(), String> {
            let field = schema.field(key).unwrap();
            let value = from_form(field, raw)?.expect("a value");
            check(field, &value)
        };
        assert!(verdict("channel", "#ab").is_ok());
        assert_eq!(verdict("channel", "#").unwrap_err(), "Use at least 2 characters.");
        assert_eq!(verdict("channel", "#abcdef").unwrap_err(), "Use at most 5 characters.");
        assert!(verdict("channel", "ab").unwrap_err().contains("pattern ^#"));
        assert!(verdict("site", "https://example.com/x").is_ok());
        assert!(verdict("site", "example.com").is_err());
        assert!(verdict("mail", "a@example.com").is_ok());
        assert!(verdict("mail", "not an address").is_err());
        assert!(verdict("mode", "b").is_ok());
        assert_eq!(verdict("mode", "c").unwrap_err(), "Choose one of: a, b.");
        assert!(verdict("limit", "10").is_ok());
        assert_eq!(verdict("limit", "11").unwrap_err(), "Enter a value from 1 to 10.");
        assert_eq!(verdict("limit", "1.5").unwrap_err(), "Enter a whole number.");
        assert!(verdict("ratio", "0.75").is_ok());
        assert_eq!(verdict("ratio", "0.25").unwrap_err(), "Enter 0.5 or more.");
        assert_eq!(verdict("ratio", "NaN").unwrap_err(), "Enter a number.");
        assert!(verdict("on", "true").is_ok());
        assert_eq!(verdict("on", "yes").unwrap_err(), "Choose yes or no.");
        assert!(verdict("project", "7").is_ok());
        assert!(verdict("project", "-1").is_err());
        assert_eq!(from_form(schema.field("limit").unwrap(), "  "), Ok(None), "empty is no value");
    }
}
