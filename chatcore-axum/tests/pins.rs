//! Pins end to end: a moderator pins over REST, a member sees it live (the event and
//! the system message) and in the list; a member may not pin.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_pins_and_a_member_sees_it() {
    let s = Server::start().await;
    let owner = s.register("olga").await;
    let moder = s.register("mona").await;
    let member = s.register("mike").await;
    let room = s.room(&owner, "public", "General").await;
    s.join(&moder, &room).await;
    s.join(&member, &room).await;
    let r = s
        .call(
            Some(&owner),
            Method::PUT,
            &format!("/rooms/{room}/members/{}/role", moder.id),
            Some(json!({"role": "moderator"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let msg = s.send(&member, &room, "meeting at 3").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ws = s.ws(&member).await;
    let path = format!("/messages/{msg}/pin");
    s.call(Some(&member), Method::PUT, &path, None)
        .await
        .assert_error(403, "forbidden");
    let r = s.call(Some(&moder), Method::PUT, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.body);

    let ev = ws.next_of(&["message_pinned"]).await;
    assert_eq!(ev["message_id"], json!(msg));
    assert_eq!(ev["by"], json!(moder.id));
    let sys = ws.next_of(&["message_created"]).await;
    assert_eq!(
        sys["message"]["system"],
        json!({"event": "pinned", "message": msg, "by": moder.id})
    );

    let pins = s.get(&member, &format!("/rooms/{room}/pins")).await;
    assert_eq!(pins.status, 200);
    assert_eq!(pins.body[0]["message"]["body"], "meeting at 3");
    assert_eq!(pins.body[0]["pinned_by"], json!(moder.id));

    let ack = ws
        .request(1, json!({"type": "unpin", "message": msg}))
        .await;
    assert_eq!(ack["code"], "forbidden", "members do not unpin: {ack}");
    let r = s.call(Some(&owner), Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204);
    ws.next_of(&["message_unpinned"]).await;
    let pins = s.get(&member, &format!("/rooms/{room}/pins")).await;
    assert_eq!(pins.body, json!([]));
}
