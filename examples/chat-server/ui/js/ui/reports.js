// The reports queue of a room (moderators and up): each open report with the
// reported text and the four resolutions, kept live by state/moderation.js.

import { html, useEffect, useState } from "../lib.js";
import { Modal } from "./modal.js";
import { snippet, formatFull } from "./format.js";
import { userName, roomTitle, permissionsOf } from "../state/store.js";
import { reports, loadReports, resolveReport } from "../state/moderation.js";
import { IconButton } from "./icons.js";
import { openDialog } from "../state/dialogs.js";

const RESOLUTIONS = [
  ["dismiss", "Dismiss", false],
  ["delete_message", "Delete message", true],
  ["kick", "Kick author", true],
  ["ban", "Ban author", true],
];

/** The header button that opens the queue (only for who may see it). */
export function ReportsButton({ rs }) {
  if (!permissionsOf(rs).view_reports) return null;
  return html`<${IconButton} icon="shield" label="Reports" data-testid="open-reports"
    onClick=${() => openDialog(ReportsDialog, { rs })} />`;
}

export function ReportsDialog({ close, rs }) {
  const [error, setError] = useState(null);
  useEffect(() => { loadReports(rs.id).catch((e) => setError(e.message)); }, []);
  const list = reports.value.get(rs.id);
  const act = async (r, resolution) => {
    setError(null);
    try { await resolveReport(r, resolution); } catch (e) { setError(e.message); }
  };
  return html`<${Modal} close=${close} title=${`Reports in ${roomTitle(rs.view.peek())}`} testid="reports-dialog" wide error=${error}>
    ${!list ? html`<p class="muted">Loading…</p>` : list.length === 0
      ? html`<p class="muted" data-testid="reports-empty">No open reports.</p>`
      : html`<ul class="report-list">${list.map((r) => html`<li key=${r.id} class="report" data-testid="report">
          <blockquote class="report-body">${snippet(r.body, 200)}</blockquote>
          <p class="small">By <strong>${r.author ? userName(r.author) : "a deleted user"}</strong>;
            reported by ${r.reporter ? userName(r.reporter) : "a deleted user"} ${formatFull(r.created_at)}: ${r.reason}</p>
          <div class="report-actions">${RESOLUTIONS.map(([id, label, danger]) => html`<button key=${id} type="button"
            class=${"btn btn-small " + (danger ? "btn-danger" : "btn-ghost")} data-testid=${`resolve-${id}`}
            onClick=${() => act(r, id)}>${label}</button>`)}</div>
        </li>`)}</ul>`}
  <//>`;
}
