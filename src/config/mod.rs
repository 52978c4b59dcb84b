//! Settings and the command line. Every setting is declared once ([`SettingArgs`]) and resolves
//! as: flag > environment variable > config file > default. A bad value stops start-up with one
//! line naming the setting. Secrets are `secrecy` types and never print.

mod command_line;
mod declared;
mod layers;
mod settings;

pub use command_line::{AdminCommand, Cli, Command, CommandLine, CommandLineError, UserCommand};
pub use declared::{DEFAULT_WELCOME, SettingArgs};
pub use secrecy::{ExposeSecret, SecretString};
pub use settings::{
    AttachmentSettings, ConnectionSettings, EmailSettings, LogFormat, Prechat, PushSettings,
    Settings, UserTokenSettings, WidgetSettings,
};

/// A setting that could not be used; its `Display` is the one line printed at start-up.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    /// The environment variable's name (or FRONTDESK_CONFIG for the file itself).
    pub name: String,
    pub reason: String,
}

impl ConfigError {
    fn new(name: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests;
