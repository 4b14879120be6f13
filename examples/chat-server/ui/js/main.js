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
import { totalUnread, totalMentions } from "./state/reads.js";
import { setNotificationOpener } from "./state/notify.js";
import { boot, openRoom } from "./state/actions.js";

const root = document.getElementById("root");
root.replaceChildren();
render(html`<${App} />`, root);
render(html`<${Toasts} />`, document.getElementById("toasts"));

effect(() => {
  const n = totalUnread.value;
  const at = totalMentions.value;
  document.title = (n ? `(${n}) ` : "") + (at ? `@${at} ` : "") + "chatcore";
});
setNotificationOpener(openRoom);

handleEmailLink();
// A link pasted into a tab where the app is open changes only the `#…` part.
window.addEventListener("hashchange", handleEmailLink);
boot();
