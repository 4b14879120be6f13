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
//! Four server kinds are spoken: chatcore's protocol (`docs/PROTOCOL.md`), the same
//! over chatcore's Socket.IO transport (`chatcore-socketio`: each command an event
//! answered through its ack), the plain JSON protocol of the hand-written axum +
//! `tokio::sync::broadcast` baseline, and Socket.IO v5 over Engine.IO v4 WebSocket
//! (the socketioxide baseline).

//!
//! The modules follow a run: [`scenario`] (what is run), [`setup`] (users and rooms
//! over REST), `run` (the phases: set up, connect, publish and drain each stage), `count` (what
//! arrived, per stage), `client`
//! (one connection's part), [`ws`] (the WebSocket client), [`report`] (tables and
//! charts).

mod client;
mod count;
mod procfs;
pub mod report;
mod run;
pub mod scenario;
pub mod search;
pub mod setup;
mod shared;
pub mod ws;

pub use count::{Latency, Report};
pub use procfs::{cpu_secs, rss_kib};
pub use run::{Prepared, RunError, RunOptions, clean_up, prepare, run, run_stages};
pub use scenario::{Scenario, Target};
pub use search::Search;
