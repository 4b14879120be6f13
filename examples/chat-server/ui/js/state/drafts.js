// Unsent composer text per room, kept in local storage so that a reload keeps it.
// Keyed by user and room; an emptied draft is removed. Storage may be blocked or
// full: then drafts live only as long as the page.

import { session } from "./store.js";

const PREFIX = "chatcore.draft.";
const MAX_CHARS = 4000;

function key(roomId) {
  const me = session.me.peek();
  return me ? `${PREFIX}${me.id}.${roomId}` : null;
}

/** The stored draft of a room ("" when none). */
export function loadDraft(roomId) {
  const k = key(roomId);
  try { return (k && localStorage.getItem(k)) || ""; } catch { return ""; }
}

/** Store (or, when empty, forget) a room's draft. */
export function saveDraft(roomId, text) {
  const k = key(roomId);
  if (!k) return;
  try {
    if (text.trim()) localStorage.setItem(k, text.slice(0, MAX_CHARS));
    else localStorage.removeItem(k);
  } catch { /* storage blocked or full */ }
}
