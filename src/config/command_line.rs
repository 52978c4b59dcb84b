//! The command line: subcommands, the global settings flags, and which settings were given as
//! a flag or an environment variable (the layers above the config file).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use secrecy::SecretString;

use super::ConfigError;
use super::declared::SettingArgs;

/// `frontdesk [SETTINGS] [COMMAND]`; with no command it serves.
#[derive(Parser, Debug)]
#[command(
    name = "frontdesk",
    version,
    about = "Self-hosted customer-support chat server"
)]
pub struct Cli {
    /// TOML file of settings; keys are the environment variable names in lower case.
    #[arg(long, env = "FRONTDESK_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Declares the settings flags; not read, because it lacks the config file's layer: the
    /// settings come from [`super::Settings::resolve`].
    #[command(flatten)]
    settings: SettingArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; serving is the default.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the client API, admin API and dashboard (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage agent accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent copy of the (possibly live) database to PATH, and its attachment
    /// files to PATH.files/.
    Backup { path: PathBuf },
    /// Put a backup (a file written by `backup`, with its .files folder) in place as the
    /// database (--db), which must not exist yet.
    Restore {
        /// The backup's database file.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
    },
    /// Write every message stamped from --from to --to to standard output, with its chat's
    /// id, user and channel, sender, agent, text and time; safe beside a running server.
    Export {
        /// The first day (`2026-01-01`, UTC) or instant (RFC 3339).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// The last day, included whole (`2026-01-31`, UTC), or instant (RFC 3339, included).
        #[arg(long, value_name = "DATE")]
        to: String,
        /// `jsonl` (one JSON object a line) or `csv`.
        #[arg(long, value_name = "jsonl|csv", default_value = "jsonl")]
        format: String,
    },
    /// Privacy requests about one person.
    #[command(subcommand)]
    User(UserCommand),
    /// Copy everything from a SQLite database (its server stopped) into a PostgreSQL
    /// database, then check both hold the same rows. Resumable: run it again after an
    /// interruption. Attachment files stay where they are; the summary says where FILES_DIR
    /// must point.
    MigrateToPostgres {
        /// The SQLite database file; only read.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The PostgreSQL database (`postgres://user:password@host:5432/frontdesk`): empty,
        /// or filled by an earlier run of this command from the same file. Left out, the
        /// DATABASE_URL setting is used (which keeps the password out of the process list).
        #[arg(long, value_name = "URL")]
        to: Option<SecretString>,
        /// Rows copied per transaction at most.
        #[arg(long, value_name = "ROWS", default_value_t = 2000, hide = true)]
        batch_rows: usize,
        /// For tests: after this many committed batches of one table, write the next one and
        /// wait forever without committing it.
        #[arg(long, value_name = "BATCHES", hide = true)]
        pause_after_batches: Option<u64>,
    },
}

/// `frontdesk user ...`.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Print everything stored about one person as JSON (the document of
    /// `GET /api/admin/users/{userId}/export`); audited.
    Export {
        /// The user id (a token's `sub`, or a guest's id).
        #[arg(long)]
        user_id: String,
    },
    /// Erase everything stored about one person (their chats with messages, files, notes and
    /// ratings, and their devices), as `DELETE /api/admin/users/{userId}` does; audited with
    /// the counts only. Prefer the API while the server runs: it also ends their open chats
    /// for whoever watches them.
    Erase {
        /// The user id (a token's `sub`).
        #[arg(long)]
        user_id: String,
        /// The id is a guest's (a website visitor without an account).
        #[arg(long)]
        guest: bool,
    },
}

/// `frontdesk admin ...`.
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

/// Settings as raw text keyed by config-file key, from one layer.
pub(super) type RawLayer = BTreeMap<String, String>;

/// The parsed command line and the settings it (or the environment) gave explicitly. Settings
/// are resolved from this, not from [`Cli`] alone, so the config file can sit between the
/// environment and clap's defaults.
pub struct CommandLine {
    pub cli: Cli,
    pub(super) from_env: RawLayer,
    pub(super) from_flags: RawLayer,
}

/// Why the command line was refused.
#[derive(Debug)]
pub enum CommandLineError {
    /// A setting's value is unusable: print its one line.
    Setting(ConfigError),
    /// Anything else (including `--help` and `--version`): let clap print and exit.
    Usage(clap::Error),
}

impl CommandLine {
    /// Parses `args` (the program name first) with the process environment.
    pub fn from_args<I, T>(args: I) -> Result<CommandLine, CommandLineError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let command = Cli::command();
        let matches =
            command.clone().try_get_matches_from(args).map_err(|e| {
                match setting_error(&command, &e) {
                    Some(setting) => CommandLineError::Setting(setting),
                    None => CommandLineError::Usage(e),
                }
            })?;
        let cli = Cli::from_arg_matches(&matches).map_err(CommandLineError::Usage)?;
        let mut from_env = RawLayer::new();
        let mut from_flags = RawLayer::new();
        for id in setting_ids() {
            let layer = match matches.value_source(&id) {
                Some(ValueSource::EnvVariable) => &mut from_env,
                Some(ValueSource::CommandLine) => &mut from_flags,
                _ => continue,
            };
            if let Some(raw) = matches
                .get_raw(&id)
                .and_then(|mut values| values.next_back())
            {
                layer.insert(id, raw.to_string_lossy().into_owned());
            }
        }
        Ok(CommandLine {
            cli,
            from_env,
            from_flags,
        })
    }
}

/// Every setting's id, which is also its config-file key.
fn setting_ids() -> Vec<String> {
    SettingArgs::augment_args(clap::Command::new("settings"))
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect()
}

/// Each setting's default as clap declares it, keyed by config-file key.
pub(super) fn declared_defaults() -> RawLayer {
    SettingArgs::augment_args(clap::Command::new("settings"))
        .get_arguments()
        .filter_map(|arg| {
            let default = arg.get_default_values().first()?;
            Some((
                arg.get_id().to_string(),
                default.to_string_lossy().into_owned(),
            ))
        })
        .collect()
}

/// Turns clap's refusal of a setting's value (from a flag or the environment) into the one
/// line that names the setting; other errors stay clap's.
fn setting_error(command: &clap::Command, error: &clap::Error) -> Option<ConfigError> {
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(shown)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    // clap shows the argument as `--flag <VALUE>`.
    let long = shown.split_whitespace().next()?.strip_prefix("--")?;
    let arg = command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))?;
    let name = arg.get_env()?.to_string_lossy().into_owned();
    let value = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) if !arg.is_hide_env_values_set() => {
            format!(" {value:?}")
        }
        _ => String::new(),
    };
    let why = std::error::Error::source(error)
        .map(|source| format!(": {source}"))
        .unwrap_or_default();
    Some(ConfigError::new(
        name,
        format!("unusable value{value} from --{long} or the environment{why}"),
    ))
}
