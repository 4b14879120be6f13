// The member list of the open room, grouped by role, online first.

import { html, memo } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { Avatar } from "./common.js";
import { formatAgo } from "./format.js";
import { session, online, ROLE_LABEL } from "../state/store.js";
import { toggleMembers } from "../state/actions.js";
import { openUserCard } from "../dialogs/member.js";

const ROLE_GROUPS = [["owner", "Owner"], ["admin", "Admins"], ["moderator", "Moderators"], ["member", "Members"]];

const nameOf = (m) => m.user.display_name || m.user.username;

export function MemberList({ rs }) {
  const members = rs.members.value;
  const head = html`<div class="members-head">
    <h2>Members</h2>
    <span class="count">${members ? String(members.size) : ""}</span>
    <${IconButton} icon="x" label="Close members" size=${16} onClick=${() => toggleMembers(false)} />
  </div>`;
  if (!members) return html`${head}<div class="members-loading"><span class="spinner"></span></div>`;
  const on = online.value;
  const list = Array.from(members.values());
  return html`${head}<div class="members-scroll">
    ${ROLE_GROUPS.map(([role, label]) => {
      const ms = list.filter((m) => m.role === role).sort((a, b) =>
        (on.has(a.user.id) ? 0 : 1) - (on.has(b.user.id) ? 0 : 1) || nameOf(a).localeCompare(nameOf(b)));
      if (!ms.length) return null;
      const onlineCount = ms.filter((m) => on.has(m.user.id)).length;
      return html`<section key=${role} class="member-group">
        <h3>${label}<span class="group-count">${` — ${onlineCount}/${ms.length} online`}</span></h3>
        ${ms.map((m) => html`<${MemberItem} key=${m.user.id} member=${m} isOnline=${on.has(m.user.id)} />`)}
      </section>`;
    })}
  </div>`;
}

const MemberItem = memo(function MemberItem({ member: m, isOnline }) {
  const me = session.me.value;
  const isMe = !!me && m.user.id === me.id;
  return html`<button type="button" class=${"member" + (isOnline ? " online" : " offline")} data-testid="member"
      data-username=${m.user.username} data-online=${isOnline ? "true" : "false"} data-role=${m.role} onClick=${() => openUserCard(m.user.id)}>
    <${Avatar} user=${m.user} size=${32} online=${isOnline} />
    <span class="member-text">
      <span class="member-name-row"><span class="member-name">${nameOf(m)}</span>${isMe ? html`<span class="you">(you)</span>` : null}</span>
      <span class="member-sub">${isOnline ? "Online" : (m.user.last_seen_at ? `Seen ${formatAgo(m.user.last_seen_at)}` : "@" + m.user.username)}</span>
    </span>
    ${m.role !== "member" ? html`<span class=${`role-chip role-${m.role}`} title=${ROLE_LABEL[m.role]}><${Icon} name=${m.role === "owner" ? "crown" : "shield"} size=${12} /></span>` : null}
  </button>`;
});
