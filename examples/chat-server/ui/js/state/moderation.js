// Moderation state: the users I block (their messages are hidden), the open reports
// of the rooms I moderate (live from report_created / report_resolved), and my
// timeouts (from the room views' `muted_until` and the timed_out event).

import { signal } from "@preact/signals-core";
import { Api } from "../transport/index.js";
import { session, rooms } from "./store.js";
import { toast } from "./toasts.js";

/** Ids of the users I block. */
export const blocked = signal(new Set());

/** Open reports by room id (loaded when the queue opens, then kept live). */
export const reports = signal(new Map());

export async function loadBlocks() {
  try {
    const list = await Api.blocks();
    blocked.value = new Set(list.map((b) => b.user_id));
  } catch { /* not fatal: nothing is hidden */ }
}

export async function setBlocked(userId, on) {
  await (on ? Api.block(userId) : Api.unblock(userId));
  const next = new Set(blocked.peek());
  if (on) next.add(userId); else next.delete(userId);
  blocked.value = next;
}

export async function loadReports(roomId) {
  const list = await Api.reports(roomId);
  const next = new Map(reports.peek());
  next.set(roomId, list);
  reports.value = next;
}

function putReport(report, open) {
  const list = reports.peek().get(report.room_id);
  if (!list) return;
  const rest = list.filter((r) => r.id !== report.id);
  const next = new Map(reports.peek());
  next.set(report.room_id, open ? [report, ...rest] : rest);
  reports.value = next;
}

export function onReport(ev) {
  putReport(ev.report, ev.type === "report_created");
  if (ev.type === "report_created") toast("A message was reported.", "info");
}

export async function resolveReport(report, resolution) {
  const closed = await Api.resolveReport(report.id, resolution);
  putReport(closed, false);
}

/** The end of my timeout in a room (a Date), or null. */
export function mutedUntil(view) {
  const t = view && view.muted_until ? new Date(view.muted_until) : null;
  return t && t.getTime() > Date.now() ? t : null;
}

export function onTimedOut(ev) {
  const me = session.me.peek();
  const rs = rooms.peek().get(ev.room);
  if (!rs || !me || ev.user !== me.id) return;
  const view = { ...rs.view.peek() };
  if (ev.until) view.muted_until = ev.until; else delete view.muted_until;
  rs.view.value = view;
}
