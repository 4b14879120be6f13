//! `ReactionStore`.

use std::collections::HashSet;

use async_trait::async_trait;
use chatcore::model::{ReactionSummary, Timestamp};
use chatcore::store::ReactionStore;
use chatcore::{Error, MessageId, Result, UserId};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{IN_CHUNK, SqlStore};
use crate::convert::ts;
use crate::entity::{messages, reactions};
use crate::error::backend;

#[async_trait]
impl ReactionStore for SqlStore {
    async fn add_reaction(
        &self,
        message: MessageId,
        user: UserId,
        emoji: &str,
        at: Timestamp,
        max_distinct: usize,
    ) -> Result<bool> {
        let row = reactions::ActiveModel {
            message_id: Set(message.0),
            user_id: Set(user.0),
            emoji: Set(emoji.to_owned()),
            created_at: Set(ts(at)?),
        };
        let emoji = emoji.to_owned();
        self.write_txn(async move |txn| {
            // The message row lock (PostgreSQL `FOR UPDATE`; SQLite holds the write
            // lock already) serializes the reactions of one message: the distinct
            // count below stays true until commit.
            let deleted: Option<Option<i64>> = messages::Entity::find_by_id(message.0)
                .select_only()
                .column(messages::Column::DeletedAt)
                .lock_exclusive()
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            if !matches!(deleted, Some(None)) {
                return Err(Error::NotFound("message"));
            }
            let mine = reactions::Entity::find_by_id((message.0, user.0, emoji.clone()))
                .one(txn)
                .await
                .map_err(backend)?;
            if mine.is_some() {
                return Ok(false);
            }
            let of_message =
                reactions::Entity::find().filter(reactions::Column::MessageId.eq(message.0));
            let given = of_message
                .clone()
                .filter(reactions::Column::Emoji.eq(emoji.as_str()))
                .count(txn)
                .await
                .map_err(backend)?;
            if given == 0 {
                let distinct: Vec<String> = of_message
                    .select_only()
                    .column(reactions::Column::Emoji)
                    .distinct()
                    .into_tuple()
                    .all(txn)
                    .await
                    .map_err(backend)?;
                if distinct.len() >= max_distinct {
                    return Err(Error::TooLarge {
                        field: "emoji",
                        limit: max_distinct,
                    });
                }
            }
            reactions::Entity::insert(row)
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn remove_reaction(&self, message: MessageId, user: UserId, emoji: &str) -> Result<bool> {
        let res = reactions::Entity::delete_by_id((message.0, user.0, emoji.to_owned()))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn reaction_summaries(
        &self,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<(MessageId, Vec<ReactionSummary>)>> {
        let mut out: Vec<(MessageId, Vec<ReactionSummary>)> = Vec::new();
        for chunk in messages.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(|m| m.0).collect();
            // Per message and emoji: how many, and when first given (for the order).
            let counts: Vec<(Uuid, String, i64, i64)> = reactions::Entity::find()
                .select_only()
                .column(reactions::Column::MessageId)
                .column(reactions::Column::Emoji)
                .column_as(
                    Expr::from(Func::count(Expr::col(reactions::Column::UserId))),
                    "n",
                )
                .column_as(
                    Expr::from(Func::min(Expr::col(reactions::Column::CreatedAt))),
                    "first",
                )
                .filter(reactions::Column::MessageId.is_in(ids.clone()))
                .group_by(reactions::Column::MessageId)
                .group_by(reactions::Column::Emoji)
                .order_by_asc(Expr::from(Func::min(Expr::col(
                    reactions::Column::CreatedAt,
                ))))
                .order_by_asc(reactions::Column::Emoji)
                .into_tuple()
                .all(self.read())
                .await
                .map_err(backend)?;
            if counts.is_empty() {
                continue;
            }
            let mine: HashSet<(Uuid, String)> = reactions::Entity::find()
                .select_only()
                .column(reactions::Column::MessageId)
                .column(reactions::Column::Emoji)
                .filter(reactions::Column::MessageId.is_in(ids))
                .filter(reactions::Column::UserId.eq(viewer.0))
                .into_tuple()
                .all(self.read())
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
            for (id, emoji, n, _) in counts {
                let me = mine.contains(&(id, emoji.clone()));
                let summary = ReactionSummary {
                    emoji,
                    count: u64::try_from(n).unwrap_or(0),
                    me,
                };
                match out.iter_mut().find(|(m, _)| m.0 == id) {
                    Some((_, s)) => s.push(summary),
                    None => out.push((MessageId(id), vec![summary])),
                }
            }
        }
        Ok(out)
    }
}
