#![doc = include_str!("../README.md")]

mod auth;
mod config;
pub mod csrf;
pub mod error;
mod extract;
mod limits;
mod openapi;
mod rest;
mod serve;
mod state;
pub mod types;
mod ws;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;

pub use auth::{Actor, AuthMethod, Authenticator, SessionAuthenticator, bearer_token, cookie};
pub use config::{ChatConfig, WsConfig};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use extract::{Json, Path, Query};
pub use limits::ConnectionSlot;
pub use limits::client_ip;
pub use serve::{ServeConfig, serve};
pub use state::{ChatState, ChatStateBuilder};
pub use ws::Delivered;

/// The chatcore HTTP API and WebSocket as an [`axum::Router`], to serve as is or to
/// mount with [`Router::nest`] (paths in the docs are relative to the mount point).
///
/// Layers included: the CSRF guard ([`csrf`]), the request body limit
/// ([`ChatConfig::max_body_bytes`]), and JSON answers for unknown routes (404) and
/// methods (405).
pub fn router(state: ChatState) -> Router {
    let (routes, _doc) = rest::routes().split_for_parts();
    routes
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(DefaultBodyLimit::max(state.config().max_body_bytes))
        .with_state(state)
}

/// The OpenAPI document of [`router`] for a service with these limits, as JSON (also
/// served at `GET /openapi.json`, with the limits of the router's [`chatcore::Chat`]).
/// It states the validation rules the service enforces (lengths, patterns, ranges).
pub fn openapi_document(limits: &chatcore::Limits) -> serde_json::Value {
    rest::meta::document(limits)
}

async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        error::codes::NOT_FOUND,
        "no such route",
    )
}

async fn no_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        error::codes::METHOD_NOT_ALLOWED,
        "this route does not take this method",
    )
}
