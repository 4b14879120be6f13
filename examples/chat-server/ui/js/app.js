// Entry point: the sign-in screen, then the chat. Wires REST, the live connection,
// state and rendering together.

import { h, replace, icon, toast, copyText, nonce } from "./dom.js";
import { Api, ApiError } from "./api.js";
import { Live } from "./live.js";
import {
  state, roomState, currentRoom, rememberUser, addMessages, oldestSeq, invalidate, lastRead, markRead, roomTitle, userName,
  setUserLookup,
} from "./store.js";
import { renderShell, setActions, noteIncoming, scrollToBottom, focusComposer, flashMessage } from "./views.js";
import {
  setDialogActions, createRoomDialog, joinByCodeDialog, browseDialog, newDirectDialog, profileDialog, userDialog,
  banDialog, settingsDialog, confirmDialog, modal,
} from "./dialogs.js";

const root = document.getElementById("root");
const PAGE = 50;
const TYPING_REPEAT_MS = 3000;
let live = null;

// ---- theme ---------------------------------------------------------------------

function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try { localStorage.setItem("chatcore.theme", theme); } catch { /* storage blocked */ }
}

// ---- sign in -------------------------------------------------------------------

function authScreen(mode = "login", notice = null) {
  if (live) { live.stop(); live = null; }
  const isLogin = mode === "login";
  const error = h("div", { class: "form-error", attrs: { role: "alert", "data-testid": "auth-error" }, hidden: !notice }, notice || "");
  const username = h("input", { class: "input", name: "username", required: true, autocomplete: "username", minLength: 3, maxLength: 32, attrs: { "data-testid": "auth-username" } });
  const password = h("input", { class: "input", name: "password", type: "password", required: true, minLength: isLogin ? 1 : 8, autocomplete: isLogin ? "current-password" : "new-password", attrs: { "data-testid": "auth-password" } });
  const displayName = h("input", { class: "input", name: "display_name", maxLength: 64, autocomplete: "name", placeholder: "Optional", attrs: { "data-testid": "auth-display-name" } });
  const email = h("input", { class: "input", name: "email", type: "email", autocomplete: "email", placeholder: "Optional: for password resets", attrs: { "data-testid": "auth-email" } });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large", attrs: { "data-testid": "auth-submit" } }, isLogin ? "Log in" : "Create account");
  const themeBtn = h("button", {
    type: "button", class: "icon-btn theme-corner", title: "Toggle dark mode", attrs: { "aria-label": "Toggle dark mode", "data-testid": "theme-toggle" },
    onclick: () => { setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"); replace(themeBtn, icon(document.documentElement.dataset.theme === "dark" ? "sun" : "moon")); },
  }, icon(document.documentElement.dataset.theme === "dark" ? "sun" : "moon"));
  const form = h("form", {
    class: "auth-form",
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        if (isLogin) await Api.login({ username: username.value.trim(), password: password.value });
        else await Api.register({ username: username.value.trim(), password: password.value, display_name: displayName.value.trim() || undefined, email: email.value.trim() || undefined });
        await start();
      } catch (err) {
        error.hidden = false;
        replace(error, icon("info", 14), err.message || "Something went wrong");
        submit.disabled = false;
      }
    },
  },
  h("label", { class: "field" }, h("span", { class: "field-label" }, "Username"), username),
  isLogin ? null : h("label", { class: "field" }, h("span", { class: "field-label" }, "Display name"), displayName),
  isLogin ? null : h("label", { class: "field" }, h("span", { class: "field-label" }, "Email"), email),
  h("label", { class: "field" }, h("span", { class: "field-label" }, "Password"), password, isLogin ? null : h("span", { class: "field-hint" }, "At least 8 characters.")),
  error,
  submit,
  isLogin ? h("button", { type: "button", class: "link", attrs: { "data-testid": "forgot-password" }, onclick: () => forgotPassword() }, "Forgot your password?") : null);
  replace(root,
    h("div", { class: "auth", attrs: { "data-testid": "auth-screen" } },
      themeBtn,
      h("div", { class: "auth-side" },
        h("div", { class: "auth-hero" },
          h("img", { src: "/favicon.svg", alt: "", class: "auth-logo" }),
          h("h1", null, "chatcore"),
          h("p", null, "Rooms, direct messages and real-time chat: fast, private, yours."),
          h("ul", { class: "auth-points" },
            h("li", null, icon("hash", 16), "Public rooms anyone can join"),
            h("li", null, icon("lock", 16), "Private rooms behind a code"),
            h("li", null, icon("shield", 16), "Roles and moderation built in")))),
      h("div", { class: "auth-main" },
        h("div", { class: "auth-card" },
          h("h2", null, isLogin ? "Welcome back" : "Create your account"),
          h("p", { class: "muted" }, isLogin ? "Log in to continue to your rooms." : "It takes ten seconds."),
          h("div", { class: "tabs", attrs: { role: "tablist" } },
            h("button", { type: "button", class: "tab" + (isLogin ? " on" : ""), attrs: { role: "tab", "aria-selected": String(isLogin), "data-testid": "tab-login" }, onclick: () => authScreen("login") }, "Log in"),
            h("button", { type: "button", class: "tab" + (!isLogin ? " on" : ""), attrs: { role: "tab", "aria-selected": String(!isLogin), "data-testid": "tab-register" }, onclick: () => authScreen("register") }, "Register")),
          form))));
  username.focus();
}

// ---- email links ---------------------------------------------------------------

/** Ask for a reset link (the answer never says whether the address is known). */
function forgotPassword() {
  const email = h("input", { class: "input", name: "email", type: "email", required: true, autocomplete: "email", attrs: { "data-testid": "reset-email" } });
  modal({
    title: "Reset your password", submitLabel: "Send the link", testid: "forgot-dialog",
    body: [h("label", { class: "field" }, h("span", { class: "field-label" }, "Email"), email)],
    onSubmit: async () => {
      await Api.requestReset(email.value.trim());
      toast("If an account has this address, a link is on its way.", "info");
    },
  });
}

/** `#verify-email=TOKEN` and `#reset-password=TOKEN` links from emails. */
async function handleEmailLink() {
  const m = /^#(verify-email|reset-password)=([A-Za-z0-9_-]{1,128})$/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, "", location.pathname + location.search);
  const [, kind, token] = m;
  if (kind === "verify-email") {
    try {
      await Api.verifyEmail(token);
      toast("Your email address is verified.", "success");
    } catch (err) {
      toast(err.message, "error");
    }
    return;
  }
  const password = h("input", { class: "input", name: "password", type: "password", required: true, minLength: 8, autocomplete: "new-password", attrs: { "data-testid": "reset-password" } });
  modal({
    title: "Choose a new password", submitLabel: "Set password", testid: "reset-dialog",
    body: [h("label", { class: "field" }, h("span", { class: "field-label" }, "New password"), password, h("span", { class: "field-hint" }, "At least 8 characters. Every session will be logged out."))],
    onSubmit: async () => {
      await Api.resetPassword(token, password.value);
      toast("Password changed. Log in with it.", "success");
      authScreen("login");
    },
  });
}

// ---- start ---------------------------------------------------------------------

async function boot() {
  handleEmailLink();
  try {
    await start();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) authScreen("login");
    else authScreen("login", err.message);
  }
}

async function start() {
  const me = await Api.me();
  state.me = me.user || me;
  rememberUser(state.me);
  state.rooms.clear();
  state.current = null;
  state.users.clear();
  state.online.clear();
  rememberUser(state.me);
  renderShell(root);
  await loadRooms();
  live = new Live({
    onHello, onEvent, onStatus: (s) => { state.status = s; invalidate("status", "me"); },
    onAuthLost: (code) => {
      const why = code === 4002 ? "Your session was ended." : code === 4003 ? "This account was deleted." : "Please log in again.";
      authScreen("login", why);
    },
    onSendFailed: (entry, err) => {
      const rs = state.rooms.get(entry.room);
      const p = rs && rs.pending.get(entry.nonce);
      if (p) { p.failed = err.message || err.code; invalidate("messages"); }
    },
  });
  live.start();
  const wanted = decodeURIComponent(location.hash.replace(/^#\/?room\//, ""));
  const first = state.rooms.has(wanted) ? wanted : null;
  if (first) openRoom(first);
  else if (window.matchMedia("(min-width: 800px)").matches) {
    const any = Array.from(state.rooms.values()).sort((a, b) => (b.view.last_seq || 0) - (a.view.last_seq || 0))[0];
    if (any) openRoom(any.view.id);
  }
}

function addRoomView(view) {
  let rs = state.rooms.get(view.id);
  if (rs) {
    // Keep what only a member-specific view carries when a plain view arrives.
    rs.view = { ...rs.view, ...view, my_role: view.my_role ?? rs.view.my_role, code: view.code ?? rs.view.code, peer: view.peer ?? rs.view.peer };
  } else {
    rs = roomState(view);
    const read = lastRead(view.id);
    rs.unread = read === null ? 0 : Math.max(0, (view.last_seq || 0) - read);
    if (read === null) markRead(rs);
    state.rooms.set(view.id, rs);
  }
  if (view.peer) rememberUser(view.peer);
  return rs;
}

async function loadRooms() {
  const data = await Api.myRooms();
  const views = [...(data.public || []), ...(data.private || []), ...(data.direct || [])];
  const seen = new Set();
  for (const v of views) { addRoomView(v); seen.add(v.id); }
  for (const id of Array.from(state.rooms.keys())) if (!seen.has(id)) dropRoom(id);
  invalidate("sidebar", "header");
}

function dropRoom(id) {
  state.rooms.delete(id);
  if (state.current === id) {
    state.current = null;
    state.replyTo = null;
    state.editing = null;
    history.replaceState(null, "", location.pathname);
  }
  invalidate("sidebar", "header", "messages", "members", "typing", "composer", "layout");
}

// ---- live events ---------------------------------------------------------------

function onHello(hello, reconnect) {
  if (hello.user) { state.me = { ...state.me, ...hello.user }; rememberUser(hello.user); }
  state.online.add(state.me.id);
  // Ask for everything missed in the rooms whose history we hold; the server replays
  // it in order and the client drops what it already has.
  // Always sent first: the server holds live events until the first command, so the
  // replay comes before them. Rooms that cannot be resumed (left, banned, deleted while
  // away) answer with errors under this id; the room list reload below settles them.
  const rooms = {};
  for (const rs of state.rooms.values()) if (rs.loaded) rooms[rs.view.id] = rs.lastSeq;
  live.request({ type: "resume", rooms }).catch(() => {});
  if (reconnect) {
    // Membership, roles and presence may have changed while away.
    loadRooms().catch(() => {});
    for (const rs of state.rooms.values()) if (rs.members) loadMembers(rs);
    for (const rs of state.rooms.values()) rs.typing.clear();
    invalidate("typing");
  }
  loadDirectPresence();
}

function onEvent(ev) {
  switch (ev.type) {
    case "message_created": return onMessage(ev.message, true);
    case "message_edited": return onMessage(ev.message, false);
    case "history": {
      const rs = state.rooms.get(ev.room);
      if (rs && rs.loaded) { addMessages(rs, ev.messages || []); if (ev.room === state.current) invalidate("messages"); }
      return;
    }
    case "message_deleted": {
      const rs = state.rooms.get(ev.room);
      const early = rs && rs.early && rs.early.find((e) => e.id === ev.message_id);
      if (early) rs.early.push({ ...early, body: "", deleted_at: early.deleted_at || new Date().toISOString() });
      const m = rs && rs.msgs.get(ev.message_id);
      if (m) {
        rs.msgs.set(m.id, { ...m, body: "", deleted_at: m.deleted_at || new Date().toISOString() });
        rs.sorted = Array.from(rs.msgs.values()).sort((a, b) => a.seq - b.seq);
        if (state.editing && state.editing.id === m.id) state.editing = null;
        if (ev.room === state.current) invalidate("messages");
      }
      return;
    }
    case "sent": {
      const rs = state.rooms.get(ev.room);
      if (!rs) return;
      const p = rs.pending.get(ev.nonce);
      rs.pending.delete(ev.nonce);
      if (p && !rs.msgs.has(ev.message_id)) {
        addMessages(rs, [{
          id: ev.message_id, room_id: ev.room, seq: ev.seq, author_id: state.me.id, kind: "text", body: p.body, system: null,
          attachment: null, reply_to: p.reply_to || null, created_at: p.created_at, edited_at: null, deleted_at: null,
        }]);
      }
      if (ev.room === state.current) { rs.anchor = "bottom"; invalidate("messages"); markRead(rs); }
      return;
    }
    case "member_joined": {
      const rs = state.rooms.get(ev.room);
      if (!rs) return;
      rememberUser(ev.member.user);
      if (ev.member.online) state.online.add(ev.member.user.id);
      if (rs.members) rs.members.set(ev.member.user.id, ev.member);
      rs.view.member_count = rs.members ? rs.members.size : (rs.view.member_count || 0) + 1;
      if (ev.room === state.current) invalidate("members", "header", "messages");
      return;
    }
    case "member_removed": return onMemberRemoved(ev);
    case "role_changed": {
      const rs = state.rooms.get(ev.room);
      if (!rs) return;
      const mem = rs.members && rs.members.get(ev.user);
      if (mem) mem.role = ev.role;
      if (ev.user === state.me.id) {
        rs.view.my_role = ev.role;
        refreshRoom(rs.view.id);
        toast(`You are now ${ev.role === "member" ? "a member" : "a" + (ev.role === "admin" ? "n " : " ") + ev.role} in ${roomTitle(rs.view)}.`, "info");
      }
      if (ev.room === state.current) invalidate("members", "messages", "header");
      return;
    }
    case "room_created": {
      const rs = addRoomView(ev.room);
      joinLive(ev.room.id, rs.loaded ? rs.lastSeq : undefined);
      invalidate("sidebar");
      return;
    }
    case "room_updated": {
      if (!state.rooms.has(ev.room.id)) return;
      const rs = addRoomView(ev.room);
      if (rs.view.my_role === "owner" || rs.view.my_role === "admin") refreshRoom(ev.room.id);
      invalidate("sidebar");
      if (ev.room.id === state.current) invalidate("header", "composer", "messages");
      return;
    }
    case "room_deleted": {
      const rs = state.rooms.get(ev.room);
      if (!rs) return;
      if (ev.room === state.current) toast(`${roomTitle(rs.view)} was deleted.`, "info");
      dropRoom(ev.room);
      return;
    }
    case "typing": {
      if (ev.user === state.me.id) return;
      const rs = state.rooms.get(ev.room);
      if (!rs) return;
      clearTimeout(rs.typing.get(ev.user));
      rs.typing.delete(ev.user);
      if (ev.typing) {
        rs.typing.set(ev.user, setTimeout(() => { rs.typing.delete(ev.user); if (ev.room === state.current) invalidate("typing"); }, ev.expires_in_ms || 6000));
      }
      if (ev.room === state.current) invalidate("typing");
      return;
    }
    case "presence": {
      if (ev.online) state.online.add(ev.user);
      else state.online.delete(ev.user);
      const u = state.users.get(ev.user);
      if (u && ev.last_seen_at) u.last_seen_at = ev.last_seen_at;
      for (const rs of state.rooms.values()) {
        if (rs.members && rs.members.has(ev.user) && ev.last_seen_at) rs.members.get(ev.user).user.last_seen_at = ev.last_seen_at;
        if (rs.view.peer && rs.view.peer.id === ev.user && ev.last_seen_at) rs.view.peer.last_seen_at = ev.last_seen_at;
      }
      invalidate("members", "sidebar", "header");
      return;
    }
    case "invited": {
      toast(`${userName(ev.by)} invited you to ${ev.room_name}.`, "info", {
        label: "Join", run: () => { Api.join(ev.room).then((room) => roomJoined(room, true), (err) => toast(err.message, "error")); },
      });
      return;
    }
    case "error": {
      if (ev.id === null || ev.id === undefined) toast(ev.message || ev.code, "error");
      return;
    }
    default:
      // Unknown events are ignored (the protocol grows additively).
  }
}

function onMessage(m, created) {
  if (!m) return;
  const rs = state.rooms.get(m.room_id);
  if (!rs) return;
  if (m.seq > (rs.view.last_seq || 0)) rs.view.last_seq = m.seq;
  const mine = m.author_id === state.me.id;
  if (m.author_id) {
    // A message ends its author's typing.
    clearTimeout(rs.typing.get(m.author_id));
    if (rs.typing.delete(m.author_id) && m.room_id === state.current) invalidate("typing");
  }
  if (!rs.loaded) {
    // While the first page is being fetched, keep what arrives live: the page may
    // have been read before it, and the replay after the page skips what this
    // connection was already sent.
    if (rs.early) rs.early.push(m);
    if (created && !mine) { rs.unread += 1; invalidate("sidebar"); }
    return;
  }
  const gap = created && m.seq > rs.lastSeq + 1 && rs.lastSeq > 0;
  const fresh = addMessages(rs, [m]);
  if (gap) fillGap(rs);
  if (m.kind === "system" && m.system) refreshForSystem(rs, m);
  const visible = m.room_id === state.current && document.visibilityState === "visible";
  if (fresh.length && created && !mine) {
    if (visible) noteIncoming();
    if (!visible) { rs.unread += 1; invalidate("sidebar"); }
  }
  if (m.room_id === state.current) {
    if (mine && created) rs.anchor = "bottom";
    invalidate("messages");
    if (visible) markRead(rs);
  }
}

/** Messages were skipped (e.g. events dropped): fetch what lies between. */
async function fillGap(rs) {
  if (rs.fillingGap) return;
  rs.fillingGap = true;
  try {
    const known = rs.sorted.filter((m, i, arr) => i === 0 || m.seq === arr[i - 1].seq + 1);
    const after = known.length ? known[known.length - 1].seq : 0;
    const page = await Api.messages(rs.view.id, { after, limit: 100 });
    addMessages(rs, page.messages || []);
    if (rs.view.id === state.current) invalidate("messages");
  } catch { /* resume on reconnect covers it */ } finally {
    rs.fillingGap = false;
  }
}

function refreshForSystem(rs, m) {
  const e = m.system.event;
  if ((e === "joined" || e === "role_changed" || e === "ownership_transferred") && rs.members) {
    if (e === "ownership_transferred") { loadMembers(rs); refreshRoom(rs.view.id); }
  }
}

function onMemberRemoved(ev) {
  const rs = state.rooms.get(ev.room);
  if (!rs) return;
  if (ev.user === state.me.id) {
    const name = roomTitle(rs.view);
    const why = ev.reason === "banned" ? `You were banned from ${name}.` : ev.reason === "kicked" ? `You were removed from ${name}.` : ev.reason === "room_deleted" ? `${name} was deleted.` : null;
    if (why) toast(why, ev.reason === "banned" ? "error" : "info");
    dropRoom(ev.room);
    return;
  }
  if (rs.members) rs.members.delete(ev.user);
  rs.typing.delete(ev.user);
  rs.view.member_count = rs.members ? rs.members.size : Math.max(0, (rs.view.member_count || 1) - 1);
  if (ev.room === state.current) invalidate("members", "header", "typing");
}

// ---- loading -------------------------------------------------------------------

async function loadHistory(rs) {
  rs.early = [];
  try {
    const page = await Api.messages(rs.view.id, { limit: PAGE });
    addMessages(rs, page.messages || []);
    const since = rs.lastSeq;
    addMessages(rs, rs.early);
    rs.early = null;
    rs.hasMore = !!page.has_more;
    rs.loaded = true;
    rs.anchor = "bottom";
    // Anything published after the page that this connection was not sent live
    // (it joined the room after the page was read) is replayed from here.
    if (live) joinLive(rs.view.id, since);
  } catch (err) {
    rs.early = null;
    toast(err.message, "error");
    if (err.status === 404 || err.status === 403) { dropRoom(rs.view.id); return; }
  }
  if (rs.view.id === state.current) { invalidate("messages"); markRead(rs); invalidate("sidebar"); }
}

async function loadOlder(rs) {
  if (rs.loadingOlder || !rs.hasMore || !rs.loaded) return;
  rs.loadingOlder = true;
  if (rs.view.id === state.current) { rs.anchor = "keep"; invalidate("messages"); }
  try {
    const before = oldestSeq(rs);
    const page = await Api.messages(rs.view.id, before ? { before, limit: PAGE } : { limit: PAGE });
    addMessages(rs, page.messages || []);
    rs.hasMore = !!page.has_more && (page.messages || []).length > 0;
  } catch (err) {
    toast(err.message, "error");
  } finally {
    rs.loadingOlder = false;
    rs.anchor = "prepend";
    if (rs.view.id === state.current) invalidate("messages");
  }
}

async function loadMembers(rs) {
  try {
    const list = await Api.members(rs.view.id);
    const arr = Array.isArray(list) ? list : (list.members || []);
    rs.members = new Map();
    for (const m of arr) {
      rs.members.set(m.user.id, m);
      rememberUser(m.user);
      if (m.online) state.online.add(m.user.id);
      else if (m.user.id !== state.me.id) state.online.delete(m.user.id);
    }
    rs.view.member_count = rs.members.size;
  } catch (err) {
    if (err.status !== 404) toast(err.message, "error");
  }
  if (rs.view.id === state.current) invalidate("members", "messages", "header", "typing");
}

/** Online state of direct-message peers (a few requests, once per connection). */
async function loadDirectPresence() {
  const directs = Array.from(state.rooms.values()).filter((r) => r.view.kind === "direct" && !r.members).slice(0, 30);
  for (const rs of directs) await loadMembers(rs);
  invalidate("sidebar");
}

async function refreshRoom(id) {
  try {
    const view = await Api.room(id);
    if (state.rooms.has(id)) { addRoomView(view); state.rooms.get(id).view.code = view.code ?? null; }
    invalidate("sidebar", "header");
  } catch { /* gone or no longer visible: events will tell */ }
}

// ---- actions (called by views and dialogs) --------------------------------------

function openRoom(id) {
  const rs = state.rooms.get(id);
  if (!rs) return;
  if (state.current !== id) {
    state.current = id;
    state.replyTo = null;
    state.editing = null;
    rs.anchor = "bottom";
    history.replaceState(null, "", `#room/${encodeURIComponent(id)}`);
  }
  state.sidebarOpen = false;
  if (!rs.loaded) loadHistory(rs);
  if (!rs.members) loadMembers(rs);
  markRead(rs);
  invalidate("sidebar", "header", "messages", "members", "typing", "composer", "layout");
  focusComposer();
}

let typingRoom = null;
let typingSentAt = 0;

const actions = {
  openRoom,
  loadOlder,
  rememberUser,
  toggleTheme() { setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"); },
  toggleSidebar(open) { state.sidebarOpen = open === undefined ? !state.sidebarOpen : open; invalidate("layout"); },
  toggleMembers(open, silent) {
    state.membersOpen = open === undefined ? !state.membersOpen : open;
    if (!silent || !open) invalidate("layout", "header");
  },
  markCurrentRead() {
    const rs = currentRoom();
    if (rs && rs.unread) { markRead(rs); invalidate("sidebar"); }
  },
  openCreateRoom: (kind) => createRoomDialog(kind),
  openJoinByCode: () => joinByCodeDialog(),
  openBrowse: () => browseDialog(),
  openNewDirect: () => newDirectDialog(),
  openProfile: () => profileDialog(),
  openSettings() { const rs = currentRoom(); if (rs) settingsDialog(rs); },
  openMember(userId) {
    const rs = currentRoom();
    const mem = rs && rs.members && rs.members.get(userId);
    if (mem) userDialog(rs, mem.user, mem);
  },
  openUser(userId) {
    const rs = currentRoom();
    const mem = rs && rs.members && rs.members.get(userId);
    const user = mem ? mem.user : (userId === state.me.id ? state.me : state.users.get(userId));
    if (user) userDialog(rs, user, mem || null);
  },
  async openDirectWith(username) {
    try { roomJoined(await Api.openDirect(username), true); } catch (err) { toast(err.message, "error"); }
  },
  async logout() {
    try { await Api.logout(); } catch { /* the cookie may be gone already */ }
    state.me = null;
    authScreen("login");
  },
  roomJoined,
  roomUpdated(view) { addRoomView(view); invalidate("sidebar", "header", "composer"); },
  codeChanged(id, code) { const rs = state.rooms.get(id); if (rs) { rs.view.code = code; invalidate("header"); } },
  meUpdated(me) {
    state.me = { ...state.me, ...(me.user || me) };
    rememberUser(state.me);
    for (const rs of state.rooms.values()) if (rs.members && rs.members.has(state.me.id)) rs.members.get(state.me.id).user = { ...rs.members.get(state.me.id).user, ...state.me };
    invalidate("me", "messages", "members");
  },
  async copyCode(code) {
    if (await copyText(code)) toast(`Code ${code} copied.`, "success");
    else toast(`Code: ${code}`, "info");
  },

  async sendFile(file) {
    const rs = currentRoom();
    if (!rs) return;
    try {
      const m = await Api.sendFile(rs.view.id, file, { nonce: nonce() });
      rs.anchor = "bottom";
      onMessage(m, true);
    } catch (err) {
      toast(err.code === "too_large" ? "That file is too large." : err.message, "error");
    }
  },
  send(text) {
    const rs = currentRoom();
    if (!rs || !live) return false;
    const body = text.replace(/\s+$/, "");
    if (!body.trim()) return false;
    if (body.length > 4000) { toast("Messages are limited to 4,000 characters.", "error"); return false; }
    const entry = { room: rs.view.id, nonce: nonce(), body, reply_to: state.replyTo ? state.replyTo.id : null };
    rs.pending.set(entry.nonce, { ...entry, failed: null, created_at: new Date().toISOString() });
    state.replyTo = null;
    actions.typingStop();
    live.sendMessage(entry);
    rs.anchor = "bottom";
    invalidate("messages", "composer");
    return true;
  },
  retrySend(p) {
    const rs = state.rooms.get(p.room);
    if (!rs || !live) return;
    p.failed = null;
    live.sendMessage({ room: p.room, nonce: p.nonce, body: p.body, reply_to: p.reply_to });
    invalidate("messages");
  },
  discardPending(p) {
    const rs = state.rooms.get(p.room);
    if (rs) rs.pending.delete(p.nonce);
    if (live) live.discard(p.nonce);
    invalidate("messages");
  },
  typingStart() {
    const rs = currentRoom();
    if (!rs || !live) return;
    const now = Date.now();
    if (typingRoom === rs.view.id && now - typingSentAt < TYPING_REPEAT_MS) return;
    if (typingRoom && typingRoom !== rs.view.id) live.post({ type: "typing_stop", room: typingRoom });
    typingRoom = rs.view.id;
    typingSentAt = now;
    live.post({ type: "typing_start", room: rs.view.id });
  },
  typingStop() {
    if (!typingRoom || !live) return;
    live.post({ type: "typing_stop", room: typingRoom });
    typingRoom = null;
    typingSentAt = 0;
  },
  startReply(m) {
    state.replyTo = m;
    invalidate("composer");
    focusComposer();
  },
  cancelReply() { state.replyTo = null; invalidate("composer"); },
  startEdit(m) { state.editing = { id: m.id, draft: m.body }; invalidate("messages"); },
  cancelEdit() { state.editing = null; invalidate("messages"); focusComposer(); },
  async saveEdit() {
    const ed = state.editing;
    const rs = currentRoom();
    if (!ed || !rs) return;
    const m = rs.msgs.get(ed.id);
    const body = ed.draft.trim();
    if (!m || body === m.body.trim()) { actions.cancelEdit(); return; }
    if (!body) { state.editing = null; await actions.deleteMessage(m); return; }
    try {
      if (live && live.status === "online") await live.request({ type: "edit", message: m.id, body });
      else addMessages(rs, [await Api.editMessage(m.id, body)]);
      state.editing = null;
      invalidate("messages");
      focusComposer();
    } catch (err) {
      toast(err.message, "error");
    }
  },
  async deleteMessage(m) {
    const ok = await confirmDialog({ title: "Delete message?", message: "It will be removed for everyone.", confirmLabel: "Delete" });
    if (!ok) return;
    try {
      if (live && live.status === "online") await live.request({ type: "delete", message: m.id });
      else await Api.deleteMessage(m.id);
    } catch (err) {
      toast(err.message, "error");
    }
  },
  async setRole(member, role) {
    const rs = currentRoom();
    try {
      await Api.setRole(rs.view.id, member.user.id, role);
      toast(`${member.user.display_name || member.user.username} is now ${role === "admin" ? "an admin" : "a " + role}.`, "success");
    } catch (err) { toast(err.message, "error"); }
  },
  async transfer(member) {
    const rs = currentRoom();
    const ok = await confirmDialog({ title: "Transfer ownership?", message: `${member.user.display_name || member.user.username} becomes the owner; you become an admin.`, confirmLabel: "Transfer" });
    if (!ok) return;
    try {
      await Api.transfer(rs.view.id, member.user.id);
      await refreshRoom(rs.view.id);
      await loadMembers(rs);
      toast("Ownership transferred.", "success");
    } catch (err) { toast(err.message, "error"); }
  },
  async kick(member) {
    const rs = currentRoom();
    const ok = await confirmDialog({ title: `Kick ${member.user.display_name || member.user.username}?`, message: "They are removed from the room but may join again.", confirmLabel: "Kick" });
    if (!ok) return;
    try { await Api.kick(rs.view.id, member.user.id); toast("Member removed.", "success"); } catch (err) { toast(err.message, "error"); }
  },
  ban(member) { const rs = currentRoom(); if (rs) banDialog(rs, member); },
  async leaveRoom(rs) {
    const ok = await confirmDialog({ title: `Leave ${roomTitle(rs.view)}?`, message: rs.view.kind === "private" ? "You will need the code to join again." : "You can join again at any time.", confirmLabel: "Leave" });
    if (!ok) return;
    try { await Api.leave(rs.view.id); dropRoom(rs.view.id); toast(`You left ${roomTitle(rs.view)}.`, "info"); } catch (err) { toast(err.message, "error"); }
  },
  async deleteRoom(rs) {
    const ok = await confirmDialog({ title: `Delete ${roomTitle(rs.view)}?`, message: "All messages are deleted for everyone. This cannot be undone.", confirmLabel: "Delete room" });
    if (!ok) return;
    try { await Api.deleteRoom(rs.view.id); dropRoom(rs.view.id); toast("Room deleted.", "success"); } catch (err) { toast(err.message, "error"); }
  },
  flashMessage,
  scrollToBottom,
};

/** Make this connection receive a room (replaying after `since`); errors are ignored. */
function joinLive(room, since) {
  if (live) live.request({ type: "join", room, since }).catch(() => {});
}

// Authors and banned users who are not (or no longer) members: fetched once each.
const lookups = new Map();
setUserLookup((id) => {
  if (lookups.has(id)) return;
  lookups.set(id, Api.user(id).then((u) => {
    rememberUser(u);
    invalidate("messages", "typing");
  }, () => {}));
});

function roomJoined(view, open) {
  addRoomView(view);
  joinLive(view.id);
  invalidate("sidebar");
  if (open) openRoom(view.id);
}

setActions(actions);
setDialogActions(actions);

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    const rs = currentRoom();
    if (rs && rs.loaded) { markRead(rs); invalidate("sidebar"); }
  }
});

window.addEventListener("chatcore:unauthenticated", () => {
  if (state.me) { state.me = null; authScreen("login", "Your session has ended. Please log in again."); }
});

window.addEventListener("resize", () => { if (window.matchMedia("(min-width: 800px)").matches && state.sidebarOpen) { state.sidebarOpen = false; invalidate("layout"); } });

boot();
