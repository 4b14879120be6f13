//! The OpenAPI document covers every route of the live router, and its schemas
//! describe what the server really sends.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{ROUTES, Server};
use reqwest::Method;
use serde_json::{Value, json};

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in [
            "get", "post", "put", "patch", "delete", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Fill path parameters with values of the right shape.
fn concrete(path: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    path.replace("{username}", "nobody")
        .replace("{id}", &id)
        .replace("{room_id}", &id)
        .replace("{user_id}", &id)
}

#[tokio::test]
async fn the_document_lists_every_route_and_every_listed_route_is_served() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Paths are relative to the mount point, which the document names.
    assert_eq!(doc["servers"][0]["url"], "/chat");

    let documented = operations(&doc);
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not expected"
    );
    assert_eq!(
        expected.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "expected but not documented"
    );
    // The library's own copy is the same document.
    let lib_doc = serde_json::to_value(chatcore_axum::openapi_document()).unwrap();
    assert_eq!(operations(&lib_doc), documented);

    // Walk the live router: every documented operation is routed (not the 404/405
    // fallbacks). Unauthenticated, protected routes answer 401 before doing anything.
    for (method, path) in &documented {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = s.call(None, m, &concrete(path), None).await;
        let expect = match (method.as_str(), path.as_str()) {
            ("GET", "/openapi.json") => 200,
            (
                "POST",
                "/auth/register"
                | "/auth/login"
                | "/auth/verify-email"
                | "/auth/password-reset/request"
                | "/auth/password-reset",
            ) => 422,
            ("GET", "/ws") => 400,
            _ => 401,
        };
        assert_eq!(r.status, expect, "{method} {path}: {}", r.body);
    }

    // Every operation documents its failures with the one error shape.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path}");
            assert!(responses.contains_key("400"), "{method} {path}");
            if method != "get" {
                assert!(responses.contains_key("403"), "{method} {path}");
            }
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["session_cookie"].is_object());
}

/// Check a JSON value against a schema of the document: no undocumented field, no
/// missing required field, recursively through `$ref`, arrays and nullable `oneOf`.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if value.is_null() {
        return;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{at}: no schema {name}");
        return conforms(doc, target, value, &format!("{at}<{name}>"));
    }
    if let Some(options) = schema["oneOf"].as_array() {
        for o in options {
            if o["type"] != "null" {
                conforms(doc, o, value, at);
            }
        }
        return;
    }
    if let Some(values) = schema["enum"].as_array() {
        assert!(values.contains(value), "{at}: {value} not in {values:?}");
        return;
    }
    if let Some(items) = schema.get("items") {
        for (i, v) in value.as_array().expect("an array").iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"));
        }
        return;
    }
    if let Some(props) = schema["properties"].as_object() {
        let obj = value
            .as_object()
            .unwrap_or_else(|| panic!("{at}: not an object: {value}"));
        for (k, v) in obj {
            let p = props
                .get(k)
                .unwrap_or_else(|| panic!("{at}: field `{k}` is not documented"));
            conforms(doc, p, v, &format!("{at}.{k}"));
        }
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            assert!(
                obj.contains_key(req),
                "{at}: required `{req}` missing in {value}"
            );
        }
    }
}

fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    let s = &doc["paths"][path][method.to_lowercase()]["responses"][status]["content"]["application/json"]
        ["schema"];
    assert!(s.is_object(), "{method} {path} {status} has no schema");
    s
}

#[tokio::test]
async fn openapi_schemas_match_real_responses() {
    let s = Server::start().await;
    let doc: Value = s
        .http
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let check = |method: &str, path: &str, status: &str, body: &Value| {
        conforms(
            &doc,
            response_schema(&doc, method, path, status),
            body,
            &format!("{method} {path}"),
        );
    };

    let reg = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "alice", "password": "password123", "email": "a@example.com"})),
        )
        .await;
    check("POST", "/auth/register", "201", &reg.body);
    let alice = common::User {
        id: reg.body["user"]["id"].as_str().unwrap().to_owned(),
        name: "alice".into(),
        token: reg.body["token"].as_str().unwrap().to_owned(),
    };
    let bob = s.register("bob").await;
    check("GET", "/me", "200", &s.get(&alice, "/me").await.body);
    check(
        "GET",
        "/users/{id}",
        "200",
        &s.get(&alice, &format!("/users/{}", bob.id)).await.body,
    );
    check(
        "GET",
        "/auth/sessions",
        "200",
        &s.get(&alice, "/auth/sessions").await.body,
    );

    let private = s
        .post(&alice, "/rooms", json!({"kind": "private", "name": "P"}))
        .await;
    check("POST", "/rooms", "201", &private.body);
    let private = private.body["id"].as_str().unwrap().to_owned();
    let public = s.room(&alice, "public", "Pub").await;
    s.join(&bob, &public).await;
    let dm = s.post(&alice, "/direct", json!({"user_id": bob.id})).await;
    check("POST", "/direct", "200", &dm.body);
    assert_eq!(dm.body["peer"]["id"], json!(bob.id));

    check(
        "GET",
        "/rooms/{id}",
        "200",
        &s.get(&alice, &format!("/rooms/{private}")).await.body,
    );
    check("GET", "/rooms", "200", &s.get(&alice, "/rooms").await.body);
    check(
        "GET",
        "/me/rooms",
        "200",
        &s.get(&alice, "/me/rooms").await.body,
    );
    check(
        "GET",
        "/rooms/{id}/members",
        "200",
        &s.get(&alice, &format!("/rooms/{public}/members"))
            .await
            .body,
    );
    check(
        "GET",
        "/rooms/{id}/code",
        "200",
        &s.get(&alice, &format!("/rooms/{private}/code")).await.body,
    );

    let first = s.send(&alice, &public, "hello").await;
    check("POST", "/rooms/{id}/messages", "201", &first);
    let reply = s
        .post(
            &bob,
            &format!("/rooms/{public}/messages"),
            json!({"body": "hi", "reply_to": first["id"], "nonce": "n1"}),
        )
        .await;
    check("POST", "/rooms/{id}/messages", "201", &reply.body);
    let page = s.get(&bob, &format!("/rooms/{public}/messages")).await;
    check("GET", "/rooms/{id}/messages", "200", &page.body);
    // System messages (room created, joined) are in the page too.
    assert!(
        page.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "system")
    );

    let carol = s.register("carol").await;
    let ban = s
        .post(
            &alice,
            &format!("/rooms/{public}/bans"),
            json!({"user_id": carol.id, "reason": "spam", "expires_at": "2100-01-01T00:00:00Z"}),
        )
        .await;
    check("POST", "/rooms/{id}/bans", "201", &ban.body);
    check(
        "GET",
        "/rooms/{id}/bans",
        "200",
        &s.get(&alice, &format!("/rooms/{public}/bans")).await.body,
    );
    let r = s
        .post(
            &alice,
            &format!("/rooms/{private}/invites"),
            json!({"user_id": carol.id}),
        )
        .await;
    assert_eq!(r.status, 204);
    let invites = s.get(&carol, "/me/invites").await;
    check("GET", "/me/invites", "200", &invites.body);
    assert_eq!(invites.body[0]["room_name"], "P");

    // Errors match ErrorBody.
    let err = s
        .get(&alice, &format!("/rooms/{}", uuid::Uuid::new_v4()))
        .await;
    check("GET", "/rooms/{id}", "404", &err.body);
}
