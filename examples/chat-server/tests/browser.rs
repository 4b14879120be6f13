//! The browser tests (e2e/, playwright-core driving Debian's Chromium) run as part of
//! `cargo test`, against this package's freshly built `chat-server` binary.
//!
//! They need `e2e/install.sh` to have run (Chromium and the npm packages); without them
//! this test prints a visible `SKIPPED` line. `.ci/run` runs the installer first, so CI
//! never skips them.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

#[test]
fn web_ui_in_a_real_browser() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = e2e.join("node_modules/playwright-core").is_dir()
        && Path::new(&chromium).exists()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED browser tests: run e2e/install.sh (Chromium, node packages) first"
        );
        return;
    }
    let out = Command::new("bash")
        .arg(e2e.join("run.sh"))
        .env("CHAT_SERVER_BIN", env!("CARGO_BIN_EXE_chat-server"))
        .output()
        .expect("bash runs");
    let _ = std::io::stderr().write_all(&out.stdout);
    let _ = std::io::stderr().write_all(&out.stderr);
    assert!(
        out.status.success(),
        "browser tests failed (screenshots and server log in e2e/artifacts/)"
    );
}
