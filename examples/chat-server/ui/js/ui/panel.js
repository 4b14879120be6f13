// The side panel beside the messages (pinned list, search, thread) and the buttons of
// the room header that open it.

import { html } from "../lib.js";
import { IconButton } from "./icons.js";
import { Glyph } from "./glyphs.js";
import { PinsPanel } from "./pins.js";
import { SearchPanel } from "./search.js";
import { ThreadPanel } from "./thread.js";
import { currentRoom } from "../state/store.js";
import { panel, togglePanel, closePanel } from "../state/panel.js";
import { pinsOf } from "../state/pins.js";

const TITLES = { pins: "Pinned messages", search: "Search", thread: "Thread" };

/** Pinned and Search, in the room header. */
export function PanelButtons({ rs }) {
  const open = panel.value && panel.value.kind;
  const v = rs.view.value;
  const pins = pinsOf(rs.id).value;
  return html`
    ${v.kind !== "direct" ? html`<button type="button" class=${"head-btn" + (open === "pins" ? " active" : "")} title="Pinned messages"
      aria-label=${pins && pins.length ? `Pinned messages: ${pins.length}` : "Pinned messages"} aria-pressed=${open === "pins" ? "true" : "false"}
      data-testid="toggle-pins" onClick=${() => togglePanel("pins")}><${Glyph} name="pin" size=${17} />${pins && pins.length ? html`<span>${String(pins.length)}</span>` : null}</button>` : null}
    <button type="button" class=${"head-btn" + (open === "search" ? " active" : "")} title="Search messages" aria-label="Search messages"
      aria-pressed=${open === "search" ? "true" : "false"} data-testid="toggle-search" onClick=${() => togglePanel("search")}><${Glyph} name="search" size=${17} /></button>`;
}

/** The open panel, if any (it belongs to the open room, except search). */
export function SidePanel() {
  const p = panel.value;
  const rs = currentRoom.value;
  if (!p || !rs) return null;
  if (p.kind === "pins" && rs.view.value.kind === "direct") return null;
  let body = null;
  if (p.kind === "pins") body = html`<${PinsPanel} key=${rs.id} rs=${rs} />`;
  else if (p.kind === "search") body = html`<${SearchPanel} />`;
  else if (p.kind === "thread" && p.room === rs.id) body = html`<${ThreadPanel} key=${p.root} rs=${rs} rootId=${p.root} />`;
  if (!body) return null;
  const title = TITLES[p.kind];
  return html`<aside class="side-panel" aria-label=${title} data-testid=${p.kind + "-panel"}
      onKeyDown=${(e) => { if (e.key === "Escape") { e.stopPropagation(); closePanel(); } }}>
    <header class="side-panel-head"><h2>${title}</h2>
      <${IconButton} icon="x" label=${`Close ${title.toLowerCase()}`} data-testid="panel-close" onClick=${closePanel} /></header>
    <div class="side-panel-body">${body}</div>
  </aside>`;
}
