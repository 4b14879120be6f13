//! The parts of the OpenAPI document that are not operations: info, tags, security
//! schemes ([`ApiDoc`]), and the error responses common to every operation
//! ([`add_common_errors`]).
//!
//! Paths come from the same `routes!` calls that build the router (see
//! `rest::routes`), so a route cannot exist without its documentation. Schemas are
//! chatcore's own types (its `openapi` feature) and this crate's [`crate::types`].
//! The document is put together, with the validation rules of the
//! [`chatcore::Limits`] in force, in `rest::meta`.

use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};

use crate::error::ErrorBody;

/// The static part of the document (info, tags, security schemes).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatcore",
        description = "Chat rooms, direct messages and a realtime WebSocket protocol. \
            Paths are relative to where the router is mounted. Errors always have the shape \
            `{\"error\":{\"code\",\"message\",\"field\"?,\"retry_after_ms\"?}}`; see docs/API.md \
            and docs/PROTOCOL.md.",
    ),
    // FileId is named only by a path parameter, which does not collect its schema.
    components(schemas(ErrorBody, chatcore::FileId)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session_cookie" = [])),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "Profiles"),
        (name = "rooms", description = "Rooms and membership"),
        (name = "moderation", description = "Roles, kicks and bans"),
        (name = "messages", description = "Messages and history"),
        (name = "direct", description = "Direct rooms between two users"),
        (name = "reads", description = "Read positions, unread and mention counts"),
        (name = "realtime", description = "The WebSocket"),
        (name = "meta", description = "This document"),
        (name = "admin", description = "Site administration (site administrators only)"),
    )
)]
pub(crate) struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "chatcore_session",
                "The session cookie set by login (name configurable). Unsafe requests \
                 authenticated by it must send `X-Requested-With`.",
            ))),
        );
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build(),
    )
}

/// Add the error responses every operation can give (bad request, unauthenticated,
/// CSRF refusal, too large, internal) unless an operation documents them itself.
pub(crate) fn add_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let ops: [(&mut Option<Operation>, bool); 5] = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (op, unsafe_method) in ops {
            let Some(op) = op.as_mut() else { continue };
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| *r == Default::default()));
            let has_body = op.request_body.is_some();
            // Parameters are validated too (a cursor given by halves, a malformed name).
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            add(
                "400",
                "Malformed request: bad path parameter, query or JSON (`bad_request`, `malformed_json`)",
            );
            if !public {
                add("401", "Not authenticated (`unauthenticated`)");
            }
            if unsafe_method {
                add(
                    "403",
                    "Refused: CSRF header missing or origin not allowed (`csrf_rejected`, `origin_rejected`), or not allowed (`forbidden`)",
                );
            }
            if has_body {
                add(
                    "413",
                    "The request body or a field is too large (`too_large`)",
                );
                add(
                    "415",
                    "The body is not `application/json` (`unsupported_media_type`)",
                );
            }
            if has_body || has_params {
                add("422", "Invalid input (`invalid_input`, with `field`)");
            }
            add(
                "500",
                "Server failure (`internal`); details are logged, not sent",
            );
        }
    }
}
