//! What one socket's two tasks tell each other (see [`crate::pump`]).

use chatcore::hub::CloseReason;
use chatcore::{RoomId, Seq};
use socketioxide::extract::AckSender;
use tokio::sync::watch;

/// What the command task asks of the pump.
pub(crate) enum ToPump {
    /// Emit what the client missed in these rooms (`room`, last seq it has), then
    /// answer `ack` with `{"type":"ack"}`.
    Replay {
        rooms: Vec<(RoomId, Seq)>,
        ack: Option<AckSender>,
    },
    /// Tell the client why, and disconnect it.
    Close(CloseReason),
}

/// Resolves once the socket is gone (its disconnect handler ran, or was dropped).
pub(crate) async fn gone_signal(gone: &mut watch::Receiver<bool>) {
    let _ = gone.wait_for(|g| *g).await;
}
