// What the user does: each action calls the server through the transport layer and
// updates the state. Components call these; they never talk to the network.

import { Api, ApiError, connection, newNonce as nonce } from "../transport/index.js";
import {
  session, rooms, currentId, currentRoom, ui, rememberUser, forgetUsers, online, editMembers, roomTitle,
  setPending, addMessages, batch,
} from "./store.js";
import { markRead } from "./reads.js";
import {
  loadRooms, openRoom, roomJoined, refreshRoom, loadMembers, dropRoom, endSession, addRoomView,
} from "./sync.js";
import { liveHandlers, receiveMessage } from "./events.js";
import { toast } from "./toasts.js";
import { loadInvites } from "./invites.js";
import { confirm } from "../ui/modal.js";

export { openRoom, roomJoined, loadOlder } from "./sync.js";

const MAX_BODY_CHARS = 4000;

// ---- session -------------------------------------------------------------------

/** First load: the app if the session cookie is valid, else the sign-in screen. */
export async function boot() {
  try {
    await startSession();
  } catch (err) {
    endSession(err instanceof ApiError && err.status === 401 ? null : err.message);
  }
}

/** After a login or registration (or at boot): load the account and rooms, connect. */
export async function startSession() {
  const me = await Api.me();
  batch(() => {
    forgetUsers();
    rooms.value = new Map();
    currentId.value = null;
    online.value = new Set();
    session.me.value = me.user || me;
    rememberUser(session.me.peek());
  });
  await loadRooms();
  loadInvites();
  session.status.value = "connecting";
  session.phase.value = "app";
  connection.start(liveHandlers);
  const wanted = decodeURIComponent(location.hash.replace(/^#\/?room\//, ""));
  if (rooms.peek().has(wanted)) openRoom(wanted);
  else if (window.matchMedia("(min-width: 800px)").matches) {
    const any = Array.from(rooms.peek().values()).sort((a, b) => (b.view.peek().last_seq || 0) - (a.view.peek().last_seq || 0))[0];
    if (any) openRoom(any.id);
  }
}

export async function logout() {
  try { await Api.logout(); } catch { /* the cookie may be gone already */ }
  endSession();
}

// ---- layout --------------------------------------------------------------------

export function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  ui.theme.value = theme;
  try { localStorage.setItem("chatcore.theme", theme); } catch { /* storage blocked */ }
}

export function toggleTheme() {
  setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
}

export function toggleSidebar(open) {
  ui.sidebarOpen.value = open === undefined ? !ui.sidebarOpen.peek() : open;
}

export function toggleMembers(open) {
  ui.membersOpen.value = open === undefined ? !ui.membersOpen.peek() : open;
}

export function markCurrentRead() {
  const rs = currentRoom.peek();
  if (rs && rs.unread.peek()) markRead(rs);
}

// ---- rooms and people ----------------------------------------------------------

export async function openDirectWith(username) {
  try { roomJoined(await Api.openDirect(username), true); } catch (err) { toast(err.message, "error"); }
}

export function roomUpdated(view) {
  addRoomView(view);
}

export function codeChanged(id, code) {
  const rs = rooms.peek().get(id);
  if (rs) rs.view.value = { ...rs.view.peek(), code };
}

export function meUpdated(me) {
  batch(() => {
    session.me.value = { ...session.me.peek(), ...(me.user || me) };
    const mine = session.me.peek();
    rememberUser(mine);
    for (const rs of rooms.peek().values()) {
      editMembers(rs, (m) => { const mem = m.get(mine.id); if (mem) m.set(mine.id, { ...mem, user: { ...mem.user, ...mine } }); });
    }
  });
}

export async function copyCode(code) {
  if (await copyText(code)) toast(`Code ${code} copied.`, "success");
  else toast(`Code: ${code}`, "info");
}

export async function leaveRoom(rs) {
  const v = rs.view.peek();
  const ok = await confirm({ title: `Leave ${roomTitle(v)}?`, message: v.kind === "private" ? "You will need the code to join again." : "You can join again at any time.", confirmLabel: "Leave" });
  if (!ok) return;
  try { await Api.leave(rs.id); dropRoom(rs.id); toast(`You left ${roomTitle(v)}.`, "info"); } catch (err) { toast(err.message, "error"); }
}

export async function deleteRoom(rs) {
  const ok = await confirm({ title: `Delete ${roomTitle(rs.view.peek())}?`, message: "All messages are deleted for everyone. This cannot be undone.", confirmLabel: "Delete room" });
  if (!ok) return;
  try { await Api.deleteRoom(rs.id); dropRoom(rs.id); toast("Room deleted.", "success"); } catch (err) { toast(err.message, "error"); }
}

// ---- moderation ----------------------------------------------------------------

const nameOf = (member) => member.user.display_name || member.user.username;

export async function setRole(rs, member, role) {
  try {
    await Api.setRole(rs.id, member.user.id, role);
    toast(`${nameOf(member)} is now ${role === "admin" ? "an admin" : "a " + role}.`, "success");
  } catch (err) { toast(err.message, "error"); }
}

export async function transfer(rs, member) {
  const ok = await confirm({ title: "Transfer ownership?", message: `${nameOf(member)} becomes the owner; you become an admin.`, confirmLabel: "Transfer" });
  if (!ok) return;
  try {
    await Api.transfer(rs.id, member.user.id);
    await refreshRoom(rs.id);
    await loadMembers(rs);
    toast("Ownership transferred.", "success");
  } catch (err) { toast(err.message, "error"); }
}

export async function kick(rs, member) {
  const ok = await confirm({ title: `Kick ${nameOf(member)}?`, message: "They are removed from the room but may join again.", confirmLabel: "Kick" });
  if (!ok) return;
  try { await Api.kick(rs.id, member.user.id); toast("Member removed.", "success"); } catch (err) { toast(err.message, "error"); }
}

// ---- messages ------------------------------------------------------------------

export async function sendFile(file) {
  const rs = currentRoom.peek();
  if (!rs) return;
  try {
    const m = await Api.sendFile(rs.id, file, { nonce: nonce() });
    rs.anchor = "bottom";
    receiveMessage(m, true);
  } catch (err) {
    toast(err.code === "too_large" ? "That file is too large." : err.message, "error");
  }
}

/** Send the composer's text; false when there is nothing to send (the text stays). */
export function send(text) {
  const rs = currentRoom.peek();
  if (!rs || !connection.started) return false;
  const body = text.replace(/\s+$/, "");
  if (!body.trim()) return false;
  if (body.length > MAX_BODY_CHARS) { toast("Messages are limited to 4,000 characters.", "error"); return false; }
  const replyTo = ui.replyTo.peek();
  const entry = { room: rs.id, nonce: nonce(), body, reply_to: replyTo ? replyTo.id : null };
  batch(() => {
    setPending(rs, entry.nonce, { ...entry, failed: null, created_at: new Date().toISOString() });
    ui.replyTo.value = null;
    rs.anchor = "bottom";
  });
  typingStop();
  connection.send(entry);
  return true;
}

export function retrySend(p) {
  const rs = rooms.peek().get(p.room);
  if (!rs) return;
  setPending(rs, p.nonce, { ...p, failed: null });
  connection.send({ room: p.room, nonce: p.nonce, body: p.body, reply_to: p.reply_to });
}

export function discardPending(p) {
  const rs = rooms.peek().get(p.room);
  if (rs) setPending(rs, p.nonce, null);
  connection.discard(p.nonce);
}

// Typing state goes out throttled by the client (a start at most every 3 s per room).
let typingRoom = null;

export function typingStart() {
  const rs = currentRoom.peek();
  if (!rs) return;
  if (typingRoom && typingRoom !== rs.id) connection.stopTyping(typingRoom);
  typingRoom = rs.id;
  connection.typing(rs.id);
}

export function typingStop() {
  if (!typingRoom) return;
  connection.stopTyping(typingRoom);
  typingRoom = null;
}

export function startReply(m) {
  ui.replyTo.value = m;
  ui.focusComposer.value++;
}

export function cancelReply() {
  ui.replyTo.value = null;
}

export function startEdit(m) {
  ui.editing.value = m.id;
}

export function cancelEdit() {
  ui.editing.value = null;
  ui.focusComposer.value++;
}

/** Save an edit (an emptied message is deleted, after asking). */
export async function saveEdit(id, draft) {
  const rs = currentRoom.peek();
  const m = rs && rs.msgs.get(id);
  const body = draft.trim();
  if (!m || body === m.body.trim()) { cancelEdit(); return; }
  if (!body) { ui.editing.value = null; await deleteMessage(m); return; }
  try {
    if (connection.online) await connection.request({ type: "edit", message: m.id, body });
    else addMessages(rs, [await Api.editMessage(m.id, body)]);
    cancelEdit();
  } catch (err) {
    toast(err.message, "error");
  }
}

export async function deleteMessage(m) {
  const ok = await confirm({ title: "Delete message?", message: "It will be removed for everyone.", confirmLabel: "Delete" });
  if (!ok) return;
  try {
    if (connection.online) await connection.request({ type: "delete", message: m.id });
    else await Api.deleteMessage(m.id);
  } catch (err) {
    toast(err.message, "error");
  }
}

// ---- helpers -------------------------------------------------------------------

/** Copy text to the clipboard, with a fallback for insecure contexts. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.className = "visually-hidden";
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

// The session ended (expired, revoked elsewhere) during a REST call.
window.addEventListener("chatcore:unauthenticated", () => {
  if (session.me.peek()) endSession("Your session has ended. Please log in again.");
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    const rs = currentRoom.peek();
    if (rs && rs.loaded.peek()) markRead(rs);
  }
});

window.addEventListener("resize", () => {
  if (window.matchMedia("(min-width: 800px)").matches && ui.sidebarOpen.peek()) ui.sidebarOpen.value = false;
});
