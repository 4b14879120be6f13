// Exponential backoff with jitter: attempt n waits a random time between
// (1 - jitter) * base and base, where base = min(maxMs, initialMs * factor^n). The
// jitter spreads a crowd of clients that lost the same server (a restart) over time.

export class Backoff {
  #attempt = 0;

  constructor({ initialMs = 500, maxMs = 30000, factor = 2, jitter = 0.5, random = Math.random } = {}) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.jitter = Math.min(1, Math.max(0, jitter));
    this.random = random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt() {
    return this.#attempt;
  }

  /** The delay before the next attempt, in milliseconds. */
  next() {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  reset() {
    this.#attempt = 0;
  }
}
