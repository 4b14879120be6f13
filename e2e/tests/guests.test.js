// Guests in the browser (issue 18): the server e2e/run.sh starts allows guests
// (`--guests`). A visitor chooses "Continue as guest" on the sign-in screen, gives a
// name, joins a public room by name from Browse and chats with a registered user;
// the guest sees no "New room" (nor "Join with code"), and the server refuses a room
// created behind the UI's back.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, suffix, launch, person, register, createPublicRoom, joinPublicRoom, messages, send,
} from "../support/browser.js";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

test("a guest joins a public room by name and chats", async (t) => {
  const host = await person(browser);
  const visitor = await person(browser);
  const room = `guests-${suffix}`;
  await register(host.page, { username: `host_${suffix}`, display: "Hana Host" });
  await createPublicRoom(host.page, room);

  await t.test("continue as guest with a name", async () => {
    const page = visitor.page;
    await page.goto(BASE);
    await page.getByTestId("auth-screen").waitFor();
    await page.getByTestId("guest-continue").click();
    await page.getByTestId("guest-name").fill("Visiting Vera");
    await page.getByTestId("guest-submit").click();
    await page.getByTestId("app").waitFor();
    await page.getByTestId("connection").waitFor({ state: "hidden" });
    const me = await page.evaluate(async () => (await fetch("/api/me")).json());
    assert.equal(me.guest, true);
    assert.equal(me.display_name, "Visiting Vera");
    assert.match(me.username, /^guest-/);
  });

  await t.test("the guest sees no New room, and the server refuses one", async () => {
    const page = visitor.page;
    await page.getByTestId("browse-rooms").waitFor();
    assert.equal(await page.getByTestId("new-room").count(), 0);
    assert.equal(await page.getByTestId("join-by-code").count(), 0);
    const status = await page.evaluate(async (name) => (await fetch("/api/rooms", {
      method: "POST", headers: { "content-type": "application/json", "x-requested-with": "chatcore" },
      body: JSON.stringify({ kind: "public", name }),
    })).status, `sneaky-${suffix}`);
    assert.equal(status, 403);
  });

  await t.test("join the public room by name and chat with a registered user", async () => {
    await joinPublicRoom(visitor.page, room);
    await send(visitor.page, "hello from a guest");
    await messages(host.page, "hello from a guest").waitFor();
    await send(host.page, "welcome, guest");
    await messages(visitor.page, "welcome, guest").waitFor();
    await visitor.page.screenshot({ path: "artifacts/guests.png" });
  });

  assert.deepEqual(host.errors, []);
  assert.deepEqual(visitor.errors, []);
});
