// Unit tests of the web UI's client state (no browser): message merging, and the
// actions offered from the permissions the server sends (RoomView.permissions).

import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";

// The UI's modules import "@preact/signals-core" as the browser does, through the
// import map of index.html.
register("../support/importmap.js", import.meta.url);
const { session, roomState, addMessages, oldestSeq, canDeleteMessage, memberActionIds, permissionsOf } =
  await import("../../examples/chat-server/ui/js/state/store.js");

const msg = (seq, extra = {}) => ({
  id: `m${seq}`, room_id: "r", seq, author_id: "u1", kind: "text", body: `body ${seq}`,
  created_at: new Date(2026, 0, 1, 12, seq).toISOString(), edited_at: null, deleted_at: null, ...extra,
});

test("messages are deduplicated by id and kept in seq order", () => {
  const rs = roomState({ id: "r", kind: "public", my_role: "member" });
  assert.equal(addMessages(rs, [msg(3), msg(1)]).length, 2);
  assert.equal(addMessages(rs, [msg(2), msg(3), msg(1)]).length, 1, "replayed ones are not new");
  assert.deepEqual(rs.sorted.map((m) => m.seq), [1, 2, 3]);
  assert.equal(rs.lastSeq, 3);
  assert.equal(oldestSeq(rs), 1);
});

test("an older copy never undoes an edit or a deletion", () => {
  const rs = roomState({ id: "r", kind: "public", my_role: "member" });
  addMessages(rs, [msg(1, { body: "edited", edited_at: "2026-01-02T00:00:00Z" })]);
  addMessages(rs, [msg(1)]);
  assert.equal(rs.msgs.get("m1").body, "edited");
  addMessages(rs, [msg(1, { body: "", deleted_at: "2026-01-03T00:00:00Z" })]);
  addMessages(rs, [msg(1, { body: "edited", edited_at: "2026-01-02T00:00:00Z" })]);
  assert.ok(rs.msgs.get("m1").deleted_at);
  assert.equal(rs.msgs.get("m1").body, "");
});

test("a merge that changes nothing keeps the list; a changed message gets a new object", () => {
  const rs = roomState({ id: "r", kind: "public", my_role: "member" });
  addMessages(rs, [msg(1), msg(2)]);
  const list = rs.messages.value;
  const first = list[0];
  addMessages(rs, [msg(1), msg(2)]);
  assert.equal(rs.messages.value, list, "replays do not re-render the list");
  addMessages(rs, [msg(3)]);
  assert.equal(rs.messages.value[0], first, "unchanged rows keep their object (no re-render)");
  addMessages(rs, [msg(2, { body: "new", edited_at: "2026-01-02T00:00:00Z" })]);
  assert.equal(rs.messages.value[1].body, "new");
  assert.equal(rs.messages.value[0], first);
});

// Permissions as chatcore::perm::permissions computes them (docs/API.md, "Views").
const PERMS = {
  member: { send: true, kick: [], ban: [], delete_messages_of: [], set_role: [] },
  moderator: { send: true, set_slow_mode: true, invite: true, kick: ["member"], ban: ["member"], delete_messages_of: ["member"], set_role: [] },
  admin: {
    send: true, edit_settings: true, set_slow_mode: true, invite: true, view_code: true, rotate_code: true,
    kick: ["member", "moderator"], ban: ["member", "moderator"], delete_messages_of: ["member", "moderator"],
    set_role: [{ target: "member", to: ["moderator"] }, { target: "moderator", to: ["member"] }],
  },
  owner: {
    send: true, edit_settings: true, set_slow_mode: true, invite: true, view_code: true, rotate_code: true,
    transfer_ownership: true, delete_room: true,
    kick: ["member", "moderator", "admin"], ban: ["member", "moderator", "admin"], delete_messages_of: ["member", "moderator", "admin"],
    set_role: [
      { target: "member", to: ["moderator", "admin"] }, { target: "moderator", to: ["member", "admin"] },
      { target: "admin", to: ["member", "moderator"] },
    ],
  },
};

const room = (my_role, members = {}) => {
  const rs = roomState({ id: "r", kind: "private", my_role, permissions: PERMS[my_role] });
  rs.members.value = new Map(Object.entries(members).map(([id, role]) => [id, { user: { id, username: id }, role }]));
  return rs;
};
const member = (id, role) => ({ user: { id, username: id }, role });

test("the UI offers the actions the server's permissions allow, and no others", () => {
  session.me.value = { id: "me", username: "me" };
  assert.deepEqual(memberActionIds(room("member"), member("u1", "member")), []);
  assert.deepEqual(memberActionIds(room("moderator"), member("u1", "member")), ["kick", "ban"]);
  assert.deepEqual(memberActionIds(room("moderator"), member("u1", "moderator")), [], "never a peer");
  assert.deepEqual(memberActionIds(room("admin"), member("u1", "member")), ["promote-moderator", "kick", "ban"], "not up to one's own rank");
  assert.deepEqual(memberActionIds(room("admin"), member("u1", "moderator")), ["demote-member", "kick", "ban"]);
  assert.deepEqual(memberActionIds(room("owner"), member("u1", "admin")), ["demote-moderator", "demote-member", "transfer", "kick", "ban"]);
  assert.deepEqual(memberActionIds(room("owner"), member("me", "owner")), [], "nothing on oneself");
  const unknown = roomState({ id: "r", kind: "private", my_role: "owner" });
  assert.deepEqual(memberActionIds(unknown, member("u1", "member")), [], "nothing before the server has said");
  assert.equal(permissionsOf(room("moderator")).edit_settings, undefined);
  assert.equal(permissionsOf(room("admin")).edit_settings, true);
});

test("deleting others' messages follows the author's role", () => {
  session.me.value = { id: "me", username: "me" };
  const rs = room("moderator", { u1: "member", u2: "admin" });
  assert.equal(canDeleteMessage(rs, msg(1, { author_id: "me" })), true, "own message");
  assert.equal(canDeleteMessage(rs, msg(1, { author_id: "u1" })), true, "a member's, as moderator");
  assert.equal(canDeleteMessage(rs, msg(1, { author_id: "u2" })), false, "an admin's, as moderator");
  assert.equal(canDeleteMessage(rs, msg(1, { author_id: "gone" })), true, "gone authors count as members");
  assert.equal(canDeleteMessage(room("member", { u1: "member" }), msg(1, { author_id: "u1" })), false);
  assert.equal(canDeleteMessage(rs, msg(1, { kind: "system", author_id: null })), false);
  assert.equal(canDeleteMessage(rs, msg(1, { author_id: "me", deleted_at: "2026-01-03T00:00:00Z" })), false);
});
