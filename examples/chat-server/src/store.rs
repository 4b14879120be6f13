//! Choosing and opening the store from the command line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chatcore::{MemoryStore, Store};

use crate::Fatal;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreConfig {
    /// In memory, lost on exit.
    Memory,
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl StoreConfig {
    /// `--memory` wins, then a database URL, then the SQLite file in the data directory.
    pub(crate) fn from_flags(memory: bool, database_url: Option<&str>, data_dir: &Path) -> Self {
        if memory {
            return StoreConfig::Memory;
        }
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) if url.starts_with("sqlite:") => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                StoreConfig::Sqlite(PathBuf::from(path))
            }
            Some(url) => StoreConfig::Postgres(url.to_owned()),
            None => StoreConfig::Sqlite(data_dir.join("chatcore.db")),
        }
    }
}

/// An opened store and how to describe it.
pub(crate) struct Opened {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) kind: &'static str,
    pub(crate) location: String,
}

/// The URL with any password replaced by `***`, for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// Open (and migrate) the configured store.
pub(crate) async fn open(config: &StoreConfig) -> Result<Opened, Fatal> {
    match config {
        StoreConfig::Memory => Ok(Opened {
            store: Arc::new(MemoryStore::new()),
            kind: "memory",
            location: "memory (lost on exit)".to_owned(),
        }),
        StoreConfig::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    Fatal::new(
                        format!("cannot create the data directory {}", dir.display()),
                        e,
                    )
                })?;
            }
            let store = chatcore_sqlite::SqliteStore::open(path)
                .await
                .map_err(|e| {
                    Fatal::new(
                        format!("cannot open the SQLite database {}", path.display()),
                        e,
                    )
                })?;
            Ok(Opened {
                store: Arc::new(store),
                kind: "sqlite",
                location: path.display().to_string(),
            })
        }
        StoreConfig::Postgres(url) => {
            let options = chatcore_postgres::PostgresOptions::default()
                .connect_timeout(Duration::from_secs(10))
                .acquire_timeout(Duration::from_secs(10));
            let store = chatcore_postgres::PostgresStore::connect_with(url, options)
                .await
                .map_err(|e| {
                    Fatal::new(
                        format!("cannot open the PostgreSQL database {}", redact(url)),
                        e,
                    )
                })?;
            Ok(Opened {
                store: Arc::new(store),
                kind: "postgres",
                location: redact(url),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_pick_the_store() {
        let dir = Path::new("/data");
        assert_eq!(
            StoreConfig::from_flags(true, Some("postgres://x"), dir),
            StoreConfig::Memory
        );
        assert_eq!(
            StoreConfig::from_flags(false, None, dir),
            StoreConfig::Sqlite(PathBuf::from("/data/chatcore.db"))
        );
        assert_eq!(
            StoreConfig::from_flags(false, Some("postgres://u@h/db"), dir),
            StoreConfig::Postgres("postgres://u@h/db".to_owned())
        );
        assert_eq!(
            StoreConfig::from_flags(false, Some("sqlite:///tmp/x.db"), dir),
            StoreConfig::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            StoreConfig::from_flags(false, Some("  "), dir),
            StoreConfig::Sqlite(PathBuf::from("/data/chatcore.db"))
        );
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("not a url"), "not a url");
    }

    #[tokio::test]
    async fn sqlite_file_is_created_in_a_new_data_dir_and_reopened() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("nested").join("chatcore.db");
        let config = StoreConfig::Sqlite(path.clone());
        let opened = open(&config).await.expect("opens");
        assert_eq!(opened.kind, "sqlite");
        drop(opened);
        assert!(path.exists());
        open(&config).await.expect("reopens");
    }

    #[tokio::test]
    async fn an_unusable_database_is_a_readable_error() {
        let tmp = tempfile::tempdir().expect("temp dir");
        // A directory where the database file should be.
        let path = tmp.path().join("chatcore.db");
        std::fs::create_dir(&path).expect("mkdir");
        let err = open(&StoreConfig::Sqlite(path)).await.err().expect("fails");
        assert!(
            err.to_string()
                .starts_with("cannot open the SQLite database"),
            "{err}"
        );
    }
}
