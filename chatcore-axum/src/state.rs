//! The state the router shares between requests.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header;
use chatcore::Chat;
use tokio::sync::watch;

use crate::auth::{Authenticator, SessionAuthenticator};
use crate::config::ChatConfig;
use crate::limits::HttpLimits;

/// Everything the router needs: the [`Chat`] service, the [`ChatConfig`] and the
/// [`Authenticator`]. Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use chatcore::{Chat, MemoryStore};
/// use chatcore_axum::{ChatConfig, ChatState};
///
/// let chat = Chat::new(Arc::new(MemoryStore::new()));
/// let state = ChatState::builder(chat).config(ChatConfig::default()).build();
/// let app: axum::Router = axum::Router::new().nest("/chat", chatcore_axum::router(state));
/// ```
#[derive(Clone)]
pub struct ChatState {
    inner: Arc<Inner>,
}

struct Inner {
    chat: Chat,
    config: ChatConfig,
    authenticator: Arc<dyn Authenticator>,
    shutdown: watch::Sender<bool>,
    limits: HttpLimits,
}

impl std::fmt::Debug for ChatState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatState")
            .field("chat", &self.inner.chat)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ChatState`].
pub struct ChatStateBuilder {
    chat: Chat,
    config: ChatConfig,
    authenticator: Option<Arc<dyn Authenticator>>,
}

impl std::fmt::Debug for ChatStateBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStateBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ChatStateBuilder {
    /// Use these settings (default: [`ChatConfig::default`]).
    pub fn config(mut self, config: ChatConfig) -> Self {
        self.config = config;
        self
    }

    /// Authenticate requests with this (default: [`SessionAuthenticator`] reading the
    /// bearer token or the configured session cookie).
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Like [`ChatStateBuilder::authenticator`], for an already shared one.
    pub fn authenticator_arc(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Build the state.
    pub fn build(self) -> ChatState {
        let authenticator = self.authenticator.unwrap_or_else(|| {
            Arc::new(SessionAuthenticator::new(self.config.cookie_name.clone()))
        });
        let (shutdown, _) = watch::channel(false);
        let limits = HttpLimits::new(&self.config);
        ChatState {
            inner: Arc::new(Inner {
                limits,
                chat: self.chat,
                config: self.config,
                authenticator,
                shutdown,
            }),
        }
    }
}

impl ChatState {
    /// Start building the state around a [`Chat`].
    pub fn builder(chat: Chat) -> ChatStateBuilder {
        ChatStateBuilder {
            chat,
            config: ChatConfig::default(),
            authenticator: None,
        }
    }

    /// A state with the default settings and authenticator.
    pub fn new(chat: Chat) -> ChatState {
        Self::builder(chat).build()
    }

    /// The chat service.
    pub fn chat(&self) -> &Chat {
        &self.inner.chat
    }

    /// The settings.
    pub fn config(&self) -> &ChatConfig {
        &self.inner.config
    }

    /// The authenticator in use.
    pub fn authenticator(&self) -> &Arc<dyn Authenticator> {
        &self.inner.authenticator
    }

    /// Close every WebSocket of this router with 1001 (going away), e.g. when the
    /// server shuts down. `axum::serve`'s graceful shutdown does not wait for upgraded
    /// connections, so call this first.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn limits(&self) -> &HttpLimits {
        &self.inner.limits
    }

    /// Live connections open on this router right now, over every transport that
    /// takes a [`ChatState::connection_slot`] (bounded by
    /// [`crate::WsConfig::max_connections`]).
    pub fn open_connections(&self) -> usize {
        self.inner.limits.open_connections()
    }

    /// Reserve one of the [`crate::WsConfig::max_connections`] slots for a live
    /// connection of another transport (chatcore-socketio takes one per socket), so
    /// that one cap bounds the WebSockets and the others together. Hold it for the
    /// connection's life. `None`: the server is full (refuse with `server_busy`).
    pub fn connection_slot(&self) -> Option<crate::ConnectionSlot> {
        self.inner.limits.connection_slot()
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Whether a browser `Origin` may use this API: listed in
    /// [`ChatConfig::allowed_origins`], or (with [`ChatConfig::allow_same_origin`]) the
    /// origin of the request's own `Host`.
    pub fn origin_allowed(&self, origin: &str, headers: &HeaderMap) -> bool {
        origin_allowed(&self.inner.config, origin, headers)
    }
}

pub(crate) fn origin_allowed(config: &ChatConfig, origin: &str, headers: &HeaderMap) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    if origin.is_empty() || origin.eq_ignore_ascii_case("null") {
        return false;
    }
    if config
        .allowed_origins
        .iter()
        .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    if !config.allow_same_origin {
        return false;
    }
    let Some(authority) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origins() {
        let mut config = ChatConfig {
            allowed_origins: vec!["https://app.example/".into()],
            ..ChatConfig::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(origin_allowed(&config, "https://APP.example", &headers));
        assert!(origin_allowed(&config, "http://127.0.0.1:3000", &headers));
        assert!(!origin_allowed(&config, "http://127.0.0.1:3001", &headers));
        assert!(!origin_allowed(&config, "https://evil.example", &headers));
        assert!(!origin_allowed(&config, "null", &headers));
        config.allow_same_origin = false;
        assert!(!origin_allowed(&config, "http://127.0.0.1:3000", &headers));
    }
}
