//! Versioned, forward-only migrations (sea-orm-migration, table `seaql_migrations`).
//!
//! Written with sea-query builders, so one set serves SQLite and PostgreSQL; they
//! branch on the backend only where the backends really differ. A migration, once
//! released, is never edited: schema changes are new migrations appended to
//! [`Migrator::migrations`]. There are no `down` migrations.
//!
//! Run them with [`crate::migrate`], which wraps them in one transaction (SQLite:
//! `BEGIN IMMEDIATE`; PostgreSQL: under a transaction-level advisory lock), so
//! several processes opening the same database at once apply each migration once.

use sea_orm_migration::prelude::*;

mod m20250601_000001_initial;
mod m20251121_000002_media;
mod m20261202_01_read_state;
mod m20261202_02a_reactions;
mod m20261202_02b_pins;
mod m20261202_02c_search;
mod m20261202_03_host;
mod m20261202_04_site_admin;
mod m20261203_01_notify_level;
mod m20261203_02_threads;
mod m20261203_03_moderation;
mod m20261210_01_retention;
mod m20261212_01_guests;
mod m20261214_01_extra;

/// The chatcore migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_initial::Migration),
            Box::new(m20251121_000002_media::Migration),
            Box::new(m20261202_01_read_state::Migration),
            Box::new(m20261202_02a_reactions::Migration),
            Box::new(m20261202_02b_pins::Migration),
            Box::new(m20261202_02c_search::Migration),
            Box::new(m20261202_03_host::Migration),
            Box::new(m20261202_04_site_admin::Migration),
            Box::new(m20261203_03_moderation::Migration),
            Box::new(m20261203_01_notify_level::Migration),
            Box::new(m20261203_02_threads::Migration),
            Box::new(m20261210_01_retention::Migration),
            Box::new(m20261214_01_extra::Migration),
            Box::new(m20261212_01_guests::Migration),
        ]
    }
}
