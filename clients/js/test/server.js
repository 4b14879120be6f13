// The real chat-server binary for the tests: started on a free port with a temporary
// SQLite data directory, stopped (SIGTERM) and started again on the same port and
// data, as a deployment restarts it. The binary is $CHAT_SERVER_BIN (the cargo test
// that runs these tests sets it), else target/debug/chat-server.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { root } from "./typecheck.js";

function serverBin() {
  if (process.env.CHAT_SERVER_BIN) return process.env.CHAT_SERVER_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(root, "..", "..", "target");
  return join(target, "debug", "chat-server");
}

/** Whether a chat-server binary is there to test against. */
export const haveServer = existsSync(serverBin());

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class TestServer {
  /** @param {string[]} args extra flags (e.g. `--bench-limits`) */
  static async start(args = []) {
    const s = new TestServer(args, mkdtempSync(join(tmpdir(), "chatcore-js-")), await freePort());
    await s.start();
    return s;
  }

  constructor(args, dataDir, port) {
    this.args = args;
    this.dataDir = dataDir;
    this.port = port;
    this.child = null;
    this.log = "";
  }

  get base() {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/api/ws`;
  }

  async start() {
    const child = spawn(serverBin(), ["--port", String(this.port), "--data-dir", this.dataDir, ...this.args], {
      env: { ...process.env, RUST_LOG: "warn", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const keep = (d) => { this.log += d; };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`chat-server exited early:\n${this.log}`);
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/health`);
        if (r.ok) return;
      } catch {
        /* not yet */
      }
      await sleep(50);
    }
    throw new Error(`chat-server did not come up:\n${this.log}`);
  }

  /** SIGTERM (graceful: sockets close with 1001), wait for the exit. */
  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    const { code } = await this.exited;
    if (code !== 0) throw new Error(`chat-server exited with ${code} on SIGTERM:\n${this.log}`);
  }

  /** Stop, wait `downMs`, start again on the same port and data. */
  async restart(downMs = 300) {
    await this.stop();
    await sleep(downMs);
    await this.start();
  }

  async dispose() {
    try {
      await this.stop();
    } finally {
      if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
