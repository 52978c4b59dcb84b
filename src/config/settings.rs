//! The resolved settings the server runs with, and the checks that need more than one value
//! or the file system.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::ConfigError;
use super::command_line::{CommandLine, RawLayer};
use super::declared::SettingArgs;
use super::layers;
use crate::clock::Clock;
use crate::domain::attachment::AllowedKinds;
use crate::domain::{PriorityThresholds, TrustedProxies};

/// How user tokens (issued by the business's own auth) are verified.
#[derive(Clone, Debug, Default)]
pub struct UserTokenSettings {
    pub jwt_secret: Option<SecretString>,
    pub public_key_file: Option<PathBuf>,
    pub jwks_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    pub jwks_refresh: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// How connections are timed out and capped (the accept loop in `http::server` applies them).
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// Longest wait for a whole request head, from the connection's start or the head's first byte.
    pub header_read_timeout: Duration,
    /// Longest silence between requests on a kept-alive connection.
    pub keep_alive_timeout: Duration,
    /// Open connections one client address (an IPv6 /64) may hold.
    pub max_per_address: usize,
    /// Open connections in all; `None` derives the cap from the file-descriptor limit.
    pub max_total: Option<usize>,
}

/// Whether the widget asks a guest's name and email before the chat starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prechat {
    Off,
    Optional,
    Required,
}

impl Prechat {
    pub fn as_str(self) -> &'static str {
        match self {
            Prechat::Off => "off",
            Prechat::Optional => "optional",
            Prechat::Required => "required",
        }
    }

    fn parse(raw: &str) -> Option<Prechat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "off" => Some(Prechat::Off),
            "optional" => Some(Prechat::Optional),
            "required" => Some(Prechat::Required),
            _ => None,
        }
    }
}

/// The website channel: who may embed it and how it greets visitors.
#[derive(Clone, Debug)]
pub struct WidgetSettings {
    /// Origins (`scheme://host[:port]`, lower case, no path) allowed to embed the widget and
    /// call the client API from a browser; empty means this server's own origin only.
    pub allowed_origins: Vec<String>,
    pub prechat: Prechat,
    /// `/widget/demo` is served.
    pub demo: bool,
    /// With no agent online the team counts as away.
    pub offline_when_no_agents: bool,
}

/// Files in chats (SPEC.md section 9).
#[derive(Clone, Debug)]
pub struct AttachmentSettings {
    pub max_bytes: u64,
    pub quota_bytes: u64,
    pub allowed: AllowedKinds,
    pub per_session: u32,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    fn parse(raw: &str) -> Option<LogFormat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Where email goes and from whom (`SMTP_URL`, `EMAIL_FROM`, `NOTIFY_EMAIL`,
/// `ALERT_AFTER_MINUTES`).
#[derive(Clone, Debug)]
pub struct EmailSettings {
    pub smtp_url: SecretString,
    /// A mailbox: `support@acme.example` or `Acme Support <support@acme.example>`.
    pub from: String,
    /// The team's mailbox; without it, team notices are off.
    pub notify: Option<String>,
    /// Alert after a chat waits this long with no agent online; `None` is off.
    pub alert_after: Option<Duration>,
}

/// Mobile push (`FCM_SERVICE_ACCOUNT_FILE`, `FCM_ENDPOINT`).
#[derive(Clone, Debug)]
pub struct PushSettings {
    pub service_account_file: PathBuf,
    pub endpoint: Option<String>,
}

/// Everything the server needs, resolved and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub bind_addr: SocketAddr,
    pub database_path: PathBuf,
    /// `Some` runs on PostgreSQL instead of the SQLite file at `database_path`.
    pub database_url: Option<SecretString>,
    /// The files folder on PostgreSQL (shared by every replica).
    pub files_dir: PathBuf,
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
    /// Webhooks may be sent to loopback and private addresses.
    pub webhook_allow_private: bool,
    /// Outgoing email; `None` when `SMTP_URL` is unset (email is off).
    pub email: Option<EmailSettings>,
    /// Mobile push; `None` when `FCM_SERVICE_ACCOUNT_FILE` is unset.
    pub push: Option<PushSettings>,
    /// `None` turns reassignment of silent chats off.
    pub reassign_after: Option<Duration>,
    /// Chats that ended longer ago than this are deleted daily; `None` keeps everything.
    pub retention_days: Option<u32>,
    pub max_held_polls_per_user: usize,
    pub dashboard_idle: Duration,
    pub agent_token_ttl: Duration,
    pub max_body_bytes: usize,
    /// Not a setting: the time source, replaced by tests.
    pub clock: Clock,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    pub max_active_sessions_per_user: u32,
    pub max_active_guest_sessions_per_address: u32,
    pub guest_starts_per_address_per_hour: u32,
    /// Messages per user per `rate_limit_window`, over all their sessions; `None` is twice
    /// `rate_limit_max_requests` (see [`Settings::user_message_limit`]).
    pub rate_limit_max_requests_per_user: Option<u32>,
    /// Failed sign-ins per (address, account) before back-off starts.
    pub login_failures_per_account: u32,
    /// Failed sign-ins per address before back-off starts.
    pub login_failures_per_address: u32,

    /// How connections are timed out and capped.
    pub connections: ConnectionSettings,
    /// The website channel.
    pub widget: WidgetSettings,
    pub attachments: AttachmentSettings,
    /// `/metrics` answers only with this bearer token; `None` turns it off.
    pub metrics_token: Option<SecretString>,
    pub log_format: LogFormat,
}

impl Default for Settings {
    /// The declared defaults, with no file, environment or flag.
    fn default() -> Self {
        let args = layers::extract(None, &RawLayer::new(), &RawLayer::new())
            .expect("the declared defaults are readable");
        Settings::from_args(args).expect("the declared defaults are valid")
    }
}

impl Settings {
    /// Secure cookies when the dashboard is served over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Messages one user may send per window over all their sessions.
    pub fn user_message_limit(&self) -> u32 {
        self.rate_limit_max_requests_per_user
            .unwrap_or(self.rate_limit_max_requests.saturating_mul(2))
    }

    /// Resolves every setting: flag > environment variable > config file > default.
    pub fn resolve(command_line: &CommandLine) -> Result<Settings, ConfigError> {
        let args = layers::extract(
            command_line.cli.config.as_deref(),
            &command_line.from_env,
            &command_line.from_flags,
        )?;
        Settings::from_args(args)
    }

    /// Checks what a single value's type and bounds cannot, and converts to the units used.
    fn from_args(args: SettingArgs) -> Result<Settings, ConfigError> {
        let public_url = http_url("PUBLIC_URL", args.public_url)?;
        let jwks_url = http_url("JWKS_URL", args.jwks_url)?;
        let jwt_secret = args
            .jwt_secret
            .filter(|secret| !secret.expose_secret().trim().is_empty());
        if let Some(secret) = &jwt_secret
            && secret.expose_secret().chars().count() < 16
        {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "must be at least 16 characters",
            ));
        }
        let priority = PriorityThresholds {
            medium_minutes: args.priority_medium_minutes,
            high_minutes: args.priority_high_minutes,
            urgent_minutes: args.priority_urgent_minutes,
        };
        if !(priority.medium_minutes < priority.high_minutes
            && priority.high_minutes < priority.urgent_minutes)
        {
            return Err(ConfigError::new(
                "PRIORITY_HIGH_MINUTES",
                "priority thresholds must grow: medium < high < urgent",
            ));
        }
        if args.database_path.trim().is_empty() {
            return Err(ConfigError::new("DATABASE_PATH", "must not be empty"));
        }
        let database_url = args
            .database_url
            .filter(|url| !url.expose_secret().trim().is_empty());
        if let Some(url) = &database_url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "must be a postgres:// URL (leave it unset for the SQLite file)",
                ));
            }
        }
        if args.files_dir.trim().is_empty() {
            return Err(ConfigError::new("FILES_DIR", "must not be empty"));
        }
        let metrics_token = args
            .metrics_token
            .filter(|token| !token.expose_secret().trim().is_empty());
        if let Some(token) = &metrics_token {
            let token = token.expose_secret();
            if token.chars().count() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::new(
                    "METRICS_TOKEN",
                    "must be at least 16 visible ASCII characters (no spaces)",
                ));
            }
        }
        let welcome = args.welcome_message.trim();
        Ok(Settings {
            bind_addr: args.bind_addr,
            database_path: PathBuf::from(args.database_path),
            database_url,
            files_dir: PathBuf::from(args.files_dir),
            public_url,
            user_tokens: UserTokenSettings {
                jwt_secret,
                public_key_file: existing_file("JWT_PUBLIC_KEY_FILE", args.jwt_public_key_file)?,
                jwks_file: existing_file("JWKS_FILE", args.jwks_file)?,
                jwks_url,
                jwks_refresh: Duration::from_secs(args.jwks_refresh_seconds),
                issuer: non_empty(args.jwt_issuer),
                audience: non_empty(args.jwt_audience),
            },
            rate_limit_window: Duration::from_millis(args.rate_limit_window_ms),
            rate_limit_max_requests: args.rate_limit_max_requests,
            max_message_length: args.max_message_length,
            session_timeout: Duration::from_secs(60 * args.session_timeout_minutes),
            poll_interval_seconds: args.poll_interval_seconds,
            allow_guests: args.allow_guests,
            welcome_message: (!welcome.is_empty()).then(|| welcome.to_string()),
            priority,
            auto_assign: args.auto_assign,
            webhook_allow_private: args.webhook_allow_private,
            push: existing_file("FCM_SERVICE_ACCOUNT_FILE", args.fcm_service_account_file)?
                .map(|file| {
                    Ok::<_, ConfigError>(PushSettings {
                        service_account_file: file,
                        endpoint: http_url("FCM_ENDPOINT", args.fcm_endpoint)?,
                    })
                })
                .transpose()?,
            email: email_settings(
                args.smtp_url,
                args.email_from,
                args.notify_email,
                args.alert_after_minutes,
            )?,
            retention_days: (args.retention_days > 0).then_some(args.retention_days),
            reassign_after: (args.reassign_after_minutes > 0)
                .then(|| Duration::from_secs(60 * u64::from(args.reassign_after_minutes))),
            max_held_polls_per_user: args.max_held_polls_per_user,
            dashboard_idle: Duration::from_secs(60 * args.dashboard_idle_minutes),
            agent_token_ttl: Duration::from_secs(3600 * args.agent_token_hours),
            max_body_bytes: args.max_body_bytes,
            clock: Clock::system(),
            trusted_proxies: TrustedProxies::parse(&args.trusted_proxies)
                .map_err(|reason| ConfigError::new("TRUSTED_PROXIES", reason))?,
            max_active_sessions_per_user: args.max_active_sessions_per_user,
            max_active_guest_sessions_per_address: args.max_active_guest_sessions_per_address,
            guest_starts_per_address_per_hour: args.guest_starts_per_address_per_hour,
            rate_limit_max_requests_per_user: (args.rate_limit_max_requests_per_user > 0)
                .then_some(args.rate_limit_max_requests_per_user),
            login_failures_per_account: args.login_failures_per_account,
            login_failures_per_address: args.login_failures_per_address,

            connections: ConnectionSettings {
                header_read_timeout: Duration::from_secs(args.header_read_timeout_seconds),
                keep_alive_timeout: Duration::from_secs(args.keep_alive_timeout_seconds),
                max_per_address: args.max_connections_per_address,
                max_total: (args.max_connections > 0).then_some(args.max_connections),
            },
            widget: WidgetSettings {
                allowed_origins: origins("ALLOWED_ORIGINS", &args.allowed_origins)?,
                prechat: Prechat::parse(&args.widget_prechat).ok_or_else(|| {
                    ConfigError::new("WIDGET_PRECHAT", "must be off, optional or required")
                })?,
                demo: args.widget_demo,
                offline_when_no_agents: args.offline_when_no_agents,
            },
            attachments: AttachmentSettings {
                max_bytes: args.max_attachment_bytes,
                quota_bytes: args.attachments_quota_bytes,
                allowed: AllowedKinds::parse(&args.attachment_types)
                    .map_err(|reason| ConfigError::new("ATTACHMENT_TYPES", reason))?,
                per_session: args.max_attachments_per_session,
            },
            metrics_token,
            log_format: LogFormat::parse(&args.log_format)
                .ok_or_else(|| ConfigError::new("LOG_FORMAT", "must be text or json"))?,
        })
    }
}

/// An empty value means "not set", as an empty environment variable usually does.
fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn http_url(name: &str, value: Option<String>) -> Result<Option<String>, ConfigError> {
    match non_empty(value) {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => Err(
            ConfigError::new(name, "must start with http:// or https://"),
        ),
        url => Ok(url),
    }
}

/// A comma-separated list of web origins, each `http(s)://host[:port]` without a path.
fn origins(name: &str, raw: &str) -> Result<Vec<String>, ConfigError> {
    let mut list = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let origin = item.trim_end_matches('/').to_ascii_lowercase();
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !valid {
            return Err(ConfigError::new(
                name,
                format!("{item:?} is not an origin such as https://shop.example"),
            ));
        }
        if !list.contains(&origin) {
            list.push(origin);
        }
    }
    Ok(list)
}

fn existing_file(name: &str, value: Option<String>) -> Result<Option<PathBuf>, ConfigError> {
    match non_empty(value).map(PathBuf::from) {
        Some(path) if !path.is_file() => Err(ConfigError::new(
            name,
            format!("no such file: {}", path.display()),
        )),
        path => Ok(path),
    }
}

/// Email settings, checked: an smtp(s) URL with a host, and a sender mailbox when it is set.
fn email_settings(
    smtp_url: Option<SecretString>,
    from: Option<String>,
    notify: Option<String>,
    alert_after_minutes: u32,
) -> Result<Option<EmailSettings>, ConfigError> {
    let Some(smtp_url) = smtp_url.filter(|u| !u.expose_secret().trim().is_empty()) else {
        return Ok(None);
    };
    let url = reqwest::Url::parse(smtp_url.expose_secret().trim()).map_err(|_| {
        ConfigError::new("SMTP_URL", "must be a URL like smtp://user:pass@host:587")
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
        return Err(ConfigError::new(
            "SMTP_URL",
            "must be smtp://... or smtps://... with a host",
        ));
    }
    let mailbox = |name: &'static str, value: Option<String>| {
        value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<lettre::message::Mailbox>()
                    .map(|_| v)
                    .map_err(|_| ConfigError::new(name, "must be an email address"))
            })
            .transpose()
    };
    let from = mailbox("EMAIL_FROM", from)?
        .ok_or_else(|| ConfigError::new("EMAIL_FROM", "is required when SMTP_URL is set"))?;
    Ok(Some(EmailSettings {
        smtp_url,
        from,
        notify: mailbox("NOTIFY_EMAIL", notify)?,
        alert_after: (alert_after_minutes > 0)
            .then(|| Duration::from_secs(u64::from(alert_after_minutes) * 60)),
    }))
}
