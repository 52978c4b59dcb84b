//! The subcommands: serve (the default), migrate, backup, restore, agent administration,
//! exports, privacy requests and the move to PostgreSQL.

mod move_to_postgres;

use std::io::{Read, Write};

use tokio::net::TcpListener;

use crate::config::{AdminCommand, Command, CommandLine, Settings, UserCommand};
use crate::domain::export::{ExportRange, RangeFormat};
use crate::service::{self, Services};

/// Runs the command with `settings` (resolved from `command_line`, as every command, the bare
/// binary included, resolves them); an `Err` is the one line to print before exiting with
/// failure.
pub async fn run(command_line: CommandLine, settings: Settings) -> Result<(), String> {
    match &command_line.cli.command {
        None | Some(Command::Serve) => serve(settings).await,
        Some(Command::Migrate) => {
            let location = service::database_location(&settings);
            crate::store::open(&location, Default::default())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "database {} is at schema version {}",
                location.describe(),
                crate::store::schema_version(&location)
            );
            Ok(())
        }
        Some(Command::Backup { path }) => {
            let services = open(settings).await?;
            let copied = services
                .store
                .backup_to(path)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "wrote a consistent copy to {} and {} attachment files ({} bytes) to {}",
                path.display(),
                copied.files,
                copied.file_bytes,
                crate::store::files::FileDir::beside(path).root().display()
            );
            Ok(())
        }
        Some(Command::Restore { from }) => {
            if settings.database_url.is_some() {
                return Err(
                    "restore puts a SQLite backup in place; a PostgreSQL database is \
                            restored with pg_restore (see docs/scale.md)"
                        .to_string(),
                );
            }
            let target = settings.database_path.clone();
            let copied = tokio::task::spawn_blocking({
                let from = from.clone();
                move || crate::store::restore(&from, &target)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            println!(
                "restored {} and {} attachment files ({} bytes) as {}",
                from.display(),
                copied.files,
                copied.file_bytes,
                settings.database_path.display()
            );
            Ok(())
        }
        Some(Command::Admin(command)) => admin(settings, command).await,
        Some(Command::Export { from, to, format }) => export(&settings, from, to, format).await,
        Some(Command::User(command)) => user(settings, command).await,
        Some(Command::MigrateToPostgres {
            from,
            to,
            batch_rows,
            pause_after_batches,
        }) => {
            let options = crate::store::move_to_postgres::MoveOptions {
                batch_rows: *batch_rows,
                pause_after_batches: *pause_after_batches,
                ..Default::default()
            };
            let to = to
                .as_ref()
                .or(settings.database_url.as_ref())
                .ok_or("name the PostgreSQL database with --to URL (or DATABASE_URL)")?;
            move_to_postgres::run(from, to, &options).await
        }
    }
}

/// Standard output's buffer: large writes, few system calls.
const STDOUT_BUFFER: usize = 256 * 1024;

/// `frontdesk export`: every message in the range to standard output, read beside a running
/// server on a read-only connection, so nothing is created, migrated or written.
async fn export(settings: &Settings, from: &str, to: &str, format: &str) -> Result<(), String> {
    let range = ExportRange::parse(from, to).map_err(|e| e.to_string())?;
    let format = RangeFormat::parse(format).map_err(|e| e.to_string())?;
    let store = crate::store::open_for_export(&service::database_location(settings))
        .await
        .map_err(|e| e.to_string())?;
    let stdout = std::io::stdout().lock();
    let out = std::io::BufWriter::with_capacity(STDOUT_BUFFER, stdout);
    let written = service::export::range::write_range(&*store, range, format, out)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(messages = written, "export written");
    Ok(())
}

async fn user(settings: Settings, command: &UserCommand) -> Result<(), String> {
    let services = open(settings).await?;
    match command {
        UserCommand::Export { user_id } => {
            let doc = service::export::person::export_for_operator(&services, user_id)
                .await
                .map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(|e| format!("cannot write the document: {e}"))?;
            writeln!(out).map_err(|e| format!("cannot write the document: {e}"))?;
        }
        UserCommand::Erase { user_id, guest } => {
            let owner =
                crate::domain::SessionOwner::named(user_id, *guest).map_err(|e| e.to_string())?;
            let removal = service::privacy::erase_from_command_line(&services, owner)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "erased {} chats, {} messages and {} files, and forgot {} devices",
                removal.session_ids.len(),
                removal.messages,
                removal.files,
                removal.devices
            );
        }
    }
    Ok(())
}

async fn open(settings: Settings) -> Result<std::sync::Arc<Services>, String> {
    Services::open(settings).await.map_err(|e| e.to_string())
}

async fn serve(settings: Settings) -> Result<(), String> {
    match crate::http::server::fd_limit::raise() {
        Ok(limit) => tracing::info!(
            open_files = limit.soft,
            "file-descriptor limit raised to the hard limit"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot raise the file-descriptor limit"),
    }
    let bind = settings.bind_addr;
    let db = service::database_location(&settings).describe();
    let app = crate::app::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let address = listener.local_addr().map_or(bind, |a| a);
    tracing::info!(%address, database = %db, "frontdesk is serving");
    crate::app::run(app, listener, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

fn read_password() -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = input.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}

async fn admin(settings: Settings, command: &AdminCommand) -> Result<(), String> {
    let services = open(settings).await?;
    let ctx = &services;
    match command {
        AdminCommand::Create {
            email,
            name,
            role,
            department,
            ..
        } => {
            let password = read_password()?;
            let view = service::agents::create(
                ctx,
                None,
                service::agents::NewAgentInput {
                    email: email.clone(),
                    name: name.clone(),
                    role: role.clone(),
                    password,
                    department: department.clone(),
                    max_concurrent_chats: None,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            println!(
                "created {} <{}> as {}",
                view.agent.name,
                view.agent.email,
                view.agent.role.as_str()
            );
        }
        AdminCommand::List => {
            let agents = service::agents::list_all(ctx)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{:<28} {:<32} {:<24} {:<14} {:<8} state",
                "id", "email", "name", "role", "chats"
            );
            for a in agents {
                let state = if a.agent.disabled {
                    "disabled"
                } else if a.online {
                    "online"
                } else {
                    "offline"
                };
                println!(
                    "{:<28} {:<32} {:<24} {:<14} {:<8} {state}",
                    a.agent.id,
                    a.agent.email,
                    a.agent.name,
                    a.agent.role.as_str(),
                    format!("{}/{}", a.active_chats, a.agent.max_concurrent_chats)
                );
            }
        }
        AdminCommand::SetPassword { email, .. } => {
            let password = read_password()?;
            let agent = service::agents::find_by_email(ctx, email)
                .await
                .map_err(|e| e.to_string())?;
            service::agents::set_password(ctx, &agent.id, password)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "password changed for {}; their sessions and tokens were revoked",
                agent.email
            );
        }
        AdminCommand::Disable { email } => {
            let agent = service::agents::find_by_email(ctx, email)
                .await
                .map_err(|e| e.to_string())?;
            service::agents::disable(ctx, None, &agent.id)
                .await
                .map_err(|e| e.to_string())?;
            println!("disabled {}", agent.email);
        }
    }
    Ok(())
}
