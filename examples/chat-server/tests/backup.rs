//! `chat-server backup --to FILE` under write load, then a server started on the
//! copy: every message acknowledged before the backup began is there.
#![allow(clippy::unwrap_used)]

mod ops;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ops::{Server, run};
use reqwest::Method;
use serde_json::json;

/// Every message of `room` on `s`, by id, paging forward.
async fn history(s: &Server, token: &str, room: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut after = 0;
    loop {
        let path = format!("/rooms/{room}/messages?after={after}&limit=100");
        let (status, page) = s.call(Method::GET, &path, Some(token), None).await;
        assert_eq!(status, 200, "{page}");
        let messages = page["messages"].as_array().unwrap();
        for m in messages {
            ids.insert(m["id"].as_str().unwrap().to_owned());
            after = after.max(m["seq"].as_i64().unwrap());
        }
        if !page["has_more"].as_bool().unwrap() || messages.is_empty() {
            return ids;
        }
    }
}

#[tokio::test]
async fn a_backup_under_write_load_holds_every_message_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    let live_dir = live.to_str().unwrap().to_owned();
    let s = Arc::new(Server::start(&["--data-dir", &live_dir, "--bench-limits"]));
    let alice = s.register("alice").await;
    let (status, room) = s
        .call(
            Method::POST,
            "/rooms",
            Some(&alice),
            Some(json!({"kind": "public", "name": "load"})),
        )
        .await;
    assert_eq!(status, 201, "{room}");
    let room = room["id"].as_str().unwrap().to_owned();

    // Writers: each send counted once the server acknowledged it (201).
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3 {
        let (s, token, room) = (s.clone(), alice.clone(), room.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..5_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let path = format!("/rooms/{room}/messages");
                let body = json!({"body": format!("w{w} m{i}")});
                let (status, m) = s.call(Method::POST, &path, Some(&token), Some(body)).await;
                assert_eq!(status, 201, "{m}");
                acked
                    .lock()
                    .unwrap()
                    .push(m["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    while acked.lock().unwrap().len() < 100 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let before: Vec<String> = acked.lock().unwrap().clone();
    let target = copy.join("chatcore.db");
    let args = [
        "--data-dir".to_owned(),
        live_dir.clone(),
        "backup".to_owned(),
        "--to".to_owned(),
        target.to_str().unwrap().to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let during = acked.lock().unwrap().len() - before.len();
    // Let the load run on after the copy, then stop it.
    let more = acked.lock().unwrap().len() + 50;
    while acked.lock().unwrap().len() < more {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let total = acked.lock().unwrap().len();
    eprintln!(
        "acknowledged: {} before the backup, {during} while it ran, {total} in all",
        before.len()
    );

    // A second backup to the same file is refused: nothing is overwritten.
    let out = run(&[
        "--data-dir",
        &live_dir,
        "backup",
        "--to",
        target.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists already"),
        "{out:?}"
    );
    drop(s);

    // Restore: a server on the copy.
    let restored = Server::start(&["--data-dir", copy.to_str().unwrap(), "--bench-limits"]);
    let (status, login) = restored
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "alice", "password": "tulip radar canyon"})),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap();
    let there = history(&restored, token, &room).await;
    let missing: Vec<&String> = before.iter().filter(|id| !there.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "lost {} messages: {missing:?}",
        missing.len()
    );
    // A snapshot: the 50 and more acknowledged after the copy ended are not in it.
    assert!(there.len() < total, "{} of {total}", there.len());
}

#[test]
fn only_sqlite_is_backed_up_by_the_server_binary() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("copy.db");
    let to = to.to_str().unwrap();
    let out = run(&["--memory", "backup", "--to", to]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to back up"));
    let out = run(&[
        "--database-url",
        "postgres://u:secret@127.0.0.1:1/x",
        "backup",
        "--to",
        to,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump") && !err.contains("secret"), "{err}");
    let missing = dir.path().join("none");
    let out = run(&[
        "--data-dir",
        missing.to_str().unwrap(),
        "backup",
        "--to",
        to,
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no database at"),
        "{out:?}"
    );
    assert!(!std::path::Path::new(to).exists());
}
