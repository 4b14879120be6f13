//! Extractors whose rejections use the JSON error shape: the acting user
//! ([`Actor`]), and `Json`, `Path` and `Query`.
//!
//! axum's own `Json`, `Path` and `Query` answer bad input with plain-text bodies; these
//! wrappers turn every rejection into an [`ApiError`] so clients always get
//! `{"error":{…}}`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::auth::Actor;
use crate::error::{ApiError, codes};
use crate::state::ChatState;

/// Run the router's [`Authenticator`](crate::Authenticator); `None` without
/// credentials.
pub(crate) async fn authenticate(
    state: &ChatState,
    parts: &Parts,
) -> Result<Option<Actor>, ApiError> {
    Ok(state
        .authenticator()
        .authenticate(state.chat(), parts)
        .await?)
}

/// The authenticated user; 401 `unauthenticated` without credentials.
impl FromRequestParts<ChatState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ChatState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        match authenticate(state, parts).await? {
            Some(actor) => {
                parts.extensions.insert(actor.clone());
                Ok(actor)
            }
            None => Err(ApiError::unauthenticated("authentication required")),
        }
    }
}

/// A JSON request body.
///
/// - An empty body counts as `{}` (so optional bodies may be left out).
/// - A non-empty body must be sent as `application/json` (or `…+json`): 415 otherwise,
///   which also keeps HTML forms from posting to the API.
/// - Larger than the configured limit: 413 `too_large`; not JSON: 400
///   `malformed_json`; JSON of the wrong shape (an array or a scalar where an object
///   is expected, too): 422 `invalid_input`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn is_json_content_type(v: &axum::http::HeaderValue) -> bool {
    let Ok(s) = v.to_str() else {
        return false;
    };
    let mime = s
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(is_json_content_type);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::bad_request("could not read the request body")
            }
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else if json_type != Some(true) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                codes::UNSUPPORTED_MEDIA_TYPE,
                "send the body as application/json",
            ));
        } else {
            &bytes
        };
        // Every body of this API is an object; serde would also read a struct from an
        // array of its fields in order.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                    Err(e) => json_error(e),
                    Ok(_) => ApiError::from(chatcore::Error::invalid(
                        "body",
                        "the body must be a JSON object",
                    )),
                },
            );
        }
        serde_json::from_slice(bytes).map(Json).map_err(json_error)
    }
}

fn json_error(e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => ApiError::from(chatcore::Error::invalid("body", e.to_string()))
            .with_field(missing_or_unknown_field(&e.to_string())),
        Category::Syntax | Category::Eof | Category::Io => ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::MALFORMED_JSON,
            format!("malformed JSON: {e}"),
        ),
    }
}

/// serde names the field in its messages: "missing field `name`", "invalid type … for
/// `x`"; pick the first back-quoted word when the message is about a field.
fn missing_or_unknown_field(msg: &str) -> Option<String> {
    if !(msg.starts_with("missing field") || msg.starts_with("unknown field")) {
        return None;
    }
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

/// Path parameters; a malformed id is a 400 `bad_request`.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) if r.status().is_server_error() => {
                tracing::error!(rejection = %r.body_text(), "path extraction failed");
                Err(ApiError::internal())
            }
            Err(r) => Err(ApiError::bad_request(format!(
                "bad path: {}",
                r.body_text()
            ))),
        }
    }
}

/// Query parameters; a malformed query string is a 400 `bad_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|r| ApiError::bad_request(format!("bad query: {}", r.body_text())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_taken_from_serde_messages() {
        assert_eq!(
            missing_or_unknown_field("missing field `name` at line 1 column 2").as_deref(),
            Some("name")
        );
        assert_eq!(missing_or_unknown_field("invalid type: string"), None);
    }

    #[test]
    fn json_content_types() {
        use axum::http::HeaderValue;
        assert!(is_json_content_type(&HeaderValue::from_static(
            "application/json; charset=utf-8"
        )));
        assert!(is_json_content_type(&HeaderValue::from_static(
            "application/merge-patch+json"
        )));
        assert!(!is_json_content_type(&HeaderValue::from_static(
            "text/plain"
        )));
    }
}
