// Reporting a message, timing a member out, blocking a user.

import { html } from "../lib.js";
import { Field } from "../ui/common.js";
import { Modal } from "../ui/modal.js";
import { Api } from "../transport/index.js";
import { roomTitle, permissionsOf, session } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { openDialog } from "../state/dialogs.js";
import { blocked, setBlocked } from "../state/moderation.js";

export function openReport(m) {
  openDialog(ReportDialog, { m });
}

function ReportDialog({ close, m }) {
  const submit = async (form) => {
    await Api.report(m.id, form.elements.reason.value.trim());
    toast("Thanks: the room's moderators will look at it.", "success");
  };
  return html`<${Modal} close=${close} title="Report this message" submitLabel="Report" testid="report-dialog" onSubmit=${submit}
      subtitle="The room's moderators see the message and your reason.">
    <${Field} label="Reason"><textarea name="reason" class="input" rows=${2} maxLength=${500} required data-testid="report-reason"></textarea><//>
  <//>`;
}

const DURATIONS = [["60", "1 minute"], ["600", "10 minutes"], ["3600", "1 hour"], ["86400", "1 day"], ["604800", "1 week"]];

/** The extra member-menu actions: time out (when my role allows it) and block. */
export function memberExtraActions(rs, member, close) {
  const me = session.me.peek();
  if (!member || (me && member.user.id === me.id)) return [];
  const out = [];
  if (rs && (permissionsOf(rs).timeout || []).includes(member.role)) {
    out.push({ id: "timeout", label: "Time out…", icon: "info", run: () => openDialog(TimeoutDialog, { rs, member }) });
  }
  const isBlocked = blocked.value.has(member.user.id);
  out.push({
    id: isBlocked ? "unblock" : "block",
    label: isBlocked ? "Unblock" : "Block",
    icon: "ban",
    run: () => setBlocked(member.user.id, !isBlocked).then(
      () => toast(isBlocked ? "Unblocked." : "Blocked: their messages are hidden from you.", "success"),
      (e) => toast(e.message, "error")),
  });
  return out.map((a) => ({ ...a, run: () => { close(); a.run(); } }));
}

function TimeoutDialog({ close, rs, member }) {
  const name = member.user.display_name || member.user.username;
  const submit = async (form) => {
    const f = form.elements;
    await Api.timeout(rs.id, member.user.id, Number(f.duration.value), f.reason.value.trim());
    toast(`${name} is timed out.`, "success");
  };
  return html`<${Modal} close=${close} title=${`Time out ${name}?`} submitLabel="Time out" danger testid="timeout-dialog" onSubmit=${submit}
      subtitle=${`They can read ${roomTitle(rs.view.peek())} but not write, react or type until it ends.`}>
    <${Field} label="Duration">
      <select name="duration" class="input" data-testid="timeout-duration">${DURATIONS.map(([v, label]) => html`<option value=${v}>${label}</option>`)}</select>
    <//>
    <${Field} label="Reason"><textarea name="reason" class="input" rows=${2} maxLength=${1000} data-testid="timeout-reason"></textarea><//>
  <//>`;
}
