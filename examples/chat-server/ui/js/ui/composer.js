// Below the messages: who is typing, the message being replied to, the composer
// (text, attachments; a draft per room) and the slow-mode hint.

import { html, useRef, useState, useEffect } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { snippet } from "./format.js";
import { session, ui, userName, roomTitle } from "../state/store.js";
import { loadDraft, saveDraft } from "../state/drafts.js";
import { send, sendFile, typingStart, typingStop, startEdit, cancelReply } from "../state/actions.js";
import { TimedOutNotice } from "./timeout.js";

const MAX_CHARS = 4000;

export function ComposerArea({ rs }) {
  const v = rs.view.value;
  return html`
    <${Typing} rs=${rs} />
    <${ReplyBar} rs=${rs} />
    <${TimedOutNotice} rs=${rs}><${Composer} key=${rs.id} rs=${rs} /><//>
    <${SlowWait} rs=${rs} />
    <div class="composer-hint" hidden=${!v.slow_mode_secs}>${v.slow_mode_secs ? `Slow mode: one message every ${v.slow_mode_secs} s` : ""}</div>`;
}

function Typing({ rs }) {
  const me = session.me.value;
  const names = rs.typing.value.filter((id) => !me || id !== me.id).map(userName);
  let text = null;
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = "Several people are typing…";
  return html`<div class=${"typing" + (text ? " active" : "")} aria-live="polite" data-testid="typing">
    ${text ? html`<span class="dots" aria-hidden="true"><i></i><i></i><i></i></span><span>${text}</span>` : null}
  </div>`;
}

function ReplyBar({ rs }) {
  const m = ui.replyTo.value;
  if (!m || m.room_id !== rs.id) return html`<div class="reply-bar" hidden></div>`;
  return html`<div class="reply-bar">
    <${Icon} name="reply" size=${14} />
    <span>Replying to <strong>${userName(m.author_id)}</strong>: <span class="reply-snippet">${snippet(m.body, 60)}</span></span>
    <${IconButton} icon="x" label="Cancel reply" size=${14} class="small" onClick=${cancelReply} />
  </div>`;
}

/** "You can send again in N s" after slow mode refused a message (counts down). */
function SlowWait({ rs }) {
  const w = ui.slowWait.value;
  const [, tick] = useState(0);
  const left = w && w.room === rs.id ? Math.ceil((w.until - Date.now()) / 1000) : 0;
  useEffect(() => {
    if (left <= 0) return undefined;
    const t = setTimeout(() => (left <= 1 ? (ui.slowWait.value = null) : tick((n) => n + 1)), 1000);
    return () => clearTimeout(t);
  });
  if (left <= 0) return null;
  return html`<div class="composer-hint slow-wait" role="status" data-testid="slow-wait">
    <${Icon} name="info" size=${13} />Slow mode: you can send again in ${left} s. Your message is still here.</div>`;
}

const wide = () => window.matchMedia("(min-width: 800px)").matches;

/** The text box of one room (keyed by room: the draft is the room's). */
function Composer({ rs }) {
  if (!rs.draft) rs.draft = loadDraft(rs.id);
  const input = useRef(null);
  const file = useRef(null);
  const [empty, setEmpty] = useState(!rs.draft.trim());
  const focusTick = ui.focusComposer.value;
  const v = rs.view.value;

  const grow = () => {
    const ta = input.current;
    // Measuring a hidden textarea gives nonsense: measure once it is laid out.
    if (!ta.offsetParent) { requestAnimationFrame(() => { if (input.current && input.current.offsetParent) grow(); }); return; }
    ta.style.height = "auto";
    ta.style.height = Math.max(34, Math.min(ta.scrollHeight, 200)) + "px";
  };
  useEffect(() => { input.current.value = rs.draft; grow(); }, []);
  useEffect(() => { if (wide() && !input.current.disabled) input.current.focus(); }, [focusTick]);
  // A message refused by slow mode comes back here (before whatever was typed since).
  const restore = ui.restoreText.value;
  useEffect(() => {
    if (!restore || restore.room !== rs.id) return;
    ui.restoreText.value = null;
    const ta = input.current;
    ta.value = ta.value.trim() ? `${restore.text}\n${ta.value}` : restore.text;
    onInput();
  }, [restore]);

  const submit = () => {
    const ta = input.current;
    if (!ta.value.trim()) return;
    if (send(ta.value)) {
      ta.value = "";
      rs.draft = "";
      saveDraft(rs.id, "");
      grow();
      setEmpty(true);
      ta.focus();
    }
  };
  const onInput = () => {
    const text = input.current.value;
    rs.draft = text;
    saveDraft(rs.id, text);
    grow();
    setEmpty(!text.trim());
    if (text.trim()) typingStart();
    else typingStop();
  };
  const onKeyDown = (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "ArrowUp" && !input.current.value) {
      const me = session.me.peek();
      const mine = [...rs.sorted].reverse().find((m) => me && m.author_id === me.id && !m.deleted_at && m.kind === "text");
      if (mine) { e.preventDefault(); startEdit(mine); }
    } else if (e.key === "Escape" && ui.replyTo.peek()) {
      cancelReply();
    }
  };
  const onFile = () => {
    const f = file.current.files && file.current.files[0];
    file.current.value = "";
    if (f) sendFile(f);
  };
  const placeholder = v.kind === "direct" ? `Message ${roomTitle(v)}` : `Message ${v.kind === "public" ? "#" : ""}${v.name}`;

  return html`<form class="composer" onSubmit=${(e) => { e.preventDefault(); submit(); }}>
    <button type="button" class="attach-btn" title="Send an image or a file" aria-label="Attach a file" data-testid="attach"
      onClick=${() => file.current.click()}><${Icon} name="clip" size=${18} /></button>
    <input ref=${file} type="file" class="visually-hidden" tabIndex=${-1} aria-hidden="true" data-testid="attach-input" onChange=${onFile} />
    <textarea ref=${input} class="composer-input" rows=${1} placeholder=${placeholder} aria-label="Message" data-testid="composer"
      maxLength=${MAX_CHARS} onInput=${onInput} onKeyDown=${onKeyDown} onBlur=${typingStop}></textarea>
    <button type="submit" class="send-btn" title="Send (Enter)" aria-label="Send" data-testid="send" disabled=${empty}><${Icon} name="send" size=${18} /></button>
  </form>`;
}
