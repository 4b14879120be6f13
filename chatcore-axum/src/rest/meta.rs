//! The OpenAPI document, as served: the routes' operations, the common errors, and
//! the validation rules with the numbers of the [`chatcore::Limits`] in force
//! ([`chatcore::openapi::constrain`]).

use std::sync::LazyLock;

use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::Value;

use crate::state::ChatState;

/// The document before the rules are applied.
static BASE: LazyLock<Value> = LazyLock::new(|| {
    let (_routes, mut doc) = super::routes().split_for_parts();
    crate::openapi::add_common_errors(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    serde_json::to_value(doc).unwrap_or_else(|e| {
        crate::error::log_backend(&e);
        Value::Null
    })
});

/// The document with the validation rules of `limits`.
pub(crate) fn document(limits: &chatcore::Limits) -> Value {
    let mut doc = BASE.clone();
    let unknown = chatcore::openapi::constrain(&mut doc, limits);
    if !unknown.is_empty() {
        tracing::error!(
            ?unknown,
            "OpenAPI schemas name rules chatcore does not know"
        );
    }
    optional_bodies(&mut doc);
    doc
}

/// The [`Json`](crate::Json) extractor reads an empty body as `{}`: where `{}` is a
/// valid body (no required property), the body may be left out.
fn optional_bodies(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for op in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in op.values_mut() {
            let Some(body) = op.get_mut("requestBody") else {
                continue;
            };
            let mut schema = &body["content"]["application/json"]["schema"];
            if let Some(name) = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                schema = &schemas[name];
            }
            let empty_is_valid = schema["type"] == "object"
                && schema["required"].as_array().is_none_or(Vec::is_empty);
            if empty_is_valid {
                body["required"] = Value::Bool(false);
            }
        }
    }
}

/// The document, with `servers` set to where this router is mounted and the rules of
/// the limits in force.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")),
)]
pub(crate) async fn openapi_json(
    State(state): State<ChatState>,
    OriginalUri(uri): OriginalUri,
) -> axum::response::Response {
    let mut doc = document(state.chat().limits());
    let prefix = uri.path().strip_suffix("/openapi.json").unwrap_or("");
    if !prefix.is_empty() {
        doc["servers"] = serde_json::json!([{ "url": prefix }]);
    }
    match serde_json::to_vec(&doc) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => {
            crate::error::log_backend(&e);
            crate::error::ApiError::internal().into_response()
        }
    }
}
