// The TypeScript client against the real chat-server process (issue 19's "must
// show"): a server restart in the middle of a burst of sends loses and duplicates
// nothing on either side; a send made offline, or whose answer a reconnect lost, is
// delivered once; a revoked session stops reconnecting and says why.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Proxy } from "./proxy.js";
import { TestServer, haveServer } from "./server.js";
import { allMessages, client, collect, login, register, sleep, until } from "./helpers.js";

const skip = !haveServer && "no chat-server binary (cargo build -p chat-server, or set CHAT_SERVER_BIN)";

/** Assert each body arrived exactly once, in increasing seq order. */
function assertOnceInOrder(messages, bodies, who) {
  const seen = messages.map((m) => m.body);
  assert.equal(new Set(seen).size, seen.length, `${who}: a message arrived twice`);
  assert.deepEqual([...seen].sort(), [...bodies].sort(), `${who}: messages lost or unexpected`);
  for (let i = 1; i < messages.length; i++) assert.ok(messages[i].seq > messages[i - 1].seq, `${who}: out of order at ${i}`);
}

describe("against the real server", { skip }, () => {
  let server;
  before(async () => {
    // The burst is larger than the default per-user message rate allows at once.
    server = await TestServer.start(["--bench-limits"]);
  });
  after(async () => {
    await server?.dispose();
  });

  async function twoInARoom() {
    const alice = await register(server.base, "alice");
    const bob = await register(server.base, "bob");
    const room = await alice.rest.createRoom({ kind: "public", name: `r${Date.now()}` });
    await bob.rest.joinRoom(room.id);
    return { alice, bob, room: room.id };
  }

  test("a server restart in the middle of a burst loses and duplicates nothing, on either side", async () => {
    const { alice, bob, room } = await twoInARoom();
    const sender = client(server.wsUrl, alice.auth.token);
    const receiver = client(server.wsUrl, bob.auth.token);
    await Promise.all([sender.ready(), receiver.ready()]);
    const received = collect(receiver, room);
    const echoed = collect(sender, room);

    const N = 400;
    const bodies = Array.from({ length: N }, (_, i) => `burst ${i}`);
    let acked = 0;
    const sends = bodies.map((b) => sender.send(room, b).then((sent) => {
      acked += 1;
      return sent;
    }));
    await until(() => acked >= 40, "the first answers");
    await server.restart();
    const atRestart = acked;
    const sent = await Promise.all(sends);
    assert.ok(atRestart < N, `the restart came after the burst (${atRestart} of ${N} answered)`);
    assert.ok(sender.states.some((s) => s.state === "reconnecting"), "the sender reconnected");

    // The sender: one answer per message, each a different stored message.
    assert.equal(new Set(sent.map((s) => s.message_id)).size, N, "two sends got one message");
    assert.equal(new Set(sent.map((s) => s.seq)).size, N);
    // Both clients: every message exactly once, in order (live, then replayed by resume).
    await until(() => received.length >= N && echoed.length >= N, `${N} messages on both clients`);
    await sleep(300); // anything doubled would arrive now
    assertOnceInOrder(received, bodies, "receiver");
    assertOnceInOrder(echoed, bodies, "sender");
    // The store: each once.
    const stored = (await allMessages(alice.rest, room)).filter((m) => m.kind === "text");
    assertOnceInOrder(stored, bodies, "history");
    sender.close();
    receiver.close();
  });

  test("a message sent while offline is delivered once after the reconnect", async () => {
    const { alice, bob, room } = await twoInARoom();
    const proxy = await Proxy.start(server.port);
    const sender = client(proxy.wsUrl, alice.auth.token);
    const receiver = client(server.wsUrl, bob.auth.token);
    await Promise.all([sender.ready(), receiver.ready()]);
    const received = collect(receiver, room);

    proxy.refusing = true;
    proxy.cutAll();
    await until(() => sender.state === "reconnecting", "the sender to notice");
    const pending = sender.send(room, "written offline");
    await sleep(500); // attempts are refused meanwhile
    assert.equal(sender.outbox.size, 1);
    assert.equal(sender.outbox.pending[0].written, false);
    proxy.refusing = false;
    const sent = await pending;
    assert.equal(sent.room, room);

    await until(() => received.length >= 1, "the receiver to get it");
    await sleep(300);
    assert.deepEqual(received.map((m) => m.body), ["written offline"]);
    const stored = (await allMessages(alice.rest, room)).filter((m) => m.kind === "text");
    assert.deepEqual(stored.map((m) => m.id), [sent.message_id]);
    sender.close();
    receiver.close();
    await proxy.close();
  });

  test("a silent network (no close, nothing comes back) is given up after a command", async () => {
    const { alice, room } = await twoInARoom();
    const proxy = await Proxy.start(server.port);
    // No heartbeat in the test's time: only the silence after the send can notice.
    const sender = client(proxy.wsUrl, alice.auth.token, { silenceTimeoutMs: 500, connectTimeoutMs: 1000, pingIntervalMs: 600000 });
    await sender.ready();
    proxy.silent = true;
    const pending = sender.send(room, "into the void");
    await until(() => sender.state === "reconnecting", "the sender to give the silent socket up");
    proxy.silent = false;
    proxy.cutAll(); // the silent socket's bytes are gone; so is it
    const sent = await pending;
    const stored = (await allMessages(alice.rest, room)).filter((m) => m.kind === "text");
    assert.deepEqual(stored.map((m) => m.id), [sent.message_id], "stored once");
    sender.close();
    await proxy.close();
  });

  test("a send whose answer was lost in a reconnect is stored once", async () => {
    const { alice, room } = await twoInARoom();
    const proxy = await Proxy.start(server.port);
    const sender = client(proxy.wsUrl, alice.auth.token);
    await sender.ready();
    const nonce = `lost-${Date.now()}`;
    // The server stores the message; the connection dies as its `sent` comes back.
    proxy.cutOn = `"nonce":"${nonce}"`;
    const sent = await sender.send(room, "answer lost", { nonce });
    assert.equal(proxy.cuts, 1, "the answer was cut");
    assert.ok(sender.states.some((s) => s.state === "reconnecting"));
    const stored = (await allMessages(alice.rest, room)).filter((m) => m.kind === "text");
    assert.deepEqual(stored.map((m) => m.id), [sent.message_id], "stored once");
    sender.close();
    await proxy.close();
  });

  test("a session revoked elsewhere stops the client, which says why", async () => {
    const { alice, room } = await twoInARoom();
    const other = await login(server.base, alice.auth.user.username);
    const c = client(server.wsUrl, alice.auth.token);
    await c.ready();
    await other.rest.revokeSession(alice.auth.session_id);
    await until(() => c.state === "closed", "the client to stop");
    assert.deepEqual(c.closeInfo, { code: 4002, reason: "session_revoked" });
    const last = c.states[c.states.length - 1];
    assert.equal(last.reason, "session_revoked");
    // It stays stopped: no attempt follows, and a send fails at once with the reason.
    const count = c.states.length;
    await sleep(1500);
    assert.equal(c.states.length, count, "no reconnect after a revoked session");
    await assert.rejects(c.send(room, "after"), { code: "closed" });
  });

  test("a session revoked while the client was away stops it on the next connect", async () => {
    const { alice, room } = await twoInARoom();
    const proxy = await Proxy.start(server.port);
    const c = client(proxy.wsUrl, alice.auth.token);
    await c.ready();
    proxy.refusing = true;
    proxy.cutAll();
    await until(() => c.state === "reconnecting", "the client to notice");
    const queued = c.send(room, "never").then(() => null, (e) => e);
    await alice.rest.logoutAll();
    proxy.refusing = false;
    await until(() => c.state === "closed", "the client to stop");
    assert.deepEqual(c.closeInfo, { code: 4001, reason: "unauthenticated" });
    assert.equal((await queued)?.code, "unauthenticated");
    await proxy.close();
  });

  test("a client resumes from persisted seqs after its own restart", async () => {
    const { alice, bob, room } = await twoInARoom();
    const saved = {};
    const first = client(server.wsUrl, bob.auth.token, { onSeq: (r, s) => { saved[r] = s; } });
    await first.ready();
    const got1 = collect(first, room);
    await alice.rest.postMessage(room, { body: "one" });
    await until(() => got1.length === 1, "the first message");
    first.close();
    // While bob's app is closed:
    await alice.rest.postMessage(room, { body: "two" });
    await alice.rest.postMessage(room, { body: "three" });
    const second = client(server.wsUrl, bob.auth.token, { resumeFrom: { ...saved } });
    const got2 = collect(second, room);
    const synced = new Promise((resolve) => second.once("synced", resolve));
    await second.ready();
    await synced;
    assert.deepEqual(got2.map((m) => m.body), ["two", "three"]);
    second.close();
  });

  test("rate-limited sends are retried until stored, once each", async () => {
    // A server with the default limits: 20 messages at once, then 5 a second.
    const limited = await TestServer.start();
    try {
      const alice = await register(limited.base, "rl");
      const room = await alice.rest.createRoom({ kind: "public", name: "limited" });
      const c = client(limited.wsUrl, alice.auth.token);
      await c.ready();
      let refusals = 0;
      let retries = 0;
      c.on("send_failed", () => { refusals += 1; });
      c.on("send_retry", (r) => {
        assert.equal(r.error.code, "rate_limited");
        retries += 1;
      });
      const bodies = Array.from({ length: 30 }, (_, i) => `m${i}`);
      const sent = await Promise.all(bodies.map((b) => c.send(room.id, b)));
      assert.equal(new Set(sent.map((s) => s.message_id)).size, 30);
      assert.ok(retries > 0, "the server rate limited some sends");
      const stored = (await allMessages(alice.rest, room.id)).filter((m) => m.kind === "text");
      assert.equal(stored.length, 30);
      assert.equal(refusals, 0);
      c.close();
    } finally {
      await limited.dispose();
    }
  });
});
