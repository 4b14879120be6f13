//! Conformance cases of history: paging and who may read it.

use std::sync::Arc;

use super::{chat, is_not_found, register, room, say, texts};
use crate::error::Error;
use crate::model::{PageRequest, RoomKind};
use crate::store::Store;

pub async fn history_paging(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "yul").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "pages").await; // seq 1: system
    for i in 2..=130 {
        say(&chat, u, r.id, &format!("m{i}")).await;
    }
    let seqs =
        |p: &crate::protocol::HistoryPage| p.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
    // Latest page.
    let latest = chat
        .history(
            u,
            r.id,
            PageRequest {
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&latest), (111..=130).collect::<Vec<_>>());
    assert!(latest.has_more);
    // Older, before a cursor.
    let older = chat
        .history(
            u,
            r.id,
            PageRequest {
                before: Some(111),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&older), (91..=110).collect::<Vec<_>>());
    let oldest = chat
        .history(
            u,
            r.id,
            PageRequest {
                before: Some(11),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&oldest), (1..=10).collect::<Vec<_>>());
    assert!(!oldest.has_more);
    // Forward from a cursor.
    let fwd = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(100),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&fwd), (101..=120).collect::<Vec<_>>());
    assert!(fwd.has_more);
    let tail = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(120),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&tail), (121..=130).collect::<Vec<_>>());
    assert!(!tail.has_more);
    // Between two cursors.
    let mid = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(10),
                before: Some(15),
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&mid), [11, 12, 13, 14]);
    // Page size is capped at 100.
    let big = chat
        .history(
            u,
            r.id,
            PageRequest {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(big.messages.len(), 100);
    assert!(matches!(
        chat.history(
            u,
            r.id,
            PageRequest {
                after: Some(5),
                before: Some(5),
                limit: 10
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    // Order and content survive the store.
    let bodies: Vec<String> = latest.messages.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies.first().map(String::as_str), Some("m111"));
}

pub async fn history_private_needs_membership(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "zed").await.user.id;
    let outsider = register(&chat, "amy").await.user.id;
    let p = room(&chat, owner, RoomKind::Private, "secret").await;
    say(&chat, owner, p.id, "classified").await;
    assert!(is_not_found(
        &chat.history(outsider, p.id, PageRequest::default()).await
    ));
    assert!(is_not_found(&chat.missed(outsider, p.id, 0).await));
    let pubr = room(&chat, owner, RoomKind::Public, "open").await;
    assert!(matches!(
        chat.history(outsider, pubr.id, PageRequest::default())
            .await,
        Err(Error::Forbidden(_))
    ));
    chat.join_by_code(outsider, p.code.unwrap().as_str(), None)
        .await
        .unwrap();
    assert_eq!(texts(&chat, outsider, p.id).await, ["classified"]);
}
