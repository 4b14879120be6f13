//! Conformance cases of [`AccountStore`](crate::store::AccountStore) and
//! [`FileStore`](crate::store::FileStore), and of the rules built on them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::error::Error;
use crate::ids::{FileId, MessageId};
use crate::mail::{RecordingMailer, token_in};
use crate::model::{AccountToken, FileKind, FileRecord, Timestamp, TokenPurpose};
use crate::store::Store;
use crate::{AccountSettings, Chat, FileUpload, Register, SendMessage};

/// A service with a recording mailer and a clock the test moves.
fn chat_with_clock(
    store: Arc<dyn Store>,
    require_verification: bool,
) -> (Chat, Arc<RecordingMailer>, Arc<Mutex<Timestamp>>) {
    let mailer = Arc::new(RecordingMailer::new());
    let now = Arc::new(Mutex::new(chrono::Utc::now()));
    let clock = now.clone();
    let chat = Chat::builder(store)
        .limits(crate::Limits::without_rate_limits())
        .mailer(mailer.clone())
        .accounts(AccountSettings::default().require_email_verification(require_verification))
        .clock(move || *clock.lock())
        .build();
    (chat, mailer, now)
}

async fn mail_token(mailer: &RecordingMailer, to: &str, link: &str, skip: usize) -> String {
    for _ in 0..1000 {
        let found: Vec<String> = mailer
            .emails()
            .into_iter()
            .filter(|e| e.to == to)
            .filter_map(|e| token_in(&e.text, link))
            .collect();
        if let Some(t) = found.get(skip) {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {link} email to {to}");
}

async fn register_with_email(chat: &Chat, name: &str) -> crate::UserId {
    chat.register(
        Register {
            username: name.into(),
            password: "correct horse battery".into(),
            email: Some(format!("{name}@example.com")),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .0
    .user
    .id
}

pub async fn accounts_email_lookup_and_verified_flag(store: Arc<dyn Store>) {
    let (chat, _, _) = chat_with_clock(store.clone(), false);
    let id = register_with_email(&chat, "vera").await;
    let found = store.find_user_by_email("vera@example.com").await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(id));
    assert!(
        store
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.email_verified_at(id).await.unwrap(), None);
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
    store.set_email_verified(id, Some(at)).await.unwrap();
    assert_eq!(store.email_verified_at(id).await.unwrap(), Some(at));
    store.set_email_verified(id, None).await.unwrap();
    assert_eq!(store.email_verified_at(id).await.unwrap(), None);
    assert!(matches!(
        store
            .set_email_verified(crate::UserId::new(), Some(at))
            .await,
        Err(Error::NotFound(_))
    ));
}

pub async fn accounts_tokens_are_taken_once(store: Arc<dyn Store>) {
    let (chat, _, _) = chat_with_clock(store.clone(), false);
    let id = register_with_email(&chat, "tina").await;
    let now = chrono::Utc::now();
    let token = |b: u8, purpose| AccountToken {
        token_hash: [b; 32],
        user_id: id,
        purpose,
        email: "tina@example.com".into(),
        created_at: now,
        expires_at: now + chrono::Duration::hours(1),
    };
    store
        .create_account_token(token(1, TokenPurpose::ResetPassword))
        .await
        .unwrap();
    store
        .create_account_token(token(2, TokenPurpose::ResetPassword))
        .await
        .unwrap();
    // The wrong purpose does not take (nor burn) it.
    assert!(
        store
            .take_account_token(&[1; 32], TokenPurpose::VerifyEmail)
            .await
            .unwrap()
            .is_none()
    );
    // Concurrent takes: exactly one wins.
    let (a, b) = tokio::join!(
        store.take_account_token(&[1; 32], TokenPurpose::ResetPassword),
        store.take_account_token(&[1; 32], TokenPurpose::ResetPassword),
    );
    let winners = [a.unwrap(), b.unwrap()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0], token(1, TokenPurpose::ResetPassword));
    assert_eq!(
        store
            .delete_account_tokens(id, TokenPurpose::ResetPassword)
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .take_account_token(&[2; 32], TokenPurpose::ResetPassword)
            .await
            .unwrap()
            .is_none()
    );
    // Housekeeping removes expired tokens (and only those).
    let mut old = token(3, TokenPurpose::VerifyEmail);
    old.expires_at = now - chrono::Duration::seconds(1);
    store.create_account_token(old).await.unwrap();
    store
        .create_account_token(token(4, TokenPurpose::VerifyEmail))
        .await
        .unwrap();
    if let Some(m) = store.maintenance() {
        assert_eq!(m.delete_expired(now).await.unwrap(), 1);
        assert!(
            store
                .take_account_token(&[3; 32], TokenPurpose::VerifyEmail)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        store
            .take_account_token(&[4; 32], TokenPurpose::VerifyEmail)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn accounts_verification_rules(store: Arc<dyn Store>) {
    let (chat, mailer, now) = chat_with_clock(store.clone(), true);
    let id = register_with_email(&chat, "walt").await;
    let room = chat
        .create_room(id, crate::NewRoom::new(crate::RoomKind::Public, "lobby"))
        .await
        .unwrap();
    let text = || SendMessage {
        body: "hi".into(),
        ..Default::default()
    };
    // Unverified: sending is refused.
    assert!(matches!(
        chat.send_message(id, room.id, text()).await,
        Err(Error::EmailUnverified)
    ));
    let token = mail_token(&mailer, "walt@example.com", "verify-email", 0).await;
    assert!(matches!(
        chat.verify_email("not-a-token").await,
        Err(Error::InvalidToken)
    ));
    assert_eq!(chat.verify_email(&token).await.unwrap(), id);
    assert!(chat.email_verified(id).await.unwrap());
    // Single use.
    assert!(matches!(
        chat.verify_email(&token).await,
        Err(Error::InvalidToken)
    ));
    chat.send_message(id, room.id, text()).await.unwrap();

    // A new address must be verified again; links to the old one are void.
    chat.request_email_verification(id).await.unwrap(); // verified: nothing is sent
    chat.update_profile(
        id,
        crate::ProfileUpdate {
            email: Some("walt2@example.com".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!chat.email_verified(id).await.unwrap());
    chat.request_email_verification(id).await.unwrap();
    let fresh = mail_token(&mailer, "walt2@example.com", "verify-email", 0).await;
    // Expired: refused.
    *now.lock() += chrono::Duration::hours(25);
    assert!(matches!(
        chat.verify_email(&fresh).await,
        Err(Error::InvalidToken)
    ));
    assert!(!chat.email_verified(id).await.unwrap());
}

pub async fn accounts_password_reset_rules(store: Arc<dyn Store>) {
    let (chat, mailer, now) = chat_with_clock(store.clone(), false);
    let id = register_with_email(&chat, "rita").await;
    let session = chat.create_session(id, None).await.unwrap();
    // Unknown addresses get the same answer, and no mail.
    chat.request_password_reset("ghost@example.com")
        .await
        .unwrap();
    chat.request_password_reset("RITA@example.com")
        .await
        .unwrap();
    let token = mail_token(&mailer, "rita@example.com", "reset-password", 0).await;
    assert!(mailer.emails().iter().all(|e| e.to != "ghost@example.com"));
    // A rejected password does not burn the token.
    assert!(matches!(
        chat.reset_password(&token, "short").await,
        Err(Error::Invalid { .. })
    ));
    chat.reset_password(&token, "a brand new password")
        .await
        .unwrap();
    assert!(chat.authenticate(&session.token).await.is_err());
    chat.login("rita", "a brand new password", None)
        .await
        .unwrap();
    assert!(
        chat.login("rita", "correct horse battery", None)
            .await
            .is_err()
    );
    // Reuse refused.
    assert!(matches!(
        chat.reset_password(&token, "yet another password").await,
        Err(Error::InvalidToken)
    ));
    // Expiry refused.
    chat.request_password_reset("rita@example.com")
        .await
        .unwrap();
    let second = mail_token(&mailer, "rita@example.com", "reset-password", 1).await;
    *now.lock() += chrono::Duration::minutes(61);
    assert!(matches!(
        chat.reset_password(&second, "yet another password").await,
        Err(Error::InvalidToken)
    ));
    chat.login("rita", "a brand new password", None)
        .await
        .unwrap();
}

pub async fn files_records_attach_once_and_delete(store: Arc<dyn Store>) {
    let (chat, _, _) = chat_with_clock(store.clone(), false);
    let owner = register_with_email(&chat, "fred").await;
    let id = FileId::new();
    let record = FileRecord {
        id,
        uploader_id: Some(owner),
        kind: FileKind::Message,
        room_id: None,
        message_id: None,
        name: "a.txt".into(),
        content_type: "application/octet-stream".into(),
        size: 3,
        blob_key: format!("files/{id}"),
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        deleted_at: None,
    };
    store.create_file(record.clone()).await.unwrap();
    assert_eq!(store.get_file(id).await.unwrap(), Some(record.clone()));
    assert!(store.get_file(FileId::new()).await.unwrap().is_none());
    let m = MessageId::new();
    assert!(store.attach_file(id, m).await.unwrap());
    assert!(!store.attach_file(id, MessageId::new()).await.unwrap());
    assert_eq!(
        store.get_file(id).await.unwrap().unwrap().message_id,
        Some(m)
    );
    let at = chrono::DateTime::from_timestamp(1_700_000_100, 0).unwrap();
    assert!(store.delete_file(id, at).await.unwrap());
    assert!(!store.delete_file(id, at).await.unwrap());
    assert_eq!(
        store.get_file(id).await.unwrap().unwrap().deleted_at,
        Some(at)
    );
}

pub async fn files_message_attachment_rules(store: Arc<dyn Store>) {
    let (chat, _, _) = chat_with_clock(store.clone(), false);
    let alice = register_with_email(&chat, "alice").await;
    let bob = register_with_email(&chat, "bob").await;
    let room = chat
        .create_room(
            alice,
            crate::NewRoom::new(crate::RoomKind::Private, "secret"),
        )
        .await
        .unwrap();
    let png = Bytes::from_static(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
    let upload = |name: &str, bytes: Bytes| FileUpload {
        name: name.into(),
        bytes,
    };
    // Non-members cannot post into the room.
    assert!(matches!(
        chat.send_file(
            bob,
            room.id,
            upload("x.png", png.clone()),
            SendMessage::default()
        )
        .await,
        Err(Error::NotFound(_))
    ));
    // Attachments cannot be claimed by hand: `SendMessage` has no attachment, only
    // `send_file` makes one, from the upload it stored.
    let msg = chat
        .send_file(
            alice,
            room.id,
            upload("notes.txt", png.clone()),
            SendMessage::default(),
        )
        .await
        .unwrap();
    assert_eq!(msg.kind, crate::MessageKind::Image);
    let att = msg.attachment.clone().unwrap();
    assert_eq!(att.content_type, "image/png");
    let fid: FileId = att.blob_id.parse().unwrap();
    let view = chat.open_file(alice, fid).await.unwrap();
    assert!(view.inline);
    assert_eq!(view.bytes, png);
    assert!(matches!(
        chat.open_file(bob, fid).await,
        Err(Error::NotFound(_))
    ));
    chat.delete_message(alice, msg.id).await.unwrap();
    assert!(matches!(
        chat.open_file(alice, fid).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        chat.blobs()
            .get(&format!("files/{fid}"))
            .await
            .unwrap()
            .is_none()
    );
}

/// Deleting a room takes its files' bytes with it (attachments and its avatar);
/// deleting an account takes the user's own (their avatar and what they sent), and
/// leaves everyone else's.
pub async fn files_go_with_their_room_and_their_uploader(store: Arc<dyn Store>) {
    let (chat, _, _) = chat_with_clock(store.clone(), false);
    let alice = register_with_email(&chat, "alice").await;
    let bob = register_with_email(&chat, "bob").await;
    let png = Bytes::from_static(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
    let upload = |name: &str| FileUpload {
        name: name.into(),
        bytes: png.clone(),
    };
    let id_in = |url: Option<String>| -> FileId {
        let url = url.unwrap();
        url.rsplit_once("/files/").unwrap().1.parse().unwrap()
    };
    let kept = chat
        .create_room(alice, crate::NewRoom::new(crate::RoomKind::Public, "kept"))
        .await
        .unwrap()
        .id;
    let doomed = chat
        .create_room(
            alice,
            crate::NewRoom::new(crate::RoomKind::Public, "doomed"),
        )
        .await
        .unwrap()
        .id;
    for room in [kept, doomed] {
        chat.join_room(bob, room, None).await.unwrap();
    }
    let attachment = async |user, room, name: &str| -> FileId {
        let sent = chat.send_file(user, room, upload(name), SendMessage::default());
        let blob_id = sent.await.unwrap().attachment.unwrap().blob_id;
        blob_id.parse().unwrap()
    };
    let alice_kept = attachment(alice, kept, "a.png").await;
    let bob_kept = attachment(bob, kept, "b.png").await;
    let alice_doomed = attachment(alice, doomed, "c.png").await;
    let bob_doomed = attachment(bob, doomed, "d.png").await;
    let room_avatar = chat.set_room_avatar(alice, doomed, upload("room.png"), "/api");
    let room_avatar = id_in(room_avatar.await.unwrap().avatar_url);
    let bob_avatar = chat.set_avatar(bob, upload("me.png"), "/api");
    let bob_avatar = id_in(bob_avatar.await.unwrap().user.avatar_url);
    let stored = async |ids: &[FileId]| -> Vec<bool> {
        let mut out = Vec::new();
        for id in ids {
            let bytes = chat.blobs().get(&format!("files/{id}")).await.unwrap();
            let record = store.get_file(*id).await.unwrap().unwrap();
            // The bytes and the record go together.
            assert_eq!(bytes.is_some(), record.deleted_at.is_none(), "{id}");
            out.push(bytes.is_some());
        }
        out
    };
    let all = [
        alice_kept,
        bob_kept,
        alice_doomed,
        bob_doomed,
        room_avatar,
        bob_avatar,
    ];
    assert_eq!(stored(&all).await, [true; 6]);

    // The room goes: its attachments (whoever sent them) and its avatar go with it.
    chat.delete_room(alice, doomed).await.unwrap();
    assert_eq!(stored(&all).await, [true, true, false, false, false, true]);

    // Bob's account goes: his attachment and his avatar go; Alice's stays readable.
    chat.delete_account(bob, Some("correct horse battery"))
        .await
        .unwrap();
    assert_eq!(
        stored(&all).await,
        [true, false, false, false, false, false]
    );
    assert!(matches!(
        chat.open_file(alice, bob_kept).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(chat.open_file(alice, alice_kept).await.unwrap().bytes, png);
}
