// Showing a message in context: go to it (state/jump.js loads the history around it),
// scroll it to the middle and highlight it; and the marker of a gap in a room's list.

import { html, useEffect, useRef } from "../lib.js";
import { Icon } from "./icons.js";
import { currentRoom } from "../state/store.js";
import { goToMessage, fillGapForward } from "../state/jump.js";

const target = (id) => document.querySelector(`.msg-list [data-id="${CSS.escape(id)}"]`);

/** Wait (a few frames at most) for a message's row, then scroll to it and highlight it. */
export function revealMessage(id) {
  let frames = 0;
  const step = () => {
    const el = target(id);
    if (!el) {
      if (++frames < 120) requestAnimationFrame(step);
      return;
    }
    for (const old of document.querySelectorAll(".msg-list .jump-target")) old.classList.remove("jump-target");
    el.classList.add("jump-target");
    el.scrollIntoView({ block: "center" });
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
    el.focus({ preventScroll: true });
  };
  requestAnimationFrame(step);
}

/** Open a message's room at the message (a search hit, a pin). */
export async function openMessage(message) {
  if (await goToMessage(message)) revealMessage(message.id);
}

/** Where a room's list skips messages: loads them when seen or clicked. */
export function GapMarker() {
  const rs = currentRoom.value;
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === "undefined") return undefined;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && currentRoom.peek()) fillGapForward(currentRoom.peek());
    });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  return html`<div class="msg-gap" ref=${ref} data-testid="history-gap">
    <button type="button" class="link" onClick=${() => rs && fillGapForward(rs)}><${Icon} name="arrowDown" size=${14} />Load newer messages</button>
  </div>`;
}
