//! `--metrics-addr`: a short chat through the real router and WebSockets, then
//! `GET /metrics` shows the counters moved by what happened.
#![allow(clippy::unwrap_used)]

mod ops;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ops::Server;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The metrics address the server printed.
fn metrics_url(s: &Server) -> String {
    let lines = s.stdout.lock().unwrap();
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix("metrics on "))
        .expect("the server printed its metrics address");
    line.trim().to_owned()
}

async fn scrape(url: &str) -> String {
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    resp.text().await.unwrap()
}

/// The value of one series (`name` or `name{labels}`), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// Scrape until `ok` holds (the counters of a closing socket move after the close
/// frame reached the client), at most 10 s.
async fn scrape_until(url: &str, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let text = scrape(url).await;
        if ok(&text) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scrape(url).await
}

async fn connect(s: &Server, token: &str) -> Ws {
    let mut req = format!("ws://127.0.0.1:{}/api/ws", s.port)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");
    ws
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn wait_for(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let v = next(ws).await;
        if v["type"] == kind {
            return v;
        }
    }
}

#[tokio::test]
async fn a_short_chat_moves_the_counters_by_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let s = Server::start(&["--data-dir", data, "--metrics-addr", "127.0.0.1:0"]);
    let url = metrics_url(&s);
    // Only on the metrics address: the public one has no such route.
    let public = reqwest::get(s.url("/metrics")).await.unwrap();
    assert!(!public.text().await.unwrap().contains("chatcore_"));

    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let (status, room) = s
        .call(
            Method::POST,
            "/rooms",
            Some(&alice),
            Some(json!({"kind": "public", "name": "ops"})),
        )
        .await;
    assert_eq!(status, 201, "{room}");
    let room = room["id"].as_str().unwrap().to_owned();
    let path = format!("/rooms/{room}/join");
    assert_eq!(s.call(Method::POST, &path, Some(&bob), None).await.0, 200);

    let before = scrape(&url).await;
    let mut a = connect(&s, &alice).await;
    let mut b = connect(&s, &bob).await;
    for i in 1..=3 {
        let frame = json!({"type": "send", "id": i, "room": room, "nonce": format!("n{i}"), "body": format!("hello {i}")});
        a.send(Message::text(frame.to_string())).await.unwrap();
        assert_eq!(wait_for(&mut a, "sent").await["id"], i);
    }
    // A refused command: a room that does not exist.
    let bad =
        json!({"type": "send", "id": 9, "room": uuid::Uuid::nil(), "nonce": "x", "body": "lost"});
    a.send(Message::text(bad.to_string())).await.unwrap();
    let err = wait_for(&mut a, "error").await;
    assert_eq!(err["code"], "not_found", "{err}");
    a.send(Message::text(json!({"type": "ping", "id": 10}).to_string()))
        .await
        .unwrap();
    wait_for(&mut a, "pong").await;
    // One more message over REST: stored, but not a live command.
    let path = format!("/rooms/{room}/messages");
    let body = json!({"body": "over rest"});
    assert_eq!(
        s.call(Method::POST, &path, Some(&bob), Some(body)).await.0,
        201
    );
    for _ in 0..4 {
        wait_for(&mut b, "message_created").await;
    }
    b.close(None).await.unwrap();
    while b.next().await.is_some() {}

    let after = scrape_until(&url, |t| {
        value(t, "chatcore_closes_total{code=\"1000\"}") >= 1.0
            && value(t, "chatcore_connections_open") <= 1.0
    })
    .await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved("chatcore_messages_stored_total"), 4.0, "{after}");
    assert_eq!(moved("chatcore_connects_total"), 2.0, "{after}");
    assert_eq!(moved("chatcore_commands_total{command=\"send\"}"), 4.0);
    assert_eq!(moved("chatcore_commands_total{command=\"ping\"}"), 1.0);
    assert_eq!(
        moved("chatcore_command_errors_total{command=\"send\",code=\"not_found\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(moved("chatcore_closes_total{code=\"1000\"}"), 1.0);
    assert_eq!(value(&after, "chatcore_connections_open"), 1.0);
    // Four messages to two sockets, plus presence: at least eight deliveries, and
    // every delivered frame written (Bob's were all read above).
    assert!(moved("chatcore_deliveries_total") >= 8.0, "{after}");
    let frames = moved("chatcore_ws_frames_written_total");
    let writes = moved("chatcore_ws_writes_total");
    assert!(frames >= 8.0, "{after}");
    assert!(writes >= 1.0 && writes <= frames, "{after}");
    assert!(moved("chatcore_ws_bytes_written_total") > frames);
    assert_eq!(moved("chatcore_queue_drops_total"), 0.0);
    // The SQLite store timed its statements.
    assert!(
        value(&after, "chatcore_store_query_seconds_count{op=\"insert\"}") >= 4.0,
        "{after}"
    );
    assert!(after.contains("# HELP chatcore_messages_stored_total"));
    drop(a);
}

#[test]
fn the_operations_guide_names_every_metric() {
    let doc = include_str!("../../../docs/OPERATIONS.md");
    for name in chatcore::metrics::NAMES {
        assert!(
            doc.contains(name),
            "docs/OPERATIONS.md does not describe {name}"
        );
    }
}

#[tokio::test]
async fn settings_come_from_the_config_file_and_logs_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chat.toml");
    std::fs::write(&file, "memory = true\nmetrics-addr = \"127.0.0.1:0\"\n").unwrap();
    let s = Server::start(&["--config", file.to_str().unwrap()]);
    // The address came from the file (200 and text/plain, checked in `scrape`).
    scrape(&metrics_url(&s)).await;
    drop(s);

    std::fs::write(&file, "memory = true\nmax-conections = 5\n").unwrap();
    let out = ops::run(&["--config", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown setting \"max-conections\""), "{err}");

    // JSON lines: what is logged before the address line parses as JSON.
    let mut child = ops::bin()
        .env("RUST_LOG", "info")
        .args(["--memory", "--port", "0", "--log-format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let mut logged = Vec::new();
    for line in lines.map_while(Result::ok) {
        if line.contains("listening on http://") && !line.starts_with('{') {
            break;
        }
        logged.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let store_ready = logged
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .find(|v| v["fields"]["message"] == "store ready")
        .expect("the store ready line");
    assert_eq!(store_ready["level"], "INFO");
    assert_eq!(store_ready["fields"]["store"], "memory");
}

/// A Socket.IO client over the WebSocket transport (Engine.IO 4), connected with
/// `token`; the server's CONNECT answer read.
async fn socketio(s: &Server, token: &str) -> Ws {
    let url = format!(
        "ws://127.0.0.1:{}/socket.io/?EIO=4&transport=websocket",
        s.port
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = sio_text(&mut ws).await.expect("the Engine.IO open packet");
    assert!(open.starts_with('0'), "{open}");
    let connect = format!("40{}", json!({ "token": token }));
    ws.send(Message::text(connect)).await.unwrap();
    loop {
        let t = sio_text(&mut ws).await.expect("the CONNECT answer");
        assert!(!t.starts_with("44"), "connect refused: {t}");
        if t.starts_with("40") {
            return ws;
        }
    }
}

/// The next Socket.IO text packet (answering Engine.IO pings), None once closed.
async fn sio_text(ws: &mut Ws) -> Option<String> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a packet within 10 s")?
            .ok()?;
        match msg {
            Message::Text(t) if t.as_str() == "2" => {
                ws.send(Message::text("3")).await.ok()?;
            }
            Message::Text(t) => return Some(t.as_str().to_owned()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

#[tokio::test]
async fn socketio_closes_are_counted_by_close_code() {
    let s = Server::start(&["--memory", "--metrics-addr", "127.0.0.1:0"]);
    let url = metrics_url(&s);
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let before = scrape(&url).await;

    // Alice's client goes away on its own: 1000. Bob signs out over REST while his
    // socket is open: the server closes it with session_revoked (4002).
    let mut a = socketio(&s, &alice).await;
    let mut b = socketio(&s, &bob).await;
    a.close(None).await.unwrap();
    while a.next().await.is_some() {}
    let (status, _) = s.call(Method::POST, "/auth/logout", Some(&bob), None).await;
    assert!((200..300).contains(&status), "{status}");
    let mut told = None;
    // The server emits `close`, then disconnects the socket (DISCONNECT, `41`).
    while let Some(t) = sio_text(&mut b).await {
        if t.starts_with("41") {
            break;
        }
        if let Some(rest) = t.strip_prefix("42") {
            let args: Value = serde_json::from_str(rest).unwrap();
            if args[0] == "close" {
                told = Some(args[1].clone());
            }
        }
    }
    let told = told.expect("a close event before the disconnect");
    assert_eq!(told["code"], 4002, "{told}");

    let after = scrape_until(&url, |t| {
        value(t, "chatcore_closes_total{code=\"4002\"}") >= 1.0
            && value(t, "chatcore_closes_total{code=\"1000\"}") >= 1.0
    })
    .await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved("chatcore_connects_total"), 2.0, "{after}");
    assert_eq!(
        moved("chatcore_closes_total{code=\"1000\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved("chatcore_closes_total{code=\"4002\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(value(&after, "chatcore_connections_open"), 0.0, "{after}");
}
