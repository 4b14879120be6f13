// Reactions on a message: the chips under it (count, pressed when I reacted, a click
// toggles mine) and the picker in its actions (a small palette, used by keyboard
// with the arrow keys, Enter and Escape).

import { html, useState, useRef, useLayoutEffect } from "../lib.js";
import { Glyph } from "./glyphs.js";
import { currentRoom, permissionsOf } from "../state/store.js";
import { PALETTE, emojiName, toggleReaction } from "../state/reactions.js";

const canReact = () => !!permissionsOf(currentRoom.value).react;

function chipLabel(r) {
  const who = r.count === 1 ? "1 reaction" : `${r.count} reactions`;
  return `${emojiName(r.emoji)}: ${who}${r.me ? ", including yours" : ""}`;
}

/** The chips under a message (nothing when it has no reactions). */
export function ReactionChips({ m }) {
  const list = m.reactions || [];
  if (!list.length || m.deleted_at) return null;
  const active = canReact();
  return html`<div class="reactions" role="group" aria-label="Reactions" data-testid="reactions">
    ${list.map((r) => active
      ? html`<button type="button" key=${r.emoji} class=${"reaction-chip" + (r.me ? " me" : "")} aria-pressed=${r.me ? "true" : "false"}
          aria-label=${chipLabel(r)} title=${chipLabel(r)} data-testid="reaction-chip" data-emoji=${r.emoji} data-count=${String(r.count)}
          onClick=${() => toggleReaction(m, r.emoji)}><span class="reaction-emoji" aria-hidden="true">${r.emoji}</span><span class="reaction-count" aria-hidden="true">${String(r.count)}</span></button>`
      : html`<span key=${r.emoji} class=${"reaction-chip" + (r.me ? " me" : "")} role="img" aria-label=${chipLabel(r)}
          data-testid="reaction-chip" data-emoji=${r.emoji} data-count=${String(r.count)}><span aria-hidden="true">${r.emoji} ${String(r.count)}</span></span>`)}
  </div>`;
}

/** "Add reaction" in a message's actions, with its palette. */
export function ReactButton({ m }) {
  const [open, setOpen] = useState(false);
  const trigger = useRef(null);
  const palette = useRef(null);
  // Before the browser paints: a key pressed as soon as the palette shows goes to it,
  // not to the trigger (which would close it again).
  useLayoutEffect(() => {
    if (open && palette.current) palette.current.querySelector("button").focus();
  }, [open]);
  if (!canReact() || m.kind === "system") return null;

  const close = (refocus) => {
    setOpen(false);
    if (refocus && trigger.current) trigger.current.focus();
  };
  const pick = (emoji) => {
    close(true);
    toggleReaction(m, emoji);
  };
  const onKeyDown = (e) => {
    const buttons = Array.from(palette.current.querySelectorAll("button"));
    const i = buttons.indexOf(document.activeElement);
    let next = null;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") next = (i + 1) % buttons.length;
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = buttons.length - 1;
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(true); return; }
    if (next !== null) { e.preventDefault(); buttons[next].focus(); }
  };
  const onFocusOut = (e) => {
    const wrap = e.currentTarget;
    if (!e.relatedTarget || !wrap.contains(e.relatedTarget)) setOpen(false);
  };
  const mine = new Set((m.reactions || []).filter((r) => r.me).map((r) => r.emoji));
  return html`<span class="react-wrap" onFocusOut=${onFocusOut}>
    <button type="button" class="icon-btn" title="Add reaction" aria-label="Add reaction" data-testid="msg-react"
      aria-expanded=${open ? "true" : "false"} ref=${trigger} onClick=${() => setOpen(!open)}><${Glyph} name="smile" size=${16} /></button>
    ${open ? html`<div class="reaction-picker" role="group" aria-label="Choose a reaction" ref=${palette} onKeyDown=${onKeyDown} data-testid="reaction-picker">
      ${PALETTE.map(([emoji, name]) => html`<button type="button" key=${emoji} class=${"reaction-pick" + (mine.has(emoji) ? " me" : "")}
          aria-label=${mine.has(emoji) ? `Remove ${name}` : `React with ${name}`} title=${name} tabIndex=${emoji === PALETTE[0][0] ? 0 : -1}
          data-testid="reaction-pick" data-emoji=${emoji} onClick=${() => pick(emoji)}><span aria-hidden="true">${emoji}</span></button>`)}
    </div>` : null}
  </span>`;
}
