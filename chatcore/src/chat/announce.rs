//! Live news for people outside a room: public rooms appearing, changing and going
//! (to every connected user, so Browse and room lists update), and profile changes
//! (to the rooms the user is in, so names and avatars on their messages update).
//!
//! Who hears what: a public room is listed to anyone who asks (`GET /rooms`), so its
//! announcements go to every connection (one frame per connection per change; room
//! creation is rate limited). Private and direct rooms are never announced. A profile
//! change goes where `presence` goes — each room shared with the user — so strangers
//! learn nothing about who edits their profile; a connection sharing several rooms
//! with the user gets one `user_updated` per room (it is absolute state: applying it
//! twice is harmless).

use super::{Chat, user_view};
use crate::hub::Dispatch;
use crate::ids::RoomId;
use crate::model::{Room, RoomKind, User};
use crate::protocol::ServerEvent;

impl Chat {
    /// A public room was created or its settings changed: tell everyone connected.
    pub(super) async fn announce_public_room(&self, room: &Room, created: bool) {
        if room.kind != RoomKind::Public {
            return;
        }
        match self.room_view(room, None, None).await {
            Ok(view) => self.publish(Dispatch::Everyone {
                event: if created {
                    ServerEvent::PublicRoomCreated { room: view }
                } else {
                    ServerEvent::PublicRoomUpdated { room: view }
                },
            }),
            Err(e) => tracing::warn!(error = %e, "could not announce a public room"),
        }
    }

    /// A public room was deleted: tell everyone connected.
    pub(super) fn announce_public_room_deleted(&self, room: RoomId, kind: RoomKind) {
        if kind == RoomKind::Public {
            self.publish(Dispatch::Everyone {
                event: ServerEvent::PublicRoomDeleted { room },
            });
        }
    }

    /// A user's profile changed: tell each room they are in.
    pub(super) async fn announce_profile(&self, user: &User) {
        match self.my_room_ids(user.id).await {
            Ok(rooms) => {
                let view = user_view(user);
                for room in rooms {
                    self.publish_room(
                        room,
                        ServerEvent::UserUpdated {
                            room,
                            user: view.clone(),
                        },
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not announce a profile change"),
        }
    }
}
