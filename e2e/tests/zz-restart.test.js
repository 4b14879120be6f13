// The server restart scenario, in a file of its own that sorts last: it stops the
// server e2e/run.sh started (and stops its successor itself), so every other file
// must have run before it. Run through e2e/run.sh, which sets CHAT_SERVER_PID & co.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BASE, suffix, launch, person as newPerson, register, messages, send,
} from "../support/browser.js";

const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

/** A user in their own browser context; collects page errors to fail on them. */
const person = (viewport) => newPerson(browser, viewport);

test("survives a server restart: reconnects by itself, resumes, keeps history", {
  skip: !process.env.CHAT_SERVER_PID || !process.env.CHAT_SERVER_EXE ? "needs the server started by e2e/run.sh" : false,
}, async (t) => {
  const { spawn } = await import("node:child_process");
  const { openSync } = await import("node:fs");
  const a = await person();
  const b = await person();
  const erin = { username: `erin_${suffix}`, display: "Erin Lopez" };
  const frank = { username: `frank_${suffix}`, display: "Frank Moss" };
  const roomName = `restart-${suffix}`;
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  const waitFor = async (cond, what, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  let next = null;

  await t.test("setup: a room with two members", async () => {
    await register(a.page, erin);
    await register(b.page, frank);
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("room-name").fill(roomName);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    await browse.getByTestId("browse-item").filter({ hasText: roomName }).getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    // As in the other scenarios: the joined room is open before Erin writes.
    await b.page.getByTestId("room-title").filter({ hasText: roomName }).waitFor();
    await send(a.page, "before the restart");
    await messages(b.page, "before the restart").waitFor();
  });

  await t.test("SIGTERM: the server stops cleanly and the pages notice", async () => {
    const pid = Number(process.env.CHAT_SERVER_PID);
    process.kill(pid, "SIGTERM");
    await waitFor(() => !alive(pid), "the server to exit");
    await a.page.getByTestId("connection").filter({ hasText: /Reconnecting|Connecting/ }).waitFor();
    await b.page.getByTestId("connection").filter({ hasText: /Reconnecting|Connecting/ }).waitFor();
    // Written while the server is down: kept in the outbox.
    await send(a.page, "sent during the outage");
    await a.page.getByTestId("pending-message").waitFor();
  });

  await t.test("a new server on the same data: both reconnect and nothing is lost or doubled", async () => {
    const log = openSync(`${ARTIFACTS}server-restarted.log`, "w");
    next = spawn(process.env.CHAT_SERVER_EXE, ["--port", process.env.CHAT_PORT, "--data-dir", process.env.CHAT_DATA_DIR, "--trusted-proxy", "127.0.0.1"], { stdio: ["ignore", log, log] });
    await waitFor(async () => { try { return (await fetch(`${BASE}/health`)).ok; } catch { return false; } }, "the new server");
    await a.page.getByTestId("connection").waitFor({ state: "hidden", timeout: 30_000 });
    await b.page.getByTestId("connection").waitFor({ state: "hidden", timeout: 30_000 });
    await messages(b.page, "sent during the outage").waitFor();
    await send(b.page, "after the restart");
    await messages(a.page, "after the restart").waitFor();
    await a.page.waitForTimeout(500);
    for (const text of ["before the restart", "sent during the outage", "after the restart"]) {
      assert.equal(await messages(a.page, text).count(), 1, `"${text}" once for erin`);
      assert.equal(await messages(b.page, text).count(), 1, `"${text}" once for frank`);
    }
    assert.equal(await a.page.getByTestId("pending-message").count(), 0);
    // A fresh page load reads the same history from the database.
    await b.page.reload();
    await b.page.getByTestId("room-title").filter({ hasText: roomName }).waitFor();
    await messages(b.page, "before the restart").waitFor();
    await messages(b.page, "after the restart").waitFor();
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });

  await a.context.close();
  await b.context.close();
  if (next && next.exitCode === null) {
    const exited = new Promise((resolve) => next.once("exit", (code) => resolve(code)));
    next.kill("SIGTERM");
    assert.equal(await exited, 0, "the restarted server stops cleanly too");
  }
});
