// Named to run before chat.test.js, whose last test stops the shared server.
// Accessibility (issue 20, bug 9): axe-core finds no serious or critical WCAG 2 A/AA
// violation on the main screens in both themes, and keyboard users reach every
// message's actions (follow-up messages included).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, suffix, launch, person as newPerson, register, createPublicRoom, joinPublicRoom, messages, send,
} from "../support/browser.js";
import { seriousViolations } from "../support/axe.js";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const person = () => newPerson(browser, { width: 1280, height: 800 }, { bypassCSP: true });

async function checkBothThemes(page, what) {
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
    await page.waitForTimeout(250); // transitions settle before colours are measured
    const found = await seriousViolations(page);
    assert.deepEqual(found, [], `${what} (${theme}):\n${found.join("\n")}`);
  }
  await page.evaluate(() => { document.documentElement.dataset.theme = "light"; });
}

test("no serious accessibility violations; message actions by keyboard", async (t) => {
  const a = await person();
  const b = await person();
  const room = `a11y-${suffix}`;

  await t.test("the sign-in screen", async () => {
    await a.page.goto(BASE);
    await a.page.getByTestId("auth-screen").waitFor();
    await checkBothThemes(a.page, "sign-in");
  });

  await register(a.page, { username: `axe_a_${suffix}`, display: "Ana Owner" });
  await register(b.page, { username: `axe_b_${suffix}`, display: "Ben Member" });
  await createPublicRoom(a.page, room);
  await joinPublicRoom(b.page, room);
  await send(a.page, "first of a group");
  await send(a.page, "a follow-up in the group");
  await messages(b.page, "a follow-up in the group").waitFor();

  await t.test("a room with messages, role chips and the member list", async () => {
    await b.page.getByTestId("member").first().waitFor();
    await checkBothThemes(b.page, "room");
  });

  await t.test("the dialogs: room settings, profile, account", async () => {
    await a.page.getByTestId("room-settings").click();
    await a.page.getByTestId("settings-dialog").waitFor();
    await checkBothThemes(a.page, "room settings");
    await a.page.getByTestId("dialog-close").click();
    await a.page.getByTestId("profile").click();
    await a.page.getByTestId("profile-dialog").waitFor();
    await checkBothThemes(a.page, "profile");
    await a.page.getByTestId("dialog-close").click();
    await a.page.getByTestId("account").click();
    await a.page.getByTestId("account-dialog").waitFor();
    await checkBothThemes(a.page, "account");
    await a.page.getByTestId("dialog-close").click();
  });

  await t.test("a follow-up message is reached by Tab and replied to by keyboard", async () => {
    const follow = messages(b.page, "a follow-up in the group");
    assert.match(await follow.getAttribute("class"), /\bcont\b/, "it is grouped under the first");
    await follow.focus();
    const reply = follow.getByTestId("msg-reply");
    await reply.waitFor(); // shown while focus is within the message
    await b.page.keyboard.press("Tab");
    assert.equal(await reply.evaluate((el) => el === document.activeElement), true, "Tab moves into its actions");
    await b.page.keyboard.press("Enter");
    await b.page.locator(".reply-bar", { hasText: "Replying to" }).waitFor();
  });

  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  await a.context.close();
  await b.context.close();
});
