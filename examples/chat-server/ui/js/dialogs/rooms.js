// Dialogs to get into rooms: create one, join with a code, browse public rooms, open
// a direct conversation.

import { html, useState, useEffect, useRef } from "../lib.js";
import { Icon } from "../ui/icons.js";
import { Field } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { Api, listOf } from "../transport/index.js";
import { rooms, roomTitle } from "../state/store.js";
import { directoryNews, withNews } from "../state/directory.js";
import { toast } from "../state/toasts.js";
import { roomJoined, openRoom } from "../state/actions.js";

const KINDS = [
  ["public", "hash", "Public", "Listed; anyone can join"],
  ["private", "lock", "Private", "Unlisted; join with a code"],
];

export function CreateRoomDialog({ close, kind = "public" }) {
  const [chosen, setChosen] = useState(kind);
  const submit = async (form) => {
    const f = form.elements;
    const body = { kind: chosen, name: f.name.value.trim(), description: f.description.value.trim() };
    if (f.password.value) body.password = f.password.value;
    if (f.max_members.value) body.max_members = Number(f.max_members.value);
    const room = await Api.createRoom(body);
    roomJoined(room, true);
    toast(chosen === "private" ? "Private room created. Share its code to invite people." : "Room created.", "success");
  };
  return html`<${Modal} close=${close} title="Create a room" subtitle="You will be its owner." submitLabel="Create room"
      testid="create-room-dialog" onSubmit=${submit}>
    <div class="segmented" role="radiogroup" aria-label="Room type">
      ${KINDS.map(([k, icon, label, sub]) => html`<button key=${k} type="button" class=${"seg" + (chosen === k ? " on" : "")} role="radio"
          aria-checked=${chosen === k ? "true" : "false"} data-testid=${`kind-${k}`} onClick=${() => setChosen(k)}>
        <${Icon} name=${icon} size=${18} /><span class="seg-text"><strong>${label}</strong><small>${sub}</small></span></button>`)}
    </div>
    <${Field} label="Name"><input name="name" class="input" required maxLength=${64} placeholder="e.g. design-reviews" data-testid="room-name" /><//>
    <${Field} label="Description" hint="Optional.">
      <textarea name="description" class="input" rows=${2} maxLength=${1000} placeholder="What is it about?" data-testid="room-description"></textarea>
    <//>
    <div class="field-row">
      <${Field} label="Password" hint="Optional: required to join.">
        <input name="password" class="input" type="password" autocomplete="new-password" maxLength=${256} placeholder="Leave empty for none" data-testid="room-password" />
      <//>
      <${Field} label="Member limit" hint="Optional.">
        <input name="max_members" class="input" type="number" min=${2} max=${10000} placeholder="No limit" data-testid="room-max" />
      <//>
    </div>
  <//>`;
}

export function JoinByCodeDialog({ close }) {
  const submit = async (form) => {
    const f = form.elements;
    const room = await Api.joinByCode(f.code.value.trim(), f.password.value || undefined);
    roomJoined(room, true);
    toast(`You joined ${roomTitle(room)}.`, "success");
  };
  const normalize = (e) => { e.currentTarget.value = e.currentTarget.value.toUpperCase().replace(/[^A-Z0-9]/g, ""); };
  return html`<${Modal} close=${close} title="Join with a code" subtitle="Private rooms are joined with the 8-character code their admins share."
      submitLabel="Join room" testid="join-code-dialog" onSubmit=${submit}>
    <${Field} label="Room code">
      <input name="code" class="input mono code-input" required maxLength=${12} placeholder="ABCD1234" autocomplete="off" spellcheck=${false}
        data-testid="join-code" aria-label="Room code" onInput=${normalize} />
    <//>
    <${Field} label="Room password">
      <input name="password" class="input" type="password" autocomplete="off" placeholder="Only if the room has one" data-testid="join-password" />
    <//>
  <//>`;
}

export function BrowseDialog({ close }) {
  const [list, setList] = useState(null); // null while the first page loads
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [filter, setFilter] = useState("");
  const [error, setError] = useState(null);
  const load = (after) => {
    setLoading(true);
    Api.publicRooms(after).then((data) => {
      const page = listOf(data, "rooms");
      setList((old) => (old || []).concat(page.filter((r) => !(old || []).some((x) => x.id === r.id))));
      setMore(page.length >= 50);
      setLoading(false);
    }, (err) => { setError(err.message); setLoading(false); });
  };
  useEffect(() => load(null), []);
  const q = filter.trim().toLowerCase();
  const shown = withNews(list || [], directoryNews.value).filter((r) => !q || r.name.toLowerCase().includes(q) || (r.description || "").toLowerCase().includes(q));
  let body;
  if (!list) body = html`<div class="center"><span class="spinner"></span></div>`;
  else if (!shown.length) body = html`<div class="browse-empty">${list.length ? "No room matches." : "No public rooms yet. Create the first one!"}</div>`;
  else body = shown.map((r) => html`<${BrowseItem} key=${r.id} room=${r} close=${close} onError=${setError} />`);
  return html`<${Modal} close=${close} title="Public rooms" subtitle="Find a room and jump in." testid="browse-dialog" wide error=${error}>
    <input name="q" class="input" type="search" placeholder="Filter rooms" aria-label="Filter rooms" onInput=${(e) => setFilter(e.currentTarget.value)} />
    <div class="browse-list">${body}</div>
    <div class="center-row">
      <button type="button" class="btn btn-ghost btn-small" hidden=${!more} disabled=${loading} onClick=${() => load(list[list.length - 1])}>Load more rooms</button>
    </div>
  <//>`;
}

function BrowseItem({ room: r, close, onError }) {
  const joined = rooms.value.has(r.id);
  const [askPassword, setAskPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const password = useRef(null);
  useEffect(() => { if (askPassword) password.current.focus(); }, [askPassword]);
  const join = async () => {
    if (joined) { close(); openRoom(r.id); return; }
    if (r.has_password && !askPassword) { setAskPassword(true); return; }
    setBusy(true);
    try {
      const room = await Api.join(r.id, (password.current && password.current.value) || undefined);
      close();
      roomJoined(room, true);
    } catch (err) {
      onError(err.message);
      setBusy(false);
    }
  };
  return html`<div class="browse-item" data-testid="browse-item">
    <span class="room-glyph big"><${Icon} name="hash" size=${18} /></span>
    <div class="browse-text">
      <div class="browse-name">${r.name}${r.has_password ? html`<span class="room-flag" title="Password protected"><${Icon} name="lock" size=${12} /></span>` : null}</div>
      <div class="browse-desc">${r.description || "No description"}</div>
      <div class="browse-meta"><${Icon} name="users" size=${12} />${` ${r.member_count} member${r.member_count === 1 ? "" : "s"}`}</div>
    </div>
    <div class="browse-actions">
      <input ref=${password} name="password" type="password" placeholder="Room password" class="input small" hidden=${!askPassword}
        onKeyDown=${(e) => { if (e.key === "Enter") { e.preventDefault(); join(); } }} />
      <button type="button" class=${"btn " + (joined ? "btn-ghost" : "btn-primary") + " btn-small"} data-testid="browse-join" disabled=${busy} onClick=${join}>${joined ? "Open" : "Join"}</button>
    </div>
  </div>`;
}

export function NewDirectDialog({ close, prefill = "" }) {
  const submit = async (form) => {
    const room = await Api.openDirect(form.elements.username.value.trim().replace(/^@/, ""));
    roomJoined(room, true);
  };
  return html`<${Modal} close=${close} title="New direct message" subtitle="Talk one-on-one with another user." submitLabel="Start conversation"
      testid="dm-dialog" onSubmit=${submit}>
    <${Field} label="Username"><input name="username" class="input" required defaultValue=${prefill} placeholder="username" autocomplete="off" data-testid="dm-username" /><//>
  <//>`;
}
