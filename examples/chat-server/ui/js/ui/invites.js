// The invitations I received, at the top of the sidebar: accept or decline each.

import { html } from "../lib.js";
import { Icon } from "./icons.js";
import { userName } from "../state/store.js";
import { invites, acceptInvite as accept, declineInvite as decline } from "../state/invites.js";

export function Invitations() {
  const list = invites.value;
  if (!list.length) return null;
  return html`<section class="sb-section sb-invites" data-testid="invitations" aria-label="Invitations">
    <div class="sb-section-head"><span>Invitations</span></div>
    ${list.map((inv) => html`<div key=${inv.room_id} class="invite-row sb-invite" data-testid="invitation" data-room-id=${inv.room_id}>
      <div><${Icon} name="lock" size=${14} /> <strong>${inv.room_name}</strong>
        <span class="muted small"> from ${userName(inv.invited_by)}</span></div>
      <div class="row-actions">
        <button type="button" class="btn btn-primary" data-testid="invite-accept" onClick=${() => accept(inv)}>Accept</button>
        <button type="button" class="btn btn-ghost" data-testid="invite-decline" onClick=${() => decline(inv)}>Decline</button>
      </div>
    </div>`)}
  </section>`;
}
