// Two real chat-server nodes over one PostgreSQL database and its LISTEN/NOTIFY
// broker ($CHAT_DATABASE_URL, a fresh database made by the cargo test that runs this
// file): Socket.IO clients on different nodes chat and see each other type, through
// chatcore's hub, with no Socket.IO adapter.

import assert from "node:assert/strict";
import { after, test } from "node:test";

import { TestServer } from "../../js/test/server.js";
import { api, got, ready, register, socket, until } from "./helpers.js";

const url = process.env.CHAT_DATABASE_URL;
const nodes = [];
const sockets = [];

after(async () => {
  for (const s of sockets) s.disconnect();
  for (const n of nodes) await n.dispose();
});

test("Socket.IO clients on two nodes chat through chatcore's broker", { skip: !url && "CHAT_DATABASE_URL not set" }, async () => {
  const args = ["--database-url", url, "--broker", "postgres"];
  const one = await TestServer.start(args);
  nodes.push(one);
  const two = await TestServer.start(args);
  nodes.push(two);
  const alice = await register(one.base, "alice");
  const bob = await register(two.base, "bob");
  const room = await api(one.base, "POST", "/rooms", alice.token, { kind: "public", name: `cluster${process.pid}` });
  const a = socket(one.port, { auth: { token: alice.token } });
  const b = socket(two.port, { auth: { token: bob.token } });
  sockets.push(a, b);
  await ready(a);
  await ready(b);
  assert.equal((await b.emitWithAck("join", { room: room.id })).type, "ack");
  const sent = await a.emitWithAck("send", { room: room.id, nonce: "x1", body: "from node one" });
  assert.equal(sent.type, "sent");
  const texts = (s) => got(s, "message_created", (e) => e.message.kind !== "system");
  await until(() => texts(b).length === 1, "bob, on node two, gets alice's message");
  assert.equal(texts(b)[0].message.body, "from node one");
  await b.emitWithAck("typing_start", { room: room.id });
  await until(() => got(a, "typing", (t) => t.user === bob.user.id && t.typing).length === 1, "alice sees bob type across nodes");
});
