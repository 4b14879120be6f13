// Reactions: the `reaction_added` / `reaction_removed` events applied to the messages
// held, toggling one's own reaction, and catching up after a reconnect (the resume
// replays messages, not reaction changes: docs/PROTOCOL.md, "Reactions").

import { effect } from "@preact/signals-core";
import { Api, FeaturesApi, connection } from "../transport/index.js";
import { session, rooms, batch } from "./store.js";
import { toast } from "./toasts.js";

/** The emoji the picker offers, with their names (the buttons' labels). */
export const PALETTE = [
  ["👍", "thumbs up"], ["❤️", "heart"], ["😂", "laughing"], ["🎉", "party"],
  ["😮", "surprised"], ["😢", "sad"], ["🙏", "thanks"], ["👀", "eyes"],
];

/** The name of an emoji of the palette (or the emoji itself). */
export function emojiName(emoji) {
  const e = PALETTE.find(([x]) => x === emoji);
  return e ? e[1] : emoji;
}

/**
 * Replace the `reactions` of held messages, in one update of the list: `change` maps
 * a message id to its new summary array.
 */
function setReactions(rs, change) {
  let touched = false;
  for (const [id, reactions] of change) {
    const old = rs.msgs.get(id);
    if (!old) continue;
    if (JSON.stringify(old.reactions || []) === JSON.stringify(reactions)) continue;
    rs.msgs.set(id, { ...old, reactions });
    touched = true;
  }
  if (touched) rs.messages.value = rs.messages.peek().map((m) => rs.msgs.get(m.id) || m);
}

/** A reaction event: `count` is the emoji's new count (absolute, so applying it again is harmless). */
export function onReaction(ev) {
  const rs = rooms.peek().get(ev.room);
  const m = rs && rs.msgs.get(ev.message_id);
  if (!m) return;
  const me = session.me.peek();
  const mine = !!me && ev.user === me.id;
  const list = (m.reactions || []).slice();
  const i = list.findIndex((r) => r.emoji === ev.emoji);
  const added = ev.type === "reaction_added";
  const count = typeof ev.count === "number" ? ev.count : (i >= 0 ? list[i].count : 0) + (added ? 1 : -1);
  if (count <= 0) {
    if (i >= 0) list.splice(i, 1);
  } else {
    const held = i >= 0 ? list[i] : { emoji: ev.emoji, count: 0, me: false };
    const next = { ...held, count, me: mine ? added : held.me };
    if (i >= 0) list[i] = next;
    else list.push(next);
  }
  setReactions(rs, [[m.id, list]]);
}

/** Add my reaction `emoji` to a message, or take it back if I gave it. */
export async function toggleReaction(m, emoji) {
  const given = (m.reactions || []).some((r) => r.emoji === emoji && r.me);
  try {
    if (connection.online) {
      await connection.request({ type: given ? "unreact" : "react", message: m.id, emoji });
    } else if (given) {
      await FeaturesApi.unreact(m.id, emoji);
    } else {
      await FeaturesApi.react(m.id, emoji);
    }
  } catch (err) {
    toast(err.code === "too_large" ? "This message has as many different reactions as it can take." : err.message, "error");
  }
}

/**
 * After a reconnect, re-read the reactions of the messages held (at most a few pages
 * per room): the summaries in history are current, absent meaning none.
 */
async function refreshReactions() {
  for (const rs of rooms.peek().values()) {
    if (!rs.loaded.peek() || !rs.sorted.length) continue;
    let after = rs.sorted[0].seq - 1;
    for (let pages = 0; pages < 5; pages++) {
      let page;
      try { page = await Api.messages(rs.id, { after, limit: 100 }); } catch { break; }
      const list = page.messages || [];
      batch(() => setReactions(rs, list.map((m) => [m.id, m.reactions || []])));
      if (!page.has_more || !list.length) break;
      after = list[list.length - 1].seq;
    }
  }
}

let wasOnline = false;
let dropped = false;
effect(() => {
  const status = session.status.value;
  if (status === "online") {
    if (wasOnline && dropped) refreshReactions();
    wasOnline = true;
    dropped = false;
  } else if (wasOnline) {
    dropped = true;
  }
  if (!session.me.value) { wasOnline = false; dropped = false; }
});
