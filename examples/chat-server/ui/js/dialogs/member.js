// A user's card (with the moderation actions the server lets me take on them) and
// the ban dialog.

import { html } from "../lib.js";
import { Icon } from "../ui/icons.js";
import { Avatar, Field } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { formatFull, formatAgo } from "../ui/format.js";
import { Api } from "../transport/index.js";
import { session, currentRoom, online, knownUser, roomTitle, memberActionIds, ROLE_LABEL } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { openDialog } from "../state/dialogs.js";
import { openDirectWith, setRole, transfer, kick } from "../state/actions.js";
import { memberExtraActions } from "./moderation.js";

/** Open the card of a user, as a member of the open room when they are one. */
export function openUserCard(userId) {
  const rs = currentRoom.peek();
  const member = rs && rs.members.peek() && rs.members.peek().get(userId);
  const user = member ? member.user : knownUser(userId);
  if (user) openDialog(UserDialog, { rs, userId });
}

const nameOf = (user) => user.display_name || user.username;

/** How each moderation action (store.js `memberActionIds`) looks and what it does. */
const ACTIONS = {
  "promote-admin": { label: "Make admin", icon: "up", run: (rs, m) => setRole(rs, m, "admin") },
  "promote-moderator": { label: "Make moderator", icon: "up", run: (rs, m) => setRole(rs, m, "moderator") },
  "demote-moderator": { label: "Demote to moderator", icon: "down", run: (rs, m) => setRole(rs, m, "moderator") },
  "demote-member": { label: "Demote to member", icon: "down", run: (rs, m) => setRole(rs, m, "member") },
  transfer: { label: "Transfer ownership", icon: "crown", run: transfer },
  kick: { label: "Kick", icon: "userX", danger: true, run: kick },
  ban: { label: "Ban…", icon: "ban", danger: true, run: (rs, m) => openDialog(BanDialog, { rs, member: m }) },
};

function UserDialog({ close, rs, userId }) {
  const member = rs && rs.members.value && rs.members.value.get(userId);
  const user = member ? member.user : knownUser(userId);
  if (!user) return null;
  const me = session.me.value;
  const isMe = !!me && user.id === me.id;
  const isOnline = online.value.has(user.id);
  const actions = member ? memberActionIds(rs, member) : [];
  const extra = memberExtraActions(rs, member, close);
  return html`<${Modal} close=${close} title=${isMe ? "You" : nameOf(user)} testid="user-dialog">
    <div class="user-card">
      <${Avatar} user=${user} size=${72} online=${isOnline} />
      <div class="user-card-text">
        <div class="profile-name">${nameOf(user)}</div>
        <div class="muted">@${user.username}</div>
        <div class="user-card-meta">
          ${member ? html`<span class=${`role-chip role-${member.role}`}>${ROLE_LABEL[member.role]}</span>` : null}
          <span class="muted small">${isOnline ? "Online" : user.last_seen_at ? `Last seen ${formatAgo(user.last_seen_at)}` : "Offline"}</span>
        </div>
      </div>
    </div>
    ${user.bio ? html`<p class="user-bio">${user.bio}</p>` : null}
    ${member ? html`<p class="muted small">Joined ${formatFull(member.joined_at)}</p>` : null}
    ${isMe ? null : html`<button type="button" class="btn btn-ghost btn-block" data-testid="user-message"
      onClick=${() => { close(); openDirectWith(user.username); }}><${Icon} name="message" size=${16} />Send a direct message</button>`}
    ${extra.length ? html`<div class="action-list" data-testid="member-extra-actions">${extra.map((a) => html`<button key=${a.id} type="button"
      class="action" data-testid=${`action-${a.id}`} onClick=${a.run}><${Icon} name=${a.icon} size=${16} />${a.label}</button>`)}</div>` : null}
    ${actions.length ? html`<div class="action-list" data-testid="member-actions">
      <div class="action-title">Moderation</div>
      ${actions.map((id) => {
        const a = ACTIONS[id];
        return html`<button key=${id} type="button" class=${"action" + (a.danger ? " danger" : "")} data-testid=${`action-${id}`}
          onClick=${() => { close(); a.run(rs, member); }}><${Icon} name=${a.icon} size=${16} />${a.label}</button>`;
      })}
    </div>` : null}
  <//>`;
}

const DURATIONS = [["", "Permanently"], ["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"], ["2592000", "30 days"]];

function BanDialog({ close, rs, member }) {
  const name = nameOf(member.user);
  const submit = async (form) => {
    const f = form.elements;
    const secs = Number(f.duration.value);
    const expires = secs ? new Date(Date.now() + secs * 1000).toISOString() : null;
    await Api.ban(rs.id, member.user.id, f.reason.value.trim(), expires);
    toast(`${name} was banned.`, "success");
  };
  return html`<${Modal} close=${close} title=${`Ban ${name}?`} submitLabel="Ban" danger testid="ban-dialog" onSubmit=${submit}
      subtitle=${`They are removed from ${roomTitle(rs.view.peek())} at once and cannot join again until unbanned.`}>
    <${Field} label="Reason"><textarea name="reason" class="input" rows=${2} maxLength=${500} placeholder="Visible to moderators" data-testid="ban-reason"></textarea><//>
    <${Field} label="Duration">
      <select name="duration" class="input" data-testid="ban-duration">${DURATIONS.map(([v, label]) => html`<option value=${v}>${label}</option>`)}</select>
    <//>
  <//>`;
}
