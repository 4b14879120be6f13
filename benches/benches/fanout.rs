//! In-process fan-out benchmark of the hub: one `message_created` event (100-byte
//! body) delivered to every member of a room, then every member's queue taken the
//! way the WebSocket writer takes it. No sockets: this is the hub's share of a
//! delivery (encode once, share the bytes, push into bounded queues, batch-take).
//!
//! Run with `cargo bench -p chatcore-benches --bench fanout`.

use chatcore::hub::Dispatch;
use chatcore::{Connection, Frame, LocalHub, RoomId, UserId};
use chatcore_benches::fixture::message_created;
use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

fn room_with(members: usize) -> (LocalHub, RoomId, Vec<Connection>) {
    let hub = LocalHub::new(LocalHub::DEFAULT_QUEUE);
    let room = RoomId::new();
    let conns = (0..members)
        .map(|_| hub.connect_local(UserId::new(), None, &[room]))
        .collect();
    (hub, room, conns)
}

/// One event to a room of `members`, then each queue drained: items = deliveries.
#[divan::bench(args = [10, 100, 1000, 10_000])]
fn publish_one_then_drain(bencher: Bencher, members: usize) {
    let (hub, room, mut conns) = room_with(members);
    let dispatch = Dispatch::Room {
        room,
        event: message_created(room, 1),
    };
    let mut buf: Vec<Frame> = Vec::with_capacity(64);
    bencher.counter(ItemsCount::new(members)).bench_local(|| {
        hub.apply(&dispatch);
        for c in &mut conns {
            c.try_recv_many(&mut buf, 64);
            buf.clear();
        }
    });
}

/// 32 events to a room of `members` (coalesced: each queue then holds 32 frames),
/// then each queue taken in one batch, as a busy writer does: items = deliveries.
#[divan::bench(args = [10, 100, 1000])]
fn publish_32_then_drain(bencher: Bencher, members: usize) {
    let (hub, room, mut conns) = room_with(members);
    let dispatches: Vec<Dispatch> = (1..=32)
        .map(|seq| Dispatch::Room {
            room,
            event: message_created(room, seq),
        })
        .collect();
    let mut buf: Vec<Frame> = Vec::with_capacity(64);
    bencher
        .counter(ItemsCount::new(members * dispatches.len()))
        .bench_local(|| {
            for d in &dispatches {
                hub.apply(d);
            }
            for c in &mut conns {
                c.try_recv_many(&mut buf, 64);
                buf.clear();
            }
        });
}

/// Encoding alone (done once per event, whatever the room size).
#[divan::bench]
fn encode_message_created(bencher: Bencher) {
    let room = RoomId::new();
    let ev = message_created(room, 1);
    bencher.bench_local(|| Frame::encode(divan::black_box(&ev)));
}
