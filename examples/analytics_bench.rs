//! Analytics over a full year of a seeded database (`examples/seed.rs`): the figures of the
//! analytics page and API, and the report, through the store as the service calls it. First
//! it writes the daily figures of every finished day (once; the server does the same hourly),
//! labelling one chat in a hundred beforehand so the label filter has something to find.
//!
//! ```text
//! cargo run --release --example analytics_bench -- --db big.db --rounds 50
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use frontdesk::domain::agent::NewAgent;
use frontdesk::domain::label::LabelFields;
use frontdesk::domain::{Role, Timestamp};
use frontdesk::store::team::Scope;
use frontdesk::store::{LabelStore, LifecycleStore, SqliteStore, TeamStore};
use hdrhistogram::Histogram;

const DAY_MS: i64 = 86_400_000;

#[derive(Parser)]
#[command(about = "Measure analytics over a year on a seeded database")]
struct Args {
    #[arg(long)]
    db: PathBuf,
    /// Measurements of each kind.
    #[arg(long, default_value_t = 50)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.db.exists() {
        return Err(format!("{} does not exist; seed it first", args.db.display()).into());
    }
    let store = SqliteStore::open(&args.db)?;
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64,
    );
    let today = Timestamp(now.0 - now.0.rem_euclid(DAY_MS));
    let year = |label_id: Option<String>| Scope {
        from: Timestamp(today.0 - 365 * DAY_MS),
        to: Timestamp(today.0 + DAY_MS),
        label_id,
    };

    let label = match store
        .labels()
        .await?
        .into_iter()
        .find(|l| l.name == "bench")
    {
        Some(label) => label,
        None => {
            // Labels are put on by an agent, as the audit log records; the seed has none.
            let agent = "agent_bench".to_string();
            if !store.agents().await?.iter().any(|a| a.agent.id == agent) {
                store
                    .create_agent(
                        NewAgent {
                            id: agent.clone(),
                            email: "bench@example.com".into(),
                            name: "Bench".into(),
                            department: None,
                            role: Role::SuperAdmin,
                            password_hash: "not a hash: this agent never signs in".into(),
                            max_concurrent_chats: 0,
                        },
                        None,
                        now,
                    )
                    .await?;
            }
            let label = store
                .create_label(
                    "label_bench",
                    LabelFields::parse("bench", "#3b82f6")?,
                    &agent,
                    now,
                )
                .await?;
            let began = Instant::now();
            let chats = store.report_totals(year(None), 1_000_000).await?.sessions;
            for chat in chats.iter().step_by(100) {
                store
                    .add_chat_label(&chat.session_id, &label.id, &agent, now)
                    .await?;
            }
            println!(
                "labelled {} chats in {:.1} s",
                chats.len().div_ceil(100),
                began.elapsed().as_secs_f64()
            );
            label
        }
    };

    let began = Instant::now();
    let counted = store.analytics_totals(year(None), now).await?;
    println!(
        "analytics of the year counted from the rows (before any day is written): {:.0} ms, {} days",
        began.elapsed().as_secs_f64() * 1000.0,
        counted.days.len()
    );
    let began = Instant::now();
    let written = store.write_finished_days(now).await?;
    println!(
        "wrote the figures of {written} finished days in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let read = store.analytics_totals(year(None), now).await?;
    assert_eq!(counted, read, "written figures answer as counting did");

    println!("== a year of analytics, {} rounds each ==", args.rounds);
    for (kind, scope) in [
        ("analytics, every chat", year(None)),
        ("analytics, one label", year(Some(label.id.clone()))),
    ] {
        let mut latency = Histogram::<u64>::new(3)?;
        for _ in 0..args.rounds {
            let began = Instant::now();
            store.analytics_totals(scope.clone(), now).await?;
            latency.record(began.elapsed().as_micros() as u64)?;
        }
        report(kind, &latency);
    }
    // The report lists every chat of the range (up to 100,000 rows): a different job, shown
    // for what it costs.
    let mut latency = Histogram::<u64>::new(3)?;
    for _ in 0..args.rounds.min(5) {
        let began = Instant::now();
        store.report_totals(year(None), 100_000).await?;
        latency.record(began.elapsed().as_micros() as u64)?;
    }
    report("report with 100,000 usage rows", &latency);
    Ok(())
}

fn report(kind: &str, latency: &Histogram<u64>) {
    println!(
        "{kind:<33} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
        latency.value_at_quantile(0.50) as f64 / 1000.0,
        latency.value_at_quantile(0.95) as f64 / 1000.0,
        latency.max() as f64 / 1000.0,
    );
}
