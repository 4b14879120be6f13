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
    let lib_doc = chatcore_axum::openapi_document(&chatcore::Limits::default());
    assert_eq!(operations(&lib_doc), documented);

    // Walk the live router: every documented operation is routed (not the 404/405
    // fallbacks). Unauthenticated, protected routes answer 401 before doing anything.
    for (method, path) in &documented {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = s.call(None, m, &concrete(path), None).await;
        let expect = match (method.as_str(), path.as_str()) {
            ("GET", "/openapi.json" | "/auth/options") => 200,
            // The body is read first: `display_name` is missing.
            ("POST", "/auth/guest") => 422,
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
/// missing required field, values in their `enum`, recursively through `$ref`,
/// arrays, `allOf` (every part), and `oneOf`/`anyOf` (some option).
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if !target.is_object() {
            return Err(format!("{at}: no schema {name}"));
        }
        return check(doc, target, value, &format!("{at}<{name}>"));
    }
    if let Some(parts) = schema["allOf"].as_array() {
        // The parts together document the object's fields.
        let mut merged = serde_json::Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = resolve(doc, part);
            merged.extend(part["properties"].as_object().cloned().unwrap_or_default());
            required.extend(part["required"].as_array().cloned().unwrap_or_default());
        }
        let whole = json!({"type": "object", "properties": merged, "required": required});
        return check(doc, &whole, value, at);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let errors: Vec<String> = options
                .iter()
                .filter_map(|o| check(doc, o, value, at).err())
                .collect();
            if errors.len() == options.len() {
                return Err(format!("{at}: no option of {key} fits: {errors:?}"));
            }
            return Ok(());
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if value.is_null() {
        return if types.is_empty() || types.contains(&"null") {
            Ok(())
        } else {
            Err(format!("{at}: null where {types:?} is documented"))
        };
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} not in {values:?}"));
    }
    if let Some(items) = schema.get("items") {
        let Some(array) = value.as_array() else {
            return Err(format!("{at}: not an array: {value}"));
        };
        for (i, v) in array.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"))?;
        }
        return Ok(());
    }
    if let Some(props) = schema["properties"].as_object() {
        let Some(obj) = value.as_object() else {
            return Err(format!("{at}: not an object: {value}"));
        };
        for (k, v) in obj {
            let Some(p) = props.get(k) else {
                return Err(format!("{at}: field `{k}` is not documented"));
            };
            check(doc, p, v, &format!("{at}.{k}"))?;
        }
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                return Err(format!("{at}: required `{req}` missing in {value}"));
            }
        }
    }
    Ok(())
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Err(e) = check(doc, schema, value, at) {
        panic!("{e}");
    }
}

fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    let s = &doc["paths"][path][method.to_lowercase()]["responses"][status]["content"]["application/json"]
        ["schema"];
    assert!(s.is_object(), "{method} {path} {status} has no schema");
    s
}

async fn served_document(s: &Server) -> Value {
    let r = s.http.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn openapi_schemas_match_real_responses() {
    let s = Server::start().await;
    let doc = served_document(&s).await;
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
            Some(json!({"username": "alice", "password": "tulip radar canyon", "email": "a@example.com"})),
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

/// Every string in the document that still names a rule marker.
fn markers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("chatcore:") => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| markers(v, out)),
        Value::Object(o) => o.values().for_each(|v| markers(v, out)),
        _ => {}
    }
}

/// The document states the limits the server enforces, taken from the limits in
/// force, and the server holds to what it states on both sides of each bound.
#[tokio::test]
async fn the_document_states_the_limits_in_force_and_the_server_keeps_them() {
    let setup = common::Setup {
        limits: chatcore::Limits {
            max_name_chars: 10,
            password_min_chars: 9,
            history_page_max: 5,
            max_members_per_room: 30,
            ..chatcore::Limits::without_rate_limits()
        },
        ..common::Setup::default()
    };
    let s = Server::start_with(setup).await;
    let doc = served_document(&s).await;
    let mut left = Vec::new();
    markers(&doc, &mut left);
    assert!(left.is_empty(), "rule markers left: {left:?}");

    let schemas = &doc["components"]["schemas"];
    let name = &schemas["NewRoom"]["properties"]["name"];
    assert_eq!(name["maxLength"], 10);
    assert_eq!(
        schemas["Register"]["properties"]["password"]["minLength"],
        9
    );
    assert_eq!(
        schemas["Register"]["properties"]["username"]["maxLength"],
        chatcore::Username::MAX_LEN
    );
    assert_eq!(
        schemas["NewRoom"]["properties"]["max_members"]["anyOf"][1]["maximum"],
        30
    );
    assert_eq!(
        schemas["RoomUpdate"]["properties"]["slow_mode_secs"]["maximum"],
        chatcore::Limits::MAX_SLOW_MODE_SECS
    );
    let history = doc["paths"]["/rooms/{id}/messages"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(history["schema"]["maximum"], 5);
    assert_eq!(history["schema"]["minimum"], 1);
    // Bodies whose every field is optional may be left out (read as `{}`).
    assert_eq!(
        doc["paths"]["/me"]["patch"]["requestBody"]["required"],
        false
    );
    assert_ne!(
        doc["paths"]["/rooms"]["post"]["requestBody"]["required"],
        false
    );

    // The server agrees with each bound the document states.
    let pattern = regex::Regex::new(name["pattern"].as_str().unwrap()).unwrap();
    let alice = s.register("alice").await;
    for (room_name, ok) in [
        ("x".repeat(10), true),
        ("x".repeat(11), false),
        ("  ".into(), false),
        ("a\u{7}b".into(), false),
    ] {
        let documented = pattern.is_match(&room_name) && room_name.chars().count() <= 10;
        assert_eq!(documented, ok, "{room_name:?}");
        let r = s
            .post(
                &alice,
                "/rooms",
                json!({"kind": "public", "name": room_name}),
            )
            .await;
        assert_eq!(
            r.status == 201,
            ok,
            "{room_name:?}: {} {}",
            r.status,
            r.body
        );
    }
    let r = s
        .post(&alice, "/rooms", json!({"kind": "direct", "name": "d"}))
        .await;
    r.assert_error(422, "invalid_input");
    let room = s.room(&alice, "public", "R").await;
    for (limit, status) in [(5, 200), (6, 422), (0, 422), (1, 200)] {
        let r = s
            .get(&alice, &format!("/rooms/{room}/messages?limit={limit}"))
            .await;
        assert_eq!(r.status, status, "limit={limit}: {}", r.body);
    }
    for (limit, status) in [(100, 200), (101, 422), (0, 422)] {
        let r = s.get(&alice, &format!("/rooms?limit={limit}")).await;
        assert_eq!(r.status, status, "limit={limit}: {}", r.body);
    }
    for (max, status) in [(0, 201), (1, 422), (2, 201), (30, 201), (31, 422)] {
        let r = s
            .post(
                &alice,
                "/rooms",
                json!({"kind": "public", "name": format!("m{max}"), "max_members": max}),
            )
            .await;
        assert_eq!(r.status, status, "max_members={max}: {}", r.body);
    }
    let r = s
        .post(
            &alice,
            "/direct",
            json!({"user_id": alice.id, "username": "alice"}),
        )
        .await;
    r.assert_error(422, "invalid_input");
    let r = s.call(Some(&alice), Method::PATCH, "/me", None).await;
    assert_eq!(r.status, 200, "an empty PATCH changes nothing: {}", r.body);
}
