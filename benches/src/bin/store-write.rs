//! Store write throughput: persisted messages per second and acknowledgement
//! latency of `append_message`, with 1, 8 and 64 concurrent senders, for SQLite
//! (a file in WAL mode) and PostgreSQL.
//!
//! Run with (release, as the figures in `docs/BENCHMARKS.md`):
//!
//! ```text
//! cargo run --release -p chatcore-benches --bin store-write -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/postgres
//! ```
//!
//! Each sender appends messages in a loop for `--seconds` (after a warm-up) and
//! records the latency of every acknowledged append (the call returns after the
//! commit). PostgreSQL runs in a fresh database that is dropped afterwards; SQLite
//! in a fresh file in a temporary directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chatcore::model::{MessageKind, NewMessage, NewUser, Room, User};
use chatcore::store::EventStamp;
use chatcore::{MessageId, Store, UserId, Username};
use chatcore_benches::pgdb::FreshDatabase;
use chatcore_postgres::{PostgresOptions, PostgresStore};
use chatcore_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use chrono::Utc;
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sync {
    Full,
    Normal,
}

/// Store write throughput benchmark.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Backends to measure (PostgreSQL only with a database URL).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres])]
    backend: Vec<Backend>,
    /// PostgreSQL server URL; the benchmark creates (and drops) its own database there.
    #[arg(long, env = "CHATCORE_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// Numbers of concurrent senders, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64])]
    senders: Vec<usize>,
    /// Rooms the senders write to (sender i writes to room i mod rooms).
    #[arg(long, default_value_t = 8)]
    rooms: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up seconds per run (not measured).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 100)]
    body_bytes: usize,
    /// SQLite `synchronous` setting (NORMAL is the store's default).
    #[arg(long, value_enum, default_value_t = Sync::Normal)]
    sqlite_synchronous: Sync,
    /// Directory for the SQLite file (default: the system's temporary directory).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// Also queue each message's `message_created` outbox row in the append's
    /// transaction (`OutboxTxnStore::append_message_queued`, what a `Chat` with its
    /// outbox on does).
    #[arg(long)]
    outbox: bool,
}

struct RunResult {
    messages: u64,
    cpu: Option<Duration>,
    elapsed: Duration,
    latency_us: Histogram<u64>,
    batches: u64,
    appends: u64,
}

fn user(i: usize) -> User {
    User {
        id: UserId::new(),
        username: Username::parse(&format!("sender{i}")).expect("valid username"),
        email: None,
        display_name: format!("sender {i}"),
        bio: String::new(),
        avatar_url: None,
        external_id: None,
        created_at: Utc::now(),
        last_seen_at: None,
        guest: false,
    }
}

fn room(i: usize, by: UserId) -> Room {
    chatcore::conformance::plain_room(&format!("room {i}"), Some(by))
}

/// Run `senders` concurrent senders against `store`.
async fn run(
    store: Arc<dyn Store>,
    stats: impl Fn() -> chatcore_sqlite::chatcore_sql::AppendStats,
    senders: usize,
    args: &Args,
) -> chatcore::Result<RunResult> {
    let mut users = Vec::with_capacity(senders);
    for i in 0..senders {
        let u = store
            .create_user(NewUser {
                user: user(i),
                password_hash: None,
            })
            .await?;
        users.push(u.id);
    }
    let rooms_n = args.rooms.clamp(1, senders.max(1));
    let mut rooms = Vec::with_capacity(rooms_n);
    for i in 0..rooms_n {
        let r = store.create_room(room(i, users[0]), vec![]).await?;
        rooms.push(r.id);
    }
    let body: String = "x".repeat(args.body_bytes);
    let outbox = args.outbox;

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(senders);
    for (i, author) in users.iter().copied().enumerate() {
        let store = store.clone();
        let room = rooms[i % rooms.len()];
        let body = body.clone();
        let measuring = measuring.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                .map_err(chatcore::Error::backend)?;
            let mut count = 0u64;
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                sent += 1;
                let started = Instant::now();
                let new = NewMessage {
                    id: MessageId::new(),
                    room_id: room,
                    author_id: Some(author),
                    kind: MessageKind::Text,
                    body: body.clone(),
                    system: None,
                    attachment: None,
                    reply_to: None,
                    // Clients send a nonce with each message: the look-up is part of the cost.
                    client_nonce: Some(format!("n{sent}")),
                    created_at: Utc::now(),
                    mentions: Vec::new(),
                    thread_root: None,
                    also_in_room: false,
                    extra: None,
                };
                if outbox {
                    let event = EventStamp {
                        id: uuid::Uuid::now_v7(),
                        at: Utc::now(),
                    };
                    store.append_message_queued(new, event).await?;
                } else {
                    store.append_message(new).await?;
                }
                if measuring.load(Ordering::Relaxed) {
                    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    hist.saturating_record(us.max(1));
                    count += 1;
                }
            }
            Ok::<_, chatcore::Error>((count, hist))
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let before = stats();
    let cpu_before = process_cpu();
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let cpu = process_cpu()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    let after = stats();
    stop.store(true, Ordering::Relaxed);

    let mut latency_us =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(chatcore::Error::backend)?;
    let mut messages = 0;
    for t in tasks {
        let (count, hist) = t.await.map_err(chatcore::Error::backend)??;
        messages += count;
        latency_us.add(&hist).map_err(chatcore::Error::backend)?;
    }
    Ok(RunResult {
        messages,
        cpu,
        elapsed,
        latency_us,
        batches: after.batches - before.batches,
        appends: after.appends - before.appends,
    })
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat`
/// (Linux; None elsewhere). Assumes 100 clock ticks per second.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

fn report(backend: &str, senders: usize, rooms: usize, r: &RunResult) {
    let rate = r.messages as f64 / r.elapsed.as_secs_f64();
    let batch = if r.batches == 0 {
        0.0
    } else {
        r.appends as f64 / r.batches as f64
    };
    let ms = |q: f64| r.latency_us.value_at_quantile(q) as f64 / 1000.0;
    let cpu_us = r.cpu.map_or("-".to_owned(), |c| {
        format!("{:.0}", c.as_secs_f64() * 1e6 / r.messages.max(1) as f64)
    });
    println!(
        "| {backend} | {senders} | {rooms} | {} | {rate:.0} | {:.2} | {:.2} | {:.2} | {batch:.1} | {cpu_us} |",
        r.messages,
        ms(0.5),
        ms(0.99),
        r.latency_us.max() as f64 / 1000.0,
    );
}

fn header() {
    println!(
        "| store | senders | rooms | messages | msg/s | p50 ms | p99 ms | max ms | appends/commit | bench CPU µs/msg |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}

async fn bench_sqlite(args: &Args, senders: usize) -> chatcore::Result<()> {
    let dir = match &args.dir {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .map_err(chatcore::Error::backend)?;
    let sync = match args.sqlite_synchronous {
        Sync::Full => Synchronous::Full,
        Sync::Normal => Synchronous::Normal,
    };
    let store = SqliteStore::open_with(
        dir.path().join("bench.db"),
        SqliteOptions::default().synchronous(sync),
    )
    .await?;
    let sql = store.clone();
    let name = match sync {
        Synchronous::Full => "SQLite (WAL, synchronous=FULL)",
        _ => "SQLite (WAL, synchronous=NORMAL)",
    };
    let name = if args.outbox {
        format!("{name} + outbox")
    } else {
        name.to_owned()
    };
    let r = run(Arc::new(store), move || sql.append_stats(), senders, args).await?;
    report(&name, senders, args.rooms.clamp(1, senders), &r);
    Ok(())
}

async fn bench_postgres(args: &Args, url: &str, senders: usize) -> chatcore::Result<()> {
    let db = FreshDatabase::create(url, "chatcore_bench")
        .await
        .map_err(chatcore::Error::backend)?;
    let result = async {
        let store = PostgresStore::connect_with(&db.url, PostgresOptions::default()).await?;
        let sql = store.clone();
        let r = run(Arc::new(store), move || sql.append_stats(), senders, args).await?;
        let name = if args.outbox {
            "PostgreSQL + outbox"
        } else {
            "PostgreSQL"
        };
        report(name, senders, args.rooms.clamp(1, senders), &r);
        Ok::<_, chatcore::Error>(())
    }
    .await;
    // The store's pool is gone with the store; drop the database.
    tokio::time::sleep(Duration::from_millis(200)).await;
    db.drop_now().await;
    result
}

#[tokio::main]
async fn main() -> chatcore::Result<()> {
    let args = Args::parse();
    println!(
        "store-write: {} s measured after {} s warm-up per run, {}-byte bodies, {} cores",
        args.seconds,
        args.warmup,
        args.body_bytes,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    header();
    for backend in args.backend.clone() {
        for &senders in &args.senders {
            match backend {
                Backend::Sqlite => bench_sqlite(&args, senders).await?,
                Backend::Postgres => match &args.database_url {
                    Some(url) => bench_postgres(&args, url, senders).await?,
                    None => {
                        eprintln!("PostgreSQL skipped: no --database-url");
                        break;
                    }
                },
            }
        }
    }
    Ok(())
}
