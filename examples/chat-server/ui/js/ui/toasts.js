// The toasts (state/toasts.js), rendered into #toasts.

import { html } from "../lib.js";
import { Icon } from "./icons.js";
import { toasts, dismissToast } from "../state/toasts.js";

export function Toasts() {
  return toasts.value.map((t) => html`<div key=${t.id} class=${`toast toast-${t.kind}` + (t.leaving ? " leaving" : "")}
      role=${t.kind === "error" ? "alert" : "status"}>
    <span class="toast-text">${t.message}</span>
    ${t.action ? html`<button type="button" class="toast-action" onClick=${() => { t.action.run(); dismissToast(t.id); }}>${t.action.label}</button>` : null}
    <button type="button" class="toast-close" aria-label="Dismiss" onClick=${() => dismissToast(t.id)}><${Icon} name="x" size=${14} /></button>
  </div>`);
}
