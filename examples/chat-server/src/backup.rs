//! `chat-server [store flags] backup --to FILE`.

use std::path::Path;

use crate::Fatal;
use crate::store::{StoreConfig, redact};

/// Copy the configured SQLite database to `to` (a running server may use it).
pub(crate) async fn run(store: &StoreConfig, to: &Path) -> Result<(), Fatal> {
    let refused = |context: String| Fatal {
        context,
        source: None,
    };
    match store {
        StoreConfig::Sqlite(db) => {
            if !db.exists() {
                return Err(refused(format!("no database at {}", db.display())));
            }
            chatcore_sqlite::SqliteStore::backup(db, to)
                .await
                .map_err(|e| {
                    Fatal::new(
                        format!("cannot back up {} to {}", db.display(), to.display()),
                        e,
                    )
                })?;
            println!("backed up {} to {}", db.display(), to.display());
            Ok(())
        }
        StoreConfig::Postgres(url) => Err(refused(format!(
            "{} is PostgreSQL: back it up with pg_dump (see docs/OPERATIONS.md)",
            redact(url)
        ))),
        StoreConfig::Memory => Err(refused("--memory keeps nothing to back up".to_owned())),
    }
}
