//! Load generator for the benchmarks in docs/benchmark.md. It runs against a server started
//! separately (scripts/bench starts one) and shares the machine with it, so it speaks HTTP/1.1
//! through hyper's connection-level client over its own small pool, builds tokens and paths
//! before the clock starts, and keeps latencies in HDR histograms.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 --jwt-secret S \
//!     --agent-email admin@example.com --agent-password P phones --phones 10000
//! cargo run --release --example loadgen -- --jwt-secret S senders --senders 200
//! cargo run --release --example loadgen -- --jwt-secret S hammer --target compare
//! cargo run --release --example loadgen -- --jwt-secret S hostile --idle 2000 --slowloris 300
//! ```
//!
//! Modes: `phones` (polling phones, or `--long-poll`, or `--sse`, while agents reply),
//! `senders` (durable user messages back to back), `hammer` (one route as fast as possible)
//! and `hostile` (phones polling while idle and slowloris connections are held).

mod cli;
mod hammer;
mod hostile;
mod http;
mod monitor;
mod phones;
mod senders;
mod setup;
mod stats;

use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use clap::Parser;
use jsonwebtoken::EncodingKey;

use cli::{Cli, Mode};
use hammer::hammer_mode;
use hostile::hostile_mode;
use phones::phones_mode;
use senders::senders_mode;
use stats::{BASE, CHECK_FAILED};

fn main() {
    let cli = Cli::parse();
    BASE.get_or_init(Instant::now);
    let Some(secret) = cli.jwt_secret.as_deref() else {
        eprintln!("loadgen: give --jwt-secret (or JWT_SECRET) to mint user tokens");
        std::process::exit(2);
    };
    let secret = EncodingKey::from_secret(secret.as_bytes());
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = runtime.enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match &cli.mode {
            Mode::Phones(args) => phones_mode(&cli, args, &secret).await,
            Mode::Senders(args) => senders_mode(&cli, args, &secret).await,
            Mode::Hammer(args) => hammer_mode(&cli, args, &secret).await,
            Mode::Hostile(args) => hostile_mode(&cli, args, &secret).await,
        }
    });
    // Held polls and streams may still be open; do not wait for them.
    runtime.shutdown_background();
    match result {
        Ok(_) if CHECK_FAILED.load(Relaxed) => std::process::exit(1),
        Ok(_) => {}
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    }
}
