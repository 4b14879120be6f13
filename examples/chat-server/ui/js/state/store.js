// Client state, as signals. Components read `.value` and re-render when what they
// read changes; the event module (events.js) and the actions (actions.js) write it.
// Data and small mutations only: no network, no DOM. Values held in signals are
// treated as immutable: a change stores a new object, array or Map.

import { signal, computed, batch } from "@preact/signals-core";

export { batch };

export const ROLE_RANK = { member: 0, moderator: 1, admin: 2, owner: 3 };
export const ROLE_LABEL = { member: "Member", moderator: "Moderator", admin: "Admin", owner: "Owner" };

const hasWindow = typeof window !== "undefined";

// ---- session -------------------------------------------------------------------

export const session = {
  /** "boot" (finding out whether we are logged in), "auth" (sign-in screen), "app". */
  phase: signal("boot"),
  /** The sign-in screen's tab ("login" or "register") and the notice it shows. */
  authMode: signal("login"),
  authNotice: signal(null),
  /** The account (MeView). */
  me: signal(null),
  /** The live connection: "connecting", "online" or "offline". */
  status: signal("connecting"),
};

// ---- rooms ---------------------------------------------------------------------

/** A room as the client holds it. Each part the UI shows is its own signal. */
export class RoomState {
  constructor(view) {
    this.id = view.id;
    /** The RoomView (with `permissions`: what the server lets me do here). */
    this.view = signal(view);
    /** Messages ascending by seq (pending sends are in `pending`). */
    this.messages = signal([]);
    this.msgs = new Map(); // id -> message, the same objects as in `messages`
    this.lastSeq = 0; // highest seq held
    this.loaded = signal(false);
    this.hasMore = signal(true);
    this.loadingOlder = signal(false);
    this.unread = signal(0);
    /** Map user id -> MemberView, once fetched (null before). */
    this.members = signal(null);
    /** Ids of the users typing (never mine). */
    this.typing = signal([]);
    this.typingTimers = new Map();
    /** Sends not yet confirmed: {room, nonce, body, reply_to, failed, created_at}. */
    this.pending = signal([]);
    this.draft = "";
    /** Messages that arrive live while the first page loads (null when not loading). */
    this.early = null;
    /** How the message list scrolls after its next update: "bottom", "prepend" or null. */
    this.anchor = null;
    this.fillingGap = false;
  }

  /** The messages in seq order (the value of `messages`). */
  get sorted() {
    return this.messages.value;
  }
}

export function roomState(view) {
  return new RoomState(view);
}

/** Every room I am in: id -> RoomState. The Map is replaced when rooms come or go. */
export const rooms = signal(new Map());
/** The open room's id. */
export const currentId = signal(null);
/** The open room's state, or null. */
export const currentRoom = computed(() => rooms.value.get(currentId.value) || null);

export function putRoom(rs) {
  const next = new Map(rooms.value);
  next.set(rs.id, rs);
  rooms.value = next;
}

export function removeRoom(id) {
  if (!rooms.value.has(id)) return;
  const next = new Map(rooms.value);
  next.delete(id);
  rooms.value = next;
}

/** Display name of a room for the viewer (direct rooms: the other user). */
export function roomTitle(view) {
  if (view.kind === "direct") {
    if (view.peer) return view.peer.display_name || view.peer.username;
    return "Direct message";
  }
  return view.name;
}

// ---- UI state ------------------------------------------------------------------

export const ui = {
  theme: signal(hasWindow ? document.documentElement.dataset.theme || "light" : "light"),
  sidebarOpen: signal(false),
  membersOpen: signal(hasWindow && window.matchMedia("(min-width: 1100px)").matches),
  /** The message being replied to. */
  replyTo: signal(null),
  /** Id of the message being edited. */
  editing: signal(null),
  /** Bumped to ask the composer to take the focus. */
  focusComposer: signal(0),
  /** Text given back to a room's composer (a send refused by slow mode): {room, text}. */
  restoreText: signal(null),
  /** Slow mode: when I may send again, per room: {room, until} (ms since the epoch). */
  slowWait: signal(null),
};

// ---- users and presence --------------------------------------------------------

const users = new Map(); // user id -> signal of UserView (null until known)
let lookup = null;

function userSignal(id) {
  let s = users.get(id);
  if (!s) {
    s = signal(null);
    users.set(id, s);
  }
  return s;
}

export function rememberUser(u) {
  if (!u || !u.id) return;
  const s = userSignal(u.id);
  s.value = { ...(s.value || {}), ...u };
}

/** Install the function that fetches users the client has not seen yet. */
export function setUserLookup(fn) {
  lookup = fn;
}

/** A user we have seen, or null (and a fetch is started for next time). */
export function knownUser(id) {
  if (!id) return null;
  const me = session.me.value;
  if (me && id === me.id) return me;
  const u = userSignal(id).value;
  if (!u && lookup) lookup(id);
  return u;
}

export function userName(id) {
  if (!id) return "Someone";
  const u = knownUser(id);
  return u ? (u.display_name || u.username) : "Unknown user";
}

export function forgetUsers() {
  users.clear();
}

/** Ids of the users known to be online. Replaced on change. */
export const online = signal(new Set());

export function setOnline(id, isOnline) {
  if (online.value.has(id) === isOnline) return;
  const next = new Set(online.value);
  if (isOnline) next.add(id);
  else next.delete(id);
  online.value = next;
}

// ---- messages ------------------------------------------------------------------

const SHOWN_FIELDS = ["seq", "author_id", "kind", "body", "reply_to", "edited_at", "deleted_at", "created_at"];

/** Whether two copies of a message show the same (then the held one is kept). */
function sameMessage(a, b) {
  if (SHOWN_FIELDS.some((k) => a[k] !== b[k])) return false;
  if (JSON.stringify(a.reactions || []) !== JSON.stringify(b.reactions || [])) return false;
  if (JSON.stringify(a.thread ?? null) !== JSON.stringify(b.thread ?? null)) return false;
  return JSON.stringify(a.attachment ?? null) === JSON.stringify(b.attachment ?? null)
    && JSON.stringify(a.system ?? null) === JSON.stringify(b.system ?? null);
}

/**
 * Which of two versions of one message to hold: edits and deletions only move
 * forward; at equal edit times the server's newer copy wins unless it shows the same.
 */
function newer(a, b) {
  if (a.deleted_at) return a;
  if (b.deleted_at) return b;
  const ea = a.edited_at ? Date.parse(a.edited_at) : 0;
  const eb = b.edited_at ? Date.parse(b.edited_at) : 0;
  if (eb !== ea) return eb > ea ? b : a;
  return sameMessage(a, b) ? a : b;
}

/** Edits carry no reactions (docs/PROTOCOL.md): a copy without them keeps those held. */
function keepReactions(old, m) {
  return m.reactions || !old.reactions ? m : { ...m, reactions: old.reactions };
}

/**
 * Merge messages into a room, deduplicated by id. Returns the messages that were new
 * to the client. Unchanged messages keep their object, so their rows do not re-render.
 */
export function addMessages(rs, messages) {
  const fresh = [];
  let changed = false;
  let appendOnly = true;
  const list = rs.messages.peek();
  let last = list.length ? list[list.length - 1].seq : -Infinity;
  for (const m of messages) {
    if (!m || !m.id) continue;
    const old = rs.msgs.get(m.id);
    if (old) {
      const keep = newer(old, keepReactions(old, m));
      if (keep !== old) {
        rs.msgs.set(m.id, keep);
        changed = true;
        appendOnly = false;
      }
    } else {
      rs.msgs.set(m.id, m);
      fresh.push(m);
      changed = true;
      if (m.seq <= last) appendOnly = false;
      last = Math.max(last, m.seq);
    }
    if (typeof m.seq === "number" && m.seq > rs.lastSeq) rs.lastSeq = m.seq;
  }
  if (changed) {
    rs.messages.value = appendOnly
      ? list.concat(fresh)
      : Array.from(rs.msgs.values()).sort((a, b) => a.seq - b.seq);
  }
  return fresh;
}

/** Replace one message by a changed copy (deletion), keeping its place. */
export function updateMessage(rs, id, change) {
  const old = rs.msgs.get(id);
  if (!old) return null;
  const next = { ...old, ...change };
  rs.msgs.set(id, next);
  rs.messages.value = rs.messages.peek().map((m) => (m.id === id ? next : m));
  return next;
}

export function oldestSeq(rs) {
  return rs.sorted.length ? rs.sorted[0].seq : null;
}

/** Add or replace (`entry`) or remove (`null`) an unconfirmed send. */
export function setPending(rs, nonce, entry) {
  const list = rs.pending.peek();
  const i = list.findIndex((p) => p.nonce === nonce);
  if (!entry) {
    if (i >= 0) rs.pending.value = list.filter((_, j) => j !== i);
    return;
  }
  rs.pending.value = i >= 0 ? list.map((p, j) => (j === i ? entry : p)) : [...list, entry];
}

// ---- members -------------------------------------------------------------------

export function rank(role) {
  return ROLE_RANK[role] ?? -1;
}

/** A member's role in a room, or null when the client does not know it. */
export function roleOf(rs, userId) {
  const m = rs.members.value && rs.members.value.get(userId);
  return m ? m.role : null;
}

/** Change the member map of a room (a copy is stored). */
export function editMembers(rs, change) {
  if (!rs.members.peek()) return;
  const next = new Map(rs.members.peek());
  change(next);
  rs.members.value = next;
}

// ---- permissions (as the server states them in RoomView.permissions) -----------

const NOTHING = Object.freeze({
  send: false, edit_settings: false, set_slow_mode: false, invite: false, view_code: false,
  rotate_code: false, transfer_ownership: false, delete_room: false,
  kick: [], ban: [], delete_messages_of: [], set_role: [],
});

/** What I may do in a room; nothing until the server has said. */
export function permissionsOf(rs) {
  return (rs && rs.view.value.permissions) || NOTHING;
}

/** Whether I may delete a message: my own, or one whose author's role the server lets me act on. */
export function canDeleteMessage(rs, m) {
  if (!rs || !m || m.deleted_at || m.kind === "system") return false;
  const me = session.me.peek();
  if (me && m.author_id === me.id) return true;
  return permissionsOf(rs).delete_messages_of.includes(roleOf(rs, m.author_id) || "member");
}

/**
 * The moderation actions a member card offers on `member`, in display order:
 * `promote-admin`, `promote-moderator`, `demote-moderator`, `demote-member`,
 * `transfer`, `kick`, `ban`.
 */
export function memberActionIds(rs, member) {
  const me = session.me.peek();
  if (!rs || (me && member.user.id === me.id)) return [];
  const p = permissionsOf(rs);
  const target = member.role;
  const change = p.set_role.find((c) => c.target === target);
  const to = change ? change.to : [];
  const out = [];
  if (to.includes("admin") && rank(target) < rank("admin")) out.push("promote-admin");
  if (to.includes("moderator") && rank(target) < rank("moderator")) out.push("promote-moderator");
  if (to.includes("moderator") && rank(target) > rank("moderator")) out.push("demote-moderator");
  if (to.includes("member") && rank(target) > rank("member")) out.push("demote-member");
  if (p.transfer_ownership) out.push("transfer");
  if (p.kick.includes(target)) out.push("kick");
  if (p.ban.includes(target)) out.push("ban");
  return out;
}
