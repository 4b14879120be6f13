// The client's parts on their own: seq tracking, backoff, close codes, typing
// throttle, the send queue and history paging.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Backoff, ChatError, HistoryPager, Outbox, SeqTracker, TypingThrottle, closeAction, messagesAfter } from "../src/index.js";

test("seqs: duplicates are dropped, the resume point is the end of the first run", () => {
  const changes = [];
  const t = new SeqTracker({ onChange: (r, s) => changes.push([r, s]) });
  assert.equal(t.resumePoint("R"), undefined);
  assert.equal(t.observe("R", 5), true);
  assert.equal(t.observe("R", 5), false);
  assert.equal(t.observe("R", 6), true);
  assert.equal(t.resumePoint("R"), 6);
  // 8 arrives before 7 (another node): resume from 6 so that 7 is replayed.
  assert.equal(t.observe("R", 8), true);
  assert.equal(t.resumePoint("R"), 6);
  assert.equal(t.observe("R", 7), true);
  assert.equal(t.resumePoint("R"), 8);
  assert.equal(t.observe("R", 8), false);
  assert.deepEqual(changes, [["R", 5], ["R", 6], ["R", 8]]);
});

test("seqs: a floor moves the resume point but drops nothing", () => {
  const t = new SeqTracker({ initial: { R: 41 } });
  assert.equal(t.resumePoint("R"), 41);
  // A message published late, at or below the floor, still gets through.
  assert.equal(t.observe("R", 41), true);
  assert.equal(t.observe("R", 42), true);
  assert.equal(t.resumePoint("R"), 42);
  t.setFloor("R", 10); // never lowers
  assert.equal(t.resumePoint("R"), 42);
  assert.deepEqual(t.toJSON(), { R: 42 });
  t.forget("R");
  assert.deepEqual(t.toJSON(), {});
});

test("seqs: a room with many gaps stays bounded", () => {
  const t = new SeqTracker();
  for (let s = 1; s < 1000; s += 2) t.observe("R", s);
  assert.ok(t.resumePoint("R") >= 1);
  assert.equal(t.observe("R", 999), false);
});

test("backoff: grows exponentially up to the cap, with jitter below each base", () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
  const j = new Backoff({ initialMs: 100, jitter: 0.5, random: () => 1 });
  assert.equal(j.next(), 50);
});

test("close codes: auth failures stop, the rest reconnect (docs/PROTOCOL.md § 6)", () => {
  for (const [code, reason] of [[4001, "unauthenticated"], [4002, "session_revoked"], [4003, "account_deleted"], [1008, "protocol_error"], [1009, "frame_too_large"]]) {
    assert.deepEqual(closeAction(code), { reconnect: false, reason, minDelayMs: 0 });
  }
  for (const [code, reason] of [[1001, "server_shutdown"], [1011, "internal_error"], [4008, "slow_consumer"], [4009, "heartbeat_timeout"], [1006, "connection_lost"]]) {
    assert.equal(closeAction(code).reconnect, true, String(code));
    assert.equal(closeAction(code).reason, reason);
  }
  assert.ok(closeAction(4029).reconnect && closeAction(4029).minDelayMs >= 5000);
});

test("typing: at most one start per interval, a stop only while typing", () => {
  let now = 0;
  const written = [];
  const t = new TypingThrottle((type, room) => { written.push(`${type}:${room}`); return true; }, { intervalMs: 3000, ttlMs: 6000, now: () => now });
  assert.equal(t.typing("R"), true);
  now = 1000;
  assert.equal(t.typing("R"), false);
  now = 3000;
  assert.equal(t.typing("R"), true);
  assert.equal(t.stop("R"), true);
  assert.equal(t.stop("R"), false);
  t.typing("R");
  t.sent("R"); // the server ended it
  assert.equal(t.stop("R"), false);
  assert.deepEqual(written, ["typing_start:R", "typing_start:R", "typing_stop:R", "typing_start:R"]);
});

test("outbox: in-flight window, requeue after a drop, retry and final errors", async () => {
  let now = 0;
  const o = new Outbox({ maxInFlight: 2, now: () => now });
  const p1 = o.add({ room: "R", body: "1" }, 0);
  const p2 = o.add({ room: "R", body: "2" }, 0);
  const p3 = o.add({ room: "R", body: "3" }, 0);
  const [a, b] = o.takeReady();
  assert.equal(o.takeReady().length, 0, "window full");
  o.requeue(); // the connection dropped
  const again = o.takeReady();
  assert.deepEqual(again.map((e) => e.nonce), [a.nonce, b.nonce], "same nonces, same order");
  o.sent(a, { seq: 1 });
  assert.deepEqual(await p1, { seq: 1 });
  assert.equal(o.refused(b, new ChatError("rate_limited", "slow", { retryAfterMs: 500 })), false);
  assert.equal(o.takeReady().length, 0, "paused");
  now = 600;
  const next = o.takeReady();
  assert.deepEqual(next.map((e) => e.body), ["2", "3"]);
  assert.equal(o.refused(next[1], new ChatError("forbidden", "no")), true);
  await assert.rejects(p3, { code: "forbidden" });
  o.sent(next[0], { seq: 2 });
  assert.deepEqual(await p2, { seq: 2 });
  assert.equal(o.size, 0);
});

test("outbox: a rate-limited room waits; the other rooms' sends go on", () => {
  let now = 0;
  const o = new Outbox({ now: () => now });
  o.add({ room: "slow", body: "1" }, 0).catch(() => {});
  o.add({ room: "slow", body: "2" }, 0).catch(() => {});
  o.add({ room: "fast", body: "3" }, 0).catch(() => {});
  const [a] = o.takeReady();
  o.requeue();
  assert.equal(o.refused(a, new ChatError("rate_limited", "slow mode", { retryAfterMs: 30000 })), false);
  assert.deepEqual(o.takeReady().map((e) => e.body), ["3"], "only the other room's send");
  assert.equal(o.pausedFor("slow"), 30000);
  assert.equal(o.pausedFor("fast"), 0);
  assert.equal(o.pausedFor(), 30000);
  now = 30000;
  assert.deepEqual(o.takeReady().map((e) => e.body), ["1", "2"], "in order once the wait is over");
  assert.equal(o.pausedFor(), 0);
});

test("outbox: a timeout says whether the message may have been stored", async () => {
  const o = new Outbox();
  const p = o.add({ room: "R", body: "x" }, 20);
  o.takeReady();
  await assert.rejects(p, (e) => e.code === "timeout" && e.written === true);
  const q = o.add({ room: "R", body: "y" }, 20);
  await assert.rejects(q, (e) => e.code === "timeout" && e.written === false);
});

test("history: pages backwards to the start, forwards to the end", async () => {
  const all = Array.from({ length: 7 }, (_, i) => ({ seq: i + 1 }));
  const fetchPage = async ({ before, after, limit }) => {
    let msgs = all.filter((m) => (before === undefined || m.seq < before) && (after === undefined || m.seq > after));
    const more = msgs.length > limit;
    msgs = after === undefined ? msgs.slice(-limit) : msgs.slice(0, limit);
    return { room: "R", messages: msgs, has_more: more };
  };
  const pager = new HistoryPager(fetchPage, { pageSize: 3 });
  const pages = [];
  for (let p = await pager.older(); p.length; p = await pager.older()) pages.push(p.map((m) => m.seq));
  assert.deepEqual(pages, [[5, 6, 7], [2, 3, 4], [1]]);
  assert.equal(pager.hasMore, false);
  assert.deepEqual((await messagesAfter(fetchPage, 2, { pageSize: 2 })).map((m) => m.seq), [3, 4, 5, 6, 7]);
});
