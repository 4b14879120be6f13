//! The REST API (docs/API.md) with a bearer token. Bodies are the server's own types
//! (`chatcore::protocol` views and `chatcore_axum::types`).

use chatcore::model::{Ban, Message};
use chatcore::protocol::InviteView;
use chatcore::protocol::{HistoryPage, MeView, MemberView, RoomView, UserView};
use chatcore::{MessageId, Role, RoomId, Seq, SessionId, UserId};
use chatcore::{NewRoom, Register};
use chatcore_axum::ErrorBody;
use chatcore_axum::types::{AuthResponse, CodeResponse, LoginRequest, MyRooms, SessionView};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// A file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name.
    pub name: String,
    /// Declared content type (the server sniffs the bytes anyway).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The REST client. Holds the session token once [`RestClient::login`] or
/// [`RestClient::register`] succeeded (or it was given).
#[derive(Debug, Clone)]
pub struct RestClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl RestClient {
    /// For the API mounted at `base` (e.g. `http://127.0.0.1:3000/api`).
    pub fn new(base: impl Into<String>) -> Self {
        let base: String = base.into();
        RestClient {
            base: base.trim_end_matches('/').to_owned(),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    /// Use this session token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The token in use.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The WebSocket URL of this API (`http://h/api` → `ws://h/api/ws`).
    pub fn ws_url(&self) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{base}/ws")
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-requested-with", "chatcore");
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let resp = req
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => Error::Server {
                    code: body.error.code,
                    message: body.error.message,
                    status: Some(status),
                    retry_after: body
                        .error
                        .retry_after_ms
                        .map(std::time::Duration::from_millis),
                },
                Err(_) => Error::Server {
                    code: format!("http_{status}"),
                    message: String::from_utf8_lossy(&bytes).into_owned(),
                    status: Some(status),
                    retry_after: None,
                },
            });
        }
        // 204: no body; read it as JSON null.
        let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(body).map_err(|e| Error::Transport(format!("bad answer: {e}")))
    }

    /// `method path` with an optional JSON body.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<T> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::GET, path, None::<&Value>).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn no_content(&self, method: Method, path: &str, body: Option<Value>) -> Result<()> {
        self.call::<Value>(method, path, body.as_ref())
            .await
            .map(drop)
    }

    // --- accounts and sessions

    /// `POST /auth/register`; keeps the token.
    pub async fn register(&mut self, username: &str, password: &str) -> Result<AuthResponse> {
        let body = Register {
            username: username.into(),
            password: password.into(),
            email: None,
            display_name: None,
        };
        let auth: AuthResponse = self.post("/auth/register", &body).await?;
        self.token = Some(auth.token.clone());
        Ok(auth)
    }

    /// `POST /auth/login`; keeps the token.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<AuthResponse> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
        };
        let auth: AuthResponse = self.post("/auth/login", &body).await?;
        self.token = Some(auth.token.clone());
        Ok(auth)
    }

    /// `POST /auth/logout`: this session ends (its sockets close with 4002).
    pub async fn logout(&self) -> Result<()> {
        self.no_content(Method::POST, "/auth/logout", None).await
    }

    /// `POST /auth/logout-all`: every session of the user ends.
    pub async fn logout_all(&self) -> Result<()> {
        self.no_content(Method::POST, "/auth/logout-all", None)
            .await
    }

    /// `GET /auth/sessions`.
    pub async fn sessions(&self) -> Result<Vec<SessionView>> {
        self.get("/auth/sessions").await
    }

    /// `DELETE /auth/sessions/{id}`.
    pub async fn revoke_session(&self, id: SessionId) -> Result<()> {
        self.no_content(Method::DELETE, &format!("/auth/sessions/{id}"), None)
            .await
    }

    /// `GET /me`.
    pub async fn me(&self) -> Result<MeView> {
        self.get("/me").await
    }

    /// `GET /users/by-name/{username}`.
    pub async fn user_by_name(&self, username: &str) -> Result<UserView> {
        self.get(&format!("/users/by-name/{username}")).await
    }

    // --- rooms and members

    /// `GET /me/rooms`.
    pub async fn my_rooms(&self) -> Result<MyRooms> {
        self.get("/me/rooms").await
    }

    /// `POST /rooms`.
    pub async fn create_room(&self, room: &NewRoom) -> Result<RoomView> {
        self.post("/rooms", room).await
    }

    /// `GET /rooms/{id}`.
    pub async fn room(&self, id: RoomId) -> Result<RoomView> {
        self.get(&format!("/rooms/{id}")).await
    }

    /// `POST /rooms/{id}/join`.
    pub async fn join_room(&self, id: RoomId, password: Option<&str>) -> Result<RoomView> {
        self.post(
            &format!("/rooms/{id}/join"),
            &json!({ "password": password }),
        )
        .await
    }

    /// `POST /rooms/join-by-code`.
    pub async fn join_by_code(&self, code: &str, password: Option<&str>) -> Result<RoomView> {
        self.post(
            "/rooms/join-by-code",
            &json!({ "code": code, "password": password }),
        )
        .await
    }

    /// `POST /rooms/{id}/leave`.
    pub async fn leave_room(&self, id: RoomId) -> Result<()> {
        self.no_content(Method::POST, &format!("/rooms/{id}/leave"), None)
            .await
    }

    /// `GET /rooms/{id}/members`.
    pub async fn members(&self, id: RoomId) -> Result<Vec<MemberView>> {
        self.get(&format!("/rooms/{id}/members")).await
    }

    /// `GET /rooms/{id}/code`.
    pub async fn code(&self, id: RoomId) -> Result<CodeResponse> {
        self.get(&format!("/rooms/{id}/code")).await
    }

    /// `POST /rooms/{id}/invites`.
    pub async fn invite(&self, id: RoomId, user: UserId) -> Result<()> {
        let body = json!({ "user_id": user });
        self.no_content(Method::POST, &format!("/rooms/{id}/invites"), Some(body))
            .await
    }

    /// `GET /me/invites`.
    pub async fn invites(&self) -> Result<Vec<InviteView>> {
        self.get("/me/invites").await
    }

    /// `PUT /rooms/{id}/members/{user}/role`.
    pub async fn set_role(&self, id: RoomId, user: UserId, role: Role) -> Result<()> {
        let path = format!("/rooms/{id}/members/{user}/role");
        self.no_content(Method::PUT, &path, Some(json!({ "role": role })))
            .await
    }

    /// `POST /rooms/{id}/members/{user}/kick`.
    pub async fn kick(&self, id: RoomId, user: UserId) -> Result<()> {
        let path = format!("/rooms/{id}/members/{user}/kick");
        self.no_content(Method::POST, &path, None).await
    }

    /// `POST /rooms/{id}/bans`.
    pub async fn ban(&self, id: RoomId, user: UserId, reason: &str) -> Result<Ban> {
        let body = json!({ "user_id": user, "reason": reason });
        self.post(&format!("/rooms/{id}/bans"), &body).await
    }

    // --- messages and files

    /// `GET /rooms/{id}/messages`: a page (`before` backwards, `after` forwards).
    pub async fn messages(
        &self,
        id: RoomId,
        before: Option<Seq>,
        after: Option<Seq>,
        limit: Option<u32>,
    ) -> Result<HistoryPage> {
        let mut q = Vec::new();
        if let Some(b) = before {
            q.push(format!("before={b}"));
        }
        if let Some(a) = after {
            q.push(format!("after={a}"));
        }
        if let Some(l) = limit {
            q.push(format!("limit={l}"));
        }
        let qs = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        self.get(&format!("/rooms/{id}/messages{qs}")).await
    }

    /// Every message of a room after `after`, paging forward.
    pub async fn messages_after(&self, id: RoomId, after: Seq) -> Result<Vec<Message>> {
        crate::paging::forward(after, |cursor| {
            self.messages(id, None, Some(cursor), Some(crate::paging::PAGE))
        })
        .await
    }

    /// `POST /rooms/{id}/messages` (a nonce makes a retry safe).
    pub async fn post_message(
        &self,
        id: RoomId,
        body: &str,
        nonce: Option<&str>,
    ) -> Result<Message> {
        let req = json!({ "body": body, "nonce": nonce });
        self.post(&format!("/rooms/{id}/messages"), &req).await
    }

    /// `PATCH /messages/{id}`.
    pub async fn edit_message(&self, id: MessageId, body: &str) -> Result<Message> {
        let req = json!({ "body": body });
        self.call(Method::PATCH, &format!("/messages/{id}"), Some(&req))
            .await
    }

    /// `DELETE /messages/{id}`.
    pub async fn delete_message(&self, id: MessageId) -> Result<()> {
        self.no_content(Method::DELETE, &format!("/messages/{id}"), None)
            .await
    }

    /// `POST /direct`: the direct room with a user.
    pub async fn open_direct(&self, username: &str) -> Result<RoomView> {
        self.post("/direct", &json!({ "username": username })).await
    }

    /// `POST /rooms/{id}/files`: an image or file message (multipart).
    pub async fn send_file(
        &self,
        id: RoomId,
        file: &Upload,
        caption: Option<&str>,
    ) -> Result<Message> {
        let mut fields = Vec::new();
        if let Some(c) = caption {
            fields.push(("caption", c));
        }
        let (content_type, body) = multipart(&fields, file);
        let req = self
            .request(Method::POST, &format!("/rooms/{id}/files"))
            .header("content-type", content_type)
            .body(body);
        self.send(req).await
    }

    /// `GET /files/{id}`: a file's bytes.
    pub async fn file(&self, id: &str) -> Result<Vec<u8>> {
        let resp = self
            .request(Method::GET, &format!("/files/{id}"))
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(Error::Server {
                code: if status == 404 {
                    "not_found".into()
                } else {
                    format!("http_{status}")
                },
                message: format!("GET /files/{id}: {status}"),
                status: Some(status),
                retry_after: None,
            });
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(bytes.to_vec())
    }
}

/// A `multipart/form-data` body: text fields, then the file.
fn multipart(fields: &[(&str, &str)], file: &Upload) -> (String, Vec<u8>) {
    let boundary = format!("chatcore-{:032x}", rand::random::<u128>());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let name = file.name.replace(['"', '\r', '\n'], "_");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
