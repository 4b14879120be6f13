// The sentences people see for the API's error codes (docs/PROTOCOL.md § 7). The
// codes and the server's own messages stay on the error (`code`, `detail`) for logs;
// the UI shows `message`, which is one of these sentences.

const BY_CODE = {
  username_taken: "That username is taken. Try another one.",
  email_taken: "An account already uses that email address.",
  identity_taken: "That sign-in is already linked to another account.",
  already_member: "You are already a member of this room.",
  room_full: "This room is full.",
  room_code_taken: "That did not work this time. Please try again.",
  direct_room_exists: "You already have a conversation with this person.",
  concurrent_update: "Someone changed this at the same time. Please try again.",
  not_found: "That does not exist (any more), or you cannot see it.",
  banned: "You are banned from this room.",
  email_unverified: "Verify your email address first (see your profile).",
  invalid_token: "This link is invalid, used or expired.",
  unsupported_file_type: "That kind of file is not accepted here. Avatars must be PNG, JPEG, GIF or WebP images.",
  unsupported_media_type: "The server could not read that request.",
  too_large: "That is too large.",
  rate_limited: "Too fast. Please wait a moment and try again.",
  internal: "Something went wrong on the server. Please try again.",
  server_busy: "The server is busy. Trying again shortly.",
  csrf_rejected: "The request was refused. Reload the page and try again.",
  origin_rejected: "The request was refused. Reload the page and try again.",
  password_auth_disabled: "Logging in with a password is turned off on this server.",
  network: "Cannot reach the server. Check your connection.",
  offline: "You are offline.",
  timeout: "The server did not answer. Please try again.",
  disconnected: "The connection dropped. Please try again.",
  weak_password: "That password is too easy to guess.",
  guests_disabled: "Guest access is turned off on this server.",
  account_suspended: "This account is suspended. Contact the site's administrators.",
};

// The server's detail for codes that cover several cases ("forbidden: wrong room password").
const BY_DETAIL = [
  [/wrong username or password/, "Wrong username or password."],
  [/wrong room password/, "That is not the room's password."],
  [/password required/, "This room needs a password."],
  [/wrong password|current password/, "That is not your current password."],
  [/too many rooms/, "You are in as many rooms as allowed. Leave one first."],
];

const FIELD = {
  name: "name", username: "username", display_name: "display name", password: "password", email: "email address",
  bio: "bio", avatar_url: "avatar address", description: "description", body: "message", code: "code",
  max_members: "member limit", slow_mode_secs: "slow mode",
};

/**
 * The sentence for an error: `code` (stable), `detail` (the server's message, for
 * logs; used only to tell cases of one code apart), `field` (invalid_input, too_large).
 */
export function sentence(code, detail = "", field = null) {
  const d = String(detail || "");
  for (const [re, s] of BY_DETAIL) if (re.test(d)) return s;
  if (code === "weak_password") {
    const reason = d.replace(/^[a-z_]+:\s*/, "");
    return reason && reason !== d ? `That password is too easy to guess: ${reason}` : BY_CODE.weak_password;
  }
  if (code === "invalid_input") {
    // "invalid name: must not be empty" -> "The name must not be empty."
    const m = /^invalid [^:]*:\s*(.+)$/.exec(d);
    const what = FIELD[field] || (field ? field.replace(/_/g, " ") : null);
    if (m && what) return `The ${what} ${m[1].replace(/\.$/, "")}.`;
    return what ? `The ${what} is not valid.` : "Some of that is not valid. Please check it.";
  }
  if (code === "too_large" && field) return `The ${FIELD[field] || field.replace(/_/g, " ")} is too long.`;
  if (code === "unauthenticated") return "Your session has ended. Please log in again.";
  if (code === "forbidden") return "You are not allowed to do that.";
  return BY_CODE[code] || "Something went wrong. Please try again.";
}
