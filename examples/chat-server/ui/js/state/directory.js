// Live news from outside one's rooms: public rooms announced to every connected user
// (public_room_created / _updated / _deleted) and profile changes of people who share
// a room (user_updated). The Browse dialog merges the room news into the list it
// fetched, so a new public room appears without reopening it.

import { signal } from "@preact/signals-core";
import { session, rooms, rememberUser, editMembers, batch } from "./store.js";

/** Room id → the room as a non-member sees it, or null once deleted; newest last. */
export const directoryNews = signal(new Map());

/** Apply a `public_room_*` event. */
export function onPublicRoom(ev) {
  const next = new Map(directoryNews.peek());
  if (ev.type === "public_room_deleted") {
    next.delete(ev.room);
    next.set(ev.room, null);
  } else if (ev.room && ev.room.id) {
    next.delete(ev.room.id);
    next.set(ev.room.id, ev.room);
  }
  directoryNews.value = next;
}

/** A fetched list of public rooms with the news applied: new rooms first. */
export function withNews(list, news) {
  const known = new Set(list.map((r) => r.id));
  const fresh = [];
  for (const [id, view] of news) if (view && !known.has(id)) fresh.unshift(view);
  const kept = list.filter((r) => news.get(r.id) !== null).map((r) => news.get(r.id) || r);
  return fresh.concat(kept);
}

/** Apply a `user_updated` event: names and avatars everywhere they show. */
export function onUserUpdated(ev) {
  const u = ev.user;
  if (!u || !u.id) return;
  batch(() => {
    rememberUser(u);
    const me = session.me.peek();
    if (me && me.id === u.id) session.me.value = { ...me, ...u };
    for (const rs of rooms.peek().values()) {
      const members = rs.members.peek();
      if (members && members.has(u.id)) editMembers(rs, (m) => m.set(u.id, { ...m.get(u.id), user: { ...m.get(u.id).user, ...u } }));
      const v = rs.view.peek();
      if (v.peer && v.peer.id === u.id) rs.view.value = { ...v, peer: { ...v.peer, ...u } };
    }
  });
}
