//! Read state at scale: `Chat::list_my_rooms` (what `GET /me/rooms` answers, with
//! every room's unread and mention counts) for a user in many rooms with long
//! histories, and `Chat::mark_read` with many users marking read once a second, for
//! SQLite and PostgreSQL.
//!
//! ```text
//! cargo run --release -p chatcore-benches --bin read-state -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/postgres
//! ```
//!
//! The claim measured: counting costs the same whatever the history's length (the
//! counts are seq arithmetic over maintained counters, no history scan). So the
//! listing is measured at several history sizes, the same rooms topped up between
//! the sizes; its p99 should not grow with them. Users, rooms and messages are
//! written through the store (no password hashing, no fan-out): only the measured
//! calls go through `Chat`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatcore::model::Role;
use chatcore::{Chat, RoomId, Store, UserId};
use chatcore_benches::fixture::{
    histogram, measure_listing, member, ms, read_up_to, reader_rooms, record, text, user,
};
use chatcore_benches::pgdb::FreshDatabase;
use chatcore_postgres::{PostgresOptions, PostgresStore};
use chatcore_sqlite::SqliteStore;
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Read-state benchmark.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Backends to measure (PostgreSQL only with a database URL).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres])]
    backend: Vec<Backend>,
    /// PostgreSQL server URL; the benchmark creates (and drops) its own database there.
    #[arg(long, env = "CHATCORE_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// Rooms the reader is in.
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    /// History sizes per room, in messages, one listing measurement each (ascending).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000])]
    messages: Vec<usize>,
    /// Listings measured per history size.
    #[arg(long, default_value_t = 300)]
    listings: usize,
    /// Users marking read once a second (10 per room, in `users / 10` rooms).
    #[arg(long, default_value_t = 1_000)]
    readers: usize,
    /// Seconds of marking.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// Append `count` messages to each room, 64 appends in flight; every 50th mentions
/// the reader.
async fn top_up(
    store: &Arc<dyn Store>,
    rooms: &[RoomId],
    author: UserId,
    reader: UserId,
    from: usize,
    to: usize,
) -> chatcore::Result<Duration> {
    let started = Instant::now();
    let mut jobs = Vec::new();
    for &room in rooms {
        for n in from..to {
            jobs.push((room, n));
        }
    }
    let mut set = tokio::task::JoinSet::new();
    let chunk = jobs.len().div_ceil(64).max(1);
    for part in jobs.chunks(chunk) {
        let part = part.to_vec();
        let store = store.clone();
        set.spawn(async move {
            for (room, n) in part {
                let mention = (n % 50 == 0).then_some(reader);
                store.append_message(text(room, author, n, mention)).await?;
            }
            Ok::<_, chatcore::Error>(())
        });
    }
    while let Some(r) = set.join_next().await {
        r.map_err(chatcore::Error::backend)??;
    }
    Ok(started.elapsed())
}

async fn bench(name: &str, store: Arc<dyn Store>, args: &Args) -> chatcore::Result<()> {
    let chat = Chat::new(store.clone());
    let (reader, author, rooms) = reader_rooms(store.as_ref(), args.rooms).await?;

    // 1. The listing at growing history sizes; the reader has read half of each room.
    let mut loaded = 0;
    for &size in &args.messages {
        let took = top_up(&store, &rooms, author, reader, loaded, size).await?;
        loaded = size;
        read_up_to(&chat, reader, &rooms, (size / 2) as i64).await?;
        let (hist, unread) = measure_listing(&chat, reader, args.listings).await?;
        println!(
            "| {name} | list_my_rooms | {} rooms × {size} messages ({} in all, loaded in {:.0} s) | {} | {:.2} | {:.2} | {:.2} | {unread} unread in all |",
            args.rooms,
            args.rooms * size,
            took.as_secs_f64(),
            args.listings,
            ms(hist.value_at_quantile(0.5)),
            ms(hist.value_at_quantile(0.99)),
            ms(hist.max()),
        );
    }

    // 2. Many users marking read once a second, each at the next message.
    let groups = args.readers.div_ceil(10).min(rooms.len()).max(1);
    let mut readers = Vec::with_capacity(args.readers);
    for i in 0..args.readers {
        let id = store.create_user(user(&format!("marker{i}"))?).await?.id;
        let room = rooms[i % groups];
        store
            .add_member(member(room, id, Role::Member), 10_000)
            .await?;
        readers.push((id, room));
    }
    let marked = readers.clone();
    let mut set = tokio::task::JoinSet::new();
    let seconds = args.seconds;
    let spread = Duration::from_secs(1).as_micros() as u64 / args.readers.max(1) as u64;
    for (i, (id, room)) in readers.into_iter().enumerate() {
        let chat = chat.clone();
        set.spawn(async move {
            tokio::time::sleep(Duration::from_micros(spread * i as u64)).await;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut hist = histogram()?;
            for s in 1..=seconds {
                tick.tick().await;
                let started = Instant::now();
                chat.mark_read(id, room, s as i64).await?;
                record(&mut hist, started);
            }
            Ok::<_, chatcore::Error>(hist)
        });
    }
    let mut hist = histogram()?;
    while let Some(r) = set.join_next().await {
        hist.add(r.map_err(chatcore::Error::backend)??)
            .map_err(chatcore::Error::backend)?;
    }
    // What one flush writes: every reader's position in one store call (the flusher
    // makes one per flush interval, whatever the number of marks).
    let batch: Vec<_> = marked
        .iter()
        .map(|&(id, room)| (room, id, seconds as i64 + 1))
        .collect();
    let started = Instant::now();
    store.advance_read_positions(&batch).await?;
    let last_flush = started.elapsed();
    println!(
        "| {name} | mark_read | {} users, once a second each, {seconds} s | {} | {:.2} | {:.2} | {:.2} | one flush of all {} positions: {:.1} ms |",
        args.readers,
        hist.len(),
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
        ms(hist.max()),
        batch.len(),
        last_flush.as_secs_f64() * 1000.0,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> chatcore::Result<()> {
    let args = Args::parse();
    println!("| store | call | shape | calls | p50 ms | p99 ms | max ms | |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
    for backend in args.backend.clone() {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(chatcore::Error::backend)?;
                let store = SqliteStore::open(dir.path().join("bench.db")).await?;
                bench("SQLite", Arc::new(store), &args).await?;
            }
            Backend::Postgres => {
                let Some(url) = &args.database_url else {
                    eprintln!("PostgreSQL skipped: no --database-url");
                    continue;
                };
                let db = FreshDatabase::create(url, "chatcore_readbench")
                    .await
                    .map_err(chatcore::Error::backend)?;
                let result = async {
                    let store =
                        PostgresStore::connect_with(&db.url, PostgresOptions::default()).await?;
                    bench("PostgreSQL", Arc::new(store), &args).await
                }
                .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                db.drop_now().await;
                result?;
            }
        }
    }
    Ok(())
}
