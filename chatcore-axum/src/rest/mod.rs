//! The REST handlers and the single route table.

mod admin;
mod auth;
mod export;
mod guests;
mod hooks;
mod media;
mod messages;
pub(crate) mod meta;
pub(crate) mod moderation;
mod pins;
mod reactions;
mod reads;
mod rooms;
mod search;
mod users;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::state::ChatState;

/// Every route of the router, each with its OpenAPI operation: the router and the
/// document are both built from this table, so neither can miss a route.
pub(crate) fn routes() -> OpenApiRouter<ChatState> {
    OpenApiRouter::with_openapi(<crate::openapi::ApiDoc as utoipa::OpenApi>::openapi())
        // auth
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_all))
        .routes(routes!(auth::list_sessions))
        .routes(routes!(auth::revoke_session))
        // me and users
        .routes(routes!(users::get_me, users::update_me, users::delete_me))
        .routes(routes!(users::change_password))
        .routes(routes!(users::get_user))
        .routes(routes!(users::find_user))
        // rooms
        .routes(routes!(rooms::list_public, rooms::create))
        .routes(routes!(rooms::my_rooms))
        .routes(routes!(rooms::get, rooms::update, rooms::delete))
        .routes(routes!(rooms::join))
        .routes(routes!(rooms::join_by_code))
        .routes(routes!(rooms::leave))
        .routes(routes!(rooms::members))
        .routes(routes!(rooms::code))
        .routes(routes!(rooms::rotate_code))
        .routes(routes!(rooms::transfer))
        .routes(routes!(rooms::invite))
        .routes(routes!(rooms::my_invites))
        .routes(routes!(rooms::decline_invite))
        // moderation
        .routes(routes!(rooms::set_role))
        .routes(routes!(rooms::kick))
        .routes(routes!(rooms::ban, rooms::list_bans))
        .routes(routes!(rooms::unban))
        .routes(routes!(hooks::get_blocklist, hooks::set_blocklist))
        .routes(routes!(moderation::report))
        .routes(routes!(moderation::room_reports))
        .routes(routes!(moderation::resolve))
        .routes(routes!(moderation::audit))
        .routes(routes!(moderation::timeout, moderation::clear_timeout))
        .routes(routes!(moderation::blocks))
        .routes(routes!(moderation::block, moderation::unblock))
        // messages
        .routes(routes!(messages::history, messages::send))
        .routes(routes!(messages::edit, messages::delete))
        .routes(routes!(reactions::add, reactions::remove))
        .routes(routes!(pins::list))
        .routes(routes!(pins::pin, pins::unpin))
        .routes(routes!(search::search))
        // direct
        .routes(routes!(messages::open_direct, messages::list_direct))
        // read state
        .routes(routes!(reads::mark_read))
        .routes(routes!(reads::mark_unread))
        .routes(routes!(reads::receipts))
        .routes(routes!(reads::get_settings, reads::put_settings))
        .routes(routes!(reads::set_notifications))
        // realtime and meta
        // accounts and media
        .routes(routes!(media::verify_email))
        .routes(routes!(media::request_verification))
        .routes(routes!(media::request_reset))
        .routes(routes!(media::reset_password))
        .routes(uploads(routes!(media::upload_avatar)))
        .routes(uploads(routes!(media::upload_room_avatar)))
        .routes(uploads(routes!(media::send_file)))
        .routes(routes!(media::get_file))
        .routes(routes!(crate::ws::upgrade))
        .routes(routes!(meta::openapi_json))
        // site administration
        .routes(routes!(admin::users))
        .routes(routes!(admin::suspend))
        .routes(routes!(admin::unsuspend))
        .routes(routes!(admin::rooms))
        .routes(routes!(admin::delete_room))
        .routes(routes!(admin::room_members))
        .routes(routes!(admin::audit))
        .routes(routes!(moderation::all_reports))
        .routes(routes!(guests::create_guest))
        .routes(routes!(guests::options))
        // data export
        .routes(routes!(export::export_me))
        .routes(routes!(export::export_room))
}

/// Upload routes read their body as a stream and enforce their own limits (the file
/// limits of `chatcore::Limits`, checked while reading), in place of the router-wide
/// JSON body limit.
fn uploads(route: UtoipaMethodRouter<ChatState>) -> UtoipaMethodRouter<ChatState> {
    let (schemas, paths, method_router) = route;
    (
        schemas,
        paths,
        method_router.layer(DefaultBodyLimit::disable()),
    )
}
