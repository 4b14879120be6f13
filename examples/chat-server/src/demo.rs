//! `--demo`: sample users, rooms and messages, so a first run has something to show.

use chatcore::{Chat, Error, NewRoom, Register, RoomKind, SendMessage, UserId};
use rand::Rng;
use rand::distr::Alphanumeric;

/// The demo users: username and display name.
const USERS: [(&str, &str); 3] = [
    ("alice", "Alice Martin"),
    ("bob", "Bob Chen"),
    ("carol", "Carol Diaz"),
];

/// Password of the password-protected demo room.
const LOUNGE_PASSWORD: &str = "lounge-pass";

fn random_password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(14)
        .map(char::from)
        .collect()
}

fn room(kind: RoomKind, name: &str, description: &str, password: Option<&str>) -> NewRoom {
    NewRoom {
        kind,
        name: name.to_owned(),
        description: description.to_owned(),
        password: password.map(str::to_owned),
        max_members: None,
        avatar_url: None,
        extra: None,
    }
}

async fn say(chat: &Chat, who: UserId, room: chatcore::RoomId, body: &str) -> Result<(), Error> {
    chat.send_message(
        who,
        room,
        SendMessage {
            body: body.to_owned(),
            ..Default::default()
        },
    )
    .await
    .map(|_| ())
}

/// Create the demo users and rooms, unless `alice` exists already.
pub(crate) async fn seed(chat: &Chat) -> Result<(), Error> {
    if chat.find_user(USERS[0].0).await.is_ok() {
        println!(
            "demo: users exist already (their passwords were printed on the first --demo run)"
        );
        return Ok(());
    }
    let mut ids = Vec::new();
    println!("demo users (username / password):");
    for (username, display_name) in USERS {
        let password = random_password();
        let (me, _session) = chat
            .register(
                Register {
                    username: username.to_owned(),
                    password: password.clone(),
                    email: None,
                    display_name: Some(display_name.to_owned()),
                },
                None,
            )
            .await?;
        println!("  {username:<8} {password}");
        ids.push(me.user.id);
    }
    let [alice, bob, carol] = [ids[0], ids[1], ids[2]];

    let general = chat
        .create_room(
            alice,
            room(
                RoomKind::Public,
                "general",
                "Everything and nothing. Be kind.",
                None,
            ),
        )
        .await?;
    let random = chat
        .create_room(
            bob,
            room(RoomKind::Public, "random", "Links, memes, off-topic.", None),
        )
        .await?;
    let lounge = chat
        .create_room(
            carol,
            room(
                RoomKind::Public,
                "lounge",
                "Members only: ask Carol for the password.",
                Some(LOUNGE_PASSWORD),
            ),
        )
        .await?;
    let design = chat
        .create_room(
            alice,
            room(
                RoomKind::Private,
                "Design team",
                "Mockups and reviews.",
                None,
            ),
        )
        .await?;
    chat.join_room(bob, general.id, None).await?;
    chat.join_room(carol, general.id, None).await?;
    chat.join_room(alice, random.id, None).await?;
    if let Some(code) = &design.code {
        chat.join_by_code(bob, code.as_str(), None).await?;
    }
    chat.set_role(alice, general.id, bob, chatcore::Role::Moderator)
        .await?;

    say(chat, alice, general.id, "Welcome to chatcore! 👋").await?;
    say(chat, bob, general.id, "Hi Alice. Is the new build out?").await?;
    say(
        chat,
        carol,
        general.id,
        "It is, and the web UI looks great.",
    )
    .await?;
    say(chat, alice, general.id, "Try the dark theme, top left.").await?;
    say(chat, bob, random.id, "Friday lunch: tacos or ramen?").await?;
    say(
        chat,
        alice,
        design.id,
        "New mockups are in the shared folder.",
    )
    .await?;
    let direct = chat.open_direct(alice, bob).await?;
    say(chat, alice, direct.id, "Got a minute for a review later?").await?;
    say(chat, bob, direct.id, "Sure, after 3.").await?;

    println!("demo rooms: #general, #random, #lounge (password: {LOUNGE_PASSWORD}),");
    match &design.code {
        Some(code) => println!("  private \"Design team\" (join code {code})"),
        None => println!("  private \"Design team\""),
    }
    let _ = lounge;
    Ok(())
}
