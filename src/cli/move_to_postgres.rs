//! `frontdesk migrate-to-postgres`: progress on standard error, the check of every table and
//! where the files are on standard output; a table that differs fails the command.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::store::Location;
use crate::store::move_to_postgres::{self, MoveOptions, MoveReport, Step};

/// How often a table's progress is shown while it is being copied.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub(super) async fn run(
    from: &Path,
    to: &SecretString,
    options: &MoveOptions,
) -> Result<(), String> {
    let target = Location::Postgres {
        url: to.clone(),
        files: Default::default(),
    }
    .describe();
    let shown = Mutex::new(None::<Instant>);
    let on_step = |step: Step<'_>| show_step(step, from, &target, &shown);
    let report = move_to_postgres::move_to_postgres(from, to.expose_secret(), options, &on_step)
        .await
        .map_err(|e| e.to_string())?;
    print_report(&report);
    let differing = report.differing();
    if !differing.is_empty() {
        return Err(format!(
            "these tables differ between the SQLite file and PostgreSQL: {}",
            differing.join(", ")
        ));
    }
    Ok(())
}

fn show_step(step: Step<'_>, from: &Path, target: &str, shown: &Mutex<Option<Instant>>) {
    match step {
        Step::Started { resumed: false } => {
            eprintln!("copying {} into {target}", from.display());
        }
        Step::Started { resumed: true } => {
            eprintln!(
                "resuming the copy of {} into {target} that an earlier run started",
                from.display()
            );
        }
        Step::AlreadyCopied { table, rows } => {
            eprintln!("{table}: {rows} rows (copied by an earlier run)");
        }
        Step::Copying {
            table,
            copied,
            total,
        } => {
            let Ok(mut last) = shown.lock() else {
                return;
            };
            let finished = copied >= total;
            if finished || last.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                eprintln!("{table}: {copied} of {total} rows");
                *last = if finished { None } else { Some(Instant::now()) };
            }
        }
        Step::Paused { table } => {
            eprintln!("{table}: paused before committing a batch");
        }
        Step::Verifying { table } => {
            eprintln!("{table}: checking both sides");
        }
    }
}

fn print_report(report: &MoveReport) {
    println!(
        "{:<20} {:>12} {:>14}  {:<16} {:<16} result",
        "table", "sqlite rows", "postgres rows", "sqlite sha-256", "postgres sha-256"
    );
    let mut rows = 0;
    for check in &report.tables {
        rows += check.sqlite.rows;
        println!(
            "{:<20} {:>12} {:>14}  {:<16} {:<16} {}",
            check.table,
            check.sqlite.rows,
            check.postgres.rows,
            check.sqlite.short_hex(16),
            check.postgres.short_hex(16),
            if check.matches() { "ok" } else { "DIFFERENT" }
        );
    }
    if report.differing().is_empty() {
        println!(
            "every table holds the same rows on both sides ({} tables, {rows} rows)",
            report.tables.len()
        );
    }
    let dir = report.files_dir.display();
    let files = &report.files;
    if files.problems == 0 {
        println!(
            "attachment files: all {} the database names are in {dir}",
            files.named
        );
    } else {
        println!(
            "attachment files: {} of the {} the database names are missing or damaged in {dir}:",
            files.problems, files.named
        );
        for line in &files.listed {
            println!("  {line}");
        }
    }
    println!(
        "files are not copied: start the servers with FILES_DIR={dir}, or copy that folder to \
         shared storage and point FILES_DIR there"
    );
}
