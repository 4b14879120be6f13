// Unit tests of the web UI's client state (no browser): message merging and the
// client-side mirror of the permission matrix.

import { test } from "node:test";
import assert from "node:assert/strict";
import { state, roomState, addMessages, can, oldestSeq } from "../../examples/chat-server/ui/js/store.js";

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

test("the UI offers only what the role allows (mirrors chatcore::perm)", () => {
  state.me = { id: "me", username: "me" };
  const room = (my_role, kind = "private") => roomState({ id: "r", kind, my_role });
  assert.equal(can.moderate(room("member"), "member"), false);
  assert.equal(can.moderate(room("moderator"), "member"), true);
  assert.equal(can.moderate(room("moderator"), "moderator"), false, "never a peer");
  assert.equal(can.moderate(room("owner"), "admin"), true);
  assert.equal(can.moderate(room("owner", "direct"), "member"), false, "no moderation in direct rooms");
  assert.equal(can.setRole(room("admin"), "member", "moderator"), true);
  assert.equal(can.setRole(room("admin"), "member", "admin"), false, "not up to one's own rank");
  assert.equal(can.setRole(room("owner"), "member", "owner"), false, "ownership moves by transfer");
  assert.equal(can.editSettings(room("moderator")), false);
  assert.equal(can.editSettings(room("admin")), true);
  assert.equal(can.deleteRoom(room("admin")), false);
  assert.equal(can.deleteRoom(room("owner")), true);
  const rs = room("moderator");
  assert.equal(can.deleteMessage(rs, msg(1, { author_id: "me" })), true, "own message");
  assert.equal(can.deleteMessage(rs, msg(1, { author_id: "u1" })), true, "a member's, as moderator");
  assert.equal(can.deleteMessage(room("member"), msg(1, { author_id: "u1" })), false);
  assert.equal(can.deleteMessage(rs, msg(1, { kind: "system", author_id: null })), false);
});
