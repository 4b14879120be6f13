// The REST client. Authentication is the HttpOnly session cookie set by login and
// register; unsafe requests carry `X-Requested-With`, which a cross-site page cannot
// add without a CORS preflight (the API's CSRF defence, see docs/API.md).

import { sentence } from "../errors.js";

export const API_BASE = "/api";

/**
 * An error answered by the API: `{"error":{"code","message","field"?}}`. `message` is
 * a sentence for people (errors.js); the server's text stays in `detail`.
 */
export class ApiError extends Error {
  constructor(status, code, detail, field = null, retryAfterMs = null) {
    super(sentence(code || "http_" + status, detail, field));
    this.status = status;
    this.code = code || "http_" + status;
    this.detail = detail || "";
    this.field = field;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Call the API; resolves with the parsed JSON body (or null), rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") {
    headers["x-requested-with"] = "chatcore";
  }
  let payload;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API_BASE + path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network");
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    // The session ended (expired, revoked elsewhere): let the app ask for a login.
    // (A wrong password given to confirm a change is not a lost session.)
    if (res.status === 401 && !path.startsWith("/auth/") && !/wrong password/.test(err.message || "")) window.dispatchEvent(new CustomEvent("chatcore:unauthenticated"));
    throw new ApiError(res.status, err.code, err.message || res.statusText, err.field || null, err.retry_after_ms || null);
  }
  return data;
}

/** POST a multipart form (a file upload); same answers as `api`. */
export async function upload(path, file, fields = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== "") form.append(k, String(v));
  form.append("file", file, file.name || "file");
  let res;
  try {
    res = await fetch(API_BASE + path, {
      method: "POST", body: form, credentials: "same-origin",
      headers: { accept: "application/json", "x-requested-with": "chatcore" },
    });
  } catch {
    throw new ApiError(0, "network");
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(res.status, err.code, err.message || res.statusText, err.field || null, err.retry_after_ms || null);
  }
  return data;
}

/** The URL of an uploaded file (an attachment's `blob_id`). */
export function fileUrl(id) {
  return `${API_BASE}/files/${encodeURIComponent(id)}`;
}

const enc = encodeURIComponent;

/** Typed wrappers for every route the UI uses. */
export const Api = {
  register: (b) => api("POST", "/auth/register", b),
  login: (b) => api("POST", "/auth/login", b),
  logout: () => api("POST", "/auth/logout"),
  me: () => api("GET", "/me"),
  updateMe: (b) => api("PATCH", "/me", b),
  userByName: (name) => api("GET", `/users/by-name/${enc(name)}`),
  user: (id) => api("GET", `/users/${enc(id)}`),
  publicRooms: (after) => api("GET", after ? `/rooms?limit=50&after_name=${enc(after.name)}&after_id=${enc(after.id)}` : "/rooms?limit=50"),
  myRooms: () => api("GET", "/me/rooms"),
  createRoom: (b) => api("POST", "/rooms", b),
  room: (id) => api("GET", `/rooms/${enc(id)}`),
  updateRoom: (id, b) => api("PATCH", `/rooms/${enc(id)}`, b),
  deleteRoom: (id) => api("DELETE", `/rooms/${enc(id)}`),
  join: (id, password) => api("POST", `/rooms/${enc(id)}/join`, password ? { password } : {}),
  joinByCode: (code, password) => api("POST", "/rooms/join-by-code", password ? { code, password } : { code }),
  leave: (id) => api("POST", `/rooms/${enc(id)}/leave`),
  members: (id) => api("GET", `/rooms/${enc(id)}/members`),
  code: (id) => api("GET", `/rooms/${enc(id)}/code`),
  rotateCode: (id) => api("POST", `/rooms/${enc(id)}/code/rotate`),
  transfer: (id, userId) => api("POST", `/rooms/${enc(id)}/transfer`, { user_id: userId }),
  setRole: (id, userId, role) => api("PUT", `/rooms/${enc(id)}/members/${enc(userId)}/role`, { role }),
  kick: (id, userId) => api("POST", `/rooms/${enc(id)}/members/${enc(userId)}/kick`),
  ban: (id, userId, reason, expiresAt) => api("POST", `/rooms/${enc(id)}/bans`, { user_id: userId, reason, expires_at: expiresAt || null }),
  bans: (id) => api("GET", `/rooms/${enc(id)}/bans`),
  unban: (id, userId) => api("DELETE", `/rooms/${enc(id)}/bans/${enc(userId)}`),
  messages: (id, q = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) p.set(k, String(v));
    const qs = p.toString();
    return api("GET", `/rooms/${enc(id)}/messages${qs ? "?" + qs : ""}`);
  },
  editMessage: (id, body) => api("PATCH", `/messages/${enc(id)}`, { body }),
  deleteMessage: (id) => api("DELETE", `/messages/${enc(id)}`),
  openDirect: (username) => api("POST", "/direct", { username }),
  directs: () => api("GET", "/direct"),
  uploadAvatar: (file) => upload("/me/avatar", file),
  uploadRoomAvatar: (id, file) => upload(`/rooms/${enc(id)}/avatar`, file),
  sendFile: (id, file, fields) => upload(`/rooms/${enc(id)}/files`, file, fields),
  verifyEmail: (token) => api("POST", "/auth/verify-email", { token }),
  requestVerification: () => api("POST", "/me/verify-email"),
  requestReset: (email) => api("POST", "/auth/password-reset/request", { email }),
  resetPassword: (token, password) => api("POST", "/auth/password-reset", { token, password }),
  sessions: () => api("GET", "/auth/sessions"),
  endSession: (id) => api("DELETE", `/auth/sessions/${enc(id)}`),
  logoutAll: () => api("POST", "/auth/logout-all"),
  changePassword: (old, next) => api("POST", "/me/password", { old, new: next }),
  deleteAccount: (password) => api("DELETE", "/me", password ? { password } : {}),
  invite: (id, userId) => api("POST", `/rooms/${enc(id)}/invites`, { user_id: userId }),
  invites: () => api("GET", "/me/invites"),
  declineInvite: (roomId) => api("DELETE", `/me/invites/${enc(roomId)}`),
};

/** Lists may come bare or wrapped (`{rooms: [...]}`, `{items: [...]}`). */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}
