// The search panel: a query (every room, or only the open one), the hits with their
// snippets (text nodes; the server's highlight ranges become <mark>, nothing is parsed
// as markup), and a click that opens the room at the message.

import { html, useRef, useEffect } from "../lib.js";
import { Glyph } from "./glyphs.js";
import { Avatar } from "./common.js";
import { formatFull, formatDay, formatTime } from "./format.js";
import { openMessage } from "./jump.js";
import { currentRoom, rooms, roomTitle, knownUser, userName } from "../state/store.js";
import { search, runSearch, moreResults, snippetParts } from "../state/search.js";

function Snippet({ hit }) {
  return html`<span class="panel-hit-text" data-testid="search-snippet">${snippetParts(hit.snippet, hit.highlights)
    .map(([text, marked]) => (marked ? html`<mark>${text}</mark>` : text))}</span>`;
}

function Hit({ hit }) {
  const m = hit.message;
  const rs = rooms.value.get(m.room_id);
  const where = rs ? roomTitle(rs.view.value) : "a room";
  const author = knownUser(m.author_id);
  return html`<li class="panel-item" data-testid="search-hit" data-id=${m.id}>
    <button type="button" class="panel-hit" onClick=${() => openMessage(m)}>
      <span class="panel-hit-head"><${Avatar} user=${author} size=${20} /><span class="panel-hit-author">${userName(m.author_id)}</span>
        <span class="panel-hit-room">in ${where}</span>
        <time class="msg-time" dateTime=${m.created_at} title=${formatFull(m.created_at)}>${formatDay(m.created_at)} ${formatTime(m.created_at)}</time></span>
      <${Snippet} hit=${hit} />
    </button>
  </li>`;
}

export function SearchPanel() {
  const input = useRef(null);
  const only = useRef(null);
  useEffect(() => {
    // Uncontrolled fields: the last query comes back when the panel opens again.
    const q = search.query.peek();
    if (q && only.current) only.current.checked = !!q.room;
    if (input.current) { input.current.value = q ? q.q : ""; input.current.focus(); }
  }, []);
  const rs = currentRoom.value;
  const query = search.query.value;
  const hits = search.hits.value;
  const submit = (e) => {
    e.preventDefault();
    runSearch(input.current.value, only.current && only.current.checked && rs ? rs.id : null);
  };
  return html`<div class="search-panel">
    <form class="search-form" role="search" onSubmit=${submit}>
      <label class="visually-hidden" for="search-q">Search messages</label>
      <div class="search-row">
        <input id="search-q" ref=${input} class="input" type="search" maxLength=${200} placeholder="Search messages"
          data-testid="search-input" />
        <button type="submit" class="btn btn-primary" data-testid="search-submit"><${Glyph} name="search" size=${15} />Search</button>
      </div>
      ${rs ? html`<label class="search-only"><input type="checkbox" ref=${only} data-testid="search-this-room" /> Only in ${roomTitle(rs.view.value)}</label>` : null}
    </form>
    <div class="form-error" role="alert" hidden=${!search.error.value}>${search.error.value}</div>
    <p class="visually-hidden" role="status">${search.busy.value ? "Searching…" : query ? `${hits.length}${search.hasMore.value ? " or more" : ""} results` : ""}</p>
    ${query && !search.busy.value && !hits.length && !search.error.value
      ? html`<p class="panel-empty" data-testid="search-none">Nothing found for “${query.q}”.</p>` : null}
    ${hits.length ? html`<ul class="panel-list" data-testid="search-results">${hits.map((h) => html`<${Hit} key=${h.message.id} hit=${h} />`)}</ul>` : null}
    ${search.busy.value ? html`<div class="panel-empty"><span class="spinner small"></span>Searching…</div>` : null}
    ${search.hasMore.value && !search.busy.value
      ? html`<div class="panel-more"><button type="button" class="btn btn-ghost" onClick=${moreResults}>More results</button></div>` : null}
  </div>`;
}
