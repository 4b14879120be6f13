// Read state, as the server keeps it: each room's read position, unread and mention
// counts (from `GET /me/rooms`, `hello` and `read_state` events), the other members'
// receipts, the "new messages" divider of the open room, and marking read.
//
// The counts are the server's. Between two `read_state` events they follow the room's
// events as docs/PROTOCOL.md says (a counted message adds one, its deletion takes it
// away); every `read_state` replaces them. Marking read is coalesced per room: at most
// one `mark_read` in flight, and while it is, only the latest wanted position is kept.

import { signal, computed, batch } from "@preact/signals-core";
import { Api, connection } from "../transport/index.js";
import { session, rooms, currentId } from "./store.js";
import { notifyMessage } from "./notify.js";

/** Message kinds that count as unread (never system messages). */
const COUNTED = new Set(["text", "image", "file"]);

/** Per room: the read state's signals, created on first use. */
const states = new WeakMap();

function stateOf(rs) {
  let s = states.get(rs);
  if (!s) {
    s = {
      /** Everything up to this seq is read. */
      lastRead: signal(0),
      mentions: signal(0),
      /** The notification level in force ("all", "mentions", "none"), or null when the server does not say. */
      level: signal(null),
      /** user id -> seq: how far the others have read (receipts). */
      receipts: signal(new Map()),
      receiptsLoaded: false,
      /** The read position when the room was opened (the divider goes above the first unread after it); null: no divider. */
      divider: signal(null),
      /** Whether a read state was taken (from the server, or a room just joined). */
      known: false,
      /** Highest seq counted locally since the last authoritative state. */
      counted: 0,
      /** Marking read: the seq in flight (0: none) and the latest wanted. */
      inflight: 0,
      wanted: 0,
      /** Whether the open list's bottom is on screen (set by the list's sentinel). */
      bottomSeen: false,
    };
    states.set(rs, s);
  }
  return s;
}

const isMe = (id) => !!session.me.peek() && id === session.me.peek().id;

/** Whether a message mentions me. */
export function mentionsMe(m) {
  const me = session.me.value;
  return !!me && !!m && Array.isArray(m.mentions) && m.mentions.includes(me.id) && !m.deleted_at;
}

/** Whether a message counts as unread for me (before looking at the read position). */
function counts(m) {
  return !!m && COUNTED.has(m.kind) && !m.deleted_at && !!m.author_id && !isMe(m.author_id);
}

// ---- reading the state (components) -------------------------------------------

export const mentionsOf = (rs) => stateOf(rs).mentions.value;
export const levelOf = (rs) => stateOf(rs).level.value;
export const lastReadOf = (rs) => stateOf(rs).lastRead.value;
export const receiptsOf = (rs) => stateOf(rs).receipts.value;
export const dividerOf = (rs) => stateOf(rs).divider.value;

/** Unread messages over the rooms that are not muted (the tab title). */
export const totalUnread = computed(() => {
  let n = 0;
  for (const rs of rooms.value.values()) if (stateOf(rs).level.value !== "none") n += rs.unread.value;
  return n;
});

/** Mentions over all rooms. */
export const totalMentions = computed(() => {
  let n = 0;
  for (const rs of rooms.value.values()) n += stateOf(rs).mentions.value;
  return n;
});

// ---- the server's state -------------------------------------------------------

/**
 * Take a ReadState `{room, last_read_seq, unread, mentions, last_seq?, notifications?}`. A state
 * older than a mark this client has in flight is skipped: the mark's own state follows.
 */
export function applyReadState(st) {
  if (!st || !st.room) return;
  const rs = rooms.peek().get(st.room);
  if (!rs) return;
  const s = stateOf(rs);
  const seq = Number(st.last_read_seq) || 0;
  batch(() => {
    if (!(s.inflight && s.inflight > seq) && !(s.wanted > seq)) {
      s.lastRead.value = seq;
      rs.unread.value = Math.max(0, Number(st.unread) || 0);
      s.mentions.value = Math.max(0, Number(st.mentions) || 0);
      // The counts include every counted message up to the room's `last_seq` when
      // they were taken: a message at or below it (replayed after a reconnect, or a
      // live one under way) is not added again.
      s.counted = Math.max(seq, Number(st.last_seq) || 0, rs.view.peek().last_seq || 0, rs.lastSeq);
    }
    if (typeof st.notifications === "string") s.level.value = st.notifications;
  });
}

/** The read states of `hello`; then the open room is marked read if it is seen (a mark may have failed offline). */
export function applyReadStates(list) {
  if (!Array.isArray(list)) return;
  batch(() => { for (const st of list) applyReadState(st); });
  const rs = rooms.peek().get(currentId.peek());
  if (rs) markRead(rs);
}

/**
 * A room view from `GET /me/rooms` carries my read state in `read`. A room I have just
 * joined (no `read`, no state yet) is read up to its last message, as the server starts it.
 */
export function applyRoomRead(rs, view) {
  if (!view) return;
  const s = stateOf(rs);
  if (view.read) {
    s.known = true;
    applyReadState({ ...view.read, room: rs.id });
  } else if (!s.known) {
    s.known = true;
    applyReadState({ room: rs.id, last_read_seq: view.last_seq || 0, unread: 0, mentions: 0 });
  }
}

/** A message arrived live: count it, as the protocol says, until the next `read_state`. Returns whether it counted. */
export function messageArrived(rs, m) {
  const s = stateOf(rs);
  if (!counts(m) || m.seq <= s.lastRead.peek() || m.seq <= s.counted) return false;
  s.counted = m.seq;
  const mentioned = mentionsMe(m);
  batch(() => {
    rs.unread.value += 1;
    if (mentioned) s.mentions.value += 1;
  });
  notifyMessage(rs, m, mentioned, s.level.peek());
  return true;
}

/** A message was deleted: it no longer counts (the message as held before the deletion). */
export function messageDeleted(rs, m) {
  const s = stateOf(rs);
  if (!counts(m) || m.seq <= s.lastRead.peek()) return;
  batch(() => {
    rs.unread.value = Math.max(0, rs.unread.peek() - 1);
    if (m.mentions && m.mentions.includes(session.me.peek().id)) s.mentions.value = Math.max(0, s.mentions.peek() - 1);
  });
}

// ---- receipts -----------------------------------------------------------------

/** A `receipt` event: `{room, user, seq}`. */
export function applyReceipt(ev) {
  const rs = rooms.peek().get(ev.room);
  if (!rs || !ev.user || isMe(ev.user)) return;
  const s = stateOf(rs);
  const old = s.receipts.peek().get(ev.user) || 0;
  if (ev.seq <= old) return;
  const next = new Map(s.receipts.peek());
  next.set(ev.user, ev.seq);
  s.receipts.value = next;
}

/** Fetch the receipts so far (once per room and session; events keep them current). */
export async function loadReceipts(rs) {
  const s = stateOf(rs);
  if (s.receiptsLoaded) return;
  s.receiptsLoaded = true;
  try {
    const list = await Api.receipts(rs.id);
    const next = new Map(s.receipts.peek());
    for (const r of Array.isArray(list) ? list : []) {
      if (!r || isMe(r.user)) continue;
      if ((next.get(r.user) || 0) < r.seq) next.set(r.user, r.seq);
    }
    s.receipts.value = next;
  } catch {
    s.receiptsLoaded = false; // gone, or offline: the next open tries again
  }
}

// ---- the divider --------------------------------------------------------------

/** The room opens: the divider goes above the first message after my read position, if any is unread. */
export function roomOpened(rs) {
  const s = stateOf(rs);
  s.bottomSeen = false;
  s.divider.value = rs.unread.peek() > 0 ? s.lastRead.peek() : null;
  loadReceipts(rs);
}

/** The id of the first unread message of `messages` (the divider goes above it), or null. */
export function firstUnreadId(rs, messages) {
  const at = stateOf(rs).divider.value;
  if (at === null) return null;
  for (const m of messages) if (m.seq > at && counts(m)) return m.id;
  return null;
}

// ---- marking read -------------------------------------------------------------

const visible = () => typeof document === "undefined" || document.visibilityState === "visible";

/** The open list says whether its bottom is on screen. */
export function setBottomSeen(rs, seen) {
  stateOf(rs).bottomSeen = seen;
  if (seen) markRead(rs);
}

/**
 * Mark the room read up to its newest message, when it is the open room, the window
 * is visible and the bottom of its list has been seen. Cheap to call often.
 */
export function markRead(rs) {
  if (!rs || rs.id !== currentId.peek() || !visible() || !rs.loaded.peek()) return;
  const s = stateOf(rs);
  if (!s.bottomSeen) return;
  const seq = Math.max(rs.lastSeq, 0);
  if (seq <= s.lastRead.peek() && rs.unread.peek() === 0) return;
  markUpTo(rs, seq);
}

/** Ask the server to move my read position to `seq` (coalesced: one in flight per room, latest wins). */
export function markUpTo(rs, seq) {
  const s = stateOf(rs);
  if (seq <= Math.max(s.wanted, s.inflight)) return;
  s.wanted = seq;
  // What is read now is no longer unread here; the server's answer confirms it.
  if (seq >= rs.lastSeq) {
    batch(() => {
      s.lastRead.value = Math.max(s.lastRead.peek(), seq);
      rs.unread.value = 0;
      s.mentions.value = 0;
    });
  }
  if (!s.inflight) flushMark(rs);
}

function flushMark(rs) {
  const s = stateOf(rs);
  const seq = s.wanted;
  s.inflight = seq;
  const done = () => {
    s.inflight = 0;
    if (s.wanted > seq && rooms.peek().get(rs.id) === rs) flushMark(rs);
    else s.wanted = 0;
  };
  // Offline, REST takes it (its answer is the ReadState; the live one comes on reconnect).
  const sent = connection.online
    ? connection.request({ type: "mark_read", room: rs.id, seq })
    : Api.markRead(rs.id, seq).then(applyReadState);
  // On failure the next hello's read states tell the truth, and the open room is marked again.
  sent.then(done, () => { s.wanted = 0; s.inflight = 0; });
}

// ---- notification level -------------------------------------------------------

/** Set my notification level in a room ("all", "mentions", "none"). */
export async function setLevel(rs, level) {
  applyReadState(await Api.setNotifications(rs.id, level));
}

if (typeof document !== "undefined") {
  document.addEventListener("visibilitychange", () => {
    const rs = rooms.peek().get(currentId.peek());
    if (rs) markRead(rs);
  });
}
