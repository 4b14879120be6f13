//! The Socket.IO transport (chatcore-socketio, mounted at `/socket.io/`) driven by the
//! real `socket.io-client` v4 from npm (clients/socketio/test, node's test runner),
//! against this package's freshly built `chat-server` binary.
//!
//! They need node (20 or later) and the npm packages of clients/socketio (`npm ci`
//! there; `.ci/run` does it); without them this test prints a visible `SKIPPED` line.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

#[test]
fn socketio_client_against_the_real_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/socketio");
    let ready = dir.join("node_modules/socket.io-client").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED Socket.IO client tests: install node and run `npm ci` in clients/socketio"
        );
        return;
    }
    let mut files: Vec<String> = std::fs::read_dir(dir.join("test"))
        .expect("clients/socketio/test")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.js"))
        .map(|n| format!("test/{n}"))
        .collect();
    files.sort();
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(&files)
        .current_dir(&dir)
        .env("CHAT_SERVER_BIN", env!("CARGO_BIN_EXE_chat-server"))
        .output()
        .expect("node runs");
    let _ = std::io::stderr().write_all(&out.stdout);
    let _ = std::io::stderr().write_all(&out.stderr);
    assert!(out.status.success(), "the Socket.IO client tests failed");
}
