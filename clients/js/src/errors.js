// The one error type of the client: a server `error` event, a REST error body, or a
// failure of the client itself (timeout, disconnected, closed, too_large).

export class ChatError extends Error {
  /**
   * @param {string} code a stable code: one of docs/PROTOCOL.md § 7, or `timeout`,
   *   `disconnected`, `closed`, `network`, or a close reason (`session_revoked`…)
   * @param {string} [message]
   * @param {{status?: number, field?: string, retryAfterMs?: number, closeCode?: number, written?: boolean}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = "ChatError";
    this.code = code;
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) this[k] = v;
  }
}

/** The error carried by a server `error` event. */
export function errorFromEvent(ev) {
  return new ChatError(ev.code, ev.message, { field: ev.field, retryAfterMs: ev.retry_after_ms });
}
