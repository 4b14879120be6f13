//! The real `chat-server` binary under faults and load:
//!
//! - SIGTERM in the middle of a burst of sends over a WebSocket: the server stops,
//!   and after a restart on the same SQLite data directory every message it had
//!   acknowledged is in the history.
//! - 1,000 WebSocket clients that never read while large messages are published: the
//!   server's memory stays bounded and it keeps serving others.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A guard against hangs, not a performance assertion.
const WAIT: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    port: u16,
    http: reqwest::Client,
    /// Everything the server printed on stdout (where its log goes).
    output: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start the binary with `args` on a free port (read from its first line).
    fn start(args: &[&str]) -> Server {
        Self::start_logging(args, "warn")
    }

    /// Start with `RUST_LOG=log`; the log (stdout) is kept in [`Server::output`].
    fn start_logging(args: &[&str], log: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(args)
            .args(["--port", "0"])
            .env("RUST_LOG", log)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut o = out.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        // Log lines may come first; the server announces its address in one line.
        let port = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            output.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let port = rest
                    .split_whitespace()
                    .next()
                    .and_then(|a| a.rsplit_once(':'))
                    .and_then(|(_, p)| p.parse::<u16>().ok())
                    .unwrap_or_else(|| panic!("no port in {line:?}"));
                break port;
            }
        };
        let out = output.clone();
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
            output,
        }
    }

    fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api{path}", self.port)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.api(path))
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

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let (status, v) = self
            .call(reqwest::Method::POST, path, token, Some(body))
            .await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    async fn register(&self, name: &str) -> String {
        let v = self
            .post(
                "/auth/register",
                None,
                json!({"username": name, "password": "correct horse battery"}),
            )
            .await;
        v["token"].as_str().unwrap().to_owned()
    }

    async fn login(&self, name: &str) -> String {
        let v = self
            .post(
                "/auth/login",
                None,
                json!({"username": name, "password": "correct horse battery"}),
            )
            .await;
        v["token"].as_str().unwrap().to_owned()
    }

    /// Open a WebSocket; the handshake only (nothing is read).
    async fn ws(&self, token: &str) -> Ws {
        let mut req = format!("ws://127.0.0.1:{}/api/ws", self.port)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        ws
    }

    /// Resident memory of the server process, in KiB (Linux).
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }

    /// Peak resident memory of the server process so far, in KiB (Linux).
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }

    /// Wait for the process to exit by itself; its exit status.
    async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not stop"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an event")?;
        match msg {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Every user message of a room, paging forward through the history.
async fn history(s: &Server, token: &str, room: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = s
            .call(
                reqwest::Method::GET,
                &format!("/rooms/{room}/messages?after={after}&limit=100"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let msgs = page["messages"].as_array().unwrap().clone();
        if msgs.is_empty() {
            return all;
        }
        after = msgs
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .max()
            .unwrap();
        all.extend(msgs);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_send_burst_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let mut s = Server::start(&["--data-dir", data_dir, "--bench-limits"]);
    let token = s.register("alice").await;
    let room = s
        .post(
            "/rooms",
            Some(&token),
            json!({"kind": "public", "name": "Burst"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let ws = s.ws(&token).await;
    let (mut sink, mut stream) = ws.split();
    // The sender pipelines sends without waiting for answers.
    const BURST: u64 = 5000;
    let sender_room = room.clone();
    let sender = tokio::spawn(async move {
        for i in 1..=BURST {
            let cmd = json!({"type": "send", "id": i, "room": sender_room, "nonce": format!("n{i}"), "body": format!("burst {i}")});
            if sink.send(Message::text(cmd.to_string())).await.is_err() {
                return i;
            }
        }
        BURST
    });

    // Read answers; once enough are acknowledged, signal the server mid-burst.
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut signalled = false;
    while let Some(ev) = next_or_end(&mut stream).await {
        if ev["type"] == "sent" {
            acked.insert(ev["nonce"].as_str().unwrap().to_owned());
        }
        if !signalled && acked.len() >= 100 {
            let ok = Command::new("kill")
                .args(["-TERM", &s.child.id().to_string()])
                .status()
                .unwrap();
            assert!(ok.success());
            signalled = true;
        }
        if ev.is_null() {
            break;
        }
    }
    assert!(
        signalled,
        "the burst ended before the signal: {} acks",
        acked.len()
    );
    let sent = sender.await.unwrap();
    let status = s.wait_exit().await;
    assert!(status.success(), "exit status {status}");
    assert!(
        (acked.len() as u64) < BURST,
        "the signal came too late to interrupt the burst ({} of {BURST} acknowledged, {sent} sent)",
        acked.len()
    );

    // Restart on the same data: every acknowledged message is there, once.
    let s2 = Server::start(&["--data-dir", data_dir, "--bench-limits"]);
    let token = s2.login("alice").await;
    let stored = history(&s2, &token, &room).await;
    let bodies: Vec<String> = stored
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_owned))
        .collect();
    let stored_set: BTreeSet<String> = bodies.iter().cloned().collect();
    assert_eq!(stored_set.len(), bodies.len(), "duplicates in history");
    for nonce in &acked {
        let body = format!("burst {}", &nonce[1..]);
        assert!(
            stored_set.contains(&body),
            "acknowledged {nonce} is missing after restart"
        );
    }
    // Sequence numbers are gapless.
    let seqs: Vec<i64> = stored.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
}

/// The next text event, `Value::Null` for a close, `None` when the stream ended.
async fn next_or_end(stream: &mut futures::stream::SplitStream<Ws>) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("an event or the end")?;
        match msg {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) => return Some(Value::Null),
            Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_that_never_read_do_not_grow_memory_without_bound() {
    const CLIENTS: usize = 1000;
    const PER_USER: usize = 16; // the default per-user connection limit
    // More than a connection's queue holds (chatcore::LocalHub::DEFAULT_QUEUE, 1,024).
    const MESSAGES: usize = 1500;
    let s = Server::start(&["--memory", "--bench-limits", "--max-connections", "2000"]);
    let users = CLIENTS.div_ceil(PER_USER);
    let mut tokens = Vec::new();
    for i in 0..users {
        tokens.push(s.register(&format!("idle{i}")).await);
    }
    let publisher = s.register("publisher").await;
    let room = s
        .post(
            "/rooms",
            Some(&publisher),
            json!({"kind": "public", "name": "Firehose"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for t in &tokens {
        s.post(&format!("/rooms/{room}/join"), Some(t), json!({}))
            .await;
    }
    let at_start = s.rss_kib();
    // 1,000 sockets that complete the handshake and then never read a byte.
    let mut idle = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        idle.push(s.ws(&tokens[i / PER_USER]).await);
    }
    let before = s.rss_kib();

    // About 4 KB per message: 6 MB per client, 6 GB if each connection kept a copy.
    let body = "x".repeat(3900);
    for i in 0..MESSAGES {
        let (status, v) = s
            .call(
                reqwest::Method::POST,
                &format!("/rooms/{room}/messages"),
                Some(&publisher),
                Some(json!({"body": format!("{i} {body}")})),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }
    let after = s.rss_kib();
    eprintln!(
        "server RSS: {at_start} KiB before the sockets, {before} KiB with {CLIENTS} idle sockets, \
         {after} KiB after {MESSAGES} messages"
    );
    assert!(
        after < before + 256 * 1024,
        "server memory grew from {before} KiB to {after} KiB"
    );

    // Still serving: health answers, and a reading client gets a new message.
    let health = s
        .http
        .get(format!("http://127.0.0.1:{}/health", s.port))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let fresh = s.register("fresh").await;
    s.post(&format!("/rooms/{room}/join"), Some(&fresh), json!({}))
        .await;
    let mut ws = s.ws(&fresh).await;
    let hello = next(&mut ws).await.unwrap();
    assert_eq!(hello["type"], "hello");
    ws.send(Message::text(json!({"type": "ping"}).to_string()))
        .await
        .unwrap();
    s.post(
        &format!("/rooms/{room}/messages"),
        Some(&publisher),
        json!({"body": "still alive"}),
    )
    .await;
    loop {
        let ev = next(&mut ws)
            .await
            .expect("the fresh client stays connected");
        if ev["type"] == "message_created" && ev["message"]["body"] == "still alive" {
            break;
        }
    }
    // The idle connections overflowed their bounded queues: once one of them reads
    // again, what was written before comes, then the close as a slow consumer (4008).
    for ws in idle.iter_mut().step_by(250) {
        let code = loop {
            match tokio::time::timeout(WAIT, ws.next())
                .await
                .expect("a close")
            {
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break None,
            }
        };
        assert_eq!(
            code,
            Some(4008),
            "an idle client is closed as a slow consumer"
        );
    }
    drop(idle);
}

/// Every response body and header of a session of use, except where a token is
/// issued (register and login answer it once, in the body and the cookie).
#[derive(Default)]
struct Seen {
    /// Everything the server sent.
    all: String,
    /// Everything but the token-issuing answers.
    not_issuing: String,
}

async fn record(seen: &mut Seen, resp: reqwest::Response, issuing: bool) -> Value {
    let mut text = format!("{}\n", resp.status());
    for (k, v) in resp.headers() {
        text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("")));
    }
    let body = resp.text().await.unwrap();
    text.push_str(&body);
    text.push('\n');
    seen.all.push_str(&text);
    if !issuing {
        seen.not_issuing.push_str(&text);
    }
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_password_hashes_never_appear_in_responses_or_logs() {
    let dir = tempfile::tempdir().unwrap();
    // Everything logged, at the most verbose level, over the real SQLite store.
    let s = Server::start_logging(&["--data-dir", dir.path().to_str().unwrap()], "trace");
    let port = s.port;
    let api = |p: &str| s.api(p);
    let http = &s.http;
    let mut seen = Seen::default();
    let mut tokens = Vec::new();
    let passwords = [
        "first secret pass",
        "second secret pass",
        "wrong guess pass",
    ];

    let post = |path: &str| http.post(api(path)).header("x-requested-with", "t");
    // Register, log in (right and wrong), change the password, log in again.
    let v = record(
        &mut seen,
        post("/auth/register")
            .json(&json!({"username": "alice", "password": passwords[0], "email": "alice@example.com"}))
            .send()
            .await
            .unwrap(),
        true,
    )
    .await;
    tokens.push(v["token"].as_str().unwrap().to_owned());
    let alice_id = v["user"]["id"].as_str().unwrap().to_owned();
    let v = record(
        &mut seen,
        post("/auth/register")
            .json(&json!({"username": "bob", "password": passwords[0]}))
            .send()
            .await
            .unwrap(),
        true,
    )
    .await;
    let bob = v["token"].as_str().unwrap().to_owned();
    tokens.push(bob.clone());
    let v = record(
        &mut seen,
        post("/auth/login")
            .json(&json!({"username": "alice", "password": passwords[0]}))
            .send()
            .await
            .unwrap(),
        true,
    )
    .await;
    let alice = v["token"].as_str().unwrap().to_owned();
    tokens.push(alice.clone());
    record(
        &mut seen,
        post("/auth/login")
            .json(&json!({"username": "alice", "password": passwords[2]}))
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    for path in ["/me", "/auth/sessions", "/me/rooms", "/users/by-name/alice"] {
        record(
            &mut seen,
            http.get(api(path))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap(),
            false,
        )
        .await;
    }
    record(
        &mut seen,
        http.get(api(&format!("/users/{alice_id}")))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    record(
        &mut seen,
        post("/me/password")
            .bearer_auth(&alice)
            .json(&json!({"old": passwords[0], "new": passwords[1]}))
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    let v = record(
        &mut seen,
        post("/auth/login")
            .json(&json!({"username": "alice", "password": passwords[1]}))
            .send()
            .await
            .unwrap(),
        true,
    )
    .await;
    let alice = v["token"].as_str().unwrap().to_owned();
    tokens.push(alice.clone());
    // A revoked and a made-up token, in headers, cookies and the auth frame.
    record(
        &mut seen,
        http.get(api("/me"))
            .bearer_auth(&tokens[0])
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    record(
        &mut seen,
        http.get(api("/me"))
            .header("cookie", format!("chatcore_session={}", tokens[0]))
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    let room = record(
        &mut seen,
        post("/rooms")
            .bearer_auth(&alice)
            .json(&json!({"kind": "private", "name": "R", "password": passwords[2]}))
            .send()
            .await
            .unwrap(),
        false,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    record(
        &mut seen,
        post(&format!("/rooms/{room}/messages"))
            .bearer_auth(&alice)
            .json(&json!({"body": "hello"}))
            .send()
            .await
            .unwrap(),
        false,
    )
    .await;
    // WebSocket: by header, and by the auth frame; everything it sends is recorded.
    let mut ws = s.ws(&alice).await;
    ws.send(Message::text(json!({"type": "ping", "id": 1}).to_string()))
        .await
        .unwrap();
    for _ in 0..2 {
        let ev = next(&mut ws).await.unwrap();
        seen.all.push_str(&ev.to_string());
        seen.not_issuing.push_str(&ev.to_string());
    }
    let (mut ws2, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/ws"))
        .await
        .unwrap();
    ws2.send(Message::text(
        json!({"type": "auth", "token": bob}).to_string(),
    ))
    .await
    .unwrap();
    let ev = next(&mut ws2).await.unwrap();
    assert_eq!(ev["type"], "hello", "{ev}");
    seen.not_issuing.push_str(&ev.to_string());
    let (mut ws3, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/ws"))
        .await
        .unwrap();
    ws3.send(Message::text(
        json!({"type": "auth", "token": tokens[0]}).to_string(),
    ))
    .await
    .unwrap();
    assert!(next(&mut ws3).await.is_none(), "a revoked token is refused");
    drop((ws, ws2, ws3));

    // Let the server log what it logs, then stop it so the log is complete.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ok = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut s = s;
    s.wait_exit().await;
    // Give the reader threads a moment to take the last lines.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = s.output.lock().unwrap().clone();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "verbose logging was on"
    );

    for t in &tokens {
        assert!(
            !seen.not_issuing.contains(t.as_str()),
            "a token was sent back outside login"
        );
        let leak = logs.lines().find(|l| l.contains(t.as_str()));
        assert!(leak.is_none(), "a token is in the log: {leak:?}");
    }
    for p in passwords {
        assert!(!seen.all.contains(p), "a password was sent back");
        let leak = logs.lines().find(|l| l.contains(p));
        assert!(leak.is_none(), "a password is in the log: {leak:?}");
    }
    for what in ["$argon2", "password_hash", "token_hash"] {
        assert!(!seen.all.contains(what), "{what} in a response");
        let leak = logs.lines().find(|l| l.contains(what));
        assert!(leak.is_none(), "{what} in the log: {leak:?}");
    }
}

#[test]
fn the_web_ui_never_turns_data_into_html() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    // The UI's own modules, in every folder under js/ (the vendored libraries under
    // vendor/ hold Preact's `dangerouslySetInnerHTML` support, which our code never uses).
    let mut files = vec![dir.join("index.html")];
    let mut dirs = vec![dir.join("js")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "found the UI's modules: {files:?}");
    let sinks = [
        "dangerouslySetInnerHTML",
        ".innerHTML",
        ".outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "DOMParser",
        "srcdoc",
    ];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for sink in sinks {
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                assert!(
                    !code.contains(sink),
                    "{}:{}: {sink} would parse text as HTML",
                    f.display(),
                    n + 1
                );
            }
        }
    }
    // Inline handlers would need 'unsafe-inline' anyway; the page has none.
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(!index.contains(" onclick="), "inline handler in index.html");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_queues_password_hashing_instead_of_growing_memory() {
    // --bench-limits lifts the per-address limits: this is many addresses at once.
    let s = Server::start(&["--memory", "--bench-limits"]);
    let before = s.peak_rss_kib();
    // Each login verifies an argon2 hash (19 MiB); unknown users too (a dummy hash).
    const FLOOD: usize = 200;
    let logins = (0..FLOOD).map(|i| {
        let req = s
            .http
            .post(s.api("/auth/login"))
            .header("x-requested-with", "t")
            .json(&json!({"username": format!("nobody{i}"), "password": "not the password"}));
        async move { req.send().await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures::future::join_all(logins).await;
    for st in statuses {
        assert_eq!(st.unwrap(), 401);
    }
    let after = s.peak_rss_kib();
    eprintln!("server peak RSS: {before} KiB before, {after} KiB after {FLOOD} concurrent logins");
    // Unbounded, 200 hashes at once take 3.8 GB; bounded, one 19 MiB hash per core at
    // a time (plus what the allocator keeps): a generous bound that still tells them
    // apart on small machines.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let allowed = 1024 * 1024 + u64::try_from(cores).unwrap() * 2 * 19 * 1024;
    assert!(
        after < before + allowed,
        "peak memory grew from {before} KiB to {after} KiB (allowed {allowed} KiB)"
    );
}

/// Unknown routes and methods under `/api` answer the API's JSON errors, not the UI's
/// plain-text 404 (the UI's catch-all must not shadow the API's fallback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_routes_and_methods_answer_json() {
    let s = Server::start(&["--memory"]);
    for (method, path, status, code) in [
        (reqwest::Method::GET, "/nope", 404, "not_found"),
        (reqwest::Method::GET, "/rooms/x/y/z/nope", 404, "not_found"),
        (reqwest::Method::POST, "/nope", 404, "not_found"),
        (
            reqwest::Method::DELETE,
            "/auth/login",
            405,
            "method_not_allowed",
        ),
        (
            reqwest::Method::PUT,
            "/openapi.json",
            405,
            "method_not_allowed",
        ),
    ] {
        let resp = s
            .http
            .request(method.clone(), s.api(path))
            .header("x-requested-with", "t")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
    }
    // The UI keeps its own 404 for unknown files outside /api.
    let resp = s
        .http
        .get(format!("http://127.0.0.1:{}/nope.js", s.port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}

/// Read from `tcp` until it closes; what arrived. The timeout guards against a hang.
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let read = tokio::time::timeout(WAIT, tcp.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&out).into_owned()
}

/// Half-sent headers, idle connections and bodies shorter than their
/// `Content-Length` are closed after their deadlines; one address cannot hold more
/// than its share of connections, and the server keeps serving the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_capped_per_address() {
    use tokio::io::AsyncWriteExt;
    let s = Server::start(&[
        "--memory",
        "--header-timeout-secs",
        "1",
        "--request-timeout-secs",
        "2",
        "--max-connections-per-ip",
        "4",
    ]);
    let addr = format!("127.0.0.1:{}", s.port);
    // Half a request's headers: closed after the header deadline.
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_until_closed(&mut half).await;
    // An idle connection (nothing sent) too.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    read_until_closed(&mut idle).await;
    // A body shorter than its Content-Length: 408, and the connection closes.
    let mut short = TcpStream::connect(&addr).await.unwrap();
    short
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nX-Requested-With: t\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut short).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    // Four connections from one address are held (a server with a long header
    // deadline, so that they stay); a fifth is closed at once.
    drop(s);
    let s = Server::start(&["--memory", "--max-connections-per-ip", "4"]);
    let addr = format!("127.0.0.1:{}", s.port);
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut tcp = TcpStream::connect(&addr).await.unwrap();
        tcp.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        held.push(tcp);
    }
    let mut fifth = TcpStream::connect(&addr).await.unwrap();
    let refused = read_until_closed(&mut fifth).await;
    assert!(refused.is_empty(), "{refused}");
    drop(held);
    // Once they are gone, the address is served again.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = s.http.get(format!("http://{addr}/health")).send().await;
        if let Ok(r) = r
            && r.status().as_u16() == 200
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
