//! Cases of error mapping (conflicts, missing parents) and of timestamp storage.

use chatcore::model::{Attachment, Ban, MessageKind, NewUser, RoomKind, Session, User};
use chatcore::store::{MessageStore, RoomStore, SessionStore, UserStore};
use chatcore::{Conflict, Error, RoomCode, RoomId, SessionId, UserId, Username};
use chrono::{DateTime, TimeZone, Utc};

use super::{create_room, create_user, owner, room, text, user};
use crate::SqlStore;

/// Unique violations come back as the right `Conflict`; missing parents as `NotFound`.
pub async fn conflicts_map_to_their_variants(store: SqlStore) {
    let mut a = user("Alice");
    a.email = Some("alice@example.com".into());
    a.external_id = Some("idp:alice".into());
    store
        .create_user(NewUser {
            user: a.clone(),
            password_hash: None,
        })
        .await
        .unwrap();

    let conflict = |r: chatcore::Result<User>| match r {
        Err(Error::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    };
    let dup_name = user("aLiCe");
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_name,
                    password_hash: None
                })
                .await
        ),
        Conflict::Username
    );
    let mut dup_email = user("alice2");
    dup_email.email = a.email.clone();
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_email,
                    password_hash: None
                })
                .await
        ),
        Conflict::Email
    );
    let mut dup_ext = user("alice3");
    dup_ext.external_id = a.external_id.clone();
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_ext,
                    password_hash: None
                })
                .await
        ),
        Conflict::ExternalIdentity
    );

    // Updates: the same rules, and NotFound for a missing user.
    let b = create_user(&store, "bob").await;
    let mut b2 = b.clone();
    b2.username = Username::parse("ALICE").unwrap();
    assert!(matches!(
        store.update_user(&b2).await,
        Err(Error::Conflict(Conflict::Username))
    ));
    let mut b3 = b.clone();
    b3.email = a.email.clone();
    assert!(matches!(
        store.update_user(&b3).await,
        Err(Error::Conflict(Conflict::Email))
    ));
    assert!(matches!(
        store.update_user(&user("nobody")).await,
        Err(Error::NotFound("user"))
    ));
    // Renaming to another case of one's own name is fine.
    let mut b4 = b.clone();
    b4.username = Username::parse("BoB").unwrap();
    store.update_user(&b4).await.unwrap();
    assert_eq!(
        store
            .find_user_by_username("bob")
            .await
            .unwrap()
            .unwrap()
            .username
            .as_str(),
        "BoB"
    );

    // Rooms.
    let code = RoomCode::parse("ABCD1234").unwrap();
    let mut r1 = room(a.id, "one");
    r1.kind = RoomKind::Private;
    r1.code = Some(code.clone());
    let r1_id = r1.id;
    store
        .create_room(r1, vec![owner(r1_id, a.id)])
        .await
        .unwrap();
    let mut r2 = room(a.id, "two");
    r2.kind = RoomKind::Private;
    r2.code = Some(code.clone());
    let r2_id = r2.id;
    assert!(matches!(
        store
            .create_room(r2.clone(), vec![owner(r2_id, a.id)])
            .await,
        Err(Error::Conflict(Conflict::RoomCode))
    ));
    assert!(
        store.get_room(r2_id).await.unwrap().is_none(),
        "nothing half-created"
    );
    r2.code = Some(RoomCode::parse("ZZZZ9999").unwrap());
    store
        .create_room(r2.clone(), vec![owner(r2_id, a.id)])
        .await
        .unwrap();
    r2.code = Some(code);
    assert!(matches!(
        store.update_room(&r2).await,
        Err(Error::Conflict(Conflict::RoomCode))
    ));

    let key = format!("{}:{}", a.id.min(b.id), a.id.max(b.id));
    let mut d1 = room(a.id, "");
    d1.kind = RoomKind::Direct;
    d1.direct_key = Some(key.clone());
    let d1_id = d1.id;
    store
        .create_room(d1, vec![owner(d1_id, a.id)])
        .await
        .unwrap();
    let mut d2 = room(b.id, "");
    d2.kind = RoomKind::Direct;
    d2.direct_key = Some(key);
    let d2_id = d2.id;
    assert!(matches!(
        store.create_room(d2, vec![owner(d2_id, b.id)]).await,
        Err(Error::Conflict(Conflict::DirectRoomExists))
    ));

    // A room whose member does not exist is not created.
    let r3 = room(a.id, "three");
    let r3_id = r3.id;
    assert!(matches!(
        store
            .create_room(r3, vec![owner(r3_id, UserId::new())])
            .await,
        Err(Error::NotFound("user"))
    ));
    assert!(store.get_room(r3_id).await.unwrap().is_none());

    // Memberships.
    assert!(matches!(
        store.add_member(owner(r1_id, a.id), 10).await,
        Err(Error::Conflict(Conflict::AlreadyMember))
    ));
    assert!(matches!(
        store.add_member(owner(RoomId::new(), a.id), 10).await,
        Err(Error::NotFound("room"))
    ));
    assert!(matches!(
        store.add_member(owner(r1_id, UserId::new()), 10).await,
        Err(Error::NotFound("user"))
    ));
    assert!(matches!(
        store.add_member(owner(r1_id, b.id), 1).await,
        Err(Error::Conflict(Conflict::RoomFull))
    ));

    // Sessions need a user.
    let now = Utc::now();
    let s = Session {
        id: SessionId::new(),
        user_id: UserId::new(),
        token_hash: [7; 32],
        created_at: now,
        last_used_at: now,
        expires_at: now,
        user_agent: None,
    };
    assert!(matches!(
        store.create_session(s).await,
        Err(Error::NotFound("user"))
    ));
}

/// Timestamps come back to the nanosecond; ones that cannot be stored are refused.
pub async fn timestamps_round_trip_exactly(store: SqlStore) {
    let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
    let mut u = user("timely");
    u.created_at = t;
    u.last_seen_at = Some(t + chrono::Duration::nanoseconds(1));
    store
        .create_user(NewUser {
            user: u.clone(),
            password_hash: None,
        })
        .await
        .unwrap();
    assert_eq!(store.get_user(u.id).await.unwrap(), Some(u.clone()));

    let r = create_room(&store, u.id, "times").await;
    let mut m = text(r.id, u.id, "at a precise time");
    m.created_at = t;
    m.attachment = Some(Attachment {
        blob_id: "b1".into(),
        name: "a.png".into(),
        content_type: "image/png".into(),
        size: u64::MAX,
    });
    m.kind = MessageKind::Image;
    let sent = store.append_message(m).await.unwrap();
    assert_eq!(store.get_message(sent.id).await.unwrap(), Some(sent));

    let far = DateTime::<Utc>::from_timestamp(40_000_000_000, 0).unwrap(); // year 3237
    let ban = Ban {
        room_id: r.id,
        user_id: u.id,
        banned_by: None,
        reason: String::new(),
        created_at: Utc::now(),
        expires_at: Some(far),
    };
    assert!(matches!(
        store.ban(ban).await,
        Err(Error::Invalid {
            field: "timestamp",
            ..
        })
    ));
    let mut late = text(r.id, u.id, "from the future");
    late.created_at = far;
    assert!(matches!(
        store.append_message(late).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(
        store.last_seq(r.id).await.unwrap(),
        1,
        "a refused append assigns nothing"
    );
}
