// Going to a message in context (a search hit, a pin): open its room, and when the
// message is not held, load the history around it. The API has no "around" cursor:
// the window is the page ending at the message (`before` = its seq + 1) and the page
// after it (`after` = its seq). When the window does not reach the messages held, a
// gap stays between them, with a marker that loads the messages in between (the
// room's seq may skip thread replies, so the gap is remembered, not inferred).

import { signal, effect } from "@preact/signals-core";
import { Api } from "../transport/index.js";
import { rooms, addMessages, oldestSeq, batch } from "./store.js";
import { openRoom } from "./sync.js";
import { toast } from "./toasts.js";

const SIDE = 25;
const GAP_PAGE = 100;

/** Room id -> `{after, before}`: messages with `after < seq < before` are not held. */
export const gaps = signal(new Map());

function setGap(roomId, gap) {
  const next = new Map(gaps.peek());
  if (gap) next.set(roomId, gap);
  else next.delete(roomId);
  gaps.value = next;
}

/** Resolves once a room's first page is loaded (false if the room goes away). */
function loaded(rs) {
  if (rs.loaded.peek()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const stop = effect(() => {
      const gone = !rooms.value.has(rs.id);
      if (rs.loaded.value || gone) {
        queueMicrotask(() => stop());
        resolve(!gone);
      }
    });
  });
}

/**
 * Open the room of `message` and make sure the message and its neighbours are held.
 * Resolves with true when it is (then the list shows it; reveal it in the UI).
 */
export async function goToMessage(message) {
  const rs = rooms.peek().get(message.room_id);
  if (!rs) { toast("You are no longer in that room.", "error"); return false; }
  openRoom(rs.id);
  if (!(await loaded(rs))) return false;
  if (rs.msgs.has(message.id)) return true;
  const seq = message.seq;
  const heldOldest = oldestSeq(rs);
  try {
    const [older, newer] = await Promise.all([
      Api.messages(rs.id, { before: seq + 1, limit: SIDE }),
      Api.messages(rs.id, heldOldest !== null && heldOldest > seq + 1 ? { after: seq, before: heldOldest, limit: SIDE } : { after: seq, limit: SIDE }),
    ]);
    const win = [...(older.messages || []), ...(newer.messages || [])];
    batch(() => {
      rs.anchor = "prepend"; // the view stays where it is until the message is revealed
      const windowOldest = win.length ? win[0].seq : seq;
      addMessages(rs, win);
      if (heldOldest === null || windowOldest < heldOldest) rs.hasMore.value = !!older.has_more;
      // Between the window and the held messages: a gap, unless the page after the
      // message reached them.
      if (heldOldest !== null && heldOldest > seq && newer.has_more) {
        const last = (newer.messages || []).at(-1);
        setGap(rs.id, { after: last ? last.seq : seq, before: heldOldest });
      }
    });
  } catch (err) {
    toast(err.message, "error");
    return false;
  }
  return rs.msgs.has(message.id);
}

const filling = new Set();

/** Load the next messages of a room's gap (from its older side). */
export async function fillGapForward(rs) {
  const gap = gaps.peek().get(rs.id);
  if (!gap || filling.has(rs.id)) return;
  filling.add(rs.id);
  try {
    const page = await Api.messages(rs.id, { after: gap.after, before: gap.before, limit: GAP_PAGE });
    const list = page.messages || [];
    batch(() => {
      rs.anchor = "keep";
      addMessages(rs, list);
      setGap(rs.id, page.has_more && list.length ? { after: list.at(-1).seq, before: gap.before } : null);
    });
  } catch (err) {
    toast(err.message, "error");
  } finally {
    filling.delete(rs.id);
  }
}

/** The seq after which a room's list shows the gap marker, or null. */
export function gapAfter(roomId) {
  const gap = gaps.value.get(roomId);
  return gap ? gap.after : null;
}
