// What the client does when the connection closes, per docs/PROTOCOL.md § 6.

/** The close codes of the protocol. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  SERVER_SHUTDOWN: 1001,
  ABNORMAL: 1006,
  PROTOCOL_ERROR: 1008,
  FRAME_TOO_LARGE: 1009,
  INTERNAL_ERROR: 1011,
  UNAUTHENTICATED: 4001,
  SESSION_REVOKED: 4002,
  ACCOUNT_DELETED: 4003,
  ACCOUNT_SUSPENDED: 4004,
  SLOW_CONSUMER: 4008,
  HEARTBEAT_TIMEOUT: 4009,
  RATE_LIMITED: 4029,
});

const STOP = {
  4001: "unauthenticated", // log in again
  4002: "session_revoked", // log in again
  4003: "account_deleted", // stop
  4004: "account_suspended", // stop (a site administrator suspended the account)
  1008: "protocol_error", // a bug in the client: retrying would repeat it
  1009: "frame_too_large",
};

const RECONNECT = {
  1001: "server_shutdown",
  1011: "internal_error",
  4008: "slow_consumer",
  4009: "heartbeat_timeout",
  4029: "rate_limited",
};

/**
 * @param {number} code the WebSocket close code
 * @returns {{reconnect: boolean, reason: string, minDelayMs: number}}
 */
export function closeAction(code) {
  if (code in STOP) return { reconnect: false, reason: STOP[code], minDelayMs: 0 };
  const reason = RECONNECT[code] || "connection_lost";
  // Too many commands or connections: come back slowly.
  const minDelayMs = code === CloseCode.RATE_LIMITED ? 5000 : 0;
  return { reconnect: true, reason, minDelayMs };
}
