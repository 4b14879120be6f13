// REST routes of reactions, pins and search (issue 17). The live commands (`react`,
// `unreact`, `pin`, `unpin`) go over the connection when it is online; these are the
// fallbacks and the reads.

import { api } from "./index.js";

const enc = encodeURIComponent;

function query(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const qs = p.toString();
  return qs ? "?" + qs : "";
}

export const FeaturesApi = {
  react: (messageId, emoji) => api("PUT", `/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  unreact: (messageId, emoji) => api("DELETE", `/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  pins: (roomId) => api("GET", `/rooms/${enc(roomId)}/pins`),
  pin: (messageId) => api("PUT", `/messages/${enc(messageId)}/pin`),
  unpin: (messageId) => api("DELETE", `/messages/${enc(messageId)}/pin`),
  /** `{q, room?, author?, since?, until?, offset?, limit?}` → SearchPage `{hits, has_more}`. */
  search: (q) => api("GET", `/search${query(q)}`),
};

/** A thread reply over REST (offline fallback of the WebSocket `send`). */
FeaturesApi.sendReply = (roomId, b) => api("POST", `/rooms/${enc(roomId)}/messages`, b);
