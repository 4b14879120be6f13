//! One run, phase by phase: set the server up (users, rooms, memberships), connect
//! every client and let the server settle, then one or more publishing stages (each
//! published for the scenario's duration and drained), and count what arrived.

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
use super::count::{Connected, Report, Stage, Tally, accepted, exact, stage_report};
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
    /// Users, rooms and memberships made beforehand ([`prepare`]): the run neither
    /// makes nor deletes any.
    pub prepared: Option<Prepared>,
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
    let rate = opts.scenario.rate;
    let reports = run_stages(opts, |done| done.is_empty().then_some(rate)).await?;
    reports
        .into_iter()
        .next()
        .ok_or_else(|| RunError("no stage ran".into()))
}

/// Run stages on one set of connections: before each, `next` is given the reports
/// of the stages so far and answers the next stage's rate (open loop, messages a
/// second; `None` inside: closed loop), or `None` to stop. Each stage publishes for
/// the scenario's duration (its warm-up left out of the figures) and is drained
/// before the next. One report per stage.
pub async fn run_stages(
    opts: RunOptions,
    mut next: impl FnMut(&[Report]) -> Option<Option<f64>>,
) -> Result<Vec<Report>, RunError> {
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
    let (prepared, owned) = match &opts.prepared {
        Some(p) => (p.clone(), false),
        None => (set_up(&opts, &api(&opts), &bar).await?, true),
    };
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let ctx = Rc::new(context(&opts, &prepared, phase_rx)?);

    let (handles, connected) = connect(&ctx, &phase_tx, &bar).await?;
    let mut reports: Vec<Report> = Vec::new();
    let mut stage_no = 0u32;
    while let Some(rate) = next(&reports) {
        let closed_loop = rate.is_none() && sc.publishers > 0;
        if closed_loop != ctx.shared.closed_loop || (closed_loop && stage_no > 0) {
            // The publishers' windows are set up for one kind of stage; a closed
            // loop stage runs once.
            break;
        }
        let from = Tally::now(&ctx.shared);
        let stage = publish(&ctx, &phase_tx, &bar, stage_no, rate).await;
        drain(&ctx, &phase_tx, &bar).await;
        let to = Tally::now(&ctx.shared);
        reports.push(stage_report(&ctx, &from, &to, &stage, &connected));
        stage_no += 1;
    }
    let _ = phase_tx.send(Phase::Stop);
    let mut clients = Vec::with_capacity(handles.len());
    for h in handles {
        match h.await {
            Ok(st) => clients.push(st),
            Err(e) => return Err(RunError(format!("client task failed: {e}"))),
        }
    }
    bar.finish_and_clear();
    // The stages counted from the shared counters; the clients' own records are
    // exact: a loss they show and the stages do not goes to the last stage.
    let (expected, delivered) = exact(&ctx, &clients);
    let counted: u64 = reports.iter().map(|r| r.lost).sum();
    if let Some(last) = reports.last_mut() {
        let missing = expected.saturating_sub(delivered).saturating_sub(counted);
        last.lost += missing;
        last.delivered = last.delivered.saturating_sub(missing);
    }
    if owned {
        clean_up(&opts, &prepared).await;
    }
    Ok(reports)
}

/// What [`prepare`] made on the server: a run given it (`RunOptions::prepared`)
/// connects at once, and leaves the rooms in place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepared {
    /// The room ids (chatcore), or names (the baselines).
    pub room_ids: Vec<String>,
    /// The users the clients connect as (chatcore): client *i* is user *i* mod
    /// their number.
    pub users: Vec<BenchUser>,
    /// Rooms to delete afterwards, with their owners.
    pub owned_rooms: Vec<(BenchUser, String)>,
}

/// Make the scenario's users, rooms and memberships on the server (chatcore; the
/// baselines need nothing), for a run on another, fresh, server process of the same
/// store: the memory measured then owes nothing to the set-up (password hashing
/// leaves the allocator holding large blocks). [`clean_up`] removes the rooms.
pub async fn prepare(opts: &RunOptions) -> Result<Prepared, RunError> {
    let bar = progress_bar(opts.progress);
    bar.set_prefix(format!("{} {} set-up", opts.label, opts.scenario.name()));
    let res = set_up(opts, &api(opts), &bar).await;
    bar.finish_and_clear();
    res
}

/// Delete the rooms [`prepare`] made (best effort).
pub async fn clean_up(opts: &RunOptions, prepared: &Prepared) {
    if !prepared.owned_rooms.is_empty() {
        api(opts).delete_rooms(&prepared.owned_rooms).await;
    }
}

/// The REST client for the first server address.
fn api(opts: &RunOptions) -> Api {
    let first_addr = opts.addr.split(',').next().unwrap_or_default();
    Api::new(&format!("http://{first_addr}{}", opts.api_path))
}

/// chatcore: the users (from the token cache when it holds them), one room per
/// scenario room and its memberships. The baselines: room names only.
async fn set_up(
    opts: &RunOptions,
    api: &Api,
    bar: &indicatif::ProgressBar,
) -> Result<Prepared, RunError> {
    let sc = &opts.scenario;
    let clients = sc.clients();
    let run_tag: String = format!("{:x}", rand::random::<u32>());
    let mut users = Vec::new();
    let mut owned_rooms: Vec<(BenchUser, String)> = Vec::new();
    let room_ids: Vec<String> = match opts.target {
        Target::Chatcore | Target::ChatcoreSocketio => {
            // Client c connects as user c mod n_users: with fewer users than
            // members, a user holds several connections in the room.
            let n_users = if opts.users == 0 {
                clients
            } else {
                opts.users.min(clients)
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
            let mut joined = std::collections::HashSet::new();
            for r in 0..sc.rooms {
                let owner = users[(r * sc.members) % users.len()].clone();
                let id = api
                    .create_room(&owner, &format!("bench {run_tag} {r}"))
                    .await
                    .map_err(|e| RunError(e.to_string()))?;
                let owner_idx = (r * sc.members) % users.len();
                for m in 1..sc.members {
                    let u = (r * sc.members + m) % users.len();
                    if u != owner_idx && joined.insert((u, r)) {
                        pairs.push((users[u].clone(), id.clone()));
                    }
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
    Ok(Prepared {
        room_ids,
        users,
        owned_rooms,
    })
}

/// The clients' shared state, with one counter set per publisher.
fn context(
    opts: &RunOptions,
    prepared: &Prepared,
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
            rate: Cell::new(sc.rate.unwrap_or(0.0)),
            window: Cell::new((u64::MAX, u64::MAX)),
            hist: RefCell::new(
                Histogram::new_with_bounds(1, 120_000_000, 3)
                    .map_err(|e| RunError(e.to_string()))?,
            ),
            delivered: Cell::new(0),
            in_window: Cell::new(0),
            dups: Cell::new(0),
            misrouted: Cell::new(0),
            disconnects: RefCell::new(BTreeMap::new()),
            ready: Cell::new(0),
            ready_wake: Notify::new(),
            not_ready: RefCell::new(String::new()),
            pubs,
        },
        room_ids: prepared.room_ids.clone(),
        users: prepared.users.clone(),
        marker: memchr::memmem::Finder::new(b"\"body\":\"lg|").into_owned(),
        connect_gate: Semaphore::new(64),
        phase,
        run_tag: rand::random(),
        addrs: opts.addr.split(',').map(str::to_owned).collect(),
        opts: opts.clone(),
    })
}

/// Start every client and wait until all are ready (or the deadline passes), then
/// until the server has settled.
async fn connect(
    ctx: &Rc<Ctx>,
    phase_tx: &watch::Sender<Phase>,
    bar: &indicatif::ProgressBar,
) -> Result<(Vec<JoinHandle<ClientState>>, Connected), RunError> {
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
    bar.set_message("settling");
    settle(opts.server_pid).await;
    let rss_connected = opts.server_pid.and_then(rss_kib);
    Ok((
        handles,
        Connected {
            rss_before,
            rss_connected,
            connect_secs,
        },
    ))
}

/// Let the server finish what the connections set off (presence fan-out, the
/// writers' first flushes): at least 1.5 s, then until its CPU stays under 3 % of a
/// core for half a second (at most 30 s more).
async fn settle(pid: Option<u32>) {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let Some(pid) = pid else { return };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let (Some(a), t) = (cpu_secs(pid), Instant::now()) else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some(b) = cpu_secs(pid) else { return };
        if (b - a) / t.elapsed().as_secs_f64() < 0.03 {
            return;
        }
    }
}

/// One stage: open the measured window after the warm-up, publish at `rate` (open
/// loop) or as fast as delivered for the scenario's duration (the clients do the
/// sending), close the window.
async fn publish(
    ctx: &Ctx,
    phase_tx: &watch::Sender<Phase>,
    bar: &indicatif::ProgressBar,
    stage_no: u32,
    rate: Option<f64>,
) -> Stage {
    let opts = &ctx.opts;
    let sc = &opts.scenario;
    let sh = &ctx.shared;
    let total = Duration::from_secs_f64(sc.duration_secs.max(0.1));
    let warmup = Duration::from_secs_f64(sc.warmup_secs.clamp(0.0, sc.duration_secs));
    sh.hist.borrow_mut().reset();
    sh.in_window.set(0);
    if let Some(r) = rate {
        sh.rate.set(r);
    }
    let start_us = sh.now_us() + u64::try_from(warmup.as_micros()).unwrap_or(0);
    let end_us = sh.now_us() + u64::try_from(total.as_micros()).unwrap_or(0);
    sh.window.set((start_us, end_us));
    let _ = phase_tx.send(Phase::Publishing(stage_no));
    let t_pub = Instant::now();
    let mut stage = Stage {
        rate,
        measured_secs: total.saturating_sub(warmup).as_secs_f64(),
        ..Stage::default()
    };
    let own_pid = std::process::id();
    // Whether the warm-up is over (the measured window's start was taken).
    let mut measuring = false;
    let mut last = (Instant::now(), sh.delivered.get());
    let load = rate.map_or("max".to_owned(), |r| format!("{r:.0} msg/s"));
    loop {
        let el = t_pub.elapsed();
        if !measuring && el >= warmup {
            measuring = true;
            stage.cpu.0 = opts.server_pid.and_then(cpu_secs);
            stage.own_cpu.0 = cpu_secs(own_pid);
            stage.sent.0 = Tally::now(sh).sent;
        }
        if el >= total {
            stage.cpu.1 = opts.server_pid.and_then(cpu_secs);
            stage.own_cpu.1 = cpu_secs(own_pid);
            stage.sent.1 = Tally::now(sh).sent;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let d = sh.delivered.get();
        let now = Instant::now();
        let per_sec = (d - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-3);
        last = (now, d);
        bar.set_message(format!(
            "{load}: publishing {:.0}/{:.0}s  {:.0} deliveries/s  disconnects {}",
            el.as_secs_f64(),
            total.as_secs_f64(),
            per_sec,
            sh.disconnects.borrow().values().sum::<u64>()
        ));
    }
    stage.rss_end = opts.server_pid.and_then(rss_kib);
    stage
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
        let pending_acks = target.is_chatcore()
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
