// Desktop notifications (the Notification API): only after the user opted in (in the
// account dialog, which asks the browser's permission), only while the tab is hidden,
// and only for direct messages and messages that mention me, as the room's
// notification level allows ("none" never, "mentions" only mentions).

import { signal } from "@preact/signals-core";
import { roomTitle, userName } from "./store.js";

const KEY = "chatcore.notify";
const supported = typeof window !== "undefined" && "Notification" in window;

function stored() {
  try { return localStorage.getItem(KEY) === "on"; } catch { return false; }
}

/** Whether the browser has the Notification API at all. */
export const notificationsSupported = supported;
/** The user's opt-in (remembered per browser); notifications need the browser's permission too. */
export const desktopOptIn = signal(supported && stored() && Notification.permission === "granted");

/** Opt in (asks the browser's permission; false when refused) or out. */
export async function setDesktopNotifications(on) {
  if (!supported) return false;
  if (on && Notification.permission !== "granted") {
    const answer = await Notification.requestPermission();
    if (answer !== "granted") on = false;
  }
  try { localStorage.setItem(KEY, on ? "on" : "off"); } catch { /* storage blocked */ }
  desktopOptIn.value = on;
  return on;
}

let opener = () => {};

/** What a click on a notification does with its room id (the app opens the room). */
export function setNotificationOpener(fn) {
  opener = fn;
}

/** The notification a message deserves: "dm", "mention" or null. */
export function notifyReason(rs, m, mentioned, level) {
  if (level === "none") return null;
  if (mentioned) return "mention";
  if (level === "mentions") return null;
  return rs.view.peek().kind === "direct" ? "dm" : null;
}

/** Show a desktop notification for a counted message, when it should be shown. */
export function notifyMessage(rs, m, mentioned, level) {
  if (!desktopOptIn.peek() || !supported || Notification.permission !== "granted") return;
  if (document.visibilityState !== "hidden") return;
  const reason = notifyReason(rs, m, mentioned, level);
  if (!reason) return;
  const from = userName(m.author_id);
  const title = reason === "dm" ? from : `${from} mentioned you in ${roomTitle(rs.view.peek())}`;
  const body = m.kind === "text" ? m.body : m.attachment ? m.attachment.name || "A file" : "";
  try {
    const n = new Notification(title, { body: body.slice(0, 200), tag: `room-${rs.id}`, icon: "/favicon.svg" });
    n.onclick = () => { window.focus(); opener(rs.id); n.close(); };
  } catch { /* some browsers only allow notifications from a service worker */ }
}
