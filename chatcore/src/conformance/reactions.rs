//! Conformance cases of [`ReactionStore`](crate::store::ReactionStore): one reaction
//! per user and emoji, the summaries history carries, the distinct-emoji limit under
//! parallel adds, and who may react.

use std::sync::Arc;

use super::{chat, is_not_found, register, room, say};
use crate::error::Error;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{PageRequest, ReactionSummary, RoomKind};
use crate::store::Store;
use crate::{Chat, Limits};

/// The reactions of one message in `user`'s history.
async fn reactions_of(
    chat: &Chat,
    user: UserId,
    room: RoomId,
    id: MessageId,
) -> Vec<ReactionSummary> {
    chat.history(
        user,
        room,
        PageRequest {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .messages
    .into_iter()
    .find(|m| m.id == id)
    .unwrap()
    .reactions
}

fn summary(emoji: &str, count: u64, me: bool) -> ReactionSummary {
    ReactionSummary {
        emoji: emoji.into(),
        count,
        me,
    }
}

pub async fn reactions_one_per_user_and_emoji(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "bob").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "fun").await;
    chat.join_room(b, r.id, None).await.unwrap();
    let m = say(&chat, a, r.id, "party tonight").await;
    chat.add_reaction(b, m.id, "👍").await.unwrap();
    chat.add_reaction(a, m.id, "👍").await.unwrap();
    chat.add_reaction(a, m.id, "👍").await.unwrap(); // again: no change
    chat.add_reaction(a, m.id, "🎉").await.unwrap();
    assert_eq!(
        reactions_of(&chat, a, r.id, m.id).await,
        [summary("👍", 2, true), summary("🎉", 1, true)],
        "one per user and emoji, in the order first given"
    );
    assert_eq!(
        reactions_of(&chat, b, r.id, m.id).await,
        [summary("👍", 2, true), summary("🎉", 1, false)],
        "`me` is the viewer's"
    );
    chat.remove_reaction(a, m.id, "👍").await.unwrap();
    chat.remove_reaction(a, m.id, "👍").await.unwrap(); // none left: no change
    assert_eq!(
        reactions_of(&chat, b, r.id, m.id).await,
        [summary("👍", 1, true), summary("🎉", 1, false)]
    );
    chat.remove_reaction(a, m.id, "🎉").await.unwrap();
    assert_eq!(
        reactions_of(&chat, b, r.id, m.id).await,
        [summary("👍", 1, true)]
    );

    // Only single emoji.
    for bad in ["", "ok", "👍👍", ":+1:", "👍 "] {
        assert!(
            matches!(
                chat.add_reaction(a, m.id, bad).await,
                Err(Error::Invalid { field: "emoji", .. })
            ),
            "{bad:?} refused"
        );
    }
    // Outsiders: a public room's message is forbidden to react to; a private room's
    // message does not exist for them.
    let c = register(&chat, "cyd").await.user.id;
    assert!(matches!(
        chat.add_reaction(c, m.id, "👍").await,
        Err(Error::NotFound(_) | Error::Forbidden(_))
    ));
    let p = room(&chat, a, RoomKind::Private, "secret").await;
    let pm = say(&chat, a, p.id, "hush").await;
    assert!(is_not_found(&chat.add_reaction(c, pm.id, "👍").await));
    assert!(
        store
            .reaction_summaries(&[pm.id], c)
            .await
            .unwrap()
            .is_empty()
    );

    // A deleted message loses its reactions and takes no new ones.
    chat.delete_message(a, m.id).await.unwrap();
    assert!(
        store
            .reaction_summaries(&[m.id], b)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(is_not_found(&chat.add_reaction(b, m.id, "👍").await));
    assert!(reactions_of(&chat, b, r.id, m.id).await.is_empty());
}

pub async fn reactions_distinct_limit_under_parallel_adds(store: Arc<dyn Store>) {
    // One service per task, as on separate nodes: only the store serializes them.
    let node = || {
        Chat::builder(store.clone())
            .limits(Limits {
                max_reactions_per_message: 5,
                ..Limits::without_rate_limits()
            })
            .build()
    };
    let chat = node();
    let a = register(&chat, "ada").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "votes").await;
    let m = say(&chat, a, r.id, "pick one").await;
    const EMOJI: [&str; 12] = [
        "😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎",
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for e in EMOJI {
        let (chat, id) = (node(), m.id);
        tasks.spawn(async move { chat.add_reaction(a, id, e).await });
    }
    let mut added = 0;
    while let Some(res) = tasks.join_next().await {
        match res.unwrap() {
            Ok(()) => added += 1,
            Err(Error::TooLarge {
                field: "emoji",
                limit: 5,
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(added, 5, "exactly the limit of distinct emoji is accepted");
    let summaries = reactions_of(&chat, a, r.id, m.id).await;
    assert_eq!(summaries.len(), 5);
    // Another user may still join an emoji given already, never add a sixth.
    let b = register(&chat, "ben").await.user.id;
    chat.join_room(b, r.id, None).await.unwrap();
    chat.add_reaction(b, m.id, &summaries[0].emoji)
        .await
        .unwrap();
    let sixth = EMOJI
        .iter()
        .find(|e| !summaries.iter().any(|s| s.emoji == **e))
        .unwrap();
    assert!(matches!(
        chat.add_reaction(b, m.id, sixth).await,
        Err(Error::TooLarge { .. })
    ));
    assert_eq!(reactions_of(&chat, b, r.id, m.id).await[0].count, 2);
}
