// A TCP proxy between a client and the server, to break connections on purpose:
// refuse new ones, cut the open ones, or cut a connection at the moment the server
// answers something (before the client gets the answer), or go silent.

import { createServer, connect } from "node:net";

export class Proxy {
  static async start(targetPort) {
    const p = new Proxy(targetPort);
    await new Promise((resolve) => p.server.listen(0, "127.0.0.1", resolve));
    p.port = p.server.address().port;
    return p;
  }

  constructor(targetPort) {
    this.targetPort = targetPort;
    this.refusing = false;
    /** When set: a server→client chunk containing this text cuts the connection instead. */
    this.cutOn = null;
    this.cuts = 0;
    /** When set: nothing passes either way and nothing is closed (a dead network). */
    this.silent = false;
    this.pairs = new Set();
    this.server = createServer((client) => this.#accept(client));
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/api/ws`;
  }

  #accept(client) {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (d) => {
      if (!this.silent) upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (this.silent) return;
      if (this.cutOn && d.toString("latin1").includes(this.cutOn)) {
        this.cutOn = null;
        this.cuts += 1;
        end();
        return;
      }
      client.write(d);
    });
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  }

  /** Cut every open connection (as a network failure would). */
  cutAll() {
    for (const { client, upstream } of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  close() {
    this.cutAll();
    return new Promise((resolve) => this.server.close(resolve));
  }
}
