//! Temporary database files for the tests.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// A fresh directory under Cargo's per-target temporary directory, kept after the
/// test (cases only receive the store, so nothing could delete it in time).
pub fn temp_dir() -> PathBuf {
    tempfile::Builder::new()
        .prefix("chatcore-sqlite-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("create a temporary directory")
        .keep()
}
