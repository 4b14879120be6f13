// The send queue. Each message gets a nonce when it is queued and keeps it until the
// server answers `sent`: written while online, written again (same nonce) after a
// reconnect if the answer was lost, and the server stores a nonce once — so a message
// is delivered exactly once however often the connection drops.
//
// Up to `maxInFlight` sends are written without waiting for their answers (the
// server handles a connection's commands in order, so order is kept); a rate-limited
// send is put back at its place and its room's sends pause for `retry_after_ms` (slow
// mode is per room: one room's wait does not hold back the others).

import { ChatError } from "./errors.js";

/** A nonce: 128 random bits (crypto.getRandomValues works in every browser context). */
export function newNonce() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let s = "c-";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Errors after which the same send is tried again later. */
const RETRY = new Set(["rate_limited", "internal", "concurrent_update"]);

export class Outbox {
  /** Entries in the order they were queued. */
  #entries = [];
  /** room → until when its sends wait (rate limited). */
  #pausedUntil = new Map();

  constructor({ maxInFlight = 16, now = Date.now } = {}) {
    this.maxInFlight = Math.max(1, maxInFlight);
    this.now = now;
  }

  /** Messages not yet confirmed, oldest first. */
  get pending() {
    return this.#entries.map(({ nonce, room, body, replyTo, state, written }) => ({ nonce, room, body, replyTo, state, written }));
  }

  get size() {
    return this.#entries.length;
  }

  /**
   * Queue a message; the promise settles with the server's `sent` or a final error.
   * @param {{room: string, body: string, replyTo?: string | null, nonce?: string}} msg
   * @param {number} timeoutMs 0: no timeout
   */
  add(msg, timeoutMs) {
    const nonce = msg.nonce || newNonce();
    const same = this.#entries.find((e) => e.nonce === nonce && e.room === msg.room);
    if (same) return same.promise;
    const entry = { nonce, room: msg.room, body: msg.body, replyTo: msg.replyTo ?? null, state: "queued", written: false };
    entry.promise = new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    if (timeoutMs > 0) {
      entry.timer = setTimeout(() => {
        const written = entry.written;
        this.#remove(entry);
        entry.reject(new ChatError("timeout", written
          ? "no answer in time; the message may have been stored: send again with the same nonce to find out"
          : "not sent in time (offline)", { written, nonce }));
      }, timeoutMs);
    }
    this.#entries.push(entry);
    return entry.promise;
  }

  /** The `send` command of an entry. */
  static command(entry) {
    return { type: "send", room: entry.room, nonce: entry.nonce, body: entry.body, reply_to: entry.replyTo };
  }

  /**
   * How long until a paused room's sends may go (0: none is paused); with `room`,
   * how long that room's sends wait.
   */
  pausedFor(room) {
    const now = this.now();
    if (room !== undefined) return Math.max(0, (this.#pausedUntil.get(room) ?? 0) - now);
    let wait = 0;
    for (const [r, until] of this.#pausedUntil) {
      if (until <= now) this.#pausedUntil.delete(r);
      else wait = wait === 0 ? until - now : Math.min(wait, until - now);
    }
    return wait;
  }

  /** Entries to write now, in order; they are marked in flight. */
  takeReady() {
    let inFlight = this.#entries.filter((e) => e.state === "inflight").length;
    const ready = [];
    for (const e of this.#entries) {
      if (inFlight >= this.maxInFlight) break;
      if (e.state !== "queued" || this.pausedFor(e.room) > 0) continue;
      e.state = "inflight";
      e.written = true;
      inFlight += 1;
      ready.push(e);
    }
    return ready;
  }

  /** The answer `sent` arrived: settle its entry. */
  sent(entry, ev) {
    if (!this.#entries.includes(entry)) return;
    this.#remove(entry);
    entry.resolve(ev);
  }

  /**
   * A send was refused. Retryable errors put it back (pausing its room); others
   * settle it. Returns true when the entry failed for good.
   */
  refused(entry, err) {
    if (!this.#entries.includes(entry)) return false;
    if (RETRY.has(err.code)) {
      entry.state = "queued";
      const wait = err.retryAfterMs ?? 1000;
      const until = this.now() + Math.max(100, wait);
      this.#pausedUntil.set(entry.room, Math.max(this.#pausedUntil.get(entry.room) ?? 0, until));
      return false;
    }
    this.#remove(entry);
    entry.reject(err);
    return true;
  }

  /** The connection dropped: what was in flight is written again on the next one. */
  requeue() {
    for (const e of this.#entries) if (e.state === "inflight") e.state = "queued";
  }

  /** Give up a message that is still queued. Returns whether it was there. */
  discard(nonce, err = new ChatError("discarded", "the message was discarded")) {
    const entry = this.#entries.find((e) => e.nonce === nonce);
    if (!entry) return false;
    this.#remove(entry);
    entry.reject(err);
    return true;
  }

  /** Fail every message (the client closed for good). */
  failAll(err) {
    for (const e of [...this.#entries]) {
      this.#remove(e);
      e.reject(err);
    }
  }

  #remove(entry) {
    clearTimeout(entry.timer);
    const i = this.#entries.indexOf(entry);
    if (i >= 0) this.#entries.splice(i, 1);
  }
}
