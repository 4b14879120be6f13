//! One run, phase by phase: set the server up (users, rooms, memberships), connect
//! every client, publish for the scenario's duration, drain what is still in flight,
//! and count what arrived into a [`Report`].

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

use super::client::{ClientState, client};
use super::procfs::{cpu_secs, rss_kib};
use super::scenario::{Scenario, Target};
use super::setup::{Api, BenchUser};
use super::shared::{Ctx, Phase, PubShared, Shared};

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

    let first_addr = opts.addr.split(',').next().unwrap_or_default();
    let api = Api::new(&format!("http://{first_addr}{}", opts.api_path));
    let setup = set_up(&opts, &api, &bar).await?;
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let ctx = Rc::new(context(&opts, setup.room_ids, setup.users, phase_rx)?);

    let mut connected = connect(&ctx, &phase_tx, &bar).await?;
    let published = publish(&ctx, &phase_tx, &bar).await;
    drain(&ctx, &phase_tx, &bar).await;
    let _ = phase_tx.send(Phase::Stop);
    let mut clients = Vec::with_capacity(connected.handles.len());
    for h in std::mem::take(&mut connected.handles) {
        match h.await {
            Ok(st) => clients.push(st),
            Err(e) => return Err(RunError(format!("client task failed: {e}"))),
        }
    }
    bar.finish_and_clear();
    if !setup.owned_rooms.is_empty() {
        api.delete_rooms(&setup.owned_rooms).await;
    }
    Ok(report(&ctx, &clients, &connected, &published))
}

/// What the set-up made on the server.
struct SetUp {
    /// The room ids (chatcore), or names (the baselines).
    room_ids: Vec<String>,
    /// The users the clients connect as (chatcore).
    users: Vec<BenchUser>,
    /// Rooms to delete afterwards, with their owners.
    owned_rooms: Vec<(BenchUser, String)>,
}

/// chatcore: the users (from the token cache when it holds them), one room per
/// scenario room and its memberships. The baselines: room names only.
async fn set_up(
    opts: &RunOptions,
    api: &Api,
    bar: &indicatif::ProgressBar,
) -> Result<SetUp, RunError> {
    let sc = &opts.scenario;
    let clients = sc.clients();
    let run_tag: String = format!("{:x}", rand::random::<u32>());
    let mut users = Vec::new();
    let mut owned_rooms: Vec<(BenchUser, String)> = Vec::new();
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
    Ok(SetUp {
        room_ids,
        users,
        owned_rooms,
    })
}

/// The clients' shared state, with one counter set per publisher.
fn context(
    opts: &RunOptions,
    room_ids: Vec<String>,
    users: Vec<BenchUser>,
    phase: watch::Receiver<Phase>,
) -> Result<Ctx, RunError> {
    let sc = &opts.scenario;
    let closed_loop = sc.closed_loop();
    let mut windows = vec![0; sc.publishers];
    for plan in sc.client_plans() {
        if let Some(j) = plan.publisher {
            windows[j] = plan.window;
        }
    }
    let pubs = windows
        .into_iter()
        .map(|window| PubShared {
            members: u32::try_from(sc.members).unwrap_or(u32::MAX),
            remaining: RefCell::new(if closed_loop {
                vec![0; (window * 4).next_power_of_two()]
            } else {
                Vec::new()
            }),
            ..PubShared::default()
        })
        .collect();
    Ok(Ctx {
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
        phase,
        addrs: opts.addr.split(',').map(str::to_owned).collect(),
        opts: opts.clone(),
    })
}

/// Every client connected and ready.
struct Connected {
    handles: Vec<JoinHandle<ClientState>>,
    rss_before: Option<u64>,
    rss_connected: Option<u64>,
    connect_secs: f64,
}

/// Start every client and wait until all are ready (or the deadline passes), then
/// let the server settle.
async fn connect(
    ctx: &Rc<Ctx>,
    phase_tx: &watch::Sender<Phase>,
    bar: &indicatif::ProgressBar,
) -> Result<Connected, RunError> {
    let opts = &ctx.opts;
    let clients = opts.scenario.clients();
    let rss_before = opts.server_pid.and_then(rss_kib);
    let t_connect = Instant::now();
    let mut handles = Vec::with_capacity(clients);
    for (idx, plan) in opts.scenario.client_plans().into_iter().enumerate() {
        let st = ClientState::new(idx, plan);
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
    Ok(Connected {
        handles,
        rss_before,
        rss_connected,
        connect_secs,
    })
}

/// What the publishing phase measured over its window (after the warm-up).
struct Published {
    /// Server CPU seconds at the window's start and end.
    cpu: (Option<f64>, Option<f64>),
    /// The generator's own CPU seconds at the window's start and end.
    own_cpu: (Option<f64>, Option<f64>),
    /// Messages sent when the window opened and closed.
    sent: (u64, u64),
    rss_end: Option<u64>,
}

fn sent_total(sh: &Shared) -> u64 {
    sh.pubs.iter().map(|p| u64::from(p.sent.get())).sum()
}

/// Open the measured window after the warm-up, publish for the scenario's
/// duration (the clients do the sending), close it.
async fn publish(
    ctx: &Ctx,
    phase_tx: &watch::Sender<Phase>,
    bar: &indicatif::ProgressBar,
) -> Published {
    let opts = &ctx.opts;
    let sc = &opts.scenario;
    let sh = &ctx.shared;
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
    Published {
        cpu: (cpu_start, cpu_end),
        own_cpu: (own_cpu_start, own_cpu_end),
        sent: (pub_start, pub_end),
        rss_end: opts.server_pid.and_then(rss_kib),
    }
}

/// Messages of publisher `p` the server took: acknowledged (chatcore) or sent.
fn accepted(target: Target, p: &PubShared) -> u32 {
    match target {
        Target::Chatcore => p.acked.get(),
        _ => p.sent.get(),
    }
}

/// Wait until every accepted message reached every member (and, with chatcore,
/// every send is answered), or nothing has arrived for 5 seconds.
async fn drain(ctx: &Ctx, phase_tx: &watch::Sender<Phase>, bar: &indicatif::ProgressBar) {
    let target = ctx.opts.target;
    let sh = &ctx.shared;
    let _ = phase_tx.send(Phase::Draining);
    let expected = |sh: &Shared| -> u64 {
        sh.pubs
            .iter()
            .map(|p| u64::from(accepted(target, p)) * u64::from(p.members))
            .sum()
    };
    let mut progress_at = (Instant::now(), sh.delivered.get());
    loop {
        let d = sh.delivered.get();
        let pending_acks = target == Target::Chatcore
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
}

/// Count what every client received against what it should have.
fn report(
    ctx: &Ctx,
    clients: &[ClientState],
    connected: &Connected,
    published: &Published,
) -> Report {
    let opts = &ctx.opts;
    let sc = &opts.scenario;
    let sh = &ctx.shared;
    let mut unique = 0u64;
    let mut misrouted = 0u64;
    let mut exp_per_client = 0u64;
    let pub_ok: Vec<u64> = sh
        .pubs
        .iter()
        .map(|p| u64::from(accepted(opts.target, p)))
        .collect();
    for st in clients {
        misrouted += st.misrouted;
        for (local, s) in st.seen.iter().enumerate() {
            let j = local * sc.rooms + st.plan.room;
            let ok = pub_ok.get(j).copied().unwrap_or(0);
            unique += u64::from(s.unique).min(ok);
        }
        for local in 0..sc.pubs_in_room(st.plan.room) {
            let j = local * sc.rooms + st.plan.room;
            exp_per_client += pub_ok.get(j).copied().unwrap_or(0);
        }
    }
    let total = Duration::from_secs_f64(sc.duration_secs.max(0.1));
    let warmup = Duration::from_secs_f64(sc.warmup_secs.clamp(0.0, sc.duration_secs));
    let measured = total.saturating_sub(warmup).as_secs_f64().max(1e-3);
    let hist = sh.hist.borrow();
    let q = |p: f64| hist.value_at_quantile(p);
    let errors: u64 = sh.pubs.iter().map(|p| u64::from(p.errors.get())).sum();
    let n_clients = sc.clients();
    let mem_per_conn = match (connected.rss_before, connected.rss_connected) {
        (Some(b), Some(c)) if n_clients > 0 => Some(c.saturating_sub(b) * 1024 / n_clients as u64),
        _ => None,
    };
    let rate = |(a, b): (Option<f64>, Option<f64>)| match (a, b) {
        (Some(a), Some(b)) => Some((b - a) / measured),
        _ => None,
    };
    Report {
        label: opts.label.clone(),
        target: opts.target,
        scenario_name: sc.name(),
        scenario: sc.clone(),
        clients: n_clients,
        published: pub_ok.iter().sum(),
        publish_errors: errors,
        expected: exp_per_client,
        delivered: unique,
        lost: exp_per_client.saturating_sub(unique),
        duplicated: sh.dups.get() + misrouted,
        deliveries_per_sec: sh.in_window.get() as f64 / measured,
        messages_per_sec: published.sent.1.saturating_sub(published.sent.0) as f64 / measured,
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
        server_rss_before_kib: connected.rss_before,
        server_rss_connected_kib: connected.rss_connected,
        server_rss_end_kib: published.rss_end,
        memory_per_connection_bytes: mem_per_conn,
        server_cpu: rate(published.cpu),
        generator_cpu: rate(published.own_cpu),
        connect_secs: connected.connect_secs,
    }
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
