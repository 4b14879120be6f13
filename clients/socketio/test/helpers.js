// Shared by the Socket.IO tests: the REST calls they need and socket.io-client
// sockets that record every event they get.

import { io } from "socket.io-client";

export const PASSWORD = "correct horse battery";

let users = 0;

/** A JSON call to the chatcore API at `base` (bearer `token` if given). */
export async function api(base, method, path, token, body) {
  const headers = { "content-type": "application/json", "x-requested-with": "test" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  const json = text ? JSON.parse(text) : null;
  if (json && typeof json === "object") Object.defineProperty(json, "setCookie", { value: r.headers.get("set-cookie") });
  return json;
}

/** Register a fresh user: `{user, token, setCookie}`. */
export async function register(base, prefix = "sio") {
  users += 1;
  return api(base, "POST", "/auth/register", null, { username: `${prefix}${process.pid}x${users}`, password: PASSWORD });
}

/** A socket.io-client socket to the server at `port` that records its events. */
export function socket(port, opts = {}) {
  const s = io(`http://127.0.0.1:${port}`, {
    transports: ["websocket"],
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    ...opts,
  });
  s.events = [];
  s.onAny((name, data) => s.events.push({ name, data }));
  return s;
}

/** The events named `name` a socket got, optionally those matching `pred`. */
export const got = (s, name, pred = () => true) => s.events.filter((e) => e.name === name && pred(e.data)).map((e) => e.data);

/** Wait until the socket is connected and has its `hello`. */
export async function ready(s) {
  await until(() => s.connected && got(s, "hello").length > 0, "connected with a hello");
  return got(s, "hello").at(-1);
}

/** The `connect_error` a socket gets. */
export function refusal(s) {
  return new Promise((resolve) => s.once("connect_error", (e) => resolve(e)));
}

/** Wait until `cond()` holds (polling), or fail after `ms`: a guard against hangs. */
export async function until(cond, what, ms = 15000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
