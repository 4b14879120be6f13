//! Run with `cargo run -p embed-minimal` and open <http://127.0.0.1:3001>.
//! An axum app with its own (toy) login mounts chatcore under `/chat`; its users enter
//! chatcore through the `Authenticator` hook (chatcore's password login is off).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{HeaderMap, header, request::Parts};
use axum::response::{Html, IntoResponse, Redirect};
use axum::{Form, Router, routing::get, routing::post};
use chatcore::{Chat, ExternalUser, MemoryStore};
use chatcore_axum::{Actor, Authenticator, ChatConfig, ChatState};

fn valid(name: &str) -> bool {
    (3..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The host app's session: a cookie `app_user=<name>` (a toy: real apps sign it).
fn app_user(headers: &HeaderMap) -> Option<String> {
    let name = chatcore_axum::cookie(headers, "app_user")?;
    valid(name).then(|| name.to_owned())
}

/// Maps the host app's logged-in user to a chatcore user (created on first use).
struct AppAuth;

#[async_trait]
impl Authenticator for AppAuth {
    async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>> {
        let Some(name) = app_user(&parts.headers) else {
            return Ok(None);
        };
        let external_id = format!("embed-minimal:{name}");
        let ext = ExternalUser {
            external_id,
            username: name,
            display_name: None,
        };
        Ok(Some(Actor::host(chat.ensure_external_user(ext).await?.id)))
    }
}

async fn home(headers: HeaderMap) -> Html<String> {
    Html(match app_user(&headers) {
        // `name` is ASCII letters and digits only (checked by `valid`): safe in HTML.
        Some(name) => format!(
            "<p>Hello {name}! Chat API: <a href=/chat/me>/chat/me</a>, \
             <a href=/chat/me/rooms>/chat/me/rooms</a>, WebSocket /chat/ws</p>\
             <form method=post action=/login><button>Log out</button></form>"
        ),
        None => "<form method=post action=/login><input name=name pattern='[A-Za-z0-9]{3,32}' \
                 placeholder='your name' required> <button>Log in</button></form>"
            .to_owned(),
    })
}

/// Sets (or, with an invalid or empty name, clears) the host app's session cookie.
async fn login(Form(mut form): Form<HashMap<String, String>>) -> impl IntoResponse {
    let name = form.remove("name").filter(|n| valid(n)).unwrap_or_default();
    let age = if name.is_empty() { "; Max-Age=0" } else { "" };
    let cookie = format!("app_user={name}; Path=/; HttpOnly; SameSite=Lax{age}");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut config = ChatConfig::default();
    config.password_auth = false; // the host app owns authentication
    let chat = Chat::new(Arc::new(MemoryStore::new()));
    let state = ChatState::builder(chat)
        .config(config)
        .authenticator(AppAuth)
        .build();
    let app = Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .nest("/chat", chatcore_axum::router(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("embed-minimal on http://127.0.0.1:3001");
    axum::serve(listener, app).await
}
