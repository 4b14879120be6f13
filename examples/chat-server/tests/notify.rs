//! The real `chat-server` binary with `--notify-email`: a user who is not connected
//! is notified (logged) and mailed a digest through the server's mailer (here the
//! log mailer, so the mail shows in the log), at most one per user per interval.
#![allow(clippy::unwrap_used)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple 42";

struct Server {
    child: Child,
    port: u16,
    http: reqwest::Client,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(args)
            .args(["--port", "0"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            log.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .and_then(|a| a.rsplit_once(':'))
                    .and_then(|(_, p)| p.parse::<u16>().ok())
                    .unwrap();
            }
        };
        let out = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut o = out.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        Server {
            child,
            port,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            log,
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self
            .http
            .post(format!("http://127.0.0.1:{}/api{path}", self.port))
            .header("x-requested-with", "chatcore-tests")
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let v = resp.json().await.unwrap_or(Value::Null);
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    async fn register(&self, name: &str, email: Option<&str>) -> (String, String) {
        let v = self
            .post(
                "/auth/register",
                None,
                json!({"username": name, "password": PASSWORD, "email": email}),
            )
            .await;
        (
            v["token"].as_str().unwrap().to_owned(),
            v["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Wait (a guard against hangs, not a timing assertion) until the log holds
    /// `count` lines with every one of `parts`; returns them.
    async fn lines_with(&self, parts: &[&str], count: usize) -> Vec<String> {
        for _ in 0..600 {
            let found = self.find(parts);
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no {count} log lines with {parts:?}:\n{}",
            self.log.lock().unwrap()
        );
    }

    fn find(&self, parts: &[&str]) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .lines()
            .filter(|l| parts.iter().all(|p| l.contains(p)))
            .map(str::to_owned)
            .collect()
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_users_are_notified_and_mailed_a_rate_limited_digest() {
    let s = Server::start(&["--memory", "--notify-email"]);
    let (alice, _) = s.register("alice", None).await;
    let (_bob, bob_id) = s.register("bob", Some("bob@example.com")).await;
    let (carol, _) = s.register("carol", None).await;
    // Verify bob's address with the link the log mailer printed.
    s.lines_with(&["to=bob@example.com"], 1).await;
    let text = s.log_text();
    let token: String = text
        .split("#verify-email=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    s.post("/auth/verify-email", None, json!({"token": token}))
        .await;

    // Alice writes to bob, who has no connection: logged, and a digest mailed.
    let dm = s
        .post("/direct", Some(&alice), json!({"username": "bob"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post(
        &format!("/rooms/{dm}/messages"),
        Some(&alice),
        json!({"body": "hello bob, lunch?"}),
    )
    .await;
    let logged = s
        .lines_with(&["chat_server::notify", &bob_id, &dm, "Direct"], 1)
        .await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    s.lines_with(&["notification digest mailed", "to=bob@example.com"], 1)
        .await;
    let mail = s.lines_with(&["1 new notification(s)"], 1).await;
    assert!(mail[0].contains("to=bob@example.com"), "{mail:?}");
    assert!(s.log_text().contains("(Direct): hello bob, lunch?"));

    // Carol writes too: bob is notified (logged) but the next digest waits for the
    // interval (15 minutes by default).
    let dm2 = s
        .post("/direct", Some(&carol), json!({"username": "bob"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post(
        &format!("/rooms/{dm2}/messages"),
        Some(&carol),
        json!({"body": "hi from carol"}),
    )
    .await;
    s.lines_with(&["chat_server::notify", &bob_id, &dm2], 1)
        .await;
    let deferred = s
        .lines_with(&["notification digest deferred", &bob_id], 1)
        .await;
    assert!(deferred[0].contains("in_secs=89"), "{deferred:?}");
    assert_eq!(s.find(&["notification digest mailed"]).len(), 1);
}
