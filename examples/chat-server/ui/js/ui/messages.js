// The message list of the open room: keyed rows (a message's row is created once and
// re-rendered only when that message, its author or its place changes), scrolling that
// stays at the bottom or keeps its place when older pages load, pending sends.
// Every user-provided string is a text node (Preact never parses it as markup).

import { html, memo, Component, createRef, useEffect, useRef } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { Avatar, RoomIcon } from "./common.js";
import { formatTime, formatFull, formatDay, dayKey, formatSize, snippet } from "./format.js";
import { fileUrl } from "../transport/index.js";
import { readMarks, mentionClass, ReadSentinel } from "./unread.js";
import {
  session, ui, knownUser, userName, roomTitle, roleOf, canDeleteMessage, ROLE_LABEL,
} from "../state/store.js";
import {
  loadOlder, markCurrentRead, startReply, startEdit, cancelEdit, saveEdit, deleteMessage, retrySend, discardPending,
} from "../state/actions.js";
import { openUserCard } from "../dialogs/member.js";
import { ReactionChips, ReactButton } from "./reactions.js";
import { PinButton } from "./pins.js";
import { GapMarker } from "./jump.js";
import { gapAfter } from "../state/jump.js";
import { openReport } from "../dialogs/moderation.js";
import { blocked } from "../state/moderation.js";
import { ThreadSummary, ThreadButton } from "./thread.js";
import { threadOnly } from "../state/threads.js";

const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 120;

/** The scrolling list of one room (keyed by room: a new room is a new list). */
export class MessageList extends Component {
  constructor() {
    super();
    this.scroller = createRef();
    this.state = { jump: false };
    this.lastId = null;
    this.onScroll = this.onScroll.bind(this);
    this.toBottom = this.toBottom.bind(this);
  }

  componentDidMount() {
    const sc = this.scroller.current;
    sc.scrollTop = sc.scrollHeight;
    this.props.rs.anchor = null;
    this.fill();
  }

  getSnapshotBeforeUpdate() {
    const sc = this.scroller.current;
    return { height: sc.scrollHeight, top: sc.scrollTop, nearBottom: sc.scrollHeight - sc.scrollTop - sc.clientHeight < NEAR_BOTTOM_PX };
  }

  componentDidUpdate(_props, _state, snap) {
    const rs = this.props.rs;
    const sc = this.scroller.current;
    const anchor = rs.anchor || (snap.nearBottom ? "bottom" : "keep");
    rs.anchor = null;
    if (anchor === "bottom") {
      sc.scrollTop = sc.scrollHeight;
      if (this.state.jump) this.setState({ jump: false });
    } else if (anchor === "prepend") {
      sc.scrollTop = snap.top + (sc.scrollHeight - snap.height);
    } else {
      sc.scrollTop = snap.top;
      // New messages arrived while scrolled up: offer a jump.
      if (this.arrived) this.arrivedAbove = true;
      if (this.arrived && !this.state.jump) this.setState({ jump: true });
    }
    this.arrived = false;
    this.fill();
  }

  /** Short histories do not scroll: fetch older pages until they do. */
  fill() {
    const rs = this.props.rs;
    const sc = this.scroller.current;
    if (rs.loaded.peek() && rs.hasMore.peek() && !rs.loadingOlder.peek() && sc.scrollHeight <= sc.clientHeight + 40) loadOlder(rs);
  }

  onScroll() {
    const rs = this.props.rs;
    const sc = this.scroller.current;
    if (sc.scrollTop < 150 && rs.loaded.peek() && rs.hasMore.peek() && !rs.loadingOlder.peek()) loadOlder(rs);
    const fromBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight;
    if (fromBottom < 60) {
      if (this.state.jump) this.setState({ jump: false });
      markCurrentRead();
    } else if (fromBottom > sc.clientHeight && !this.state.jump) {
      // Scrolled up more than a screen: offer the way back down.
      this.setState({ jump: true });
    }
  }

  toBottom() {
    // Not smooth: the scroll events on the way down would offer the button again.
    this.scroller.current.scrollTop = this.scroller.current.scrollHeight;
    this.arrivedAbove = false;
    this.setState({ jump: false });
  }

  render({ rs }) {
    const messages = rs.messages.value;
    const last = messages.length ? messages[messages.length - 1].id : null;
    if (this.lastId !== null && last !== this.lastId) this.arrived = true;
    this.lastId = last;
    return html`
      <div class="messages" ref=${this.scroller} onScroll=${this.onScroll}>
        <div class="msg-list" role="log" aria-live="polite" aria-label="Messages">
          <${ListHead} rs=${rs} />
          ${rows(rs, messages)}
          ${rs.pending.value.map((p) => html`<${Pending} key=${p.nonce} p=${p} />`)}
          <${ReadSentinel} rs=${rs} />
        </div>
      </div>
      <button type="button" class="jump-latest" hidden=${!this.state.jump} data-testid="jump-latest" onClick=${this.toBottom}><${Icon} name="arrowDown" size=${16} />${this.arrivedAbove ? "New messages" : "Latest messages"}</button>`;
  }
}

/** Day separators and messages; a message's row gets only what it shows. */
function rows(rs, messages) {
  const editing = ui.editing.value;
  const marks = readMarks(rs, messages);
  const out = [];
  let prev = null;
  let prevDay = null;
  const gap = gapAfter(rs.id);
  for (const m of messages) {
    if (m.id === marks.divider) { out.push(html`<${marks.dividerRow} key="new-divider" />`); prev = null; }
    if (threadOnly(m)) continue; // shown in its thread's panel
    const day = dayKey(m.created_at);
    if (day !== prevDay) {
      out.push(html`<div key=${"day-" + day} class="day-sep" role="separator"><span>${formatDay(m.created_at)}</span></div>`);
      prevDay = day;
      prev = null;
    }
    const cont = !!prev && prev.kind !== "system" && m.kind !== "system" && prev.author_id === m.author_id && !m.reply_to
      && Date.parse(m.created_at) - Date.parse(prev.created_at) < GROUP_WINDOW_MS;
    out.push(m.kind === "system"
      ? html`<${SystemMessage} key=${m.id} m=${m} />`
      : html`<${Message} key=${m.id} m=${m} cont=${cont} role=${roleOf(rs, m.author_id)} canDelete=${canDeleteMessage(rs, m)}
          editing=${editing === m.id} replyTarget=${m.reply_to ? rs.msgs.get(m.reply_to) || null : null} />`);
    if (marks.after.has(m.id)) out.push(marks.after.get(m.id));
    prev = m;
    if (m.seq === gap) { out.push(html`<${GapMarker} key="history-gap" />`); prev = null; }
  }
  return out;
}

function ListHead({ rs }) {
  if (!rs.loaded.value) return html`<div class="msg-loading"><span class="spinner"></span>Loading messages…</div>`;
  if (rs.hasMore.value) {
    return html`<div class="msg-loading older" data-testid="load-older">
      ${rs.loadingOlder.value
        ? html`<span class="spinner small"></span>Loading older messages…`
        : html`<button type="button" class="link" onClick=${() => loadOlder(rs)}>Load older messages</button>`}
    </div>`;
  }
  const v = rs.view.value;
  return html`<div class="room-intro" data-testid="room-intro">
    <div class="room-intro-icon"><${RoomIcon} view=${v} size=${28} /></div>
    <h2>${v.kind === "direct" ? roomTitle(v) : `Welcome to ${v.kind === "public" ? "#" : ""}${v.name}`}</h2>
    <p>${v.kind === "direct" ? `This is the beginning of your conversation with ${roomTitle(v)}.` : (v.description || "This is the very beginning of the room.")}</p>
  </div>`;
}

/** Scroll a message into view and flash it (the target of a reply). */
export function flashMessage(id) {
  const el = document.querySelector(`.msg-list [data-id="${CSS.escape(id)}"]`);
  if (!el) return;
  el.scrollIntoView({ block: "center", behavior: "smooth" });
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with http(s) links made clickable; everything stays text. */
function richText(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(html`<a href=${m[0]} target="_blank" rel="noopener noreferrer nofollow">${m[0]}</a>`);
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
    case "pinned": return `${userName(s.by)} pinned a message`;
    case "unpinned": return `${userName(s.by)} unpinned a message`;
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

const Time = ({ at, class: cls = "msg-time" }) => html`<time class=${cls} dateTime=${at} title=${formatFull(at)}>${formatTime(at)}</time>`;

const SystemMessage = memo(function SystemMessage({ m }) {
  return html`<div class="msg-system" data-id=${m.id} data-seq=${String(m.seq)} data-testid="system-message">
    <${Icon} name=${systemIcon(m)} size=${14} /><span>${systemText(m)}</span><${Time} at=${m.created_at} />
  </div>`;
});

function authorOf(m) {
  if (!m.author_id) return null;
  return knownUser(m.author_id) || { id: m.author_id, username: "unknown", display_name: "Unknown user" };
}

const Message = memo(function Message({ m, cont, role, canDelete, editing, replyTarget }) {
  const author = authorOf(m);
  const me = session.me.value;
  const mine = !!me && m.author_id === me.id;
  const name = author ? (author.display_name || author.username) : "Unknown user";
  let body;
  if (m.deleted_at) body = html`<div class="msg-body deleted"><${Icon} name="trash" size=${13} />This message was deleted</div>`;
  else if (!mine && blocked.value.has(m.author_id)) body = html`<div class="msg-body deleted" data-testid="message-hidden">Message from a user you block</div>`;
  else if (editing) body = html`<${Editor} m=${m} />`;
  else if (m.attachment) body = html`<${Attachment} m=${m} />`;
  else {
    body = html`<div class="msg-body" data-testid="message-body">${richText(m.body)}${m.edited_at
      ? html`<span class="msg-edited" title=${formatFull(m.edited_at)}> (edited)</span>` : null}</div>`;
  }
  const openAuthor = () => author && openUserCard(author.id);
  // Every message is a tab stop (follow-ups have no other focusable part), so keyboard
  // users reach its actions: they show while focus is within the message.
  return html`<div class=${"msg" + (cont ? " cont" : "") + (mine ? " mine" : "") + (editing ? " editing" : "") + mentionClass(m)}
      tabIndex=${0} aria-label=${`${name}, ${formatFull(m.created_at)}`} data-id=${m.id} data-seq=${String(m.seq)} data-testid="message" data-author=${author ? author.username : ""}>
    ${cont
      ? html`<${Time} at=${m.created_at} class="msg-gutter" />`
      : html`<button type="button" class="msg-avatar" onClick=${openAuthor} tabIndex=${-1} aria-hidden="true" title=${author ? `Profile of ${name}` : ""}>
          <${Avatar} user=${author} size=${38} /></button>`}
    <div class="msg-main">
      ${cont ? null : html`<div class="msg-head">
        <button type="button" class="msg-author" onClick=${openAuthor}>${name}</button>
        ${role && role !== "member" ? html`<span class=${`role-chip role-${role}`}>${ROLE_LABEL[role]}</span>` : null}
        <${Time} at=${m.created_at} />
      </div>`}
      ${m.reply_to ? html`<${ReplyQuote} target=${replyTarget} />` : null}
      ${body}
      <${ReactionChips} m=${m} /><${ThreadSummary} m=${m} />
    </div>
    ${editing || m.deleted_at ? null : html`<div class="msg-actions" role="toolbar" aria-label="Message actions">
      <${IconButton} icon="reply" label="Reply" size=${16} data-testid="msg-reply" onClick=${() => startReply(m)} />
      <${ReactButton} m=${m} /><${ThreadButton} m=${m} /><${PinButton} m=${m} />
      ${mine && m.kind === "text" ? html`<${IconButton} icon="edit" label="Edit" size=${16} data-testid="msg-edit" onClick=${() => startEdit(m)} />` : null}
      ${canDelete ? html`<${IconButton} icon="trash" label="Delete" size=${16} class="danger" data-testid="msg-delete" onClick=${() => deleteMessage(m)} />` : null}
      ${!mine && m.author_id && m.kind !== "system" ? html`<${IconButton} icon="shield" label="Report" size=${16} data-testid="msg-report" onClick=${() => openReport(m)} />` : null}
    </div>`}
  </div>`;
});

function ReplyQuote({ target }) {
  return html`<button type="button" class="msg-reply" onClick=${() => target && flashMessage(target.id)}>
    <${Icon} name="reply" size=${12} />
    ${target
      ? html`<span class="msg-reply-author">${userName(target.author_id)}</span><span class="msg-reply-text">${target.deleted_at ? "deleted message" : snippet(target.body)}</span>`
      : html`<span class="msg-reply-text">an earlier message</span>`}
  </button>`;
}

function Editor({ m }) {
  const ref = useRef(null);
  useEffect(() => {
    const ta = ref.current;
    ta.value = m.body;
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }, []);
  const save = () => saveEdit(m.id, ref.current.value);
  return html`<div class="msg-editor">
    <textarea ref=${ref} class="edit-input" rows=${2} aria-label="Edit message" data-testid="edit-input" maxLength=${4000}
      onKeyDown=${(e) => {
        if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); save(); }
        if (e.key === "Escape") { e.preventDefault(); cancelEdit(); }
      }}></textarea>
    <div class="edit-hint">Enter to save · Esc to cancel <button type="button" class="link" onClick=${cancelEdit}>cancel</button> · <button type="button" class="link" onClick=${save}>save</button></div>
  </div>`;
}

/** An image message shows the image inline; a file message a download link. */
function Attachment({ m }) {
  const a = m.attachment;
  const url = fileUrl(a.blob_id);
  const caption = m.body ? html`<div class="msg-caption">${richText(m.body)}</div>` : null;
  if (m.kind === "image") {
    return html`<div class="msg-body msg-attachment" data-testid="message-body">
      <a href=${url} target="_blank" rel="noopener noreferrer" class="msg-image-link">
        <img class="msg-image" src=${url} alt=${a.name} loading="lazy" data-testid="message-image" /></a>
      ${caption}
    </div>`;
  }
  return html`<div class="msg-body msg-attachment" data-testid="message-body">
    <a href=${url} download=${a.name} class="msg-file" data-testid="message-file">
      <${Icon} name="arrowDown" size=${16} /><span class="msg-file-name">${a.name}</span><span class="muted small">${" " + formatSize(a.size)}</span></a>
    ${caption}
  </div>`;
}

const Pending = memo(function Pending({ p }) {
  const me = session.me.value;
  return html`<div class=${"msg mine pending" + (p.failed ? " failed" : "")} data-testid="pending-message">
    <span class="msg-avatar"><${Avatar} user=${me} size=${38} /></span>
    <div class="msg-main">
      <div class="msg-head"><span class="msg-author">${me.display_name || me.username}</span><span class="msg-time">${p.failed ? "" : session.status.value === "online" ? "sending…" : "Waiting for the connection…"}</span></div>
      <div class="msg-body">${richText(p.body)}</div>
      ${p.failed ? html`<div class="msg-failed"><${Icon} name="info" size=${13} />Not sent: ${p.failed}. <button type="button" class="link" onClick=${() => retrySend(p)}>Retry</button> · <button type="button" class="link" onClick=${() => discardPending(p)}>Discard</button></div>` : null}
    </div>
  </div>`;
});
