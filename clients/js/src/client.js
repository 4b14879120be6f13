// The realtime client: one WebSocket carrying all the user's rooms (docs/PROTOCOL.md),
// kept open across network failures and server restarts.
//
// - Connection states `idle` → `connecting` → `open` → `reconnecting` → `open` … →
//   `closed`, each change emitted as a `state` event.
// - Reconnects with exponential backoff and jitter; the close codes decide whether
//   to reconnect (close-codes.js). After each `hello`, `resume` is the first command:
//   the server replays what was missed, per room, from the last seq the client has
//   (seqs.js); a message delivered twice is dropped here.
// - Sends go through a queue with nonces (outbox.js): delivered exactly once.
// - Every command returns a promise settled by its reply (or a timeout).

import { Backoff } from "./backoff.js";
import { closeAction } from "./close-codes.js";
import { Emitter } from "./emitter.js";
import { ChatError, errorFromEvent } from "./errors.js";
import { HistoryPager } from "./history.js";
import { Outbox } from "./outbox.js";
import { SeqTracker } from "./seqs.js";
import { TypingThrottle } from "./typing.js";

const OPEN = 1;
const encoder = new TextEncoder();

/** Replies that answer a command by its id. */
const REPLIES = new Set(["ack", "sent", "history", "pong", "error"]);

export class ChatClient extends Emitter {
  #opts;
  #WS;
  #ws = null;
  #state = "idle";
  #hello = null;
  #helloSeen = false;
  #everOpen = false;
  #nextId = 1;
  /** id → {resolve, reject, timer, entry?, multi?} */
  #pending = new Map();
  /** Requests made while not open: written once the connection is. */
  #waiting = [];
  #rooms = new Set();
  #backoff;
  #retryTimer = null;
  #helloTimer = null;
  #pingTimer = null;
  #pumpTimer = null;
  #silenceTimer = null;
  #lastFrameAt = 0;
  #closeInfo = null;
  /** Whether this connection's `resume` is written (commands may follow it). */
  #resumed = false;

  /**
   * @param {import("./index.js").ChatClientOptions} opts
   */
  constructor(opts) {
    super();
    if (!opts || !opts.url) throw new TypeError("ChatClient needs a url");
    this.#opts = {
      requestTimeoutMs: 15000,
      sendTimeoutMs: 0,
      connectTimeoutMs: 10000,
      pongTimeoutMs: 10000,
      silenceTimeoutMs: 8000,
      maxFrameBytes: 16384,
      trackNewRooms: true,
      ...opts,
    };
    this.#WS = opts.WebSocket || globalThis.WebSocket;
    if (typeof this.#WS !== "function") {
      throw new TypeError("no WebSocket implementation: pass one as `WebSocket` (e.g. the `ws` package in Node)");
    }
    this.#backoff = new Backoff(opts.backoff);
    this.seqs = new SeqTracker({ initial: opts.resumeFrom, onChange: opts.onSeq });
    this.outbox = new Outbox({ maxInFlight: opts.maxInFlight });
    this.typingThrottle = new TypingThrottle((type, room) => this.#post({ type, room }), opts.typing);
  }

  /** `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
  get state() {
    return this.#state;
  }

  /** The `hello` of the current (or last) connection. */
  get hello() {
    return this.#hello;
  }

  /** The signed-in user (from `hello`). */
  get user() {
    return this.#hello ? this.#hello.user : null;
  }

  /** The rooms this connection receives. */
  get rooms() {
    return [...this.#rooms];
  }

  /** Why the client closed (`{code, reason}`), once `closed`. */
  get closeInfo() {
    return this.#closeInfo;
  }

  /** Start (or restart after `closed`). */
  connect() {
    if (this.#state !== "idle" && this.#state !== "closed") return this;
    this.#closeInfo = null;
    this.#everOpen = false;
    this.#backoff.reset();
    this.#open();
    return this;
  }

  /** Resolves once the connection is open; rejects if the client closes first. */
  ready() {
    if (this.#state === "open") return Promise.resolve(this.#hello);
    return new Promise((resolve, reject) => {
      const off = this.on("state", (s) => {
        if (s.state === "open") {
          off();
          resolve(this.#hello);
        } else if (s.state === "closed") {
          off();
          reject(new ChatError(s.reason || "closed", `the client closed (${s.reason || "closed"})`, { closeCode: s.code }));
        }
      });
    });
  }

  /** Close for good: pending commands and queued messages fail with `closed`. */
  close() {
    this.#stop(1000, "closed");
  }

  /** Drop the current connection and reconnect at once (e.g. on the browser's `online`). */
  reconnect() {
    if (this.#state === "idle" || this.#state === "closed") return;
    clearTimeout(this.#retryTimer);
    this.#backoff.reset();
    if (this.#ws) this.#drop(this.#ws, 4000, "reconnect");
    else this.#open();
  }

  // --- commands -------------------------------------------------------------------

  /**
   * Send a text message. Resolves with the server's `sent` once stored — exactly
   * once, across reconnects. Options: `replyTo`, `nonce` (to retry a send whose
   * outcome is unknown), `timeoutMs` (default `sendTimeoutMs`, 0: none).
   */
  send(room, body, { replyTo = null, nonce, timeoutMs = this.#opts.sendTimeoutMs } = {}) {
    if (this.#state === "closed") return Promise.reject(new ChatError("closed", "the client is closed"));
    const frame = { type: "send", id: 0, room, nonce: nonce || "c-00000000000000000000000000000000", body, reply_to: replyTo };
    const size = encoder.encode(JSON.stringify(frame)).length;
    if (size > this.#opts.maxFrameBytes) {
      return Promise.reject(new ChatError("too_large", `the message is ${size} bytes on the wire; the limit is ${this.#opts.maxFrameBytes}`, { field: "body" }));
    }
    const promise = this.outbox.add({ room, body, replyTo, nonce }, timeoutMs);
    this.typingThrottle.sent(room);
    this.#pump();
    return promise;
  }

  /** Any command; resolves with its reply (`ack`, `history`, `pong`…), rejects with ChatError. */
  request(command, { timeoutMs = this.#opts.requestTimeoutMs } = {}) {
    if (this.#state === "closed") return Promise.reject(new ChatError("closed", "the client is closed"));
    return new Promise((resolve, reject) => {
      const req = { command, resolve, reject, timer: null };
      if (timeoutMs > 0) {
        req.timer = setTimeout(() => {
          this.#waiting = this.#waiting.filter((w) => w !== req);
          for (const [id, p] of this.#pending) if (p === req) this.#pending.delete(id);
          reject(new ChatError("timeout", `no answer to ${command.type} in ${timeoutMs} ms`));
        }, timeoutMs);
      }
      if (this.#isReady() && this.#resumed) this.#writeRequest(req);
      else this.#waiting.push(req);
    });
  }

  join(room, { password, since } = {}) {
    return this.request({ type: "join", room, password, since });
  }

  leave(room) {
    return this.request({ type: "leave", room });
  }

  edit(message, body) {
    return this.request({ type: "edit", message, body });
  }

  delete(message) {
    return this.request({ type: "delete", message });
  }

  ping() {
    return this.request({ type: "ping" });
  }

  /** A page of history over the WebSocket (`{before, after, limit}`); ascending by seq. */
  async history(room, { before, after, limit } = {}) {
    const ev = await this.request({ type: "history", room, before, after, limit });
    // A page that reaches the newest messages extends what the client has.
    if (before === undefined || before === null) this.#observePage(ev);
    return { room: ev.room, messages: ev.messages, has_more: ev.has_more };
  }

  /** Backwards paging through a room (`await pager.older()`). */
  historyPager(room, { pageSize = 50 } = {}) {
    return new HistoryPager((q) => this.history(room, q), { pageSize });
  }

  /** The user types in `room`: call on every keystroke (throttled). */
  typing(room) {
    return this.typingThrottle.typing(room);
  }

  /** The user stopped typing in `room`. */
  stopTyping(room) {
    return this.typingThrottle.stop(room);
  }

  // --- connection -----------------------------------------------------------------

  #setState(state, extra = {}) {
    const previous = this.#state;
    if (previous === state && extra.delayMs === undefined) return;
    this.#state = state;
    this.emit("state", { state, previous, ...extra });
  }

  #isReady() {
    return this.#state === "open" && this.#ws !== null && this.#ws.readyState === OPEN;
  }

  async #open() {
    this.#setState(this.#everOpen ? "reconnecting" : "connecting", { attempt: this.#backoff.attempt });
    let url;
    let token;
    try {
      url = typeof this.#opts.url === "function" ? await this.#opts.url() : this.#opts.url;
      token = typeof this.#opts.token === "function" ? await this.#opts.token() : this.#opts.token;
    } catch (err) {
      this.#stop(4001, "unauthenticated", err);
      return;
    }
    if (this.#state === "closed") return;
    let ws;
    try {
      ws = this.#opts.socketOptions ? new this.#WS(url, undefined, this.#opts.socketOptions) : new this.#WS(url);
    } catch (err) {
      this.#afterClose(1006, String(err && err.message ? err.message : err));
      return;
    }
    this.#ws = ws;
    this.#helloSeen = false;
    ws.onopen = () => {
      if (ws !== this.#ws) return;
      this.#lastFrameAt = Date.now();
      if (token) ws.send(JSON.stringify({ type: "auth", token }));
    };
    ws.onmessage = (ev) => this.#onFrame(ws, ev.data);
    ws.onclose = (ev) => {
      if (ws === this.#ws) this.#afterClose(ev.code, ev.reason);
    };
    ws.onerror = () => { /* onclose follows */ };
    clearTimeout(this.#helloTimer);
    this.#helloTimer = setTimeout(() => {
      if (ws === this.#ws && !this.#helloSeen) this.#drop(ws, 4000, "no hello in time");
    }, this.#opts.connectTimeoutMs);
  }

  /** Forget a socket at once (a dead network may take minutes to report its close). */
  #drop(ws, code, reason) {
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(4000, reason);
    } catch {
      /* already closed */
    }
    if (ws === this.#ws) this.#afterClose(code, reason);
  }

  #clearTimers() {
    clearTimeout(this.#helloTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pumpTimer);
    clearTimeout(this.#silenceTimer);
    this.#helloTimer = this.#pingTimer = this.#pumpTimer = this.#silenceTimer = null;
  }

  /** The connection ended: fail or keep what was pending, then reconnect or stop. */
  async #afterClose(code, reason) {
    const wasOpen = this.#helloSeen;
    this.#ws = null;
    this.#helloSeen = false;
    this.#resumed = false;
    this.#clearTimers();
    this.typingThrottle.reset();
    this.outbox.requeue();
    const lost = new ChatError("disconnected", "the connection closed before the answer", { closeCode: code });
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      if (p.entry) continue; // sends are written again on the next connection
      clearTimeout(p.timer);
      p.reject(lost);
    }
    if (this.#state === "closed") return;
    const action = closeAction(code);
    if (!action.reconnect) {
      this.#stop(code, action.reason);
      return;
    }
    // A refused upgrade looks like a network failure in browsers: ask the app.
    if (!wasOpen && this.#opts.checkAuth) {
      let ok = true;
      try {
        ok = await this.#opts.checkAuth();
      } catch {
        ok = true;
      }
      if (this.#state === "closed") return;
      if (!ok) {
        this.#stop(4001, "unauthenticated");
        return;
      }
    }
    const delayMs = Math.max(action.minDelayMs, this.#backoff.next());
    this.#setState(this.#everOpen ? "reconnecting" : "connecting", { code, reason: reason || action.reason, delayMs, attempt: this.#backoff.attempt });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delayMs);
  }

  #stop(code, reason, cause) {
    if (this.#state === "closed") return;
    clearTimeout(this.#retryTimer);
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000, "bye");
      } catch {
        /* already closed */
      }
    }
    this.#closeInfo = { code, reason };
    const err = new ChatError(reason, `the client closed: ${reason}`, { closeCode: code, cause });
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      if (!p.entry) p.reject(err);
    }
    this.#pending.clear();
    for (const w of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiting = [];
    this.outbox.failAll(err);
    this.#setState("closed", { code, reason });
  }

  // --- frames ---------------------------------------------------------------------

  /**
   * A command was written: some frame should come back soon. A dead network (a
   * laptop's lid, a lost Wi-Fi) may deliver no close for minutes; when nothing at
   * all arrives within `silenceTimeoutMs` the socket is given up and a new one tried.
   */
  #expectFrame() {
    const ms = this.#opts.silenceTimeoutMs;
    if (!(ms > 0) || this.#silenceTimer) return;
    const ws = this.#ws;
    this.#silenceTimer = setTimeout(() => {
      this.#silenceTimer = null;
      if (ws === this.#ws && ws !== null) this.#drop(ws, 4009, "heartbeat_timeout");
    }, ms);
  }

  /** Write a frame on the open socket; false when there is none. */
  #post(frame) {
    if (!this.#isReady() || !this.#resumed) return false;
    try {
      this.#ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  #writeRequest(req) {
    const id = this.#nextId++;
    const frame = { ...req.command, id };
    const text = JSON.stringify(frame);
    const size = encoder.encode(text).length;
    if (size > this.#opts.maxFrameBytes) {
      clearTimeout(req.timer);
      req.reject(new ChatError("too_large", `the command is ${size} bytes; the limit is ${this.#opts.maxFrameBytes}`));
      return;
    }
    this.#pending.set(id, req);
    try {
      this.#ws.send(text);
      this.#expectFrame();
    } catch {
      /* the close handler fails it */
    }
  }

  /** Write what the send queue has ready. */
  #pump() {
    if (!this.#isReady() || !this.#resumed) return;
    for (const entry of this.outbox.takeReady()) {
      const id = this.#nextId++;
      this.#pending.set(id, { entry });
      try {
        this.#ws.send(JSON.stringify({ ...Outbox.command(entry), id }));
        this.#expectFrame();
      } catch {
        /* requeued by the close handler */
      }
    }
    const wait = this.outbox.pausedFor();
    if (wait > 0 && this.outbox.size > 0) {
      clearTimeout(this.#pumpTimer);
      this.#pumpTimer = setTimeout(() => this.#pump(), wait);
    }
  }

  #onHello(ws, hello) {
    clearTimeout(this.#helloTimer);
    this.#helloSeen = true;
    this.#hello = hello;
    const reconnected = this.#everOpen;
    this.#everOpen = true;
    this.#backoff.reset();
    this.#rooms = new Set(hello.rooms);
    const resume = {};
    for (const room of this.seqs.rooms()) {
      if (this.#rooms.has(room)) resume[room] = this.seqs.resumePoint(room);
      else this.seqs.forget(room); // left or removed while away
    }
    this.#resumed = false;
    this.#setState("open", { reconnected });
    this.emit("hello", { hello, reconnected });
    if (ws !== this.#ws) return; // a listener closed it
    // `resume` first: the server holds live events until the first command.
    const synced = Object.keys(resume).length > 0
      ? this.#resume(resume)
      : Promise.resolve({ errors: [] });
    this.#resumed = true;
    if (this.#opts.trackNewRooms) {
      for (const room of hello.rooms) if (!this.seqs.has(room)) this.#baseline(room);
    }
    for (const req of this.#waiting.splice(0)) this.#writeRequest(req);
    this.#pump();
    this.#startHeartbeat(hello.heartbeat_ms);
    synced.then(({ errors }) => {
      if (ws === this.#ws) this.emit("synced", { rooms: Object.keys(resume), errors });
    }, () => {});
  }

  /** `resume`: errors for single rooms come with its id before the final `ack`. */
  #resume(rooms) {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { multi: [], resolve, reject, timer: null });
      this.#ws.send(JSON.stringify({ type: "resume", id, rooms }));
      this.#expectFrame();
    });
  }

  /** A room the client has no seq for: its newest message is the starting point. */
  #baseline(room) {
    const retry = (attempt) => this.request({ type: "history", room, limit: 1 }).then((page) => {
      if (this.seqs.has(room)) return;
      const top = page.messages.length ? page.messages[page.messages.length - 1].seq : 0;
      this.seqs.setFloor(room, top);
    }, (err) => {
      if (err.code === "rate_limited" && attempt < 5) {
        setTimeout(() => retry(attempt + 1), err.retryAfterMs ?? 1000);
      }
    });
    retry(0);
  }

  #observePage(page) {
    const point = this.seqs.resumePoint(page.room);
    for (const m of page.messages) if (point === undefined || m.seq > point) this.seqs.observe(page.room, m.seq);
  }

  #startHeartbeat(heartbeatMs) {
    const every = this.#opts.pingIntervalMs ?? (heartbeatMs > 0 ? heartbeatMs : 25000);
    clearInterval(this.#pingTimer);
    const ws = this.#ws;
    this.#pingTimer = setInterval(() => {
      if (ws !== this.#ws || Date.now() - this.#lastFrameAt < every) return;
      // A silent network shows only as an unanswered ping.
      this.request({ type: "ping" }, { timeoutMs: this.#opts.pongTimeoutMs }).catch((err) => {
        if (err.code === "timeout" && ws === this.#ws) this.#drop(ws, 4009, "heartbeat_timeout");
      });
    }, Math.max(1000, Math.floor(every / 2)));
  }

  #onFrame(ws, data) {
    if (ws !== this.#ws) return;
    this.#lastFrameAt = Date.now();
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = null;
    if (typeof data !== "string") return;
    let ev;
    try {
      ev = JSON.parse(data);
    } catch {
      return;
    }
    if (!ev || typeof ev.type !== "string") return;
    if (!this.#helloSeen) {
      if (ev.type === "hello") this.#onHello(ws, ev);
      return;
    }
    if (REPLIES.has(ev.type) && ev.id !== null && ev.id !== undefined && this.#pending.has(ev.id)) {
      if (this.#settle(ev)) return;
    }
    if (!this.#apply(ev)) return;
    this.emit(ev.type, ev);
    this.emit("event", ev);
  }

  /** A reply to one of ours. Returns true when it is consumed (not emitted). */
  #settle(ev) {
    const p = this.#pending.get(ev.id);
    if (p.multi) {
      if (ev.type === "error") {
        p.multi.push(errorFromEvent(ev));
        return true;
      }
      this.#pending.delete(ev.id);
      p.resolve({ errors: p.multi });
      return true;
    }
    this.#pending.delete(ev.id);
    if (p.entry) {
      if (ev.type === "sent") {
        this.outbox.sent(p.entry, ev);
        this.#pump();
        return false; // also emitted, for UIs that map nonces to messages
      }
      if (ev.type === "error") {
        const err = errorFromEvent(ev);
        const what = { nonce: p.entry.nonce, room: p.entry.room, body: p.entry.body, error: err };
        this.emit(this.outbox.refused(p.entry, err) ? "send_failed" : "send_retry", what);
        this.#pump();
      }
      return true;
    }
    clearTimeout(p.timer);
    if (ev.type === "error") p.reject(errorFromEvent(ev));
    else p.resolve(ev);
    return ev.type !== "sent";
  }

  /** Update the client's own state from an event; false drops it (a duplicate). */
  #apply(ev) {
    switch (ev.type) {
      case "message_created": {
        const m = ev.message;
        return !m || this.seqs.observe(m.room_id, m.seq);
      }
      case "room_created":
        this.#rooms.add(ev.room.id);
        if (!this.seqs.has(ev.room.id)) this.seqs.setFloor(ev.room.id, Math.max(0, ev.room.last_seq - 1));
        return true;
      case "member_removed":
        if (this.user && ev.user === this.user.id) {
          this.#rooms.delete(ev.room);
          this.seqs.forget(ev.room);
        }
        return true;
      case "room_deleted":
        this.#rooms.delete(ev.room);
        this.seqs.forget(ev.room);
        return true;
      default:
        return true;
    }
  }
}
