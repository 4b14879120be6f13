// Shared by the tests that run against the real server.

import WebSocket from "ws";

import { ChatClient, RestClient } from "../src/index.js";

export const PASSWORD = "correct horse battery";

let users = 0;

/** Register a fresh user: `{rest, auth}` with a RestClient holding its token. */
export async function register(base, prefix = "user") {
  users += 1;
  const rest = new RestClient({ baseUrl: base });
  const auth = await rest.register({ username: `${prefix}${process.pid}x${users}`, password: PASSWORD });
  return { rest, auth };
}

/** A second session of the same user. */
export async function login(base, username) {
  const rest = new RestClient({ baseUrl: base });
  const auth = await rest.login({ username, password: PASSWORD });
  return { rest, auth };
}

/** A connected client (quick backoff, so that tests do not wait long). */
export function client(url, token, opts = {}) {
  const c = new ChatClient({ url, token, WebSocket, backoff: { initialMs: 100, maxMs: 1000 }, ...opts });
  c.states = [];
  c.on("state", (s) => c.states.push(s));
  c.connect();
  return c;
}

/** Wait until `cond()` holds (polling), or fail after `ms`: a guard against hangs. */
export async function until(cond, what, ms = 30000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every message of a room over REST, paging forward. */
export async function allMessages(rest, room) {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await rest.messages(room, { after, limit: 100 });
    out.push(...page.messages);
    if (!page.has_more || page.messages.length === 0) return out;
    after = page.messages[page.messages.length - 1].seq;
  }
}

/** Collect the text messages a client receives in a room. */
export function collect(c, room) {
  const got = [];
  c.on("message_created", (ev) => {
    if (ev.message.room_id === room && ev.message.kind === "text") got.push(ev.message);
  });
  return got;
}
