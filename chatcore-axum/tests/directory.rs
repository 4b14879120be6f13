//! News from outside one's rooms, through the real router and WebSocket: public rooms
//! announced to every connected user (never private ones), and profile changes to the
//! people who share a room with the user (never to others).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, Ws};
use reqwest::Method;
use serde_json::{Value, json};

/// Events until the first of `ty` (included).
async fn until_type(ws: &mut Ws, ty: &str) -> Vec<Value> {
    ws.until(|e| e["type"] == ty).await
}

#[tokio::test]
async fn public_rooms_are_announced_to_everyone_and_private_rooms_to_no_outsider() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mut bob_ws = s.ws(&bob).await;
    bob_ws.request(1, json!({"type": "ping"})).await;

    // A private room: created, renamed, deleted. Bob is no member: he hears nothing.
    let private = s.room(&alice, "private", "secret plans").await;
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/rooms/{private}"),
            Some(json!({"name": "still secret"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/rooms/{private}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);

    // A public room: everyone connected hears of it, as a non-member sees it.
    let public = s.room(&alice, "public", "lobby").await;
    let seen = until_type(&mut bob_ws, "public_room_created").await;
    for ev in &seen {
        assert!(
            !ev.to_string().contains(&private),
            "bob heard of the private room: {ev}"
        );
    }
    let created = seen.last().unwrap();
    assert_eq!(created["room"]["id"], public.as_str());
    assert_eq!(created["room"]["name"], "lobby");
    assert_eq!(created["room"]["my_role"], Value::Null);
    assert_eq!(created["room"]["code"], Value::Null);
    assert_eq!(created["room"]["permissions"], Value::Null);

    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/rooms/{public}"),
            Some(json!({"description": "all welcome"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let updated = bob_ws.next_of(&["public_room_updated"]).await;
    assert_eq!(updated["room"]["id"], public.as_str());
    assert_eq!(updated["room"]["description"], "all welcome");

    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/rooms/{public}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let deleted = bob_ws.next_of(&["public_room_deleted"]).await;
    assert_eq!(deleted["room"], public.as_str());
}

#[tokio::test]
async fn a_profile_change_reaches_those_who_share_a_room_and_no_one_else() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let room = s.room(&alice, "public", "general").await;
    s.join(&bob, &room).await;
    let mut bob_ws = s.ws(&bob).await;
    let mut carol_ws = s.ws(&carol).await;
    bob_ws.request(1, json!({"type": "ping"})).await;
    carol_ws.request(1, json!({"type": "ping"})).await;

    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            "/me",
            Some(json!({"display_name": "Alice Liddell"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ev = bob_ws.next_of(&["user_updated"]).await;
    assert_eq!(ev["room"], room.as_str());
    assert_eq!(ev["user"]["id"], alice.id.as_str());
    assert_eq!(ev["user"]["display_name"], "Alice Liddell");
    assert!(ev["user"].get("email").is_none(), "no private field: {ev}");

    // Carol shares no room with alice: up to a later event she does get, nothing
    // about alice's profile.
    s.room(&bob, "public", "marker").await;
    for ev in until_type(&mut carol_ws, "public_room_created").await {
        assert_ne!(
            ev["type"], "user_updated",
            "carol heard of alice's profile: {ev}"
        );
    }
}
