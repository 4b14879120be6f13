//! Baseline: a socketioxide (Socket.IO) chat server with rooms, as its documentation
//! shows it.
//!
//! Run with `cargo run --release -p chatcore-benches --bin baseline-socketio -- --port 3102`.
//!
//! Events: `join` (data: the room name; acknowledged with `"ok"`) puts the socket in
//! the room; `msg` (data: `{"room":…,"body":…}`) is emitted as `msg` to every socket in
//! the room, the sender included.

use std::net::SocketAddr;

use axum::Router;
use axum::serve::ListenerExt as _;
use clap::Parser;
use serde::{Deserialize, Serialize};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::ConnectHandler as _;

#[derive(Debug, Parser)]
#[command(about = "socketioxide chat server (benchmark baseline)")]
struct Cli {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 3102)]
    port: u16,
}

#[derive(Debug, Serialize, Deserialize)]
struct Msg {
    room: String,
    body: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let (layer, io) = SocketIo::new_layer();
    // The event handlers are registered in a connect *middleware*: socketioxide runs
    // middlewares before it sends the CONNECT acknowledgement, but spawns the connect
    // handler after sending it, so a `join` sent right after the acknowledgement could
    // reach a socket with no `join` handler yet and be dropped (seen under load as a
    // client that never got its ack).
    let register = async |s: SocketRef| -> Result<(), std::convert::Infallible> {
        s.on(
            "join",
            async |s: SocketRef, Data::<String>(room), ack: AckSender| {
                s.join(room);
                let _ = ack.send("ok");
            },
        );
        s.on("msg", async |io: SocketIo, Data::<Msg>(msg)| {
            let _ = io.to(msg.room.clone()).emit("msg", &msg).await;
        });
        Ok(())
    };
    io.ns("/", (async || {}).with(register));
    let app = Router::new().layer(layer);
    let addr = SocketAddr::from(([127, 0, 0, 1], cli.port));
    // TCP_NODELAY, as every latency-minded server sets it (no Nagle delays).
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("baseline-socketio listening on {addr}");
    axum::serve(listener, app).await
}
