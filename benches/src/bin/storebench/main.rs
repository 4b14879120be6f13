//! Store benchmarks at scale, on histories bulk-loaded straight into the database
//! (see `chatcore_benches::bulk`): minutes for millions of messages, where appending
//! them through the store takes hours.
//!
//! - `search`: `Chat::search` over 1,000,000 messages (Zipf-distributed synthetic
//!   words) in 200 rooms, for a member of 100 of them: common, rare and two-word
//!   queries, with and without a room filter; p50/p99 per query.
//! - `list`: `Chat::list_my_rooms` for a user in 100 rooms at 10,000 and 100,000
//!   messages per room (the read-state benchmark's shape, larger).
//!
//! ```text
//! cargo build --release -p chatcore-benches --bin storebench
//! target/release/storebench search --database-url postgres://postgres@127.0.0.1:5432/postgres
//! target/release/storebench list --messages 10000,100000
//! ```

mod listing;
mod search;
mod words;

use std::path::PathBuf;
use std::time::Duration;

use chatcore_benches::pgdb::{FreshDatabase, with_database};
use chatcore_postgres::{PostgresOptions, PostgresStore};
use chatcore_sqlite::SqliteStore;
use chatcore_sqlite::chatcore_sql::SqlStore;
use clap::{Parser, Subcommand, ValueEnum};
use sea_orm::{ConnectionTrait, Database};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Store benchmarks on bulk-loaded histories.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Backends to measure (PostgreSQL only with a database URL).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres], global = true)]
    backend: Vec<Backend>,
    /// PostgreSQL server URL; the benchmark makes its own database there.
    #[arg(long, env = "CHATCORE_BENCH_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Keep the loaded search databases (SQLite files in --dir, PostgreSQL databases
    /// named after the shape) and reuse them on the next run with the same shape.
    #[arg(long, global = true)]
    keep: bool,
    /// Directory of the kept SQLite files.
    #[arg(long, default_value = "storebench-data", global = true)]
    dir: PathBuf,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Search p50/p99 over a large history.
    Search(search::SearchArgs),
    /// `list_my_rooms` over long room histories.
    List(listing::ListArgs),
}

/// A store on a database named `name`, and whether it was kept from an earlier run.
struct Opened {
    store: SqlStore,
    reused: bool,
    cleanup: Option<FreshDatabase>,
    _tmp: Option<tempfile::TempDir>,
}

/// Open the database `name`: kept (and reused if there) with `keep`, else made
/// fresh and removed by [`close`].
async fn open(
    args: &Args,
    keep: bool,
    backend: Backend,
    name: &str,
) -> chatcore::Result<Option<Opened>> {
    match backend {
        Backend::Sqlite => {
            let (path, tmp) = if keep {
                std::fs::create_dir_all(&args.dir).map_err(chatcore::Error::backend)?;
                (args.dir.join(format!("{name}.db")), None)
            } else {
                let dir = tempfile::tempdir().map_err(chatcore::Error::backend)?;
                (dir.path().join("bench.db"), Some(dir))
            };
            let reused = path.exists();
            let store = SqliteStore::open(&path).await?;
            Ok(Some(Opened {
                store,
                reused,
                cleanup: None,
                _tmp: tmp,
            }))
        }
        Backend::Postgres => {
            let Some(url) = &args.database_url else {
                eprintln!("PostgreSQL skipped: no --database-url");
                return Ok(None);
            };
            if !keep {
                let db = FreshDatabase::create(url, name)
                    .await
                    .map_err(chatcore::Error::backend)?;
                let store =
                    PostgresStore::connect_with(&db.url, PostgresOptions::default()).await?;
                return Ok(Some(Opened {
                    store,
                    reused: false,
                    cleanup: Some(db),
                    _tmp: None,
                }));
            }
            let admin = Database::connect(url)
                .await
                .map_err(chatcore::Error::backend)?;
            let exists = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .map_err(chatcore::Error::backend)?
                .is_some();
            if !exists {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .map_err(chatcore::Error::backend)?;
            }
            let store =
                PostgresStore::connect_with(&with_database(url, name), PostgresOptions::default())
                    .await?;
            Ok(Some(Opened {
                store,
                reused: exists,
                cleanup: None,
                _tmp: None,
            }))
        }
    }
}

async fn close(opened: Opened) {
    drop(opened.store);
    if let Some(db) = opened.cleanup {
        tokio::time::sleep(Duration::from_millis(200)).await;
        db.drop_now().await;
    }
}

fn label(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

#[tokio::main]
async fn main() -> chatcore::Result<()> {
    let args = Args::parse();
    match &args.mode {
        Mode::Search(s) => search::print_header(s),
        Mode::List(_) => listing::print_header(),
    }
    for &backend in &args.backend {
        // Only the search history is reused; the listing grows its history as it goes.
        let (name, keep) = match &args.mode {
            Mode::Search(s) => (s.db_name(), args.keep),
            Mode::List(_) => ("storebench_list".to_owned(), false),
        };
        let Some(opened) = open(&args, keep, backend, &name).await? else {
            continue;
        };
        let result = match &args.mode {
            Mode::Search(s) => search::run(label(backend), &opened.store, opened.reused, s).await,
            Mode::List(l) => listing::run(label(backend), &opened.store, l).await,
        };
        close(opened).await;
        result?;
    }
    Ok(())
}
