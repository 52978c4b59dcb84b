//! Every setting, declared once. A field's name is its config-file key and, in upper case, its
//! environment variable; its `#[arg]` gives the flag, the value's type and the default; a
//! `within` bound is checked whichever layer the value came from.

use std::net::SocketAddr;

use clap::Args;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// The welcome message's default, the first message of every new session.
pub const DEFAULT_WELCOME: &str =
    "Hi! Thanks for reaching out. A member of our support team will be with you shortly.";

/// The settings as given, before the checks that span several of them; [`super::Settings`] is
/// what the server uses.
///
/// The flags are global so that `frontdesk`, `frontdesk serve` and every other subcommand read
/// exactly the same settings.
#[derive(Args, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[command(next_help_heading = "Settings (flag > environment variable > config file > default)")]
pub struct SettingArgs {
    /// SQLite database file, created and migrated when missing.
    #[arg(
        long = "db",
        env = "DATABASE_PATH",
        global = true,
        value_name = "PATH",
        default_value = "frontdesk.db"
    )]
    pub database_path: String,

    /// PostgreSQL instead of the SQLite file: `postgres://user:password@host:5432/frontdesk`.
    /// Several replicas may share one database.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<SecretString>,

    /// Where uploaded files live when DATABASE_URL is set: a folder every replica mounts (the
    /// SQLite engine keeps them beside its file).
    #[arg(
        long,
        env = "FILES_DIR",
        global = true,
        value_name = "PATH",
        default_value = "frontdesk-files"
    )]
    pub files_dir: String,

    /// Address and port to listen on.
    #[arg(
        long = "bind",
        env = "BIND_ADDR",
        global = true,
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:8080"
    )]
    pub bind_addr: SocketAddr,

    /// Where agents reach the dashboard; https:// turns on Secure cookies.
    #[arg(long, env = "PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<String>,

    /// HS256 secret that user tokens are signed with, at least 16 characters.
    #[arg(
        long,
        env = "JWT_SECRET",
        global = true,
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<SecretString>,

    /// RS256 public key (PEM) that user tokens are verified with.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE", global = true, value_name = "FILE")]
    pub jwt_public_key_file: Option<String>,

    /// RS256 keys for user tokens, as a JWKS document.
    #[arg(long, env = "JWKS_FILE", global = true, value_name = "FILE")]
    pub jwks_file: Option<String>,

    /// RS256 keys for user tokens, fetched and refreshed in the background.
    #[arg(long, env = "JWKS_URL", global = true, value_name = "URL")]
    pub jwks_url: Option<String>,

    /// How often JWKS_URL is fetched.
    #[arg(
        long,
        env = "JWKS_REFRESH_SECONDS",
        global = true,
        value_name = "SECONDS",
        default_value_t = 3600
    )]
    #[serde(deserialize_with = "within::<10, 86_400, _, _>")]
    pub jwks_refresh_seconds: u64,

    /// Required `iss` of user tokens.
    #[arg(long, env = "JWT_ISSUER", global = true, value_name = "ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` of user tokens.
    #[arg(long, env = "JWT_AUDIENCE", global = true, value_name = "AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Message rate-limit window.
    #[arg(
        long,
        env = "RATE_LIMIT_WINDOW_MS",
        global = true,
        value_name = "MS",
        default_value_t = 60_000
    )]
    #[serde(deserialize_with = "within::<100, 86_400_000, _, _>")]
    pub rate_limit_window_ms: u64,

    /// Messages per session per window.
    #[arg(
        long,
        env = "RATE_LIMIT_MAX_REQUESTS",
        global = true,
        value_name = "N",
        default_value_t = 30
    )]
    #[serde(deserialize_with = "within::<1, 1_000_000, _, _>")]
    pub rate_limit_max_requests: u32,

    /// Characters (not bytes) per message.
    #[arg(
        long,
        env = "MAX_MESSAGE_LENGTH",
        global = true,
        value_name = "N",
        default_value_t = 1000
    )]
    #[serde(deserialize_with = "within::<1, 20_000, _, _>")]
    pub max_message_length: usize,

    /// Silence after which a session expires.
    #[arg(
        long,
        env = "SESSION_TIMEOUT_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 30
    )]
    #[serde(deserialize_with = "within::<1, 525_600, _, _>")]
    pub session_timeout_minutes: u64,

    /// Poll interval advertised to clients.
    #[arg(
        long,
        env = "POLL_INTERVAL_SECONDS",
        global = true,
        value_name = "SECONDS",
        default_value_t = 2
    )]
    #[serde(deserialize_with = "within::<1, 300, _, _>")]
    pub poll_interval_seconds: u32,

    /// Allow starting a chat without a token.
    #[arg(long, env = "ALLOW_GUESTS", global = true, value_name = "BOOL",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub allow_guests: bool,

    /// First message of every session; empty turns it off.
    #[arg(long, env = "WELCOME_MESSAGE", global = true, value_name = "TEXT",
          default_value = DEFAULT_WELCOME)]
    pub welcome_message: String,

    /// Wait after which a chat's priority is medium.
    #[arg(
        long,
        env = "PRIORITY_MEDIUM_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 5
    )]
    #[serde(deserialize_with = "within::<1, 10_000, _, _>")]
    pub priority_medium_minutes: u32,

    /// Wait after which a chat's priority is high.
    #[arg(
        long,
        env = "PRIORITY_HIGH_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 15
    )]
    #[serde(deserialize_with = "within::<1, 10_000, _, _>")]
    pub priority_high_minutes: u32,

    /// Wait after which a chat's priority is urgent.
    #[arg(
        long,
        env = "PRIORITY_URGENT_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 30
    )]
    #[serde(deserialize_with = "within::<1, 10_000, _, _>")]
    pub priority_urgent_minutes: u32,

    /// Hand waiting chats round-robin to online agents under capacity.
    #[arg(long, env = "AUTO_ASSIGN", global = true, value_name = "BOOL",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub auto_assign: bool,

    /// Let webhooks reach loopback, private and link-local addresses (a receiver on the same
    /// box or network); off, such deliveries are refused after the name is resolved.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", global = true, value_name = "BOOL",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub webhook_allow_private: bool,

    /// The SMTP server mail goes through: smtp://user:pass@host:587 (STARTTLS), smtps://... (TLS)
    /// or smtp://host:25?tls=none for a local relay. Unset, email is off.
    #[arg(
        long,
        env = "SMTP_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<SecretString>,

    /// The sender of every email, e.g. "Acme Support <support@acme.example>".
    #[arg(long, env = "EMAIL_FROM", global = true, value_name = "ADDRESS")]
    pub email_from: Option<String>,

    /// The team's address: offline messages and waiting-chat alerts go there.
    #[arg(long, env = "NOTIFY_EMAIL", global = true, value_name = "ADDRESS")]
    pub notify_email: Option<String>,

    /// Email the team when a chat has waited this long with no agent online; 0 is off.
    #[arg(
        long,
        env = "ALERT_AFTER_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 0
    )]
    #[serde(deserialize_with = "within::<0, 10_000, _, _>")]
    pub alert_after_minutes: u32,

    /// A Google service-account JSON file: with it, users' devices get a push (FCM HTTP v1)
    /// when an agent writes while they are away.
    #[arg(
        long,
        env = "FCM_SERVICE_ACCOUNT_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub fcm_service_account_file: Option<String>,

    /// Where pushes are sent; the FCM v1 endpoint of the account's project by default.
    #[arg(long, env = "FCM_ENDPOINT", global = true, value_name = "URL")]
    pub fcm_endpoint: Option<String>,

    /// Delete chats that ended more than this many days ago (messages, files, notes and
    /// ratings; analytics keep their daily figures), once a day; 0 keeps everything.
    #[arg(
        long,
        env = "RETENTION_DAYS",
        global = true,
        value_name = "DAYS",
        default_value_t = 0
    )]
    #[serde(deserialize_with = "within::<0, 36_500, _, _>")]
    pub retention_days: u32,

    /// Return a chat to the queue when its agent leaves the user waiting this long; 0 is off.
    #[arg(
        long,
        env = "REASSIGN_AFTER_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 0
    )]
    #[serde(deserialize_with = "within::<0, 10_000, _, _>")]
    pub reassign_after_minutes: u32,

    /// Long-polls and streams one user may hold open.
    #[arg(
        long,
        env = "MAX_HELD_POLLS_PER_USER",
        global = true,
        value_name = "N",
        default_value_t = 4
    )]
    #[serde(deserialize_with = "within::<1, 1000, _, _>")]
    pub max_held_polls_per_user: usize,

    /// Dashboard sign-in expires after this much inactivity.
    #[arg(
        long,
        env = "DASHBOARD_IDLE_MINUTES",
        global = true,
        value_name = "MINUTES",
        default_value_t = 480
    )]
    #[serde(deserialize_with = "within::<1, 43_200, _, _>")]
    pub dashboard_idle_minutes: u64,

    /// Lifetime of admin-API bearer tokens.
    #[arg(
        long,
        env = "AGENT_TOKEN_HOURS",
        global = true,
        value_name = "HOURS",
        default_value_t = 12
    )]
    #[serde(deserialize_with = "within::<1, 720, _, _>")]
    pub agent_token_hours: u64,

    /// Largest request body (413 above).
    #[arg(
        long,
        env = "MAX_BODY_BYTES",
        global = true,
        value_name = "BYTES",
        default_value_t = 65_536
    )]
    #[serde(deserialize_with = "within::<1024, 16_777_216, _, _>")]
    pub max_body_bytes: usize,

    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For is
    /// believed; empty believes nobody.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        global = true,
        value_name = "LIST",
        default_value = ""
    )]
    pub trusted_proxies: String,

    /// Active chat sessions one user may have; starting one more is refused.
    #[arg(
        long,
        env = "MAX_ACTIVE_SESSIONS_PER_USER",
        global = true,
        value_name = "N",
        default_value_t = 5
    )]
    #[serde(deserialize_with = "within::<1, 10_000, _, _>")]
    pub max_active_sessions_per_user: u32,

    /// Active guest sessions started from one client address.
    #[arg(
        long,
        env = "MAX_ACTIVE_GUEST_SESSIONS_PER_ADDRESS",
        global = true,
        value_name = "N",
        default_value_t = 20
    )]
    #[serde(deserialize_with = "within::<1, 100_000, _, _>")]
    pub max_active_guest_sessions_per_address: u32,

    /// Guest sessions one client address may create per hour.
    #[arg(
        long,
        env = "GUEST_STARTS_PER_ADDRESS_PER_HOUR",
        global = true,
        value_name = "N",
        default_value_t = 30
    )]
    #[serde(deserialize_with = "within::<1, 1_000_000, _, _>")]
    pub guest_starts_per_address_per_hour: u32,

    /// Messages per user per window, over all their sessions; 0 is twice
    /// RATE_LIMIT_MAX_REQUESTS.
    #[arg(
        long,
        env = "RATE_LIMIT_MAX_REQUESTS_PER_USER",
        global = true,
        value_name = "N",
        default_value_t = 0
    )]
    #[serde(deserialize_with = "within::<0, 2_000_000, _, _>")]
    pub rate_limit_max_requests_per_user: u32,

    /// Failed sign-ins for one account from one address before back-off starts.
    #[arg(
        long,
        env = "LOGIN_FAILURES_PER_ACCOUNT",
        global = true,
        value_name = "N",
        default_value_t = 5
    )]
    #[serde(deserialize_with = "within::<1, 1000, _, _>")]
    pub login_failures_per_account: u32,

    /// Failed sign-ins from one address, any account, before back-off starts.
    #[arg(
        long,
        env = "LOGIN_FAILURES_PER_ADDRESS",
        global = true,
        value_name = "N",
        default_value_t = 50
    )]
    #[serde(deserialize_with = "within::<1, 100_000, _, _>")]
    pub login_failures_per_address: u32,

    /// A connection that has not sent a whole request head this long after it opened (or
    /// after the head's first byte) is closed; a body must arrive this long after its reading
    /// starts.
    #[arg(
        long,
        env = "HEADER_READ_TIMEOUT_SECONDS",
        global = true,
        value_name = "SECONDS",
        default_value_t = 10
    )]
    #[serde(deserialize_with = "within::<1, 600, _, _>")]
    pub header_read_timeout_seconds: u64,

    /// A kept-alive connection idle between requests this long is closed.
    #[arg(
        long,
        env = "KEEP_ALIVE_TIMEOUT_SECONDS",
        global = true,
        value_name = "SECONDS",
        default_value_t = 75
    )]
    #[serde(deserialize_with = "within::<1, 3600, _, _>")]
    pub keep_alive_timeout_seconds: u64,

    /// Open connections one client address may hold (an IPv6 client: its /64).
    #[arg(
        long,
        env = "MAX_CONNECTIONS_PER_ADDRESS",
        global = true,
        value_name = "N",
        default_value_t = 256
    )]
    #[serde(deserialize_with = "within::<1, 10_000_000, _, _>")]
    pub max_connections_per_address: usize,

    /// Open connections in all; 0 derives it from the file-descriptor limit.
    #[arg(
        long,
        env = "MAX_CONNECTIONS",
        global = true,
        value_name = "N",
        default_value_t = 0
    )]
    #[serde(deserialize_with = "within::<0, 10_000_000, _, _>")]
    pub max_connections: usize,

    /// Sites (origins such as https://shop.example, comma-separated) that may embed the widget
    /// and call the client API from a browser; empty allows this server's own origin only.
    #[arg(
        long,
        env = "ALLOWED_ORIGINS",
        global = true,
        value_name = "LIST",
        default_value = ""
    )]
    pub allowed_origins: String,

    /// The widget asks a guest's name and email first: off, optional or required.
    #[arg(
        long,
        env = "WIDGET_PRECHAT",
        global = true,
        value_name = "off|optional|required",
        default_value = "optional"
    )]
    pub widget_prechat: String,

    /// Serve the sample site with the widget at /widget/demo.
    #[arg(long, env = "WIDGET_DEMO", global = true, value_name = "BOOL",
          default_value_t = true, action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub widget_demo: bool,

    /// Treat the team as away (the widget shows its offline form) while no agent is online.
    #[arg(long, env = "OFFLINE_WHEN_NO_AGENTS", global = true, value_name = "BOOL",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub offline_when_no_agents: bool,

    /// Largest file one upload may carry, in bytes.
    #[arg(
        long,
        env = "MAX_ATTACHMENT_BYTES",
        global = true,
        value_name = "BYTES",
        default_value_t = 10_485_760
    )]
    #[serde(deserialize_with = "within::<1024, 1_073_741_824, _, _>")]
    pub max_attachment_bytes: u64,

    /// Bytes all stored files may take together; uploads beyond it are refused (507).
    #[arg(
        long,
        env = "ATTACHMENTS_QUOTA_BYTES",
        global = true,
        value_name = "BYTES",
        default_value_t = 5_368_709_120
    )]
    #[serde(deserialize_with = "within::<0, 1_125_899_906_842_624, _, _>")]
    pub attachments_quota_bytes: u64,

    /// File types chats accept, decided from content: png, jpeg, gif, webp, pdf, text, csv.
    #[arg(
        long,
        env = "ATTACHMENT_TYPES",
        global = true,
        value_name = "LIST",
        default_value = "png,jpeg,gif,webp,pdf,text,csv"
    )]
    pub attachment_types: String,

    /// Files one chat may hold.
    #[arg(
        long,
        env = "MAX_ATTACHMENTS_PER_SESSION",
        global = true,
        value_name = "N",
        default_value_t = 100
    )]
    #[serde(deserialize_with = "within::<1, 100_000, _, _>")]
    pub max_attachments_per_session: u32,

    /// Bearer token that `/metrics` asks for, at least 16 characters; unset, there is no
    /// `/metrics` (404).
    #[arg(
        long,
        env = "METRICS_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<SecretString>,

    /// How log lines are written to standard error: text for people, json (one object a line)
    /// for log shippers.
    #[arg(
        long,
        env = "LOG_FORMAT",
        global = true,
        value_name = "text|json",
        default_value = "text"
    )]
    pub log_format: String,
}

/// Reads a whole number and refuses it outside `LO..=HI`, so a bound holds for every layer.
fn within<'de, const LO: u64, const HI: u64, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: TryFrom<u64>,
    D: Deserializer<'de>,
{
    let value = u64::deserialize(deserializer)?;
    if !(LO..=HI).contains(&value) {
        return Err(serde::de::Error::custom(format!(
            "must be between {LO} and {HI}, got {value}"
        )));
    }
    T::try_from(value).map_err(|_| serde::de::Error::custom(format!("{value} is too large")))
}

/// The words accepted for true and false; the layering (figment's lossy reading) accepts the
/// same ones, so a flag and a file agree on what a boolean is.
fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}
