//! `chatload`: load generator for chat servers (chatcore, and the two baselines).
//!
//! - `chatload run …` runs one scenario against one server you started yourself;
//! - `chatload compare` starts the example server and both baselines itself (pinned
//!   to CPU 0 with `taskset`), runs every scenario against each, and writes
//!   `benches/results/` (JSON, SVG) and the broadcast tables of `docs/BENCHMARKS.md`.
//!
//! Run the generator on a core of its own: `taskset -c 1 chatload …` (`benches/run.sh`
//! does all of it). See `docs/BENCHMARKS.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use chatcore_benches::compare::{self, CompareOptions, print_report};
use chatcore_benches::load::{self, RunOptions, Scenario, Search, Target};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "chatload", about = "WebSocket chat load generator", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run one scenario against a running server.
    Run(RunArgs),
    /// Start the example server and both baselines, run every scenario against
    /// each, write the results and regenerate the tables in docs/BENCHMARKS.md.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Protocol of the server.
    #[arg(long, value_enum, default_value = "chatcore")]
    target: Target,
    /// Server address, host:port; several, separated by commas, spread the clients
    /// over the nodes of a cluster (client i connects to address i mod n).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// chatcore: path the API is mounted at.
    #[arg(long, default_value = "/api")]
    api_path: String,
    /// Rooms.
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Members (connected clients) per room.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Publishing clients in all (spread over the rooms); 0: connect and idle.
    #[arg(long, default_value_t = 10)]
    publishers: usize,
    /// Messages per second in all, or `max` (closed loop bounded by --window).
    #[arg(long, default_value = "max")]
    rate: String,
    /// Closed loop: messages per room in flight (not yet delivered to every member).
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Message body size, bytes.
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 15.0)]
    duration: f64,
    /// Seconds of warm-up (left out of the figures).
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// The server's pid, to report its memory per connection and CPU use.
    #[arg(long)]
    server_pid: Option<u32>,
    /// chatcore: distinct users (0: one per client; a user may hold 16 connections).
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// chatcore: file caching the bench users' tokens (registration hashes passwords).
    #[arg(long)]
    token_cache: Option<PathBuf>,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only make the users, rooms and memberships, write them to this file and stop
    /// (for a run on a fresh server process: `--prepared`).
    #[arg(long)]
    prepare_only: Option<PathBuf>,
    /// Use the users, rooms and memberships of `--prepare-only` (made beforehand, on
    /// an earlier process of the same database); they are left in place.
    #[arg(long, conflicts_with = "prepare_only")]
    prepared: Option<PathBuf>,
    /// Label of the report.
    #[arg(long, default_value = "server")]
    label: String,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Find the highest rate sustained (open loop; 0 lost, p99 ≤ 50 ms from the
    /// scheduled send time): stages of --duration seconds, doubling the rate from
    /// 20,000 deliveries/s until one fails, then narrowing down. --rate is ignored.
    #[arg(long)]
    search: bool,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Where the results go.
    #[arg(long, default_value = "benches/results")]
    out: PathBuf,
    /// The Markdown file whose broadcast section is regenerated.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    docs: PathBuf,
    /// Directory of the server binaries (default: next to this one).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// CPU the servers are pinned to (taskset); the generator should run on another.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// Seconds of publishing per run.
    #[arg(long, default_value_t = 15.0)]
    duration: f64,
    /// Connections of the idle-memory run.
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Also chatcore on PostgreSQL: a fresh database is made (and dropped) on the
    /// server of this URL.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Extra arguments for the example server (e.g. `--memory`).
    #[arg(long, allow_hyphen_values = true)]
    chat_server_args: Vec<String>,
    /// Only these servers (chatcore, broadcast, socketio).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// A short run (a few seconds per scenario), for checking the setup.
    #[arg(long)]
    quick: bool,
    /// Do not touch the docs.
    #[arg(long)]
    no_docs: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    let res = local.block_on(&rt, async move {
        match cli.command {
            Cmd::Run(a) => run_one(a).await,
            Cmd::Compare(a) => compare(a).await,
        }
    });
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

use compare::Res;

fn parse_rate(s: &str) -> Res<Option<f64>> {
    if s == "max" {
        Ok(None)
    } else {
        Ok(Some(
            s.parse::<f64>().map_err(|e| format!("--rate {s}: {e}"))?,
        ))
    }
}

async fn run_one(a: RunArgs) -> Res<()> {
    let opts = RunOptions {
        target: a.target,
        addr: a.addr,
        api_path: a.api_path,
        scenario: Scenario {
            rooms: a.rooms,
            members: a.members,
            publishers: a.publishers,
            rate: parse_rate(&a.rate)?,
            window: a.window,
            payload: a.payload,
            duration_secs: a.duration,
            warmup_secs: a.warmup,
        },
        server_pid: a.server_pid,
        token_cache: a.token_cache,
        users: a.users,
        progress: !a.quiet,
        label: a.label,
        prepared: match &a.prepared {
            Some(p) => Some(serde_json::from_slice(&std::fs::read(p)?)?),
            None => None,
        },
    };
    if let Some(p) = a.prepare_only {
        let prepared = load::prepare(&opts).await?;
        std::fs::write(&p, serde_json::to_vec(&prepared)?)?;
        println!(
            "prepared {} rooms: {}",
            prepared.room_ids.len(),
            p.display()
        );
        return Ok(());
    }
    let r = if a.search {
        let search = Search::default();
        let members = opts.scenario.members;
        let stages = load::run_stages(opts, |done| search.next(members, done).map(Some)).await?;
        for s in &stages {
            print_report(s);
            println!("{}", search.failure(s).unwrap_or_else(|| "pass".into()));
        }
        let best = search.best(&stages).ok_or("no stage passed")?.clone();
        println!("sustained:");
        best
    } else {
        load::run(opts).await?
    };
    print_report(&r);
    if let Some(p) = a.json {
        std::fs::write(&p, serde_json::to_vec_pretty(&r)?)?;
    }
    if r.lost > 0 || r.duplicated > 0 {
        return Err(format!("{} lost and {} duplicated deliveries", r.lost, r.duplicated).into());
    }
    Ok(())
}

async fn compare(a: CompareArgs) -> Res<()> {
    let bin_dir = match a.bin_dir {
        Some(d) => d,
        None => std::env::current_exe()?
            .parent()
            .ok_or("no directory for the binaries")?
            .to_path_buf(),
    };
    compare::compare(CompareOptions {
        out: a.out,
        docs: (!a.no_docs).then_some(a.docs),
        bin_dir,
        server_cpu: a.server_cpu,
        duration: a.duration,
        idle_connections: a.idle_connections,
        chat_server_args: a.chat_server_args,
        only: a.only,
        quick: a.quick,
        postgres_url: a.postgres_url,
    })
    .await
}
