// Small shared components: avatars, form fields, spinners, the theme toggle.

import { html, useState, useEffect } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { hashHue, initials, safeImageUrl } from "./format.js";
import { ui, online } from "../state/store.js";
import { toggleTheme } from "../state/actions.js";

/**
 * An avatar: the image when the user has one (initials if it fails to load),
 * otherwise initials on a colour derived from the id. `online`: a presence dot.
 */
export function Avatar({ user, size = 36, online = null }) {
  const name = user ? (user.display_name || user.username || "?") : "?";
  const id = user ? (user.id || name) : "?";
  const src = user ? safeImageUrl(user.avatar_url) : null;
  const [failed, setFailed] = useState(null);
  useEffect(() => setFailed(null), [src]);
  return html`<span class="avatar" style=${`--size:${size}px;--hue:${hashHue(id)}`} aria-hidden="true">
    ${src && failed !== src
      ? html`<img alt="" src=${src} loading="lazy" referrerpolicy="no-referrer" onError=${() => setFailed(src)} />`
      : html`<span class="avatar-initials">${initials(name)}</span>`}
    ${online !== null && online !== undefined
      ? html`<span class=${"presence " + (online ? "on" : "off")} aria-label=${online ? "online" : "offline"}></span>`
      : null}
  </span>`;
}

/** A labelled form field. */
export function Field({ label, hint, children }) {
  return html`<label class="field"><span class="field-label">${label}</span>${children}${hint ? html`<span class="field-hint">${hint}</span>` : null}</label>`;
}

export function Spinner({ small = false }) {
  return html`<span class=${"spinner" + (small ? " small" : "")}></span>`;
}

/** An error line under a form. */
export function FormError({ message, testid }) {
  return html`<div class="form-error" role="alert" data-testid=${testid} hidden=${!message}>
    ${message ? html`<${Icon} name="info" size=${14} />${message}` : null}</div>`;
}

/** Light/dark switch. */
export function ThemeToggle({ class: cls = "" }) {
  return html`<${IconButton} icon=${ui.theme.value === "dark" ? "sun" : "moon"} label="Toggle dark mode" class=${cls}
    data-testid="theme-toggle" onClick=${toggleTheme} />`;
}

/** A room's icon: the peer's avatar for direct rooms, else a # or a lock. */
export function RoomIcon({ view, size = 20 }) {
  if (view.kind === "direct") {
    const peer = view.peer;
    return html`<${Avatar} user=${peer} size=${size + 8} online=${peer ? online.value.has(peer.id) : null} />`;
  }
  const src = safeImageUrl(view.avatar_url);
  if (src) return html`<span class="room-glyph room-picture" style=${`--size:${size + 8}px`}><img alt="" src=${src} loading="lazy" referrerpolicy="no-referrer" data-testid="room-picture" /></span>`;
  return html`<span class="room-glyph"><${Icon} name=${view.kind === "private" ? "lock" : "hash"} size=${size - 4} /></span>`;
}
