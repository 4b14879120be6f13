//! Conformance cases of [`SearchStore`](crate::store::SearchStore): matching,
//! filters, paging, edits and deletes at once, and who finds what.

use std::sync::Arc;

use super::{chat, register, room, say};
use crate::error::Error;
use crate::model::RoomKind;
use crate::store::Store;
use crate::{Chat, SearchRequest};

fn q(text: &str) -> SearchRequest {
    SearchRequest {
        q: text.into(),
        ..Default::default()
    }
}

async fn bodies(chat: &Chat, user: crate::UserId, req: SearchRequest) -> Vec<String> {
    chat.search(user, req)
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.message.body)
        .collect()
}

pub async fn search_finds_words_with_filters_and_pages(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "amy").await.user.id;
    let b = register(&chat, "bea").await.user.id;
    let r1 = room(&chat, a, RoomKind::Public, "one").await;
    let r2 = room(&chat, a, RoomKind::Public, "two").await;
    chat.join_room(b, r1.id, None).await.unwrap();
    say(&chat, a, r1.id, "the Quarterly report is due").await;
    say(&chat, b, r1.id, "report: quarterly numbers look fine").await;
    say(&chat, a, r2.id, "lunch at noon?").await;
    say(&chat, a, r2.id, "quarterly planning only").await;

    let mut all = bodies(&chat, a, q("QUARTERLY report")).await;
    all.sort();
    assert_eq!(
        all,
        [
            "report: quarterly numbers look fine",
            "the Quarterly report is due"
        ],
        "every word, any case"
    );
    let only_b = bodies(
        &chat,
        a,
        SearchRequest {
            author: Some(b),
            ..q("quarterly")
        },
    )
    .await;
    assert_eq!(only_b, ["report: quarterly numbers look fine"]);
    let in_r2 = bodies(
        &chat,
        a,
        SearchRequest {
            room: Some(r2.id),
            ..q("quarterly")
        },
    )
    .await;
    assert_eq!(in_r2, ["quarterly planning only"]);
    let future = chat.now() + chrono::Duration::hours(1);
    assert!(
        bodies(
            &chat,
            a,
            SearchRequest {
                since: Some(future),
                ..q("quarterly")
            }
        )
        .await
        .is_empty()
    );
    assert_eq!(
        bodies(
            &chat,
            a,
            SearchRequest {
                until: Some(future),
                ..q("quarterly")
            }
        )
        .await
        .len(),
        3
    );

    // Paging.
    let p1 = chat
        .search(
            a,
            SearchRequest {
                limit: Some(2),
                ..q("quarterly")
            },
        )
        .await
        .unwrap();
    let p2 = chat
        .search(
            a,
            SearchRequest {
                limit: Some(2),
                offset: Some(2),
                ..q("quarterly")
            },
        )
        .await
        .unwrap();
    assert!(p1.has_more && !p2.has_more);
    assert_eq!(p1.hits.len() + p2.hits.len(), 3);
    assert!(
        p2.hits
            .iter()
            .all(|h| p1.hits.iter().all(|g| g.message.id != h.message.id))
    );
    // Snippet highlights point at the words.
    let hit = &p1.hits[0];
    assert!(!hit.highlights.is_empty());
    for [s, e] in &hit.highlights {
        let w: String = hit.snippet.chars().skip(*s).take(e - s).collect();
        assert_eq!(w.to_lowercase(), "quarterly");
    }
    // Bad queries.
    assert!(matches!(
        chat.search(a, q(" ?! ")).await,
        Err(Error::Invalid { field: "q", .. })
    ));
    assert!(matches!(
        chat.search(a, q(&"x".repeat(201))).await,
        Err(Error::TooLarge { .. })
    ));
}

pub async fn search_sees_edits_and_deletes_at_once(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "eve").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "log").await;
    let m = say(&chat, a, r.id, "old wording here").await;
    assert_eq!(bodies(&chat, a, q("wording")).await.len(), 1);
    chat.edit_message(a, m.id, "new phrasing here")
        .await
        .unwrap();
    assert!(
        bodies(&chat, a, q("wording")).await.is_empty(),
        "the old text is gone"
    );
    assert_eq!(bodies(&chat, a, q("phrasing")).await, ["new phrasing here"]);
    chat.delete_message(a, m.id).await.unwrap();
    assert!(
        bodies(&chat, a, q("phrasing")).await.is_empty(),
        "a deleted message is never found"
    );
}

pub async fn search_never_crosses_membership(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "own").await.user.id;
    let out = register(&chat, "out").await.user.id;
    let bad = register(&chat, "bad").await.user.id;
    let private = room(&chat, owner, RoomKind::Private, "vault").await;
    say(&chat, owner, private.id, "the secret password is swordfish").await;
    assert!(
        bodies(&chat, out, q("swordfish")).await.is_empty(),
        "a non-member never finds it"
    );
    assert!(matches!(
        chat.search(
            out,
            SearchRequest {
                room: Some(private.id),
                ..q("swordfish")
            }
        )
        .await,
        Err(Error::NotFound(_))
    ));
    let public = room(&chat, owner, RoomKind::Public, "lobby").await;
    chat.join_room(bad, public.id, None).await.unwrap();
    say(&chat, owner, public.id, "welcome aboard everyone").await;
    assert_eq!(bodies(&chat, bad, q("aboard")).await.len(), 1);
    chat.ban(owner, public.id, bad, "spam", None).await.unwrap();
    assert!(
        bodies(&chat, bad, q("aboard")).await.is_empty(),
        "a banned user no longer finds it"
    );
    assert!(
        bodies(&chat, out, q("aboard")).await.is_empty(),
        "public rooms too: members only"
    );
}
