// "Continue as guest" on the sign-in screen, shown when the server allows guests
// (GET /auth/options): a display name, then the normal chat as a temporary guest
// account (POST /auth/guest). Also what a guest may not do: isGuest() hides the
// room-creating actions (the server refuses them anyway).

import { html, useEffect, useState } from "../lib.js";
import { Icon } from "./icons.js";
import { Field, FormError } from "./common.js";
import { api } from "../transport/index.js";
import { session } from "../state/store.js";
import { startSession } from "../state/actions.js";

/** Whether the signed-in account is a guest. */
export function isGuest() {
  const me = session.me.value;
  return !!(me && me.guest);
}

export function GuestEntry() {
  const [allowed, setAllowed] = useState(false);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    api("GET", "/auth/options")
      .then((o) => { if (live) setAllowed(!!(o && o.guests)); })
      .catch(() => {});
    return () => { live = false; };
  }, []);
  if (!allowed) return null;
  if (!open) {
    return html`<div class="guest-entry">
      <div class="guest-or"><span>or</span></div>
      <button type="button" class="btn btn-ghost btn-block" data-testid="guest-continue" onClick=${() => setOpen(true)}>
        <${Icon} name="compass" size=${16} />Continue as guest</button>
    </div>`;
  }
  const submit = async (e) => {
    e.preventDefault();
    const name = e.currentTarget.elements.guest_name.value.trim();
    setError(null);
    setBusy(true);
    try {
      await api("POST", "/auth/guest", { display_name: name });
      await startSession();
    } catch (err) {
      setError(err.message || "Something went wrong");
      setBusy(false);
    }
  };
  return html`<form class="guest-entry auth-form" onSubmit=${submit} data-testid="guest-form">
    <div class="guest-or"><span>or continue as a guest</span></div>
    <${Field} label="Your name" hint="Guests can join public rooms and chat for 24 hours.">
      <input class="input" name="guest_name" required maxLength=${64} autocomplete="nickname" data-testid="guest-name" autofocus />
    <//>
    <${FormError} message=${error} testid="guest-error" />
    <button type="submit" class="btn btn-primary btn-block" disabled=${busy} data-testid="guest-submit">Continue as guest</button>
  </form>`;
}
