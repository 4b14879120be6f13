//! Direct rooms: one per pair of users.

use super::Chat;
use crate::error::{Conflict, Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomId, UserId};
use crate::model::{Membership, Role, Room, RoomKind};
use crate::protocol::{RoomView, ServerEvent};

impl Chat {
    /// Open (or reopen) the direct room between the actor and another user.
    pub async fn open_direct(&self, actor: UserId, other: UserId) -> Result<RoomView> {
        if actor == other {
            return Err(Error::invalid(
                "user",
                "cannot open a direct room with yourself",
            ));
        }
        if self.user(actor).await?.guest || self.user(other).await?.guest {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
        }
        self.check_not_blocked(actor, other).await?;
        let (a, b) = if actor < other {
            (actor, other)
        } else {
            (other, actor)
        };
        let key = format!("{a}:{b}");
        let store = &self.inner.store;
        if let Some(room) = store.find_direct_room(&key).await? {
            if store.get_member(room.id, actor).await?.is_none() {
                let m = Membership {
                    room_id: room.id,
                    user_id: actor,
                    role: Role::Member,
                    joined_at: self.now(),
                    extra: None,
                };
                match store.add_member(m.clone(), 2).await {
                    Ok(_) => {
                        self.access_changed().await;
                        self.announce_join(&room, &m).await?;
                    }
                    Err(Error::Conflict(Conflict::AlreadyMember)) => {}
                    Err(e) => return Err(e),
                }
            }
            return self.room_view(&room, Some(Role::Member), Some(actor)).await;
        }
        let now = self.now();
        let room = Room {
            id: RoomId::new(),
            kind: RoomKind::Direct,
            name: String::new(),
            description: String::new(),
            avatar_url: None,
            code: None,
            password_hash: None,
            max_members: Some(2),
            direct_key: Some(key.clone()),
            created_by: Some(actor),
            created_at: now,
            last_seq: 0,
            slow_mode_secs: 0,
            retention_days: None,
            history_start_seq: 0,
            extra: None,
        };
        let members = [a, b]
            .into_iter()
            .map(|u| Membership {
                room_id: room.id,
                user_id: u,
                role: Role::Member,
                joined_at: now,
                extra: None,
            })
            .collect();
        let room = match store.create_room(room, members).await {
            Ok(r) => r,
            Err(Error::Conflict(Conflict::DirectRoomExists)) => {
                // A concurrent open won; use its room.
                let room = store
                    .find_direct_room(&key)
                    .await?
                    .ok_or(Error::Conflict(Conflict::Concurrent))?;
                return self.room_view(&room, Some(Role::Member), Some(actor)).await;
            }
            Err(e) => return Err(e),
        };
        self.emit_queued(super::events::EventKind::RoomCreated {
            room: room.id,
            kind: room.kind,
            name: room.name.clone(),
            by: actor,
        })
        .await;
        for u in [a, b] {
            self.publish(Dispatch::Subscribe {
                user: u,
                room: room.id,
            });
            let view = self.room_view(&room, Some(Role::Member), Some(u)).await?;
            self.publish(Dispatch::Users {
                users: vec![u],
                event: ServerEvent::RoomCreated { room: view },
            });
        }
        self.room_view(&room, Some(Role::Member), Some(actor)).await
    }

    /// The actor's direct rooms.
    pub async fn list_direct(&self, actor: UserId) -> Result<Vec<RoomView>> {
        let mut rooms = self.list_my_rooms(actor).await?;
        rooms.retain(|r| r.kind == RoomKind::Direct);
        Ok(rooms)
    }
}
