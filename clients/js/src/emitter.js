// A minimal event emitter: `on` returns the function that removes the listener. A
// listener that throws does not disturb the client; the error is reported (in
// browsers as an uncaught error in the console, in Node as an uncaught exception).

const report = typeof globalThis.reportError === "function"
  ? (err) => globalThis.reportError(err)
  : (err) => setTimeout(() => { throw err; }, 0);

export class Emitter {
  #handlers = new Map();

  on(type, fn) {
    let set = this.#handlers.get(type);
    if (!set) {
      set = new Set();
      this.#handlers.set(type, set);
    }
    set.add(fn);
    return () => this.off(type, fn);
  }

  once(type, fn) {
    const off = this.on(type, (value) => {
      off();
      fn(value);
    });
    return off;
  }

  off(type, fn) {
    this.#handlers.get(type)?.delete(fn);
  }

  emit(type, value) {
    const set = this.#handlers.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch (err) {
        report(err);
      }
    }
  }
}
