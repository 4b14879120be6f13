// @chatcore/client: a client for the chatcore chat protocol (docs/PROTOCOL.md) and
// REST API (docs/API.md). ES modules, no dependencies; in Node 20 pass a WebSocket
// implementation (the `ws` package) as the `WebSocket` option.

export { ChatClient } from "./client.js";
export { RestClient, wsUrl } from "./rest.js";
export { ChatError } from "./errors.js";
export { Emitter } from "./emitter.js";
export { CloseCode, closeAction } from "./close-codes.js";
export { Backoff } from "./backoff.js";
export { SeqTracker } from "./seqs.js";
export { Outbox, newNonce } from "./outbox.js";
export { TypingThrottle } from "./typing.js";
export { HistoryPager, messagesAfter } from "./history.js";

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;
