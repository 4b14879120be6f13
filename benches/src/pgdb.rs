//! A fresh PostgreSQL database for one benchmark, created on the server of a URL and
//! dropped afterwards.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A database made for one benchmark; [`FreshDatabase::drop_now`] removes it.
#[derive(Debug)]
pub struct FreshDatabase {
    admin: DatabaseConnection,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl FreshDatabase {
    /// Create `<prefix>_<random>` on the server of `url`.
    pub async fn create(url: &str, prefix: &str) -> Result<FreshDatabase, sea_orm::DbErr> {
        let admin = Database::connect(url).await?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        Ok(FreshDatabase {
            url: with_database(url, &name),
            admin,
            name,
        })
    }

    /// Drop the database (closing whatever is still connected to it).
    pub async fn drop_now(self) {
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let mut out = match base[after_scheme..].find('/') {
        Some(i) => format!("{}/{db}", &base[..after_scheme + i]),
        None => format!("{base}/{db}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}
