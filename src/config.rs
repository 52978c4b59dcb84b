//! Command line and settings. Every setting resolves as: flag > environment variable > config
//! file > default. A bad value stops start-up with one line naming the setting.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::clock::Clock;
use crate::domain::PriorityThresholds;

const DEFAULT_WELCOME: &str =
    "Hi! Thanks for reaching out. A member of our support team will be with you shortly.";

#[derive(Parser, Debug)]
#[command(
    name = "frontdesk",
    version,
    about = "Self-hosted customer-support chat server"
)]
pub struct Cli {
    /// SQLite database file (created and migrated when missing).
    #[arg(long = "db", env = "DATABASE_PATH", global = true, value_name = "PATH")]
    pub db: Option<String>,
    /// TOML file of settings; keys are the environment names in lower case.
    #[arg(long, env = "FRONTDESK_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the client API, admin API and dashboard (the default).
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage agent accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent copy of the (possibly live) database to PATH.
    Backup { path: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an agent; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "super_admin|chat_admin|support_admin")]
        role: String,
        #[arg(long)]
        department: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List agents.
    List,
    /// Replace an agent's password (read from standard input); signs them out everywhere.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable an agent; their tokens and dashboard sessions stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
}

/// Server settings that can come from flags; each also reads its environment variable.
#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    #[arg(long = "bind", env = "BIND_ADDR", value_name = "ADDR")]
    pub bind_addr: Option<String>,
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<String>,
    #[arg(long, env = "JWKS_FILE")]
    pub jwks_file: Option<String>,
    #[arg(long, env = "JWKS_URL")]
    pub jwks_url: Option<String>,
    #[arg(long, env = "JWKS_REFRESH_SECONDS")]
    pub jwks_refresh_seconds: Option<String>,
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    #[arg(long, env = "RATE_LIMIT_WINDOW_MS")]
    pub rate_limit_window_ms: Option<String>,
    #[arg(long, env = "RATE_LIMIT_MAX_REQUESTS")]
    pub rate_limit_max_requests: Option<String>,
    #[arg(long, env = "MAX_MESSAGE_LENGTH")]
    pub max_message_length: Option<String>,
    #[arg(long, env = "SESSION_TIMEOUT_MINUTES")]
    pub session_timeout_minutes: Option<String>,
    #[arg(long, env = "POLL_INTERVAL_SECONDS")]
    pub poll_interval_seconds: Option<String>,
    #[arg(long, env = "ALLOW_GUESTS")]
    pub allow_guests: Option<String>,
    #[arg(long, env = "WELCOME_MESSAGE")]
    pub welcome_message: Option<String>,
    #[arg(long, env = "PRIORITY_MEDIUM_MINUTES")]
    pub priority_medium_minutes: Option<String>,
    #[arg(long, env = "PRIORITY_HIGH_MINUTES")]
    pub priority_high_minutes: Option<String>,
    #[arg(long, env = "PRIORITY_URGENT_MINUTES")]
    pub priority_urgent_minutes: Option<String>,
    #[arg(long, env = "AUTO_ASSIGN")]
    pub auto_assign: Option<String>,
    #[arg(long, env = "REASSIGN_AFTER_MINUTES")]
    pub reassign_after_minutes: Option<String>,
    #[arg(long, env = "MAX_HELD_POLLS_PER_USER")]
    pub max_held_polls_per_user: Option<String>,
    #[arg(long, env = "DASHBOARD_IDLE_MINUTES")]
    pub dashboard_idle_minutes: Option<String>,
    #[arg(long, env = "AGENT_TOKEN_HOURS")]
    pub agent_token_hours: Option<String>,
    #[arg(long, env = "MAX_BODY_BYTES")]
    pub max_body_bytes: Option<String>,
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How user tokens (issued by the business's own auth) are verified.
#[derive(Clone, Debug, Default)]
pub struct UserTokenSettings {
    pub jwt_secret: Option<Secret>,
    pub public_key_file: Option<PathBuf>,
    pub jwks_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    pub jwks_refresh: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// Everything the server needs, resolved and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub bind_addr: SocketAddr,
    pub database_path: PathBuf,
    /// Where agents reach the dashboard; `https://` turns on Secure cookies.
    pub public_url: Option<String>,
    pub user_tokens: UserTokenSettings,
    pub rate_limit_window: Duration,
    pub rate_limit_max_requests: u32,
    pub max_message_length: usize,
    pub session_timeout: Duration,
    pub poll_interval_seconds: u32,
    pub allow_guests: bool,
    /// `None` when the welcome message is turned off.
    pub welcome_message: Option<String>,
    pub priority: PriorityThresholds,
    pub auto_assign: bool,
    /// `None` turns reassignment of silent chats off.
    pub reassign_after: Option<Duration>,
    pub max_held_polls_per_user: usize,
    pub dashboard_idle: Duration,
    pub agent_token_ttl: Duration,
    pub max_body_bytes: usize,
    /// Not a setting: the time source, replaced by tests.
    pub clock: Clock,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_path: PathBuf::from("frontdesk.db"),
            public_url: None,
            user_tokens: UserTokenSettings {
                jwks_refresh: Duration::from_secs(3600),
                ..UserTokenSettings::default()
            },
            rate_limit_window: Duration::from_millis(60_000),
            rate_limit_max_requests: 30,
            max_message_length: 1000,
            session_timeout: Duration::from_secs(30 * 60),
            poll_interval_seconds: 2,
            allow_guests: false,
            welcome_message: Some(DEFAULT_WELCOME.to_string()),
            priority: PriorityThresholds::default(),
            auto_assign: false,
            reassign_after: None,
            max_held_polls_per_user: 4,
            dashboard_idle: Duration::from_secs(8 * 3600),
            agent_token_ttl: Duration::from_secs(12 * 3600),
            max_body_bytes: 64 * 1024,
            clock: Clock::system(),
        }
    }
}

impl Settings {
    /// Secure cookies when the dashboard is served over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// A setting that could not be used; its `Display` is the one line printed at start-up.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

fn config_error(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        reason: reason.into(),
    }
}

/// The config file's values, keyed by setting name in upper case.
struct FileValues(BTreeMap<String, String>);

impl FileValues {
    fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(FileValues(BTreeMap::new()));
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            config_error(
                "FRONTDESK_CONFIG",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            config_error("FRONTDESK_CONFIG", e.message().to_string())
        })?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            let name = key.to_ascii_uppercase();
            if !KNOWN_SETTINGS.contains(&name.as_str()) {
                return Err(config_error(
                    "FRONTDESK_CONFIG",
                    format!("unknown key '{key}'"),
                ));
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(config_error(
                        "FRONTDESK_CONFIG",
                        format!(
                            "'{key}' must be a string, number or boolean, not {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            values.insert(name, text);
        }
        Ok(FileValues(values))
    }
}

const KNOWN_SETTINGS: &[&str] = &[
    "DATABASE_PATH",
    "BIND_ADDR",
    "PUBLIC_URL",
    "JWT_SECRET",
    "JWT_PUBLIC_KEY_FILE",
    "JWKS_FILE",
    "JWKS_URL",
    "JWKS_REFRESH_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "RATE_LIMIT_WINDOW_MS",
    "RATE_LIMIT_MAX_REQUESTS",
    "MAX_MESSAGE_LENGTH",
    "SESSION_TIMEOUT_MINUTES",
    "POLL_INTERVAL_SECONDS",
    "ALLOW_GUESTS",
    "WELCOME_MESSAGE",
    "PRIORITY_MEDIUM_MINUTES",
    "PRIORITY_HIGH_MINUTES",
    "PRIORITY_URGENT_MINUTES",
    "AUTO_ASSIGN",
    "REASSIGN_AFTER_MINUTES",
    "MAX_HELD_POLLS_PER_USER",
    "DASHBOARD_IDLE_MINUTES",
    "AGENT_TOKEN_HOURS",
    "MAX_BODY_BYTES",
];

/// Looks each setting up in flag/env (already merged by clap), then the file.
struct Lookup {
    file: FileValues,
}

impl Lookup {
    fn raw(&self, name: &'static str, cli: &Option<String>) -> Option<String> {
        cli.clone().or_else(|| self.file.0.get(name).cloned())
    }

    fn text(&self, name: &'static str, cli: &Option<String>) -> Option<String> {
        self.raw(name, cli).filter(|v| !v.trim().is_empty())
    }

    fn number<T>(
        &self,
        name: &'static str,
        cli: &Option<String>,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.raw(name, cli) else {
            return Ok(default);
        };
        let value: T = raw
            .trim()
            .parse()
            .map_err(|_| config_error(name, format!("expected a whole number, got {raw:?}")))?;
        if !range.contains(&value) {
            return Err(config_error(
                name,
                format!(
                    "must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ));
        }
        Ok(value)
    }

    fn flag(
        &self,
        name: &'static str,
        cli: &Option<String>,
        default: bool,
    ) -> Result<bool, ConfigError> {
        let Some(raw) = self.raw(name, cli) else {
            return Ok(default);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(config_error(
                name,
                format!("expected true or false, got {raw:?}"),
            )),
        }
    }

    fn existing_file(
        &self,
        name: &'static str,
        cli: &Option<String>,
    ) -> Result<Option<PathBuf>, ConfigError> {
        match self.text(name, cli) {
            None => Ok(None),
            Some(path) => {
                let path = PathBuf::from(path);
                if path.is_file() {
                    Ok(Some(path))
                } else {
                    Err(config_error(
                        name,
                        format!("no such file: {}", path.display()),
                    ))
                }
            }
        }
    }
}

impl Settings {
    /// Resolves settings for a subcommand that only needs the database.
    pub fn for_database(cli: &Cli) -> Result<Settings, ConfigError> {
        Settings::resolve(cli, &ServeArgs::default())
    }

    /// Resolves every setting from flags, environment, config file and defaults.
    pub fn resolve(cli: &Cli, args: &ServeArgs) -> Result<Settings, ConfigError> {
        let lookup = Lookup {
            file: FileValues::load(cli.config.as_deref())?,
        };
        let defaults = Settings::default();

        let bind_addr = match lookup.text("BIND_ADDR", &args.bind_addr) {
            None => defaults.bind_addr,
            Some(raw) => raw.trim().parse().map_err(|_| {
                config_error(
                    "BIND_ADDR",
                    format!("expected HOST:PORT such as 127.0.0.1:8080, got {raw:?}"),
                )
            })?,
        };
        let database_path = lookup
            .text("DATABASE_PATH", &cli.db)
            .map(PathBuf::from)
            .unwrap_or(defaults.database_path);
        let public_url = lookup.text("PUBLIC_URL", &args.public_url);
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(config_error(
                "PUBLIC_URL",
                "must start with http:// or https://",
            ));
        }

        let jwks_url = lookup.text("JWKS_URL", &args.jwks_url);
        if let Some(url) = &jwks_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(config_error(
                "JWKS_URL",
                "must start with http:// or https://",
            ));
        }
        let jwt_secret = lookup.text("JWT_SECRET", &args.jwt_secret).map(Secret);
        if let Some(secret) = &jwt_secret
            && secret.0.len() < 16
        {
            return Err(config_error("JWT_SECRET", "must be at least 16 characters"));
        }
        let user_tokens = UserTokenSettings {
            jwt_secret,
            public_key_file: lookup
                .existing_file("JWT_PUBLIC_KEY_FILE", &args.jwt_public_key_file)?,
            jwks_file: lookup.existing_file("JWKS_FILE", &args.jwks_file)?,
            jwks_url,
            jwks_refresh: Duration::from_secs(lookup.number(
                "JWKS_REFRESH_SECONDS",
                &args.jwks_refresh_seconds,
                3600u64,
                10..=86_400,
            )?),
            issuer: lookup.text("JWT_ISSUER", &args.jwt_issuer),
            audience: lookup.text("JWT_AUDIENCE", &args.jwt_audience),
        };

        let priority = PriorityThresholds {
            medium_minutes: lookup.number(
                "PRIORITY_MEDIUM_MINUTES",
                &args.priority_medium_minutes,
                5u32,
                1..=10_000,
            )?,
            high_minutes: lookup.number(
                "PRIORITY_HIGH_MINUTES",
                &args.priority_high_minutes,
                15u32,
                1..=10_000,
            )?,
            urgent_minutes: lookup.number(
                "PRIORITY_URGENT_MINUTES",
                &args.priority_urgent_minutes,
                30u32,
                1..=10_000,
            )?,
        };
        if !(priority.medium_minutes < priority.high_minutes
            && priority.high_minutes < priority.urgent_minutes)
        {
            return Err(config_error(
                "PRIORITY_HIGH_MINUTES",
                "priority thresholds must grow: medium < high < urgent",
            ));
        }

        let welcome_message = match lookup.raw("WELCOME_MESSAGE", &args.welcome_message) {
            None => defaults.welcome_message,
            Some(text) if text.trim().is_empty() => None,
            Some(text) => Some(text.trim().to_string()),
        };
        let reassign_minutes: u32 = lookup.number(
            "REASSIGN_AFTER_MINUTES",
            &args.reassign_after_minutes,
            0,
            0..=10_000,
        )?;

        Ok(Settings {
            bind_addr,
            database_path,
            public_url,
            user_tokens,
            rate_limit_window: Duration::from_millis(lookup.number(
                "RATE_LIMIT_WINDOW_MS",
                &args.rate_limit_window_ms,
                60_000u64,
                100..=86_400_000,
            )?),
            rate_limit_max_requests: lookup.number(
                "RATE_LIMIT_MAX_REQUESTS",
                &args.rate_limit_max_requests,
                30u32,
                1..=1_000_000,
            )?,
            max_message_length: lookup.number(
                "MAX_MESSAGE_LENGTH",
                &args.max_message_length,
                1000usize,
                1..=20_000,
            )?,
            session_timeout: Duration::from_secs(
                60 * lookup.number(
                    "SESSION_TIMEOUT_MINUTES",
                    &args.session_timeout_minutes,
                    30u64,
                    1..=525_600,
                )?,
            ),
            poll_interval_seconds: lookup.number(
                "POLL_INTERVAL_SECONDS",
                &args.poll_interval_seconds,
                2u32,
                1..=300,
            )?,
            allow_guests: lookup.flag("ALLOW_GUESTS", &args.allow_guests, false)?,
            welcome_message,
            priority,
            auto_assign: lookup.flag("AUTO_ASSIGN", &args.auto_assign, false)?,
            reassign_after: (reassign_minutes > 0)
                .then(|| Duration::from_secs(60 * u64::from(reassign_minutes))),
            max_held_polls_per_user: lookup.number(
                "MAX_HELD_POLLS_PER_USER",
                &args.max_held_polls_per_user,
                4usize,
                1..=1000,
            )?,
            dashboard_idle: Duration::from_secs(
                60 * lookup.number(
                    "DASHBOARD_IDLE_MINUTES",
                    &args.dashboard_idle_minutes,
                    480u64,
                    1..=43_200,
                )?,
            ),
            agent_token_ttl: Duration::from_secs(
                3600 * lookup.number(
                    "AGENT_TOKEN_HOURS",
                    &args.agent_token_hours,
                    12u64,
                    1..=720,
                )?,
            ),
            max_body_bytes: lookup.number(
                "MAX_BODY_BYTES",
                &args.max_body_bytes,
                64 * 1024usize,
                1024..=16 * 1024 * 1024,
            )?,
            clock: Clock::system(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli_with_file(contents: &str) -> (Cli, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frontdesk.toml");
        std::fs::write(&path, contents).unwrap();
        let cli = Cli {
            db: None,
            config: Some(path),
            command: None,
        };
        (cli, dir)
    }

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let (cli, _dir) = cli_with_file("max_message_length = 500\nrate_limit_max_requests = 7\n");
        let args = ServeArgs {
            max_message_length: Some("800".into()),
            ..ServeArgs::default()
        };
        let settings = Settings::resolve(&cli, &args).unwrap();
        assert_eq!(settings.max_message_length, 800);
        assert_eq!(settings.rate_limit_max_requests, 7);
        assert_eq!(settings.session_timeout, Duration::from_secs(1800));
    }

    #[test]
    fn a_bad_value_names_the_setting_in_one_line() {
        let (cli, _dir) = cli_with_file("rate_limit_max_requests = \"lots\"\n");
        let err = Settings::resolve(&cli, &ServeArgs::default()).unwrap_err();
        let line = err.to_string();
        assert!(line.contains("RATE_LIMIT_MAX_REQUESTS"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let (cli, _dir) = cli_with_file("max_mesage_length = 5\n");
        let err = Settings::resolve(&cli, &ServeArgs::default()).unwrap_err();
        assert!(err.to_string().contains("max_mesage_length"));
    }

    #[test]
    fn empty_welcome_turns_it_off_and_secrets_do_not_print() {
        let (cli, _dir) =
            cli_with_file("welcome_message = \"\"\njwt_secret = \"0123456789abcdef-secret\"\n");
        let settings = Settings::resolve(&cli, &ServeArgs::default()).unwrap();
        assert_eq!(settings.welcome_message, None);
        assert!(!format!("{settings:?}").contains("0123456789abcdef-secret"));
    }
}
