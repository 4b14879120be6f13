//! Benchmarks of the chatcore workspace. Each benchmark is its own binary under
//! `src/bin/` (the in-process fan-out benchmark is `benches/fanout.rs`); see
//! `docs/BENCHMARKS.md` for how to run them and for the figures.
//!
//! The [`load`] module is the load generator behind the `chatload` binary, and
//! [`compare`] its comparison of servers (`chatload compare`, `benches/run.sh`).

pub mod bulk;
pub mod compare;
pub mod fixture;
pub mod load;
pub mod pgdb;
