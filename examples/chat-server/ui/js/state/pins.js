// Pinned messages: each room's list (`GET /rooms/{id}/pins`, newest pin first), kept
// current by the `message_pinned` / `message_unpinned` events; pinning and unpinning
// (offered when the server's `permissions.pin` says so).

import { signal, effect } from "@preact/signals-core";
import { FeaturesApi, connection } from "../transport/index.js";
import { session, rooms, currentId, permissionsOf } from "./store.js";
import { toast } from "./toasts.js";

/** Room id -> signal of `[PinView]` (null while not fetched). */
const lists = new Map();

/** The pins of a room, as a signal (`null` until loaded: `loadPins`). */
export function pinsOf(roomId) {
  let s = lists.get(roomId);
  if (!s) {
    s = signal(null);
    lists.set(roomId, s);
  }
  return s;
}

const loading = new Map();

/** Fetch a room's pins (again, when `force`). */
export function loadPins(roomId, force = false) {
  if (!force && (pinsOf(roomId).peek() || loading.has(roomId))) return loading.get(roomId) || Promise.resolve();
  const p = FeaturesApi.pins(roomId).then(
    (list) => { pinsOf(roomId).value = Array.isArray(list) ? list : []; },
    (err) => { if (err.status !== 404 && err.status !== 403) toast(err.message, "error"); },
  ).finally(() => loading.delete(roomId));
  loading.set(roomId, p);
  return p;
}

/** Whether a message is pinned, as far as the loaded list says. */
export function isPinned(roomId, messageId) {
  const list = pinsOf(roomId).value;
  return !!list && list.some((p) => p.message.id === messageId);
}

/** Whether the server lets me pin in this room. */
export function canPin(rs) {
  return !!permissionsOf(rs).pin;
}

export function onPinEvent(ev) {
  const s = lists.get(ev.room);
  if (!s || !s.peek()) return; // not loaded: it will be read when shown
  if (ev.type === "message_unpinned") {
    s.value = s.peek().filter((p) => p.message.id !== ev.message_id);
    return;
  }
  const rs = rooms.peek().get(ev.room);
  const m = rs && rs.msgs.get(ev.message_id);
  if (m && !s.peek().some((p) => p.message.id === m.id)) {
    s.value = [{ message: m, pinned_by: ev.by, pinned_at: ev.pinned_at }, ...s.peek()];
  } else if (!m) {
    loadPins(ev.room, true); // a message this client does not hold
  }
}

export async function setPinned(m, pinned) {
  try {
    if (connection.online) await connection.request({ type: pinned ? "pin" : "unpin", message: m.id });
    else if (pinned) await FeaturesApi.pin(m.id);
    else await FeaturesApi.unpin(m.id);
  } catch (err) {
    toast(err.code === "too_large" ? "This room has as many pinned messages as it can take." : err.message, "error");
  }
}

// Those who may pin see Pin or Unpin on each message: the open room's list is needed.
effect(() => {
  const id = currentId.value;
  const rs = id && rooms.peek().get(id);
  if (rs && canPin(rs)) loadPins(id);
});

// After a reconnect, the lists held may have missed events.
let dropped = false;
effect(() => {
  const s = session.status.value;
  if (s !== "online") { dropped = true; return; }
  if (!dropped) return;
  dropped = false;
  for (const [id, list] of lists) if (list.peek() && rooms.peek().has(id)) loadPins(id, true);
});
