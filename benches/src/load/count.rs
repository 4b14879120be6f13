//! Counting what arrived: the counters of a run at a point in time ([`Tally`]), and
//! one stage's [`Report`] from the tallies at its start and at its end.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::client::ClientState;
use super::scenario::{Scenario, Target};
use super::shared::{Ctx, PubShared, Shared};

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
    /// Server resident memory with every client connected and the server settled
    /// (its CPU quiet again), before publishing, KiB.
    pub server_rss_connected_kib: Option<u64>,
    /// Server resident memory at the end of publishing, KiB.
    pub server_rss_end_kib: Option<u64>,
    /// (connected − before) / clients, bytes.
    pub memory_per_connection_bytes: Option<u64>,
    /// Server CPU use over the measured window (1.0 = one core busy).
    pub server_cpu: Option<f64>,
    /// Deliveries per second of server CPU time (`deliveries_per_sec / server_cpu`):
    /// compares servers even where the generator, not the server, was the limit.
    #[serde(default)]
    pub deliveries_per_cpu_sec: Option<f64>,
    /// The generator's own CPU use over the measured window (1.0 = one core busy):
    /// near 1.0, the generator, not the server, may be what limits the figure.
    #[serde(default)]
    pub generator_cpu: Option<f64>,
    /// Seconds to connect every client.
    pub connect_secs: f64,
}

/// Messages of publisher `p` the server took: acknowledged (chatcore) or sent.
pub(super) fn accepted(target: Target, p: &PubShared) -> u32 {
    match target {
        Target::Chatcore | Target::ChatcoreSocketio => p.acked.get(),
        _ => p.sent.get(),
    }
}

/// The run's counters at one point in time.
#[derive(Debug, Clone, Default)]
pub(super) struct Tally {
    /// Per publisher, messages the server took.
    accepted: Vec<u64>,
    /// Messages sent in all.
    pub(super) sent: u64,
    errors: u64,
    /// First deliveries.
    delivered: u64,
    dups: u64,
    misrouted: u64,
    disconnects: BTreeMap<u16, u64>,
}

impl Tally {
    pub(super) fn now(sh: &Shared) -> Tally {
        Tally {
            accepted: sh
                .pubs
                .iter()
                .map(|p| u64::from(accepted(sh.target, p)))
                .collect(),
            sent: sh.pubs.iter().map(|p| u64::from(p.sent.get())).sum(),
            errors: sh.pubs.iter().map(|p| u64::from(p.errors.get())).sum(),
            delivered: sh.delivered.get(),
            dups: sh.dups.get(),
            misrouted: sh.misrouted.get(),
            disconnects: sh.disconnects.borrow().clone(),
        }
    }
}

/// What one publishing stage measured, besides the counters.
#[derive(Debug, Clone, Default)]
pub(super) struct Stage {
    /// Open loop: messages a second in all.
    pub(super) rate: Option<f64>,
    /// Seconds measured (the stage less its warm-up).
    pub(super) measured_secs: f64,
    /// Server CPU seconds at the measured window's start and end.
    pub(super) cpu: (Option<f64>, Option<f64>),
    /// The generator's own CPU seconds at the window's start and end.
    pub(super) own_cpu: (Option<f64>, Option<f64>),
    /// Messages sent when the window opened and closed.
    pub(super) sent: (u64, u64),
    pub(super) rss_end: Option<u64>,
}

/// Memory and connection time, measured once per run before the first stage.
#[derive(Debug, Clone, Default)]
pub(super) struct Connected {
    pub(super) rss_before: Option<u64>,
    pub(super) rss_connected: Option<u64>,
    pub(super) connect_secs: f64,
}

/// One stage's report from the tallies at its start (`from`) and after its drain
/// (`to`).
pub(super) fn stage_report(
    ctx: &Ctx,
    from: &Tally,
    to: &Tally,
    stage: &Stage,
    connected: &Connected,
) -> Report {
    let opts = &ctx.opts;
    let sh = &ctx.shared;
    let scenario = Scenario {
        rate: stage.rate,
        ..opts.scenario.clone()
    };
    let members = u64::try_from(scenario.members).unwrap_or(u64::MAX);
    let published: u64 = to
        .accepted
        .iter()
        .zip(from.accepted.iter().chain(std::iter::repeat(&0)))
        .map(|(b, a)| b.saturating_sub(*a))
        .sum();
    let expected = published * members;
    let delivered = to.delivered.saturating_sub(from.delivered);
    let measured = stage.measured_secs.max(1e-3);
    let hist = sh.hist.borrow();
    let q = |p: f64| hist.value_at_quantile(p);
    let n_clients = scenario.clients();
    let mem_per_conn = match (connected.rss_before, connected.rss_connected) {
        (Some(b), Some(c)) if n_clients > 0 => Some(c.saturating_sub(b) * 1024 / n_clients as u64),
        _ => None,
    };
    let rate = |(a, b): (Option<f64>, Option<f64>)| match (a, b) {
        (Some(a), Some(b)) => Some((b - a) / measured),
        _ => None,
    };
    let mut disconnects = to.disconnects.clone();
    for (code, n) in &from.disconnects {
        if let Some(m) = disconnects.get_mut(code) {
            *m = m.saturating_sub(*n);
        }
    }
    disconnects.retain(|_, n| *n > 0);
    let deliveries_per_sec = sh.in_window.get() as f64 / measured;
    let server_cpu = rate(stage.cpu);
    Report {
        label: opts.label.clone(),
        target: opts.target,
        scenario_name: scenario.name(),
        clients: n_clients,
        published,
        publish_errors: to.errors.saturating_sub(from.errors),
        expected,
        delivered: delivered.min(expected),
        lost: expected.saturating_sub(delivered),
        duplicated: to.dups.saturating_sub(from.dups) + to.misrouted.saturating_sub(from.misrouted),
        deliveries_per_sec,
        messages_per_sec: stage.sent.1.saturating_sub(stage.sent.0) as f64 / measured,
        measured_secs: measured,
        latency_us: Latency {
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: hist.max(),
            count: hist.len(),
        },
        disconnects,
        server_rss_before_kib: connected.rss_before,
        server_rss_connected_kib: connected.rss_connected,
        server_rss_end_kib: stage.rss_end,
        memory_per_connection_bytes: mem_per_conn,
        server_cpu,
        deliveries_per_cpu_sec: server_cpu
            .filter(|c| *c > 0.0)
            .map(|c| deliveries_per_sec / c),
        generator_cpu: rate(stage.own_cpu),
        connect_secs: connected.connect_secs,
        scenario,
    }
}

/// The exact count of the whole run, from what each client saw of each publisher:
/// `(expected, delivered)` deliveries. Checks the stage reports (which count from
/// the shared counters) so that no loss goes unreported.
pub(super) fn exact(ctx: &Ctx, clients: &[ClientState]) -> (u64, u64) {
    let sc = &ctx.opts.scenario;
    let sh = &ctx.shared;
    let pub_ok: Vec<u64> = sh
        .pubs
        .iter()
        .map(|p| u64::from(accepted(sh.target, p)))
        .collect();
    let mut unique = 0u64;
    let mut expected = 0u64;
    for st in clients {
        for (local, s) in st.seen.iter().enumerate() {
            let j = local * sc.rooms + st.plan.room;
            let ok = pub_ok.get(j).copied().unwrap_or(0);
            unique += u64::from(s.unique).min(ok);
        }
        for local in 0..sc.pubs_in_room(st.plan.room) {
            let j = local * sc.rooms + st.plan.room;
            expected += pub_ok.get(j).copied().unwrap_or(0);
        }
    }
    (expected, unique)
}
