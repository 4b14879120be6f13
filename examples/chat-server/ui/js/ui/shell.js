// The top of the component tree: the boot spinner, the sign-in screen or the app's
// layout (sidebar, room header, messages, composer, members), and the dialogs.

import { html } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { RoomIcon } from "./common.js";
import { formatAgo } from "./format.js";
import { AuthScreen } from "./auth.js";
import { Sidebar } from "./sidebar.js";
import { MessageList } from "./messages.js";
import { ComposerArea } from "./composer.js";
import { MemberList } from "./members.js";
import { ReportsButton } from "./reports.js";
import { DialogHost } from "./modal.js";
import { PanelButtons, SidePanel } from "./panel.js";
import { SettingsDialog } from "../dialogs/settings.js";
import { CreateRoomDialog, BrowseDialog, JoinByCodeDialog } from "../dialogs/rooms.js";
import { session, rooms, currentRoom, online, ui, roomTitle } from "../state/store.js";
import { openDialog } from "../state/dialogs.js";
import { toggleSidebar, toggleMembers, copyCode } from "../state/actions.js";

export function App() {
  const phase = session.phase.value;
  const screen = phase === "boot"
    ? html`<div class="boot"><div class="spinner" role="status" aria-label="Loading"></div></div>`
    : phase === "auth" ? html`<${AuthScreen} />` : html`<${Shell} />`;
  return html`${screen}<${DialogHost} />`;
}

function Shell() {
  const rs = currentRoom.value;
  const membersShown = ui.membersOpen.value && !!rs && rs.view.value.kind !== "direct";
  const cls = "app" + (ui.sidebarOpen.value ? " sidebar-open" : "") + (membersShown ? " members-open" : "") + (rs ? "" : " no-room");
  return html`<div class=${cls} data-testid="app">
    <${Sidebar} />
    <div class="backdrop" onClick=${() => { toggleSidebar(false); toggleMembers(false); }}></div>
    <main class="chat">
      <${ConnectionBanner} />
      ${rs ? html`<${RoomHeader} rs=${rs} />` : html`<${NoRoomHeader} />`}
      <div class="chat-body" hidden=${!rs}>${rs ? html`<${MessageList} key=${rs.id} rs=${rs} /><${SidePanel} />` : null}</div>
      ${rs ? null : html`<${EmptyState} />`}
      <div class="composer-wrap">${rs ? html`<${ComposerArea} rs=${rs} />` : null}</div>
    </main>
    <aside class="members" aria-label="Members" data-testid="members">
      ${rs && rs.view.value.kind !== "direct" ? html`<${MemberList} rs=${rs} />` : null}
    </aside>
  </div>`;
}

function ConnectionBanner() {
  const s = session.status.value;
  const on = s === "online";
  return html`<div class="conn-banner" role="status" data-testid="connection" data-state=${s} hidden=${on}>
    ${on ? null : html`<span class="spinner small"></span>${s === "connecting" ? "Connecting…" : "Connection lost. Reconnecting…"}`}
  </div>`;
}

const MenuButton = () => html`<${IconButton} icon="menu" label="Open sidebar" class="only-mobile" onClick=${() => toggleSidebar(true)} />`;

function NoRoomHeader() {
  return html`<header class="chat-head"><${MenuButton} /><div class="head-title"><h1>chatcore</h1></div></header>`;
}

function RoomHeader({ rs }) {
  const v = rs.view.value;
  const members = rs.members.value;
  let sub;
  if (v.kind === "direct") {
    const peer = v.peer;
    sub = peer ? (online.value.has(peer.id) ? "Online" : peer.last_seen_at ? `Last seen ${formatAgo(peer.last_seen_at)}` : "@" + peer.username) : "";
  } else {
    sub = v.description || (v.kind === "private" ? "Private room" : "Public room");
  }
  const open = ui.membersOpen.value;
  return html`<header class="chat-head">
    <${MenuButton} />
    <div class="head-icon"><${RoomIcon} view=${v} size=${22} /></div>
    <div class="head-title">
      <h1 data-testid="room-title">${roomTitle(v)}</h1>
      <p class="head-sub" title=${sub}>${sub}</p>
    </div>
    <div class="head-actions">
      <${PanelButtons} rs=${rs} />
      ${v.code ? html`<button type="button" class="code-chip" title="Copy the join code" data-testid="room-code" onClick=${() => copyCode(v.code)}>
        <${Icon} name="key" size=${14} /><span class="mono">${v.code}</span><${Icon} name="copy" size=${14} /></button>` : null}
      ${v.kind !== "direct" ? html`<button type="button" class=${"head-btn" + (open ? " active" : "")} title="Members" aria-label=${`Members: ${members ? members.size : v.member_count}`}
        aria-pressed=${open ? "true" : "false"} data-testid="toggle-members" onClick=${() => toggleMembers()}>
        <${Icon} name="users" size=${18} /><span>${String(members ? members.size : v.member_count)}</span></button>` : null}
      <${ReportsButton} rs=${rs} />
      <${IconButton} icon="sliders" label=${v.kind === "direct" ? "Conversation details" : "Room settings"} data-testid="room-settings"
        onClick=${() => openDialog(SettingsDialog, { rs })} />
    </div>
  </header>`;
}

function EmptyState() {
  const count = rooms.value.size;
  const me = session.me.value;
  return html`<div class="empty-state">
    <div class="empty-card">
      <div class="empty-art"><${Icon} name="message" size=${40} /></div>
      <h2>${count ? "Pick a conversation" : `Welcome, ${me ? me.display_name || me.username : ""}!`}</h2>
      <p>${count ? "Choose a room from your list, or start something new." : "Join a public room, enter a code from a friend, or create your own room."}</p>
      <div class="empty-actions">
        ${count ? html`<button type="button" class="btn btn-primary only-mobile-flex" onClick=${() => toggleSidebar(true)}><${Icon} name="menu" size=${16} />Your rooms</button>` : null}
        <button type="button" class="btn btn-primary" onClick=${() => openDialog(CreateRoomDialog)}><${Icon} name="plus" size=${16} />Create a room</button>
        <button type="button" class="btn btn-ghost" onClick=${() => openDialog(BrowseDialog)}><${Icon} name="compass" size=${16} />Browse rooms</button>
        <button type="button" class="btn btn-ghost" onClick=${() => openDialog(JoinByCodeDialog)}><${Icon} name="key" size=${16} />Join with code</button>
      </div>
    </div>
  </div>`;
}
