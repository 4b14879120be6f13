// In place of the composer while I am timed out in the room: when I can write again.
// Re-renders itself at the end time (the server needs no timer: it checks the clock).

import { html, useEffect, useState } from "../lib.js";
import { Icon } from "./icons.js";
import { mutedUntil } from "../state/moderation.js";

const hhmm = (d) => d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function TimedOutNotice({ rs, children }) {
  const until = mutedUntil(rs.view.value);
  const [, tick] = useState(0);
  useEffect(() => {
    if (!until) return undefined;
    const t = setTimeout(() => tick((n) => n + 1), Math.max(0, until.getTime() - Date.now()) + 50);
    return () => clearTimeout(t);
  });
  if (!until) return children;
  const text = `You can write again at ${hhmm(until)}`;
  return html`<div class="composer timed-out">
      <textarea class="composer-input" rows=${1} aria-label="Message" placeholder=${text} data-testid="composer" disabled></textarea>
    </div>
    <div class="composer-hint slow-wait" role="status" data-testid="timed-out"><${Icon} name="info" size=${13} />You are timed out in this room. ${text}.</div>`;
}
