//! What a run does: the server's protocol, the scenario, and each client's part in it
//! (which room, whether and how it publishes).

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    /// chatcore's Socket.IO transport (`chatcore-socketio`, `/socket.io/` of the
    /// example server): the same users and rooms as [`Target::Chatcore`], the token in
    /// the `auth` payload of the CONNECT packet, each command an event answered
    /// through its ack (`42<id>["send",{…}]` → `43<id>[{"type":"sent",…}]`).
    ChatcoreSocketio,
}

impl Target {
    /// Whether the server is chatcore (over either transport): users, rooms and
    /// memberships are made over REST and every send is acknowledged.
    pub fn is_chatcore(self) -> bool {
        matches!(self, Target::Chatcore | Target::ChatcoreSocketio)
    }
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

/// Static description of one client.
#[derive(Debug, Clone)]
pub(super) struct ClientPlan {
    pub(super) room: usize,
    /// Global publisher index, if this client publishes.
    pub(super) publisher: Option<usize>,
    /// Closed loop: messages in flight allowed.
    pub(super) window: usize,
}

impl Scenario {
    /// Whether publishers wait for deliveries (closed loop) rather than keep a rate.
    pub(super) fn closed_loop(&self) -> bool {
        self.rate.is_none() && self.publishers > 0
    }

    /// Publishers in room `r` (publisher `j` is in room `j % rooms`).
    pub(super) fn pubs_in_room(&self, r: usize) -> usize {
        (self.publishers + self.rooms - 1 - r) / self.rooms
    }

    /// Open loop at `rate` messages a second in all: the time between two messages
    /// of one publisher, and when publisher `j` sends its first (the publishers are
    /// spread evenly over one period).
    pub(super) fn schedule(&self, rate: f64, j: usize) -> (Duration, Duration) {
        #[allow(clippy::cast_precision_loss)]
        let publishers = self.publishers.max(1) as f64;
        let per_pub = rate / publishers;
        let period = Duration::from_secs_f64(1.0 / per_pub.max(1e-3));
        #[allow(clippy::cast_precision_loss)]
        let offset = period.mul_f64(j as f64 / publishers);
        (period, offset)
    }

    /// Each client's part: client `c` is in room `c / members`; publisher `j` is
    /// client `local` of room `j % rooms`, where `local = j / rooms`.
    pub(super) fn client_plans(&self) -> Vec<ClientPlan> {
        let mut plans: Vec<ClientPlan> = (0..self.clients())
            .map(|c| ClientPlan {
                room: c / self.members,
                publisher: None,
                window: 0,
            })
            .collect();
        for j in 0..self.publishers {
            let room = j % self.rooms;
            let local = j / self.rooms;
            let c = room * self.members + local;
            plans[c].publisher = Some(j);
            plans[c].window = (self.window / self.pubs_in_room(room).max(1)).max(1);
        }
        plans
    }
}
