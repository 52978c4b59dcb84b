//! Seeds a database of real size for the search, analytics and export benchmarks
//! (docs/benchmark.md): ended chats spread over a year, each with a customer's name and email
//! and messages drawn from a vocabulary of common and rare words, written straight into
//! SQLite in large transactions, then indexed for search as the server indexes them.
//!
//! ```text
//! cargo run --release --example seed -- --db big.db --chats 1000000 --messages-per-chat 10
//! ```
//!
//! Every message has a few words from a 2,000-word vocabulary (Zipf-like, so some words are in
//! most chats and others in a few), and one chat in a thousand mentions "zanzibar", so a query
//! can ask for something rare.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};

#[derive(Parser)]
#[command(about = "Seed a frontdesk database for benchmarks")]
struct Args {
    /// The database file to create (must not exist).
    #[arg(long)]
    db: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    chats: u64,
    #[arg(long, default_value_t = 10)]
    messages_per_chat: u64,
    /// Days the chats are spread over, ending now.
    #[arg(long, default_value_t = 365)]
    days: u64,
}

const CHATS_PER_TRANSACTION: u64 = 10_000;
const VOCABULARY: usize = 2_000;
const FIRST_NAMES: [&str; 12] = [
    "Ada", "Bo", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ines", "Jon", "Kofi", "Lena",
];
const COMMON: [&str; 24] = [
    "order", "refund", "parcel", "late", "thanks", "please", "account", "password", "payment",
    "card", "delivery", "address", "invoice", "help", "broken", "return", "app", "login", "email",
    "code", "price", "discount", "cancel", "today",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.db.exists() {
        return Err(format!("{} exists; seed a new file", args.db.display()).into());
    }
    // Opening the store once creates and migrates the schema.
    drop(frontdesk::store::SqliteStore::open(&args.db)?);
    let mut conn = Connection::open(&args.db)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let words = vocabulary();
    let mut rng = SmallRng::seed_from_u64(16);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let span_ms = args.days as i64 * 86_400_000;
    let began = Instant::now();
    let mut chat = 0;
    while chat < args.chats {
        let tx = conn.transaction()?;
        {
            let mut session = tx.prepare(
                "INSERT INTO sessions (id, user_id, user_name, user_email, status, created_at,
                     last_activity_at, ended_at, ended_by, channel, message_count, last_seq)
                 VALUES (?1, ?2, ?3, ?4, 'ended_by_user', ?5, ?6, ?6, 'user', ?7, ?8, ?8)",
            )?;
            let mut message = tx.prepare(
                "INSERT INTO messages (id, session_id, sender, body, created_at, session_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let end = (chat + CHATS_PER_TRANSACTION).min(args.chats);
            for c in chat..end {
                // Chats in time order, as they would have arrived.
                let start = now_ms - span_ms + (c as i64 * span_ms) / args.chats as i64;
                let id = format!("chat_{c}");
                let first = FIRST_NAMES[c as usize % FIRST_NAMES.len()];
                let n = args.messages_per_chat as i64;
                session.execute(params![
                    id,
                    format!("user_{c}"),
                    format!("{first} {}", words[c as usize % VOCABULARY]),
                    format!("{}.{c}@example.com", first.to_lowercase()),
                    start,
                    start + n * 30_000,
                    if c % 3 == 0 { "web" } else { "app" },
                    n,
                ])?;
                for m in 0..n {
                    let sender = if m % 2 == 0 { "user" } else { "admin" };
                    let mut body = sentence(&mut rng, &words);
                    if c % 1000 == 7 && m == 0 {
                        body.push_str(" shipped to zanzibar");
                    }
                    message.execute(params![
                        format!("m{m}"),
                        id,
                        sender,
                        body,
                        start + m * 30_000,
                        m + 1
                    ])?;
                }
            }
            chat = end;
        }
        tx.commit()?;
        let secs = began.elapsed().as_secs_f64();
        eprintln!(
            "seed: {chat} chats, {} messages, {secs:.0} s",
            chat * args.messages_per_chat
        );
    }
    drop(conn);
    // Messages reach the search index behind their writes; index them all now, as a server
    // would in its first minutes, so the benchmarks search a complete index.
    let indexing = Instant::now();
    let store = frontdesk::store::SqliteStore::open(&args.db)?;
    tokio::runtime::Runtime::new()?.block_on(store.catch_up_search_index())?;
    drop(store);
    eprintln!(
        "seed: indexed for search in {:.0} s",
        indexing.elapsed().as_secs_f64()
    );
    let conn = Connection::open(&args.db)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    println!(
        "seeded {} chats and {} messages in {:.0} s",
        args.chats,
        args.chats * args.messages_per_chat,
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Common support words first, then made-up words, so the Zipf draw favours the common ones.
fn vocabulary() -> Vec<String> {
    let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pe"];
    let mut words: Vec<String> = COMMON.iter().map(|w| w.to_string()).collect();
    let mut i = 0usize;
    while words.len() < VOCABULARY {
        let w: String = [i % 10, (i / 10) % 10, (i / 100) % 10, (i / 1000) % 10]
            .iter()
            .map(|&s| syllables[s])
            .collect();
        words.push(w);
        i += 1;
    }
    words
}

/// Six to fourteen words, the rank of each drawn roughly by Zipf's law.
fn sentence(rng: &mut SmallRng, words: &[String]) -> String {
    let n = rng.random_range(6..=14);
    let mut out = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        // 1/u spreads ranks like Zipf's law: rank r comes up about 1/r as often as rank 1.
        let u: f64 = rng.random_range(0.0005..1.0);
        let rank = ((1.0 / u) as usize).min(words.len()) - 1;
        out.push_str(&words[rank]);
    }
    out
}
