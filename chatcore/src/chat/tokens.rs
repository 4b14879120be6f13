//! Email verification and password reset: single-use, expiring tokens mailed as links.
//!
//! Tokens are 256 random bits (base64url), stored only as SHA-256 hashes, removed
//! atomically when used (so a second use fails), refused after their expiry, and bound
//! to the address they were mailed to. Issuing a new reset token voids the user's
//! earlier ones; changing the email address voids its verification tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::Chat;
use super::accounts::{hash_password, token_hash};
use crate::error::{Error, Result};
use crate::hub::{CloseReason, Dispatch};
use crate::ids::UserId;
use crate::mail::Email;
use crate::model::{AccountToken, TokenPurpose, User};

/// Account settings of the service.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccountSettings {
    /// Whether a verified email address is required to send messages and upload
    /// files (default `false`). Login and reading are always allowed; host-application
    /// users (external identities) are exempt.
    pub require_email_verification: bool,
    /// The public address of the web app, the base of the links in emails (default
    /// `http://localhost:3000`). Links are `{public_url}/#verify-email=TOKEN` and
    /// `{public_url}/#reset-password=TOKEN`.
    pub public_url: String,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            require_email_verification: false,
            public_url: "http://localhost:3000".to_owned(),
        }
    }
}

impl AccountSettings {
    /// Require (or not) a verified email address to send and upload.
    pub fn require_email_verification(mut self, on: bool) -> Self {
        self.require_email_verification = on;
        self
    }
    /// Set the base of the links in emails.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into();
        self
    }
}

/// Longest token accepted (a real one is 43 characters).
const MAX_TOKEN_LEN: usize = 128;

impl Chat {
    /// Refuse with [`Error::EmailUnverified`] when verification is required and the
    /// actor's address is not verified.
    pub(super) async fn require_verified(&self, actor: UserId) -> Result<()> {
        if !self.inner.accounts.require_email_verification {
            return Ok(());
        }
        if self.inner.store.email_verified_at(actor).await?.is_some() {
            return Ok(());
        }
        let user = self.user(actor).await?;
        if user.external_id.is_some() {
            return Ok(());
        }
        Err(Error::EmailUnverified)
    }

    /// Whether the user's current email address is verified.
    pub async fn email_verified(&self, user: UserId) -> Result<bool> {
        Ok(self.inner.store.email_verified_at(user).await?.is_some())
    }

    async fn issue_token(&self, user: &User, email: &str, purpose: TokenPurpose) -> Result<String> {
        let store = &self.inner.store;
        if purpose == TokenPurpose::ResetPassword {
            // Only the newest reset link works. (Verification links stay valid until
            // used or expired: one mailed at registration must not void another.)
            store.delete_account_tokens(user.id, purpose).await?;
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let ttl = match purpose {
            TokenPurpose::VerifyEmail => self.inner.limits.verification_token_ttl,
            TokenPurpose::ResetPassword => self.inner.limits.reset_token_ttl,
        };
        let now = self.now();
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
        store
            .create_account_token(AccountToken {
                token_hash: token_hash(&token),
                user_id: user.id,
                purpose,
                email: email.to_owned(),
                created_at: now,
                expires_at: now + ttl,
            })
            .await?;
        Ok(token)
    }

    fn link(&self, name: &str, token: &str) -> String {
        format!(
            "{}/#{name}={token}",
            self.inner.accounts.public_url.trim_end_matches('/')
        )
    }

    /// Issue a verification token for the user's current address and mail the link.
    async fn send_verification(&self, user: &User) -> Result<()> {
        let Some(email) = user.email.clone() else {
            return Err(Error::invalid("email", "the account has no email address"));
        };
        let token = self
            .issue_token(user, &email, TokenPurpose::VerifyEmail)
            .await?;
        let hours = self.inner.limits.verification_token_ttl.as_secs() / 3600;
        let text = format!(
            "Hello {},\n\nconfirm your email address by opening this link:\n\n{}\n\nThe link works once, for {hours} hours. If you did not ask for it, ignore this email.\n",
            user.display_name,
            self.link("verify-email", &token)
        );
        self.inner
            .mailer
            .send(Email {
                to: email,
                subject: "Confirm your email address".to_owned(),
                text,
            })
            .await
    }

    /// After registration: mail a verification link in the background (failures are
    /// logged), so registering does not wait for the mail server.
    pub(super) fn spawn_verification(&self, user: &User) {
        if user.email.is_none() {
            return;
        }
        let chat = self.clone();
        let user = user.clone();
        tokio::spawn(async move {
            if let Err(e) = chat.send_verification(&user).await {
                tracing::warn!(user = %user.id, error = %e, "verification email failed");
            }
        });
    }

    /// Mail a new verification link to the actor's address (earlier links stop
    /// working). Nothing is sent when the address is already verified.
    ///
    /// `invalid_input` if the account has no email address; `rate_limited` past
    /// [`crate::Limits::mail_rate`].
    pub async fn request_email_verification(&self, actor: UserId) -> Result<()> {
        let user = self.user(actor).await?;
        let Some(email) = &user.email else {
            return Err(Error::invalid("email", "the account has no email address"));
        };
        if self.email_verified(actor).await? {
            return Ok(());
        }
        self.inner.mail_limiter.check(email)?;
        self.send_verification(&user).await
    }

    /// Use a verification token: the address it was mailed to becomes verified.
    /// Unknown, used, expired, or stale tokens (the account's address changed since)
    /// are [`Error::InvalidToken`]. Returns the user.
    pub async fn verify_email(&self, token: &str) -> Result<UserId> {
        let (t, user) = self.take_token(token, TokenPurpose::VerifyEmail).await?;
        self.inner
            .store
            .set_email_verified(user.id, Some(self.now()))
            .await?;
        tracing::info!(user = %t.user_id, "email verified");
        Ok(user.id)
    }

    /// Ask for a password reset link. The answer is the same whether or not an account
    /// has this address (no enumeration): the mail, if any, is sent in the background.
    /// Accounts without a password (external identities) get nothing.
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let Some(email) = super::validate::email(Some(email))? else {
            return Err(Error::invalid("email", "must not be empty"));
        };
        self.inner.mail_limiter.check(&email)?;
        let chat = self.clone();
        tokio::spawn(async move {
            if let Err(e) = chat.send_reset(&email).await {
                tracing::warn!(error = %e, "password reset email failed");
            }
        });
        Ok(())
    }

    async fn send_reset(&self, email: &str) -> Result<()> {
        let store = &self.inner.store;
        let Some(user) = store.find_user_by_email(email).await? else {
            tracing::info!("password reset asked for an unknown address");
            return Ok(());
        };
        if store.get_password_hash(user.id).await?.is_none() {
            return Ok(());
        }
        let token = self
            .issue_token(&user, email, TokenPurpose::ResetPassword)
            .await?;
        let minutes = self.inner.limits.reset_token_ttl.as_secs() / 60;
        let text = format!(
            "Hello {},\n\nset a new password by opening this link:\n\n{}\n\nThe link works once, for {minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.\n",
            user.display_name,
            self.link("reset-password", &token)
        );
        self.inner
            .mailer
            .send(Email {
                to: email.to_owned(),
                subject: "Reset your password".to_owned(),
                text,
            })
            .await
    }

    /// Use a reset token to set a new password. Every session of the account ends
    /// (its connections close), and the address the link went to counts as verified.
    /// The password policy is checked before the token is used, so a rejected password
    /// does not burn the link.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<()> {
        self.check_password_policy(new_password)?;
        let (_, user) = self.take_token(token, TokenPurpose::ResetPassword).await?;
        let store = &self.inner.store;
        let hash = hash_password(new_password.to_owned()).await?;
        store.set_password_hash(user.id, &hash).await?;
        store.delete_user_sessions(user.id).await?;
        self.publish(Dispatch::Disconnect {
            user: user.id,
            session: None,
            reason: CloseReason::SessionRevoked,
        });
        if store.email_verified_at(user.id).await?.is_none() {
            store.set_email_verified(user.id, Some(self.now())).await?;
        }
        tracing::info!(user = %user.id, "password reset");
        Ok(())
    }

    /// Take (use up) a token and check it: purpose, expiry, and that the account still
    /// exists with the address the token was mailed to.
    async fn take_token(&self, token: &str, purpose: TokenPurpose) -> Result<(AccountToken, User)> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(Error::InvalidToken);
        }
        let store = &self.inner.store;
        let Some(t) = store
            .take_account_token(&token_hash(token), purpose)
            .await?
        else {
            return Err(Error::InvalidToken);
        };
        if t.expires_at <= self.now() {
            return Err(Error::InvalidToken);
        }
        let Some(user) = store.get_user(t.user_id).await? else {
            return Err(Error::InvalidToken);
        };
        if user.email.as_deref() != Some(t.email.as_str()) {
            return Err(Error::InvalidToken);
        }
        Ok((t, user))
    }
}
