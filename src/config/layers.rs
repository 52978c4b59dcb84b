//! Layers the settings with figment: declared default < config file < environment variable <
//! flag, then reads the typed [`SettingArgs`] out of the result.

use std::path::Path;

use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::ConfigError;
use super::command_line::{RawLayer, declared_defaults};
use super::declared::SettingArgs;

/// Settings whose values must never be repeated in an error.
const SECRETS: &[&str] = &["jwt_secret"];

/// One named source of settings.
struct Layer {
    name: String,
    values: Dict,
}

impl Layer {
    /// Text values are read leniently ("30" is a number, "yes" a boolean), as from a shell.
    fn raw(name: &str, values: &RawLayer) -> Layer {
        Layer {
            name: name.to_string(),
            values: values
                .iter()
                .map(|(key, value)| (key.clone(), Value::from(value.clone())))
                .collect(),
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// Reads the config file at `path` into a layer; an unreadable or malformed file is refused.
fn file_layer(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            "FRONTDESK_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new("FRONTDESK_CONFIG", toml_error(&text, &e))
    })?;
    let values = match Value::serialize(table) {
        Ok(Value::Dict(_, values)) => values,
        _ => {
            return Err(ConfigError::new(
                "FRONTDESK_CONFIG",
                "not a table of settings",
            ));
        }
    };
    Ok(Layer {
        name: format!("config file {}", path.display()),
        values,
    })
}

/// TOML's own message with its line number; it can quote the bad value, so not when that may be
/// a secret's.
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let names_secret = |line: &str| SECRETS.iter().any(|key| line.trim_start().starts_with(key));
    let Some(span) = error.span() else {
        return if text.lines().any(names_secret) {
            "not valid TOML".to_string()
        } else {
            error.message().to_string()
        };
    };
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let number = text[..span.start].matches('\n').count() + 1;
    if names_secret(line) {
        format!("line {number}: the value cannot be read")
    } else {
        format!("line {number}: {}", error.message())
    }
}

/// Merges the layers, highest last, and reads every setting with its declared type and bounds.
pub(super) fn extract(
    file: Option<&Path>,
    from_env: &RawLayer,
    from_flags: &RawLayer,
) -> Result<SettingArgs, ConfigError> {
    let mut figment = Figment::new().merge(Layer::raw("default", &declared_defaults()));
    if let Some(path) = file {
        figment = figment.merge(file_layer(path)?);
    }
    figment
        .merge(Layer::raw("environment", from_env))
        .merge(Layer::raw("command line", from_flags))
        .extract_lossy()
        .map_err(describe)
}

/// The one line for a value figment could not read: which setting, why, and from where.
fn describe(error: figment::Error) -> ConfigError {
    if let Kind::UnknownField(key, _) = &error.kind {
        return ConfigError::new("FRONTDESK_CONFIG", format!("unknown key '{key}'"));
    }
    let key = error.path.first().cloned().unwrap_or_default();
    let reason = if SECRETS.contains(&key.as_str()) {
        "must be text".to_string()
    } else {
        error.kind.to_string()
    };
    let source = error
        .metadata
        .as_ref()
        .map(|m| format!(" (from the {})", m.name))
        .unwrap_or_default();
    ConfigError::new(key.to_ascii_uppercase(), format!("{reason}{source}"))
}
