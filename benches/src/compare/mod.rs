//! `chatload compare`: start the example server and both baselines (each pinned to
//! one core), run every scenario against each, write `benches/results/` (JSON, SVG)
//! and regenerate the broadcast tables of `docs/BENCHMARKS.md`.
//!
//! For each server, in this order:
//!
//! - **idle memory**, in two room shapes (1,000 rooms × 10 and one room of 10,000
//!   connections of 1,000 users), each on a fresh process: chatcore's users, rooms
//!   and memberships are made first on another process of the same database
//!   ([`load::prepare`]), so that the process measured never hashed a password
//!   (Argon2's blocks, freed, would hide what the connections take);
//! - **100 publishers**: closed loop (max) and 100,000 deliveries/s per shape, and
//!   chatcore's 1,000,000 deliveries/s in 1 × 1,000;
//! - **one publisher per room**: the highest rate sustained ([`load::Search`]), and
//!   10,000 deliveries/s (the latency of a lightly loaded server).

mod docs;
mod servers;

use std::path::PathBuf;

use crate::load::{self, Prepared, Report, RunOptions, Scenario, Search, Target, report};
use servers::{Server, has_taskset, machine, start};

/// A boxed error.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// What `compare` does.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Where the results go.
    pub out: PathBuf,
    /// The Markdown file whose broadcast section is regenerated (None: leave it).
    pub docs: Option<PathBuf>,
    /// Directory of the server binaries.
    pub bin_dir: PathBuf,
    /// CPU the servers are pinned to.
    pub server_cpu: usize,
    /// Seconds of publishing per run (and per stage of a search).
    pub duration: f64,
    /// Connections of the idle-memory runs.
    pub idle_connections: usize,
    /// Extra arguments for the example server.
    pub chat_server_args: Vec<String>,
    /// Only the servers whose names start with one of these.
    pub only: Vec<String>,
    /// A short run.
    pub quick: bool,
    /// Also chatcore on PostgreSQL: a fresh database made on this server.
    pub postgres_url: Option<String>,
}

/// How a scenario is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Closed loop, window 64 per room.
    Max,
    /// A fixed rate (open loop), named by its deliveries a second.
    Fixed(&'static str),
    /// The highest rate sustained (a search over open-loop stages).
    Sustained,
}

/// One scenario of the comparison.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The scenario (for a search: its stages' duration).
    pub scenario: Scenario,
    /// How it is loaded.
    pub kind: Kind,
    /// Only for chatcore (the 1,000,000 deliveries/s target).
    pub chatcore_only: bool,
}

/// The room shapes of the throughput scenarios.
const SHAPES: [(usize, usize); 3] = [(1, 1000), (10, 100), (100, 10)];

/// Every scenario, in order.
pub fn plans(duration: f64, quick: bool) -> Vec<Plan> {
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
    #[allow(clippy::cast_precision_loss)]
    let per_sec = |deliveries: f64, members: usize| Some(deliveries / members as f64);
    let plan = |scenario, kind| Plan {
        scenario,
        kind,
        chatcore_only: false,
    };
    let mut v = Vec::new();
    // 100 publishers: many senders at human rates, each connection's sends handled
    // in order.
    for (rooms, members) in SHAPES {
        v.push(plan(sc(rooms, members, 100, None), Kind::Max));
        v.push(plan(
            sc(rooms, members, 100, per_sec(100_000.0, members)),
            Kind::Fixed("100k"),
        ));
    }
    v.push(Plan {
        scenario: sc(1, 1000, 100, Some(1000.0)),
        kind: Kind::Fixed("1m"),
        chatcore_only: true,
    });
    // One publisher per room: where chat lives. Stages of a search are shorter.
    let (sd, sw) = if quick { (2.0, 0.5) } else { (6.0, 1.5) };
    for (rooms, members) in SHAPES {
        let mut s = sc(rooms, members, rooms, per_sec(20_000.0, members));
        s.duration_secs = sd;
        s.warmup_secs = sw;
        v.push(plan(s, Kind::Sustained));
        v.push(plan(
            sc(rooms, members, rooms, per_sec(10_000.0, members)),
            Kind::Fixed("10k"),
        ));
    }
    v
}

/// A server of the comparison.
struct Contender {
    name: &'static str,
    target: Target,
    bin: &'static str,
    port: u16,
    /// chatcore: the store flags.
    store: Vec<String>,
    /// chatcore: the token cache's name (servers of one database share it).
    tokens: &'static str,
    /// Whether the idle-memory runs are made (a fresh process must find the users
    /// made by the previous one: not with the in-memory store).
    memory: bool,
}

/// Run the comparison.
pub async fn compare(a: CompareOptions) -> Res<()> {
    std::fs::create_dir_all(&a.out)?;
    let state_dir = a.out.join("state");
    std::fs::create_dir_all(&state_dir)?;
    let cpu = if has_taskset() {
        Some(a.server_cpu)
    } else {
        eprintln!("warning: taskset not found: the servers are not pinned");
        None
    };
    let pg = match &a.postgres_url {
        Some(url) => Some(crate::pgdb::FreshDatabase::create(url, "chatload").await?),
        None => None,
    };
    let store = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut contenders = vec![Contender {
        name: "chatcore",
        target: Target::Chatcore,
        bin: "chat-server",
        port: 3100,
        store: store(&["--data-dir", &state_dir.display().to_string()]),
        tokens: "chatcore",
        memory: true,
    }];
    // The same server and database, over its Socket.IO transport.
    contenders.push(Contender {
        name: "chatcore-socketio",
        target: Target::ChatcoreSocketio,
        bin: "chat-server",
        port: 3105,
        store: store(&["--data-dir", &state_dir.display().to_string()]),
        tokens: "chatcore",
        memory: false,
    });
    if let Some(db) = &pg {
        contenders.push(Contender {
            name: "chatcore-postgres",
            target: Target::Chatcore,
            bin: "chat-server",
            port: 3104,
            store: store(&["--database-url", &db.url]),
            tokens: "chatcore-postgres",
            memory: false,
        });
    }
    contenders.extend([
        Contender {
            name: "chatcore-memstore",
            target: Target::Chatcore,
            bin: "chat-server",
            port: 3103,
            store: store(&["--memory"]),
            tokens: "chatcore-memstore",
            memory: false,
        },
        Contender {
            name: "axum+broadcast",
            target: Target::Broadcast,
            bin: "baseline-broadcast",
            port: 3101,
            store: Vec::new(),
            tokens: "",
            memory: true,
        },
        Contender {
            name: "socketioxide",
            target: Target::Socketio,
            bin: "baseline-socketio",
            port: 3102,
            store: Vec::new(),
            tokens: "",
            memory: true,
        },
    ]);

    let mut results = Results::default();
    let started = chrono::Utc::now();
    let load_at_start = machine();
    let outcome = async {
        for c in &contenders {
            if !a.only.is_empty() && !a.only.iter().any(|o| c.name.starts_with(o.as_str())) {
                continue;
            }
            run_contender(&a, c, cpu, &state_dir, &mut results).await?;
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    if let Some(db) = pg {
        db.drop_now().await;
    }
    outcome?;
    let json = serde_json::json!({
        "started": started,
        "finished": chrono::Utc::now(),
        "machine": load_at_start,
        "runs": results.runs,
        "sustained": results.sustained,
        "idle_memory": results.memory,
    });
    std::fs::write(
        a.out.join("compare.json"),
        serde_json::to_vec_pretty(&json)?,
    )?;
    docs::charts(&a.out, &results)?;
    let section = docs::section(&results, &json, &a.chat_server_args);
    println!("{section}");
    if let Some(path) = &a.docs {
        docs::update(path, &section)?;
        eprintln!("updated {}", path.display());
    }
    Ok(())
}

/// Everything measured.
#[derive(Debug, Default)]
pub(crate) struct Results {
    /// Closed-loop and fixed-rate runs.
    pub(crate) runs: Vec<Report>,
    /// Searches: every stage, per server and scenario.
    pub(crate) sustained: Vec<Vec<Report>>,
    /// Idle-memory runs.
    pub(crate) memory: Vec<Report>,
}

async fn run_contender(
    a: &CompareOptions,
    c: &Contender,
    cpu: Option<usize>,
    state_dir: &std::path::Path,
    results: &mut Results,
) -> Res<()> {
    let bin_path = a.bin_dir.join(c.bin);
    let mut args = vec!["--port".to_owned(), c.port.to_string()];
    if c.target.is_chatcore() {
        args.push("--bench-limits".to_owned());
        args.extend(c.store.iter().cloned());
        args.extend(a.chat_server_args.iter().cloned());
    }
    let log = a.out.join(format!("{}.log", c.name));
    let _ = std::fs::remove_file(&log);
    let token_cache = state_dir.join(format!("{}-tokens.json", c.tokens));
    let options = |scenario: Scenario, server: &Server| RunOptions {
        target: c.target,
        addr: server.addr.clone(),
        api_path: "/api".to_owned(),
        scenario,
        server_pid: Some(server.pid()),
        token_cache: Some(token_cache.clone()),
        users: 1000,
        progress: true,
        label: c.name.to_owned(),
        prepared: None,
    };
    if c.memory {
        for members in [10, a.idle_connections] {
            let sc = Scenario {
                rooms: a.idle_connections.div_ceil(members),
                members,
                publishers: 0,
                rate: None,
                window: 0,
                payload: 100,
                duration_secs: 1.0,
                warmup_secs: 0.0,
            };
            // Users, rooms and memberships on one process; measured on the next.
            let prepared: Option<Prepared> = if c.target.is_chatcore() {
                let server = start(c.name, &bin_path, &args, c.port, cpu, &log).await?;
                Some(load::prepare(&options(sc.clone(), &server)).await?)
            } else {
                None
            };
            let server = start(c.name, &bin_path, &args, c.port, cpu, &log).await?;
            eprintln!(
                "== {} idle memory, {} connections ({})",
                c.name,
                sc.clients(),
                sc.name()
            );
            let opts = RunOptions {
                prepared: prepared.clone(),
                ..options(sc, &server)
            };
            let r = load::run(opts.clone()).await?;
            if let Some(p) = &prepared {
                load::clean_up(&opts, p).await;
            }
            print_report(&r);
            results.memory.push(r);
        }
    }
    let server = start(c.name, &bin_path, &args, c.port, cpu, &log).await?;
    for plan in plans(a.duration, a.quick) {
        if plan.chatcore_only && c.target != Target::Chatcore {
            continue;
        }
        let sc = plan.scenario.clone();
        eprintln!(
            "== {} {} ({} publishers) {:?}",
            server.name,
            sc.name(),
            sc.publishers,
            plan.kind
        );
        if plan.kind == Kind::Sustained {
            let search = Search::default();
            let members = sc.members;
            let stages = load::run_stages(options(sc, &server), |done| {
                search.next(members, done).map(Some)
            })
            .await?;
            for s in &stages {
                eprintln!(
                    "   {:>9.0} deliveries/s offered: {}",
                    s.scenario.rate.unwrap_or(0.0) * members as f64,
                    search.failure(s).unwrap_or_else(|| "pass".into())
                );
            }
            if let Some(best) = search.best(&stages) {
                print_report(best);
            }
            results.sustained.push(stages);
        } else {
            let r = load::run(options(sc, &server)).await?;
            print_report(&r);
            results.runs.push(r);
        }
    }
    Ok(())
}

/// Print one report's table (and its memory figure).
pub fn print_report(r: &Report) {
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
