//! `chatload`: load generator for chat servers (chatcore, and the two baselines).
//!
//! - `chatload run …` runs one scenario against one server you started yourself;
//! - `chatload compare` starts the example server and both baselines itself (pinned
//!   to CPU 0 with `taskset`), runs every scenario against each, and writes
//!   `benches/results/` (JSON, SVG) and the broadcast tables of `docs/BENCHMARKS.md`.
//!
//! Run the generator on a core of its own: `taskset -c 1 chatload …` (`benches/run.sh`
//! does all of it). See `docs/BENCHMARKS.md`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use chatcore_benches::load::{self, Report, RunOptions, Scenario, Target, report};
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
    /// Label of the report.
    #[arg(long, default_value = "server")]
    label: String,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
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

type Res<T> = Result<T, Box<dyn std::error::Error>>;

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
    };
    let r = load::run(opts).await?;
    print_report(&r);
    if let Some(p) = a.json {
        std::fs::write(&p, serde_json::to_vec_pretty(&r)?)?;
    }
    if r.lost > 0 || r.duplicated > 0 {
        return Err(format!("{} lost and {} duplicated deliveries", r.lost, r.duplicated).into());
    }
    Ok(())
}

fn print_report(r: &Report) {
    println!("{}", report::table(std::slice::from_ref(r), None));
    if let Some(m) = r.memory_per_connection_bytes {
        println!(
            "server memory: {} KiB before, {} KiB with {} clients: {:.1} KB per connection",
            r.server_rss_before_kib.unwrap_or(0),
            r.server_rss_connected_kib.unwrap_or(0),
            r.clients,
            m as f64 / 1000.0
        );
    }
}

/// A server started by `compare`.
struct Server {
    name: &'static str,
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn start(
    name: &'static str,
    bin: &Path,
    args: &[String],
    port: u16,
    cpu: Option<usize>,
    log: &Path,
) -> Res<Server> {
    let mut cmd = match cpu {
        Some(c) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(c.to_string()).arg(bin);
            cmd
        }
        None => Command::new(bin),
    };
    let log_file = std::fs::File::create(log)?;
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let addr = format!("127.0.0.1:{port}");
    let server = Server { name, child, addr };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if tokio::net::TcpStream::connect(&server.addr).await.is_ok() {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err(format!("{name} did not start; see {}", log.display()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Plan {
    scenario: Scenario,
    kind: &'static str,
}

fn plans(duration: f64, quick: bool) -> Vec<Plan> {
    let d = if quick { 4.0 } else { duration };
    let w = if quick { 1.0 } else { 3.0 };
    let sc = |rooms: usize, members: usize, publishers: usize, rate: Option<f64>| Scenario {
        rooms,
        members,
        publishers,
        rate,
        window: 64,
        payload: 100,
        duration_secs: d,
        warmup_secs: w,
    };
    let mut v = Vec::new();
    // 100 publishers in every scenario: a connection's sends are handled one after
    // the other (each is acknowledged once durable), so a few publishers at hundreds
    // of messages a second each would measure one connection's round trip, not the
    // fan-out; chat traffic comes from many senders at human rates.
    for (rooms, members, publishers) in [(1, 1000, 100), (10, 100, 100), (100, 10, 100)] {
        v.push(Plan {
            scenario: sc(rooms, members, publishers, None),
            kind: "max",
        });
        // 100,000 deliveries a second.
        #[allow(clippy::cast_precision_loss)]
        let rate = 100_000.0 / members as f64;
        v.push(Plan {
            scenario: sc(rooms, members, publishers, Some(rate)),
            kind: "100k",
        });
    }
    // The sustained target: 1,000,000 deliveries a second in 1 × 1000.
    v.push(Plan {
        scenario: sc(1, 1000, 100, Some(1000.0)),
        kind: "1m",
    });
    v
}

async fn compare(a: CompareArgs) -> Res<()> {
    let bin_dir = match &a.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("no directory for the binaries")?
            .to_path_buf(),
    };
    std::fs::create_dir_all(&a.out)?;
    let state_dir = a.out.join("state");
    std::fs::create_dir_all(&state_dir)?;
    let cpu = if has_taskset() {
        Some(a.server_cpu)
    } else {
        eprintln!("warning: taskset not found: the servers are not pinned");
        None
    };
    let servers: Vec<(&'static str, Target, &str, u16)> = vec![
        ("chatcore", Target::Chatcore, "chat-server", 3100),
        ("chatcore-memstore", Target::Chatcore, "chat-server", 3103),
        (
            "axum+broadcast",
            Target::Broadcast,
            "baseline-broadcast",
            3101,
        ),
        ("socketioxide", Target::Socketio, "baseline-socketio", 3102),
    ];

    let mut reports: Vec<Report> = Vec::new();
    let mut memory: Vec<Report> = Vec::new();
    let started = chrono::Utc::now();
    for (name, target, bin, port) in servers {
        if !a.only.is_empty() && !a.only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        let bin_path = bin_dir.join(bin);
        let args: Vec<String> = match target {
            Target::Chatcore => {
                let mut v = vec![
                    "--port".to_owned(),
                    port.to_string(),
                    "--bench-limits".to_owned(),
                ];
                if name == "chatcore-memstore" {
                    // The in-memory store: nothing persisted, like the baselines.
                    v.push("--memory".to_owned());
                } else {
                    v.push("--data-dir".to_owned());
                    v.push(state_dir.display().to_string());
                }
                v.extend(a.chat_server_args.iter().cloned());
                v
            }
            _ => vec!["--port".to_owned(), port.to_string()],
        };
        let log = a.out.join(format!("{name}.log"));
        let token_cache = state_dir.join(format!("{name}-tokens.json"));
        let options = |scenario: Scenario, pid: Option<u32>, addr: &str| RunOptions {
            target,
            addr: addr.to_owned(),
            api_path: "/api".to_owned(),
            scenario,
            server_pid: pid,
            token_cache: Some(token_cache.clone()),
            users: 1000,
            progress: true,
            label: name.to_owned(),
        };
        // Idle memory first, on a fresh process (not for the in-memory store: its
        // users are registered anew at each start, and the password hashing leaves
        // the allocator holding memory that blurs the figure).
        if name != "chatcore-memstore" {
            let server = start(name, &bin_path, &args, port, cpu, &log).await?;
            let pid = server.child.id();
            let members = 10;
            let rooms = a.idle_connections.div_ceil(members);
            let sc = Scenario {
                rooms,
                members,
                publishers: 0,
                rate: None,
                window: 0,
                payload: 100,
                duration_secs: 1.0,
                warmup_secs: 0.0,
            };
            eprintln!(
                "== {} idle memory, {} connections",
                server.name,
                rooms * members
            );
            let r = load::run(options(sc, Some(pid), &server.addr)).await?;
            print_report(&r);
            memory.push(r);
        }
        let server = start(name, &bin_path, &args, port, cpu, &log).await?;
        let pid = server.child.id();
        for plan in plans(a.duration, a.quick) {
            if plan.kind == "1m" && target != Target::Chatcore {
                continue;
            }
            eprintln!("== {} {} {}", server.name, plan.scenario.name(), plan.kind);
            let r = load::run(options(plan.scenario, Some(pid), &server.addr)).await?;
            print_report(&r);
            reports.push(r);
        }
        drop(server);
    }
    let finished = chrono::Utc::now();
    let json = serde_json::json!({
        "started": started,
        "finished": finished,
        "machine": machine(),
        "runs": reports,
        "idle_memory": memory,
    });
    std::fs::write(
        a.out.join("compare.json"),
        serde_json::to_vec_pretty(&json)?,
    )?;
    let max: Vec<&Report> = reports
        .iter()
        .filter(|r| r.scenario.rate.is_none())
        .collect();
    std::fs::write(
        a.out.join("throughput.svg"),
        report::svg_bars(
            "Max deliveries/s, 100-byte messages, server on one core",
            "deliveries per second",
            &max,
            |r| r.deliveries_per_sec,
        ),
    )?;
    let at100k: Vec<&Report> = reports
        .iter()
        .filter(|r| {
            r.scenario
                .rate
                .is_some_and(|x| (x * r.scenario.members as f64 - 100_000.0).abs() < 1.0)
        })
        .collect();
    std::fs::write(
        a.out.join("latency-100k.svg"),
        report::svg_bars(
            "p99 latency (µs) at 100,000 deliveries/s",
            "p99 latency, µs",
            &at100k,
            |r| r.latency_us.p99 as f64,
        ),
    )?;
    let section = docs_section(&reports, &memory, &json, &a);
    println!("{section}");
    if !a.no_docs {
        update_docs(&a.docs, &section)?;
        eprintln!("updated {}", a.docs.display());
    }
    Ok(())
}

fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_owned())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_default();
    serde_json::json!({"cpu": cpu, "kernel": kernel, "generator_cpus": cores, "memory": mem})
}

const BEGIN: &str =
    "<!-- broadcast-results:begin (generated by `chatload compare`; do not edit) -->";
const END: &str = "<!-- broadcast-results:end -->";

fn docs_section(
    reports: &[Report],
    memory: &[Report],
    json: &serde_json::Value,
    a: &CompareArgs,
) -> String {
    let mut s = String::new();
    s.push_str(BEGIN);
    s.push('\n');
    s.push_str(&format!(
        "\nRun of {} on {} ({}), kernel {}.{}\n\n",
        json["finished"].as_str().unwrap_or(""),
        json["machine"]["cpu"].as_str().unwrap_or("?"),
        json["machine"]["memory"]
            .as_str()
            .unwrap_or("")
            .replace("  ", " "),
        json["machine"]["kernel"].as_str().unwrap_or("?"),
        if a.chat_server_args.is_empty() {
            String::new()
        } else {
            format!(
                " chat-server extra flags: `{}`.",
                a.chat_server_args.join(" ")
            )
        }
    ));
    s.push_str("#### Maximum throughput (closed loop: at most 64 messages per room in flight)\n\n");
    let max: Vec<Report> = reports
        .iter()
        .filter(|r| r.scenario.rate.is_none())
        .cloned()
        .collect();
    s.push_str(&report::table(
        &max,
        Some(&["chatcore", "chatcore-memstore"]),
    ));
    s.push_str("\n#### Fixed rates (open loop)\n\n");
    let fixed: Vec<Report> = reports
        .iter()
        .filter(|r| r.scenario.rate.is_some())
        .cloned()
        .collect();
    s.push_str(&report::table(&fixed, None));
    s.push_str("\n#### Memory per idle connection\n\n");
    s.push_str(&report::memory_table(memory));
    s.push_str("\n![Max deliveries per second](../benches/results/throughput.svg)\n");
    s.push_str("![p99 latency at 100k deliveries/s](../benches/results/latency-100k.svg)\n\n");
    s.push_str(END);
    s.push('\n');
    s
}

fn update_docs(path: &Path, section: &str) -> Res<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!(
                "{}{}{}",
                &old[..b],
                section,
                &old[e + END.len()..].trim_start_matches('\n')
            )
        }
        _ => {
            let mut s = old;
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
            s.push('\n');
            s.push_str(section);
            s
        }
    };
    std::fs::write(path, new)?;
    Ok(())
}
