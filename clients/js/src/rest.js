// The REST API (docs/API.md) over fetch. Authenticated by a bearer token when one is
// set (`token` option, or adopted from login/register), else by the browser's session
// cookie. Unsafe requests always carry `X-Requested-With` (the API's CSRF defence for
// cookie sessions; harmless with a token). Errors reject with ChatError (`status`,
// `code`, `field`, `retryAfterMs`), network failures with code `network`.

import { ChatError } from "./errors.js";

const enc = encodeURIComponent;

/** The WebSocket URL of an API base URL (`http://host/api` → `ws://host/api/ws`). */
export function wsUrl(baseUrl) {
  const u = new URL(baseUrl.replace(/\/+$/, "") + "/ws", globalThis.location?.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

function query(q = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export class RestClient {
  /**
   * @param {{baseUrl?: string, token?: string | null, fetch?: typeof fetch, credentials?: RequestCredentials, adoptToken?: boolean}} [opts]
   *   `baseUrl`: where the API is mounted (default `/api`); `adoptToken`: keep the
   *   token of login/register for later calls (default true when no token was given
   *   and not in a browser page).
   */
  constructor({ baseUrl = "/api", token = null, fetch: fetchImpl, credentials = "same-origin", adoptToken } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.fetch = fetchImpl || globalThis.fetch.bind(globalThis);
    this.credentials = credentials;
    this.adoptToken = adoptToken ?? (token === null && typeof globalThis.document === "undefined");
  }

  /** The URL of a path of the API. */
  url(path) {
    return this.baseUrl + path;
  }

  /** Call the API: the parsed JSON body (null for 204), or a ChatError. */
  async call(method, path, body) {
    const headers = { accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["x-requested-with"] = "chatcore";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let res;
    try {
      res = await this.fetch(this.url(path), { method, headers, body: payload, credentials: this.credentials });
    } catch (err) {
      throw new ChatError("network", `cannot reach the server: ${err && err.message ? err.message : err}`);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new ChatError(e.code || `http_${res.status}`, e.message || res.statusText, {
        status: res.status,
        field: e.field,
        retryAfterMs: e.retry_after_ms,
      });
    }
    return data;
  }

  #session(promise) {
    return promise.then((auth) => {
      if (this.adoptToken && auth && auth.token) this.token = auth.token;
      return auth;
    });
  }

  // --- accounts and sessions
  register(body) { return this.#session(this.call("POST", "/auth/register", body)); }
  login(body) { return this.#session(this.call("POST", "/auth/login", body)); }
  logout() { return this.call("POST", "/auth/logout"); }
  logoutAll() { return this.call("POST", "/auth/logout-all"); }
  sessions() { return this.call("GET", "/auth/sessions"); }
  revokeSession(id) { return this.call("DELETE", `/auth/sessions/${enc(id)}`); }
  me() { return this.call("GET", "/me"); }
  updateMe(body) { return this.call("PATCH", "/me", body); }
  deleteMe(body = {}) { return this.call("DELETE", "/me", body); }
  changePassword(body) { return this.call("POST", "/me/password", body); }
  requestVerification() { return this.call("POST", "/me/verify-email"); }
  verifyEmail(token) { return this.call("POST", "/auth/verify-email", { token }); }
  requestPasswordReset(email) { return this.call("POST", "/auth/password-reset/request", { email }); }
  resetPassword(body) { return this.call("POST", "/auth/password-reset", body); }
  user(id) { return this.call("GET", `/users/${enc(id)}`); }
  userByName(username) { return this.call("GET", `/users/by-name/${enc(username)}`); }

  // --- rooms and members
  publicRooms(q = {}) { return this.call("GET", `/rooms${query(q)}`); }
  myRooms() { return this.call("GET", "/me/rooms"); }
  createRoom(body) { return this.call("POST", "/rooms", body); }
  room(id) { return this.call("GET", `/rooms/${enc(id)}`); }
  updateRoom(id, body) { return this.call("PATCH", `/rooms/${enc(id)}`, body); }
  deleteRoom(id) { return this.call("DELETE", `/rooms/${enc(id)}`); }
  joinRoom(id, body = {}) { return this.call("POST", `/rooms/${enc(id)}/join`, body); }
  joinByCode(body) { return this.call("POST", "/rooms/join-by-code", body); }
  leaveRoom(id) { return this.call("POST", `/rooms/${enc(id)}/leave`); }
  members(id) { return this.call("GET", `/rooms/${enc(id)}/members`); }
  code(id) { return this.call("GET", `/rooms/${enc(id)}/code`); }
  rotateCode(id) { return this.call("POST", `/rooms/${enc(id)}/code/rotate`); }
  transfer(id, userId) { return this.call("POST", `/rooms/${enc(id)}/transfer`, { user_id: userId }); }
  invite(id, userId) { return this.call("POST", `/rooms/${enc(id)}/invites`, { user_id: userId }); }
  invites() { return this.call("GET", "/me/invites"); }
  declineInvite(roomId) { return this.call("DELETE", `/me/invites/${enc(roomId)}`); }
  setRole(id, userId, role) { return this.call("PUT", `/rooms/${enc(id)}/members/${enc(userId)}/role`, { role }); }
  kick(id, userId) { return this.call("POST", `/rooms/${enc(id)}/members/${enc(userId)}/kick`); }
  ban(id, body) { return this.call("POST", `/rooms/${enc(id)}/bans`, body); }
  bans(id) { return this.call("GET", `/rooms/${enc(id)}/bans`); }
  unban(id, userId) { return this.call("DELETE", `/rooms/${enc(id)}/bans/${enc(userId)}`); }

  // --- messages, direct rooms, files
  messages(id, q = {}) { return this.call("GET", `/rooms/${enc(id)}/messages${query(q)}`); }
  postMessage(id, body) { return this.call("POST", `/rooms/${enc(id)}/messages`, body); }
  editMessage(messageId, body) { return this.call("PATCH", `/messages/${enc(messageId)}`, { body }); }
  deleteMessage(messageId) { return this.call("DELETE", `/messages/${enc(messageId)}`); }
  openDirect(body) { return this.call("POST", "/direct", body); }
  directs() { return this.call("GET", "/direct"); }

  /** Upload an image or file message (multipart): `file` is a Blob (a File in browsers). */
  sendFile(roomId, file, { caption, nonce, replyTo, threadRoot, alsoInRoom, name } = {}) {
    const form = new FormData();
    if (caption) form.append("caption", caption);
    if (nonce) form.append("nonce", nonce);
    if (replyTo) form.append("reply_to", replyTo);
    if (threadRoot) form.append("thread_root", threadRoot);
    if (threadRoot && alsoInRoom) form.append("also_in_room", "true");
    form.append("file", file, name || file.name || "file");
    return this.call("POST", `/rooms/${enc(roomId)}/files`, form);
  }

  uploadAvatar(file, name) {
    const form = new FormData();
    form.append("file", file, name || file.name || "avatar");
    return this.call("POST", "/me/avatar", form);
  }

  uploadRoomAvatar(roomId, file, name) {
    const form = new FormData();
    form.append("file", file, name || file.name || "avatar");
    return this.call("POST", `/rooms/${enc(roomId)}/avatar`, form);
  }

  /** The URL of an uploaded file (an attachment's `blob_id`), for `<img src>` with cookies. */
  fileUrl(id) {
    return this.url(`/files/${enc(id)}`);
  }

  /** Download a file's bytes (with the bearer token, when one is set). */
  async fetchFile(id) {
    const headers = this.token ? { authorization: `Bearer ${this.token}` } : {};
    const res = await this.fetch(this.fileUrl(id), { headers, credentials: this.credentials });
    if (!res.ok) throw new ChatError(res.status === 404 ? "not_found" : `http_${res.status}`, res.statusText, { status: res.status });
    return res.blob();
  }
}
