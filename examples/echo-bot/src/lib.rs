//! The echo bot: answers `!ping` with `pong` in every room it is in.
//!
//! It is an ordinary [`chatcore_client::Client`]: the client reconnects on its own
//! and resumes every room from the last message it delivered, so a `!ping` sent
//! while the bot was disconnected (a server restart) is answered once it is back.
//! Each answer's nonce is derived from the ping's id, so it is stored once even if
//! the bot answers the same ping twice.

use chatcore::protocol::ServerEvent;
use chatcore_client::{Client, Event, Events, OutgoingMessage, StateChange};

/// What the bot answers to.
pub const PING: &str = "!ping";
/// What it answers.
pub const PONG: &str = "pong";

/// Answer pings until the client stops; why it stopped.
pub async fn serve(client: Client, mut events: Events) -> StateChange {
    let mut me = None;
    while let Some(event) = events.next().await {
        match event {
            Event::Server(ServerEvent::Hello { user, .. }) => me = Some(user.id),
            Event::Server(ServerEvent::MessageCreated { message })
                if message.body.trim() == PING && message.author_id != me =>
            {
                let answer = OutgoingMessage {
                    room: message.room_id,
                    body: PONG.to_owned(),
                    reply_to: Some(message.id),
                    nonce: format!("pong-{}", message.id),
                };
                // Queued at once; the answer arrives while the next events are read.
                let client = client.clone();
                tokio::spawn(async move {
                    if let Err(e) = client.send_message(answer).await {
                        eprintln!("echo-bot: could not answer: {e}");
                    }
                });
            }
            Event::State(change) => eprintln!("echo-bot: {:?} {:?}", change.state, change.reason),
            _ => {}
        }
    }
    client.wait_closed().await
}
