// Transient notifications: a list of toasts, shown by ui/toasts.js.

import { signal } from "@preact/signals-core";

/** The toasts on screen: {id, message, kind, action, leaving}. */
export const toasts = signal([]);
let nextId = 1;

function patch(id, change) {
  toasts.value = toasts.value.map((t) => (t.id === id ? { ...t, ...change } : t));
}

export function dismissToast(id) {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/**
 * Show a notification. `kind`: "info", "success" or "error"; `action`: an optional
 * button {label, run}.
 */
export function toast(message, kind = "info", action = null) {
  const id = nextId++;
  toasts.value = [...toasts.value, { id, message, kind, action, leaving: false }];
  setTimeout(() => patch(id, { leaving: true }), action ? 9000 : 4500);
  setTimeout(() => dismissToast(id), action ? 9400 : 4900);
}
