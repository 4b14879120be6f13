// Unit tests of the web UI's read state (no browser): counts follow the server's
// read_state and, between two, the room's events as docs/PROTOCOL.md says; marking read
// keeps at most one mark_read in flight per room, and the latest wanted position wins.

import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";

register("../support/importmap.js", import.meta.url);
const ui = "../../examples/chat-server/ui/js/";
const { session, rooms, currentId, roomState, putRoom, addMessages } = await import(`${ui}state/store.js`);
const { connection } = await import(`${ui}transport/index.js`);
const reads = await import(`${ui}state/reads.js`);

const ME = "u-me";
const OTHER = "u-other";
session.me.value = { id: ME, username: "me" };

/** Commands sent, each with its reply still to give (`answer()`). */
const sent = [];
Object.defineProperty(connection, "online", { get: () => true });
connection.request = (cmd) => new Promise((resolve) => { sent.push({ cmd, answer: () => resolve({ type: "ack" }) }); });

let n = 0;
function room(lastSeq = 0) {
  const rs = roomState({ id: `r${++n}`, kind: "public", last_seq: lastSeq });
  putRoom(rs);
  return rs;
}
const msg = (rs, seq, extra = {}) => ({
  id: `${rs.id}-m${seq}`, room_id: rs.id, seq, author_id: OTHER, kind: "text", body: `b${seq}`,
  created_at: new Date(2026, 0, 1, 12, seq).toISOString(), edited_at: null, deleted_at: null, ...extra,
});

test("counts come from the server and follow the room's events in between", () => {
  const rs = room(5);
  reads.applyRoomRead(rs, { id: rs.id, last_seq: 5, read: { room: rs.id, last_read_seq: 3, unread: 2, mentions: 1 } });
  assert.equal(rs.unread.value, 2);
  assert.equal(reads.mentionsOf(rs), 1);
  assert.equal(reads.messageArrived(rs, msg(rs, 6, { mentions: [ME] })), true);
  assert.equal(reads.messageArrived(rs, msg(rs, 6, { mentions: [ME] })), false, "the same message counts once");
  assert.equal(reads.messageArrived(rs, msg(rs, 7, { author_id: ME })), false, "not my own");
  assert.equal(reads.messageArrived(rs, msg(rs, 8, { kind: "system", author_id: null })), false, "not system messages");
  assert.equal(reads.messageArrived(rs, msg(rs, 9)), true);
  assert.equal(rs.unread.value, 4);
  assert.equal(reads.mentionsOf(rs), 2);
  reads.messageDeleted(rs, msg(rs, 6, { mentions: [ME] }));
  assert.equal(rs.unread.value, 3);
  assert.equal(reads.mentionsOf(rs), 1);
  reads.applyReadState({ type: "read_state", room: rs.id, last_read_seq: 9, unread: 0, mentions: 0, notifications: "mentions" });
  assert.equal(rs.unread.value, 0);
  assert.equal(reads.mentionsOf(rs), 0);
  assert.equal(reads.levelOf(rs), "mentions");
  assert.equal(reads.messageArrived(rs, msg(rs, 4)), false, "at or below the read position");
});

test("a room without the server's level has none (the setting is hidden)", () => {
  const rs = room(1);
  reads.applyReadState({ room: rs.id, last_read_seq: 1, unread: 0, mentions: 0 });
  assert.equal(reads.levelOf(rs), null);
});

test("the divider goes above the first unread message when the room opens", () => {
  const rs = room(4);
  reads.applyRoomRead(rs, { id: rs.id, last_seq: 4, read: { room: rs.id, last_read_seq: 2, unread: 1, mentions: 0 } });
  addMessages(rs, [msg(rs, 1), msg(rs, 2), msg(rs, 3, { author_id: ME }), msg(rs, 4)]);
  reads.roomOpened(rs);
  assert.equal(reads.firstUnreadId(rs, rs.messages.value), `${rs.id}-m4`, "my own message is not unread");
  const read = room(2);
  reads.applyRoomRead(read, { id: read.id, last_seq: 2, read: { room: read.id, last_read_seq: 2, unread: 0, mentions: 0 } });
  addMessages(read, [msg(read, 1), msg(read, 2)]);
  reads.roomOpened(read);
  assert.equal(reads.firstUnreadId(read, read.messages.value), null, "nothing unread: no divider");
});

test("marking read: one mark_read in flight per room, the latest position wins", async () => {
  const rs = room(0);
  reads.applyRoomRead(rs, { id: rs.id, last_seq: 0, read: { room: rs.id, last_read_seq: 0, unread: 0, mentions: 0 } });
  rs.loaded.value = true;
  currentId.value = rs.id;
  sent.length = 0;
  for (let seq = 1; seq <= 5; seq++) {
    addMessages(rs, [msg(rs, seq)]);
    reads.messageArrived(rs, msg(rs, seq));
  }
  assert.equal(rs.unread.value, 5);
  reads.setBottomSeen(rs, true);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].cmd, { type: "mark_read", room: rs.id, seq: 5 });
  assert.equal(rs.unread.value, 0, "read here at once");
  for (let seq = 6; seq <= 9; seq++) {
    addMessages(rs, [msg(rs, seq)]);
    reads.messageArrived(rs, msg(rs, seq));
    reads.markRead(rs);
  }
  assert.equal(sent.length, 1, "nothing more while one is in flight");
  // A read_state of an older position (another device) does not undo the marks in flight.
  reads.applyReadState({ room: rs.id, last_read_seq: 3, unread: 6, mentions: 0 });
  assert.equal(rs.unread.value, 0);
  sent[0].answer();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(sent.length, 2, "the latest wanted position follows the answer");
  assert.deepEqual(sent[1].cmd, { type: "mark_read", room: rs.id, seq: 9 });
  sent[1].answer();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(sent.length, 2, "nothing left to send");
  reads.markRead(rs);
  assert.equal(sent.length, 2, "already read: no mark");
  reads.applyReadState({ room: rs.id, last_read_seq: 9, unread: 0, mentions: 0 });
  assert.equal(rs.unread.value, 0);
  currentId.value = null;
  rooms.value = new Map();
});

test("after a reconnect, replayed messages the hello counts already include are not counted again (issue 16)", () => {
  const rs = room(5);
  reads.applyRoomRead(rs, { id: rs.id, last_seq: 5, read: { room: rs.id, last_read_seq: 5, unread: 0, mentions: 0, last_seq: 5 } });
  addMessages(rs, [1, 2, 3, 4, 5].map((seq) => msg(rs, seq)));
  assert.equal(rs.unread.value, 0);
  // Offline, two messages (one mentioning me) and one of mine were sent. The hello of
  // the reconnect counts them (up to the room's last seq, 8) before the replay comes.
  reads.applyReadStates([{ room: rs.id, last_read_seq: 5, unread: 2, mentions: 1, last_seq: 8, notifications: "all" }]);
  assert.equal(rs.unread.value, 2);
  for (const m of [msg(rs, 6), msg(rs, 7, { mentions: [ME] }), msg(rs, 8, { author_id: ME })]) {
    addMessages(rs, [m]);
    assert.equal(reads.messageArrived(rs, m), false, `replayed ${m.seq} is already in the hello's count`);
  }
  assert.equal(rs.unread.value, 2, "the replay adds nothing");
  assert.equal(reads.mentionsOf(rs), 1);
  // A live message after the replay counts.
  assert.equal(reads.messageArrived(rs, msg(rs, 9)), true);
  assert.equal(rs.unread.value, 3);
  rooms.value = new Map();
});
