//! sea-orm entities: one module per table.
//!
//! Column conventions (the same on every backend):
//!
//! - ids are [`Uuid`](sea_orm::prelude::Uuid) columns: `uuid` on PostgreSQL, a
//!   16-byte BLOB on SQLite (sea-query declares the column `uuid_text`, sqlx binds
//!   the raw bytes), so byte order, `ORDER BY id` and `Uuid`'s `Ord` agree;
//! - every `*_at` column is a `BIGINT` holding **nanoseconds since the Unix epoch,
//!   UTC**: exact round trips of `chrono::DateTime<Utc>`, one format on both backends,
//!   ordered numerically (representable range: years 1677 to 2262);
//! - enums (`kind`, `role`) are their stable `as_str()` forms;
//! - `messages.system` and `messages.attachment` hold JSON text.
//!
//! The migrations in [`crate::migration`] create exactly these columns; the
//! `schema` test of each backend crate checks it with [`crate::schema`].

pub mod account_tokens;
pub mod admin_audit;
pub mod bans;
pub mod files;
pub mod invites;
pub mod memberships;
pub mod message_mentions;
pub mod messages;
pub mod mod_log;
pub mod outbox;
pub mod pins;
pub mod reactions;
pub mod read_settings;
pub mod reports;
pub mod room_blocklists;
pub mod rooms;
pub mod sessions;
pub mod timeouts;
pub mod user_blocks;
pub mod users;
