//! The moderation tools through the router: reports and the queue (with the live
//! `report_created` event), resolution, the room's moderation log, timeouts (with
//! `timed_out` on the next send and `muted_until` in the views) and blocks.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, User};
use reqwest::Method;
use serde_json::{Value, json};

async fn moderated(s: &Server) -> (User, User, User, User, String) {
    let owner = s.register("owner").await;
    let moder = s.register("moder").await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&owner, "public", "Town").await;
    for u in [&moder, &alice, &bob] {
        s.join(u, &room).await;
    }
    let r = s
        .call(
            Some(&owner),
            Method::PUT,
            &format!("/rooms/{room}/members/{}/role", moder.id),
            Some(json!({"role": "moderator"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    (owner, moder, alice, bob, room)
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_report_reaches_the_moderators_queue_live_and_is_resolved_once() {
    let s = Server::start().await;
    let (owner, moder, alice, bob, room) = moderated(&s).await;
    let mut m = s.ws(&moder).await;
    let mut a = s.ws(&alice).await;
    let msg = s.send(&bob, &room, "buy cheap pills").await;
    let mid = msg["id"].as_str().unwrap();
    let r = s
        .post(
            &alice,
            &format!("/messages/{mid}/report"),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let report = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["body"], "buy cheap pills");
    s.post(
        &alice,
        &format!("/messages/{mid}/report"),
        json!({"reason": "spam"}),
    )
    .await
    .assert_error(409, "report_open");
    s.post(
        &alice,
        &format!("/messages/{mid}/report"),
        json!({"reason": ""}),
    )
    .await
    .assert_error(422, "invalid_input");
    // Live to the moderator, not to members.
    let ev = m.next_of(&["report_created"]).await;
    assert_eq!(ev["report"]["id"], json!(report));
    assert_eq!(ev["report"]["reason"], "spam");
    // The queue: moderators yes, members no.
    let q = s.get(&moder, &format!("/rooms/{room}/reports")).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(ids(&q.body), std::slice::from_ref(&report));
    s.get(&alice, &format!("/rooms/{room}/reports"))
        .await
        .assert_error(403, "forbidden");
    s.post(
        &alice,
        &format!("/reports/{report}/resolve"),
        json!({"resolution": "dismiss"}),
    )
    .await
    .assert_error(404, "not_found");
    // Resolved with "delete the message": gone for everyone, the report closed.
    let r = s
        .post(
            &moder,
            &format!("/reports/{report}/resolve"),
            json!({"resolution": "delete_message", "reason": "spam"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["resolution"], "delete_message");
    let deleted = a.next_of(&["message_deleted"]).await;
    assert_eq!(deleted["message_id"], json!(mid));
    s.post(
        &owner,
        &format!("/reports/{report}/resolve"),
        json!({"resolution": "ban"}),
    )
    .await
    .assert_error(409, "concurrent_update");
    let q = s.get(&moder, &format!("/rooms/{room}/reports")).await;
    assert!(q.body.as_array().unwrap().is_empty(), "{}", q.body);
    let q = s
        .get(&moder, &format!("/rooms/{room}/reports?open=false"))
        .await;
    assert_eq!(ids(&q.body), std::slice::from_ref(&report));
    // In the moderation log, which the owner reads and the moderator does not.
    let log = s.get(&owner, &format!("/rooms/{room}/audit")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert_eq!(log.body[0]["action"], "resolve_report");
    assert_eq!(log.body[0]["actor"], json!(moder.id));
    assert_eq!(log.body[0]["target_user"], json!(bob.id));
    assert_eq!(log.body[0]["reason"], "delete_message: spam");
    s.get(&moder, &format!("/rooms/{room}/audit"))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn two_moderators_resolving_at_once_act_once() {
    let s = Server::start().await;
    let (owner, moder, alice, bob, room) = moderated(&s).await;
    let mid = s.send(&bob, &room, "spam").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = s
        .post(
            &alice,
            &format!("/messages/{mid}/report"),
            json!({"reason": "spam"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/reports/{report}/resolve");
    let (a, b) = tokio::join!(
        s.post(&moder, &path, json!({"resolution": "kick"})),
        s.post(&owner, &path, json!({"resolution": "ban", "reason": "x"})),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let bans = s.get(&owner, &format!("/rooms/{room}/bans")).await;
    let banned = !bans.body.as_array().unwrap().is_empty();
    assert_eq!(banned, b.status == 200, "only the winner acted");
    let log = s.get(&owner, &format!("/rooms/{room}/audit")).await;
    let resolutions = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "resolve_report")
        .count();
    assert_eq!(resolutions, 1);
}

#[tokio::test]
async fn a_timed_out_member_reads_but_cannot_write_and_is_told_until_when() {
    let s = Server::start().await;
    let (owner, moder, _alice, bob, room) = moderated(&s).await;
    // Bob sends first: the send path has his access cached.
    let mid = s.send(&owner, &room, "hello").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.send(&bob, &room, "hi").await;
    let mut b = s.ws(&bob).await;
    let path = format!("/rooms/{room}/members/{}/timeout", bob.id);
    s.call(
        Some(&moder),
        Method::PUT,
        &path,
        Some(json!({"duration_secs": 1})),
    )
    .await
    .assert_error(422, "invalid_input");
    s.call(
        Some(&bob),
        Method::PUT,
        &format!("/rooms/{room}/members/{}/timeout", moder.id),
        Some(json!({"duration_secs": 600})),
    )
    .await
    .assert_error(403, "forbidden");
    let r = s
        .call(
            Some(&moder),
            Method::PUT,
            &path,
            Some(json!({"duration_secs": 600, "reason": "cool off"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let until = r.body["until"].clone();
    let ev = b.next_of(&["timed_out"]).await;
    assert_eq!(ev["user"], json!(bob.id));
    assert_eq!(ev["until"], until);
    // REST and WebSocket refuse, with the code; reactions too.
    let r = s
        .post(
            &bob,
            &format!("/rooms/{room}/messages"),
            json!({"body": "x"}),
        )
        .await;
    r.assert_error(403, "timed_out");
    let reply = b
        .request(
            7,
            json!({"type": "send", "room": room, "nonce": "n1", "body": "x"}),
        )
        .await;
    assert_eq!(reply["code"], "timed_out", "{reply}");
    let r = s
        .call(
            Some(&bob),
            Method::PUT,
            &format!("/messages/{mid}/reactions/%F0%9F%91%8D"),
            None,
        )
        .await;
    r.assert_error(403, "timed_out");
    // Reading works; the room view carries the end time.
    assert_eq!(
        s.get(&bob, &format!("/rooms/{room}/messages")).await.status,
        200
    );
    let mine = s.get(&bob, "/me/rooms").await;
    let view = mine.body["public"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == json!(room))
        .unwrap()
        .clone();
    assert_eq!(view["muted_until"], until);
    let fresh = s.ws(&bob).await;
    assert_eq!(
        fresh.hello["timeouts"],
        json!([{"room": room, "until": until}])
    );
    // Lifted: writing works again at once.
    let r = s.call(Some(&moder), Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    s.send(&bob, &room, "back").await;
    let log = s.get(&owner, &format!("/rooms/{room}/audit")).await;
    assert_eq!(log.body[0]["action"], "clear_timeout");
    assert_eq!(log.body[1]["action"], "timeout");
}

#[tokio::test]
async fn blocking_closes_the_direct_room_both_ways() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let dm = s.post(&alice, "/direct", json!({"username": "bob"})).await;
    assert_eq!(dm.status, 200, "{}", dm.body);
    let dm = dm.body["id"].as_str().unwrap().to_owned();
    s.send(&bob, &dm, "hello").await;
    let r = s
        .call(
            Some(&alice),
            Method::POST,
            &format!("/me/blocks/{}", bob.id),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let list = s.get(&alice, "/me/blocks").await;
    assert_eq!(list.body[0]["user_id"], json!(bob.id));
    assert!(
        s.get(&bob, "/me/blocks")
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    for u in [&bob, &alice] {
        s.post(u, &format!("/rooms/{dm}/messages"), json!({"body": "x"}))
            .await
            .assert_error(403, "forbidden");
    }
    s.post(&bob, "/direct", json!({"username": "alice"}))
        .await
        .assert_error(403, "forbidden");
    s.call(
        Some(&alice),
        Method::POST,
        &format!("/me/blocks/{}", alice.id),
        None,
    )
    .await
    .assert_error(422, "invalid_input");
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/me/blocks/{}", bob.id),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    s.send(&bob, &dm, "again").await;
}

#[tokio::test]
async fn site_administrators_see_and_resolve_every_rooms_reports() {
    let s = Server::start().await;
    let (_owner, _moder, alice, bob, room) = moderated(&s).await;
    let admin = s.register("siteadmin").await;
    s.chat.grant_site_admin("siteadmin").await.unwrap();
    let mid = s.send(&bob, &room, "spam").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = s
        .post(
            &alice,
            &format!("/messages/{mid}/report"),
            json!({"reason": "spam"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = s.get(&admin, "/admin/reports").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(ids(&all.body), std::slice::from_ref(&report));
    s.get(&alice, "/admin/reports")
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        s.get(&admin, &format!("/rooms/{room}/reports"))
            .await
            .status,
        200
    );
    let r = s
        .post(
            &admin,
            &format!("/reports/{report}/resolve"),
            json!({"resolution": "kick"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let members = s.get(&alice, &format!("/rooms/{room}/members")).await;
    assert!(
        members
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user"]["id"] != json!(bob.id)),
        "bob kicked"
    );
}
