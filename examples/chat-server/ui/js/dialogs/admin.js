// The admin page (site administrators only): users (suspend, unsuspend), rooms
// (delete any room; a private room shows that it exists and its members, never its
// messages), the reports of every room (resolve), and the site audit log. The page
// is offered only when the server says I am a site administrator (state/admin.js);
// every action is checked again by the server.

import { html, useState, useEffect } from "../lib.js";
import { Modal, confirm } from "../ui/modal.js";
import { IconButton } from "../ui/icons.js";
import { formatFull, snippet } from "../ui/format.js";
import { userName, session } from "../state/store.js";
import { openDialog } from "../state/dialogs.js";
import { toast } from "../state/toasts.js";
import {
  isSiteAdmin, probeSiteAdmin, adminUsers, suspendUser, unsuspendUser, adminRooms, adminRoomMembers,
  deleteAnyRoom, adminReports, resolveReport, adminAudit,
} from "../state/admin.js";

/** The sidebar's entry to the admin page: nothing unless I am a site administrator. */
export function AdminEntry() {
  const me = session.me.value;
  const id = me ? me.id : null;
  useEffect(() => { if (id) probeSiteAdmin(id); }, [id]);
  if (!me || isSiteAdmin.value !== true) return null;
  return html`<${IconButton} icon="key" label="Site administration" data-testid="admin-open" onClick=${() => openDialog(AdminDialog)} />`;
}

const TABS = [["users", "Users"], ["rooms", "Rooms"], ["reports", "Reports"], ["audit", "Audit log"]];

export function AdminDialog({ close }) {
  const [tab, setTab] = useState("users");
  const [error, setError] = useState(null);
  const Body = { users: UsersTab, rooms: RoomsTab, reports: ReportsTab, audit: AuditTab }[tab];
  return html`<${Modal} close=${close} title="Site administration" wide testid="admin-dialog" error=${error}
      subtitle="Every action here is recorded in the audit log.">
    <div class="tabs" role="tablist" style=${{ gridTemplateColumns: "repeat(4, 1fr)" }}>
      ${TABS.map(([id, label]) => html`<button type="button" key=${id} role="tab" class=${"tab" + (tab === id ? " on" : "")}
          aria-selected=${String(tab === id)} data-testid=${`admin-tab-${id}`} onClick=${() => { setError(null); setTab(id); }}>${label}</button>`)}
    </div>
    <${Body} key=${tab} setError=${setError} />
  <//>`;
}

/** Load `load()` into state; `reload()` loads again. */
function useList(load, setError) {
  const [items, setItems] = useState(null);
  const reload = () => load().then(setItems, (e) => { setItems([]); setError(e.message); });
  useEffect(() => { reload(); }, []);
  return [items, reload];
}

/** Run `fn`, then reload; a failure goes to the dialog's error line. */
const act = (setError, reload, fn, done) => async () => {
  setError(null);
  try {
    await fn();
    if (done) toast(done, "success");
  } catch (e) {
    setError(e.message);
  }
  reload();
};

const Loading = () => html`<p class="muted small">Loading…</p>`;
const Empty = ({ text }) => html`<p class="muted small">${text}</p>`;
const row = { display: "flex", alignItems: "center", gap: "10px", padding: "6px 0", borderBottom: "1px solid var(--border)" };
const grow = { flex: "1", minWidth: "0" };

function UsersTab({ setError }) {
  const [users, reload] = useList(adminUsers, setError);
  if (!users) return html`<${Loading} />`;
  if (!users.length) return html`<${Empty} text="No users." />`;
  return html`<ul class="admin-list" data-testid="admin-users">${users.map((u) => {
    // The server flattens the user and their site status into one object.
    const name = u.display_name || u.username;
    const suspended = !!u.suspended_at;
    const admin = !!u.admin_since;
    return html`<li key=${u.id} style=${row} data-testid="admin-user" data-username=${u.username}>
      <span style=${grow}><strong>${name}</strong> <span class="muted">@${u.username}</span>
        ${admin ? html` <span class="badge" data-testid="admin-user-admin">site admin</span>` : null}
        ${suspended ? html` <span class="badge" data-testid="admin-user-suspended">suspended ${formatFull(u.suspended_at)}</span>` : null}</span>
      ${admin ? null : suspended
        ? html`<button type="button" class="btn btn-ghost" data-testid="admin-unsuspend"
            onClick=${act(setError, reload, () => unsuspendUser(u.id), `${name} can sign in again.`)}>Unsuspend</button>`
        : html`<button type="button" class="btn btn-danger" data-testid="admin-suspend"
            onClick=${async () => {
              const ok = await confirm({ title: `Suspend ${name}?`, message: "Every session of theirs ends now and they cannot sign in until unsuspended. Their messages stay.", confirmLabel: "Suspend" });
              if (ok) await act(setError, reload, () => suspendUser(u.id), `${name} is suspended.`)();
            }}>Suspend</button>`}
    </li>`;
  })}</ul>`;
}

function RoomsTab({ setError }) {
  const [rooms, reload] = useList(adminRooms, setError);
  const [open, setOpen] = useState(null);
  if (!rooms) return html`<${Loading} />`;
  if (!rooms.length) return html`<${Empty} text="No rooms." />`;
  return html`<ul class="admin-list" data-testid="admin-rooms">${rooms.map((r) => html`<li key=${r.id} data-testid="admin-room" data-room-name=${r.name}>
    <div style=${row}>
      <span style=${grow}><strong>${r.name || "(direct)"}</strong> <span class="muted">${r.kind} · ${r.member_count} member${r.member_count === 1 ? "" : "s"} · created ${formatFull(r.created_at)}</span></span>
      <button type="button" class="btn btn-ghost" data-testid="admin-room-members" aria-expanded=${String(open === r.id)}
        onClick=${() => setOpen(open === r.id ? null : r.id)}>Members</button>
      <button type="button" class="btn btn-danger" data-testid="admin-room-delete"
        onClick=${async () => {
          const ok = await confirm({ title: `Delete ${r.name || "this conversation"}?`, message: "The room, its messages and files are deleted for every member. This cannot be undone.", confirmLabel: "Delete" });
          if (ok) await act(setError, reload, () => deleteAnyRoom(r.id), "Room deleted.")();
        }}>Delete</button>
    </div>
    ${open === r.id ? html`<${RoomMembers} id=${r.id} setError=${setError} />` : null}
  </li>`)}</ul>`;
}

/** Who is in a room: that is all an administrator sees of a private room. */
function RoomMembers({ id, setError }) {
  const [members] = useList(() => adminRoomMembers(id), setError);
  if (!members) return html`<${Loading} />`;
  return html`<ul class="muted small" data-testid="admin-room-member-list" style=${{ margin: "4px 0 8px 16px" }}>
    ${members.map((m) => html`<li key=${m.user.id}>${m.user.display_name || m.user.username} (@${m.user.username}) · ${m.role}</li>`)}
  </ul>`;
}

const RESOLUTIONS = [["dismiss", "Dismiss"], ["delete_message", "Delete message"], ["kick", "Kick author"], ["ban", "Ban author"]];

function ReportsTab({ setError }) {
  const [reports, reload] = useList(() => adminReports(true), setError);
  if (!reports) return html`<${Loading} />`;
  if (!reports.length) return html`<${Empty} text="No open reports." />`;
  return html`<ul class="admin-list" data-testid="admin-reports">${reports.map((r) => html`<li key=${r.id} style=${row} data-testid="admin-report">
    <span style=${grow}>
      <span>“${snippet(r.body, 120)}”</span>
      <span class="muted small" style=${{ display: "block" }}>by ${userName(r.author)} · reported by ${userName(r.reporter)} ${formatFull(r.created_at)}: ${r.reason}</span>
    </span>
    ${RESOLUTIONS.map(([res, label]) => html`<button type="button" key=${res} class=${"btn " + (res === "dismiss" ? "btn-ghost" : "btn-danger")}
        data-testid=${`admin-resolve-${res}`} onClick=${act(setError, reload, () => resolveReport(r.id, res), "Report resolved.")}>${label}</button>`)}
  </li>`)}</ul>`;
}

const ACTION_TEXT = {
  grant_admin: "made a site administrator",
  revoke_admin: "removed as site administrator",
  suspend: "suspended",
  unsuspend: "unsuspended",
  delete_room: "room deleted",
};

function AuditTab({ setError }) {
  // Users first, so that the entries can name them.
  const [entries] = useList(() => adminUsers().then(adminAudit), setError);
  if (!entries) return html`<${Loading} />`;
  if (!entries.length) return html`<${Empty} text="Nothing recorded yet." />`;
  return html`<ul class="admin-list" data-testid="admin-audit">${entries.map((e) => html`<li key=${e.id} style=${row}
      data-testid="admin-audit-entry" data-action=${e.action}>
    <span class="muted small" style=${{ whiteSpace: "nowrap" }}>${formatFull(e.at)}</span>
    <span style=${grow}>
      <strong>${e.actor ? userName(e.actor) : "the operator (command line)"}</strong>: ${ACTION_TEXT[e.action] || e.action}
      ${e.target_user ? html` <span data-testid="admin-audit-target">${userName(e.target_user)}</span>` : null}
      ${e.target_room ? html` <span class="muted">room ${e.target_room}</span>` : null}
      ${e.detail ? html` <span class="muted">(${e.detail})</span>` : null}
    </span>
  </li>`)}</ul>`;
}
