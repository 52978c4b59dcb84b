//! Export speed and memory on a seeded database (`examples/seed.rs`): runs the release
//! binary's `frontdesk export` over one month and then over three months of the seed, counts
//! the lines it writes, and prints messages per second and the child's peak resident memory,
//! which should be the same for both ranges (the export streams).
//!
//! ```text
//! cargo build --release
//! cargo run --release --example export_bench -- --db big.db
//! ```
//!
//! The database is only read (the export opens it read-only), so it may be one a server is
//! running on. The months are the first whole ones the seed covers.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Months, NaiveDate};
use clap::Parser;
use rusqlite::{Connection, OpenFlags};

#[derive(Parser)]
#[command(about = "Measure `frontdesk export` on a seeded database")]
struct Args {
    #[arg(long)]
    db: PathBuf,
    /// The frontdesk binary; the release build beside this example by default.
    #[arg(long)]
    bin: Option<PathBuf>,
    /// `jsonl` or `csv`.
    #[arg(long, default_value = "jsonl")]
    format: String,
    /// Runs of each range; the page cache is warm from the second on.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

/// What one run of the child did.
struct Run {
    lines: u64,
    bytes: u64,
    elapsed: Duration,
    peak_rss_kib: i64,
    cpu: Duration,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.db.is_file() {
        return Err(format!("{} does not exist; seed it first", args.db.display()).into());
    }
    let bin = match args.bin {
        Some(bin) => bin,
        // target/release/examples/export_bench -> target/release/frontdesk
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .ok_or("cannot find the target folder")?
            .join("frontdesk"),
    };
    if !bin.is_file() {
        return Err(format!("{} is missing: run `cargo build --release`", bin.display()).into());
    }
    let first = first_whole_month(&args.db)?;
    println!(
        "== frontdesk export --format {} on {} ==",
        args.format,
        args.db.display()
    );
    for months in [1, 3] {
        let last = first + Months::new(months) - chrono::Days::new(1);
        let (from, to) = (first.to_string(), last.to_string());
        for round in 1..=args.rounds {
            let run = export(&bin, &args.db, &from, &to, &args.format)?;
            let secs = run.elapsed.as_secs_f64();
            println!(
                "{months} month(s) {from}..{to} run {round}: {:>9} lines, {:>6.1} MB in {secs:>6.2} s \
                 = {:>8.0} messages/s; peak RSS {:>6.1} MB; CPU {:.2} s",
                run.lines,
                run.bytes as f64 / 1e6,
                run.lines as f64 / secs,
                run.peak_rss_kib as f64 / 1024.0,
                run.cpu.as_secs_f64(),
            );
        }
    }
    Ok(())
}

/// The first day of the first month whose every day is in the seed (it starts mid-month).
fn first_whole_month(db: &std::path::Path) -> Result<NaiveDate, Box<dyn std::error::Error>> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let oldest: i64 = conn.query_row(
        "SELECT created_at FROM messages ORDER BY created_at LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let day = DateTime::from_timestamp_millis(oldest)
        .ok_or("a time out of range")?
        .date_naive();
    let month = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).ok_or("a bad date")?;
    Ok(if day.day() == 1 {
        month
    } else {
        month + Months::new(1)
    })
}

/// Runs one export, reading and counting its output as it comes; the child's peak memory and
/// CPU come from `wait4`, which reports that child alone.
fn export(
    bin: &std::path::Path,
    db: &std::path::Path,
    from: &str,
    to: &str,
    format: &str,
) -> Result<Run, Box<dyn std::error::Error>> {
    let began = Instant::now();
    let mut child = Command::new(bin)
        .arg("--db")
        .arg(db)
        .args(["export", "--from", from, "--to", to, "--format", format])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut buffer = vec![0u8; 1 << 20];
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        let n = out.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for the child we started
    // and have not waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = i32::try_from(child.id())?;
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
        return Err(std::io::Error::last_os_error().into());
    }
    let elapsed = began.elapsed();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("the export failed (status {status})").into());
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    if format == "csv" {
        lines -= 1; // the header
    }
    Ok(Run {
        lines,
        bytes,
        elapsed,
        peak_rss_kib: usage.ru_maxrss,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
    })
}
