// The moderation tools in the browser: a member reports a message and the room's
// moderator resolves it from the reports queue; a timed-out member sees the
// composer disabled with the end time, and enabled again once it has passed (the
// server started by run.sh allows 1 s timeouts: `--min-timeout-secs 1`).
// Needs the shared server: run before chat.test.js stops it, or alone
// (`bash e2e/run.sh tests/moderation.test.js`).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launch, person, register, createPublicRoom, joinPublicRoom, messages, send, member, suffix, BASE,
} from "../support/browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test("report, resolve from the queue, time out", async (t) => {
  const owner = await person(browser);
  const bad = await person(browser);
  const ana = { username: `mo_${suffix}`, display: "Mo Owner" };
  const ben = { username: `be_${suffix}`, display: "Be Member" };
  const room = `moderated-${suffix}`;

  await t.test("two users in a room; one writes", async () => {
    await register(owner.page, ana);
    await register(bad.page, ben);
    await createPublicRoom(owner.page, room);
    await joinPublicRoom(bad.page, room);
    await send(bad.page, "buy cheap pills");
    await messages(owner.page, "buy cheap pills").waitFor();
  });

  await t.test("a member reports a message; the moderator resolves it from the queue", async () => {
    // One's own messages offer no "Report".
    const own = messages(bad.page, "buy cheap pills");
    await own.hover();
    assert.equal(await own.getByTestId("msg-report").count(), 0, "no report on one's own message");
    // A third user reports the member's message from the message actions.
    const third = await person(browser);
    await register(third.page, `th_${suffix}`);
    await joinPublicRoom(third.page, room);
    const spam = messages(third.page, "buy cheap pills");
    await spam.hover();
    await spam.getByTestId("msg-report").click();
    const dlg = third.page.getByTestId("report-dialog");
    await dlg.getByTestId("report-reason").fill("spam");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    // The owner opens the queue and deletes the message.
    await owner.page.getByTestId("open-reports").click();
    const queue = owner.page.getByTestId("reports-dialog");
    const report = queue.getByTestId("report").filter({ hasText: "buy cheap pills" });
    await report.waitFor();
    assert.match(await report.innerText(), /spam/);
    await report.getByTestId("resolve-delete_message").click();
    await queue.getByTestId("reports-empty").waitFor();
    await queue.getByTestId("dialog-close").click();
    await messages(third.page, "buy cheap pills").waitFor({ state: "detached" });
    await third.context.close();
    assert.deepEqual(third.errors, []);
  });

  await t.test("a timed-out member sees the composer disabled until the end time", async () => {
    // A 2-second timeout through the API, as the owner (the dialog offers minutes).
    const ids = await owner.page.evaluate(async ([name, username]) => {
      const h = { "content-type": "application/json", "x-requested-with": "e2e" };
      const mine = await (await fetch("/api/me/rooms")).json();
      const list = Array.isArray(mine) ? mine : [...(mine.public || []), ...(mine.private || [])];
      const r = list.find((v) => v.name === name);
      const u = await (await fetch(`/api/users/by-name/${username}`)).json();
      const res = await fetch(`/api/rooms/${r.id}/members/${u.id}/timeout`, {
        method: "PUT", headers: h, body: JSON.stringify({ duration_secs: 2 }), credentials: "same-origin",
      });
      return { status: res.status, body: await res.json() };
    }, [room, ben.username]);
    assert.equal(ids.status, 200, JSON.stringify(ids.body));
    const composer = bad.page.getByTestId("composer");
    const notice = bad.page.getByTestId("timed-out");
    await notice.waitFor();
    assert.match(await notice.innerText(), /You can write again at \d{1,2}:\d{2}/);
    assert.equal(await composer.isDisabled(), true);
    // It ends by itself: the composer comes back without a reload.
    await notice.waitFor({ state: "detached" });
    assert.equal(await composer.isDisabled(), false);
    await send(bad.page, "sorry");
    await messages(owner.page, "sorry").waitFor();
  });

  await t.test("the member menu offers time out and block", async () => {
    await member(owner.page, ben.username).click();
    const card = owner.page.getByTestId("user-dialog");
    await card.getByTestId("action-timeout").waitFor();
    await card.getByTestId("action-block").waitFor();
    await card.getByTestId("dialog-close").click();
    assert.ok(BASE);
    assert.deepEqual(owner.errors, []);
    assert.deepEqual(bad.errors, []);
  });
});
