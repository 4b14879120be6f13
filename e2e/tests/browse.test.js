// Named to run before chat.test.js, whose last test stops the shared server.
// Issue 20's bug 5, failing before its fix: nothing updated live for people outside a
// room. A new public room appears in an open Browse dialog (a private one never); a
// user's new display name shows on their messages in another user's open room.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { suffix, launch, person as newPerson, register, createPublicRoom, messages, send } from "../support/browser.js";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

test("bug 5: news from outside one's rooms arrives live", async (t) => {
  const a = await newPerson(browser);
  const b = await newPerson(browser);
  await register(a.page, `live_a_${suffix}`);
  await register(b.page, `live_b_${suffix}`);

  await t.test("B has Browse open when A creates a public room: it appears (a private one does not)", async () => {
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    await browse.waitFor();
    const status = await a.page.evaluate(async (name) => (await fetch("/api/rooms", {
      method: "POST", headers: { "content-type": "application/json", "x-requested-with": "chatcore" },
      body: JSON.stringify({ kind: "private", name }),
    })).status, `hidden-${suffix}`);
    assert.equal(status, 201);
    await createPublicRoom(a.page, `fresh-${suffix}`);
    const item = browse.getByTestId("browse-item").filter({ hasText: `fresh-${suffix}` });
    await item.waitFor();
    assert.equal(await browse.getByTestId("browse-item").filter({ hasText: `hidden-${suffix}` }).count(), 0);
    await item.getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: `fresh-${suffix}` }).waitFor();
  });

  await t.test("A changes their display name: B's open room shows it on A's messages", async () => {
    await send(a.page, "hello from A");
    await messages(b.page, "hello from A").waitFor();
    await a.page.getByTestId("profile").click();
    const dlg = a.page.getByTestId("profile-dialog");
    await dlg.getByTestId("profile-display-name").fill("Ada Renamed");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.locator('[data-testid="message"][aria-label^="Ada Renamed,"]').waitFor();
  });

  for (const p of [a, b]) {
    assert.deepEqual(p.errors, []);
    await p.context.close();
  }
});
