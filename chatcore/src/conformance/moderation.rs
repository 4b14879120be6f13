//! Conformance cases of the moderation tools: reports and their resolution, the
//! moderation log, timeouts and user blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use super::{assert_conflict, chat, register, room, say};
use crate::error::{Conflict, Error};
use crate::ids::{RoomId, UserId};
use crate::model::{ModAction, ReportResolution, Role, RoomKind};
use crate::store::Store;
use crate::{Chat, SendMessage};

/// A service whose clock the test moves (`offset` seconds ahead of now).
fn clocked(store: Arc<dyn Store>) -> (Chat, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let chat = Chat::builder(store)
        .limits(crate::Limits::without_rate_limits())
        .clock(move || chrono::Utc::now() + chrono::Duration::seconds(o.load(Ordering::SeqCst)))
        .build();
    (chat, offset)
}

/// A public room of `owner` with `moderator` (role moderator) and `members`.
async fn moderated(chat: &Chat, owner: UserId, moderator: UserId, members: &[UserId]) -> RoomId {
    let r = room(chat, owner, RoomKind::Public, "general").await.id;
    chat.join_room(moderator, r, None).await.unwrap();
    chat.set_role(owner, r, moderator, Role::Moderator)
        .await
        .unwrap();
    for m in members {
        chat.join_room(*m, r, None).await.unwrap();
    }
    r
}

fn send(body: &str) -> SendMessage {
    SendMessage {
        body: body.into(),
        ..Default::default()
    }
}

pub async fn reports_one_open_per_reporter_and_the_queue(store: Arc<dyn Store>) {
    let chat = chat(store);
    let owner = register(&chat, "owner").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let alice = register(&chat, "alice").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let admin = register(&chat, "siteadmin").await.user.id;
    chat.grant_site_admin("siteadmin").await.unwrap();
    let r = moderated(&chat, owner, moder, &[alice, bob]).await;
    let msg = say(&chat, bob, r, "rude words").await;
    let report = chat.report_message(alice, msg.id, " spam ").await.unwrap();
    assert_eq!(report.reason, "spam");
    assert_eq!(
        (report.author, report.body.as_str()),
        (Some(bob), "rude words")
    );
    assert_conflict(
        chat.report_message(alice, msg.id, "again").await,
        Conflict::ReportOpen,
    );
    // Bad input and who may report.
    assert!(matches!(
        chat.report_message(alice, msg.id, "  ").await,
        Err(Error::Invalid { .. })
    ));
    let long = "x".repeat(chat.limits().max_report_reason_chars + 1);
    assert!(matches!(
        chat.report_message(moder, msg.id, &long).await,
        Err(Error::TooLarge { .. } | Error::Invalid { .. })
    ));
    assert!(matches!(
        chat.report_message(bob, msg.id, "mine").await,
        Err(Error::Invalid { .. })
    ));
    assert!(
        chat.report_message(admin, msg.id, "not a member")
            .await
            .is_err()
    );
    // Another reporter may report the same message.
    chat.report_message(moder, msg.id, "also").await.unwrap();
    // The queue: moderators and up and site administrators, newest first.
    assert!(matches!(
        chat.list_reports(alice, r, true, None, 10).await,
        Err(Error::Forbidden(_))
    ));
    for who in [moder, owner, admin] {
        let q = chat.list_reports(who, r, true, None, 10).await.unwrap();
        assert_eq!(q.len(), 2, "{who:?}");
        assert!(q[0].id > q[1].id, "newest first");
    }
    let all = chat.admin_reports(admin, true, None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(chat.admin_reports(moder, true, None, 10).await.is_err());
    // Dismissed: closed, and the reporter may report again.
    let closed = chat
        .resolve_report(moder, report.id, ReportResolution::Dismiss, "")
        .await
        .unwrap();
    assert_eq!(closed.resolution, Some(ReportResolution::Dismiss));
    assert_eq!(
        chat.list_reports(moder, r, true, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        chat.list_reports(moder, r, false, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    chat.report_message(alice, msg.id, "still rude")
        .await
        .unwrap();
    assert_conflict(
        chat.resolve_report(moder, report.id, ReportResolution::Dismiss, "")
            .await,
        Conflict::Concurrent,
    );
    // A member cannot resolve (the report is not found for them).
    let open = chat.list_reports(moder, r, true, None, 10).await.unwrap();
    assert!(matches!(
        chat.resolve_report(alice, open[0].id, ReportResolution::Dismiss, "")
            .await,
        Err(Error::NotFound(_))
    ));
}

pub async fn reports_resolutions_delete_kick_ban(store: Arc<dyn Store>) {
    let chat = chat(store);
    let owner = register(&chat, "owner").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let alice = register(&chat, "alice").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let admin = register(&chat, "siteadmin").await.user.id;
    chat.grant_site_admin("siteadmin").await.unwrap();
    let r = moderated(&chat, owner, moder, &[alice, bob]).await;
    // Delete the message.
    let m1 = say(&chat, bob, r, "one").await;
    let rep = chat.report_message(alice, m1.id, "bad").await.unwrap();
    chat.resolve_report(moder, rep.id, ReportResolution::DeleteMessage, "")
        .await
        .unwrap();
    let stored = chat.store().get_message(m1.id).await.unwrap().unwrap();
    assert!(stored.deleted_at.is_some());
    // A moderator may not act on a peer: refused, and the report stays open.
    let m2 = say(&chat, moder, r, "two").await;
    let rep2 = chat.report_message(alice, m2.id, "bad").await.unwrap();
    let other = register(&chat, "othermod").await.user.id;
    chat.join_room(other, r, None).await.unwrap();
    chat.set_role(owner, r, other, Role::Moderator)
        .await
        .unwrap();
    assert!(matches!(
        chat.resolve_report(other, rep2.id, ReportResolution::Kick, "")
            .await,
        Err(Error::Forbidden(_))
    ));
    assert!(
        chat.store()
            .get_report(rep2.id)
            .await
            .unwrap()
            .unwrap()
            .is_open()
    );
    // Kick by a site administrator who is not a member.
    let m3 = say(&chat, bob, r, "three").await;
    let rep3 = chat.report_message(alice, m3.id, "bad").await.unwrap();
    chat.resolve_report(admin, rep3.id, ReportResolution::Kick, "")
        .await
        .unwrap();
    assert!(chat.store().get_member(r, bob).await.unwrap().is_none());
    // Ban with a reason: cannot join again.
    chat.join_room(bob, r, None).await.unwrap();
    let m4 = say(&chat, bob, r, "four").await;
    let rep4 = chat.report_message(alice, m4.id, "bad").await.unwrap();
    chat.resolve_report(owner, rep4.id, ReportResolution::Ban, "repeat offender")
        .await
        .unwrap();
    assert!(matches!(
        chat.join_room(bob, r, None).await,
        Err(Error::Banned)
    ));
    let ban = chat.store().get_ban(r, bob).await.unwrap().unwrap();
    assert_eq!(ban.reason, "repeat offender");
    // The log has every resolution, newest first.
    let log = chat.room_audit(owner, r, None, 50).await.unwrap();
    let resolutions: Vec<&str> = log
        .iter()
        .filter(|e| e.action == ModAction::ResolveReport)
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(
        resolutions,
        ["ban: repeat offender", "kick", "delete_message"]
    );
}

pub async fn reports_racing_resolutions_act_once(store: Arc<dyn Store>) {
    let chat = chat(store);
    let owner = register(&chat, "owner").await.user.id;
    let m1 = register(&chat, "moder1").await.user.id;
    let m2 = register(&chat, "moder2").await.user.id;
    let alice = register(&chat, "alice").await.user.id;
    let r = moderated(&chat, owner, m1, &[alice]).await;
    chat.join_room(m2, r, None).await.unwrap();
    chat.set_role(owner, r, m2, Role::Moderator).await.unwrap();
    for trial in 0..10 {
        let bob = register(&chat, &format!("bob{trial}")).await.user.id;
        chat.join_room(bob, r, None).await.unwrap();
        let msg = say(&chat, bob, r, "spam").await;
        let rep = chat.report_message(alice, msg.id, "spam").await.unwrap();
        let (a, b) = tokio::join!(
            chat.resolve_report(m1, rep.id, ReportResolution::Kick, "one"),
            chat.resolve_report(m2, rep.id, ReportResolution::Ban, "two"),
        );
        let won = [a.is_ok(), b.is_ok()];
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "trial {trial}: {a:?} {b:?}"
        );
        let lost = if a.is_ok() { b } else { a };
        assert_conflict(lost, Conflict::Concurrent);
        // Exactly one action happened: kicked (no ban) or banned.
        let banned = chat.store().get_ban(r, bob).await.unwrap().is_some();
        assert_eq!(banned, won[1], "trial {trial}");
        let entries = chat
            .room_audit(owner, r, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == ModAction::ResolveReport && e.target_user == Some(bob))
            .count();
        assert_eq!(entries, 1, "trial {trial}: one log entry");
    }
}

pub async fn timeouts_mute_until_the_end_on_every_path(store: Arc<dyn Store>) {
    let (chat, offset) = clocked(store);
    let owner = register(&chat, "owner").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let r = moderated(&chat, owner, moder, &[bob]).await;
    // Sent once, so the send path has bob's access cached.
    let msg = say(&chat, owner, r, "hello").await;
    say(&chat, bob, r, "hi").await;
    let min = chat.limits().min_timeout;
    assert!(matches!(
        chat.timeout_member(moder, r, bob, min / 2, "").await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        chat.timeout_member(moder, r, bob, chat.limits().max_timeout * 2, "")
            .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        chat.timeout_member(bob, r, moder, min, "").await,
        Err(Error::Forbidden(_))
    ));
    let t = chat
        .timeout_member(moder, r, bob, Duration::from_secs(600), "calm down")
        .await
        .unwrap();
    let refused = |r: crate::Result<()>| match r {
        Err(Error::TimedOut { until }) => assert_eq!(until, t.until),
        other => panic!("expected timed_out, got {other:?}"),
    };
    refused(chat.send_message(bob, r, send("no")).await.map(|_| ()));
    refused(chat.add_reaction(bob, msg.id, "👍").await);
    refused(chat.typing(bob, r, true).await);
    // They still read; their view says until when.
    assert!(!super::texts(&chat, bob, r).await.is_empty());
    let rooms = chat.list_my_rooms(bob).await.unwrap();
    let view = rooms.iter().find(|v| v.id == r).unwrap();
    assert_eq!(view.muted_until, Some(t.until));
    // Leaving and joining again does not end it.
    chat.leave_room(bob, r).await.unwrap();
    chat.join_room(bob, r, None).await.unwrap();
    refused(chat.send_message(bob, r, send("no")).await.map(|_| ()));
    // It ends by itself.
    offset.store(601, Ordering::SeqCst);
    say(&chat, bob, r, "back").await;
    chat.add_reaction(bob, msg.id, "👍").await.unwrap();
    // Lifted early.
    offset.store(0, Ordering::SeqCst);
    chat.timeout_member(moder, r, bob, Duration::from_secs(600), "")
        .await
        .unwrap();
    chat.clear_timeout(moder, r, bob).await.unwrap();
    say(&chat, bob, r, "free").await;
    assert!(matches!(
        chat.clear_timeout(moder, r, bob).await,
        Err(Error::NotFound(_))
    ));
    let actions: Vec<ModAction> = chat
        .room_audit(owner, r, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .take(3)
        .collect();
    assert_eq!(
        actions,
        [
            ModAction::ClearTimeout,
            ModAction::Timeout,
            ModAction::Timeout
        ]
    );
}

pub async fn mod_log_records_who_what_whom(store: Arc<dyn Store>) {
    let chat = chat(store);
    let owner = register(&chat, "owner").await.user.id;
    let admin = register(&chat, "roomadmin").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let carol = register(&chat, "carol").await.user.id;
    let r = moderated(&chat, owner, moder, &[bob, carol, admin]).await;
    chat.set_role(owner, r, admin, Role::Admin).await.unwrap();
    let msg = say(&chat, bob, r, "hello").await;
    chat.pin_message(moder, msg.id).await.unwrap();
    chat.unpin_message(moder, msg.id).await.unwrap();
    chat.delete_message(moder, msg.id).await.unwrap();
    chat.kick(moder, r, carol).await.unwrap();
    chat.ban(moder, r, carol, "spam", None).await.unwrap();
    chat.unban(moder, r, carol).await.unwrap();
    chat.set_room_blocklist(admin, r, vec!["badword".into()])
        .await
        .unwrap();
    // Own deletions are no moderation.
    let own = say(&chat, bob, r, "mine").await;
    chat.delete_message(bob, own.id).await.unwrap();
    let log = chat.room_audit(admin, r, None, 50).await.unwrap();
    let got: Vec<(ModAction, Option<UserId>)> =
        log.iter().map(|e| (e.action, e.target_user)).collect();
    assert_eq!(
        got,
        [
            (ModAction::SetBlocklist, None),
            (ModAction::Unban, Some(carol)),
            (ModAction::Ban, Some(carol)),
            (ModAction::Kick, Some(carol)),
            (ModAction::DeleteMessage, Some(bob)),
            (ModAction::Unpin, None),
            (ModAction::Pin, None),
            (ModAction::SetRole, Some(admin)),
            (ModAction::SetRole, Some(moder)),
        ]
    );
    assert_eq!(log[2].reason, "spam");
    assert_eq!(log[2].actor, Some(moder));
    assert_eq!(log[4].target_message, Some(msg.id));
    // Pages.
    let first = chat.room_audit(owner, r, None, 4).await.unwrap();
    let next = chat
        .room_audit(owner, r, Some(first[3].id), 100)
        .await
        .unwrap();
    assert_eq!(first.len() + next.len(), log.len());
    assert_eq!(next[0].id, log[4].id);
    // Admins and owner only.
    for who in [moder, bob] {
        assert!(matches!(
            chat.room_audit(who, r, None, 10).await,
            Err(Error::Forbidden(_))
        ));
    }
}

pub async fn blocks_close_direct_rooms_both_ways(store: Arc<dyn Store>) {
    let chat = chat(store);
    let alice = register(&chat, "alice").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let carol = register(&chat, "carol").await.user.id;
    let dm = chat.open_direct(alice, bob).await.unwrap().id;
    say(&chat, bob, dm, "hi").await;
    assert!(chat.block_user(alice, bob).await.unwrap());
    assert!(!chat.block_user(alice, bob).await.unwrap(), "once");
    assert!(chat.block_user(alice, carol).await.unwrap());
    assert!(matches!(
        chat.block_user(alice, alice).await,
        Err(Error::Invalid { .. })
    ));
    let listed: Vec<UserId> = chat
        .list_blocks(alice)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.user_id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&bob) && listed.contains(&carol));
    assert!(chat.list_blocks(bob).await.unwrap().is_empty());
    // Neither writes nor opens the direct room; both still read it.
    for (a, b) in [(bob, alice), (alice, bob)] {
        assert!(matches!(
            chat.send_message(a, dm, send("x")).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            chat.open_direct(a, b).await,
            Err(Error::Forbidden(_))
        ));
        assert_eq!(super::texts(&chat, a, dm).await, ["hi"]);
    }
    // Group rooms are unaffected.
    let g = room(&chat, alice, RoomKind::Public, "g").await.id;
    chat.join_room(bob, g, None).await.unwrap();
    say(&chat, bob, g, "in a group").await;
    assert!(chat.unblock_user(alice, bob).await.unwrap());
    assert!(!chat.unblock_user(alice, bob).await.unwrap());
    say(&chat, bob, dm, "again").await;
    chat.open_direct(alice, bob).await.unwrap();
    // A deleted account's blocks go.
    chat.block_user(carol, alice).await.unwrap();
    chat.delete_account(carol, Some("correct horse battery"))
        .await
        .unwrap();
    assert!(chat.list_blocks(alice).await.unwrap().is_empty());
    assert!(!chat.store().blocked_between(alice, carol).await.unwrap());
}

pub async fn moderation_records_go_with_room_and_user(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "owner").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let alice = register(&chat, "alice").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let r = moderated(&chat, owner, moder, &[alice, bob]).await;
    let msg = say(&chat, bob, r, "x").await;
    let rep = chat.report_message(alice, msg.id, "bad").await.unwrap();
    chat.timeout_member(moder, r, bob, Duration::from_secs(600), "")
        .await
        .unwrap();
    // The reporter's account goes: the report stays, without them.
    chat.delete_account(alice, Some("correct horse battery"))
        .await
        .unwrap();
    let kept = store.get_report(rep.id).await.unwrap().unwrap();
    assert_eq!(kept.reporter, None);
    chat.delete_room(owner, r).await.unwrap();
    assert!(store.get_report(rep.id).await.unwrap().is_none());
    assert!(store.list_mod_log(r, None, 10).await.unwrap().is_empty());
    assert!(store.get_timeout(r, bob).await.unwrap().is_none());
}
