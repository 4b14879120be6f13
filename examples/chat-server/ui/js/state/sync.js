// Loading state from the server and keeping it in step: the room list, a room's
// history and members, opening and dropping rooms. Used by the event module
// (events.js) and by the actions (actions.js).

import { Api, connection } from "../transport/index.js";
import {
  session, rooms, currentId, ui, roomState, putRoom, removeRoom, rememberUser, setOnline, addMessages,
  oldestSeq, setUserLookup, batch,
} from "./store.js";
import { markRead, applyRoomRead, roomOpened } from "./reads.js";
import { toast } from "./toasts.js";

export const PAGE = 50;

/** Add a room (or merge a newer view of it); returns its RoomState. */
export function addRoomView(view) {
  let rs = rooms.peek().get(view.id);
  if (rs) {
    // A view broadcast to the whole room carries no viewer-specific fields: keep mine.
    const old = rs.view.peek();
    rs.view.value = {
      ...old, ...view,
      my_role: view.my_role ?? old.my_role,
      permissions: view.permissions ?? old.permissions,
      code: view.code ?? old.code,
      peer: view.peer ?? old.peer,
    };
  } else {
    rs = roomState(view);
    putRoom(rs);
  }
  applyRoomRead(rs, view);
  if (view.peer) rememberUser(view.peer);
  return rs;
}

export async function loadRooms() {
  const data = await Api.myRooms();
  const views = [...(data.public || []), ...(data.private || []), ...(data.direct || [])];
  const seen = new Set();
  batch(() => {
    for (const v of views) { addRoomView(v); seen.add(v.id); connection.track(v.id, v.last_seq || 0); }
    for (const id of Array.from(rooms.peek().keys())) if (!seen.has(id)) dropRoom(id);
  });
}

/** Forget a room (left, removed, deleted). */
export function dropRoom(id) {
  batch(() => {
    removeRoom(id);
    if (currentId.peek() === id) {
      currentId.value = null;
      ui.replyTo.value = null;
      ui.editing.value = null;
      history.replaceState(null, "", location.pathname);
    }
  });
}

/** Make this connection receive a room (replaying after `since`); errors are ignored. */
export function joinLive(room, since) {
  if (connection.started) connection.request({ type: "join", room, since }).catch(() => {});
}

/** Show a room. */
export function openRoom(id) {
  const rs = rooms.peek().get(id);
  if (!rs) return;
  batch(() => {
    if (currentId.peek() !== id) {
      currentId.value = id;
      ui.replyTo.value = null;
      ui.editing.value = null;
      rs.anchor = "bottom";
      history.replaceState(null, "", `#room/${encodeURIComponent(id)}`);
      roomOpened(rs);
    }
    ui.sidebarOpen.value = false;
    markRead(rs);
  });
  if (!rs.loaded.peek() && !rs.early) loadHistory(rs);
  if (!rs.members.peek()) loadMembers(rs);
  ui.focusComposer.value++;
}

/** A room I joined (or that was opened for me). */
export function roomJoined(view, open) {
  addRoomView(view);
  joinLive(view.id);
  if (open) openRoom(view.id);
}

export async function loadHistory(rs) {
  rs.early = [];
  try {
    const page = await Api.messages(rs.id, { limit: PAGE });
    batch(() => {
      addMessages(rs, page.messages || []);
      const since = rs.lastSeq;
      addMessages(rs, rs.early);
      rs.early = null;
      rs.hasMore.value = !!page.has_more;
      rs.anchor = "bottom";
      rs.loaded.value = true;
      // Anything published after the page that this connection was not sent live
      // (it joined the room after the page was read) is replayed from here.
      joinLive(rs.id, since);
    });
  } catch (err) {
    rs.early = null;
    toast(err.message, "error");
    if (err.status === 404 || err.status === 403) { dropRoom(rs.id); return; }
  }
  if (rs.id === currentId.peek()) markRead(rs);
}

export async function loadOlder(rs) {
  if (rs.loadingOlder.peek() || !rs.hasMore.peek() || !rs.loaded.peek()) return;
  rs.anchor = "prepend";
  rs.loadingOlder.value = true;
  try {
    const before = oldestSeq(rs);
    const page = await Api.messages(rs.id, before ? { before, limit: PAGE } : { limit: PAGE });
    batch(() => {
      rs.anchor = "prepend";
      addMessages(rs, page.messages || []);
      rs.hasMore.value = !!page.has_more && (page.messages || []).length > 0;
      rs.loadingOlder.value = false;
    });
  } catch (err) {
    toast(err.message, "error");
    rs.loadingOlder.value = false;
  }
}

export async function loadMembers(rs) {
  try {
    const list = await Api.members(rs.id);
    const arr = Array.isArray(list) ? list : (list.members || []);
    const me = session.me.peek();
    batch(() => {
      const members = new Map();
      for (const m of arr) {
        members.set(m.user.id, m);
        rememberUser(m.user);
        if (m.online) setOnline(m.user.id, true);
        else if (m.user.id !== me.id) setOnline(m.user.id, false);
      }
      rs.members.value = members;
      rs.view.value = { ...rs.view.peek(), member_count: members.size };
    });
  } catch (err) {
    if (err.status !== 404) toast(err.message, "error");
  }
}

/** Online state of direct-message peers (a few requests, once per connection). */
export async function loadDirectPresence() {
  const directs = Array.from(rooms.peek().values()).filter((r) => r.view.peek().kind === "direct" && !r.members.peek()).slice(0, 30);
  for (const rs of directs) await loadMembers(rs);
}

/** Fetch the room as I see it (role, permissions, code). */
export async function refreshRoom(id) {
  try {
    const view = await Api.room(id);
    if (rooms.peek().has(id)) {
      const rs = addRoomView(view);
      rs.view.value = { ...rs.view.peek(), code: view.code ?? null };
    }
  } catch { /* gone or no longer visible: events will tell */ }
}

/** Messages were skipped (e.g. events dropped): fetch what lies between. */
export async function fillGap(rs) {
  if (rs.fillingGap) return;
  rs.fillingGap = true;
  try {
    const known = rs.sorted.filter((m, i, arr) => i === 0 || m.seq === arr[i - 1].seq + 1);
    const after = known.length ? known[known.length - 1].seq : 0;
    const page = await Api.messages(rs.id, { after, limit: 100 });
    addMessages(rs, page.messages || []);
  } catch { /* resume on reconnect covers it */ } finally {
    rs.fillingGap = false;
  }
}

/** Leave the app for the sign-in screen. */
export function endSession(notice = null) {
  connection.stop();
  batch(() => {
    session.me.value = null;
    session.authNotice.value = notice;
    session.authMode.value = "login";
    session.phase.value = "auth";
  });
}

// Authors and banned users who are not (or no longer) members: fetched once each.
const lookups = new Map();
setUserLookup((id) => {
  if (lookups.has(id)) return;
  lookups.set(id, Api.user(id).then(rememberUser, () => {}));
});
