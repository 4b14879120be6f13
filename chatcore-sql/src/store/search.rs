//! `SearchStore`: SQLite FTS5 (`messages_fts`) or PostgreSQL `tsvector` (GIN index
//! `ix_messages_body_fts`); see the `m20261202_02c_search` migration.

use async_trait::async_trait;
use chatcore::Result;
use chatcore::model::{Message, SearchQuery};
use chatcore::store::SearchStore;
use sea_orm::{DbBackend, EntityTrait, Statement, Value};

use super::SqlStore;
use crate::convert::{self, ts};
use crate::entity::messages;
use crate::error::backend;

#[async_trait]
impl SearchStore for SqlStore {
    async fn search_messages(&self, q: &SearchQuery) -> Result<Vec<Message>> {
        let kind = self.backend();
        let mut values: Vec<Value> = Vec::new();
        // The next placeholder, for `v`.
        let mut arg = |v: Value| {
            values.push(v);
            match kind {
                DbBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        };
        // Words are letters and digits only (chatcore::search_words), so quoting
        // them cannot change the query's syntax.
        let (from, matches, rank) = match kind {
            DbBackend::Sqlite => {
                let terms: Vec<String> = q.words.iter().map(|w| format!("\"{w}\"")).collect();
                let p = arg(terms.join(" ").into());
                (
                    "messages_fts f JOIN messages m ON m.rowid = f.rowid".to_owned(),
                    format!("messages_fts MATCH {p}"),
                    "bm25(messages_fts)".to_owned(),
                )
            }
            _ => {
                let p = arg(q.words.join(" ").into());
                let query = format!("plainto_tsquery('simple', {p})");
                (
                    "messages m".to_owned(),
                    format!("to_tsvector('simple', m.body) @@ {query}"),
                    format!("ts_rank(to_tsvector('simple', m.body), {query}) DESC"),
                )
            }
        };
        let viewer = arg(q.viewer.0.into());
        let mut sql = format!(
            "SELECT m.* FROM {from} WHERE {matches} AND m.deleted_at IS NULL \
             AND m.kind <> 'system' \
             AND m.room_id IN (SELECT room_id FROM memberships WHERE user_id = {viewer})"
        );
        if let Some(room) = q.room {
            sql += &format!(" AND m.room_id = {}", arg(room.0.into()));
        }
        if let Some(author) = q.author {
            sql += &format!(" AND m.author_id = {}", arg(author.0.into()));
        }
        if let Some(t) = q.since {
            sql += &format!(" AND m.created_at >= {}", arg(ts(t)?.into()));
        }
        if let Some(t) = q.until {
            sql += &format!(" AND m.created_at < {}", arg(ts(t)?.into()));
        }
        let limit = arg(i64::from(q.limit).into());
        let offset = arg(i64::from(q.offset).into());
        sql += &format!(" ORDER BY {rank}, m.created_at DESC LIMIT {limit} OFFSET {offset}");
        messages::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(kind, sql, values))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::message)
            .collect()
    }
}
