//! `storebench list`: `Chat::list_my_rooms` for a user in many rooms with long,
//! bulk-loaded histories (the `read-state` benchmark's shape, larger).

use std::sync::Arc;

use chatcore::{Chat, Store};
use chatcore_benches::bulk::{self, Load, Row};
use chatcore_benches::fixture::{line, measure_listing, ms, read_up_to, reader_rooms};
use chatcore_sqlite::chatcore_sql::SqlStore;
use clap::Args as ClapArgs;

/// The listing benchmark's shape.
#[derive(Debug, ClapArgs)]
pub(crate) struct ListArgs {
    /// Rooms the reader is in.
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    /// History sizes per room, in messages, one measurement each (ascending).
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    messages: Vec<usize>,
    /// Listings measured per history size.
    #[arg(long, default_value_t = 100)]
    listings: usize,
}

pub(crate) fn print_header() {
    println!("| store | call | shape | calls | p50 ms | p99 ms | max ms | |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
}

pub(crate) async fn run(name: &str, store: &SqlStore, args: &ListArgs) -> chatcore::Result<()> {
    let (reader, author, rooms) = reader_rooms(store, args.rooms).await?;
    let chat = Chat::new(Arc::new(store.clone()) as Arc<dyn Store>);
    let mut loaded = 0;
    for &size in &args.messages {
        let Some(add) = size.checked_sub(loaded).filter(|n| *n > 0) else {
            continue;
        };
        let n = rooms.len();
        // Round robin over the rooms; every 50th message of a room mentions the reader.
        let first_at =
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) - (add * n) as i64 * 1_000_000;
        let took = bulk::load(
            store.write_connection(),
            Load {
                rooms: &rooms,
                rows: add * n,
                first_at,
            },
            |i| {
                let k = loaded + i / n;
                Row {
                    room: i % n,
                    author,
                    body: line(k),
                    mentions: if k % 50 == 0 {
                        vec![reader]
                    } else {
                        Vec::new()
                    },
                }
            },
        )
        .await?;
        loaded = size;
        read_up_to(&chat, reader, &rooms, (size / 2) as i64).await?;
        let (hist, unread) = measure_listing(&chat, reader, args.listings).await?;
        println!(
            "| {name} | list_my_rooms | {} rooms × {size} messages ({} in all, bulk-loaded in {:.0} s) | {} | {:.2} | {:.2} | {:.2} | {unread} unread in all |",
            rooms.len(),
            rooms.len() * size,
            took.as_secs_f64(),
            hist.len(),
            ms(hist.value_at_quantile(0.5)),
            ms(hist.value_at_quantile(0.99)),
            ms(hist.max()),
        );
    }
    Ok(())
}
