//! `storebench search`: `Chat::search` p50/p99 over a bulk-loaded history.

use std::sync::Arc;
use std::time::Instant;

use chatcore::model::Role;
use chatcore::store::{RoomStore, UserStore};
use chatcore::{Chat, RoomId, SearchRequest, Store, UserId};
use chatcore_benches::bulk::{self, Load, Row};
use chatcore_benches::fixture::{histogram, member, ms, record, user};
use chatcore_sqlite::chatcore_sql::SqlStore;
use chatcore_sqlite::chatcore_sql::entity::{memberships, messages, users};
use clap::Args as ClapArgs;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::words::{Bodies, Vocabulary};

/// Seed of the message bodies (the same history on every run).
const SEED: u64 = 17;

/// The search benchmark's shape.
#[derive(Debug, ClapArgs)]
pub(crate) struct SearchArgs {
    /// Messages in all.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Rooms; the searcher is a member of every other one.
    #[arg(long, default_value_t = 200)]
    rooms: usize,
    /// Authors (each a member of every room).
    #[arg(long, default_value_t = 20)]
    authors: usize,
    /// Distinct words.
    #[arg(long, default_value_t = 20_000)]
    vocabulary: usize,
    /// Searches measured per query.
    #[arg(long, default_value_t = 200)]
    searches: usize,
    /// Page size asked for.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

impl SearchArgs {
    /// The name of a kept database of this shape.
    pub(crate) fn db_name(&self) -> String {
        format!(
            "storebench_search_{}m_{}r_{}a_{}w",
            self.messages, self.rooms, self.authors, self.vocabulary
        )
    }
}

pub(crate) fn print_header(args: &SearchArgs) {
    println!(
        "| store | query | messages with each word | hits returned (limit {}) | searches | p50 ms | p99 ms | max ms |",
        args.limit
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|");
}

/// The searcher and its rooms (in creation order).
async fn create(store: &SqlStore, args: &SearchArgs) -> chatcore::Result<(UserId, Vec<RoomId>)> {
    let reader = store.create_user(user("reader")?).await?.id;
    let mut authors = Vec::with_capacity(args.authors);
    for i in 0..args.authors.max(1) {
        authors.push(store.create_user(user(&format!("author{i}"))?).await?.id);
    }
    let mut rooms = Vec::with_capacity(args.rooms);
    let mut mine = Vec::new();
    for i in 0..args.rooms.max(1) {
        let room = chatcore::conformance::plain_room(&format!("room {i}"), Some(authors[0]));
        let mut members: Vec<_> = authors
            .iter()
            .enumerate()
            .map(|(k, &a)| member(room.id, a, if k == 0 { Role::Owner } else { Role::Member }))
            .collect();
        if i % 2 == 0 {
            members.push(member(room.id, reader, Role::Member));
        }
        let id = store.create_room(room, members).await?.id;
        if i % 2 == 0 {
            mine.push(id);
        }
        rooms.push(id);
    }
    let vocabulary = Vocabulary::new(args.vocabulary);
    let mut bodies = Bodies::new(&vocabulary, SEED);
    let first_at =
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) - args.messages as i64 * 1_000_000;
    let (nrooms, nauthors) = (rooms.len(), authors.len());
    let took = bulk::load(
        store.write_connection(),
        Load {
            rooms: &rooms,
            rows: args.messages,
            first_at,
        },
        |i| Row {
            room: i % nrooms,
            author: authors[(i / nrooms) % nauthors],
            body: bodies.next_body(),
            mentions: Vec::new(),
        },
    )
    .await?;
    eprintln!(
        "loaded {} messages in {:.1} s ({:.0}/s)",
        args.messages,
        took.as_secs_f64(),
        args.messages as f64 / took.as_secs_f64()
    );
    Ok((reader, mine))
}

/// The searcher and its rooms of a kept database, checked to be complete.
async fn find(store: &SqlStore, args: &SearchArgs) -> chatcore::Result<(UserId, Vec<RoomId>)> {
    let db = store.read_connection();
    let count = messages::Entity::find()
        .count(db)
        .await
        .map_err(chatcore::Error::backend)?;
    let reader = users::Entity::find()
        .filter(users::Column::Username.eq("reader"))
        .one(db)
        .await
        .map_err(chatcore::Error::backend)?;
    let (Some(reader), true) = (reader, count == args.messages as u64) else {
        return Err(chatcore::Error::invalid(
            "--keep",
            format!(
                "the kept database has {count} messages, not {}: remove it (or run without --keep)",
                args.messages
            ),
        ));
    };
    let rooms = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(reader.id))
        .order_by_asc(memberships::Column::RoomId)
        .all(db)
        .await
        .map_err(chatcore::Error::backend)?
        .into_iter()
        .map(|m| RoomId(m.room_id))
        .collect();
    eprintln!("reusing the kept database ({count} messages)");
    Ok((UserId(reader.id), rooms))
}

/// One measured query: its label, its words (by rank) and whether it is filtered to
/// one of the searcher's rooms.
struct Query {
    label: &'static str,
    ranks: &'static [usize],
    in_room: bool,
}

const QUERIES: &[Query] = &[
    Query {
        label: "most common word",
        ranks: &[0],
        in_room: false,
    },
    Query {
        label: "10th word",
        ranks: &[9],
        in_room: false,
    },
    Query {
        label: "rare word (rank 5,000)",
        ranks: &[4_999],
        in_room: false,
    },
    Query {
        label: "two common words",
        ranks: &[1, 30],
        in_room: false,
    },
    Query {
        label: "two uncommon words",
        ranks: &[200, 800],
        in_room: false,
    },
    Query {
        label: "most common word, one room",
        ranks: &[0],
        in_room: true,
    },
    Query {
        label: "rare word, one room",
        ranks: &[4_999],
        in_room: true,
    },
];

pub(crate) async fn run(
    name: &str,
    store: &SqlStore,
    reused: bool,
    args: &SearchArgs,
) -> chatcore::Result<()> {
    let (reader, rooms) = if reused {
        find(store, args).await?
    } else {
        create(store, args).await?
    };
    // The word frequencies: the same bodies again (same seed), not stored.
    let vocabulary = Vocabulary::new(args.vocabulary);
    let mut bodies = Bodies::new(&vocabulary, SEED);
    for _ in 0..args.messages {
        bodies.next_body();
    }
    let chat = Chat::new(Arc::new(store.clone()) as Arc<dyn Store>);
    let room = rooms.first().copied();
    let mut hists = Vec::new();
    let mut returned = vec![0usize; QUERIES.len()];
    for q in QUERIES {
        let _ = q;
        hists.push(histogram()?);
    }
    // Interleaved, so every query sees the same cache state.
    for _ in 0..args.searches {
        for (k, q) in QUERIES.iter().enumerate() {
            let words: Vec<&str> = q.ranks.iter().map(|&r| vocabulary.word(r)).collect();
            let req = SearchRequest {
                q: words.join(" "),
                room: if q.in_room { room } else { None },
                limit: Some(args.limit),
                ..SearchRequest::default()
            };
            let started = Instant::now();
            let page = chat.search(reader, req).await?;
            record(&mut hists[k], started);
            returned[k] = page.hits.len();
        }
    }
    for ((q, hist), got) in QUERIES.iter().zip(&hists).zip(returned) {
        let freq: Vec<String> = q
            .ranks
            .iter()
            .map(|&r| {
                format!(
                    "{} ({})",
                    vocabulary.word(r),
                    bodies.docs.get(r).copied().unwrap_or(0)
                )
            })
            .collect();
        println!(
            "| {name} | {} | {} | {got} | {} | {:.2} | {:.2} | {:.2} |",
            q.label,
            freq.join(", "),
            hist.len(),
            ms(hist.value_at_quantile(0.5)),
            ms(hist.value_at_quantile(0.99)),
            ms(hist.max()),
        );
    }
    Ok(())
}
