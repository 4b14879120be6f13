// My profile: display name, bio, avatar (upload or URL), email.

import { html, useState, useRef } from "../lib.js";
import { Avatar, Field } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { formatFull } from "../ui/format.js";
import { Api } from "../transport/index.js";
import { session } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { meUpdated } from "../state/actions.js";

export function ProfileDialog({ close }) {
  // The account as it was when the dialog opened (fields are edited from there).
  const [me] = useState(() => session.me.peek());
  const [displayName, setDisplayName] = useState(me.display_name || "");
  // The avatar shown in the preview: the URL field's value once it changes.
  const [avatarUrl, setAvatarUrl] = useState(me.avatar_url || "");
  const urlField = useRef(null);

  const upload = async (e) => {
    const input = e.currentTarget;
    const f = input.files && input.files[0];
    if (!f) return;
    try {
      const updated = await Api.uploadAvatar(f);
      urlField.current.value = updated.avatar_url || "";
      setAvatarUrl(updated.avatar_url || "");
      meUpdated(updated);
      toast("Avatar uploaded.", "success");
    } catch (err) {
      toast(err.message, "error");
    } finally {
      input.value = "";
    }
  };
  const submit = async (form) => {
    const f = form.elements;
    const url = f.avatar_url.value.trim();
    // An https address, or the path of an uploaded avatar (relative: a URL input refuses it).
    if (url && !/^(https:\/\/|\/api\/files\/)\S+$/.test(url)) throw new Error("The avatar must be an https:// address or an uploaded image.");
    const updated = await Api.updateMe({ display_name: f.display_name.value.trim(), bio: f.bio.value, avatar_url: url, email: f.email.value.trim() });
    meUpdated(updated);
    toast("Profile saved.", "success");
  };
  const resend = async () => {
    try { await Api.requestVerification(); toast("Verification link sent.", "success"); } catch (err) { toast(err.message, "error"); }
  };

  return html`<${Modal} close=${close} title="Your profile" submitLabel="Save profile" testid="profile-dialog" onSubmit=${submit}>
    <div class="profile-preview">
      <${Avatar} user=${{ ...me, display_name: displayName || me.username, avatar_url: avatarUrl || null }} size=${64} />
      <div>
        <div class="profile-name">${displayName || me.username}</div>
        <div class="muted">@${me.username}</div>
        <div class="muted small">Member since ${formatFull(me.created_at)}</div>
      </div>
    </div>
    <${Field} label="Display name">
      <input name="display_name" class="input" value=${displayName} maxLength=${64} required data-testid="profile-display-name"
        onInput=${(e) => setDisplayName(e.currentTarget.value)} />
    <//>
    <${Field} label="Bio">
      <textarea name="bio" class="input" rows=${3} maxLength=${500} placeholder="A few words about you" data-testid="profile-bio" defaultValue=${me.bio || ""}></textarea>
    <//>
    <${Field} label="Upload an avatar" hint="PNG, JPEG, GIF or WebP, up to 2 MB.">
      <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" data-testid="profile-avatar-file" onChange=${upload} />
    <//>
    <${Field} label="Avatar URL" hint="An image address (https), or upload one above.">
      <input ref=${urlField} name="avatar_url" class="input" type="text" inputMode="url" autocomplete="url" maxLength=${2048} defaultValue=${me.avatar_url || ""} placeholder="https://…"
        data-testid="profile-avatar" onChange=${(e) => setAvatarUrl(e.currentTarget.value)} />
    <//>
    <${Field} label="Email" hint="Never shown to other users.">
      <input name="email" class="input" type="email" defaultValue=${me.email || ""} placeholder="Optional" data-testid="profile-email" />
    <//>
    ${me.email ? (me.email_verified
      ? html`<span class="muted small" data-testid="email-verified">Verified.</span>`
      : html`<span class="muted small">Not verified. <button type="button" class="link" onClick=${resend}>Send the link again</button></span>`) : null}
  <//>`;
}
