// socket.io-client v4 against the real chat-server's Socket.IO endpoint
// (chatcore-socketio at /socket.io/): authentication, commands answered through the
// ack, events under their type, a room ban, a logout that cuts the socket, and a
// reconnect through a server restart with nothing lost or doubled.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { TestServer } from "../../js/test/server.js";
import { api, got, ready, refusal, register, sleep, socket, until } from "./helpers.js";

let server;
const open = [];
const connect = (opts) => {
  const s = socket(server.port, opts);
  open.push(s);
  return s;
};

before(async () => {
  server = await TestServer.start();
});

after(async () => {
  for (const s of open) s.disconnect();
  await server?.dispose();
});

/** Alice owns a public room Bob has joined over Socket.IO; both connected. */
async function roomOfTwo() {
  const alice = await register(server.base, "alice");
  const bob = await register(server.base, "bob");
  const room = await api(server.base, "POST", "/rooms", alice.token, { kind: "public", name: `r${process.pid}${Date.now()}` });
  const a = connect({ auth: { token: alice.token } });
  const b = connect({ auth: { token: bob.token } });
  await ready(a);
  await ready(b);
  assert.deepEqual(await b.emitWithAck("join", { room: room.id }), { type: "ack", id: null });
  return { alice, bob, room, a, b };
}

test("a socket without valid credentials is refused with a stable code", async () => {
  const none = connect();
  assert.equal((await refusal(none)).message, "unauthenticated");
  none.disconnect();
  const bad = connect({ auth: { token: "not-a-token" } });
  assert.equal((await refusal(bad)).message, "unauthenticated");
  bad.disconnect();
  const malformed = connect({ auth: { token: 5 } });
  assert.equal((await refusal(malformed)).message, "bad_frame");
  malformed.disconnect();
  const foreign = connect({ auth: { token: (await register(server.base)).token }, extraHeaders: { origin: "https://evil.example" } });
  assert.equal((await refusal(foreign)).message, "origin_rejected");
  foreign.disconnect();
});

test("login by token or by cookie: the hello names the user and their rooms", async () => {
  const carol = await register(server.base, "carol");
  const byToken = connect({ auth: { token: carol.token } });
  assert.equal((await ready(byToken)).user.id, carol.user.id);
  const cookie = carol.setCookie.split(";")[0];
  const byCookie = connect({ extraHeaders: { cookie } });
  const hello = await ready(byCookie);
  assert.equal(hello.user.id, carol.user.id);
  assert.deepEqual(hello.rooms, []);
});

test("join, send, receive, typing and presence", async () => {
  const { bob, room, a, b } = await roomOfTwo();
  const sent = await b.emitWithAck("send", { room: room.id, nonce: "n1", body: "hello over socket.io" });
  assert.equal(sent.type, "sent");
  assert.equal(sent.nonce, "n1");
  const texts = (s) => got(s, "message_created", (e) => e.message.kind !== "system");
  await until(() => texts(a).length === 1, "alice gets the message");
  const [{ message }] = texts(a);
  assert.equal(message.body, "hello over socket.io");
  assert.equal(message.seq, sent.seq);
  assert.equal(message.author_id, bob.user.id);
  // The same nonce again is the same message (exactly-once sends).
  const again = await b.emitWithAck("send", { room: room.id, nonce: "n1", body: "hello over socket.io" });
  assert.equal(again.message_id, sent.message_id);

  assert.equal((await b.emitWithAck("typing_start", { room: room.id })).type, "ack");
  await until(() => got(a, "typing", (t) => t.user === bob.user.id && t.typing).length === 1, "alice sees bob typing");

  b.disconnect();
  await until(() => got(a, "presence", (p) => p.user === bob.user.id && !p.online).length >= 1, "alice sees bob go offline");

  // Errors come back through the ack, with chatcore's codes.
  const missing = await a.emitWithAck("send", { room: "00000000-0000-7000-8000-000000000000", nonce: "x", body: "?" });
  assert.equal(missing.type, "error");
  assert.equal(missing.code, "not_found");
  const bad = await a.emitWithAck("send", "not an object");
  assert.equal(bad.code, "bad_frame");
  const unknown = await a.emitWithAck("no_such_command", {});
  assert.equal(unknown.code, "bad_frame");
  assert.equal((await a.emitWithAck("ping")).type, "pong");
});

test("a room ban takes the room from the banned socket; a logout cuts the socket", async () => {
  const { alice, bob, room, a, b } = await roomOfTwo();
  await api(server.base, "POST", `/rooms/${room.id}/bans`, alice.token, { user_id: bob.user.id, reason: "spam" });
  await until(() => got(b, "member_removed", (m) => m.user === bob.user.id).length === 1, "bob is told he is removed");
  const refused = await b.emitWithAck("send", { room: room.id, nonce: "after-ban", body: "still here?" });
  assert.equal(refused.type, "error");
  assert.equal((await b.emitWithAck("join", { room: room.id })).code, "banned");
  await a.emitWithAck("send", { room: room.id, nonce: "a1", body: "bob is gone" });
  const texts = (s) => got(s, "message_created", (e) => e.message.kind !== "system");
  await until(() => texts(a).length === 1, "alice gets her own message");
  await b.emitWithAck("ping"); // a round trip: anything queued for bob has arrived
  assert.equal(texts(b).length, 0, "the banned socket gets nothing of the room");

  const disconnected = new Promise((resolve) => b.once("disconnect", resolve));
  await api(server.base, "POST", "/auth/logout", bob.token);
  assert.equal(await disconnected, "io server disconnect");
  assert.deepEqual(got(b, "close"), [{ code: 4002, reason: "session_revoked" }]);
  await sleep(300);
  assert.equal(b.connected, false, "no reconnection after a server disconnect");
});

test("reconnect through a server restart: every message once, in order", async () => {
  const alice = await register(server.base, "alice");
  const bob = await register(server.base, "bob");
  const room = await api(server.base, "POST", "/rooms", alice.token, { kind: "public", name: `restart${process.pid}` });
  await api(server.base, "POST", `/rooms/${room.id}/join`, bob.token, {});
  const send = (i) => api(server.base, "POST", `/rooms/${room.id}/messages`, alice.token, { body: `m${i}`, nonce: `m${i}` });
  // Bob's client keeps the last seq per room and hands it over at each (re)connect.
  const last = {};
  const b = connect({ auth: (cb) => cb({ token: bob.token, resume: { ...last } }), reconnectionDelay: 300 });
  const seqs = [];
  const bodies = [];
  b.on("message_created", ({ message }) => {
    seqs.push(message.seq);
    if (message.kind !== "system") bodies.push(message.body);
    last[message.room_id] = Math.max(last[message.room_id] ?? 0, message.seq);
  });
  await ready(b);
  for (let i = 1; i <= 3; i++) await send(i);
  await until(() => bodies.length === 3, "bob gets the first three");

  const hellos = got(b, "hello").length;
  await server.restart();
  // Sent while bob is still reconnecting, then while he resumes.
  for (let i = 4; i <= 8; i++) await send(i);
  const racing = (async () => {
    for (let i = 9; i <= 20; i++) await send(i);
  })();
  await until(() => got(b, "hello").length > hellos, "bob reconnects");
  await racing;
  await until(() => bodies.length >= 20, "bob gets all twenty", 20000);
  await b.emitWithAck("ping");
  assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `m${i + 1}`), "every message once, in order");
  const first = seqs[0];
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => first + i), "no seq missing or doubled");
});

test("long-polling only with --socketio-polling", async () => {
  const { token } = await register(server.base, "poll");
  const refused = connect({ auth: { token }, transports: ["polling"] });
  await refusal(refused);
  refused.disconnect();
  const polling = await TestServer.start(["--socketio-polling"]);
  try {
    const { token: t, user } = await register(polling.base, "poll");
    const s = socket(polling.port, { auth: { token: t }, transports: ["polling"], upgrade: false });
    try {
      assert.equal((await ready(s)).user.id, user.id);
      assert.equal(s.io.engine.transport.name, "polling");
      assert.equal((await s.emitWithAck("ping")).type, "pong");
    } finally {
      s.disconnect();
    }
  } finally {
    await polling.dispose();
  }
});
