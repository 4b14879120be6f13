// Read state in the UI: the sidebar's unread and mention badges, the "new messages"
// divider, the sentinel that tells when the bottom of the open list is on screen, the
// highlight of messages that mention me, and receipts ("Seen" in direct rooms, seen-by
// avatars in small rooms).

import { html, useEffect, useRef } from "../lib.js";
import { effect } from "@preact/signals";
import { Avatar } from "./common.js";
import { session, knownUser, userName } from "../state/store.js";
import {
  mentionsOf, levelOf, receiptsOf, firstUnreadId, mentionsMe, setBottomSeen, markRead,
} from "../state/reads.js";

const MAX_AVATARS = 5;

/** A room's badges in the sidebar: mentions (if any) and unread (muted rooms: quieter). */
export function RoomBadges({ rs }) {
  const unread = rs.unread.value;
  const mentions = mentionsOf(rs);
  const muted = levelOf(rs) === "none";
  return html`${mentions ? html`<span class="badge badge-mention" data-testid="mention-badge"
      aria-label=${`${mentions} ${mentions === 1 ? "mention" : "mentions"}`}>@${mentions > 99 ? "99+" : String(mentions)}</span>` : null}
    ${unread ? html`<span class=${"badge" + (muted ? " badge-muted" : "")} data-testid="unread-badge"
      aria-label=${`${unread} unread${muted ? ", muted" : ""}`}>${unread > 99 ? "99+" : String(unread)}</span>` : null}`;
}

/** The class a message row adds when it mentions me. */
export function mentionClass(m) {
  return mentionsMe(m) ? " mention" : "";
}

function NewDivider() {
  return html`<div class="new-divider" role="separator" aria-label="New messages" data-testid="new-divider"><span>New messages</span></div>`;
}

/**
 * What the list shows around its rows: `divider` is the id of the message the "new
 * messages" divider goes above; `after` maps a message id to what follows its row
 * (receipts).
 */
export function readMarks(rs, messages) {
  const divider = firstUnreadId(rs, messages);
  const after = new Map();
  const receipts = receiptsOf(rs);
  if (!receipts.size || !messages.length) return { divider, after, dividerRow: NewDivider };
  const me = session.me.value;
  if (rs.view.value.kind === "direct") {
    // "Seen" under my last message, while nobody has written after it.
    const last = messages[messages.length - 1];
    const peer = Array.from(receipts.values())[0] || 0;
    if (me && last.author_id === me.id && peer >= last.seq) {
      after.set(last.id, html`<div key=${"seen-" + last.id} class="seen" data-testid="seen">Seen</div>`);
    }
  } else {
    // Each member's avatar under the last message they have read.
    const at = new Map();
    for (const [user, seq] of receipts) {
      const i = lastAtOrBefore(messages, seq);
      if (i < 0) continue;
      const id = messages[i].id;
      if (!at.has(id)) at.set(id, []);
      at.get(id).push(user);
    }
    for (const [id, users] of at) after.set(id, html`<${SeenBy} key=${"seen-" + id} users=${users} />`);
  }
  return { divider, after, dividerRow: NewDivider };
}

/** Index of the last message with seq <= `seq` (messages ascending), or -1. */
function lastAtOrBefore(messages, seq) {
  let lo = 0;
  let hi = messages.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid].seq <= seq) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

function SeenBy({ users }) {
  const names = users.map(userName);
  const label = `Seen by ${names.join(", ")}`;
  const shown = users.slice(0, MAX_AVATARS);
  return html`<div class="seen-by" role="img" aria-label=${label} title=${label} data-testid="seen-by">
    ${shown.map((u) => html`<${Avatar} key=${u} user=${knownUser(u) || { id: u, username: "?" }} size=${18} />`)}
    ${users.length > shown.length ? html`<span class="seen-more">+${users.length - shown.length}</span>` : null}
  </div>`;
}

/**
 * An empty element at the end of the list: while it is on screen (and the window is
 * visible) the room is marked read, also as new messages arrive.
 */
export function ReadSentinel({ rs }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    const root = el.closest(".messages");
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) setBottomSeen(rs, e.isIntersecting);
    }, { root, threshold: 0 });
    io.observe(el);
    const stop = effect(() => {
      rs.messages.value;
      rs.loaded.value;
      markRead(rs);
    });
    return () => { io.disconnect(); stop(); setBottomSeen(rs, false); };
  }, [rs]);
  return html`<div ref=${ref} class="read-sentinel" aria-hidden="true"></div>`;
}
