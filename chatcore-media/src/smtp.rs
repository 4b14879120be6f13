//! [`SmtpMailer`]: chatcore's [`Mailer`] over lettre.

use async_trait::async_trait;
use chatcore::mail::{Email, Mailer};
use chatcore::{Error, Result};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A bad SMTP URL or sender address.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SmtpConfigError(String);

/// Sends chatcore's emails through an SMTP relay, in plain text.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `smtp://[user[:password]@]host[:port]` (port 25 by default),
    /// sending as `from` (e.g. `Chat <chat@example.com>`). The connection is plain
    /// SMTP: use a relay on a trusted network.
    pub fn new(url: &str, from: &str) -> std::result::Result<Self, SmtpConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| SmtpConfigError(format!("bad sender address: {e}")))?;
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| SmtpConfigError("the SMTP URL must start with smtp://".into()))?;
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| SmtpConfigError("bad SMTP port".into()))?,
            ),
            None => (hostport, 25),
        };
        if host.is_empty() {
            return Err(SmtpConfigError("the SMTP URL has no host".into()));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port);
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: Email) -> Result<()> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| Error::invalid("email", "not a valid address"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.text)
            .map_err(Error::backend)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(Error::backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(SmtpMailer::new("smtp://localhost:2525", "Chat <chat@example.com>").is_ok());
        assert!(SmtpMailer::new("smtp://u:p@mail.example", "chat@example.com").is_ok());
        assert!(SmtpMailer::new("http://x", "chat@example.com").is_err());
        assert!(SmtpMailer::new("smtp://host:notaport", "chat@example.com").is_err());
        assert!(SmtpMailer::new("smtp://host", "not an address").is_err());
    }
}
