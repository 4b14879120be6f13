// Threads: the reply count under a root (opens the thread), "Reply in thread" in a
// message's actions, and the thread in the side panel with its own composer and an
// "Also send to room" choice.

import { html, useRef, useState, useEffect } from "../lib.js";
import { Glyph } from "./glyphs.js";
import { Avatar } from "./common.js";
import { formatAgo, formatFull, formatTime } from "./format.js";
import { ReactionChips } from "./reactions.js";
import { currentRoom, knownUser, userName, permissionsOf } from "../state/store.js";
import { openThread, loadThread, repliesOf, sendReply } from "../state/threads.js";

const MAX_CHARS = 4000;

/** "3 replies · last 5 min ago" under a root; opens the thread. */
export function ThreadSummary({ m }) {
  const t = m.thread;
  if (!t || !t.reply_count || m.thread_root) return null;
  const n = t.reply_count;
  return html`<button type="button" class="thread-summary" data-testid="thread-count" onClick=${() => openThread(m)}>
    <span class="thread-faces" aria-hidden="true">${(t.participants || []).slice(0, 3).map((id) => html`<${Avatar} key=${id} user=${knownUser(id)} size=${18} />`)}</span>
    <span class="thread-count">${n === 1 ? "1 reply" : `${n} replies`}</span>
    ${t.last_reply_at ? html`<span class="thread-last">Last reply ${formatAgo(t.last_reply_at)}</span>` : null}
  </button>`;
}

/** "Reply in thread" in a message's actions (not on replies or system messages). */
export function ThreadButton({ m }) {
  const rs = currentRoom.value;
  if (!rs || !permissionsOf(rs).send || m.kind === "system" || m.thread_root) return null;
  return html`<button type="button" class="icon-btn" title="Reply in thread" aria-label="Reply in thread" data-testid="msg-thread"
    onClick=${() => openThread(m)}><${Glyph} name="thread" size=${16} /></button>`;
}

function Reply({ m }) {
  const author = knownUser(m.author_id);
  return html`<li class="thread-msg" data-testid="thread-reply" data-id=${m.id}>
    <${Avatar} user=${author} size=${28} />
    <div class="thread-msg-main">
      <div class="msg-head"><span class="msg-author">${userName(m.author_id)}</span>
        <time class="msg-time" dateTime=${m.created_at} title=${formatFull(m.created_at)}>${formatTime(m.created_at)}</time>
        ${m.also_in_room ? html`<span class="thread-also">also in the room</span>` : null}</div>
      ${m.deleted_at
        ? html`<div class="msg-body deleted">This message was deleted</div>`
        : html`<div class="msg-body" data-testid="thread-reply-body">${m.body}</div>`}
      <${ReactionChips} m=${m} />
    </div>
  </li>`;
}

function ThreadComposer({ rs, root }) {
  const ta = useRef(null);
  const also = useRef(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (ta.current) ta.current.focus(); }, [root]);
  const submit = async (e) => {
    if (e) e.preventDefault();
    if (busy) return;
    setBusy(true);
    const ok = await sendReply(rs, root, ta.current.value, also.current.checked);
    setBusy(false);
    if (ok) { ta.current.value = ""; also.current.checked = false; ta.current.focus(); }
  };
  return html`<form class="thread-composer" onSubmit=${submit}>
    <label class="visually-hidden" for="thread-input">Reply in thread</label>
    <textarea id="thread-input" ref=${ta} class="input" rows=${2} maxLength=${MAX_CHARS} placeholder="Reply…" data-testid="thread-input"
      onKeyDown=${(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); } }}></textarea>
    <div class="thread-composer-row">
      <label class="search-only"><input type="checkbox" ref=${also} data-testid="thread-also" /> Also send to room</label>
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="thread-send">Reply</button>
    </div>
  </form>`;
}

/** The thread of `rootId` in room `rs`. */
export function ThreadPanel({ rs, rootId }) {
  useEffect(() => { loadThread(rs.id, rootId); }, [rs.id, rootId]);
  const root = rs.msgs.get(rootId);
  void rs.messages.value; // live replies, edits and the root's summary
  const { replies, hasMore, loading, loaded } = repliesOf(rs, rootId);
  const mayReply = !!permissionsOf(rs).send && !!root && !root.deleted_at;
  return html`<div class="thread-panel" data-root=${rootId}>
    ${root ? html`<div class="thread-root" data-testid="thread-root">
      <div class="msg-head"><${Avatar} user=${knownUser(root.author_id)} size=${22} /><span class="msg-author">${userName(root.author_id)}</span>
        <time class="msg-time" dateTime=${root.created_at} title=${formatFull(root.created_at)}>${formatTime(root.created_at)}</time></div>
      <div class="msg-body">${root.deleted_at ? "This message was deleted" : root.body}</div>
    </div>` : null}
    ${hasMore ? html`<div class="panel-more"><button type="button" class="link" onClick=${() => loadThread(rs.id, rootId, true)}>Earlier replies</button></div>` : null}
    ${!loaded && loading ? html`<div class="panel-empty"><span class="spinner small"></span>Loading replies…</div>` : null}
    ${loaded && !replies.length ? html`<p class="panel-empty">No replies yet.</p>` : null}
    <ul class="thread-replies" aria-label="Replies" data-testid="thread-replies">${replies.map((m) => html`<${Reply} key=${m.id} m=${m} />`)}</ul>
    ${mayReply ? html`<${ThreadComposer} rs=${rs} root=${rootId} />` : null}
  </div>`;
}
