//! The TypeScript client's tests (clients/js/test: node's test runner) run as part of
//! `cargo test`, against this package's freshly built `chat-server` binary: the type
//! check of the wire types against the corpus Rust serializes, the client's parts, and
//! the reconnect/resume/exactly-once scenarios against the real server process.
//!
//! They need node (20 or later) and the npm packages of clients/js (`npm ci` there;
//! `.ci/run` does it); without them this test prints a visible `SKIPPED` line.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

#[test]
fn typescript_client_against_the_real_server() {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/js");
    let ready = js.join("node_modules/typescript").is_dir()
        && js.join("node_modules/ws").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED TypeScript client tests: install node and run `npm ci` in clients/js"
        );
        return;
    }
    // The test files; the other modules in test/ are their helpers.
    let mut files: Vec<String> = std::fs::read_dir(js.join("test"))
        .expect("clients/js/test")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.js"))
        .map(|n| format!("test/{n}"))
        .collect();
    files.sort();
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(&files)
        .current_dir(&js)
        .env("CHAT_SERVER_BIN", env!("CARGO_BIN_EXE_chat-server"))
        .output()
        .expect("node runs");
    let _ = std::io::stderr().write_all(&out.stdout);
    let _ = std::io::stderr().write_all(&out.stderr);
    assert!(out.status.success(), "the TypeScript client tests failed");
}
