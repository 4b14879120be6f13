//! Conformance cases of direct rooms.

use std::collections::HashSet;
use std::sync::Arc;

use super::{chat, is_not_found, register, say, texts};
use crate::error::Error;
use crate::model::RoomKind;
use crate::store::Store;

pub async fn direct_rooms_one_per_pair(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "ben").await.user.id;
    let c = register(&chat, "cat").await.user.id;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let chat = chat.clone();
        let (x, y) = if i % 2 == 0 { (a, b) } else { (b, a) };
        tasks.push(tokio::spawn(async move {
            chat.open_direct(x, y).await.unwrap().id
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(
        ids.len(),
        1,
        "one direct room per pair, even when opened concurrently"
    );
    let dm = *ids.iter().next().unwrap();
    let view = chat.get_room(a, dm).await.unwrap();
    assert_eq!(view.kind, RoomKind::Direct);
    assert_eq!(view.peer.as_ref().map(|p| p.id), Some(b));
    assert_eq!(view.member_count, 2);
    assert!(is_not_found(&chat.get_room(c, dm).await));
    assert!(is_not_found(&chat.join_room(c, dm, None).await));
    assert!(matches!(
        chat.kick(a, dm, b).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.open_direct(a, a).await,
        Err(Error::Invalid { .. })
    ));
    say(&chat, a, dm, "psst").await;
    assert_eq!(texts(&chat, b, dm).await, ["psst"]);
    // Leaving and reopening keeps the same room and history.
    chat.leave_room(b, dm).await.unwrap();
    assert_eq!(chat.open_direct(b, a).await.unwrap().id, dm);
    assert_eq!(texts(&chat, b, dm).await, ["psst"]);
    assert_eq!(chat.list_direct(a).await.unwrap().len(), 1);
}
