// Rendering of the main screen: sidebar, chat header, messages, composer, members.
// Every user-provided string goes through text nodes (see dom.js).

import { h, replace, icon, iconButton, avatar, formatTime, formatFull, formatDay, dayKey, formatAgo } from "./dom.js";
import { fileUrl } from "./api.js";
import { state, currentRoom, onRender, invalidate, userName, knownUser, roomTitle, can, rank, ROLE_LABEL, myRole } from "./store.js";

let A = null; // actions, injected by app.js
const $ = {}; // stable elements of the shell

export function setActions(actions) {
  A = actions;
}

const GROUP_WINDOW_MS = 5 * 60 * 1000;

// ---- shell ---------------------------------------------------------------------

export function renderShell(root) {
  $.roomList = h("nav", { class: "room-list", attrs: { "aria-label": "Rooms" } });
  $.me = h("div", { class: "sb-me" });
  $.sidebar = h("aside", { class: "sidebar", attrs: { "aria-label": "Sidebar" } },
    h("div", { class: "sb-head" },
      h("div", { class: "brand" }, h("img", { src: "/favicon.svg", alt: "", class: "brand-logo" }), h("span", { class: "brand-name" }, "chatcore")),
      h("div", { class: "sb-head-actions" },
        themeButton(),
        iconButton("x", "Close sidebar", () => A.toggleSidebar(false), { class: "only-mobile" }))),
    h("div", { class: "sb-actions" },
      h("button", { type: "button", class: "btn btn-primary btn-block", onclick: () => A.openCreateRoom(), attrs: { "data-testid": "new-room" } }, icon("plus", 16), "New room"),
      h("div", { class: "sb-actions-row" },
        h("button", { type: "button", class: "btn btn-ghost", onclick: () => A.openBrowse(), attrs: { "data-testid": "browse-rooms" } }, icon("compass", 16), "Browse"),
        h("button", { type: "button", class: "btn btn-ghost", onclick: () => A.openJoinByCode(), attrs: { "data-testid": "join-by-code" } }, icon("key", 16), "Join with code"))),
    $.roomList,
    $.me);
  $.backdrop = h("div", { class: "backdrop", onclick: () => { A.toggleSidebar(false); A.toggleMembers(false, true); } });

  $.banner = h("div", { class: "conn-banner", attrs: { role: "status", "data-testid": "connection" } });
  $.head = h("header", { class: "chat-head" });
  $.list = h("div", { class: "msg-list", attrs: { role: "log", "aria-live": "polite", "aria-label": "Messages" } });
  $.jump = h("button", { type: "button", class: "jump-latest", hidden: true, onclick: () => scrollToBottom(true) }, icon("arrowDown", 16), "New messages");
  $.scroller = h("div", { class: "messages", onscroll: onScroll }, $.list);
  $.typing = h("div", { class: "typing", attrs: { "aria-live": "polite", "data-testid": "typing" } });
  $.reply = h("div", { class: "reply-bar", hidden: true });
  $.input = h("textarea", {
    class: "composer-input", rows: 1, placeholder: "Message",
    attrs: { "aria-label": "Message", "data-testid": "composer", maxlength: 4000 },
    oninput: onComposerInput, onkeydown: onComposerKey, onblur: () => A.typingStop(),
  });
  $.sendBtn = h("button", { type: "submit", class: "send-btn", title: "Send (Enter)", attrs: { "aria-label": "Send", "data-testid": "send" } }, icon("send", 18));
  // Image and file messages: the picked file is uploaded at once (caption: none).
  $.fileInput = h("input", {
    type: "file", class: "visually-hidden", tabIndex: -1,
    attrs: { "data-testid": "attach-input", "aria-hidden": "true" },
    onchange: () => { const f = $.fileInput.files && $.fileInput.files[0]; $.fileInput.value = ""; if (f) A.sendFile(f); },
  });
  $.attachBtn = h("button", { type: "button", class: "attach-btn", title: "Send an image or a file", onclick: () => $.fileInput.click(), attrs: { "aria-label": "Attach a file", "data-testid": "attach" } }, icon("clip", 18));
  $.composer = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submitComposer(); } }, $.attachBtn, $.fileInput, $.input, $.sendBtn);
  $.hint = h("div", { class: "composer-hint" });
  $.chatBody = h("div", { class: "chat-body" }, $.scroller, $.jump);
  $.empty = h("div", { class: "empty-state" });
  $.chat = h("main", { class: "chat" }, $.banner, $.head, $.chatBody, $.empty,
    h("div", { class: "composer-wrap" }, $.typing, $.reply, $.composer, $.hint));
  $.members = h("aside", { class: "members", attrs: { "aria-label": "Members", "data-testid": "members" } });
  $.app = h("div", { class: "app", attrs: { "data-testid": "app" } }, $.sidebar, $.backdrop, $.chat, $.members);
  replace(root, $.app);

  onRender("sidebar", renderSidebar);
  onRender("me", renderMe);
  onRender("header", renderHeader);
  onRender("messages", renderMessages);
  onRender("members", renderMembers);
  onRender("typing", renderTyping);
  onRender("composer", renderComposer);
  onRender("status", renderStatus);
  onRender("layout", renderLayout);
  invalidate("sidebar", "me", "header", "messages", "members", "typing", "composer", "status", "layout");
}

export function focusComposer() {
  if ($.input && !$.input.disabled && window.matchMedia("(min-width: 800px)").matches) $.input.focus();
}

function themeButton() {
  const btn = iconButton(document.documentElement.dataset.theme === "dark" ? "sun" : "moon", "Toggle dark mode", () => {
    A.toggleTheme();
    replace(btn, icon(document.documentElement.dataset.theme === "dark" ? "sun" : "moon", 18));
  }, { attrs: { "data-testid": "theme-toggle" } });
  return btn;
}

function renderLayout() {
  $.app.classList.toggle("sidebar-open", state.sidebarOpen);
  const rs = currentRoom();
  $.app.classList.toggle("members-open", state.membersOpen && !!rs && rs.view.kind !== "direct");
  $.app.classList.toggle("no-room", !currentRoom());
}

function renderStatus() {
  const s = state.status;
  $.banner.dataset.state = s;
  if (s === "online") {
    $.banner.hidden = true;
    replace($.banner);
  } else {
    $.banner.hidden = false;
    replace($.banner, h("span", { class: "spinner small" }), s === "connecting" ? "Connecting…" : "Connection lost. Reconnecting…");
  }
}

// ---- sidebar -------------------------------------------------------------------

function roomIcon(view, size = 20) {
  if (view.kind === "direct") {
    const peer = view.peer;
    return avatar(peer, size + 8, { online: peer ? state.online.has(peer.id) : null });
  }
  return h("span", { class: "room-glyph" }, icon(view.kind === "private" ? "lock" : "hash", size - 4));
}

function roomItem(rs) {
  const v = rs.view;
  const active = state.current === v.id;
  return h("button", {
    type: "button",
    class: "room-item" + (active ? " active" : "") + (rs.unread ? " has-unread" : ""),
    dataset: { roomId: v.id },
    attrs: { "data-testid": "room-item", "aria-current": active ? "page" : null, title: roomTitle(v) },
    onclick: () => A.openRoom(v.id),
  },
  roomIcon(v),
  h("span", { class: "room-name" }, roomTitle(v)),
  v.has_password && v.kind !== "direct" ? h("span", { class: "room-flag", title: "Password protected" }, icon("key", 12)) : null,
  rs.unread ? h("span", { class: "badge", attrs: { "aria-label": `${rs.unread} unread` } }, rs.unread > 99 ? "99+" : String(rs.unread)) : null);
}

function section(title, rooms, opts) {
  const items = rooms
    .sort((a, b) => roomTitle(a.view).localeCompare(roomTitle(b.view), undefined, { sensitivity: "base" }))
    .map(roomItem);
  return h("section", { class: "sb-section", attrs: { "data-testid": opts.testid } },
    h("div", { class: "sb-section-head" },
      h("span", null, title),
      opts.add ? iconButton("plus", opts.addLabel, opts.add, { size: 14, class: "small" }) : null),
    items.length ? items : h("div", { class: "sb-empty" }, opts.empty));
}

function renderSidebar() {
  const all = Array.from(state.rooms.values());
  replace($.roomList,
    section("Rooms", all.filter((r) => r.view.kind === "public"), { testid: "section-public", empty: "Browse public rooms to join one.", add: () => A.openBrowse(), addLabel: "Browse public rooms" }),
    section("Private", all.filter((r) => r.view.kind === "private"), { testid: "section-private", empty: "No private rooms yet.", add: () => A.openCreateRoom("private"), addLabel: "New private room" }),
    section("Direct messages", all.filter((r) => r.view.kind === "direct"), { testid: "section-direct", empty: "Start a conversation.", add: () => A.openNewDirect(), addLabel: "New direct message" }));
  const unread = all.reduce((n, r) => n + (r.unread || 0), 0);
  document.title = unread ? `(${unread}) chatcore` : "chatcore";
}

function renderMe() {
  const me = state.me;
  if (!me) return;
  replace($.me,
    h("button", { type: "button", class: "me-card", onclick: () => A.openProfile(), title: "Edit profile", attrs: { "data-testid": "profile" } },
      avatar(me, 34, { online: state.status === "online" }),
      h("span", { class: "me-text" },
        h("span", { class: "me-name" }, me.display_name || me.username),
        h("span", { class: "me-user" }, "@" + me.username))),
    iconButton("logout", "Log out", () => A.logout(), { attrs: { "data-testid": "logout" } }));
}

// ---- header --------------------------------------------------------------------

function renderHeader() {
  const rs = currentRoom();
  if (!rs) {
    replace($.head, iconButton("menu", "Open sidebar", () => A.toggleSidebar(true), { class: "only-mobile" }), h("div", { class: "head-title" }, h("h1", null, "chatcore")));
    renderEmpty();
    return;
  }
  $.empty.hidden = true;
  const v = rs.view;
  const title = roomTitle(v);
  let sub;
  if (v.kind === "direct") {
    const peer = v.peer;
    const online = peer && state.online.has(peer.id);
    sub = peer ? (online ? "Online" : peer.last_seen_at ? `Last seen ${formatAgo(peer.last_seen_at)}` : "@" + peer.username) : "";
  } else {
    sub = v.description || (v.kind === "private" ? "Private room" : "Public room");
  }
  const memberCount = rs.members ? rs.members.size : v.member_count;
  replace($.head,
    iconButton("menu", "Open sidebar", () => A.toggleSidebar(true), { class: "only-mobile" }),
    h("div", { class: "head-icon" }, roomIcon(v, 22)),
    h("div", { class: "head-title" },
      h("h1", { attrs: { "data-testid": "room-title" } }, title),
      h("p", { class: "head-sub", title: sub }, sub)),
    h("div", { class: "head-actions" },
      v.code ? h("button", { type: "button", class: "code-chip", title: "Copy the join code", attrs: { "data-testid": "room-code" }, onclick: () => A.copyCode(v.code) }, icon("key", 14), h("span", { class: "mono" }, v.code), icon("copy", 14)) : null,
      v.kind !== "direct" ? h("button", {
        type: "button", class: "head-btn" + (state.membersOpen ? " active" : ""), title: "Members",
        attrs: { "aria-label": "Members", "aria-pressed": state.membersOpen ? "true" : "false", "data-testid": "toggle-members" },
        onclick: () => A.toggleMembers(),
      }, icon("users", 18), h("span", null, String(memberCount))) : null,
      iconButton("sliders", v.kind === "direct" ? "Conversation details" : "Room settings", () => A.openSettings(), { attrs: { "data-testid": "room-settings" } })));
}

function renderEmpty() {
  $.empty.hidden = false;
  const roomsCount = state.rooms.size;
  replace($.empty,
    h("div", { class: "empty-card" },
      h("div", { class: "empty-art" }, icon("message", 40)),
      h("h2", null, roomsCount ? "Pick a conversation" : `Welcome, ${state.me ? state.me.display_name || state.me.username : ""}!`),
      h("p", null, roomsCount ? "Choose a room from your list, or start something new." : "Join a public room, enter a code from a friend, or create your own room."),
      h("div", { class: "empty-actions" },
        roomsCount ? h("button", { type: "button", class: "btn btn-primary only-mobile-flex", onclick: () => A.toggleSidebar(true) }, icon("menu", 16), "Your rooms") : null,
        h("button", { type: "button", class: "btn btn-primary", onclick: () => A.openCreateRoom() }, icon("plus", 16), "Create a room"),
        h("button", { type: "button", class: "btn btn-ghost", onclick: () => A.openBrowse() }, icon("compass", 16), "Browse rooms"),
        h("button", { type: "button", class: "btn btn-ghost", onclick: () => A.openJoinByCode() }, icon("key", 16), "Join with code"))));
}

// ---- messages ------------------------------------------------------------------

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with http(s) links made clickable; everything stays a text node. */
function richText(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(h("a", { href: m[0], target: "_blank", rel: "noopener noreferrer nofollow" }, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function systemText(m) {
  const s = m.system || {};
  switch (s.event) {
    case "room_created": return `${userName(s.by)} created the room`;
    case "joined": return `${userName(s.user)} joined`;
    case "left": return `${userName(s.user)} left`;
    case "kicked": return `${userName(s.user)} was removed by ${userName(s.by)}`;
    case "banned": return `${userName(s.user)} was banned by ${userName(s.by)}`;
    case "role_changed": return `${userName(s.by)} made ${userName(s.user)} ${(ROLE_LABEL[s.role] || s.role || "").toLowerCase()}`;
    case "ownership_transferred": return `${userName(s.to)} is now the owner`;
    default: return m.body || "Room event";
  }
}

function systemIcon(m) {
  const e = m.system && m.system.event;
  if (e === "banned" || e === "kicked") return "ban";
  if (e === "role_changed" || e === "ownership_transferred") return "shield";
  if (e === "left") return "logout";
  if (e === "joined") return "login";
  return "info";
}

function authorOf(m) {
  if (!m.author_id) return null;
  return knownUser(m.author_id) || { id: m.author_id, username: "unknown", display_name: "Unknown user" };
}

function roleOf(rs, userId) {
  const mem = rs.members && rs.members.get(userId);
  return mem ? mem.role : null;
}

function snippet(text, n = 80) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > n ? t.slice(0, n - 1) + "…" : t;
}

function replyQuote(rs, m) {
  if (!m.reply_to) return null;
  const target = rs.msgs.get(m.reply_to);
  return h("button", { type: "button", class: "msg-reply", onclick: () => target && flashMessage(target.id) },
    icon("reply", 12),
    target
      ? [h("span", { class: "msg-reply-author" }, userName(target.author_id)), h("span", { class: "msg-reply-text" }, target.deleted_at ? "deleted message" : snippet(target.body))]
      : h("span", { class: "msg-reply-text" }, "an earlier message"));
}

function messageActions(rs, m) {
  const mine = state.me && m.author_id === state.me.id;
  if (m.deleted_at) return null;
  return h("div", { class: "msg-actions", attrs: { role: "toolbar", "aria-label": "Message actions" } },
    iconButton("reply", "Reply", () => A.startReply(m), { size: 16, attrs: { "data-testid": "msg-reply" } }),
    mine && m.kind === "text" ? iconButton("edit", "Edit", () => A.startEdit(m), { size: 16, attrs: { "data-testid": "msg-edit" } }) : null,
    can.deleteMessage(rs, m) ? iconButton("trash", "Delete", () => A.deleteMessage(m), { size: 16, class: "danger", attrs: { "data-testid": "msg-delete" } }) : null);
}

function editor() {
  const ta = h("textarea", {
    class: "edit-input", value: state.editing.draft, rows: 2,
    attrs: { "aria-label": "Edit message", "data-testid": "edit-input", maxlength: 4000 },
    oninput: (e) => { state.editing.draft = e.target.value; },
    onkeydown: (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); A.saveEdit(); }
      if (e.key === "Escape") { e.preventDefault(); A.cancelEdit(); }
    },
  });
  requestAnimationFrame(() => { if (document.activeElement !== ta) { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); } });
  return h("div", { class: "msg-editor" }, ta,
    h("div", { class: "edit-hint" }, "Enter to save · Esc to cancel ",
      h("button", { type: "button", class: "link", onclick: () => A.cancelEdit() }, "cancel"), " · ",
      h("button", { type: "button", class: "link", onclick: () => A.saveEdit() }, "save")));
}

function messageEl(rs, m, cont) {
  if (m.kind === "system") {
    return h("div", { class: "msg-system", dataset: { id: m.id, seq: String(m.seq) }, attrs: { "data-testid": "system-message" } },
      icon(systemIcon(m), 14), h("span", null, systemText(m)),
      h("time", { class: "msg-time", dateTime: m.created_at, title: formatFull(m.created_at) }, formatTime(m.created_at)));
  }
  const author = authorOf(m);
  const mine = state.me && m.author_id === state.me.id;
  const role = roleOf(rs, m.author_id);
  const editing = state.editing && state.editing.id === m.id;
  let body;
  if (m.deleted_at) body = h("div", { class: "msg-body deleted" }, icon("trash", 13), "This message was deleted");
  else if (editing) body = editor();
  else if (m.attachment) body = attachmentEl(m);
  else body = h("div", { class: "msg-body", attrs: { "data-testid": "message-body" } }, richText(m.body), m.edited_at ? h("span", { class: "msg-edited", title: formatFull(m.edited_at) }, " (edited)") : null);
  return h("div", {
    class: "msg" + (cont ? " cont" : "") + (mine ? " mine" : "") + (editing ? " editing" : ""),
    dataset: { id: m.id, seq: String(m.seq) },
    attrs: { "data-testid": "message", "data-author": author ? author.username : "" },
  },
  cont
    ? h("time", { class: "msg-gutter", dateTime: m.created_at, title: formatFull(m.created_at) }, formatTime(m.created_at))
    : h("button", { type: "button", class: "msg-avatar", onclick: () => author && A.openUser(author.id), attrs: { "aria-label": author ? `Profile of ${author.display_name || author.username}` : "Unknown user" } }, avatar(author, 38)),
  h("div", { class: "msg-main" },
    cont ? null : h("div", { class: "msg-head" },
      h("button", { type: "button", class: "msg-author", onclick: () => author && A.openUser(author.id) }, author ? (author.display_name || author.username) : "Unknown user"),
      role && role !== "member" ? h("span", { class: `role-chip role-${role}` }, ROLE_LABEL[role]) : null,
      h("time", { class: "msg-time", dateTime: m.created_at, title: formatFull(m.created_at) }, formatTime(m.created_at))),
    replyQuote(rs, m),
    body),
  editing ? null : messageActions(rs, m));
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** An image message shows the image inline; a file message a download link. Names and
 *  captions are text nodes only. */
function attachmentEl(m) {
  const a = m.attachment;
  const url = fileUrl(a.blob_id);
  const caption = m.body ? h("div", { class: "msg-caption" }, richText(m.body)) : null;
  if (m.kind === "image") {
    return h("div", { class: "msg-body msg-attachment", attrs: { "data-testid": "message-body" } },
      h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "msg-image-link" },
        h("img", { class: "msg-image", src: url, alt: a.name, loading: "lazy", attrs: { "data-testid": "message-image" } })),
      caption);
  }
  return h("div", { class: "msg-body msg-attachment", attrs: { "data-testid": "message-body" } },
    h("a", { href: url, download: a.name, class: "msg-file", attrs: { "data-testid": "message-file" } },
      icon("arrowDown", 16), h("span", { class: "msg-file-name" }, a.name), h("span", { class: "muted small" }, " " + formatSize(a.size))),
    caption);
}

function pendingEl(p) {
  const me = state.me;
  return h("div", { class: "msg mine pending" + (p.failed ? " failed" : ""), attrs: { "data-testid": "pending-message" } },
    h("span", { class: "msg-avatar" }, avatar(me, 38)),
    h("div", { class: "msg-main" },
      h("div", { class: "msg-head" }, h("span", { class: "msg-author" }, me.display_name || me.username),
        h("span", { class: "msg-time" }, p.failed ? "" : "sending…")),
      h("div", { class: "msg-body" }, richText(p.body)),
      p.failed ? h("div", { class: "msg-failed" }, icon("info", 13), `Not sent: ${p.failed}. `,
        h("button", { type: "button", class: "link", onclick: () => A.retrySend(p) }, "Retry"), " · ",
        h("button", { type: "button", class: "link", onclick: () => A.discardPending(p) }, "Discard")) : null));
}

function roomIntro(rs) {
  const v = rs.view;
  return h("div", { class: "room-intro", attrs: { "data-testid": "room-intro" } },
    h("div", { class: "room-intro-icon" }, roomIcon(v, 28)),
    h("h2", null, v.kind === "direct" ? roomTitle(v) : `Welcome to ${v.kind === "public" ? "#" : ""}${v.name}`),
    h("p", null, v.kind === "direct" ? `This is the beginning of your conversation with ${roomTitle(v)}.` : (v.description || "This is the very beginning of the room.")));
}

function renderMessages() {
  const rs = currentRoom();
  const sc = $.scroller;
  if (!rs) {
    $.chatBody.hidden = true;
    replace($.list);
    return;
  }
  $.chatBody.hidden = false;
  const nearBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
  const prevHeight = sc.scrollHeight;
  const prevTop = sc.scrollTop;
  const anchor = rs.anchor || (nearBottom ? "bottom" : "keep");
  rs.anchor = null;

  const items = [];
  if (!rs.loaded) {
    items.push(h("div", { class: "msg-loading" }, h("span", { class: "spinner" }), "Loading messages…"));
  } else if (rs.hasMore) {
    items.push(h("div", { class: "msg-loading older", attrs: { "data-testid": "load-older" } },
      rs.loadingOlder ? [h("span", { class: "spinner small" }), "Loading older messages…"] : h("button", { type: "button", class: "link", onclick: () => A.loadOlder(rs) }, "Load older messages")));
  } else {
    items.push(roomIntro(rs));
  }
  let prev = null;
  let prevDay = null;
  for (const m of rs.sorted) {
    const day = dayKey(m.created_at);
    if (day !== prevDay) {
      items.push(h("div", { class: "day-sep", attrs: { role: "separator" } }, h("span", null, formatDay(m.created_at))));
      prevDay = day;
      prev = null;
    }
    const cont = !!prev && prev.kind !== "system" && m.kind !== "system" && prev.author_id === m.author_id && !m.reply_to
      && Date.parse(m.created_at) - Date.parse(prev.created_at) < GROUP_WINDOW_MS;
    items.push(messageEl(rs, m, cont));
    prev = m;
  }
  for (const p of rs.pending.values()) items.push(pendingEl(p));
  replace($.list, items);

  if (anchor === "bottom") {
    sc.scrollTop = sc.scrollHeight;
    $.jump.hidden = true;
  } else if (anchor === "prepend") {
    sc.scrollTop = prevTop + (sc.scrollHeight - prevHeight);
  } else {
    sc.scrollTop = prevTop;
  }
  // Short histories do not scroll: fetch older pages until they do.
  if (rs.loaded && rs.hasMore && !rs.loadingOlder && sc.scrollHeight <= sc.clientHeight + 40) A.loadOlder(rs);
}

/** New messages arrived while scrolled up: offer a jump. */
export function noteIncoming() {
  const sc = $.scroller;
  if (!sc) return;
  const nearBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
  if (!nearBottom) $.jump.hidden = false;
}

export function scrollToBottom(smooth) {
  const sc = $.scroller;
  if (!sc) return;
  sc.scrollTo({ top: sc.scrollHeight, behavior: smooth ? "smooth" : "auto" });
  $.jump.hidden = true;
}

function onScroll() {
  const rs = currentRoom();
  const sc = $.scroller;
  if (!rs) return;
  if (sc.scrollTop < 150 && rs.loaded && rs.hasMore && !rs.loadingOlder) A.loadOlder(rs);
  if (sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60) {
    $.jump.hidden = true;
    A.markCurrentRead();
  }
}

export function flashMessage(id) {
  const el = $.list.querySelector(`[data-id="${CSS.escape(id)}"]`);
  if (!el) return;
  el.scrollIntoView({ block: "center", behavior: "smooth" });
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
}

// ---- composer ------------------------------------------------------------------

function renderComposer() {
  const rs = currentRoom();
  if (!rs) {
    $.composer.hidden = true;
    $.reply.hidden = true;
    $.hint.hidden = true;
    return;
  }
  $.composer.hidden = false;
  const v = rs.view;
  $.input.placeholder = v.kind === "direct" ? `Message ${roomTitle(v)}` : `Message ${v.kind === "public" ? "#" : ""}${v.name}`;
  if ($.input.dataset.room !== v.id) {
    $.input.dataset.room = v.id;
    $.input.value = rs.draft || "";
    autoGrow();
  }
  if (state.replyTo && state.replyTo.room_id === v.id) {
    $.reply.hidden = false;
    replace($.reply,
      icon("reply", 14),
      h("span", null, "Replying to ", h("strong", null, userName(state.replyTo.author_id)), ": ", h("span", { class: "reply-snippet" }, snippet(state.replyTo.body, 60))),
      iconButton("x", "Cancel reply", () => A.cancelReply(), { size: 14, class: "small" }));
  } else {
    $.reply.hidden = true;
  }
  $.hint.hidden = !v.slow_mode_secs;
  replace($.hint, v.slow_mode_secs ? `Slow mode: one message every ${v.slow_mode_secs} s` : "");
  $.sendBtn.disabled = !$.input.value.trim();
}

function autoGrow() {
  // Measuring a hidden textarea gives nonsense: measure once it is laid out.
  if (!$.input.offsetParent) { requestAnimationFrame(() => { if ($.input.offsetParent) autoGrow(); }); return; }
  $.input.style.height = "auto";
  $.input.style.height = Math.max(34, Math.min($.input.scrollHeight, 200)) + "px";
}

function onComposerInput() {
  const rs = currentRoom();
  if (rs) rs.draft = $.input.value;
  autoGrow();
  $.sendBtn.disabled = !$.input.value.trim();
  if ($.input.value.trim()) A.typingStart();
  else A.typingStop();
}

function onComposerKey(e) {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submitComposer();
  } else if (e.key === "ArrowUp" && !$.input.value) {
    const rs = currentRoom();
    const mine = rs && [...rs.sorted].reverse().find((m) => state.me && m.author_id === state.me.id && !m.deleted_at && m.kind === "text");
    if (mine) { e.preventDefault(); A.startEdit(mine); }
  } else if (e.key === "Escape" && state.replyTo) {
    A.cancelReply();
  }
}

function submitComposer() {
  const text = $.input.value;
  if (!text.trim()) return;
  if (A.send(text)) {
    $.input.value = "";
    const rs = currentRoom();
    if (rs) rs.draft = "";
    autoGrow();
    $.sendBtn.disabled = true;
    $.input.focus();
  }
}

// ---- typing --------------------------------------------------------------------

function renderTyping() {
  const rs = currentRoom();
  const ids = rs ? Array.from(rs.typing.keys()).filter((id) => !state.me || id !== state.me.id) : [];
  if (!ids.length) {
    $.typing.classList.remove("active");
    replace($.typing);
    return;
  }
  const names = ids.map(userName);
  let text;
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else text = "Several people are typing…";
  $.typing.classList.add("active");
  replace($.typing, h("span", { class: "dots", attrs: { "aria-hidden": "true" } }, h("i"), h("i"), h("i")), h("span", null, text));
}

// ---- members -------------------------------------------------------------------

const ROLE_GROUPS = [["owner", "Owner"], ["admin", "Admins"], ["moderator", "Moderators"], ["member", "Members"]];

function renderMembers() {
  const rs = currentRoom();
  if (!rs || rs.view.kind === "direct") {
    replace($.members);
    return;
  }
  const head = h("div", { class: "members-head" },
    h("h2", null, "Members"),
    h("span", { class: "count" }, rs.members ? String(rs.members.size) : ""),
    iconButton("x", "Close members", () => A.toggleMembers(false), { size: 16 }));
  if (!rs.members) {
    replace($.members, head, h("div", { class: "members-loading" }, h("span", { class: "spinner" })));
    return;
  }
  const list = Array.from(rs.members.values());
  const groups = ROLE_GROUPS.map(([role, label]) => {
    const ms = list.filter((m) => m.role === role).sort((a, b) => {
      const oa = state.online.has(a.user.id) ? 0 : 1;
      const ob = state.online.has(b.user.id) ? 0 : 1;
      return oa - ob || (a.user.display_name || a.user.username).localeCompare(b.user.display_name || b.user.username);
    });
    if (!ms.length) return null;
    const onlineCount = ms.filter((m) => state.online.has(m.user.id)).length;
    return h("section", { class: "member-group" },
      h("h3", null, label, h("span", { class: "group-count" }, ` — ${onlineCount}/${ms.length} online`)),
      ms.map((m) => memberItem(rs, m)));
  });
  replace($.members, head, h("div", { class: "members-scroll" }, groups));
}

function memberItem(rs, m) {
  const online = state.online.has(m.user.id);
  const isMe = state.me && m.user.id === state.me.id;
  return h("button", {
    type: "button",
    class: "member" + (online ? " online" : " offline"),
    attrs: { "data-testid": "member", "data-username": m.user.username, "data-online": online ? "true" : "false", "data-role": m.role },
    onclick: () => A.openMember(m.user.id),
  },
  avatar(m.user, 32, { online }),
  h("span", { class: "member-text" },
    h("span", { class: "member-name" }, m.user.display_name || m.user.username, isMe ? h("span", { class: "you" }, " (you)") : null),
    h("span", { class: "member-sub" }, online ? "Online" : (m.user.last_seen_at ? `Seen ${formatAgo(m.user.last_seen_at)}` : "@" + m.user.username))),
  m.role !== "member" ? h("span", { class: `role-chip role-${m.role}`, title: ROLE_LABEL[m.role] }, m.role === "owner" ? icon("crown", 12) : icon("shield", 12)) : null);
}

// Used by dialogs to decide which moderation actions a member row offers.
export function memberActions(rs, member) {
  const out = [];
  const target = member.role;
  const isMe = state.me && member.user.id === state.me.id;
  if (isMe || !rs) return out;
  if (can.setRole(rs, target, "admin") && rank(target) < rank("admin")) out.push({ id: "promote-admin", label: "Make admin", icon: "up", run: () => A.setRole(member, "admin") });
  if (can.setRole(rs, target, "moderator") && rank(target) < rank("moderator")) out.push({ id: "promote-moderator", label: "Make moderator", icon: "up", run: () => A.setRole(member, "moderator") });
  if (can.setRole(rs, target, "moderator") && rank(target) > rank("moderator")) out.push({ id: "demote-moderator", label: "Demote to moderator", icon: "down", run: () => A.setRole(member, "moderator") });
  if (can.setRole(rs, target, "member") && rank(target) > rank("member")) out.push({ id: "demote-member", label: "Demote to member", icon: "down", run: () => A.setRole(member, "member") });
  if (can.transfer(rs)) out.push({ id: "transfer", label: "Transfer ownership", icon: "crown", run: () => A.transfer(member) });
  if (can.moderate(rs, target)) {
    out.push({ id: "kick", label: "Kick", icon: "userX", danger: true, run: () => A.kick(member) });
    out.push({ id: "ban", label: "Ban…", icon: "ban", danger: true, run: () => A.ban(member) });
  }
  return out;
}

export { myRole };
