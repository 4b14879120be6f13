//! What recording metrics costs the broadcast hot path: the hub's fan-out of
//! `message_created` to a room (the in-process part of every delivery, as in
//! `benches/benches/fanout.rs`), run with no metrics recorder and with the
//! Prometheus recorder the example server installs (`--recorder`). The hub records
//! one counter update per dispatch, not per frame, so the two should not differ
//! measurably. Wall time is noisy on a shared machine; run it under
//! `valgrind --tool=callgrind` to compare instruction counts, which do not depend on
//! the load (see docs/BENCHMARKS.md, "Metrics on the hot path").
//!
//! ```text
//! target/release/metrics-cost --members 1000 --events 2000
//! target/release/metrics-cost --members 1000 --events 2000 --recorder
//! ```

use std::time::Instant;

use chatcore::hub::Dispatch;
use chatcore::{Frame, LocalHub, RoomId, UserId};
use chatcore_benches::fixture::message_created;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Members (connections) in the room.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Events published, each drained from every queue before the next.
    #[arg(long, default_value_t = 2000)]
    events: usize,
    /// Install the Prometheus recorder first (as `chat-server --metrics-addr` does).
    #[arg(long)]
    recorder: bool,
}

fn main() {
    let args = Args::parse();
    let handle = args.recorder.then(|| {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("install the Prometheus recorder");
        chatcore::metrics::describe();
        handle
    });
    let hub = LocalHub::new(LocalHub::DEFAULT_QUEUE);
    let room = RoomId::new();
    let mut conns: Vec<_> = (0..args.members)
        .map(|_| hub.connect_local(UserId::new(), None, &[room]))
        .collect();
    let dispatches: Vec<Dispatch> = (0..args.events)
        .map(|i| Dispatch::Room {
            room,
            event: message_created(room, i64::try_from(i).unwrap_or(i64::MAX)),
        })
        .collect();
    let mut buf: Vec<Frame> = Vec::with_capacity(64);
    let mut delivered = 0usize;
    let started = Instant::now();
    for d in &dispatches {
        hub.apply(d);
        for c in &mut conns {
            c.try_recv_many(&mut buf, 64);
            delivered += buf.len();
            buf.clear();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "recorder={} members={} events={} deliveries={} seconds={:.3} deliveries/s={:.0}",
        args.recorder,
        args.members,
        args.events,
        delivered,
        secs,
        delivered as f64 / secs
    );
    if let Some(h) = handle {
        let text = h.render();
        let line = text
            .lines()
            .find(|l| l.starts_with(chatcore::metrics::DELIVERIES))
            .unwrap_or("(no deliveries counter)");
        println!("{line}");
    }
}
