// The one module that handles what the server pushes: the live connection's hello,
// every event, status changes and lost sessions. Each handler updates the state in
// store.js; components re-render from it. Unknown events are ignored (the protocol
// grows additively).

import { Api, connection } from "../transport/index.js";
import {
  session, rooms, currentId, ui, rememberUser, setOnline, addMessages, updateMessage, setPending, editMembers,
  roomTitle, userName, batch,
} from "./store.js";
import { markRead, applyReadState, applyReadStates, applyReceipt, messageArrived, messageDeleted } from "./reads.js";
import {
  addRoomView, dropRoom, joinLive, loadRooms, loadMembers, loadDirectPresence, refreshRoom, fillGap, roomJoined,
  endSession,
} from "./sync.js";
import { toast } from "./toasts.js";
import { sentence } from "../errors.js";
import { loadInvites } from "./invites.js";
import { onReaction } from "./reactions.js";
import { onPinEvent } from "./pins.js";
import { loadBlocks, onReport, onTimedOut } from "./moderation.js";
import { onPublicRoom, onUserUpdated } from "./directory.js";
import { onThreadUpdated } from "./threads.js";

const room = (id) => rooms.peek().get(id) || null;
const isMe = (id) => !!session.me.peek() && id === session.me.peek().id;
const visible = () => document.visibilityState === "visible";

/** The handlers given to `connection.start`. */
export const liveHandlers = {
  onHello,
  onEvent,
  onStatus(status) {
    session.status.value = status;
  },
  onAuthLost(code) {
    const why = code === 4002 ? "Your session was ended." : code === 4003 ? "This account was deleted." : code === 4004 ? "This account is suspended." : "Please log in again.";
    endSession(why);
  },
  onSendDelayed(entry, err) {
    // Slow mode: the text goes back to the composer, with how long to wait (other
    // rate limits: the client sends it again when the wait is over).
    const rs = room(entry.room);
    if (err.code !== "rate_limited" || !rs || !rs.view.peek().slow_mode_secs) return false;
    const p = rs.pending.peek().find((x) => x.nonce === entry.nonce);
    const wait = Math.max(500, err.retryAfterMs || 1000);
    batch(() => {
      if (p) setPending(rs, p.nonce, null);
      ui.restoreText.value = { room: entry.room, text: entry.body };
      ui.slowWait.value = { room: entry.room, until: Date.now() + wait };
    });
    return true;
  },
  onSendFailed(entry, err) {
    const rs = room(entry.room);
    const p = rs && rs.pending.peek().find((x) => x.nonce === entry.nonce);
    if (p) setPending(rs, p.nonce, { ...p, failed: err.message || err.code });
  },
};

function onHello(hello, reconnect) {
  if (hello.user) {
    session.me.value = { ...session.me.peek(), ...hello.user };
    rememberUser(hello.user);
  }
  setOnline(session.me.peek().id, true);
  applyReadStates(hello.read_states);
  // The client has sent `resume`: what was missed arrives as message_created events
  // (rooms that cannot be resumed, left or deleted while away, are settled by the
  // room list reload below).
  if (reconnect) {
    // Membership, roles and presence may have changed while away.
    loadRooms().catch(() => {});
    for (const rs of rooms.peek().values()) {
      if (rs.members.peek()) loadMembers(rs);
      clearTyping(rs);
    }
  }
  loadDirectPresence();
  loadBlocks();
}

function onEvent(ev) {
  switch (ev.type) {
    case "message_created": return receiveMessage(ev.message, true);
    case "message_edited": return receiveMessage(ev.message, false);
    case "history": {
      const rs = room(ev.room);
      if (rs && rs.loaded.peek()) addMessages(rs, ev.messages || []);
      return;
    }
    case "message_deleted": return onDeleted(ev);
    case "sent": return onSent(ev);
    case "member_joined": {
      const rs = room(ev.room);
      if (!rs) return;
      batch(() => {
        rememberUser(ev.member.user);
        if (ev.member.online) setOnline(ev.member.user.id, true);
        editMembers(rs, (m) => m.set(ev.member.user.id, ev.member));
        const count = rs.members.peek() ? rs.members.peek().size : (rs.view.peek().member_count || 0) + 1;
        rs.view.value = { ...rs.view.peek(), member_count: count };
      });
      return;
    }
    case "member_removed": return onMemberRemoved(ev);
    case "role_changed": {
      const rs = room(ev.room);
      if (!rs) return;
      editMembers(rs, (m) => { const mem = m.get(ev.user); if (mem) m.set(ev.user, { ...mem, role: ev.role }); });
      if (isMe(ev.user)) {
        rs.view.value = { ...rs.view.peek(), my_role: ev.role };
        // The new role's permissions (and the code) come with the room as I now see it.
        refreshRoom(rs.id);
        toast(`You are now ${ev.role === "member" ? "a member" : "a" + (ev.role === "admin" ? "n " : " ") + ev.role} in ${roomTitle(rs.view.peek())}.`, "info");
      }
      return;
    }
    case "room_created": {
      const rs = addRoomView(ev.room);
      joinLive(ev.room.id, rs.loaded.peek() ? rs.lastSeq : undefined);
      return;
    }
    case "room_updated": {
      const rs = room(ev.room.id);
      if (!rs) return;
      addRoomView(ev.room);
      const p = rs.view.peek().permissions;
      if (p && p.view_code) refreshRoom(ev.room.id);
      return;
    }
    case "room_deleted": {
      const rs = room(ev.room);
      if (!rs) return;
      if (ev.room === currentId.peek()) toast(`${roomTitle(rs.view.peek())} was deleted.`, "info");
      dropRoom(ev.room);
      return;
    }
    case "typing": return onTyping(ev);
    case "read_state": return applyReadState(ev);
    case "receipt": return applyReceipt(ev);
    case "report_created": case "report_resolved": return onReport(ev);
    case "timed_out": return onTimedOut(ev);
    case "presence": {
      batch(() => {
        setOnline(ev.user, !!ev.online);
        if (ev.last_seen_at) {
          rememberUser({ id: ev.user, last_seen_at: ev.last_seen_at });
          for (const rs of rooms.peek().values()) {
            editMembers(rs, (m) => { const mem = m.get(ev.user); if (mem) m.set(ev.user, { ...mem, user: { ...mem.user, last_seen_at: ev.last_seen_at } }); });
            const v = rs.view.peek();
            if (v.peer && v.peer.id === ev.user) rs.view.value = { ...v, peer: { ...v.peer, last_seen_at: ev.last_seen_at } };
          }
        }
      });
      return;
    }
    case "invited": {
      loadInvites();
      toast(`${userName(ev.by)} invited you to ${ev.room_name}.`, "info", {
        label: "Join", run: () => { Api.join(ev.room).then((view) => roomJoined(view, true), (err) => toast(err.message, "error")); },
      });
      return;
    }
    case "error": {
      if (ev.id === null || ev.id === undefined) toast(sentence(ev.code, ev.message, ev.field), "error");
      return;
    }
    case "reaction_added": case "reaction_removed": return onReaction(ev);
    case "message_pinned": case "message_unpinned": return onPinEvent(ev);
    case "public_room_created":
    case "public_room_updated":
    case "public_room_deleted": return onPublicRoom(ev);
    case "user_updated": return onUserUpdated(ev);
    case "thread_updated": return onThreadUpdated(ev);
    default:
      // Unknown events are ignored (the protocol grows additively).
  }
}

/** A message arrived (live, or from an upload's answer). */
export function receiveMessage(m, created) {
  if (!m) return;
  const rs = room(m.room_id);
  if (!rs) return;
  batch(() => {
    if (m.seq > (rs.view.peek().last_seq || 0)) rs.view.value = { ...rs.view.peek(), last_seq: m.seq };
    const mine = isMe(m.author_id);
    if (m.author_id) stopTyping(rs, m.author_id); // a message ends its author's typing
    if (!rs.loaded.peek()) {
      // While the first page is being fetched, keep what arrives live: the page may
      // have been read before it, and the replay after the page skips what this
      // connection was already sent.
      if (rs.early) rs.early.push(m);
      if (created) messageArrived(rs, m);
      return;
    }
    const gap = created && m.seq > rs.lastSeq + 1 && rs.lastSeq > 0;
    const fresh = addMessages(rs, [m]);
    if (gap) fillGap(rs);
    if (m.kind === "system" && m.system && m.system.event === "ownership_transferred") {
      if (rs.members.peek()) loadMembers(rs);
      refreshRoom(rs.id);
    }
    const shown = m.room_id === currentId.peek() && visible();
    if (fresh.length && created) messageArrived(rs, m);
    if (m.room_id === currentId.peek()) {
      if (mine && created) rs.anchor = "bottom";
      if (shown) markRead(rs);
    }
  });
}

function onDeleted(ev) {
  const rs = room(ev.room);
  if (!rs) return;
  const at = new Date().toISOString();
  const early = rs.early && rs.early.find((e) => e.id === ev.message_id);
  if (early) rs.early.push({ ...early, body: "", deleted_at: early.deleted_at || at });
  const m = rs.msgs.get(ev.message_id);
  if (!m) return;
  messageDeleted(rs, m);
  batch(() => {
    updateMessage(rs, m.id, { body: "", deleted_at: m.deleted_at || at });
    if (ui.editing.peek() === m.id) ui.editing.value = null;
  });
}

function onSent(ev) {
  const rs = room(ev.room);
  if (!rs) return;
  const p = rs.pending.peek().find((x) => x.nonce === ev.nonce);
  batch(() => {
    setPending(rs, ev.nonce, null);
    if (p && !rs.msgs.has(ev.message_id)) {
      addMessages(rs, [{
        id: ev.message_id, room_id: ev.room, seq: ev.seq, author_id: session.me.peek().id, kind: "text", body: p.body,
        system: null, attachment: null, reply_to: p.reply_to || null, created_at: p.created_at, edited_at: null, deleted_at: null,
      }]);
    }
    if (ev.room === currentId.peek()) { rs.anchor = "bottom"; markRead(rs); }
  });
}

function onMemberRemoved(ev) {
  const rs = room(ev.room);
  if (!rs) return;
  if (isMe(ev.user) && ev.reason === "account_deleted") {
    endSession("Your account was deleted.");
    return;
  }
  if (ev.reason === "account_deleted") forgetDeletedUser(rs, ev.user);
  if (isMe(ev.user)) {
    const name = roomTitle(rs.view.peek());
    const why = ev.reason === "banned" ? `You were banned from ${name}.` : ev.reason === "kicked" ? `You were removed from ${name}.` : ev.reason === "room_deleted" ? `${name} was deleted.` : null;
    if (why) toast(why, ev.reason === "banned" ? "error" : "info");
    dropRoom(ev.room);
    return;
  }
  batch(() => {
    editMembers(rs, (m) => m.delete(ev.user));
    stopTyping(rs, ev.user);
    const count = rs.members.peek() ? rs.members.peek().size : Math.max(0, (rs.view.peek().member_count || 1) - 1);
    rs.view.value = { ...rs.view.peek(), member_count: count };
  });
}

/** A deleted account's messages are erased (tombstones without an author remain). */
function forgetDeletedUser(rs, user) {
  const at = new Date().toISOString();
  batch(() => {
    rememberUser({ id: user, username: "deleted", display_name: "Deleted user", avatar_url: null, bio: "" });
    for (const m of rs.messages.peek()) {
      if (m.author_id === user) updateMessage(rs, m.id, { body: "", author_id: null, attachment: null, deleted_at: m.deleted_at || at });
    }
  });
}

// ---- typing --------------------------------------------------------------------

function onTyping(ev) {
  if (isMe(ev.user)) return;
  const rs = room(ev.room);
  if (!rs) return;
  stopTyping(rs, ev.user);
  if (!ev.typing) return;
  rs.typingTimers.set(ev.user, setTimeout(() => stopTyping(rs, ev.user), ev.expires_in_ms || 6000));
  rs.typing.value = [...rs.typing.peek(), ev.user];
}

function stopTyping(rs, user) {
  clearTimeout(rs.typingTimers.get(user));
  rs.typingTimers.delete(user);
  if (rs.typing.peek().includes(user)) rs.typing.value = rs.typing.peek().filter((u) => u !== user);
}

function clearTyping(rs) {
  for (const t of rs.typingTimers.values()) clearTimeout(t);
  rs.typingTimers.clear();
  rs.typing.value = [];
}
