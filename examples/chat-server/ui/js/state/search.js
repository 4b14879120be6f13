// Search over the rooms I am a member of (`GET /search`): the query, its hits (best
// first) and paging by offset.

import { signal } from "@preact/signals-core";
import { FeaturesApi } from "../transport/index.js";

const PAGE = 20;

export const search = {
  /** The query as last run: `{q, room}` (room: null for every room). */
  query: signal(null),
  /** `[SearchHit {message, snippet, highlights}]`. */
  hits: signal([]),
  hasMore: signal(false),
  busy: signal(false),
  error: signal(null),
};

let run = 0;

/** Run a search (`room`: only that room); replaces the hits. */
export async function runSearch(q, room = null) {
  const text = q.trim();
  const mine = ++run;
  search.query.value = text ? { q: text, room } : null;
  search.error.value = null;
  search.hits.value = [];
  search.hasMore.value = false;
  if (!text) return;
  search.busy.value = true;
  try {
    const page = await FeaturesApi.search({ q: text, room, limit: PAGE });
    if (mine !== run) return;
    search.hits.value = page.hits || [];
    search.hasMore.value = !!page.has_more;
  } catch (err) {
    if (mine === run) search.error.value = err.message;
  } finally {
    if (mine === run) search.busy.value = false;
  }
}

/** The next page of the current search. */
export async function moreResults() {
  const query = search.query.peek();
  if (!query || search.busy.peek() || !search.hasMore.peek()) return;
  const mine = run;
  search.busy.value = true;
  try {
    const page = await FeaturesApi.search({ ...query, offset: search.hits.peek().length, limit: PAGE });
    if (mine !== run) return;
    const seen = new Set(search.hits.peek().map((h) => h.message.id));
    search.hits.value = [...search.hits.peek(), ...(page.hits || []).filter((h) => !seen.has(h.message.id))];
    search.hasMore.value = !!page.has_more;
  } catch (err) {
    if (mine === run) search.error.value = err.message;
  } finally {
    if (mine === run) search.busy.value = false;
  }
}

/**
 * A snippet cut into `[text, highlighted]` parts. `highlights` are `[start, end)`
 * offsets in characters (code points, as the server counts them); out-of-range or
 * overlapping ones are clipped, so a bad range never breaks the text.
 */
export function snippetParts(snippet, highlights) {
  const chars = Array.from(String(snippet || ""));
  const ranges = (Array.isArray(highlights) ? highlights : [])
    .filter((r) => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1]))
    .map(([a, b]) => [Math.max(0, a), Math.min(chars.length, b)])
    .filter(([a, b]) => a < b)
    .sort((x, y) => x[0] - y[0]);
  const out = [];
  let at = 0;
  for (const [a, b] of ranges) {
    const start = Math.max(a, at);
    if (start >= b) continue;
    if (start > at) out.push([chars.slice(at, start).join(""), false]);
    out.push([chars.slice(start, b).join(""), true]);
    at = b;
  }
  if (at < chars.length) out.push([chars.slice(at).join(""), false]);
  return out;
}
