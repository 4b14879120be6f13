// Site administration, as the admin page sees it: whether I am a site administrator
// (the server is the judge: `GET /admin/users` answers 403 to everyone else), and the
// lists of the page (users, rooms, reports of every room, the audit log) with the
// actions on them. Every rule is the server's; this module only calls `/admin/*`
// and `/reports/{id}/resolve`.

import { signal } from "@preact/signals-core";
import { api } from "../transport/index.js";
import { rememberUser } from "./store.js";

const enc = encodeURIComponent;
/** One page of each list (the server's maximum is 200). */
const PAGE = 200;

/** null: not asked yet (for the signed-in user); then whether I am a site administrator. */
export const isSiteAdmin = signal(null);
/** The user the answer is for: another sign-in asks again. */
let askedFor = null;

/** Ask the server, once per signed-in user. */
export async function probeSiteAdmin(userId) {
  if (askedFor === userId) return isSiteAdmin.peek();
  askedFor = userId;
  isSiteAdmin.value = null;
  let admin = false;
  try {
    await api("GET", "/admin/users?limit=1");
    admin = true;
  } catch {
    // 403 for everyone else; after another failure the page stays hidden until the next sign-in.
  }
  if (askedFor === userId) isSiteAdmin.value = admin;
  return admin;
}

const list = (v) => (Array.isArray(v) ? v : []);

export async function adminUsers() {
  const users = list(await api("GET", `/admin/users?limit=${PAGE}`));
  // Each is the user's public view with `admin_since` and `suspended_at` beside it.
  for (const u of users) rememberUser(u);
  return users;
}

export const suspendUser = (id) => api("POST", `/admin/users/${enc(id)}/suspend`);
export const unsuspendUser = (id) => api("POST", `/admin/users/${enc(id)}/unsuspend`);

export async function adminRooms() {
  return list(await api("GET", `/admin/rooms?limit=${PAGE}`));
}

/** A room's members (private rooms too: members, never messages). */
export async function adminRoomMembers(id) {
  const members = list(await api("GET", `/admin/rooms/${enc(id)}/members`));
  for (const m of members) rememberUser(m.user);
  return members;
}

export const deleteAnyRoom = (id) => api("DELETE", `/admin/rooms/${enc(id)}`);

/** The reports of every room, newest first; `open`: only the unresolved ones. */
export async function adminReports(open = true) {
  return list(await api("GET", `/admin/reports?open=${open}&limit=100`)); // the moderation pages hold 100 at most
}

export const resolveReport = (id, resolution, reason = "") =>
  api("POST", `/reports/${enc(id)}/resolve`, { resolution, reason });

/** The site audit log, newest first. */
export async function adminAudit() {
  return list(await api("GET", `/admin/audit?limit=${PAGE}`));
}
