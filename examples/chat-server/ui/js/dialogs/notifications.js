// Notification settings: a room's level (all / mentions / none) in the room settings,
// and in the account dialog the desktop notifications (opt-in, asks the browser) and
// whether others see my read receipts.

import { html, useState, useEffect } from "../lib.js";
import { Api } from "../transport/index.js";
import { toast } from "../state/toasts.js";
import { levelOf, setLevel } from "../state/reads.js";
import { desktopOptIn, notificationsSupported, setDesktopNotifications } from "../state/notify.js";

const LEVELS = [
  { level: "all", label: "All messages", hint: "Direct messages and mentions notify; every message counts as unread." },
  { level: "mentions", label: "Mentions only", hint: "Only messages that mention you notify." },
  { level: "none", label: "Nothing (muted)", hint: "No notifications; unread messages are still counted, quietly." },
];

/**
 * My notification level in a room. Shown only when the server states the level in my
 * read state (`notifications`): a server without the setting shows nothing.
 */
export function NotifySection({ rs }) {
  const server = levelOf(rs);
  // The choice shows at once; the server's answer (or a read_state) confirms it.
  const [chosen, setChosen] = useState(null);
  if (server === null) return null;
  const level = chosen || server;
  const choose = async (next) => {
    if (next === level) return;
    setChosen(next);
    try { await setLevel(rs, next); } catch (err) { toast(err.message, "error"); } finally { setChosen(null); }
  };
  return html`<section class="settings-section" data-testid="notify-section">
    <fieldset class="notify-levels">
      <legend>Notifications</legend>
      ${LEVELS.map((l) => html`<label key=${l.level} class="check">
        <input type="radio" name="notify-level" value=${l.level} checked=${level === l.level}
          data-testid=${"notify-" + l.level} onChange=${() => choose(l.level)} />${l.label}</label>`)}
    </fieldset>
    <p class="muted small" aria-live="polite">${(LEVELS.find((l) => l.level === level) || LEVELS[0]).hint}</p>
  </section>`;
}

/** Desktop notifications (per browser) and read receipts (per account). */
export function DesktopSection() {
  const [privateReceipts, setPrivate] = useState(null);
  useEffect(() => {
    Api.readSettings().then((s) => setPrivate(!!(s && s.private_receipts)), () => setPrivate(null));
  }, []);
  const toggleDesktop = async (e) => {
    const want = e.currentTarget.checked;
    const got = await setDesktopNotifications(want);
    if (want && !got) toast("The browser did not allow notifications.", "error");
  };
  const toggleReceipts = async (e) => {
    const send = e.currentTarget.checked;
    try {
      const s = await Api.setReadSettings({ private_receipts: !send });
      setPrivate(!!s.private_receipts);
    } catch (err) { toast(err.message, "error"); }
  };
  const denied = notificationsSupported && Notification.permission === "denied";
  return html`<section class="settings-section" data-testid="account-notifications">
    <h3>Notifications and receipts</h3>
    <label class="check">
      <input type="checkbox" checked=${desktopOptIn.value} disabled=${!notificationsSupported || denied}
        data-testid="desktop-notifications" onChange=${toggleDesktop} />
      Desktop notifications for direct messages and mentions while chatcore is in the background</label>
    ${!notificationsSupported ? html`<p class="muted small">This browser has no desktop notifications.</p>`
      : denied ? html`<p class="muted small">Notifications are blocked for this site in the browser's settings.</p>` : null}
    ${privateReceipts === null ? null : html`<label class="check">
      <input type="checkbox" checked=${!privateReceipts} data-testid="send-receipts" onChange=${toggleReceipts} />
      Let others see when I have read their messages (direct messages and small rooms)</label>`}
  </section>`;
}
