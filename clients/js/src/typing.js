// Typing notifications without flooding: call `typing(room)` on every keystroke; a
// `typing_start` goes out at most every `intervalMs` per room (the server's TTL is
// 6 s and it broadcasts at most every 2 s, docs/PROTOCOL.md). `stop(room)` sends
// `typing_stop` only if a start is still in force. Sending a message ends typing on
// the server, so `sent(room)` just forgets the room.

export class TypingThrottle {
  #last = new Map();

  /** @param {(type: "typing_start" | "typing_stop", room: string) => boolean} write */
  constructor(write, { intervalMs = 3000, ttlMs = 6000, now = Date.now } = {}) {
    this.write = write;
    this.intervalMs = intervalMs;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** The user is typing in `room`. Returns whether a `typing_start` was written. */
  typing(room) {
    const now = this.now();
    const last = this.#last.get(room);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (!this.write("typing_start", room)) return false;
    this.#last.set(room, now);
    return true;
  }

  /** The user stopped typing. Returns whether a `typing_stop` was written. */
  stop(room) {
    const last = this.#last.get(room);
    this.#last.delete(room);
    if (last === undefined || this.now() - last >= this.ttlMs) return false;
    return this.write("typing_stop", room);
  }

  /** A message was sent in `room` (the server ended the typing state). */
  sent(room) {
    this.#last.delete(room);
  }

  /** The connection changed: typing states lapsed with it. */
  reset() {
    this.#last.clear();
  }
}
