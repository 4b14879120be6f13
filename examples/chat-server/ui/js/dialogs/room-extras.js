// Parts of the room settings dialog: inviting a user (moderators and up) and the room's
// avatar (owners and admins), each shown when the room's permissions allow it.

import { html, useRef, useState } from "../lib.js";
import { Field, FormError } from "../ui/common.js";
import { RoomIcon } from "../ui/common.js";
import { Api } from "../transport/index.js";
import { toast } from "../state/toasts.js";
import { roomUpdated } from "../state/actions.js";

/** Invite a user by username; they see the invitation and accept or decline it. */
export function InviteSection({ rs }) {
  const input = useRef(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const invite = async () => {
    const name = input.current.value.trim().replace(/^@/, "");
    setError(null);
    if (!name) { setError("Enter a username."); return; }
    setBusy(true);
    try {
      let user;
      try { user = await Api.userByName(name); } catch (err) {
        throw err.code === "not_found" ? new Error(`There is no user called ${name}.`) : err;
      }
      await Api.invite(rs.id, user.id);
      input.current.value = "";
      toast(`${user.display_name || user.username} is invited.`, "success");
    } catch (err) {
      setError(err.code === "already_member" ? `${name} is already a member.` : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="settings-section" data-testid="invite-section">
    <h3>Invite someone</h3>
    <${Field} label="Username" hint="They get an invitation to accept or decline.">
      <input ref=${input} class="input" autocomplete="off" data-testid="invite-username" placeholder="username"
        onKeyDown=${(e) => { if (e.key === "Enter") { e.preventDefault(); invite(); } }} />
    <//>
    <${FormError} message=${error} testid="invite-error" />
    <div class="row-actions"><button type="button" class="btn btn-primary" disabled=${busy} data-testid="invite-submit" onClick=${invite}>Send invitation</button></div>
  </section>`;
}

/** Upload the room's avatar (PNG, JPEG, GIF or WebP). */
export function RoomAvatarSection({ rs }) {
  const v = rs.view.value;
  const [error, setError] = useState(null);
  const upload = async (e) => {
    const input = e.currentTarget;
    const f = input.files && input.files[0];
    if (!f) return;
    setError(null);
    try {
      roomUpdated(await Api.uploadRoomAvatar(rs.id, f));
      toast("Room picture updated.", "success");
    } catch (err) {
      setError(err.message);
    } finally {
      input.value = "";
    }
  };
  return html`<section class="settings-section" data-testid="room-avatar-section">
    <h3>Room picture</h3>
    <div class="profile-preview"><${RoomIcon} view=${v} size=${48} />
      <${Field} label="Upload a picture" hint="PNG, JPEG, GIF or WebP, up to 2 MB.">
        <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" data-testid="room-avatar-file" onChange=${upload} />
      <//>
    </div>
    <${FormError} message=${error} testid="room-avatar-error" />
  </section>`;
}
