//! Test databases: one fresh PostgreSQL database per test.
#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// Prefix of every database the tests create.
const PREFIX: &str = "chatcore_test_";

/// The server URL from `CHATCORE_TEST_DATABASE_URL`, or None after a visible skip
/// message.
pub fn server_url(what: &str) -> Option<String> {
    match std::env::var("CHATCORE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {what}: set CHATCORE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
            );
            None
        }
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/database: replace what follows the authority.
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..].find('/').map(|i| after_scheme + i);
    let mut out = match path_start {
        Some(i) => format!("{}/{db}", &base[..i]),
        None => format!("{base}/{db}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Create a fresh, empty database and return its URL. Test databases are named
/// `chatcore_test_<unix seconds>_<uuid>`; those of earlier runs older than ten minutes
/// and not in use are dropped here (a crashed or interrupted run leaves its own).
pub async fn fresh_database(url: &str) -> String {
    let admin: DatabaseConnection = Database::connect(url)
        .await
        .expect("connect to the test server");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = format!("{PREFIX}{now}_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    drop_old(&admin, now).await;
    let _ = admin.close().await;
    with_database(url, &name)
}

async fn drop_old(admin: &DatabaseConnection, now: u64) {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!(
                "SELECT d.datname::text AS name FROM pg_database d \
                 WHERE d.datname LIKE '{PREFIX}%' \
                   AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
            ),
        ))
        .await;
    let Ok(rows) = rows else { return };
    for r in rows {
        let Ok(name) = r.try_get::<String>("", "name") else {
            continue;
        };
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|c| c + 600 < now) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await;
        }
    }
}
