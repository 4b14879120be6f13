//! Authentication: the [`Authenticator`] hook, the default [`SessionAuthenticator`],
//! [`Actor`] and the session cookie. (`Actor` is extracted from requests in
//! [`crate::extract`], which has the router's state.)

use async_trait::async_trait;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use chatcore::{Chat, SessionId, UserId};

use crate::config::ChatConfig;

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `Authorization: Bearer <token>` with a chatcore session token.
    Bearer,
    /// The chatcore session cookie.
    Cookie,
    /// A WebSocket's first `{"type":"auth","token":…}` frame.
    AuthFrame,
    /// A host application's [`Authenticator`].
    Host,
}

/// The authenticated user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The chatcore user acting.
    pub user: UserId,
    /// The chatcore session, when authenticated by one (logout, "current session",
    /// and closing this session's WebSockets when it is revoked rely on it).
    pub session: Option<SessionId>,
    /// How the request was authenticated.
    pub method: AuthMethod,
}

impl Actor {
    /// A user authenticated by the host application (no chatcore session).
    pub fn host(user: UserId) -> Actor {
        Actor {
            user,
            session: None,
            method: AuthMethod::Host,
        }
    }
}

/// Decides who a request comes from. The hook through which a host application puts
/// chatcore behind its own login.
///
/// - `Ok(Some(actor))`: authenticated.
/// - `Ok(None)`: no credentials; protected routes answer 401, and a WebSocket waits for
///   an `auth` frame.
/// - `Err(chatcore::Error::Unauthenticated(_))`: credentials were given but are invalid
///   (401). Other errors are server failures (500, logged).
///
/// Map host users to chatcore users with [`Chat::ensure_external_user`] (idempotent:
/// the same external id always yields the same user). Called for every authenticated
/// request and WebSocket upgrade, so cache what is expensive.
///
/// ```
/// use async_trait::async_trait;
/// use axum::http::request::Parts;
/// use chatcore::{Chat, ExternalUser};
/// use chatcore_axum::{Actor, Authenticator, SessionAuthenticator};
///
/// /// The host app's login puts `x-host-user: <name>` on requests (e.g. from its own
/// /// cookie, in a middleware); chatcore's own sessions keep working too.
/// #[derive(Debug)]
/// struct HostAuth {
///     fallback: SessionAuthenticator,
/// }
///
/// #[async_trait]
/// impl Authenticator for HostAuth {
///     async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>> {
///         let Some(name) = parts.headers.get("x-host-user").and_then(|v| v.to_str().ok()) else {
///             return self.fallback.authenticate(chat, parts).await;
///         };
///         let user = chat
///             .ensure_external_user(ExternalUser {
///                 external_id: format!("myapp:{name}"),
///                 username: name.to_owned(),
///                 display_name: None,
///             })
///             .await?;
///         Ok(Some(Actor::host(user.id)))
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticate a request (for a WebSocket: its upgrade request).
    async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>>;
}

#[async_trait]
impl<A: Authenticator + ?Sized> Authenticator for std::sync::Arc<A> {
    async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>> {
        (**self).authenticate(chat, parts).await
    }
}

/// The default authenticator: chatcore sessions, from `Authorization: Bearer <token>`
/// or, failing that, the session cookie.
#[derive(Debug, Clone)]
pub struct SessionAuthenticator {
    cookie_name: String,
}

impl SessionAuthenticator {
    /// Read the session cookie named `cookie_name` (see [`ChatConfig::cookie_name`]).
    pub fn new(cookie_name: impl Into<String>) -> Self {
        SessionAuthenticator {
            cookie_name: cookie_name.into(),
        }
    }
}

impl Default for SessionAuthenticator {
    fn default() -> Self {
        Self::new(ChatConfig::default().cookie_name)
    }
}

/// The token of an `Authorization: Bearer` header. `Err` for another scheme or an
/// unreadable header, `Ok(None)` without the header.
pub fn bearer_token(headers: &HeaderMap) -> chatcore::Result<Option<&str>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| chatcore::Error::Unauthenticated("unreadable authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(chatcore::Error::Unauthenticated(
            "unsupported authorization scheme; use Bearer",
        )),
    }
}

/// The value of the first cookie called `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

#[async_trait]
impl Authenticator for SessionAuthenticator {
    async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>> {
        let (token, method) = match bearer_token(&parts.headers)? {
            Some(t) => (t, AuthMethod::Bearer),
            None => match cookie(&parts.headers, &self.cookie_name) {
                Some(t) if !t.is_empty() => (t, AuthMethod::Cookie),
                _ => return Ok(None),
            },
        };
        let session = chat.authenticate(token).await?;
        Ok(Some(Actor {
            user: session.user_id,
            session: Some(session.id),
            method,
        }))
    }
}

/// The `User-Agent` of a request, recorded with new sessions.
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect())
}

/// `Set-Cookie` for a new session: `HttpOnly; SameSite=Lax; Path=/` (+ `Secure`).
pub(crate) fn session_cookie(
    config: &ChatConfig,
    token: &str,
    max_age_secs: i64,
) -> Option<HeaderValue> {
    let mut s = format!(
        "{}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        config.cookie_name,
        max_age_secs.max(0)
    );
    if config.cookie_secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).ok()
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(config: &ChatConfig) -> Option<HeaderValue> {
    let mut s = format!(
        "{}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
        config.cookie_name
    );
    if config.cookie_secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_cookies() {
        let mut h = HeaderMap::new();
        assert!(matches!(bearer_token(&h), Ok(None)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer_token(&h).ok().flatten(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer_token(&h).is_err());

        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; chatcore_session=tok"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, "chatcore_session"), Some("tok"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn cookie_flags() {
        let mut config = ChatConfig::default();
        let c = session_cookie(&config, "t", 60).and_then(|v| v.to_str().ok().map(str::to_owned));
        assert_eq!(
            c.as_deref(),
            Some("chatcore_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=60")
        );
        config.cookie_secure = true;
        let c = clear_cookie(&config).and_then(|v| v.to_str().ok().map(str::to_owned));
        assert_eq!(
            c.as_deref(),
            Some("chatcore_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure")
        );
    }
}
