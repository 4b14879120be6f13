// The account screen: change the password (with a strength meter), the active
// sessions (log out one, this device, or everywhere), and deleting the account.

import { html, useState, useEffect, useRef } from "../lib.js";
import { Field, FormError } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { StrengthMeter } from "../ui/strength.js";
import { formatFull, formatAgo } from "../ui/format.js";
import { Api, listOf } from "../transport/index.js";
import { session } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { endSession } from "../state/sync.js";
import { logout } from "../state/actions.js";
import { DesktopSection } from "./notifications.js";

export function AccountDialog({ close }) {
  const me = session.me.peek();
  return html`<${Modal} close=${close} title="Your account" subtitle=${"@" + me.username} wide testid="account-dialog">
    ${me.has_password === false ? null : html`<${PasswordSection} />`}
    <${DesktopSection} />
    <${SessionsSection} />
    <${DeleteSection} needsPassword=${me.has_password !== false} />
  <//>`;
}

/** Run `action`; its error's sentence shows in the section. */
function useAction() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (action) => {
    setError(null);
    setBusy(true);
    try { await action(); } catch (err) { setError(err.message); } finally { setBusy(false); }
  };
  return { error, busy, run };
}

function PasswordSection() {
  const [next, setNext] = useState("");
  const old = useRef(null);
  const fresh = useRef(null);
  const { error, busy, run } = useAction();
  const change = () => run(async () => {
    if (!old.current.value || !fresh.current.value) throw new Error("Enter your current and your new password.");
    await Api.changePassword(old.current.value, fresh.current.value);
    old.current.value = "";
    fresh.current.value = "";
    setNext("");
    toast("Password changed. Your other sessions were logged out.", "success");
  });
  return html`<section class="settings-section" data-testid="account-password">
    <h3>Change password</h3>
    <div class="field-row">
      <${Field} label="Current password">
        <input ref=${old} class="input" type="password" autocomplete="current-password" data-testid="account-old-password" />
      <//>
      <${Field} label="New password">
        <input ref=${fresh} class="input" type="password" autocomplete="new-password" data-testid="account-new-password"
          onInput=${(e) => setNext(e.currentTarget.value)} />
      <//>
    </div>
    <${StrengthMeter} password=${next} />
    <${FormError} message=${error} testid="account-password-error" />
    <div class="row-actions">
      <button type="button" class="btn btn-primary" disabled=${busy} data-testid="account-change-password" onClick=${change}>Change password</button>
    </div>
  </section>`;
}

function SessionsSection() {
  const [list, setList] = useState(null);
  const { error, run } = useAction();
  // This device first, then the others as the server orders them (newest first).
  const load = () => run(async () => setList(listOf(await Api.sessions(), "sessions").sort((a, b) => (b.current ? 1 : 0) - (a.current ? 1 : 0))));
  useEffect(() => { load(); }, []);
  const end = (s) => run(async () => {
    await Api.endSession(s.id);
    await load();
    toast("That session was logged out.", "success");
  });
  const everywhere = () => run(async () => {
    await Api.logoutAll();
    endSession("You logged out everywhere.");
  });
  return html`<section class="settings-section" data-testid="account-sessions">
    <h3>Active sessions</h3>
    ${list === null ? html`<span class="spinner small"></span>` : list.map((s) => html`<div key=${s.id} class="session-row" data-testid="session" data-current=${s.current ? "true" : "false"}>
      <div>
        <strong>${s.current ? "This device" : describeAgent(s.user_agent)}</strong>
        <span class="muted small">${s.current ? describeAgent(s.user_agent) + " · " : ""}Signed in ${formatFull(s.created_at)}${s.last_used_at ? ` · active ${formatAgo(s.last_used_at)}` : ""}</span>
      </div>
      ${s.current ? null : html`<button type="button" class="btn btn-ghost" data-testid="session-end" onClick=${() => end(s)}>Log out</button>`}
    </div>`)}
    <${FormError} message=${error} testid="account-sessions-error" />
    <div class="row-actions">
      <button type="button" class="btn btn-ghost" data-testid="logout-this" onClick=${logout}>Log out this device</button>
      <button type="button" class="btn btn-danger-ghost" data-testid="logout-everywhere" onClick=${everywhere}>Log out everywhere</button>
    </div>
  </section>`;
}

/** "Chrome on Linux" from a user agent string (or a plain fallback). */
function describeAgent(ua) {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "A browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows" : /Mac OS/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

function DeleteSection({ needsPassword }) {
  const pw = useRef(null);
  const { error, busy, run } = useAction();
  const remove = () => run(async () => {
    if (needsPassword && !pw.current.value) throw new Error("Enter your password to delete the account.");
    await Api.deleteAccount(needsPassword ? pw.current.value : undefined);
    endSession("Your account was deleted.");
  });
  return html`<section class="settings-section danger-zone" data-testid="account-delete">
    <h3>Delete account</h3>
    <p class="muted small">This cannot be undone. Your sessions, memberships and invitations go at once.
      Each room you own is handed to its highest-ranked, longest-standing other member, or deleted when nobody else is in it.
      Your messages are erased everywhere (an empty placeholder keeps their place) and your files are deleted.</p>
    ${needsPassword ? html`<${Field} label="Password">
      <input ref=${pw} class="input" type="password" autocomplete="current-password" data-testid="account-delete-password" />
    <//>` : null}
    <${FormError} message=${error} testid="account-delete-error" />
    <div class="row-actions">
      <button type="button" class="btn btn-danger" disabled=${busy} data-testid="account-delete-submit" onClick=${remove}>Delete my account</button>
    </div>
  </section>`;
}
