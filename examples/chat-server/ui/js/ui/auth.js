// The sign-in screen (log in, register), and the password-reset and email
// verification links that emails point to.

import { html, useRef, useState, useEffect } from "../lib.js";
import { Icon } from "./icons.js";
import { Field, FormError, ThemeToggle } from "./common.js";
import { Modal } from "./modal.js";
import { StrengthMeter } from "./strength.js";
import { GuestEntry } from "./guest.js";
import { Api } from "../transport/index.js";
import { session } from "../state/store.js";
import { toast } from "../state/toasts.js";
import { openDialog } from "../state/dialogs.js";
import { startSession } from "../state/actions.js";
import { endSession } from "../state/sync.js";

function showTab(mode) {
  session.authNotice.value = null;
  session.authMode.value = mode;
}

export function AuthScreen() {
  const mode = session.authMode.value;
  const isLogin = mode === "login";
  return html`<div class="auth" data-testid="auth-screen">
    <${ThemeToggle} class="theme-corner" />
    <div class="auth-side">
      <div class="auth-hero">
        <img src="/favicon.svg" alt="" class="auth-logo" />
        <h1>chatcore</h1>
        <p>Rooms, direct messages and real-time chat: fast, private, yours.</p>
        <ul class="auth-points">
          <li><${Icon} name="hash" size=${16} />Public rooms anyone can join</li>
          <li><${Icon} name="lock" size=${16} />Private rooms behind a code</li>
          <li><${Icon} name="shield" size=${16} />Roles and moderation built in</li>
        </ul>
      </div>
    </div>
    <div class="auth-main">
      <div class="auth-card">
        <h2>${isLogin ? "Welcome back" : "Create your account"}</h2>
        <p class="muted">${isLogin ? "Log in to continue to your rooms." : "It takes ten seconds."}</p>
        <div class="tabs" role="tablist">
          <button type="button" class=${"tab" + (isLogin ? " on" : "")} role="tab" aria-selected=${String(isLogin)}
            data-testid="tab-login" onClick=${() => showTab("login")}>Log in</button>
          <button type="button" class=${"tab" + (!isLogin ? " on" : "")} role="tab" aria-selected=${String(!isLogin)}
            data-testid="tab-register" onClick=${() => showTab("register")}>Register</button>
        </div>
        <${AuthForm} key=${mode} isLogin=${isLogin} notice=${session.authNotice.value} />
        <${GuestEntry} />
      </div>
    </div>
  </div>`;
}

function AuthForm({ isLogin, notice }) {
  const [error, setError] = useState(notice);
  const [busy, setBusy] = useState(false);
  const [pw, setPw] = useState("");
  const username = useRef(null);
  useEffect(() => { username.current.focus(); }, []);
  useEffect(() => setError(notice), [notice]);

  const submit = async (e) => {
    e.preventDefault();
    const f = e.currentTarget.elements;
    setError(null);
    setBusy(true);
    try {
      if (isLogin) {
        await Api.login({ username: f.username.value.trim(), password: f.password.value });
      } else {
        await Api.register({
          username: f.username.value.trim(), password: f.password.value,
          display_name: f.display_name.value.trim() || undefined, email: f.email.value.trim() || undefined,
        });
      }
      await startSession();
    } catch (err) {
      setError(err.message || "Something went wrong");
      setBusy(false);
    }
  };

  return html`<form class="auth-form" onSubmit=${submit}>
    <${Field} label="Username">
      <input ref=${username} class="input" name="username" required autocomplete="username" minLength=${3} maxLength=${32} data-testid="auth-username" />
    <//>
    ${isLogin ? null : html`
      <${Field} label="Display name">
        <input class="input" name="display_name" maxLength=${64} autocomplete="name" placeholder="Optional" data-testid="auth-display-name" />
      <//>
      <${Field} label="Email">
        <input class="input" name="email" type="email" autocomplete="email" placeholder="Optional: for password resets" data-testid="auth-email" />
      <//>`}
    <${Field} label="Password" hint=${isLogin ? null : "At least 8 characters, hard to guess: a few unrelated words work well."}>
      <input class="input" name="password" type="password" required minLength=${isLogin ? 1 : 8}
        autocomplete=${isLogin ? "current-password" : "new-password"} data-testid="auth-password"
        onInput=${isLogin ? null : (e) => setPw(e.currentTarget.value)} />
    <//>
    ${isLogin ? null : html`<${StrengthMeter} password=${pw} />`}
    <${FormError} message=${error} testid="auth-error" />
    <button type="submit" class="btn btn-primary btn-block btn-large" disabled=${busy} data-testid="auth-submit">${isLogin ? "Log in" : "Create account"}</button>
    ${isLogin ? html`<button type="button" class="link" data-testid="forgot-password" onClick=${() => openDialog(ForgotPasswordDialog)}>Forgot your password?</button>` : null}
  </form>`;
}

/** Ask for a reset link (the answer never says whether the address is known). */
function ForgotPasswordDialog({ close }) {
  return html`<${Modal} close=${close} title="Reset your password" submitLabel="Send the link" testid="forgot-dialog"
      onSubmit=${async (form) => {
        await Api.requestReset(form.elements.email.value.trim());
        toast("If an account has this address, a link is on its way.", "info");
      }}>
    <${Field} label="Email"><input class="input" name="email" type="email" required autocomplete="email" data-testid="reset-email" /><//>
  <//>`;
}

function ResetPasswordDialog({ close, token }) {
  const [pw, setPw] = useState("");
  return html`<${Modal} close=${close} title="Choose a new password" submitLabel="Set password" testid="reset-dialog"
      onSubmit=${async (form) => {
        await Api.resetPassword(token, form.elements.password.value);
        toast("Password changed. Log in with it.", "success");
        endSession();
      }}>
    <${Field} label="New password" hint="At least 8 characters. Every session will be logged out.">
      <input class="input" name="password" type="password" required minLength=${8} autocomplete="new-password" data-testid="reset-password"
        onInput=${(e) => setPw(e.currentTarget.value)} />
    <//>
    <${StrengthMeter} password=${pw} />
  <//>`;
}

/** `#verify-email=TOKEN` and `#reset-password=TOKEN` links from emails. */
export async function handleEmailLink() {
  const m = /^#(verify-email|reset-password)=([A-Za-z0-9_-]{1,128})$/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, "", location.pathname + location.search);
  const [, kind, token] = m;
  if (kind === "reset-password") {
    openDialog(ResetPasswordDialog, { token });
    return;
  }
  try {
    await Api.verifyEmail(token);
    toast("Your email address is verified.", "success");
  } catch (err) {
    toast(err.message, "error");
  }
}
