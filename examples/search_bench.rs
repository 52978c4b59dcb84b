//! Search latency on a seeded database (`examples/seed.rs`): word, prefix and phrase queries,
//! the first page of 20 hits each, through the store as the API calls it. Prints p50, p95 and
//! the slowest per kind.
//!
//! ```text
//! cargo run --release --example search_bench -- --db big.db --rounds 200
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use frontdesk::domain::search::{SearchFilters, parse_terms};
use frontdesk::domain::{Channel, Timestamp};
use frontdesk::store::search::SearchRequest;
use frontdesk::store::{SearchStore, SqliteStore};
use hdrhistogram::Histogram;

const DAY_MS: i64 = 86_400_000;

#[derive(Parser)]
#[command(about = "Measure search latency on a seeded database")]
struct Args {
    #[arg(long)]
    db: PathBuf,
    /// Queries of each kind.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
}

/// Words the seed uses: the common ones, a made-up one from deep in its vocabulary (`runemilo`), and the
/// rare one.
const WORDS: [&str; 8] = [
    "refund", "parcel", "password", "invoice", "runemilo", "zanzibar", "delivery", "today",
];
const PREFIXES: [&str; 6] = ["ref*", "pa*", "inv*", "ka*", "zan*", "del*"];
const PHRASES: [&str; 5] = [
    "\"order refund\"",
    "\"late parcel\"",
    "\"shipped to zanzibar\"",
    "\"thanks please\"",
    "\"card payment\"",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.db.exists() {
        return Err(format!("{} does not exist; seed it first", args.db.display()).into());
    }
    let store = SqliteStore::open(&args.db)?;
    println!(
        "== search: first page of 20, {} queries per kind ==",
        args.rounds
    );
    // The last kind is the worst case: a filter no chat passes (the seed has no offline
    // chats), so every match of the word is looked at before the page comes back empty.
    let offline = SearchFilters {
        channel: Some(Channel::Offline),
        ..SearchFilters::default()
    };
    // The seed's first month: the matches newest-first order reaches last.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let first_month = SearchFilters {
        from: Some(Timestamp(now - 365 * DAY_MS)),
        until: Some(Timestamp(now - 335 * DAY_MS)),
        ..SearchFilters::default()
    };
    for (kind, queries, filters, rounds) in [
        ("word", &WORDS[..], SearchFilters::default(), args.rounds),
        (
            "prefix",
            &PREFIXES[..],
            SearchFilters::default(),
            args.rounds,
        ),
        (
            "phrase",
            &PHRASES[..],
            SearchFilters::default(),
            args.rounds,
        ),
        (
            "word, the seed's first month",
            &WORDS[..],
            first_month,
            args.rounds,
        ),
        (
            "rare word, filter passing none",
            &["zanzibar"][..],
            offline.clone(),
            args.rounds,
        ),
        // Seconds each: a few runs tell enough.
        (
            "common word, filter passing none",
            &["refund"][..],
            offline,
            args.rounds.min(5),
        ),
    ] {
        let mut latency = Histogram::<u64>::new(3)?;
        let mut hits = 0;
        for i in 0..rounds {
            let q = queries[i % queries.len()];
            let began = Instant::now();
            let found = store
                .search(SearchRequest {
                    terms: parse_terms(q),
                    filters: filters.clone(),
                    offset: 0,
                    limit: 21,
                })
                .await?;
            latency.record(began.elapsed().as_micros() as u64)?;
            hits += found.len();
        }
        println!(
            "{kind:<33} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({:.1} hits per query)",
            latency.value_at_quantile(0.50) as f64 / 1000.0,
            latency.value_at_quantile(0.95) as f64 / 1000.0,
            latency.max() as f64 / 1000.0,
            hits as f64 / rounds as f64,
        );
    }
    Ok(())
}
