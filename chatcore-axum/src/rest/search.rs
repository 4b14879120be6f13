//! Full-text search.

use axum::Json as JsonOut;
use axum::extract::State;
use chatcore::{SearchPage, SearchRequest};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::ChatState;

/// Search the messages of the rooms one is a member of, best first, with snippets.
#[utoipa::path(
    get,
    path = "/search",
    tag = "messages",
    params(
        ("q" = String, Query, description = "The words (1 to 200 characters, at most 10 words); a message has every one"),
        ("room" = Option<chatcore::RoomId>, Query, description = "Only this room (a member's)"),
        ("author" = Option<chatcore::UserId>, Query, description = "Only this author"),
        ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Created at or after"),
        ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Created before"),
        ("offset" = Option<u32>, Query, description = "Skip this many hits (at most 1,000)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 50 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of hits", body = SearchPage),
        (status = 403, description = "`room` is a public room one is not a member of (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`room` is not a room one may see (`not_found`)", body = ErrorBody),
        (status = 413, description = "`q` too long (`too_large`)", body = ErrorBody),
        (status = 422, description = "No word in `q`, too many words, `limit` or `offset` out of range (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn search(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<SearchRequest>,
) -> Result<JsonOut<SearchPage>, ApiError> {
    Ok(JsonOut(state.chat().search(actor.user, q).await?))
}
