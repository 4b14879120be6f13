//! Preparing a chatcore server for a run over its REST API: users (with tokens cached
//! in a file, since password hashing makes registration slow on purpose), rooms and
//! memberships; and removing the rooms afterwards.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A user the generator connects as.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchUser {
    /// Username.
    pub username: String,
    /// Bearer token.
    pub token: String,
}

/// A setup failure, with what was being done.
#[derive(Debug)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

fn err(what: &str, e: impl std::fmt::Display) -> SetupError {
    SetupError(format!("{what}: {e}"))
}

/// REST client for one chatcore server (`base`: e.g. `http://127.0.0.1:3000/api`).
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// How many REST requests run at once during setup.
const PARALLEL: usize = 16;

impl Api {
    /// A client for the API under `base`.
    pub fn new(base: &str) -> Self {
        Api {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(PARALLEL)
                .build()
                .unwrap_or_default(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> Result<(u16, serde_json::Value), SetupError> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-requested-with", "chatload")
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(|e| err(path, e))?;
        let status = res.status().as_u16();
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        Ok((status, body))
    }

    async fn token_works(&self, token: &str) -> bool {
        match self
            .http
            .get(format!("{}/me", self.base))
            .bearer_auth(token)
            .send()
            .await
        {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    async fn register_or_login(&self, username: &str) -> Result<BenchUser, SetupError> {
        let password = format!("pw-{username}-bench");
        let (status, body) = self
            .post(
                "/auth/register",
                None,
                json!({"username": username, "password": password}),
            )
            .await?;
        let body = if status == 409 {
            let (status, body) = self
                .post(
                    "/auth/login",
                    None,
                    json!({"username": username, "password": password}),
                )
                .await?;
            if status != 200 {
                return Err(SetupError(format!(
                    "login {username}: HTTP {status} {body}"
                )));
            }
            body
        } else if status == 201 {
            body
        } else {
            return Err(SetupError(format!(
                "register {username}: HTTP {status} {body}"
            )));
        };
        let token = body["token"]
            .as_str()
            .ok_or_else(|| SetupError(format!("register {username}: no token in {body}")))?
            .to_owned();
        Ok(BenchUser {
            username: username.to_owned(),
            token,
        })
    }

    /// `n` users `bench0`…, reusing the tokens cached in `cache` (a JSON file) when
    /// they still work, registering (or logging in) the others, and updating the cache.
    pub async fn users(
        &self,
        n: usize,
        cache: Option<&Path>,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<BenchUser>, SetupError> {
        let mut cached: HashMap<String, String> = cache
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<Vec<BenchUser>>(&b).ok())
            .map(|v| v.into_iter().map(|u| (u.username, u.token)).collect())
            .unwrap_or_default();
        let api = Arc::new(self.clone());
        let jobs = (0..n).map(|i| {
            let api = api.clone();
            let username = format!("bench{i}");
            let token = cached.remove(&username);
            async move {
                if let Some(token) = token
                    && api.token_works(&token).await
                {
                    return Ok(BenchUser { username, token });
                }
                api.register_or_login(&username).await
            }
        });
        let mut stream = futures::stream::iter(jobs).buffered(PARALLEL);
        let mut users = Vec::with_capacity(n);
        while let Some(u) = stream.next().await {
            users.push(u?);
            progress(users.len());
        }
        if let Some(p) = cache {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let bytes = serde_json::to_vec(&users).map_err(|e| err("token cache", e))?;
            std::fs::write(p, bytes).map_err(|e| err("writing the token cache", e))?;
        }
        Ok(users)
    }

    /// Create a public room owned by `owner`; returns its id.
    pub async fn create_room(&self, owner: &BenchUser, name: &str) -> Result<String, SetupError> {
        let (status, body) = self
            .post(
                "/rooms",
                Some(&owner.token),
                json!({"kind": "public", "name": name}),
            )
            .await?;
        if status != 201 {
            return Err(SetupError(format!("create room: HTTP {status} {body}")));
        }
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SetupError(format!("create room: no id in {body}")))
    }

    /// Make each `(user, room)` pair a membership (concurrently).
    pub async fn join_all(
        &self,
        pairs: Vec<(BenchUser, String)>,
        mut progress: impl FnMut(usize),
    ) -> Result<(), SetupError> {
        let api = Arc::new(self.clone());
        let jobs = pairs.into_iter().map(|(user, room)| {
            let api = api.clone();
            async move {
                let (status, body) = api
                    .post(&format!("/rooms/{room}/join"), Some(&user.token), json!({}))
                    .await?;
                if status == 200 || status == 409 {
                    Ok(())
                } else {
                    Err(SetupError(format!(
                        "{} joins {room}: HTTP {status} {body}",
                        user.username
                    )))
                }
            }
        });
        let mut stream = futures::stream::iter(jobs).buffer_unordered(PARALLEL);
        let mut done = 0;
        while let Some(r) = stream.next().await {
            r?;
            done += 1;
            progress(done);
        }
        Ok(())
    }

    /// Delete rooms (best effort), so that the users can be reused.
    pub async fn delete_rooms(&self, rooms: &[(BenchUser, String)]) {
        let jobs = rooms.iter().map(|(owner, room)| {
            self.http
                .delete(format!("{}/rooms/{room}", self.base))
                .header("x-requested-with", "chatload")
                .bearer_auth(&owner.token)
                .send()
        });
        let mut stream = futures::stream::iter(jobs).buffer_unordered(PARALLEL);
        while stream.next().await.is_some() {}
    }
}
