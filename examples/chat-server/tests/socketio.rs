//! The Socket.IO transport (chatcore-socketio, mounted at `/socket.io/`) driven by the
//! real `socket.io-client` v4 from npm (clients/socketio/test, node's test runner),
//! against this package's freshly built `chat-server` binary.
//!
//! They need node (20 or later) and the npm packages of clients/socketio (`npm ci`
//! there; `.ci/run` does it); without them this test prints a visible `SKIPPED` line.
//! The two-node test (clients/socketio/test/cluster.node.js) also needs
//! `CHATCORE_TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// clients/socketio, if node and its packages are there.
fn client_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/socketio");
    let ready = dir.join("node_modules/socket.io-client").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED Socket.IO client tests: install node and run `npm ci` in clients/socketio"
        );
        return None;
    }
    Some(dir)
}

fn run_node(dir: &Path, files: &[String], env: &[(&str, &str)]) {
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(files)
        .current_dir(dir)
        .env("CHAT_SERVER_BIN", env!("CARGO_BIN_EXE_chat-server"))
        .envs(env.iter().copied())
        .output()
        .expect("node runs");
    let _ = std::io::stderr().write_all(&out.stdout);
    let _ = std::io::stderr().write_all(&out.stderr);
    assert!(out.status.success(), "the Socket.IO client tests failed");
}

#[test]
fn socketio_client_against_the_real_server() {
    let Some(dir) = client_dir() else { return };
    let mut files: Vec<String> = std::fs::read_dir(dir.join("test"))
        .expect("clients/socketio/test")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.js"))
        .map(|n| format!("test/{n}"))
        .collect();
    files.sort();
    run_node(&dir, &files, &[]);
}

#[tokio::test]
async fn socketio_clients_on_two_nodes() {
    let Ok(admin) = std::env::var("CHATCORE_TEST_DATABASE_URL") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED Socket.IO two-node test: set CHATCORE_TEST_DATABASE_URL"
        );
        return;
    };
    let Some(dir) = client_dir() else { return };
    let name = format!("chatcore_socketio_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let files = ["test/cluster.node.js".to_owned()];
    tokio::task::spawn_blocking(move || run_node(&dir, &files, &[("CHAT_DATABASE_URL", &url)]))
        .await
        .unwrap();
}
