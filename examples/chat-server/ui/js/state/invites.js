// Invitations I received: `[{room_id, room_name, invited_by, created_at}]`, loaded
// with the session and again when an `invited` event arrives; accept (join the room)
// or decline. Shown by ui/invites.js.

import { signal } from "@preact/signals-core";
import { Api, listOf } from "../transport/index.js";
import { toast } from "./toasts.js";
import { roomJoined } from "./sync.js";

export const invites = signal([]);

export async function loadInvites() {
  try { invites.value = listOf(await Api.invites(), "invites"); } catch { /* shown again on the next load */ }
}

export async function acceptInvite(inv) {
  try {
    roomJoined(await Api.join(inv.room_id), true);
    invites.value = invites.peek().filter((i) => i.room_id !== inv.room_id);
  } catch (err) {
    toast(err.message, "error");
    loadInvites();
  }
}

export async function declineInvite(inv) {
  try {
    await Api.declineInvite(inv.room_id);
    invites.value = invites.peek().filter((i) => i.room_id !== inv.room_id);
    toast(`Invitation to ${inv.room_name} declined.`, "info");
  } catch (err) {
    toast(err.message, "error");
  }
}
