//! The load generator behind the `chatload` binary: it connects many WebSocket clients
//! to a chat server, makes some of them publish, and checks every delivery.
//!
//! Every published message carries, in its body, the publisher, a per-publisher
//! counter and the send time. Each receiving client tracks per publisher which
//! counters it has seen, so the generator reports **lost** and **duplicated**
//! deliveries exactly, and the latency of each delivery (send → receive, both on the
//! generator's clock) into an HdrHistogram.
//!
//! Publishing is either at a fixed rate (open loop: `rate` messages a second in all)
//! or as fast as the server delivers (closed loop: at most `window` messages per room
//! that have not yet reached every member of the room).
//!
//! Three server kinds are spoken: chatcore's protocol (`docs/PROTOCOL.md`), the plain
//! JSON protocol of the hand-written axum + `tokio::sync::broadcast` baseline, and
//! Socket.IO v5 over Engine.IO v4 WebSocket (the socketioxide baseline).

pub mod report;
pub mod setup;
pub mod ws;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore, watch};

use setup::{Api, BenchUser};
use ws::{Incoming, WsClient};

/// Which protocol the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// chatcore (`/api/ws`, bearer tokens; users and rooms made over REST).
    Chatcore,
    /// The axum + `tokio::sync::broadcast` baseline (`/ws?room=…`).
    Broadcast,
    /// Socket.IO (`/socket.io/?EIO=4&transport=websocket`, events `join` and `msg`).
    Socketio,
}

/// What a run does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// Rooms.
    pub rooms: usize,
    /// Members (connected clients) per room.
    pub members: usize,
    /// Publishing clients in all, spread evenly over the rooms. 0: an idle run
    /// (connect, measure memory, hold, disconnect).
    pub publishers: usize,
    /// Messages per second in all (open loop); `None`: as fast as delivered
    /// (closed loop, see `window`).
    pub rate: Option<f64>,
    /// Closed loop: most messages per room not yet delivered to every member.
    pub window: usize,
    /// Message body size in bytes (at least 32).
    pub payload: usize,
    /// Seconds of publishing (including the warm-up).
    pub duration_secs: f64,
    /// Seconds at the start of publishing left out of rates and latencies.
    pub warmup_secs: f64,
}

impl Scenario {
    /// Connected clients.
    pub fn clients(&self) -> usize {
        self.rooms * self.members
    }
    /// A short name: `1x1000`.
    pub fn name(&self) -> String {
        format!("{}x{}", self.rooms, self.members)
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server's protocol.
    pub target: Target,
    /// `host:port`, or several separated by commas (the nodes of a cluster): client
    /// *i* connects to address *i* mod their number; users and rooms are made
    /// through the first.
    pub addr: String,
    /// chatcore: where the router is mounted (`/api` for the example server).
    pub api_path: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The server's process id, to read its memory (`/proc/<pid>/status`) and CPU.
    pub server_pid: Option<u32>,
    /// chatcore: file caching the bench users' tokens.
    pub token_cache: Option<PathBuf>,
    /// chatcore: distinct users (a user may hold several connections: the server
    /// allows 16 per user by default). 0: one per client.
    pub users: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// A label for the report (e.g. the server's name).
    pub label: String,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Deliveries measured.
    pub count: u64,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Label (server name).
    pub label: String,
    /// Protocol.
    pub target: Target,
    /// Scenario name (`1x1000`).
    pub scenario_name: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Clients connected.
    pub clients: usize,
    /// Messages published and accepted by the server.
    pub published: u64,
    /// Messages the server refused (chatcore `error` replies).
    pub publish_errors: u64,
    /// Deliveries expected: accepted messages × members of their room.
    pub expected: u64,
    /// Distinct deliveries received.
    pub delivered: u64,
    /// Expected deliveries never received.
    pub lost: u64,
    /// Deliveries received more than once.
    pub duplicated: u64,
    /// Deliveries a second over the measured window.
    pub deliveries_per_sec: f64,
    /// Published messages a second over the measured window.
    pub messages_per_sec: f64,
    /// Length of the measured window, seconds.
    pub measured_secs: f64,
    /// Send → receive latency of deliveries sent in the measured window.
    pub latency_us: Latency,
    /// Connections the server closed (or lost) before the end, by close code
    /// (0: no close frame).
    pub disconnects: BTreeMap<u16, u64>,
    /// Server resident memory before the clients connected, KiB.
    pub server_rss_before_kib: Option<u64>,
    /// Server resident memory with every client connected (before publishing), KiB.
    pub server_rss_connected_kib: Option<u64>,
    /// Server resident memory at the end of publishing, KiB.
    pub server_rss_end_kib: Option<u64>,
    /// (connected − before) / clients, bytes.
    pub memory_per_connection_bytes: Option<u64>,
    /// Server CPU use over the measured window (1.0 = one core busy).
    pub server_cpu: Option<f64>,
    /// The generator's own CPU use over the measured window (1.0 = one core busy):
    /// near 1.0, the generator, not the server, may be what limits the figure.
    #[serde(default)]
    pub generator_cpu: Option<f64>,
    /// Seconds to connect every client.
    pub connect_secs: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Publishing,
    Draining,
    Stop,
}

/// Per publisher, shared by all clients (the generator is single-threaded).
#[derive(Debug, Default)]
struct PubShared {
    members: u32,
    sent: Cell<u32>,
    acked: Cell<u32>,
    errors: Cell<u32>,
    /// Closed loop: messages that reached every member (or failed).
    done: Cell<u32>,
    /// Closed loop: deliveries still missing per in-flight message (ring by counter).
    remaining: RefCell<Vec<u32>>,
    wake: Notify,
}

#[derive(Debug)]
struct Shared {
    t0: Instant,
    target: Target,
    rooms: usize,
    closed_loop: bool,
    /// Measured window, µs since t0 (start, end); end = u64::MAX while open.
    window: Cell<(u64, u64)>,
    hist: RefCell<Histogram<u64>>,
    delivered: Cell<u64>,
    in_window: Cell<u64>,
    dups: Cell<u64>,
    disconnects: RefCell<BTreeMap<u16, u64>>,
    ready: Cell<usize>,
    ready_wake: Notify,
    /// Diagnostics: what clients that are not ready yet saw last.
    not_ready: RefCell<String>,
    pubs: Vec<PubShared>,
}

impl Shared {
    fn now_us(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn disconnect(&self, code: u16) {
        *self.disconnects.borrow_mut().entry(code).or_insert(0) += 1;
    }

    /// A first delivery of message `k` of publisher `j`, sent at `ts`.
    fn delivered(&self, j: usize, k: u32, ts: u64) {
        let now = self.now_us();
        self.delivered.set(self.delivered.get() + 1);
        let (start, end) = self.window.get();
        if now >= start && now < end {
            self.in_window.set(self.in_window.get() + 1);
        }
        if ts >= start && ts < end {
            let _ = self.hist.borrow_mut().record(now.saturating_sub(ts).max(1));
        }
        if self.closed_loop
            && let Some(p) = self.pubs.get(j)
        {
            let mut ring = p.remaining.borrow_mut();
            let len = ring.len();
            if len > 0 {
                let slot = &mut ring[k as usize % len];
                if *slot > 0 {
                    *slot -= 1;
                    if *slot == 0 {
                        p.done.set(p.done.get() + 1);
                        p.wake.notify_one();
                    }
                }
            }
        }
    }
}

/// What one receiving client knows about one publisher of its room.
#[derive(Debug, Default, Clone)]
struct Seen {
    next: u32,
    missing: Vec<u32>,
    unique: u32,
}

impl Seen {
    /// True on the first delivery of `k`.
    fn first(&mut self, k: u32) -> bool {
        if k == self.next {
            self.next += 1;
        } else if k > self.next {
            if k - self.next <= 100_000 {
                self.missing.extend(self.next..k);
            }
            self.next = k + 1;
        } else if let Some(i) = self.missing.iter().position(|m| *m == k) {
            self.missing.swap_remove(i);
        } else {
            return false;
        }
        self.unique += 1;
        true
    }
}

/// Static description of one client.
#[derive(Debug, Clone)]
struct ClientPlan {
    room: usize,
    /// Global publisher index, if this client publishes.
    publisher: Option<usize>,
    /// Open loop: seconds between two messages of this publisher.
    period: Option<Duration>,
    /// Offset of its first message.
    offset: Duration,
    /// Closed loop: messages in flight allowed.
    window: usize,
}

struct Ctx {
    opts: RunOptions,
    /// The server addresses (`opts.addr` split at commas).
    addrs: Vec<String>,
    shared: Shared,
    room_ids: Vec<String>,
    users: Vec<BenchUser>,
    marker: memchr::memmem::Finder<'static>,
    connect_gate: Semaphore,
    phase: watch::Receiver<Phase>,
}

impl Ctx {
    /// The address client `idx` connects to.
    fn addr_of(&self, idx: usize) -> &str {
        self.addrs
            .get(idx % self.addrs.len().max(1))
            .map_or(self.opts.addr.as_str(), String::as_str)
    }
}

fn body(j: usize, k: u32, ts: u64, size: usize) -> String {
    let mut b = format!("lg|{j}|{k}|{ts}|");
    while b.len() < size {
        b.push('x');
    }
    b
}

/// Parse `J|K|TS|` after the marker.
fn parse_body(rest: &[u8]) -> Option<(usize, u32, u64)> {
    let mut it = rest.splitn(4, |b| *b == b'|');
    let num = |s: &[u8]| -> Option<u64> {
        if s.is_empty() || s.len() > 19 {
            return None;
        }
        s.iter().try_fold(0u64, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
        })
    };
    let j = usize::try_from(num(it.next()?)?).ok()?;
    let k = u32::try_from(num(it.next()?)?).ok()?;
    let ts = num(it.next()?)?;
    Some((j, k, ts))
}

enum Action {
    None,
    Send(Vec<u8>),
    Ready,
}

struct ClientState {
    idx: usize,
    plan: ClientPlan,
    seen: Vec<Seen>,
    ready: bool,
    misrouted: u64,
}

impl ClientState {
    fn on_text(&mut self, ctx: &Ctx, t: &[u8]) -> Action {
        let sh = &ctx.shared;
        if let Some(i) = ctx.marker.find(t) {
            if let Some((j, k, ts)) = parse_body(&t[i + ctx.marker.needle().len()..]) {
                if j % sh.rooms != self.plan.room {
                    self.misrouted += 1;
                    return Action::None;
                }
                let local = j / sh.rooms;
                if local >= self.seen.len() {
                    self.seen.resize(local + 1, Seen::default());
                }
                if self.seen[local].first(k) {
                    sh.delivered(j, k, ts);
                } else {
                    sh.dups.set(sh.dups.get() + 1);
                }
            }
            return Action::None;
        }
        match sh.target {
            Target::Chatcore => {
                if t.starts_with(br#"{"type":"sent""#) {
                    if let Some(j) = self.plan.publisher {
                        let p = &sh.pubs[j];
                        p.acked.set(p.acked.get() + 1);
                    }
                } else if t.starts_with(br#"{"type":"error""#) {
                    if let Some(j) = self.plan.publisher {
                        let p = &sh.pubs[j];
                        p.errors.set(p.errors.get() + 1);
                        let id = serde_json::from_slice::<serde_json::Value>(t)
                            .ok()
                            .and_then(|v| v["id"].as_u64());
                        if sh.closed_loop
                            && let Some(k) = id
                        {
                            let mut ring = p.remaining.borrow_mut();
                            let len = ring.len();
                            if len > 0 && ring[k as usize % len] > 0 {
                                ring[k as usize % len] = 0;
                                p.done.set(p.done.get() + 1);
                                p.wake.notify_one();
                            }
                        }
                    }
                } else if !self.ready && t.starts_with(br#"{"type":"pong""#) {
                    return Action::Ready;
                }
                Action::None
            }
            Target::Broadcast => {
                if !self.ready && memchr::memmem::find(t, br#""type":"welcome""#).is_some() {
                    return Action::Ready;
                }
                Action::None
            }
            Target::Socketio => match t {
                b"2" => Action::Send(b"3".to_vec()),
                [b'0', ..] => Action::Send(b"40".to_vec()),
                [b'4', b'0', ..] => Action::Send(
                    format!(r#"420["join","{}"]"#, ctx.room_ids[self.plan.room]).into_bytes(),
                ),
                [b'4', b'3', b'0', ..] if !self.ready => Action::Ready,
                _ => Action::None,
            },
        }
    }

    fn publish_frame(&self, ctx: &Ctx, j: usize, k: u32) -> Vec<u8> {
        let b = body(j, k, ctx.shared.now_us(), ctx.opts.scenario.payload);
        let room = &ctx.room_ids[self.plan.room];
        match ctx.opts.target {
            Target::Chatcore => format!(
                r#"{{"type":"send","id":{k},"room":"{room}","nonce":"{j}-{k}","body":"{b}"}}"#
            ),
            Target::Broadcast => format!(r#"{{"body":"{b}"}}"#),
            Target::Socketio => format!(r#"42["msg",{{"room":"{room}","body":"{b}"}}]"#),
        }
        .into_bytes()
    }
}

async fn open(ctx: &Ctx, st: &ClientState) -> std::io::Result<WsClient> {
    let room = &ctx.room_ids[st.plan.room];
    match ctx.opts.target {
        Target::Chatcore => {
            let user = &ctx.users[st.idx % ctx.users.len()];
            let auth = format!("Bearer {}", user.token);
            let path = format!("{}/ws", ctx.opts.api_path);
            let mut ws = ws::connect(
                ctx.addr_of(st.idx),
                &path,
                &[("Authorization", &auth)],
                8192,
            )
            .await?;
            ws.send_text(br#"{"type":"ping","id":0}"#).await?;
            Ok(ws)
        }
        Target::Broadcast => {
            let path = format!("/ws?room={room}&user=c{}", st.idx);
            ws::connect(ctx.addr_of(st.idx), &path, &[], 8192).await
        }
        Target::Socketio => {
            ws::connect(
                ctx.addr_of(st.idx),
                "/socket.io/?EIO=4&transport=websocket",
                &[],
                8192,
            )
            .await
        }
    }
}

async fn client(ctx: Rc<Ctx>, mut st: ClientState) -> ClientState {
    let sh = &ctx.shared;
    let permit = ctx.connect_gate.acquire().await.ok();
    let mut ws = match open(&ctx, &st).await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::warn!(client = st.idx, error = %e, "connect failed");
            sh.disconnect(0);
            // Count it as ready so that the run goes on (its deliveries count as lost).
            sh.ready.set(sh.ready.get() + 1);
            sh.ready_wake.notify_one();
            return st;
        }
    };
    let mut permit = permit;
    let mut phase_rx = ctx.phase.clone();
    let mut phase = *phase_rx.borrow_and_update();
    let mut next_k: u32 = 0;
    let mut next_at: Option<tokio::time::Instant> = None;
    let closed_loop = sh.closed_loop;
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
    let timer = tokio::time::sleep_until(far);
    tokio::pin!(timer);
    loop {
        let publishing = phase == Phase::Publishing && st.plan.publisher.is_some();
        let wake = async {
            match st.plan.publisher {
                Some(j) if publishing && closed_loop => sh.pubs[j].wake.notified().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            r = phase_rx.changed() => {
                if r.is_err() {
                    break;
                }
                phase = *phase_rx.borrow_and_update();
                if phase == Phase::Stop {
                    ws.close().await;
                    break;
                }
                if phase == Phase::Publishing && !closed_loop && let Some(p) = st.plan.period {
                    let _ = p;
                    let at = tokio::time::Instant::now() + st.plan.offset;
                    next_at = Some(at);
                    timer.as_mut().reset(at);
                }
            }
            () = &mut timer, if publishing && next_at.is_some() => {
                if let (Some(j), Some(period), Some(mut at)) = (st.plan.publisher, st.plan.period, next_at) {
                    let now = tokio::time::Instant::now();
                    // Open loop: send everything due (catching up after a stall).
                    while at <= now {
                        let f = st.publish_frame(&ctx, j, next_k);
                        ws.queue_text(&f);
                        next_k += 1;
                        at += period;
                    }
                    let p = &sh.pubs[j];
                    p.sent.set(next_k);
                    if ws.flush().await.is_err() {
                        sh.disconnect(0);
                        break;
                    }
                    next_at = Some(at);
                    timer.as_mut().reset(at);
                }
            }
            () = wake => {}
            inc = ws.next() => {
                let action = match inc {
                    Ok(Incoming::Text(t)) => {
                        if !st.ready && std::env::var_os("CHATLOAD_DEBUG").is_some() {
                            let mut d = sh.not_ready.borrow_mut();
                            d.push_str(&format!("[{} got {}] ", st.idx, String::from_utf8_lossy(&t[..t.len().min(60)])));
                        }
                        st.on_text(&ctx, t)
                    }
                    Ok(Incoming::Ping(p)) => {
                        if ws.pong(&p).await.is_err() {
                            sh.disconnect(0);
                            break;
                        }
                        Action::None
                    }
                    Ok(Incoming::Binary | Incoming::Pong) => Action::None,
                    Ok(Incoming::Close(code)) => {
                        if phase != Phase::Stop {
                            sh.disconnect(code.unwrap_or(0));
                        }
                        break;
                    }
                    Err(e) => {
                        if phase != Phase::Stop {
                            tracing::debug!(client = st.idx, error = %e, "connection lost");
                            sh.disconnect(0);
                        }
                        break;
                    }
                };
                let mut ready = false;
                let sent = match action {
                    Action::None => Ok(()),
                    Action::Send(f) => ws.send_text(&f).await,
                    Action::Ready => {
                        ready = true;
                        Ok(())
                    }
                };
                if sent.is_err() {
                    sh.disconnect(0);
                    break;
                }
                if ready && !st.ready {
                    st.ready = true;
                    drop(permit.take());
                    sh.ready.set(sh.ready.get() + 1);
                    sh.ready_wake.notify_one();
                }
            }
        }
        // Closed loop: top the window up.
        let publishing = phase == Phase::Publishing && st.plan.publisher.is_some();
        if publishing
            && closed_loop
            && let Some(j) = st.plan.publisher
        {
            let p = &sh.pubs[j];
            let mut queued = false;
            while next_k.wrapping_sub(p.done.get()) < u32::try_from(st.plan.window).unwrap_or(1) {
                {
                    let mut ring = p.remaining.borrow_mut();
                    let len = ring.len();
                    let slot = &mut ring[next_k as usize % len];
                    if *slot > 0 {
                        // A message that never completed: give its slot up.
                        p.done.set(p.done.get() + 1);
                    }
                    *slot = p.members;
                }
                let f = st.publish_frame(&ctx, j, next_k);
                ws.queue_text(&f);
                next_k += 1;
                queued = true;
            }
            if queued {
                p.sent.set(next_k);
                if ws.flush().await.is_err() {
                    sh.disconnect(0);
                    break;
                }
            }
        }
    }
    if !st.ready {
        sh.ready.set(sh.ready.get() + 1);
        sh.ready_wake.notify_one();
    }
    st
}

/// Resident memory of a process, KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time of a process (user + system), seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// A run failure.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// Run one scenario against one server. Must run inside a `tokio::task::LocalSet`
/// (the generator is single-threaded: pin it to a core of its own).
pub async fn run(opts: RunOptions) -> Result<Report, RunError> {
    let sc = opts.scenario.clone();
    if sc.rooms == 0 || sc.members == 0 {
        return Err(RunError("rooms and members must be at least 1".into()));
    }
    if sc.publishers > sc.clients() {
        return Err(RunError("more publishers than clients".into()));
    }
    if sc.payload < 32 {
        return Err(RunError("payload must be at least 32 bytes".into()));
    }
    let bar = progress_bar(opts.progress);
    bar.set_prefix(format!("{} {}", opts.label, sc.name()));
    let clients = sc.clients();
    let run_tag: String = format!("{:x}", rand::random::<u32>());

    // --- setup -----------------------------------------------------------------
    let mut users = Vec::new();
    let mut owned_rooms: Vec<(BenchUser, String)> = Vec::new();
    let first_addr = opts.addr.split(',').next().unwrap_or_default();
    let api = Api::new(&format!("http://{first_addr}{}", opts.api_path));
    let room_ids: Vec<String> = match opts.target {
        Target::Chatcore => {
            let n_users = if opts.users == 0 {
                clients
            } else {
                opts.users.min(clients).max(sc.members.min(clients))
            };
            bar.set_message(format!("users 0/{n_users}"));
            users = api
                .users(n_users, opts.token_cache.as_deref(), |d| {
                    bar.set_message(format!("users {d}/{n_users}"));
                })
                .await
                .map_err(|e| RunError(e.to_string()))?;
            let mut ids = Vec::with_capacity(sc.rooms);
            let mut pairs = Vec::new();
            for r in 0..sc.rooms {
                let owner = users[(r * sc.members) % users.len()].clone();
                let id = api
                    .create_room(&owner, &format!("bench {run_tag} {r}"))
                    .await
                    .map_err(|e| RunError(e.to_string()))?;
                for m in 1..sc.members {
                    let u = users[(r * sc.members + m) % users.len()].clone();
                    pairs.push((u, id.clone()));
                }
                owned_rooms.push((owner, id.clone()));
                ids.push(id);
                bar.set_message(format!("rooms {}/{}", r + 1, sc.rooms));
            }
            let total = pairs.len();
            api.join_all(pairs, |d| bar.set_message(format!("joins {d}/{total}")))
                .await
                .map_err(|e| RunError(e.to_string()))?;
            ids
        }
        Target::Broadcast | Target::Socketio => {
            (0..sc.rooms).map(|r| format!("r{run_tag}-{r}")).collect()
        }
    };

    // --- plans -----------------------------------------------------------------
    let closed_loop = sc.rate.is_none() && sc.publishers > 0;
    let pubs_in_room = |r: usize| (sc.publishers + sc.rooms - 1 - r) / sc.rooms;
    let mut plans: Vec<ClientPlan> = (0..clients)
        .map(|c| ClientPlan {
            room: c / sc.members,
            publisher: None,
            period: None,
            offset: Duration::ZERO,
            window: 0,
        })
        .collect();
    let mut pubs = Vec::with_capacity(sc.publishers);
    for j in 0..sc.publishers {
        let room = j % sc.rooms;
        let local = j / sc.rooms;
        let c = room * sc.members + local;
        let window = (sc.window / pubs_in_room(room).max(1)).max(1);
        let period = sc.rate.map(|r| {
            #[allow(clippy::cast_precision_loss)]
            let per_pub = r / sc.publishers as f64;
            Duration::from_secs_f64(1.0 / per_pub.max(1e-3))
        });
        #[allow(clippy::cast_precision_loss)]
        let offset = period.map_or(Duration::ZERO, |p| {
            p.mul_f64(j as f64 / sc.publishers as f64)
        });
        plans[c].publisher = Some(j);
        plans[c].period = period;
        plans[c].offset = offset;
        plans[c].window = window;
        pubs.push(PubShared {
            members: u32::try_from(sc.members).unwrap_or(u32::MAX),
            remaining: RefCell::new(if closed_loop {
                vec![0; (window * 4).next_power_of_two()]
            } else {
                Vec::new()
            }),
            ..PubShared::default()
        });
    }

    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let ctx = Rc::new(Ctx {
        shared: Shared {
            t0: Instant::now(),
            target: opts.target,
            rooms: sc.rooms,
            closed_loop,
            window: Cell::new((u64::MAX, u64::MAX)),
            hist: RefCell::new(
                Histogram::new_with_bounds(1, 120_000_000, 3)
                    .map_err(|e| RunError(e.to_string()))?,
            ),
            delivered: Cell::new(0),
            in_window: Cell::new(0),
            dups: Cell::new(0),
            disconnects: RefCell::new(BTreeMap::new()),
            ready: Cell::new(0),
            ready_wake: Notify::new(),
            not_ready: RefCell::new(String::new()),
            pubs,
        },
        room_ids,
        users,
        marker: memchr::memmem::Finder::new(b"\"body\":\"lg|").into_owned(),
        connect_gate: Semaphore::new(64),
        phase: phase_rx,
        addrs: opts.addr.split(',').map(str::to_owned).collect(),
        opts: opts.clone(),
    });

    // --- connect ---------------------------------------------------------------
    let rss_before = opts.server_pid.and_then(rss_kib);
    let t_connect = Instant::now();
    let mut handles = Vec::with_capacity(clients);
    for (idx, plan) in plans.into_iter().enumerate() {
        let st = ClientState {
            idx,
            plan,
            seen: Vec::new(),
            ready: false,
            misrouted: 0,
        };
        handles.push(tokio::task::spawn_local(client(ctx.clone(), st)));
    }
    let sh = &ctx.shared;
    let connect_deadline = Instant::now() + Duration::from_secs(60 + clients as u64 / 100);
    while sh.ready.get() < clients {
        if Instant::now() > connect_deadline {
            let _ = phase_tx.send(Phase::Stop);
            return Err(RunError(format!(
                "{}: only {} of {clients} clients got ready in time (not ready: {})",
                opts.label,
                sh.ready.get(),
                sh.not_ready.borrow()
            )));
        }
        bar.set_message(format!("connecting {}/{clients}", sh.ready.get()));
        let _ = tokio::time::timeout(Duration::from_millis(200), sh.ready_wake.notified()).await;
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    // Let the server settle (presence fan-out of the connections just made).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_connected = opts.server_pid.and_then(rss_kib);

    // --- publish ---------------------------------------------------------------
    let total = Duration::from_secs_f64(sc.duration_secs.max(0.1));
    let warmup = Duration::from_secs_f64(sc.warmup_secs.clamp(0.0, sc.duration_secs));
    let start_us = sh.now_us() + u64::try_from(warmup.as_micros()).unwrap_or(0);
    let end_us = sh.now_us() + u64::try_from(total.as_micros()).unwrap_or(0);
    sh.window.set((start_us, end_us));
    let _ = phase_tx.send(Phase::Publishing);
    let t_pub = Instant::now();
    let mut cpu_start = None;
    let cpu_end;
    let own_pid = std::process::id();
    let mut own_cpu_start = None;
    let own_cpu_end;
    // Whether the warm-up is over (the measured window's start was taken).
    let mut measuring = false;
    let mut pub_start = 0u64;
    let pub_end;
    let sent_total = |sh: &Shared| -> u64 { sh.pubs.iter().map(|p| u64::from(p.sent.get())).sum() };
    let mut last = (Instant::now(), 0u64);
    loop {
        let el = t_pub.elapsed();
        if !measuring && el >= warmup {
            measuring = true;
            cpu_start = opts.server_pid.and_then(cpu_secs);
            own_cpu_start = cpu_secs(own_pid);
            pub_start = sent_total(sh);
        }
        if el >= total {
            cpu_end = opts.server_pid.and_then(cpu_secs);
            own_cpu_end = cpu_secs(own_pid);
            pub_end = sent_total(sh);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let d = sh.delivered.get();
        let now = Instant::now();
        let rate = (d - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-3);
        last = (now, d);
        bar.set_message(format!(
            "publishing {:.0}/{:.0}s  {:.0} deliveries/s  lost-so-far {}",
            el.as_secs_f64(),
            total.as_secs_f64(),
            rate,
            sh.disconnects.borrow().values().sum::<u64>()
        ));
    }
    let rss_end = opts.server_pid.and_then(rss_kib);

    // --- drain -----------------------------------------------------------------
    let _ = phase_tx.send(Phase::Draining);
    let expected = |sh: &Shared| -> u64 {
        sh.pubs
            .iter()
            .map(|p| {
                let ok = match opts.target {
                    Target::Chatcore => p.acked.get(),
                    _ => p.sent.get(),
                };
                u64::from(ok) * u64::from(p.members)
            })
            .sum()
    };
    let mut progress_at = (Instant::now(), sh.delivered.get());
    loop {
        let d = sh.delivered.get();
        let pending_acks = opts.target == Target::Chatcore
            && sh
                .pubs
                .iter()
                .any(|p| p.acked.get() + p.errors.get() < p.sent.get());
        if d >= expected(sh) && !pending_acks {
            break;
        }
        if d != progress_at.1 {
            progress_at = (Instant::now(), d);
        } else if progress_at.0.elapsed() > Duration::from_secs(5) {
            break;
        }
        bar.set_message(format!("draining {d}/{}", expected(sh)));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = phase_tx.send(Phase::Stop);
    let mut unique = 0u64;
    let mut misrouted = 0u64;
    let mut exp_per_client = 0u64;
    let pub_ok: Vec<u64> = sh
        .pubs
        .iter()
        .map(|p| {
            u64::from(match opts.target {
                Target::Chatcore => p.acked.get(),
                _ => p.sent.get(),
            })
        })
        .collect();
    for h in handles {
        let st = match h.await {
            Ok(st) => st,
            Err(e) => return Err(RunError(format!("client task failed: {e}"))),
        };
        misrouted += st.misrouted;
        for (local, s) in st.seen.iter().enumerate() {
            let j = local * sc.rooms + st.plan.room;
            let ok = pub_ok.get(j).copied().unwrap_or(0);
            unique += u64::from(s.unique).min(ok);
        }
        for local in 0..pubs_in_room(st.plan.room) {
            let j = local * sc.rooms + st.plan.room;
            exp_per_client += pub_ok.get(j).copied().unwrap_or(0);
        }
    }
    bar.finish_and_clear();
    if !owned_rooms.is_empty() {
        api.delete_rooms(&owned_rooms).await;
    }

    let measured = total.saturating_sub(warmup).as_secs_f64().max(1e-3);
    let hist = sh.hist.borrow();
    let q = |p: f64| hist.value_at_quantile(p);
    let published: u64 = pub_ok.iter().sum();
    let errors: u64 = sh.pubs.iter().map(|p| u64::from(p.errors.get())).sum();
    let mem_per_conn = match (rss_before, rss_connected) {
        (Some(b), Some(c)) if clients > 0 => Some(c.saturating_sub(b) * 1024 / clients as u64),
        _ => None,
    };
    Ok(Report {
        label: opts.label.clone(),
        target: opts.target,
        scenario_name: sc.name(),
        scenario: sc.clone(),
        clients,
        published,
        publish_errors: errors,
        expected: exp_per_client,
        delivered: unique,
        lost: exp_per_client.saturating_sub(unique),
        duplicated: sh.dups.get() + misrouted,
        deliveries_per_sec: sh.in_window.get() as f64 / measured,
        messages_per_sec: pub_end.saturating_sub(pub_start) as f64 / measured,
        measured_secs: measured,
        latency_us: Latency {
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: hist.max(),
            count: hist.len(),
        },
        disconnects: sh.disconnects.borrow().clone(),
        server_rss_before_kib: rss_before,
        server_rss_connected_kib: rss_connected,
        server_rss_end_kib: rss_end,
        memory_per_connection_bytes: mem_per_conn,
        server_cpu: match (cpu_start, cpu_end) {
            (Some(a), Some(b)) => Some((b - a) / measured),
            _ => None,
        },
        generator_cpu: match (own_cpu_start, own_cpu_end) {
            (Some(a), Some(b)) => Some((b - a) / measured),
            _ => None,
        },
        connect_secs,
    })
}

fn progress_bar(show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {prefix:.bold} {msg}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        let b = body(12, 345, 6789, 100);
        assert_eq!(b.len(), 100);
        assert_eq!(parse_body(&b.as_bytes()[3..]), Some((12, 345, 6789)));
    }

    #[test]
    fn seen_counts_gaps_and_duplicates() {
        let mut s = Seen::default();
        assert!(s.first(0));
        assert!(s.first(2));
        assert!(!s.first(0));
        assert!(s.first(1));
        assert!(!s.first(1));
        assert_eq!(s.unique, 3);
        assert!(s.missing.is_empty());
    }
}
