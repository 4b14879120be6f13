//! Starting the servers under comparison, each pinned to its core, and stopping them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Res;

/// A server started by `compare`; killed when dropped.
pub(super) struct Server {
    pub(super) name: &'static str,
    pub(super) child: Child,
    pub(super) addr: String,
}

impl Server {
    /// Its process id (for memory and CPU).
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `taskset` can pin processes here.
pub(super) fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Start `bin` with `args` (on CPU `cpu` when given), its output appended to
/// `log`, and wait until it accepts connections on `port`.
pub(super) async fn start(
    name: &'static str,
    bin: &Path,
    args: &[String],
    port: u16,
    cpu: Option<usize>,
    log: &Path,
) -> Res<Server> {
    let mut cmd = match cpu {
        Some(c) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(c.to_string()).arg(bin);
            cmd
        }
        None => Command::new(bin),
    };
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let addr = format!("127.0.0.1:{port}");
    let server = Server { name, child, addr };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if tokio::net::TcpStream::connect(&server.addr).await.is_ok() {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err(format!("{name} did not start; see {}", log.display()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the machine is (for the report).
pub(super) fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_owned())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    serde_json::json!({
        "cpu": cpu, "kernel": kernel, "generator_cpus": cores, "memory": mem,
        "load_average_at_start": load,
    })
}
