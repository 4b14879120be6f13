// Live changes update only what they concern (named to run before chat.test.js, whose
// last test stops the shared server):
// - the message list is keyed: rows already on screen stay the same elements when a
//   message arrives, another is edited or deleted, or a member's role changes (the
//   role chip is patched in place);
// - what a member may do comes from the server (RoomView.permissions): after a
//   promotion, the new moderator is offered exactly the new actions, live.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launch, person, register, createPublicRoom, joinPublicRoom, messages, send, member, suffix,
} from "../support/browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

/** Tag every message row of a page with its position; returns how many were tagged. */
const tagRows = (page) => page.locator('[data-testid="message"]').evaluateAll((els) => {
  els.forEach((el, i) => { el.dataset.e2eTag = String(i); el.__e2eTag = i; });
  return els.length;
});
/** Rows that are still the elements tagged by `tagRows` (a JS property survives only on the same element). */
const taggedRows = (page) => page.locator('[data-testid="message"]').evaluateAll((els) => els.filter((el) => el.__e2eTag !== undefined).length);

test("keyed rows and server-side permissions, live", async (t) => {
  const a = await person(browser);
  const b = await person(browser);
  const c = await person(browser);
  const ana = { username: `ana_${suffix}`, display: "Ana Owner" };
  const ben = { username: `ben_${suffix}`, display: "Ben Soon-Mod" };
  const cy = { username: `cy_${suffix}`, display: "Cy Member" };
  const room = `keyed-${suffix}`;

  await t.test("three users in a public room, each writes", async () => {
    await register(a.page, ana);
    await register(b.page, ben);
    await register(c.page, cy);
    await createPublicRoom(a.page, room);
    await joinPublicRoom(b.page, room);
    await joinPublicRoom(c.page, room);
    await send(a.page, "ana one");
    await messages(b.page, "ana one").waitFor();
    await send(b.page, "ben one");
    await messages(a.page, "ben one").waitFor();
    await send(c.page, "cy one");
    await messages(b.page, "cy one").waitFor();
    await send(c.page, "cy two");
    await messages(b.page, "cy two").waitFor();
    await member(b.page, cy.username).waitFor();
  });

  await t.test("a member is offered no moderation", async () => {
    const theirs = messages(b.page, "cy one");
    await theirs.hover();
    await theirs.getByTestId("msg-reply").waitFor();
    assert.equal(await theirs.getByTestId("msg-delete").count(), 0, "no delete on another member's message");
    await member(b.page, cy.username).click();
    const card = b.page.getByTestId("user-dialog");
    await card.getByTestId("user-message").waitFor();
    assert.equal(await card.getByTestId("member-actions").count(), 0);
    await card.getByTestId("dialog-close").click();
  });

  await t.test("new, edited and deleted messages leave the other rows in place", async () => {
    const tagged = await tagRows(b.page);
    assert.ok(tagged >= 3, `tagged ${tagged} rows`);
    await send(a.page, "ana two");
    await messages(b.page, "ana two").waitFor();
    assert.equal(await taggedRows(b.page), tagged, "an incoming message re-creates no row");

    const mine = messages(c.page, "cy one");
    await mine.hover();
    await mine.getByTestId("msg-edit").click();
    await c.page.getByTestId("edit-input").fill("cy one, edited");
    await c.page.getByTestId("edit-input").press("Enter");
    const edited = messages(b.page, "cy one, edited").filter({ hasText: "(edited)" });
    await edited.waitFor();
    assert.equal(await taggedRows(b.page), tagged, "an edit patches its row");
    assert.ok(await edited.evaluate((el) => el.__e2eTag !== undefined), "the edited row is the same element");

    const two = messages(c.page, "cy two");
    await two.hover();
    await two.getByTestId("msg-delete").click();
    await c.page.getByTestId("confirm-dialog").getByTestId("dialog-submit").click();
    await messages(b.page, "cy two").waitFor({ state: "detached" });
    assert.equal(await taggedRows(b.page), tagged, "a deletion turns its row into a tombstone in place");
  });

  await t.test("a promotion: the role chip is patched, and the server's new permissions arrive live", async () => {
    await member(b.page, cy.username).waitFor();
    const tagged = await tagRows(a.page);
    await member(a.page, ben.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("action-promote-moderator").click();
    await messages(a.page, "ben one").locator(".role-chip", { hasText: "Moderator" }).waitFor();
    assert.equal(await taggedRows(a.page), tagged, "the chip is patched into the same rows");
    await member(b.page, ben.username).and(b.page.locator('[data-role="moderator"]')).waitFor();
    // Ben, now a moderator, may delete a member's message but not the owner's.
    const cys = messages(b.page, "cy one, edited");
    await cys.hover();
    await cys.getByTestId("msg-delete").waitFor();
    const anas = messages(b.page, "ana one");
    await anas.hover();
    await anas.getByTestId("msg-reply").waitFor();
    assert.equal(await anas.getByTestId("msg-delete").count(), 0, "not the owner's message");
    // And may kick and ban members, but has no role changes to offer.
    await member(b.page, cy.username).click();
    const card = b.page.getByTestId("user-dialog");
    await card.getByTestId("action-kick").waitFor();
    await card.getByTestId("action-ban").waitFor();
    assert.equal(await card.locator('[data-testid^="action-promote"], [data-testid^="action-demote"], [data-testid="action-transfer"]').count(), 0);
    await card.getByTestId("dialog-close").click();
    await member(b.page, ana.username).click();
    assert.equal(await b.page.getByTestId("user-dialog").getByTestId("member-actions").count(), 0, "nothing on the owner");
    await b.page.getByTestId("user-dialog").getByTestId("dialog-close").click();
  });

  await t.test("the moderator deletes a member's message", async () => {
    const cys = messages(b.page, "cy one, edited");
    await cys.hover();
    await cys.getByTestId("msg-delete").click();
    await b.page.getByTestId("confirm-dialog").getByTestId("dialog-submit").click();
    await messages(c.page, "cy one, edited").waitFor({ state: "detached" });
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(c.errors, []);
  });

  await a.context.close();
  await b.context.close();
  await c.context.close();
});
