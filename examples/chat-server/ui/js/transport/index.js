// The transport layer: the only code that speaks HTTP (api.js) and WebSocket
// (live.js). The rest of the UI uses this small interface, so that a client library
// can replace what is behind it without touching state, events or components.
//
//   Api.*(...)                REST calls, resolve with JSON, reject with ApiError
//   fileUrl(id), listOf(...)  helpers for REST answers
//   connection.start(h)       open the live connection; `h` receives
//                             onHello(hello, isReconnect), onEvent(event),
//                             onStatus("connecting" | "online" | "offline"),
//                             onAuthLost(closeCode), onSendFailed(entry, error)
//   connection.stop()         close it (logout)
//   connection.request(cmd)   a command; resolves with the reply carrying its id
//   connection.post(cmd)      a command without reply (typing); false when offline
//   connection.send(entry)    a message {room, nonce, body, reply_to}: kept and sent
//                             again after reconnects until the server confirms it
//   connection.discard(nonce) forget an unconfirmed message
//   connection.online         whether commands can go out now

import { Live } from "./live.js";

export { Api, ApiError, fileUrl, listOf } from "./api.js";

let live = null;

export const connection = {
  start(handlers) {
    if (live) live.stop();
    live = new Live(handlers);
    live.start();
  },
  stop() {
    if (live) live.stop();
    live = null;
  },
  request(cmd) {
    if (!live) return Promise.reject(Object.assign(new Error("You are offline"), { code: "offline" }));
    return live.request(cmd);
  },
  post(cmd) {
    return live ? live.post(cmd) : false;
  },
  send(entry) {
    if (live) live.sendMessage(entry);
  },
  discard(nonce) {
    if (live) live.discard(nonce);
  },
  get started() {
    return !!live;
  },
  get online() {
    return !!live && live.status === "online";
  },
};
