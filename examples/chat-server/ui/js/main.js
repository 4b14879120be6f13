// Entry point: render the component tree, then find out whether we are logged in.
//
//   transport/  REST and WebSocket (the only network code), behind transport/index.js
//   state/      signals (store), incoming events, actions, loading (sync), toasts, dialogs
//   ui/         components: shell, sign-in, sidebar, messages, composer, members, modal
//   dialogs/    the dialogs' components

import { render, html } from "./lib.js";
import { effect } from "@preact/signals";
import { App } from "./ui/shell.js";
import { Toasts } from "./ui/toasts.js";
import { handleEmailLink } from "./ui/auth.js";
import { totalUnread } from "./state/store.js";
import { boot } from "./state/actions.js";

const root = document.getElementById("root");
root.replaceChildren();
render(html`<${App} />`, root);
render(html`<${Toasts} />`, document.getElementById("toasts"));

effect(() => {
  const n = totalUnread.value;
  document.title = n ? `(${n}) chatcore` : "chatcore";
});

handleEmailLink();
// A link pasted into a tab where the app is open changes only the `#…` part.
window.addEventListener("hashchange", handleEmailLink);
boot();
