// A password strength meter shown while typing. It is a hint only: the server decides
// (chatcore estimates strength with zxcvbn and refuses weak passwords with
// `weak_password` and a reason, shown by the form). The estimate here is deliberately
// simple: length, variety, and the patterns that make passwords easy to guess.

import { html } from "../lib.js";

const COMMON = /^(password|passw0rd|qwerty|azerty|letmein|welcome|admin|iloveyou|monkey|dragon|abc|123|000|111)/i;
const LABELS = ["Too weak", "Weak", "Fair", "Good", "Strong"];

/** 0 (too weak) to 4 (strong), and a short reason for the low scores. */
export function estimate(pw) {
  if (!pw) return { score: 0, hint: "" };
  if (pw.length < 8) return { score: 0, hint: "Use at least 8 characters." };
  const unique = new Set(pw).size;
  if (unique <= 2) return { score: 0, hint: "Repeated characters are easy to guess." };
  if (/^\d+$/.test(pw)) return { score: 0, hint: "Digits alone are easy to guess." };
  if (COMMON.test(pw.replace(/\s/g, ""))) return { score: 1, hint: "This is one of the most common passwords." };
  let classes = 0;
  for (const re of [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/]) if (re.test(pw)) classes += 1;
  const bits = pw.length * Math.log2(Math.min(95, 10 + classes * 20)) * Math.min(1, unique / 6);
  const score = bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  return { score, hint: score < 3 ? "Longer is stronger: a few unrelated words work well." : "" };
}

/** The meter under a new-password field. */
export function StrengthMeter({ password, testid = "password-strength" }) {
  if (!password) return null;
  const { score, hint } = estimate(password);
  return html`<div class=${"strength s" + score} data-testid=${testid} data-score=${String(score)} aria-live="polite">
    <div class="strength-bar" aria-hidden="true"><i></i><i></i><i></i><i></i></div>
    <span class="strength-label">${LABELS[score]}${hint ? html`<span class="muted">${" · " + hint}</span>` : null}</span>
  </div>`;
}
