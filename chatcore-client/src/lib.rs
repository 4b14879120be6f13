//! A client for chatcore: the WebSocket protocol (docs/PROTOCOL.md) and the REST API
//! (docs/API.md), for bots, native applications and tests.
//!
//! - [`Client::connect`] keeps one WebSocket open: it reconnects with exponential
//!   backoff and jitter, follows the close codes (4001/4002/4003 stop, the others
//!   reconnect), and after each `hello` sends `resume` with the last `seq` it has per
//!   room, so nothing is missed; a message delivered twice is dropped.
//! - [`Client::send`] goes through a queue with nonces: a message sent while offline,
//!   or whose answer a reconnect lost, is stored exactly once.
//! - Every command answers through its own future, with a timeout.
//! - [`RestClient`] covers the main routes (auth, rooms, members, messages, files).
//!
//! ```no_run
//! use chatcore_client::{Client, Config, Event, RestClient};
//! use chatcore::protocol::ServerEvent;
//!
//! # async fn run() -> chatcore_client::Result<()> {
//! let mut rest = RestClient::new("http://127.0.0.1:3000/api");
//! let auth = rest.login("alice", "correct horse battery").await?;
//! let (client, mut events) = Client::connect(Config::new(rest.ws_url()).token(auth.token));
//! while let Some(event) = events.next().await {
//!     if let Event::Server(ServerEvent::MessageCreated { message }) = event {
//!         if message.body == "!ping" {
//!             client.send(message.room_id, "pong").await?;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod backoff;
mod client;
mod close;
mod config;
mod driver;
mod error;
mod events;
mod outbox;
mod paging;
pub mod rest;
mod seqs;
mod typing;

/// docs/CLIENTS.md, "Writing a client" (its Rust snippets are this crate's doctests).
#[doc = include_str!("../../docs/CLIENTS.md")]
pub mod guide {}

pub use backoff::Backoff;
pub use client::{Client, Events};
pub use close::{CloseAction, close_action};
pub use config::{Config, SeqHook};
pub use error::{Error, Result};
pub use events::{Event, State, StateChange};
pub use outbox::{OutgoingMessage, Sent, new_nonce};
pub use rest::{RestClient, Upload};
pub use seqs::SeqTracker;
pub use typing::TypingThrottle;
