//! Outgoing email: the [`Mailer`] contract, the default [`LogMailer`] and the
//! [`RecordingMailer`] for tests.
//!
//! chatcore sends two kinds of email: address verification and password reset. Both
//! carry a single-use link. chatcore itself never speaks SMTP; an SMTP mailer lives in
//! `chatcore-media` (feature `smtp`).

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::error::Result;

/// One plain-text email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (holds the link).
    pub text: String,
}

/// Sends emails. Dyn-compatible: held as `Arc<dyn Mailer>`.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Send one email. Failures are `Error::Backend` with the transport's error as
    /// source.
    async fn send(&self, email: Email) -> Result<()>;
}

/// The default mailer: sends nothing, logs each email (with its link) through
/// `tracing` at `info` level, target `chatcore::mail`. For development and demos.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: Email) -> Result<()> {
        tracing::info!(
            target: "chatcore::mail",
            to = %email.to,
            subject = %email.subject,
            "email not sent (log mailer):\n{}",
            email.text
        );
        Ok(())
    }
}

/// Keeps every email in memory, for tests (read them with
/// [`RecordingMailer::emails`]).
#[derive(Debug, Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<Email>>,
}

impl RecordingMailer {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every email sent so far, oldest first.
    pub fn emails(&self) -> Vec<Email> {
        self.sent.lock().clone()
    }

    /// The newest email sent to `to`, if any.
    pub fn last_to(&self, to: &str) -> Option<Email> {
        self.sent
            .lock()
            .iter()
            .rev()
            .find(|e| e.to.eq_ignore_ascii_case(to))
            .cloned()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: Email) -> Result<()> {
        self.sent.lock().push(email);
        Ok(())
    }
}

/// The token of a link `…#name=TOKEN` or `…?name=TOKEN` in an email body (for tests
/// and tools).
pub fn token_in(text: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=");
    let start = text.find(&needle)? + needle.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}
