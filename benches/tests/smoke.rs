//! Smoke run of the load generator (a correctness check, not a timing): the example
//! server (temporary SQLite database, ephemeral port) and both baselines each get a
//! two-second run of a small scenario, and every message must reach every member of
//! its room exactly once.
//!
//! The example server's binary is taken from `CHAT_SERVER_BIN`, else from the target
//! directory of this test (built with `cargo build -p chat-server` if missing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatcore_benches::load::{self, Report, RunOptions, Scenario, Target};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chat_server_bin() -> PathBuf {
    if let Ok(p) = std::env::var("CHAT_SERVER_BIN") {
        return PathBuf::from(p);
    }
    // <target>/<profile>/deps/smoke-… → <target>/<profile>/chat-server
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir.join("chat-server");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "chat-server", "--bin", "chat-server"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let target_dir = profile_dir.parent().unwrap();
        cmd.env("CARGO_TARGET_DIR", target_dir);
        let status = cmd.status().expect("run cargo build -p chat-server");
        assert!(status.success(), "cargo build -p chat-server failed");
    }
    bin
}

async fn wait_listening(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "server at {addr} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn scenario(rate: Option<f64>) -> Scenario {
    Scenario {
        rooms: 2,
        members: 5,
        publishers: 4,
        rate,
        window: 16,
        payload: 100,
        duration_secs: 2.0,
        warmup_secs: 0.5,
    }
}

async fn run(target: Target, addr: String, pid: u32, rate: Option<f64>) -> Report {
    load::run(RunOptions {
        target,
        addr,
        api_path: "/api".into(),
        scenario: scenario(rate),
        server_pid: Some(pid),
        token_cache: None,
        users: 0,
        progress: false,
        label: format!("{target:?}"),
        prepared: None,
    })
    .await
    .unwrap()
}

fn check(r: &Report) {
    assert!(r.published > 0, "{}: nothing published: {r:?}", r.label);
    assert_eq!(r.publish_errors, 0, "{}: {r:?}", r.label);
    assert_eq!(r.expected, r.published * 5, "{}: {r:?}", r.label);
    assert_eq!(r.lost, 0, "{}: lost deliveries: {r:?}", r.label);
    assert_eq!(r.duplicated, 0, "{}: duplicated deliveries: {r:?}", r.label);
    assert_eq!(r.delivered, r.expected, "{}: {r:?}", r.label);
    assert!(r.disconnects.is_empty(), "{}: {r:?}", r.label);
}

fn spawn(bin: &std::path::Path, args: &[&str]) -> Killed {
    Killed(
        Command::new(bin)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn every_message_reaches_every_member_once() {
    let chat_server = chat_server_bin();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        // The example server, SQLite in a temporary directory.
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = spawn(
            &chat_server,
            &[
                "--port",
                &port.to_string(),
                "--bench-limits",
                "--data-dir",
                dir.path().to_str().unwrap(),
            ],
        );
        let addr = format!("127.0.0.1:{port}");
        wait_listening(&addr).await;
        let pid = server.0.id();
        check(&run(Target::Chatcore, addr.clone(), pid, Some(200.0)).await);
        check(&run(Target::Chatcore, addr, pid, None).await);
        drop(server);

        for (target, bin) in [
            (Target::Broadcast, env!("CARGO_BIN_EXE_baseline-broadcast")),
            (Target::Socketio, env!("CARGO_BIN_EXE_baseline-socketio")),
        ] {
            let port = free_port();
            let server = spawn(bin.as_ref(), &["--port", &port.to_string()]);
            let addr = format!("127.0.0.1:{port}");
            wait_listening(&addr).await;
            let pid = server.0.id();
            check(&run(target, addr.clone(), pid, Some(200.0)).await);
            check(&run(target, addr, pid, None).await);
        }
    });
}
