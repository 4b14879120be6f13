//! An acknowledged message survives a SIGKILL of the process that wrote it.
//!
//! The test re-runs its own binary as a child (`CHATCORE_DURABILITY_CHILD` set):
//! the child appends messages to a SQLite file from 16 concurrent tasks and prints
//! `ACK <seq> <id>` for each append that returned. The parent kills it (SIGKILL)
//! after a few hundred acknowledgements, reopens the file and checks that every
//! acknowledged message is there, with its sequence number, and that the room's
//! sequence is gapless. The child uses `synchronous = NORMAL`, the weaker setting:
//! in WAL mode a committed transaction is in the OS page cache, which a process
//! kill does not lose.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chatcore::model::{MessageKind, NewMessage, NewUser, PageRequest, User};
use chatcore::store::{MessageStore, RoomStore, UserStore};
use chatcore::{MessageId, RoomId, UserId, Username};
use chatcore_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use chrono::Utc;

const CHILD_ENV: &str = "CHATCORE_DURABILITY_CHILD";
const ROOM_ENV: &str = "CHATCORE_DURABILITY_ROOM";
const USER_ENV: &str = "CHATCORE_DURABILITY_USER";
const ACKS_BEFORE_KILL: usize = 400;

fn options() -> SqliteOptions {
    SqliteOptions::default().synchronous(Synchronous::Normal)
}

/// The child: append until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durability_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // only runs as the parent's child
    };
    let room = RoomId(std::env::var(ROOM_ENV).unwrap().parse().unwrap());
    let user = UserId(std::env::var(USER_ENV).unwrap().parse().unwrap());
    let store = SqliteStore::open_with(&path, options()).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0u64.. {
                let m = store
                    .append_message(NewMessage {
                        id: MessageId::new(),
                        room_id: room,
                        author_id: Some(user),
                        kind: MessageKind::Text,
                        body: format!("task {t} message {i}"),
                        system: None,
                        attachment: None,
                        reply_to: None,
                        client_nonce: None,
                        created_at: Utc::now(),
                        mentions: Vec::new(),
                        thread_root: None,
                        also_in_room: false,
                        extra: None,
                    })
                    .await
                    .unwrap();
                let mut out = std::io::stdout().lock();
                writeln!(out, "ACK {} {}", m.seq, m.id).unwrap();
                out.flush().unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let path = common::temp_dir().join("durable.db");

    // The room and its author exist before the child starts.
    let (room, user) = {
        let store = SqliteStore::open_with(&path, options()).await.unwrap();
        let user = User {
            id: UserId::new(),
            username: Username::parse("writer").unwrap(),
            email: None,
            display_name: "writer".into(),
            bio: String::new(),
            avatar_url: None,
            external_id: None,
            created_at: Utc::now(),
            last_seen_at: None,
            guest: false,
        };
        store
            .create_user(NewUser {
                user: user.clone(),
                password_hash: None,
            })
            .await
            .unwrap();
        let room = chatcore::conformance::plain_room("log", Some(user.id));
        store.create_room(room.clone(), vec![]).await.unwrap();
        (room.id, user.id)
    };

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .env(ROOM_ENV, room.to_string())
        .env(USER_ENV, user.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acks: Vec<(i64, MessageId)> = Vec::new();
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let (seq, id) = rest.split_once(' ').unwrap();
            acks.push((seq.parse().unwrap(), id.parse().unwrap()));
            if acks.len() >= ACKS_BEFORE_KILL {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "child too slow: {} acks",
            acks.len()
        );
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, no flush
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    assert!(
        acks.len() >= ACKS_BEFORE_KILL,
        "child ended early: {status}"
    );

    let store = SqliteStore::open_with(&path, options()).await.unwrap();
    for (seq, id) in &acks {
        let m = store.get_message(*id).await.unwrap();
        let m = m.unwrap_or_else(|| panic!("acknowledged message {id} (seq {seq}) lost"));
        assert_eq!(m.seq, *seq);
        assert_eq!(m.room_id, room);
    }
    let last = store.last_seq(room).await.unwrap();
    let max_acked = acks.iter().map(|(s, _)| *s).max().unwrap();
    assert!(last >= max_acked);
    let all = store
        .list_messages(
            room,
            PageRequest {
                before: None,
                after: Some(0),
                limit: u32::try_from(last).unwrap(),
            },
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "gapless after the kill"
    );
}
