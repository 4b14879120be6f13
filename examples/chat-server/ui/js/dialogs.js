// Modal dialogs (native <dialog>): create room, join by code, browse, direct message,
// profile, room settings, member card, ban, confirm.

import { h, replace, icon, iconButton, avatar, formatFull, formatAgo, copyText, toast } from "./dom.js";
import { Api, listOf } from "./api.js";
import { state, roomTitle, can, ROLE_LABEL, userName, knownUser } from "./store.js";
import { memberActions } from "./views.js";

let A = null;
export function setDialogActions(actions) {
  A = actions;
}

/**
 * Open a modal. `onSubmit(form)` may throw: the message is shown in the dialog, which
 * stays open. Resolves nothing; returns {el, close}.
 */
export function modal({ title, subtitle, body, submitLabel, danger, onSubmit, cancelLabel = "Cancel", testid, wide, footer }) {
  const error = h("div", { class: "form-error", attrs: { role: "alert" }, hidden: true });
  const submit = onSubmit ? h("button", { type: "submit", class: "btn " + (danger ? "btn-danger" : "btn-primary"), attrs: { "data-testid": "dialog-submit" } }, submitLabel || "Save") : null;
  const form = h("form", { class: "modal-form", method: "dialog", novalidate: false },
    h("header", { class: "modal-head" },
      h("div", null, h("h2", null, title), subtitle ? h("p", { class: "modal-sub" }, subtitle) : null),
      iconButton("x", "Close", () => close(), { attrs: { "data-testid": "dialog-close" } })),
    h("div", { class: "modal-body" }, body, error),
    footer !== null ? h("footer", { class: "modal-foot" },
      footer || null,
      h("button", { type: "button", class: "btn btn-ghost", onclick: () => close() }, onSubmit ? cancelLabel : "Close"),
      submit) : null);
  const dlg = h("dialog", { class: "modal" + (wide ? " wide" : ""), attrs: { "data-testid": testid || "dialog", "aria-label": title } }, form);
  function close() {
    if (dlg.open) dlg.close();
    dlg.remove();
  }
  dlg.addEventListener("close", () => dlg.remove());
  dlg.addEventListener("click", (e) => { if (e.target === dlg) close(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!onSubmit) return close();
    error.hidden = true;
    submit.disabled = true;
    submit.classList.add("busy");
    try {
      const keep = await onSubmit(form);
      if (keep !== true) close();
    } catch (err) {
      error.hidden = false;
      replace(error, icon("info", 14), err && err.message ? err.message : "Something went wrong");
    } finally {
      submit.disabled = false;
      submit.classList.remove("busy");
    }
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  const first = form.querySelector("input:not([type=hidden]):not([readonly]), textarea, select");
  if (first) first.focus();
  return { el: dlg, close, showError: (msg) => { error.hidden = false; replace(error, icon("info", 14), msg); } };
}

function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input, hint ? h("span", { class: "field-hint" }, hint) : null);
}

function input(name, props = {}) {
  return h("input", { name, class: "input", ...props });
}

/** A yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = "Confirm", danger = true }) {
  return new Promise((resolve) => {
    let done = false;
    const m = modal({
      title, body: h("p", { class: "confirm-text" }, message), submitLabel: confirmLabel, danger, testid: "confirm-dialog",
      onSubmit: () => { done = true; resolve(true); },
    });
    m.el.addEventListener("close", () => { if (!done) resolve(false); });
  });
}

// ---- rooms ---------------------------------------------------------------------

export function createRoomDialog(kind = "public") {
  const name = input("name", { required: true, maxLength: 64, placeholder: "e.g. design-reviews", attrs: { "data-testid": "room-name" } });
  const description = h("textarea", { name: "description", class: "input", rows: 2, maxLength: 1000, placeholder: "What is it about?", attrs: { "data-testid": "room-description" } });
  const password = input("password", { type: "password", autocomplete: "new-password", maxLength: 256, placeholder: "Leave empty for none", attrs: { "data-testid": "room-password" } });
  const max = input("max_members", { type: "number", min: 2, max: 10000, placeholder: "No limit", attrs: { "data-testid": "room-max" } });
  let chosen = kind;
  const seg = h("div", { class: "segmented", attrs: { role: "radiogroup", "aria-label": "Room type" } });
  const renderSeg = () => replace(seg,
    ...[["public", "hash", "Public", "Listed; anyone can join"], ["private", "lock", "Private", "Unlisted; join with a code"]].map(([k, ic, label, sub]) =>
      h("button", {
        type: "button", class: "seg" + (chosen === k ? " on" : ""), attrs: { role: "radio", "aria-checked": chosen === k ? "true" : "false", "data-testid": `kind-${k}` },
        onclick: () => { chosen = k; renderSeg(); },
      }, icon(ic, 18), h("span", { class: "seg-text" }, h("strong", null, label), h("small", null, sub)))));
  renderSeg();
  modal({
    title: "Create a room", subtitle: "You will be its owner.", submitLabel: "Create room", testid: "create-room-dialog",
    body: [seg, field("Name", name), field("Description", description, "Optional."),
      h("div", { class: "field-row" }, field("Password", password, "Optional: required to join."), field("Member limit", max, "Optional."))],
    onSubmit: async () => {
      const body = { kind: chosen, name: name.value.trim(), description: description.value.trim() };
      if (password.value) body.password = password.value;
      if (max.value) body.max_members = Number(max.value);
      const room = await Api.createRoom(body);
      A.roomJoined(room, true);
      toast(chosen === "private" ? "Private room created. Share its code to invite people." : "Room created.", "success");
    },
  });
}

export function joinByCodeDialog() {
  const code = input("code", { required: true, maxLength: 12, placeholder: "ABCD1234", autocomplete: "off", spellcheck: false, class: "input mono code-input", attrs: { "data-testid": "join-code", "aria-label": "Room code" } });
  code.addEventListener("input", () => { code.value = code.value.toUpperCase().replace(/[^A-Z0-9]/g, ""); });
  const password = input("password", { type: "password", autocomplete: "off", placeholder: "Only if the room has one", attrs: { "data-testid": "join-password" } });
  modal({
    title: "Join with a code", subtitle: "Private rooms are joined with the 8-character code their admins share.", submitLabel: "Join room", testid: "join-code-dialog",
    body: [field("Room code", code), field("Room password", password)],
    onSubmit: async () => {
      const room = await Api.joinByCode(code.value.trim(), password.value || undefined);
      A.roomJoined(room, true);
      toast(`You joined ${roomTitle(room)}.`, "success");
    },
  });
}

export function browseDialog() {
  const list = h("div", { class: "browse-list" }, h("div", { class: "center" }, h("span", { class: "spinner" })));
  const filter = input("q", { type: "search", placeholder: "Filter rooms", attrs: { "aria-label": "Filter rooms" } });
  let rooms = [];
  let more = false;
  const moreBtn = h("button", { type: "button", class: "btn btn-ghost btn-small", hidden: true, onclick: () => load(rooms[rooms.length - 1]) }, "Load more rooms");
  const load = (after) => {
    moreBtn.disabled = true;
    Api.publicRooms(after).then((data) => {
      const page = listOf(data, "rooms");
      rooms = rooms.concat(page.filter((r) => !rooms.some((x) => x.id === r.id)));
      more = page.length >= 50;
      moreBtn.disabled = false;
      render();
    }, (err) => m.showError(err.message));
  };
  const render = () => {
    moreBtn.hidden = !more;
    const q = filter.value.trim().toLowerCase();
    const shown = rooms.filter((r) => !q || r.name.toLowerCase().includes(q) || (r.description || "").toLowerCase().includes(q));
    if (!shown.length) {
      replace(list, h("div", { class: "browse-empty" }, rooms.length ? "No room matches." : "No public rooms yet. Create the first one!"));
      return;
    }
    replace(list, shown.map((r) => {
      const joined = state.rooms.has(r.id);
      const pw = input("password", { type: "password", placeholder: "Room password", class: "input small", hidden: true });
      const btn = h("button", {
        type: "button", class: "btn " + (joined ? "btn-ghost" : "btn-primary") + " btn-small", attrs: { "data-testid": "browse-join" },
        onclick: async () => {
          if (joined) { m.close(); A.openRoom(r.id); return; }
          if (r.has_password && pw.hidden) { pw.hidden = false; pw.focus(); return; }
          btn.disabled = true;
          try {
            const room = await Api.join(r.id, pw.value || undefined);
            m.close();
            A.roomJoined(room, true);
          } catch (err) {
            m.showError(err.message);
          } finally {
            btn.disabled = false;
          }
        },
      }, joined ? "Open" : "Join");
      pw.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); btn.click(); } });
      return h("div", { class: "browse-item", attrs: { "data-testid": "browse-item" } },
        h("span", { class: "room-glyph big" }, icon("hash", 18)),
        h("div", { class: "browse-text" },
          h("div", { class: "browse-name" }, r.name, r.has_password ? h("span", { class: "room-flag", title: "Password protected" }, icon("lock", 12)) : null),
          h("div", { class: "browse-desc" }, r.description || "No description"),
          h("div", { class: "browse-meta" }, icon("users", 12), ` ${r.member_count} member${r.member_count === 1 ? "" : "s"}`)),
        h("div", { class: "browse-actions" }, pw, btn));
    }));
  };
  filter.addEventListener("input", render);
  const m = modal({ title: "Public rooms", subtitle: "Find a room and jump in.", body: [filter, list, h("div", { class: "center-row" }, moreBtn)], testid: "browse-dialog", wide: true });
  load(null);
}

export function newDirectDialog(prefill = "") {
  const username = input("username", { required: true, value: prefill, placeholder: "username", autocomplete: "off", attrs: { "data-testid": "dm-username" } });
  modal({
    title: "New direct message", subtitle: "Talk one-on-one with another user.", submitLabel: "Start conversation", testid: "dm-dialog",
    body: [field("Username", username)],
    onSubmit: async () => {
      const room = await Api.openDirect(username.value.trim().replace(/^@/, ""));
      A.roomJoined(room, true);
    },
  });
}

// ---- profile -------------------------------------------------------------------

export function profileDialog() {
  const me = state.me;
  const preview = h("div", { class: "profile-preview" });
  const displayName = input("display_name", { value: me.display_name || "", maxLength: 64, required: true, attrs: { "data-testid": "profile-display-name" } });
  const bio = h("textarea", { name: "bio", class: "input", rows: 3, maxLength: 500, value: me.bio || "", placeholder: "A few words about you", attrs: { "data-testid": "profile-bio" } });
  const avatarUrl = input("avatar_url", { type: "url", value: me.avatar_url || "", placeholder: "https://…", attrs: { "data-testid": "profile-avatar" } });
  const email = input("email", { type: "email", value: me.email || "", placeholder: "Optional", attrs: { "data-testid": "profile-email" } });
  // Upload an avatar: saved at once (PNG, JPEG, GIF or WebP).
  const avatarFile = h("input", {
    type: "file", accept: "image/png,image/jpeg,image/gif,image/webp", attrs: { "data-testid": "profile-avatar-file" },
    onchange: async () => {
      const f = avatarFile.files && avatarFile.files[0];
      if (!f) return;
      try {
        const me2 = await Api.uploadAvatar(f);
        avatarUrl.value = me2.avatar_url || "";
        A.meUpdated(me2);
        Object.assign(me, me2);
        renderPreview();
        toast("Avatar uploaded.", "success");
      } catch (err) {
        toast(err.message, "error");
      } finally {
        avatarFile.value = "";
      }
    },
  });
  const verified = me.email
    ? (me.email_verified
      ? h("span", { class: "muted small", attrs: { "data-testid": "email-verified" } }, "Verified.")
      : h("span", { class: "muted small" }, "Not verified. ",
        h("button", { type: "button", class: "link", onclick: async () => {
          try { await Api.requestVerification(); toast("Verification link sent.", "success"); } catch (err) { toast(err.message, "error"); }
        } }, "Send the link again")))
    : null;
  const renderPreview = () => replace(preview,
    avatar({ ...me, display_name: displayName.value || me.username, avatar_url: avatarUrl.value || null }, 64),
    h("div", null, h("div", { class: "profile-name" }, displayName.value || me.username), h("div", { class: "muted" }, "@" + me.username),
      h("div", { class: "muted small" }, "Member since " + formatFull(me.created_at))));
  displayName.addEventListener("input", renderPreview);
  avatarUrl.addEventListener("change", renderPreview);
  renderPreview();
  modal({
    title: "Your profile", submitLabel: "Save profile", testid: "profile-dialog",
    body: [preview, field("Display name", displayName), field("Bio", bio), field("Upload an avatar", avatarFile, "PNG, JPEG, GIF or WebP, up to 2 MB."), field("Avatar URL", avatarUrl, "An image address (https), or upload one above."), field("Email", email, "Never shown to other users."), verified],
    onSubmit: async () => {
      const me2 = await Api.updateMe({ display_name: displayName.value.trim(), bio: bio.value, avatar_url: avatarUrl.value.trim(), email: email.value.trim() });
      A.meUpdated(me2);
      toast("Profile saved.", "success");
    },
  });
}

// ---- users and members ---------------------------------------------------------

/** A user's card, with moderation actions when the viewer's role allows them. */
export function userDialog(rs, user, member) {
  const isMe = state.me && user.id === state.me.id;
  const online = state.online.has(user.id);
  const actions = member ? memberActions(rs, member) : [];
  const body = [
    h("div", { class: "user-card" },
      avatar(user, 72, { online }),
      h("div", { class: "user-card-text" },
        h("div", { class: "profile-name" }, user.display_name || user.username),
        h("div", { class: "muted" }, "@" + user.username),
        h("div", { class: "user-card-meta" },
          member ? h("span", { class: `role-chip role-${member.role}` }, ROLE_LABEL[member.role]) : null,
          h("span", { class: "muted small" }, online ? "Online" : user.last_seen_at ? `Last seen ${formatAgo(user.last_seen_at)}` : "Offline")))),
    user.bio ? h("p", { class: "user-bio" }, user.bio) : null,
    member ? h("p", { class: "muted small" }, `Joined ${formatFull(member.joined_at)}`) : null,
    !isMe ? h("button", { type: "button", class: "btn btn-ghost btn-block", attrs: { "data-testid": "user-message" }, onclick: () => { m.close(); A.openDirectWith(user.username); } }, icon("message", 16), "Send a direct message") : null,
    actions.length ? h("div", { class: "action-list", attrs: { "data-testid": "member-actions" } },
      h("div", { class: "action-title" }, "Moderation"),
      actions.map((a) => h("button", {
        type: "button", class: "action" + (a.danger ? " danger" : ""), attrs: { "data-testid": `action-${a.id}` },
        onclick: () => { m.close(); a.run(); },
      }, icon(a.icon, 16), a.label))) : null,
  ];
  const m = modal({ title: isMe ? "You" : (user.display_name || user.username), body, testid: "user-dialog" });
}

export function banDialog(rs, member) {
  const reason = h("textarea", { name: "reason", class: "input", rows: 2, maxLength: 500, placeholder: "Visible to moderators", attrs: { "data-testid": "ban-reason" } });
  const duration = h("select", { name: "duration", class: "input", attrs: { "data-testid": "ban-duration" } },
    h("option", { value: "" }, "Permanently"),
    h("option", { value: "3600" }, "1 hour"),
    h("option", { value: "86400" }, "1 day"),
    h("option", { value: "604800" }, "7 days"),
    h("option", { value: "2592000" }, "30 days"));
  modal({
    title: `Ban ${member.user.display_name || member.user.username}?`,
    subtitle: `They are removed from ${roomTitle(rs.view)} at once and cannot join again until unbanned.`,
    submitLabel: "Ban", danger: true, testid: "ban-dialog",
    body: [field("Reason", reason), field("Duration", duration)],
    onSubmit: async () => {
      const secs = Number(duration.value);
      const expires = secs ? new Date(Date.now() + secs * 1000).toISOString() : null;
      await Api.ban(rs.view.id, member.user.id, reason.value.trim(), expires);
      toast(`${member.user.display_name || member.user.username} was banned.`, "success");
    },
  });
}

// ---- room settings -------------------------------------------------------------

/** The banned user's name; fetched when the client has never seen them. */
function banName(b, uid) {
  const el = h("strong", null, b.user ? (b.user.display_name || b.user.username) : userName(uid));
  if (!b.user && !knownUser(uid)) {
    Api.user(uid).then((u) => { A.rememberUser(u); el.textContent = u.display_name || u.username; }, () => {});
  }
  return el;
}

export function settingsDialog(rs) {
  const v = rs.view;
  const parts = [];
  if (v.kind === "direct") {
    parts.push(h("div", { class: "user-card" }, avatar(v.peer, 56), h("div", null, h("div", { class: "profile-name" }, roomTitle(v)), v.peer ? h("div", { class: "muted" }, "@" + v.peer.username) : null)));
    parts.push(h("p", { class: "muted small" }, `Conversation started ${formatFull(v.created_at)}.`));
    modal({ title: "Conversation", body: parts, testid: "settings-dialog" });
    return;
  }
  // About
  parts.push(h("section", { class: "settings-section" },
    h("div", { class: "about-grid" },
      h("span", { class: "muted" }, "Type"), h("span", null, v.kind === "private" ? "Private (join with code)" : "Public"),
      h("span", { class: "muted" }, "Members"), h("span", null, `${v.member_count} of ${v.max_members}`),
      h("span", { class: "muted" }, "Password"), h("span", null, v.has_password ? "Required to join" : "None"),
      h("span", { class: "muted" }, "Your role"), h("span", null, ROLE_LABEL[v.my_role] || "—"),
      h("span", { class: "muted" }, "Created"), h("span", null, formatFull(v.created_at)))));

  // Invite code
  if (v.code) {
    const codeEl = h("span", { class: "code-big mono", attrs: { "data-testid": "settings-code" } }, v.code);
    parts.push(h("section", { class: "settings-section" },
      h("h3", null, "Invite code"),
      h("p", { class: "muted small" }, "Anyone with this code can join. Rotate it to invalidate the old one."),
      h("div", { class: "code-row" }, codeEl,
        h("button", { type: "button", class: "btn btn-ghost btn-small", attrs: { "data-testid": "copy-code" }, onclick: async () => { A.copyCode(codeEl.textContent); } }, icon("copy", 14), "Copy"),
        h("button", {
          type: "button", class: "btn btn-ghost btn-small", attrs: { "data-testid": "rotate-code" },
          onclick: async () => {
            try {
              const res = await Api.rotateCode(v.id);
              const code = res && (res.code || res);
              codeEl.textContent = String(code);
              A.codeChanged(v.id, String(code));
              toast("New code generated; the old one no longer works.", "success");
            } catch (err) { toast(err.message, "error"); }
          },
        }, icon("refresh", 14), "Rotate"))));
  }

  // Editable settings
  let form = null;
  if (can.editSettings(rs)) {
    const name = input("name", { value: v.name, maxLength: 64, required: true, attrs: { "data-testid": "settings-name" } });
    const description = h("textarea", { name: "description", class: "input", rows: 2, maxLength: 1000, value: v.description || "", attrs: { "data-testid": "settings-description" } });
    const password = input("password", { type: "password", autocomplete: "new-password", placeholder: v.has_password ? "Unchanged" : "None", attrs: { "data-testid": "settings-password" } });
    const removePw = h("input", { type: "checkbox", name: "remove_password" });
    const max = input("max_members", { type: "number", min: 0, max: 10000, value: String(v.max_members), attrs: { "data-testid": "settings-max" } });
    const slow = h("select", { name: "slow", class: "input", attrs: { "data-testid": "settings-slow" } },
      [0, 5, 10, 30, 60, 300].map((s) => h("option", { value: String(s), selected: v.slow_mode_secs === s }, s ? `${s} s` : "Off")));
    form = { name, description, password, removePw, max, slow };
    parts.push(h("section", { class: "settings-section" },
      h("h3", null, "Settings"),
      field("Name", name), field("Description", description),
      h("div", { class: "field-row" }, field("New password", password), field("Member limit", max, "0 = no limit")),
      v.has_password ? h("label", { class: "check" }, removePw, "Remove the password") : null,
      field("Slow mode", slow, "Minimum delay between two messages of one member.")));
  }

  // Bans
  if (can.seeBans(rs)) {
    const bans = h("div", { class: "ban-list", attrs: { "data-testid": "ban-list" } }, h("span", { class: "spinner small" }));
    parts.push(h("section", { class: "settings-section" }, h("h3", null, "Banned users"), bans));
    const load = () => Api.bans(v.id).then((data) => {
      const list = listOf(data, "bans");
      if (!list.length) { replace(bans, h("p", { class: "muted small" }, "Nobody is banned.")); return; }
      replace(bans, list.map((b) => {
        const uid = b.user_id || (b.user && b.user.id);
        if (b.user) A.rememberUser(b.user);
        return h("div", { class: "ban-item", attrs: { "data-testid": "ban-item" } },
          avatar(b.user || knownUser(uid) || { id: uid, username: "?" }, 28),
          h("div", { class: "ban-text" },
            banName(b, uid),
            h("span", { class: "muted small" }, (b.reason ? `“${b.reason}” · ` : "") + (b.expires_at ? `until ${formatFull(b.expires_at)}` : "permanent"))),
          h("button", {
            type: "button", class: "btn btn-ghost btn-small", attrs: { "data-testid": "unban" },
            onclick: async () => {
              try { await Api.unban(v.id, uid); toast("Ban lifted.", "success"); load(); } catch (err) { toast(err.message, "error"); }
            },
          }, "Unban"));
      }));
    }, (err) => replace(bans, h("p", { class: "form-error" }, err.message)));
    load();
  }

  // Danger zone
  const danger = h("section", { class: "settings-section danger-zone" }, h("h3", null, "Leave or delete"));
  if (v.my_role !== "owner") {
    danger.appendChild(h("div", { class: "danger-row" }, h("div", null, h("strong", null, "Leave room"), h("p", { class: "muted small" }, v.kind === "private" ? "You will need a code to come back." : "You can join again later.")),
      h("button", { type: "button", class: "btn btn-danger-ghost", attrs: { "data-testid": "leave-room" }, onclick: () => { m.close(); A.leaveRoom(rs); } }, icon("logout", 14), "Leave")));
  } else {
    danger.appendChild(h("p", { class: "muted small" }, "As the owner you cannot leave: transfer ownership first (from the member list) or delete the room."));
  }
  if (can.deleteRoom(rs)) {
    danger.appendChild(h("div", { class: "danger-row" }, h("div", null, h("strong", null, "Delete room"), h("p", { class: "muted small" }, "Deletes every message for everyone. This cannot be undone.")),
      h("button", { type: "button", class: "btn btn-danger", attrs: { "data-testid": "delete-room" }, onclick: () => { m.close(); A.deleteRoom(rs); } }, icon("trash", 14), "Delete")));
  }
  parts.push(danger);

  const m = modal({
    title: `${v.kind === "public" ? "#" : ""}${v.name}`, subtitle: "Room settings", wide: true, testid: "settings-dialog",
    submitLabel: "Save changes",
    body: parts,
    onSubmit: form ? async () => {
      const patch = {};
      const name = form.name.value.trim();
      if (name !== v.name) patch.name = name;
      if (form.description.value !== (v.description || "")) patch.description = form.description.value;
      if (form.removePw.checked) patch.password = "";
      else if (form.password.value) patch.password = form.password.value;
      const max = Number(form.max.value || 0);
      if (max !== v.max_members) patch.max_members = max;
      const slow = Number(form.slow.value);
      if (slow !== v.slow_mode_secs) patch.slow_mode_secs = slow;
      if (!Object.keys(patch).length) return;
      const room = await Api.updateRoom(v.id, patch);
      A.roomUpdated(room, true);
      toast("Room settings saved.", "success");
    } : null,
  });
}
