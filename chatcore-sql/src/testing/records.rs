//! Cases of paging, account erasure and the migration guard.

use chatcore::model::{
    Attachment, Ban, Membership, MessageKind, NewUser, PageRequest, Role, Session,
};
use chatcore::store::{MessageStore, RoomStore, SessionStore, UserStore};
use chatcore::{Error, RoomId, SessionId};
use chrono::{TimeZone, Utc};
use sea_orm::ConnectionTrait;

use super::{create_room, create_user, owner, seqs, text, user};
use crate::SqlStore;

/// `list_messages` with every combination of cursors.
pub async fn paging_edges(store: SqlStore) {
    let u = create_user(&store, "pager").await;
    let r = create_room(&store, u.id, "pages").await;
    for i in 1..=10 {
        store
            .append_message(text(r.id, u.id, &format!("m{i}")))
            .await
            .unwrap();
    }
    let page = |before, after, limit| PageRequest {
        before,
        after,
        limit,
    };
    let cases: [(PageRequest, Vec<i64>); 9] = [
        (page(None, None, 3), vec![8, 9, 10]),
        (page(None, None, 100), (1..=10).collect()),
        (page(Some(8), None, 3), vec![5, 6, 7]),
        (page(Some(2), None, 5), vec![1]),
        (page(None, Some(3), 4), vec![4, 5, 6, 7]),
        (page(None, Some(8), 5), vec![9, 10]),
        (page(Some(6), Some(2), 10), vec![3, 4, 5]),
        (page(Some(6), Some(2), 2), vec![3, 4]),
        (page(None, None, 0), vec![]),
    ];
    for (req, want) in cases {
        let got = store.list_messages(r.id, req).await.unwrap();
        assert_eq!(seqs(&got), want, "{req:?}");
    }
    assert!(
        store
            .list_messages(RoomId::new(), page(None, None, 10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.last_seq(RoomId::new()).await.unwrap(), 0);
}

/// Deleting a user erases their messages, keeps bans they issued (without
/// issuer), removes what was theirs, and frees their unique names.
pub async fn delete_user_erases_and_frees(store: SqlStore) {
    let mut gone = user("gone");
    gone.email = Some("gone@example.com".into());
    store
        .create_user(NewUser {
            user: gone.clone(),
            password_hash: Some("h".into()),
        })
        .await
        .unwrap();
    let stays = create_user(&store, "stays").await;
    let r = create_room(&store, stays.id, "room").await;
    store
        .add_member(
            Membership {
                role: Role::Moderator,
                ..owner(r.id, gone.id)
            },
            10,
        )
        .await
        .unwrap();
    let troll = create_user(&store, "troll").await;
    store
        .ban(Ban {
            room_id: r.id,
            user_id: troll.id,
            banned_by: Some(gone.id),
            reason: "spam".into(),
            created_at: Utc::now(),
            expires_at: None,
        })
        .await
        .unwrap();
    let mut with_file = text(r.id, gone.id, "see attached");
    with_file.kind = MessageKind::File;
    with_file.client_nonce = Some("nonce".into());
    with_file.attachment = Some(Attachment {
        blob_id: "blob".into(),
        name: "f.txt".into(),
        content_type: "text/plain".into(),
        size: 3,
    });
    let m1 = store.append_message(with_file).await.unwrap();
    let m2 = store
        .append_message(text(r.id, gone.id, "bye"))
        .await
        .unwrap();
    let earlier = Utc.timestamp_opt(1_600_000_000, 1).unwrap();
    store.delete_message(m2.id, earlier).await.unwrap();
    let kept = store
        .append_message(text(r.id, stays.id, "hello"))
        .await
        .unwrap();
    let now = Utc::now();
    store
        .create_session(Session {
            id: SessionId::new(),
            user_id: gone.id,
            token_hash: [1; 32],
            created_at: now,
            last_used_at: now,
            expires_at: now + chrono::Duration::days(1),
            user_agent: None,
        })
        .await
        .unwrap();

    let at = Utc.timestamp_opt(1_700_000_000, 5).unwrap();
    store.delete_user(gone.id, at).await.unwrap();
    assert!(matches!(
        store.delete_user(gone.id, at).await,
        Err(Error::NotFound("user"))
    ));

    assert_eq!(store.get_user(gone.id).await.unwrap(), None);
    assert_eq!(store.get_password_hash(gone.id).await.unwrap(), None);
    assert!(store.list_sessions(gone.id).await.unwrap().is_empty());
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert_eq!(store.get_member(r.id, gone.id).await.unwrap(), None);
    let e1 = store.get_message(m1.id).await.unwrap().unwrap();
    assert_eq!(
        (
            e1.author_id,
            e1.body.as_str(),
            &e1.attachment,
            e1.deleted_at
        ),
        (None, "", &None, Some(at))
    );
    assert_eq!((e1.seq, e1.kind), (m1.seq, m1.kind));
    let e2 = store.get_message(m2.id).await.unwrap().unwrap();
    assert_eq!((e2.author_id, e2.deleted_at), (None, Some(earlier)));
    assert_eq!(store.get_message(kept.id).await.unwrap(), Some(kept));
    let ban = store.get_ban(r.id, troll.id).await.unwrap().unwrap();
    assert_eq!((ban.banned_by, ban.reason.as_str()), (None, "spam"));

    // Name and email are free again.
    let mut again = user("GONE");
    again.email = gone.email.clone();
    store
        .create_user(NewUser {
            user: again,
            password_hash: None,
        })
        .await
        .unwrap();
}

/// Migrating twice is a no-op; a database migrated by a newer version (a
/// migration this one does not know) is refused.
pub async fn migrations_idempotent_and_guarded(store: SqlStore) {
    let db = store.write_connection();
    crate::migrate(db).await.unwrap();
    let backend = db.get_database_backend();
    let insert = sea_orm::Statement::from_string(
        backend,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_future', 0)",
    );
    db.execute_raw(insert).await.unwrap();
    assert!(
        crate::migrate(db).await.is_err(),
        "unknown migration refused"
    );
    db.execute_raw(sea_orm::Statement::from_string(
        backend,
        "DELETE FROM seaql_migrations WHERE version = 'm29990101_000001_future'",
    ))
    .await
    .unwrap();
    crate::migrate(db).await.unwrap();
    // The store still works.
    create_user(&store, "after").await;
}
