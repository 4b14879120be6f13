// Modal dialogs (native <dialog>, shown with showModal): the frame every dialog uses,
// the host that shows the stack of open dialogs (state/dialogs.js), and `confirm`.

import { html, useRef, useState, useLayoutEffect, useEffect } from "../lib.js";
import { Icon, IconButton } from "./icons.js";
import { dialogs, openDialog, closeDialog } from "../state/dialogs.js";

/**
 * The frame of a dialog: title, body (children), error line and buttons.
 * `onSubmit(form)` may throw: its message is shown and the dialog stays open; it
 * also stays open when it returns true. Without `onSubmit` there is only "Close".
 * `error`: a message to show from outside (e.g. a failed action in the body).
 */
export function Modal({
  close, title, subtitle, submitLabel, danger, onSubmit, cancelLabel = "Cancel", testid, wide, footer, error, children,
}) {
  const ref = useRef(null);
  const alive = useRef(true);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  useLayoutEffect(() => {
    const dlg = ref.current;
    if (!dlg.open) dlg.showModal();
    const first = dlg.querySelector("input:not([type=hidden]):not([readonly]), textarea, select");
    if (first) first.focus();
    return () => {
      alive.current = false;
      if (dlg.open) dlg.close();
    };
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    if (!onSubmit) { close(); return; }
    setFailure(null);
    setBusy(true);
    try {
      const keep = await onSubmit(e.currentTarget);
      if (keep !== true) close();
    } catch (err) {
      if (alive.current) setFailure(err && err.message ? err.message : "Something went wrong");
    } finally {
      if (alive.current) setBusy(false);
    }
  };
  const shown = failure || error;

  return html`<dialog ref=${ref} class=${"modal" + (wide ? " wide" : "")} data-testid=${testid || "dialog"} aria-label=${title}
      onClose=${close} onClick=${(e) => { if (e.target === ref.current) close(); }}>
    <form class="modal-form" method="dialog" onSubmit=${submit}>
      <header class="modal-head">
        <div><h2>${title}</h2>${subtitle ? html`<p class="modal-sub">${subtitle}</p>` : null}</div>
        <${IconButton} icon="x" label="Close" data-testid="dialog-close" onClick=${close} />
      </header>
      <div class="modal-body">
        ${children}
        <div class="form-error" role="alert" hidden=${!shown}>${shown ? html`<${Icon} name="info" size=${14} />${shown}` : null}</div>
      </div>
      ${footer === null ? null : html`<footer class="modal-foot">
        ${footer || null}
        <button type="button" class="btn btn-ghost" onClick=${close}>${onSubmit ? cancelLabel : "Close"}</button>
        ${onSubmit ? html`<button type="submit" class=${"btn " + (danger ? "btn-danger" : "btn-primary") + (busy ? " busy" : "")}
          disabled=${busy} data-testid="dialog-submit">${submitLabel || "Save"}</button>` : null}
      </footer>`}
    </form>
  </dialog>`;
}

/** Shows every open dialog, the newest on top. */
export function DialogHost() {
  return dialogs.value.map((d) => html`<${d.Component} key=${d.id} ...${d.props} close=${() => closeDialog(d.id)} />`);
}

function ConfirmDialog({ close, title, message, confirmLabel, danger, resolve }) {
  // Closed any other way than by confirming: the answer is no (a second resolve is a no-op).
  useEffect(() => () => resolve(false), []);
  return html`<${Modal} close=${close} title=${title} submitLabel=${confirmLabel} danger=${danger} testid="confirm-dialog"
    onSubmit=${() => resolve(true)}><p class="confirm-text">${message}</p><//>`;
}

/** A yes/no question; resolves true when confirmed. */
export function confirm({ title, message, confirmLabel = "Confirm", danger = true }) {
  return new Promise((resolve) => openDialog(ConfirmDialog, { title, message, confirmLabel, danger, resolve }));
}
