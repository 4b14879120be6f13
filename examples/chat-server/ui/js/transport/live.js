// The live connection: one WebSocket, reconnected with exponential backoff and jitter.
// Every (re)connection starts with the server's `hello`; the app then sends `resume`
// with the last sequence number it holds per room, and unconfirmed sends are sent
// again with the same nonce (the server never stores a nonce twice).

import { sentence } from "../errors.js";

const AUTH_CLOSE_CODES = new Set([4001, 4002, 4003]);
const PING_EVERY_MS = 25000;
// A command with a reply (ping, send, resume…) or a new connection's hello that gets
// no frame at all back within this time means a dead network: one that delivers no
// close event soon. The socket is then given up at once and a new one tried.
const SILENCE_TIMEOUT_MS = 8000;
const REQUEST_TIMEOUT_MS = 15000;
const MAX_BACKOFF_MS = 15000;

export class Live {
  /**
   * @param {object} handlers
   *   onHello(hello, isReconnect), onEvent(event), onStatus(status) with status
   *   "connecting" | "online" | "offline", onAuthLost(code), onSendFailed(entry, error)
   */
  constructor(handlers) {
    this.h = handlers;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map(); // request id -> {resolve, reject, timer}
    this.outbox = new Map(); // nonce -> {room, body, reply_to, nonce}
    this.connectedOnce = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.silenceTimer = null;
    this.status = "offline";
    this.onOnline = () => { if (!this.stopped && this.status !== "online") this.reconnectNow(); };
    // The browser knows it has no network: say so now, not after a timeout.
    this.onOffline = () => { if (!this.stopped && this.ws) this.giveUp(this.ws); };
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}/api/ws`;
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.retryTimer);
    this.clearHeartbeat();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      try { ws.close(1000, "bye"); } catch { /* already closed */ }
    }
    this.failPending("disconnected");
    this.outbox.clear();
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.h.onStatus && this.h.onStatus(s);
  }

  open() {
    if (this.stopped) return;
    // After a loss, the banner keeps saying so until the server greets us again.
    this.setStatus(this.connectedOnce ? "offline" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => this.onMessage(ev);
    ws.onclose = (ev) => this.onClose(ws, ev);
    ws.onerror = () => { /* onclose follows */ };
    this.expectFrame();
  }

  /** Expect a frame from the server soon; without one, the socket is given up. */
  expectFrame() {
    if (this.silenceTimer) return;
    const ws = this.ws;
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = null;
      if (ws && ws === this.ws) this.giveUp(ws);
    }, SILENCE_TIMEOUT_MS);
  }

  /** Treat the socket as closed now (a dead network may never deliver its close). */
  giveUp(ws) {
    ws.onclose = null;
    ws.onmessage = null;
    try { ws.close(4000, "silent network"); } catch { /* ignore */ }
    this.onClose(ws, { code: 4000 });
  }

  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    if (this.ws) {
      // Not close(): on a dead network its close event may never come.
      this.giveUp(this.ws);
    } else {
      this.open();
    }
  }

  onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearHeartbeat();
    this.failPending("disconnected");
    if (this.stopped) return;
    this.setStatus("offline");
    if (AUTH_CLOSE_CODES.has(ev.code)) {
      this.stopped = true;
      this.h.onAuthLost && this.h.onAuthLost(ev.code);
      return;
    }
    // 4008 (slow consumer): come back at once and resume.
    if (ev.code === 4008) this.attempt = 0;
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    const delay = this.attempt === 0 ? 200 : base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  clearHeartbeat() {
    clearInterval(this.pingTimer);
    clearTimeout(this.silenceTimer);
    this.pingTimer = null;
    this.silenceTimer = null;
  }

  startHeartbeat() {
    this.clearHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      // A silent network is noticed by an unanswered ping (request expects a frame).
      this.request({ type: "ping" }).catch(() => {});
    }, PING_EVERY_MS);
  }

  onMessage(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (!msg || typeof msg.type !== "string") return;
    // Any frame shows the network is alive; before the hello, only the hello counts
    // (else a socket that never greets would wait for a timer no one arms again).
    if (msg.type === "hello" || this.status === "online") {
      clearTimeout(this.silenceTimer);
      this.silenceTimer = null;
    }
    if (msg.type === "hello") {
      const reconnect = this.connectedOnce;
      this.connectedOnce = true;
      this.attempt = 0;
      this.setStatus("online");
      this.startHeartbeat();
      this.h.onHello && this.h.onHello(msg, reconnect);
      this.flushOutbox();
      return;
    }
    const id = msg.id;
    if (id !== undefined && id !== null && this.pending.has(id)) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (msg.type === "error") p.reject(Object.assign(new Error(sentence(msg.code, msg.message, msg.field)), { code: msg.code, detail: msg.message, field: msg.field, retryAfterMs: msg.retry_after_ms }));
      else p.resolve(msg);
      if (msg.type === "ack" || msg.type === "pong") return;
    }
    if (msg.type === "sent") this.outbox.delete(msg.nonce);
    this.h.onEvent && this.h.onEvent(msg);
  }

  failPending(reason) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(Object.assign(new Error(sentence(reason)), { code: reason }));
    }
    this.pending.clear();
  }

  /** Send a command without waiting for a reply. False when offline. */
  post(cmd) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== "online") return false;
    this.ws.send(JSON.stringify(cmd));
    return true;
  }

  /** Send a command and wait for the reply carrying its id. */
  request(cmd) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (!this.post({ ...cmd, id })) {
        reject(Object.assign(new Error(sentence("offline")), { code: "offline" }));
        return;
      }
      this.expectFrame();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(Object.assign(new Error(sentence("timeout")), { code: "timeout" }));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /**
   * Send a message. It stays in the outbox until the server confirms it (`sent`);
   * after a reconnect it is sent again with the same nonce, so it is stored once.
   */
  sendMessage(entry) {
    this.outbox.set(entry.nonce, entry);
    this.trySend(entry);
  }

  trySend(entry) {
    this.request({ type: "send", room: entry.room, nonce: entry.nonce, body: entry.body, reply_to: entry.reply_to || undefined })
      .catch((err) => {
        if (err.code === "disconnected" || err.code === "offline" || err.code === "timeout") return; // retried on reconnect
        // rate_limited too: the app decides (slow mode gives the text back; else it sends again).
        this.outbox.delete(entry.nonce);
        this.h.onSendFailed && this.h.onSendFailed(entry, err);
      });
  }

  flushOutbox() {
    for (const entry of this.outbox.values()) this.trySend(entry);
  }

  /** Forget an unsent message (the user discarded it). */
  discard(nonce) {
    this.outbox.delete(nonce);
  }
}
