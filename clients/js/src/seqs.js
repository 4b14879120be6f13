// Which messages the client has, per room, by sequence number: what `resume` sends
// after a reconnect, and what drops a message delivered twice.
//
// Per room it keeps the ranges of `seq` delivered on this client (a few; merged as
// they touch) and a floor: "everything up to here is had", from the app's persisted
// state or a baseline. The floor moves the resume point but never drops a message:
// a message published late (stored before the baseline was read, sent after) still
// gets through. The resume point is the end of the first contiguous run, so a gap
// left by messages of another node that arrived out of order is replayed (and what
// was already delivered in the replay is dropped here).

const MAX_RANGES = 64;

export class SeqTracker {
  /** @type {Map<string, {floor: number | null, ranges: number[][]}>} */
  #rooms = new Map();
  #onChange;

  /**
   * @param {{initial?: Record<string, number>, onChange?: (room: string, seq: number) => void}} [opts]
   *   `initial`: the resume points an app persisted; `onChange` is called whenever a
   *   room's resume point moves (persist it there).
   */
  constructor({ initial = {}, onChange } = {}) {
    this.#onChange = onChange;
    for (const [room, seq] of Object.entries(initial)) {
      if (Number.isSafeInteger(seq) && seq >= 0) this.#state(room).floor = seq;
    }
  }

  #state(room) {
    let st = this.#rooms.get(room);
    if (!st) {
      st = { floor: null, ranges: [] };
      this.#rooms.set(room, st);
    }
    return st;
  }

  /** Whether the client tracks this room (has a resume point for it). */
  has(room) {
    return this.resumePoint(room) !== undefined;
  }

  /** The `seq` to resume the room from, or undefined when untracked. */
  resumePoint(room) {
    const st = this.#rooms.get(room);
    if (!st) return undefined;
    let point = st.floor;
    for (const [lo, hi] of st.ranges) {
      if (point === null) point = hi;
      else if (lo <= point + 1) point = Math.max(point, hi);
      else break;
    }
    return point === null ? undefined : point;
  }

  /** Whether `seq` of `room` was delivered on this client. */
  delivered(room, seq) {
    const st = this.#rooms.get(room);
    return !!st && st.ranges.some(([lo, hi]) => seq >= lo && seq <= hi);
  }

  /**
   * Record that message `seq` of `room` is delivered. Returns false when it had
   * been delivered before (a duplicate: drop it).
   */
  observe(room, seq) {
    if (!Number.isSafeInteger(seq)) return true;
    if (this.delivered(room, seq)) return false;
    const before = this.resumePoint(room);
    const st = this.#state(room);
    st.ranges.push([seq, seq]);
    st.ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const r of st.ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    }
    // Bounded: past the cap the two oldest runs become one.
    while (merged.length > MAX_RANGES) {
      const [a, b] = merged.splice(0, 2);
      merged.unshift([a[0], b[1]]);
    }
    st.ranges = merged;
    this.#changed(room, before);
    return true;
  }

  /** Everything up to `seq` is had (a baseline); only ever raises the floor. */
  setFloor(room, seq) {
    if (!Number.isSafeInteger(seq) || seq < 0) return;
    const before = this.resumePoint(room);
    const st = this.#state(room);
    if (st.floor === null || seq > st.floor) st.floor = seq;
    this.#changed(room, before);
  }

  /** Stop tracking a room (left, removed, deleted). */
  forget(room) {
    this.#rooms.delete(room);
  }

  /** The tracked rooms. */
  rooms() {
    return [...this.#rooms.keys()].filter((r) => this.has(r));
  }

  /** `{room: resumePoint}` for every tracked room: what an app persists. */
  toJSON() {
    const out = {};
    for (const room of this.rooms()) out[room] = this.resumePoint(room);
    return out;
  }

  #changed(room, before) {
    const after = this.resumePoint(room);
    if (after !== undefined && after !== before && this.#onChange) this.#onChange(room, after);
  }
}
