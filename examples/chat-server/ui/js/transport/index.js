// The transport layer: the TypeScript client of `clients/js` (served as-is under
// /js/chatcore/, `@chatcore/client` in the import map) behind the small interface the
// UI uses. Reconnect with backoff, resume by seq, the send queue with nonces, replies
// by id, the typing throttle and the REST calls are the client's; this file only
// names the routes the way the UI calls them, gives errors a sentence for people
// (errors.js), and wires the browser's `online`/`offline` events.
//
//   Api.*(...)                REST calls, resolve with JSON, reject with ApiError
//   api(method, path, body)   any other route
//   fileUrl(id), listOf(...)  helpers for REST answers
//   newNonce()                a nonce for an idempotent send or upload
//   connection.start(h)       open the live connection; `h` receives
//                             onHello(hello, isReconnect), onEvent(event),
//                             onStatus("connecting" | "online" | "offline"),
//                             onAuthLost(closeCode), onSendFailed(entry, error),
//                             onSendDelayed(entry, error) (rate limited: true takes
//                             the message back, else the client sends it later)
//   connection.stop()         close it (logout)
//   connection.request(cmd)   a command; resolves with its reply
//   connection.post(cmd)      a command whose answer nobody waits for; false when offline
//   connection.send(entry)    a message {room, nonce, body, reply_to}: delivered once,
//                             across reconnects
//   connection.discard(nonce) forget an unconfirmed message
//   connection.typing(room), connection.stopTyping(room)   throttled typing state
//   connection.track(room, seq)  a room of the room list, whose last message is `seq`:
//                             unless the client has its own resume point for it, a
//                             resume after a (re)connect replays what follows
//   connection.online         whether commands can go out now

import { ChatClient, ChatError, RestClient, newNonce, wsUrl } from "@chatcore/client";
import { sentence } from "../errors.js";

export { FeaturesApi } from "./features.js";
export { newNonce };

export const API_BASE = "/api";

/** Every error of the API or the connection (`status`, `code`, `field`, `retryAfterMs`). */
export const ApiError = ChatError;

/** Give a client error a sentence for people as its message; the server's text goes to `detail`. */
function forPeople(err) {
  if (!(err instanceof ChatError) || err.detail !== undefined) return err;
  err.detail = err.message === err.code ? "" : err.message;
  err.message = sentence(err.code, err.detail, err.field);
  return err;
}

/** The REST client of the UI: the cookie session; errors get sentences. */
class UiRest extends RestClient {
  async call(method, path, body) {
    try {
      return await super.call(method, path, body);
    } catch (err) {
      // The session ended (expired, revoked elsewhere): let the app ask for a login.
      // (A wrong password given to confirm a change is not a lost session.)
      if (err.status === 401 && !path.startsWith("/auth/") && !/wrong password/.test(err.message || "")) {
        window.dispatchEvent(new CustomEvent("chatcore:unauthenticated"));
      }
      throw forPeople(err);
    }
  }
}

const rest = new UiRest({ baseUrl: API_BASE });

/** Call any route; resolves with the parsed JSON body (or null), rejects with ApiError. */
export const api = (method, path, body) => rest.call(method, path, body);

/** The routes the UI uses, as it calls them. */
export const Api = {
  register: (b) => rest.register(b),
  login: (b) => rest.login(b),
  logout: () => rest.logout(),
  me: () => rest.me(),
  updateMe: (b) => rest.updateMe(b),
  userByName: (name) => rest.userByName(name),
  user: (id) => rest.user(id),
  publicRooms: (after) => rest.publicRooms(after ? { limit: 50, after_name: after.name, after_id: after.id } : { limit: 50 }),
  myRooms: () => rest.myRooms(),
  createRoom: (b) => rest.createRoom(b),
  room: (id) => rest.room(id),
  updateRoom: (id, b) => rest.updateRoom(id, b),
  deleteRoom: (id) => rest.deleteRoom(id),
  join: (id, password) => rest.joinRoom(id, password ? { password } : {}),
  joinByCode: (code, password) => rest.joinByCode(password ? { code, password } : { code }),
  leave: (id) => rest.leaveRoom(id),
  members: (id) => rest.members(id),
  code: (id) => rest.code(id),
  rotateCode: (id) => rest.rotateCode(id),
  transfer: (id, userId) => rest.transfer(id, userId),
  setRole: (id, userId, role) => rest.setRole(id, userId, role),
  kick: (id, userId) => rest.kick(id, userId),
  ban: (id, userId, reason, expiresAt) => rest.ban(id, { user_id: userId, reason, expires_at: expiresAt || null }),
  bans: (id) => rest.bans(id),
  unban: (id, userId) => rest.unban(id, userId),
  messages: (id, q = {}) => rest.messages(id, q),
  editMessage: (id, body) => rest.editMessage(id, body),
  deleteMessage: (id) => rest.deleteMessage(id),
  openDirect: (username) => rest.openDirect({ username }),
  directs: () => rest.directs(),
  uploadAvatar: (file) => rest.uploadAvatar(file),
  uploadRoomAvatar: (id, file) => rest.uploadRoomAvatar(id, file),
  sendFile: (id, file, { caption, nonce, reply_to: replyTo } = {}) => rest.sendFile(id, file, { caption, nonce, replyTo }),
  verifyEmail: (token) => rest.verifyEmail(token),
  requestVerification: () => rest.requestVerification(),
  requestReset: (email) => rest.requestPasswordReset(email),
  resetPassword: (token, password) => rest.resetPassword({ token, password }),
  sessions: () => rest.sessions(),
  endSession: (id) => rest.revokeSession(id),
  logoutAll: () => rest.logoutAll(),
  changePassword: (old, next) => rest.changePassword({ old, new: next }),
  deleteAccount: (password) => rest.deleteMe(password ? { password } : {}),
  invite: (id, userId) => rest.invite(id, userId),
  invites: () => rest.invites(),
  declineInvite: (roomId) => rest.declineInvite(roomId),
  markRead: (id, seq) => api("POST", `/rooms/${enc(id)}/read`, { seq }),
  receipts: (id) => api("GET", `/rooms/${enc(id)}/receipts`),
  readSettings: () => api("GET", "/me/read-settings"),
  setReadSettings: (b) => api("PUT", "/me/read-settings", b),
  setNotifications: (id, level) => api("PUT", `/rooms/${enc(id)}/notifications`, { level }),
  report: (messageId, reason) => api("POST", `/messages/${enc(messageId)}/report`, { reason }),
  reports: (roomId) => api("GET", `/rooms/${enc(roomId)}/reports`),
  resolveReport: (id, resolution, reason = "") => api("POST", `/reports/${enc(id)}/resolve`, { resolution, reason }),
  timeout: (roomId, userId, secs, reason) => api("PUT", `/rooms/${enc(roomId)}/members/${enc(userId)}/timeout`, { duration_secs: secs, reason }),
  blocks: () => api("GET", "/me/blocks"),
  block: (userId) => api("POST", `/me/blocks/${enc(userId)}`),
  unblock: (userId) => api("DELETE", `/me/blocks/${enc(userId)}`),
};

const enc = encodeURIComponent;

/** The URL of an uploaded file (an attachment's `blob_id`). */
export const fileUrl = (id) => rest.fileUrl(id);

/** Lists may come bare or wrapped (`{rooms: [...]}`, `{items: [...]}`). */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

// ---- the live connection --------------------------------------------------------

/** Close codes after which the client stops: the app asks for a login or says why. */
const AUTH_LOST = new Set([4001, 4002, 4003, 4004]);

/** The session still valid? (Browsers cannot see a refused upgrade's 401.) */
const plainRest = new RestClient({ baseUrl: API_BASE });
const sessionValid = () => plainRest.me().then(() => true, (err) => err.status !== 401);

let client = null;
let handlers = null;
let unlisten = [];
/** Resume points given before the connection exists (the first room list). */
let floors = {};

const statusOf = { connecting: "connecting", open: "online", reconnecting: "offline", closed: "offline", idle: "offline" };

export const connection = {
  start(h) {
    connection.stop();
    handlers = h;
    const c = new ChatClient({ url: wsUrl(API_BASE), resumeFrom: floors, checkAuth: sessionValid });
    floors = {};
    client = c;
    const on = (type, fn) => unlisten.push(c.on(type, fn));
    on("state", (s) => {
      if (c !== client) return;
      h.onStatus && h.onStatus(statusOf[s.state] || "offline");
      if (s.state === "closed" && AUTH_LOST.has(s.code)) h.onAuthLost && h.onAuthLost(s.code);
    });
    on("hello", ({ hello, reconnected }) => h.onHello && h.onHello(hello, reconnected));
    on("event", (ev) => h.onEvent && h.onEvent(ev));
    on("send_retry", ({ nonce, room, body, error }) => {
      if (h.onSendDelayed && h.onSendDelayed({ nonce, room, body }, forPeople(error))) c.outbox.discard(nonce);
    });
    // The browser knows it has no network: say so now, not after a timeout; and try
    // again at once when it is back.
    const offline = () => c.reconnect();
    const online = () => { if (c.state !== "open") c.reconnect(); };
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    unlisten.push(() => window.removeEventListener("offline", offline), () => window.removeEventListener("online", online));
    c.connect();
  },
  stop() {
    for (const off of unlisten) off();
    unlisten = [];
    const c = client;
    client = null;
    handlers = null;
    if (c) c.close();
  },
  request(cmd) {
    if (!client) return Promise.reject(forPeople(new ChatError("offline", "not connected")));
    return client.request(cmd).catch((err) => { throw forPeople(err); });
  },
  post(cmd) {
    if (!connection.online) return false;
    client.request(cmd).catch(() => {});
    return true;
  },
  send(entry) {
    if (!client) return;
    const h = handlers;
    client.send(entry.room, entry.body, { replyTo: entry.reply_to || null, nonce: entry.nonce }).catch((err) => {
      if (err.code === "discarded" || err.code === "closed" || !h || !h.onSendFailed) return;
      h.onSendFailed(entry, forPeople(err));
    });
  },
  discard(nonce) {
    if (client) client.outbox.discard(nonce);
  },
  typing(room) {
    if (client) client.typing(room);
  },
  stopTyping(room) {
    if (client) client.stopTyping(room);
  },
  track(room, seq) {
    if (!Number.isSafeInteger(seq) || seq < 0) return;
    if (client) {
      if (!client.seqs.has(room)) client.seqs.setFloor(room, seq);
    } else if (!(room in floors)) floors[room] = seq;
  },
  get started() {
    return !!client;
  },
  get online() {
    return !!client && client.state === "open";
  },
};
