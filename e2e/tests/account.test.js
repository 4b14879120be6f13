// Named to run before chat.test.js, whose last test stops the shared server.
// The account and room screens of issue 20 in a real browser: change password (with
// the strength meter), sessions (log out one device, everywhere), delete the account
// (and other users' open views forget it: bug 4); invite a user, accept and decline
// invitations, upload a room picture. Screenshots of these screens, in both themes,
// go to docs/screenshots/ (shown in the chat-server README).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BASE, PASSWORD, suffix, launch, person as newPerson, register, createPublicRoom, joinPublicRoom, messages, send,
} from "../support/browser.js";
import { png } from "../support/png.js";

const DOCS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

let browser;

before(async () => {
  mkdirSync(DOCS, { recursive: true });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const person = (viewport) => newPerson(browser, viewport);

async function done(...people) {
  for (const p of people) {
    assert.deepEqual(p.errors, []);
    await p.context.close();
  }
}

async function login(page, username, password = PASSWORD) {
  await page.goto(BASE);
  await page.getByTestId("auth-screen").waitFor();
  await page.getByTestId("auth-username").fill(username);
  await page.getByTestId("auth-password").fill(password);
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("app").waitFor();
}

/** Screenshots for the docs, light then dark (the `data-theme` the toggle sets). */
async function docShot(page, name) {
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
    await page.waitForTimeout(200); // let transitions settle
    await page.screenshot({ path: `${DOCS}${theme}-${name}.png` });
  }
  await page.evaluate(() => { document.documentElement.dataset.theme = "light"; });
}

async function openAccount(page) {
  await page.getByTestId("account").click();
  const dlg = page.getByTestId("account-dialog");
  await dlg.waitFor();
  return dlg;
}

test("account: change password, sessions, log out everywhere", async (t) => {
  const a = await person({ width: 1200, height: 820 });
  const a2 = await person();
  const name = `acct_${suffix}`;
  const fresh = "violet tram cellar ninety";
  await register(a.page, { username: name, display: "Ada Account" });
  await login(a2.page, name);

  await t.test("the account screen lists both sessions, this one marked", async () => {
    const dlg = await openAccount(a.page);
    await dlg.getByTestId("session").nth(1).waitFor();
    assert.equal(await dlg.getByTestId("session").count(), 2);
    assert.equal(await dlg.locator('[data-testid="session"][data-current="true"]').count(), 1);
    assert.match(await dlg.locator('[data-testid="session"][data-current="true"]').innerText(), /This device/);
  });

  await t.test("the strength meter rates while typing", async () => {
    const dlg = a.page.getByTestId("account-dialog");
    await dlg.getByTestId("account-new-password").fill("password");
    const meter = dlg.getByTestId("password-strength");
    assert.ok(Number(await meter.getAttribute("data-score")) <= 1);
    assert.match(await meter.innerText(), /common/);
    await dlg.getByTestId("account-new-password").fill(fresh);
    assert.ok(Number(await meter.getAttribute("data-score")) >= 3);
    await docShot(a.page, "account");
  });

  await t.test("a wrong current password is refused with a sentence; the right one changes it", async () => {
    const dlg = a.page.getByTestId("account-dialog");
    await dlg.getByTestId("account-old-password").fill("not my password");
    await dlg.getByTestId("account-change-password").click();
    await dlg.getByTestId("account-password-error").filter({ hasText: "That is not your current password." }).waitFor();
    assert.equal(await a.page.getByTestId("app").count(), 1, "still logged in");
    await dlg.getByTestId("account-old-password").fill(PASSWORD);
    await dlg.getByTestId("account-new-password").fill(fresh);
    await dlg.getByTestId("account-change-password").click();
    await a.page.getByText("Password changed.", { exact: false }).waitFor();
    // The other session ended: its tab goes back to the sign-in screen.
    await a2.page.getByTestId("auth-screen").waitFor();
    await a.page.getByTestId("dialog-close").click();
  });

  await t.test("log out everywhere ends every session", async () => {
    await login(a2.page, name, fresh);
    const dlg = await openAccount(a.page);
    await dlg.getByTestId("logout-everywhere").click();
    await a.page.getByTestId("auth-screen").waitFor();
    await a2.page.getByTestId("auth-screen").waitFor();
    assert.match(await a.page.getByTestId("auth-error").innerText(), /logged out everywhere/);
  });
  await done(a, a2);
});

test("account deletion: the user's own tab says so; others' open rooms forget them (bug 4)", async () => {
  const b = await person();
  const c = await person();
  const room = `farewell-${suffix}`;
  await register(b.page, `stay_${suffix}`);
  await register(c.page, { username: `leave_${suffix}`, display: "Carla Leaving" });
  await createPublicRoom(b.page, room);
  await joinPublicRoom(c.page, room);
  await send(c.page, "goodbye everyone");
  const last = messages(b.page, "goodbye everyone");
  await last.waitFor();
  assert.match(await last.innerText(), /Carla Leaving/);

  const dlg = await openAccount(c.page);
  await dlg.getByTestId("account-delete-password").fill("wrong");
  await dlg.getByTestId("account-delete-submit").click();
  await dlg.getByTestId("account-delete-error").filter({ hasText: "That is not your current password." }).waitFor();
  await dlg.getByTestId("account-delete-password").fill(PASSWORD);
  await dlg.getByTestId("account-delete-submit").click();
  await c.page.getByTestId("auth-screen").waitFor();
  assert.equal((await c.page.getByTestId("auth-error").innerText()).trim(), "Your account was deleted.");

  // Bob's open room: the message is erased and the name gone, without a reload.
  await last.waitFor({ state: "detached" });
  await b.page.locator(".msg-list").filter({ hasNotText: "Carla Leaving" }).waitFor();
  await done(b, c);
});

test("rooms: invite a user, accept and decline invitations, a room picture", async (t) => {
  const a = await person({ width: 1200, height: 820 });
  const b = await person({ width: 1200, height: 820 });
  const owner = `host_${suffix}`;
  const guest = `guest_${suffix}`;
  await register(a.page, { username: owner, display: "Hana Host" });
  await register(b.page, { username: guest, display: "Gil Guest" });

  const privateRoom = async (name) => {
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("kind-private").click();
    await dlg.getByTestId("room-name").fill(name);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await a.page.getByTestId("room-title").filter({ hasText: name }).waitFor();
  };
  const invite = async (username) => {
    await a.page.getByTestId("room-settings").click();
    const dlg = a.page.getByTestId("settings-dialog");
    await dlg.getByTestId("invite-username").fill(username);
    await dlg.getByTestId("invite-submit").click();
    return dlg;
  };

  await t.test("the owner invites by username; an unknown name is explained", async () => {
    await privateRoom(`book club ${suffix}`);
    const dlg = await invite(`nobody_${suffix}`);
    await dlg.getByTestId("invite-error").filter({ hasText: `There is no user called nobody_${suffix}.` }).waitFor();
    await dlg.getByTestId("invite-username").fill(guest);
    await dlg.getByTestId("invite-submit").click();
    // The toast of an earlier invitation may still be showing: the newest is the last.
    await a.page.getByText("Gil Guest is invited.").last().waitFor();
  });

  await t.test("the owner uploads a room picture; the header shows it", async () => {
    const dlg = a.page.getByTestId("settings-dialog");
    await dlg.getByTestId("room-avatar-file").setInputFiles({ name: "club.png", mimeType: "image/png", buffer: png(48, [200, 120, 30]) });
    await a.page.getByText("Room picture updated.").waitFor();
    await docShot(a.page, "room-settings");
    await dlg.getByTestId("dialog-close").click();
    await a.page.waitForFunction(
      () => { const i = document.querySelector('.chat-head [data-testid="room-picture"]'); return i && i.complete && i.naturalWidth === 48; });
  });

  await t.test("the guest sees the invitation live and accepts it", async () => {
    const inv = b.page.getByTestId("invitation").filter({ hasText: `book club ${suffix}` });
    await inv.waitFor();
    assert.match(await inv.innerText(), /Hana Host/);
    await docShot(b.page, "invitations");
    await inv.getByTestId("invite-accept").click();
    await b.page.getByTestId("room-title").filter({ hasText: `book club ${suffix}` }).waitFor();
    await inv.waitFor({ state: "detached" });
  });

  await t.test("a second invitation, declined, is gone after a reload too", async () => {
    await privateRoom(`poker ${suffix}`);
    const dlg = await invite(guest);
    // The toast of an earlier invitation may still be showing: the newest is the last.
    await a.page.getByText("Gil Guest is invited.").last().waitFor();
    await dlg.getByTestId("dialog-close").click();
    const inv = b.page.getByTestId("invitation").filter({ hasText: `poker ${suffix}` });
    await inv.waitFor();
    await inv.getByTestId("invite-decline").click();
    await inv.waitFor({ state: "detached" });
    await b.page.reload();
    await b.page.getByTestId("app").waitFor();
    await b.page.getByTestId("room-item").first().waitFor();
    assert.equal(await b.page.getByTestId("invitation").count(), 0);
  });
  await done(a, b);
});

test("registration: a weak password is refused with the server's reason; the meter warns first", async () => {
  const a = await person();
  await a.page.goto(BASE);
  await a.page.getByTestId("tab-register").click();
  await a.page.getByTestId("auth-username").fill(`weak_${suffix}`);
  await a.page.getByTestId("auth-password").fill("12345678");
  const meter = a.page.getByTestId("password-strength");
  assert.equal(await meter.getAttribute("data-score"), "0");
  await a.page.getByTestId("auth-submit").click();
  const err = a.page.getByTestId("auth-error");
  await err.filter({ hasText: /./ }).waitFor();
  assert.match(await err.innerText(), /^That password is too easy to guess: .*common/);
  assert.equal(await a.page.getByTestId("app").count(), 0);
  await a.page.getByTestId("auth-password").fill(PASSWORD);
  await a.page.getByTestId("auth-submit").click();
  await a.page.getByTestId("app").waitFor();
  await done(a);
});
