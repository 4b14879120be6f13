// Threads (wire shapes in docs/PROTOCOL.md): a root carries `thread {reply_count,
// last_reply_at, participants}`; replies carry `thread_root` (and `also_in_room` when
// they are shown in the room too). Replies reach the room's connection like every
// message, so those that arrive live are in the room's list (hidden from the
// timeline unless `also_in_room`); a thread's older replies are read with `history`
// `thread` and kept here, apart from the room's list (whose `seq` cursors they
// would break).

import { signal } from "@preact/signals-core";
import { Api, FeaturesApi, connection } from "../transport/index.js";
import { rooms, updateMessage, batch } from "./store.js";
import { panel } from "./panel.js";
import { toast } from "./toasts.js";

const PAGE = 50;

/** Whether a message belongs only to a thread (not shown in the room's timeline). */
export const threadOnly = (m) => !!m.thread_root && !m.also_in_room;

/** Root id -> `{replies: signal([Message]), hasMore: signal(bool), loading: signal(bool)}`. */
const threads = new Map();

function threadOf(root) {
  let t = threads.get(root);
  if (!t) {
    t = { replies: signal(null), hasMore: signal(false), loading: signal(false) };
    threads.set(root, t);
  }
  return t;
}

/** The thread panel of a root. */
export function openThread(root) {
  panel.value = { kind: "thread", room: root.room_id, root: root.id };
  loadThread(root.room_id, root.id);
}

function merge(list, more) {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return Array.from(byId.values()).sort((a, b) => a.seq - b.seq);
}

/** Read a thread's newest page (again: its older pages, `older`). */
export async function loadThread(roomId, root, older = false) {
  const t = threadOf(root);
  if (t.loading.peek() || (!older && t.replies.peek())) return;
  const held = t.replies.peek() || [];
  t.loading.value = true;
  try {
    const q = { thread: root, limit: PAGE };
    if (older && held.length) q.before = held[0].seq;
    const page = await Api.messages(roomId, q);
    batch(() => {
      t.replies.value = merge(held, page.messages || []);
      t.hasMore.value = !!page.has_more;
    });
  } catch (err) {
    toast(err.message, "error");
  } finally {
    t.loading.value = false;
  }
}

/** A thread's replies: those read here and those the room's connection received. */
export function repliesOf(rs, root) {
  const t = threadOf(root);
  const live = rs.messages.value.filter((m) => m.thread_root === root);
  const read = (t.replies.value || []).map((m) => rs.msgs.get(m.id) || m);
  return { replies: merge(read, live), hasMore: t.hasMore.value, loading: t.loading.value, loaded: !!t.replies.value };
}

/** `thread_updated`: the root's new summary. */
export function onThreadUpdated(ev) {
  const rs = rooms.peek().get(ev.room);
  if (!rs) return;
  if (rs.msgs.has(ev.root)) updateMessage(rs, ev.root, { thread: ev.thread });
  // A reply deleted while the thread was read: read it again.
  const t = threads.get(ev.root);
  const held = t && t.replies.peek();
  if (held && ev.thread && held.filter((m) => !m.deleted_at).length > ev.thread.reply_count) {
    t.replies.value = null;
    loadThread(ev.room, ev.root);
  }
}

function nonce() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Send a reply in a thread; resolves with true when the server took it. */
export async function sendReply(rs, root, body, alsoInRoom) {
  const text = body.replace(/\s+$/, "");
  if (!text.trim()) return false;
  const b = { nonce: nonce(), body: text, thread_root: root, also_in_room: !!alsoInRoom };
  try {
    if (connection.online) {
      await connection.request({ type: "send", room: rs.id, ...b });
    } else {
      const m = await FeaturesApi.sendReply(rs.id, b);
      const t = threadOf(root);
      if (m && t.replies.peek()) t.replies.value = merge(t.replies.peek(), [m]);
    }
    return true;
  } catch (err) {
    toast(err.message, "error");
    return false;
  }
}
