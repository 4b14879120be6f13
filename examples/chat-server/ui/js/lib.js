// The component library, in one place: Preact with htm templates (no build step) and
// signals. Components import from here, never from the vendored files directly.

import { h, render, Component, Fragment, createRef } from "preact";
import { useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback } from "preact/hooks";
import { useSignal, useComputed, useSignalEffect } from "@preact/signals";
import htm from "htm";

/** Tagged templates that build Preact elements: html`<p class="x">${text}</p>`. */
export const html = htm.bind(h);

export { h, render, Component, Fragment, createRef, useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback };
export { useSignal, useComputed, useSignalEffect };

function propsChanged(next) {
  for (const k in next) if (next[k] !== this.props[k]) return true;
  for (const k in this.props) if (!(k in next)) return true;
  return false;
}

/**
 * A component that re-renders only when one of its props changes (by identity), or
 * when a signal it reads changes. Used for list rows, so that an update of one row
 * does not re-render the others.
 */
export function memo(render) {
  function Memo(props) {
    this.shouldComponentUpdate = propsChanged;
    return h(render, props);
  }
  Memo.displayName = `Memo(${render.name})`;
  return Memo;
}
