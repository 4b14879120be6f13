// Client state and its small, pure-ish mutations. Rendering is scheduled per region
// (sidebar, header, messages, members, typing, status) and batched into one frame.

export const ROLE_RANK = { member: 0, moderator: 1, admin: 2, owner: 3 };
export const ROLE_LABEL = { member: "Member", moderator: "Moderator", admin: "Admin", owner: "Owner" };

export const state = {
  me: null,
  rooms: new Map(), // room id -> RoomState
  current: null, // room id
  users: new Map(), // user id -> UserView (everyone we have seen)
  online: new Set(), // user ids known to be online
  status: "connecting",
  membersOpen: typeof window !== "undefined" && window.matchMedia("(min-width: 1100px)").matches,
  sidebarOpen: false,
  replyTo: null, // message
  editing: null, // {id, draft}
};

/** A room as the client holds it. */
export function roomState(view) {
  return {
    view,
    msgs: new Map(), // id -> message
    sorted: [], // messages ascending by seq (pending ones last)
    loaded: false,
    hasMore: true,
    loadingOlder: false,
    lastSeq: 0, // highest seq held
    unread: 0,
    members: null, // Map user id -> MemberView, once fetched
    typing: new Map(), // user id -> timer
    pending: new Map(), // nonce -> {nonce, body, reply_to, failed, created_at}
    draft: "",
  };
}

export function currentRoom() {
  return state.current ? state.rooms.get(state.current) || null : null;
}

export function rememberUser(u) {
  if (u && u.id) state.users.set(u.id, { ...(state.users.get(u.id) || {}), ...u });
}

let lookup = null;
/** Install the function that fetches users the client has not seen yet. */
export function setUserLookup(fn) {
  lookup = fn;
}

/** A user we have seen, or null (and a fetch is started for next time). */
export function knownUser(id) {
  if (!id) return null;
  if (state.me && id === state.me.id) return state.me;
  const u = state.users.get(id);
  if (!u && lookup) lookup(id);
  return u || null;
}

export function userName(id) {
  if (!id) return "Someone";
  const u = knownUser(id);
  return u ? (u.display_name || u.username) : "Unknown user";
}

/** Which of two versions of one message is newer (edits and deletions only move forward). */
function newer(a, b) {
  if (a.deleted_at) return a;
  if (b.deleted_at) return b;
  const ea = a.edited_at ? Date.parse(a.edited_at) : 0;
  const eb = b.edited_at ? Date.parse(b.edited_at) : 0;
  return eb >= ea ? b : a;
}

/**
 * Merge messages into a room, deduplicated by id (and by seq). Returns the messages
 * that were new to the client.
 */
export function addMessages(rs, messages) {
  const fresh = [];
  for (const m of messages) {
    if (!m || !m.id) continue;
    const old = rs.msgs.get(m.id);
    if (old) {
      rs.msgs.set(m.id, newer(old, m));
    } else {
      rs.msgs.set(m.id, m);
      fresh.push(m);
    }
    if (typeof m.seq === "number" && m.seq > rs.lastSeq) rs.lastSeq = m.seq;
  }
  if (fresh.length || messages.length) {
    rs.sorted = Array.from(rs.msgs.values()).sort((a, b) => a.seq - b.seq);
  }
  return fresh;
}

export function oldestSeq(rs) {
  return rs.sorted.length ? rs.sorted[0].seq : null;
}

export function myRole(rs) {
  return rs && rs.view ? rs.view.my_role || null : null;
}

export function rank(role) {
  return ROLE_RANK[role] ?? -1;
}

/** Mirrors the server's permission matrix (chatcore::perm) to decide what to offer. */
export const can = {
  moderate(rs, targetRole) {
    if (!rs || rs.view.kind === "direct") return false;
    const me = rank(myRole(rs));
    return me >= ROLE_RANK.moderator && me > rank(targetRole);
  },
  setRole(rs, targetRole, to) {
    if (!rs || rs.view.kind === "direct") return false;
    const me = rank(myRole(rs));
    return me >= ROLE_RANK.admin && me > rank(targetRole) && me > rank(to) && to !== "owner" && to !== targetRole;
  },
  editSettings(rs) {
    return !!rs && rs.view.kind !== "direct" && rank(myRole(rs)) >= ROLE_RANK.admin;
  },
  seeBans(rs) {
    return !!rs && rs.view.kind !== "direct" && rank(myRole(rs)) >= ROLE_RANK.moderator;
  },
  transfer(rs) {
    return !!rs && rs.view.kind !== "direct" && myRole(rs) === "owner";
  },
  deleteRoom(rs) {
    return !!rs && rs.view.kind !== "direct" && myRole(rs) === "owner";
  },
  deleteMessage(rs, msg) {
    if (!rs || !msg || msg.deleted_at || msg.kind === "system") return false;
    if (state.me && msg.author_id === state.me.id) return true;
    if (rs.view.kind === "direct") return false;
    const authorRole = rs.members && msg.author_id && rs.members.get(msg.author_id) ? rs.members.get(msg.author_id).role : "member";
    return rank(myRole(rs)) >= ROLE_RANK.moderator && rank(myRole(rs)) > rank(authorRole);
  },
};

/** Display name of a room for the viewer (direct rooms: the other user). */
export function roomTitle(view) {
  if (view.kind === "direct") {
    if (view.peer) return view.peer.display_name || view.peer.username;
    return "Direct message";
  }
  return view.name;
}

// ---- render scheduling ----------------------------------------------------------

const renderers = new Map();
const dirty = new Set();
let frame = 0;

export function onRender(region, fn) {
  renderers.set(region, fn);
}

/** Mark regions for re-rendering in the next animation frame. */
export function invalidate(...regions) {
  for (const r of regions) dirty.add(r);
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      const todo = Array.from(dirty);
      dirty.clear();
      for (const r of todo) {
        const fn = renderers.get(r);
        if (fn) fn();
      }
    });
  }
}

// ---- read markers (remembered per browser) -------------------------------------

const READ_KEY = "chatcore.read";

function readMap() {
  try { return JSON.parse(localStorage.getItem(READ_KEY) || "{}") || {}; } catch { return {}; }
}

export function lastRead(roomId) {
  const v = readMap()[roomId];
  return typeof v === "number" ? v : null;
}

export function markRead(rs) {
  rs.unread = 0;
  const m = readMap();
  m[rs.view.id] = Math.max(rs.lastSeq, rs.view.last_seq || 0);
  try { localStorage.setItem(READ_KEY, JSON.stringify(m)); } catch { /* storage full or blocked */ }
}
