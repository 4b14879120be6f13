//! The harness of the operator tests (admin CLI, metrics, backup, config): the real
//! binary on a free port, its commands, and a small HTTP client.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::io::BufRead;
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

/// The `chat-server` binary.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chat-server"));
    c.env("RUST_LOG", "warn").env("NO_COLOR", "1");
    c
}

/// Run `chat-server args…` to its end.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    http: reqwest::Client,
    /// The lines the server printed on stdout (but its address line).
    pub stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start with `args` on a free port (read from the line announcing it).
    pub fn start(args: &[&str]) -> Server {
        let mut child = bin()
            .args(args)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut before = Vec::new();
        let port = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap();
                break addr.rsplit_once(':').unwrap().1.parse().unwrap();
            }
            before.push(line);
        };
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(before));
        let out = stdout.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                out.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            port,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            stdout,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Call `/api{path}` with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.url(&format!("/api{path}")))
            .header("x-requested-with", "chatcore-tests");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Register `name` (password `tulip radar canyon`); its token.
    pub async fn register(&self, name: &str) -> String {
        let (status, v) = self
            .call(
                reqwest::Method::POST,
                "/auth/register",
                None,
                Some(json!({"username": name, "password": "tulip radar canyon"})),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }
}
