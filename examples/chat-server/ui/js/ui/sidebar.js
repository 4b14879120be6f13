// The sidebar: brand, room actions, the room list by kind, and my account.

import { html, memo } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { Avatar, RoomIcon, ThemeToggle } from "./common.js";
import { CreateRoomDialog, BrowseDialog, JoinByCodeDialog, NewDirectDialog } from "../dialogs/rooms.js";
import { ProfileDialog } from "../dialogs/profile.js";
import { AccountDialog } from "../dialogs/account.js";
import { AdminEntry } from "../dialogs/admin.js";
import { Invitations } from "./invites.js";
import { isGuest } from "./guest.js";
import { RoomBadges } from "./unread.js";
import { session, rooms, currentId, roomTitle } from "../state/store.js";
import { openDialog } from "../state/dialogs.js";
import { openRoom, toggleSidebar, logout } from "../state/actions.js";

export function Sidebar() {
  return html`<aside class="sidebar" aria-label="Sidebar">
    <div class="sb-head">
      <div class="brand"><img src="/favicon.svg" alt="" class="brand-logo" /><span class="brand-name">chatcore</span></div>
      <div class="sb-head-actions">
        <${ThemeToggle} />
        <${IconButton} icon="x" label="Close sidebar" class="only-mobile" onClick=${() => toggleSidebar(false)} />
      </div>
    </div>
    <div class="sb-actions">
      ${isGuest() ? null : html`<button type="button" class="btn btn-primary btn-block" data-testid="new-room" onClick=${() => openDialog(CreateRoomDialog)}>
        <${Icon} name="plus" size=${16} />New room</button>`}
      <div class="sb-actions-row">
        <button type="button" class="btn btn-ghost" data-testid="browse-rooms" onClick=${() => openDialog(BrowseDialog)}><${Icon} name="compass" size=${16} />Browse</button>
        ${isGuest() ? null : html`<button type="button" class="btn btn-ghost" data-testid="join-by-code" onClick=${() => openDialog(JoinByCodeDialog)}><${Icon} name="key" size=${16} />Join with code</button>`}
      </div>
    </div>
    <${Invitations} />
    <${RoomList} />
    <${MeCard} />
  </aside>`;
}

const SECTIONS = [
  { kind: "public", title: "Rooms", testid: "section-public", empty: "Browse public rooms to join one.", addLabel: "Browse public rooms", add: () => openDialog(BrowseDialog) },
  { kind: "private", title: "Private", testid: "section-private", empty: "No private rooms yet.", addLabel: "New private room", add: () => openDialog(CreateRoomDialog, { kind: "private" }) },
  { kind: "direct", title: "Direct messages", testid: "section-direct", empty: "Start a conversation.", addLabel: "New direct message", add: () => openDialog(NewDirectDialog) },
];

function RoomList() {
  const all = Array.from(rooms.value.values());
  return html`<nav class="room-list" aria-label="Rooms">
    ${SECTIONS.map((s) => html`<${Section} key=${s.kind} section=${s} rooms=${all.filter((r) => r.view.value.kind === s.kind)} />`)}
  </nav>`;
}

function Section({ section: s, rooms: list }) {
  const sorted = list
    .map((rs) => [roomTitle(rs.view.value), rs])
    .sort((a, b) => a[0].localeCompare(b[0], undefined, { sensitivity: "base" }));
  return html`<section class="sb-section" data-testid=${s.testid}>
    <div class="sb-section-head">
      <span>${s.title}</span>
      ${isGuest() && s.kind !== "public" ? null : html`<${IconButton} icon="plus" label=${s.addLabel} size=${14} class="small" onClick=${s.add} />`}
    </div>
    ${sorted.length ? sorted.map(([, rs]) => html`<${RoomItem} key=${rs.id} rs=${rs} />`) : html`<div class="sb-empty">${s.empty}</div>`}
  </section>`;
}

const RoomItem = memo(function RoomItem({ rs }) {
  const v = rs.view.value;
  const unread = rs.unread.value;
  const active = currentId.value === rs.id;
  const title = roomTitle(v);
  return html`<button type="button" class=${"room-item" + (active ? " active" : "") + (unread ? " has-unread" : "")}
      data-room-id=${rs.id} data-testid="room-item" aria-current=${active ? "page" : null} title=${title} onClick=${() => openRoom(rs.id)}>
    <${RoomIcon} view=${v} />
    <span class="room-name">${title}</span>
    ${v.has_password && v.kind !== "direct" ? html`<span class="room-flag" title="Password protected"><${Icon} name="key" size=${12} /></span>` : null}
    <${RoomBadges} rs=${rs} />
  </button>`;
});

function MeCard() {
  const me = session.me.value;
  if (!me) return null;
  return html`<div class="sb-me">
    <button type="button" class="me-card" title="Edit profile" data-testid="profile" onClick=${() => openDialog(ProfileDialog)}>
      <${Avatar} user=${me} size=${34} online=${session.status.value === "online"} />
      <span class="me-text"><span class="me-name">${me.display_name || me.username}</span><span class="me-user">@${me.username}</span></span>
    </button>
    <${AdminEntry} />
    <${IconButton} icon="user" label="Account: password, sessions, deletion" data-testid="account" onClick=${() => openDialog(AccountDialog)} />
    <${IconButton} icon="logout" label="Log out" data-testid="logout" onClick=${logout} />
  </div>`;
}
