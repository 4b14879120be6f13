//! The Rust client (`chatcore-client`) and the echo bot against the real `chat-server`
//! process (issue 19's "must show"): a server restart in the middle of a burst of
//! sends loses and duplicates nothing on either side; a send made offline, or whose
//! answer a reconnect lost, is stored once; a revoked session stops the client, which
//! says why; the bot answers a ping sent while it was reconnecting.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatcore::RoomKind;
use chatcore::model::{Message, MessageKind};
use chatcore::protocol::ServerEvent;
use chatcore_client::{
    Backoff, Client, Config, Event, Events, OutgoingMessage, RestClient, State, StateChange,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "correct horse battery";
/// A guard against hangs, not a performance assertion.
const WAIT: Duration = Duration::from_secs(30);

/// The binary on a fixed port and data directory, restartable.
struct Server {
    port: u16,
    dir: tempfile::TempDir,
    args: Vec<String>,
    child: Option<Child>,
}

impl Server {
    async fn start(args: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Server {
            port,
            dir: tempfile::tempdir().unwrap(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        s.spawn().await;
        s
    }

    async fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(["--port", &self.port.to_string()])
            .args(["--data-dir", self.dir.path().to_str().unwrap()])
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let url = format!("http://127.0.0.1:{}/health", self.port);
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        for _ in 0..400 {
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chat-server did not come up");
    }

    /// SIGTERM (sockets close with 1001), then the same binary on the same data.
    async fn restart(&mut self) {
        let mut child = self.child.take().unwrap();
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "exit status {status}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.spawn().await;
    }

    fn api(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    async fn user(&self, name: &str) -> RestClient {
        let mut rest = RestClient::new(self.api());
        rest.register(name, PASSWORD).await.unwrap();
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A TCP proxy that can refuse connections, cut them, or cut one as the server
/// answers something (before the client reads the answer).
#[derive(Clone, Default)]
struct Proxy {
    port: u16,
    refusing: Arc<AtomicBool>,
    cut_on: Arc<Mutex<Option<String>>>,
    cuts: Arc<AtomicUsize>,
    generation: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            ..Proxy::default()
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if p.refusing.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                tokio::spawn(p.clone().pipe(client, upstream));
            }
        });
        proxy
    }

    async fn pipe(self, client: TcpStream, upstream: TcpStream) {
        let generation = self.generation.load(Ordering::SeqCst);
        let (mut cr, mut cw) = client.into_split();
        let (mut ur, mut uw) = upstream.into_split();
        let up = async {
            let mut buf = vec![0u8; 16384];
            while let Ok(n) = cr.read(&mut buf).await {
                if n == 0 || uw.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        let down = async {
            let mut buf = vec![0u8; 16384];
            while let Ok(n) = ur.read(&mut buf).await {
                if n == 0 || self.generation.load(Ordering::SeqCst) != generation {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                let cut = {
                    let mut on = self.cut_on.lock().unwrap();
                    let hit = on.as_ref().is_some_and(|p| text.contains(p.as_str()));
                    if hit {
                        *on = None;
                    }
                    hit
                };
                if cut {
                    self.cuts.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                if cw.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        // Whichever direction ends first ends both.
        tokio::select! { () = up => {}, () = down => {} }
    }

    /// Cut every open connection (the next chunk from the server ends each).
    fn cut_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/api/ws", self.port)
    }
}

/// What a client's event stream showed.
#[derive(Default)]
struct Seen {
    messages: Mutex<Vec<Message>>,
    states: Mutex<Vec<StateChange>>,
}

fn quick(url: String, token: &str) -> Config {
    Config::new(url).token(token).backoff(Backoff::new(
        Duration::from_millis(100),
        Duration::from_secs(1),
    ))
}

/// Connect and record the events in the background.
fn connect(config: Config) -> (Client, Arc<Seen>) {
    let (client, events) = Client::connect(config);
    let seen = Arc::new(Seen::default());
    tokio::spawn(record(events, seen.clone()));
    (client, seen)
}

async fn record(mut events: Events, seen: Arc<Seen>) {
    while let Some(ev) = events.next().await {
        match ev {
            Event::Server(ServerEvent::MessageCreated { message })
                if message.kind == MessageKind::Text =>
            {
                seen.messages.lock().unwrap().push(message);
            }
            Event::State(s) => seen.states.lock().unwrap().push(s),
            _ => {}
        }
    }
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn room(owner: &RestClient, members: &[&RestClient]) -> chatcore::RoomId {
    let room = owner
        .create_room(&chatcore::NewRoom::new(
            RoomKind::Public,
            format!("r{}", uuid::Uuid::new_v4().simple()),
        ))
        .await
        .unwrap();
    for m in members {
        m.join_room(room.id, None).await.unwrap();
    }
    room.id
}

async fn texts(rest: &RestClient, room: chatcore::RoomId) -> Vec<Message> {
    let all = rest.messages_after(room, 0).await.unwrap();
    all.into_iter()
        .filter(|m| m.kind == MessageKind::Text)
        .collect()
}

#[track_caller]
fn assert_once_in_order(messages: &[Message], bodies: &BTreeSet<String>, who: &str) {
    let got: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    let set: BTreeSet<String> = got.iter().map(|b| (*b).to_owned()).collect();
    assert_eq!(set.len(), got.len(), "{who}: a message arrived twice");
    assert_eq!(&set, bodies, "{who}: messages lost or unexpected");
    assert!(
        messages.windows(2).all(|w| w[0].seq < w[1].seq),
        "{who}: out of order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_burst_loses_and_duplicates_nothing() {
    let mut s = Server::start(&["--bench-limits"]).await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let room = room(&alice, &[&bob]).await;
    let (sender, sender_seen) = connect(quick(alice.ws_url(), alice.token().unwrap()));
    let (receiver, received) = connect(quick(bob.ws_url(), bob.token().unwrap()));
    sender.wait_open().await.unwrap();
    receiver.wait_open().await.unwrap();

    const N: usize = 400;
    let bodies: BTreeSet<String> = (0..N).map(|i| format!("burst {i}")).collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let mut sends = Vec::new();
    for i in 0..N {
        let (c, acked) = (sender.clone(), acked.clone());
        sends.push(tokio::spawn(async move {
            let sent = c.send(room, format!("burst {i}")).await.unwrap();
            acked.fetch_add(1, Ordering::SeqCst);
            sent
        }));
    }
    until("the first answers", || acked.load(Ordering::SeqCst) >= 40).await;
    s.restart().await;
    let at_restart = acked.load(Ordering::SeqCst);
    let mut sent = Vec::new();
    for t in sends {
        sent.push(t.await.unwrap());
    }
    assert!(
        at_restart < N,
        "the restart came after the burst ({at_restart} of {N})"
    );
    let ids: BTreeSet<_> = sent.iter().map(|s| s.message_id).collect();
    assert_eq!(ids.len(), N, "two sends got one message");
    assert!(
        sender_seen
            .states
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.state == State::Reconnecting),
        "the sender reconnected"
    );

    until("every message on both clients", || {
        received.messages.lock().unwrap().len() >= N
            && sender_seen.messages.lock().unwrap().len() >= N
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // anything doubled arrives now
    assert_once_in_order(&received.messages.lock().unwrap(), &bodies, "receiver");
    assert_once_in_order(&sender_seen.messages.lock().unwrap(), &bodies, "sender");
    assert_once_in_order(&texts(&alice, room).await, &bodies, "history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_offline_or_whose_answer_was_lost_is_stored_once() {
    let s = Server::start(&[]).await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let room = room(&alice, &[&bob]).await;
    let proxy = Proxy::start(s.port).await;
    let (sender, seen) = connect(quick(proxy.ws_url(), alice.token().unwrap()));
    let (receiver, received) = connect(quick(bob.ws_url(), bob.token().unwrap()));
    sender.wait_open().await.unwrap();
    receiver.wait_open().await.unwrap();

    // Offline: refused connections, then a send; it goes out after the reconnect.
    proxy.refusing.store(true, Ordering::SeqCst);
    proxy.cut_all();
    sender.ping().await.ok(); // makes the cut connection notice
    until("the sender to notice", || {
        sender.state().state == State::Reconnecting
    })
    .await;
    let offline = tokio::spawn({
        let c = sender.clone();
        async move { c.send(room, "written offline").await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!offline.is_finished());
    proxy.refusing.store(false, Ordering::SeqCst);
    let first = offline.await.unwrap().unwrap();

    // Lost answer: the server stores it, the connection dies as `sent` comes back.
    let nonce = format!("lost-{}", uuid::Uuid::new_v4().simple());
    *proxy.cut_on.lock().unwrap() = Some(format!("\"nonce\":\"{nonce}\""));
    let second = sender
        .send_message(OutgoingMessage {
            room,
            body: "answer lost".into(),
            reply_to: None,
            nonce,
        })
        .await
        .unwrap();
    assert_eq!(proxy.cuts.load(Ordering::SeqCst), 1, "the answer was cut");

    let stored: Vec<_> = texts(&alice, room).await.iter().map(|m| m.id).collect();
    assert_eq!(
        stored,
        [first.message_id, second.message_id],
        "each stored once"
    );
    until("the receiver", || {
        received.messages.lock().unwrap().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got: Vec<String> = received
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(got, ["written offline", "answer lost"]);
    let reconnects = seen
        .states
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.state == State::Reconnecting)
        .count();
    assert!(reconnects >= 2, "both cuts reconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_stops_the_client_which_says_why() {
    let s = Server::start(&[]).await;
    let alice = s.user("alice").await;
    let room = room(&alice, &[]).await;
    let mut elsewhere = RestClient::new(s.api());
    elsewhere.login("alice", PASSWORD).await.unwrap();

    // Revoked while connected: closed with 4002.
    let (client, seen) = connect(quick(alice.ws_url(), alice.token().unwrap()));
    client.wait_open().await.unwrap();
    let mine = alice
        .sessions()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.current)
        .unwrap();
    elsewhere.revoke_session(mine.id).await.unwrap();
    let end = tokio::time::timeout(WAIT, client.wait_closed())
        .await
        .unwrap();
    assert_eq!(
        (end.code, end.reason.as_deref()),
        (Some(4002), Some("session_revoked"))
    );
    let closed_seen = || {
        seen.states
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.state == State::Closed)
    };
    until("the closed event", closed_seen).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let states = seen.states.lock().unwrap().clone();
    assert_eq!(states.last().map(|c| c.state), Some(State::Closed));
    assert_eq!(
        states.iter().filter(|c| c.state != State::Open).count(),
        1,
        "no reconnect after a revoked session: {states:?}"
    );
    let err = client.send(room, "after").await.unwrap_err();
    assert_eq!(err.code(), "session_revoked");

    // Revoked while away: the next connection is refused with 4001.
    let mut again = RestClient::new(s.api());
    again.login("alice", PASSWORD).await.unwrap();
    let proxy = Proxy::start(s.port).await;
    let (client, _) = connect(quick(proxy.ws_url(), again.token().unwrap()));
    client.wait_open().await.unwrap();
    proxy.refusing.store(true, Ordering::SeqCst);
    proxy.cut_all();
    client.ping().await.ok();
    until("the client to notice", || {
        client.state().state == State::Reconnecting
    })
    .await;
    let queued = tokio::spawn({
        let c = client.clone();
        async move { c.send(room, "never").await }
    });
    elsewhere.logout_all().await.unwrap();
    proxy.refusing.store(false, Ordering::SeqCst);
    let end = tokio::time::timeout(WAIT, client.wait_closed())
        .await
        .unwrap();
    assert_eq!(
        (end.code, end.reason.as_deref()),
        (Some(4001), Some("unauthenticated"))
    );
    assert_eq!(queued.await.unwrap().unwrap_err().code(), "unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_bot_answers_pings_across_a_server_restart() {
    let mut s = Server::start(&[]).await;
    let alice = s.user("alice").await;
    let bot = s.user("pingbot").await;
    let room = room(&alice, &[&bot]).await;
    let (client, events) = Client::connect(quick(bot.ws_url(), bot.token().unwrap()));
    let bot_task = tokio::spawn(echo_bot::serve(client.clone(), events));
    client.wait_open().await.unwrap();

    let pongs = |msgs: &[Message], ping: chatcore::MessageId| {
        msgs.iter()
            .filter(|m| m.body == echo_bot::PONG && m.reply_to == Some(ping))
            .count()
    };
    let ping = alice
        .post_message(room, echo_bot::PING, None)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while pongs(&texts(&alice, room).await, ping.id) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no pong");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A ping while the bot reconnects: answered once it has resumed.
    s.restart().await;
    let ping2 = alice
        .post_message(room, echo_bot::PING, None)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while pongs(&texts(&alice, room).await, ping2.id) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no pong after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = texts(&alice, room).await;
    assert_eq!((pongs(&all, ping.id), pongs(&all, ping2.id)), (1, 1));
    client.close();
    let end = tokio::time::timeout(WAIT, bot_task).await.unwrap().unwrap();
    assert_eq!(end.state, State::Closed);
}
