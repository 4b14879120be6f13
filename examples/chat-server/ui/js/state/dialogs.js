// The open modal dialogs, as a stack: {id, Component, props}. ui/modal.js shows them.

import { signal } from "@preact/signals-core";

export const dialogs = signal([]);
let nextId = 1;

/** Open `Component` as a dialog; it receives `props` and `close()`. Returns its id. */
export function openDialog(Component, props = {}) {
  const id = nextId++;
  dialogs.value = [...dialogs.value, { id, Component, props }];
  return id;
}

export function closeDialog(id) {
  if (dialogs.value.some((d) => d.id === id)) dialogs.value = dialogs.value.filter((d) => d.id !== id);
}

export function closeAllDialogs() {
  dialogs.value = [];
}
