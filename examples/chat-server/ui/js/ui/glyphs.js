// The icons of reactions, pins, search and threads (same grid and style as icons.js).

import { html } from "../lib.js";

const GLYPHS = {
  smile: "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01",
  pin: "M12 17v5M9 10.76V6h6v4.76l2 3.24H7zM8 2h8",
  search: "M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM21 21l-4.35-4.35",
  thread: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2zM7 8h10M7 12h6",
};

/** A decorative icon (hidden from assistive technology). */
export function Glyph({ name, size = 16 }) {
  return html`<svg viewBox="0 0 24 24" width=${size} height=${size} fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" class="icon"><path d=${GLYPHS[name]} /></svg>`;
}

/** An icon-only button (the look of icons.js's IconButton). */
export function GlyphButton({ glyph, label, onClick, class: cls = "", size = 16, ...rest }) {
  return html`<button type="button" class=${"icon-btn " + cls} title=${label} aria-label=${label} onClick=${onClick} ...${rest}>
    <${Glyph} name=${glyph} size=${size} /></button>`;
}
