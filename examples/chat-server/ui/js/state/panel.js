// The side panel beside the messages: the pinned list, search, or a thread.

import { signal } from "@preact/signals-core";

/** `null`, `{kind: "pins"}`, `{kind: "search"}` or `{kind: "thread", room, root}`. */
export const panel = signal(null);

/** Open a panel of `kind` (again: close it). */
export function togglePanel(kind, extra = {}) {
  const p = panel.peek();
  panel.value = p && p.kind === kind && !extra.root ? null : { kind, ...extra };
}

export function closePanel() {
  panel.value = null;
}
