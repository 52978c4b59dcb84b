//! Command line: global options, the modes and their options.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Load generator for frontdesk benchmarks",
    args_override_self = true
)]
pub struct Cli {
    /// Base URL of the running server (plain HTTP).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// HS256 secret the server verifies user tokens with.
    #[arg(long, global = true, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Server process id, to report its memory (VmRSS) and CPU use.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Seconds measured (default: 30, hammer 10).
    #[arg(long, global = true)]
    pub duration: Option<f64>,
    /// Seconds of load before measuring starts.
    #[arg(long, global = true, default_value_t = 2.0)]
    pub warmup: f64,
    /// Runtime worker threads (default: one per core).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Parallel requests while creating sessions, agents and connections.
    #[arg(long, global = true, default_value_t = 64)]
    pub setup_parallelism: usize,
    /// A super admin's email; `phones` creates the replying agents with it.
    #[arg(long, global = true, env = "LOADGEN_AGENT_EMAIL")]
    pub agent_email: Option<String>,
    /// That super admin's password.
    #[arg(
        long,
        global = true,
        env = "LOADGEN_AGENT_PASSWORD",
        hide_env_values = true
    )]
    pub agent_password: Option<String>,
    /// Chats each agent holds (the server allows at most 1000).
    #[arg(long, global = true, default_value_t = 1000)]
    pub agent_capacity: usize,
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Subcommand)]
pub enum Mode {
    /// Phones polling (or long-polling, or streaming) their sessions while agents reply.
    Phones(PhonesArgs),
    /// Users sending messages back to back, each on their own session.
    Senders(SendersArgs),
    /// One route as fast as possible.
    Hammer(HammerArgs),
    /// Phones polling while an attacker holds idle and slowloris connections.
    Hostile(HostileArgs),
}

#[derive(Args)]
pub struct PhonesArgs {
    /// Phones, each its own user with its own session.
    #[arg(long, default_value_t = 10_000)]
    pub phones: usize,
    /// Keep-alive connections the phones share (default 2000; with --long-poll, one per phone).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Milliseconds between a phone's polls (each one jittered by ±10%).
    #[arg(long, default_value_t = 2000)]
    pub interval_ms: u64,
    /// Hold each poll with `wait` and poll again as soon as it answers.
    #[arg(long, conflicts_with = "sse")]
    pub long_poll: bool,
    /// Seconds a long-poll is held.
    #[arg(long, default_value_t = 25)]
    pub wait: u64,
    /// Open the server-sent event stream instead of polling (one connection per phone).
    #[arg(long)]
    pub sse: bool,
    /// Agents replying (each one created and signed in by the load generator).
    #[arg(long, default_value_t = 20)]
    pub agents: usize,
    /// Agent replies per second, all agents together.
    #[arg(long, default_value_t = 200.0)]
    pub reply_rate: f64,
    /// Server RSS (MB) the polling check allows.
    #[arg(long, default_value_t = 150.0)]
    pub rss_target_mb: f64,
    /// Where the agents send their replies, when not to `--url`: another replica of the same
    /// business, so every reply reaches its phone across replicas.
    #[arg(long)]
    pub agent_url: Option<String>,
}

#[derive(Args)]
pub struct SendersArgs {
    /// Users sending at once, each on its own session and connection.
    #[arg(long, default_value_t = 200)]
    pub senders: usize,
}

#[derive(Args)]
pub struct HammerArgs {
    #[arg(long, value_enum, default_value_t = Target::Compare)]
    pub target: Target,
    /// Connections, each sending its next request as soon as the answer arrives.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// With `compare`: how many not-found/empty-poll pairs to run.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
}

#[derive(Args)]
pub struct HostileArgs {
    #[command(flatten)]
    pub phones: PhonesArgs,
    /// Connections held open that never send a byte.
    #[arg(long, default_value_t = 2000)]
    pub idle: usize,
    /// Connections trickling a request head that never ends.
    #[arg(long, default_value_t = 300)]
    pub slowloris: usize,
    /// Milliseconds between a slowloris connection's header lines.
    #[arg(long, default_value_t = 1000)]
    pub trickle_ms: u64,
    /// Source address of the idle connections (any 127.0.0.0/8 address is loopback on Linux,
    /// so the server sees the attacker apart from the phones; 0.0.0.0 for a remote server).
    #[arg(long, default_value = "127.0.0.2")]
    pub idle_from: std::net::IpAddr,
    /// Source address of the slowloris connections.
    #[arg(long, default_value = "127.0.0.3")]
    pub slowloris_from: std::net::IpAddr,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// A poll whose `after` is the newest message: answered from memory.
    EmptyPoll,
    /// `GET /nope`: the 404 envelope, the cheapest route.
    NotFound,
    /// `GET /healthz`.
    Health,
    /// not-found then empty-poll in one run, and the ratio of their rates.
    Compare,
}
