// Pinned messages: Pin / Unpin in a message's actions (when the server's
// `permissions.pin` allows it) and the room's pinned list in the side panel.

import { html, useEffect } from "../lib.js";
import { Icon } from "./icons.js";
import { Glyph } from "./glyphs.js";
import { Avatar } from "./common.js";
import { formatFull, formatTime, snippet } from "./format.js";
import { openMessage } from "./jump.js";
import { currentRoom, knownUser, userName } from "../state/store.js";
import { pinsOf, loadPins, isPinned, canPin, setPinned } from "../state/pins.js";

/** The pin toggle of a message's actions (nothing for those who may not pin). */
export function PinButton({ m }) {
  const rs = currentRoom.value;
  if (!rs || !canPin(rs) || m.kind === "system" || m.deleted_at) return null;
  const pinned = isPinned(rs.id, m.id);
  const label = pinned ? "Unpin" : "Pin";
  return html`<button type="button" class=${"icon-btn" + (pinned ? " on" : "")} title=${label} aria-label=${label}
    aria-pressed=${pinned ? "true" : "false"} data-testid="msg-pin" onClick=${() => setPinned(m, !pinned)}><${Glyph} name="pin" size=${16} /></button>`;
}

/** The pinned list of the open room, newest pin first; a click goes to the message. */
export function PinsPanel({ rs }) {
  useEffect(() => { loadPins(rs.id); }, [rs.id]);
  const list = pinsOf(rs.id).value;
  void rs.messages.value; // re-render on deletions of held messages
  if (!list) return html`<div class="panel-empty"><span class="spinner small"></span>Loading…</div>`;
  const shown = list.filter((p) => { const held = rs.msgs.get(p.message.id); return !(held && held.deleted_at); });
  if (!shown.length) return html`<p class="panel-empty" data-testid="pins-empty">No pinned messages yet.${canPin(rs) ? " Pin one from its actions." : ""}</p>`;
  const mayPin = canPin(rs);
  return html`<ul class="panel-list" data-testid="pins-list">
    ${shown.map((p) => {
      const m = rs.msgs.get(p.message.id) || p.message;
      const author = knownUser(m.author_id);
      return html`<li key=${m.id} class="panel-item" data-testid="pin-item" data-id=${m.id}>
        <button type="button" class="panel-hit" onClick=${() => openMessage(m)}>
          <span class="panel-hit-head"><${Avatar} user=${author} size=${20} /><span class="panel-hit-author">${userName(m.author_id)}</span>
            <time class="msg-time" dateTime=${m.created_at} title=${formatFull(m.created_at)}>${formatTime(m.created_at)}</time></span>
          <span class="panel-hit-text">${m.attachment ? m.attachment.name : snippet(m.body, 140)}</span>
          <span class="panel-hit-meta"><${Glyph} name="pin" size=${12} />Pinned by ${userName(p.pinned_by)}</span>
        </button>
        ${mayPin ? html`<button type="button" class="icon-btn" title="Unpin" aria-label="Unpin" data-testid="pin-remove" onClick=${() => setPinned(m, false)}><${Icon} name="x" size=${14} /></button>` : null}
      </li>`;
    })}
  </ul>`;
}
