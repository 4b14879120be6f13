// Room settings: about, the invite code, the editable settings, bans, leave and
// delete; each part shown when the server's permissions allow it. For direct rooms,
// the conversation's details.

import { html, useState, useEffect } from "../lib.js";
import { Icon } from "../ui/icons.js";
import { Avatar, Field } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { formatFull } from "../ui/format.js";
import { Api, listOf } from "../transport/index.js";
import { knownUser, userName, rememberUser, roomTitle, permissionsOf, ROLE_LABEL } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { InviteSection, RoomAvatarSection } from "./room-extras.js";
import { NotifySection } from "./notifications.js";
import { copyCode, codeChanged, roomUpdated, leaveRoom, deleteRoom } from "../state/actions.js";

export function SettingsDialog({ close, rs }) {
  const v = rs.view.value;
  if (v.kind === "direct") {
    return html`<${Modal} close=${close} title="Conversation" testid="settings-dialog">
      <div class="user-card"><${Avatar} user=${v.peer} size=${56} />
        <div><div class="profile-name">${roomTitle(v)}</div>${v.peer ? html`<div class="muted">@${v.peer.username}</div>` : null}</div></div>
      <p class="muted small">Conversation started ${formatFull(v.created_at)}.</p>
      <${NotifySection} rs=${rs} />
    <//>`;
  }
  const p = permissionsOf(rs);
  const submit = async (form) => {
    const f = form.elements;
    const patch = {};
    const name = f.name.value.trim();
    if (name !== v.name) patch.name = name;
    if (f.description.value !== (v.description || "")) patch.description = f.description.value;
    if (f.remove_password && f.remove_password.checked) patch.password = "";
    else if (f.password.value) patch.password = f.password.value;
    const max = Number(f.max_members.value || 0);
    if (max !== v.max_members) patch.max_members = max;
    const slow = Number(f.slow.value);
    if (slow !== v.slow_mode_secs) patch.slow_mode_secs = slow;
    if (!Object.keys(patch).length) return;
    roomUpdated(await Api.updateRoom(v.id, patch));
    toast("Room settings saved.", "success");
  };
  return html`<${Modal} close=${close} title=${`${v.kind === "public" ? "#" : ""}${v.name}`} subtitle="Room settings" wide testid="settings-dialog"
      submitLabel="Save changes" onSubmit=${p.edit_settings ? submit : null}>
    <section class="settings-section">
      <div class="about-grid">
        <span class="muted">Type</span><span>${v.kind === "private" ? "Private (join with code)" : "Public"}</span>
        <span class="muted">Members</span><span>${`${v.member_count} of at most ${Number(v.max_members).toLocaleString("en")}`}</span>
        <span class="muted">Password</span><span>${v.has_password ? "Required to join" : "None"}</span>
        <span class="muted">Your role</span><span>${ROLE_LABEL[v.my_role] || "—"}</span>
        <span class="muted">Created</span><span>${formatFull(v.created_at)}</span>
      </div>
    </section>
    <${NotifySection} rs=${rs} />
    ${v.code ? html`<${CodeSection} rs=${rs} code=${v.code} canRotate=${p.rotate_code} />` : null}
    ${p.invite ? html`<${InviteSection} rs=${rs} />` : null}
    ${p.edit_settings ? html`<${RoomAvatarSection} rs=${rs} />` : null}
    ${p.edit_settings ? html`<${EditSection} view=${v} />` : null}
    ${p.ban.length ? html`<${BanSection} rs=${rs} />` : null}
    <section class="settings-section danger-zone">
      <h3>Leave or delete</h3>
      ${v.my_role !== "owner"
        ? html`<div class="danger-row"><div><strong>Leave room</strong><p class="muted small">${v.kind === "private" ? "You will need a code to come back." : "You can join again later."}</p></div>
            <button type="button" class="btn btn-danger-ghost" data-testid="leave-room" onClick=${() => { close(); leaveRoom(rs); }}><${Icon} name="logout" size=${14} />Leave</button></div>`
        : html`<p class="muted small">As the owner you cannot leave: transfer ownership first (from the member list) or delete the room.</p>`}
      ${p.delete_room ? html`<div class="danger-row"><div><strong>Delete room</strong><p class="muted small">Deletes every message for everyone. This cannot be undone.</p></div>
        <button type="button" class="btn btn-danger" data-testid="delete-room" onClick=${() => { close(); deleteRoom(rs); }}><${Icon} name="trash" size=${14} />Delete</button></div>` : null}
    </section>
  <//>`;
}

function CodeSection({ rs, code, canRotate }) {
  const rotate = async () => {
    try {
      const res = await Api.rotateCode(rs.id);
      codeChanged(rs.id, String(res && (res.code || res)));
      toast("New code generated; the old one no longer works.", "success");
    } catch (err) { toast(err.message, "error"); }
  };
  return html`<section class="settings-section">
    <h3>Invite code</h3>
    <p class="muted small">Anyone with this code can join. Rotate it to invalidate the old one.</p>
    <div class="code-row">
      <span class="code-big mono" data-testid="settings-code">${code}</span>
      <button type="button" class="btn btn-ghost btn-small" data-testid="copy-code" onClick=${() => copyCode(code)}><${Icon} name="copy" size=${14} />Copy</button>
      ${canRotate ? html`<button type="button" class="btn btn-ghost btn-small" data-testid="rotate-code" onClick=${rotate}><${Icon} name="refresh" size=${14} />Rotate</button>` : null}
    </div>
  </section>`;
}

const SLOW_MODES = [0, 5, 10, 30, 60, 300];

/** The settings form (fields start from the room as it was when the dialog opened). */
function EditSection({ view }) {
  const [v] = useState(view);
  return html`<section class="settings-section">
    <h3>Settings</h3>
    <${Field} label="Name"><input name="name" class="input" defaultValue=${v.name} maxLength=${64} required data-testid="settings-name" /><//>
    <${Field} label="Description">
      <textarea name="description" class="input" rows=${2} maxLength=${1000} defaultValue=${v.description || ""} data-testid="settings-description"></textarea>
    <//>
    <div class="field-row">
      <${Field} label="New password">
        <input name="password" class="input" type="password" autocomplete="new-password" placeholder=${v.has_password ? "Unchanged" : "None"} data-testid="settings-password" />
      <//>
      <${Field} label="Member limit" hint="0 = the server's maximum.">
        <input name="max_members" class="input" type="number" min=${0} max=${10000} defaultValue=${String(v.max_members)} data-testid="settings-max" />
      <//>
    </div>
    ${v.has_password ? html`<label class="check"><input type="checkbox" name="remove_password" />Remove the password</label>` : null}
    <${Field} label="Slow mode" hint="Minimum delay between two messages of one member.">
      <select name="slow" class="input" data-testid="settings-slow">
        ${SLOW_MODES.map((s) => html`<option value=${String(s)} selected=${v.slow_mode_secs === s}>${s ? `${s} s` : "Off"}</option>`)}
      </select>
    <//>
  </section>`;
}

function BanSection({ rs }) {
  const [bans, setBans] = useState(null);
  const [error, setError] = useState(null);
  const load = () => Api.bans(rs.id).then((data) => {
    const list = listOf(data, "bans");
    for (const b of list) if (b.user) rememberUser(b.user);
    setBans(list);
  }, (err) => setError(err.message));
  useEffect(() => { load(); }, []);
  const unban = async (uid) => {
    try { await Api.unban(rs.id, uid); toast("Ban lifted.", "success"); load(); } catch (err) { toast(err.message, "error"); }
  };
  let body;
  if (error) body = html`<p class="form-error">${error}</p>`;
  else if (!bans) body = html`<span class="spinner small"></span>`;
  else if (!bans.length) body = html`<p class="muted small">Nobody is banned.</p>`;
  else {
    body = bans.map((b) => {
      const uid = b.user_id || (b.user && b.user.id);
      const user = b.user || knownUser(uid);
      return html`<div key=${uid} class="ban-item" data-testid="ban-item">
        <${Avatar} user=${user || { id: uid, username: "?" }} size=${28} />
        <div class="ban-text">
          <strong>${user ? user.display_name || user.username : userName(uid)}</strong>
          <span class="muted small">${(b.reason ? `“${b.reason}” · ` : "") + (b.expires_at ? `until ${formatFull(b.expires_at)}` : "permanent")}</span>
        </div>
        <button type="button" class="btn btn-ghost btn-small" data-testid="unban" onClick=${() => unban(uid)}>Unban</button>
      </div>`;
    });
  }
  return html`<section class="settings-section"><h3>Banned users</h3><div class="ban-list" data-testid="ban-list">${body}</div></section>`;
}
