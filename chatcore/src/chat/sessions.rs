//! Sessions: logging in (with its throttles), issuing and checking session tokens,
//! logging out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::accounts::{
    DUMMY_HASH, SessionToken, hash_password, me_view, token_hash, token_matches, verify_password,
};
use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::hub::{CloseReason, Dispatch};
use crate::ids::{SessionId, UserId, Username};
use crate::model::Session;
use crate::protocol::MeView;

impl Chat {
    /// Check a username and password and open a session.
    /// Unknown users and wrong passwords get the same error and take the same time.
    ///
    /// As [`Chat::login_from`] without a client address: all such calls share one
    /// attempt budget per account.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        user_agent: Option<String>,
    ) -> Result<(MeView, SessionToken)> {
        self.login_from(username, password, user_agent, None).await
    }

    /// Check a username and password from a client address and open a session.
    ///
    /// Attempts are limited per account and address ([`crate::Limits::login_rate`]),
    /// so failures from other addresses cannot lock the owner out, and per account
    /// from all addresses ([`crate::Limits::login_account_rate`]), a ceiling that an
    /// address which logged in to the account before passes. `client` is the
    /// rate-limit key of the address (a transport may group addresses, e.g. an IPv6
    /// /64).
    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        user_agent: Option<String>,
        client: Option<std::net::IpAddr>,
    ) -> Result<(MeView, SessionToken)> {
        if !validate::fits(password, self.inner.limits.password_max_chars) {
            return Err(Error::Unauthenticated("wrong username or password"));
        }
        let store = &self.inner.store;
        let parsed = Username::parse(username).ok();
        if let Some(u) = &parsed {
            let pair = (u.normalized(), client);
            self.inner.login_limiter.check(&pair)?;
            if let Err(limited) = self.inner.login_account_limiter.check(&pair.0)
                && (client.is_none() || !self.inner.known_logins.contains(&pair))
            {
                return Err(limited);
            }
        }
        let user = match &parsed {
            Some(u) => store.find_user_by_username(&u.normalized()).await?,
            None => None,
        };
        let hash = match &user {
            Some(u) => store.get_password_hash(u.id).await?,
            None => None,
        };
        let ok = match hash.clone() {
            Some(h) => verify_password(password.to_owned(), h).await?,
            None => {
                let dummy = match DUMMY_HASH.get() {
                    Some(d) => d.clone(),
                    None => {
                        let d = hash_password("dummy-password".to_owned()).await?;
                        DUMMY_HASH.get_or_init(|| d).clone()
                    }
                };
                let _ = verify_password(password.to_owned(), dummy).await?;
                false
            }
        };
        match (ok, user) {
            (true, Some(user)) => {
                if let Some(u) = parsed {
                    self.inner.known_logins.insert((u.normalized(), client));
                }
                let token = self.create_session(user.id, user_agent).await?;
                // A password change or reset sets the new hash first and ends the
                // sessions after: re-reading the hash now that this session exists
                // means one of the two always sees the other, so a login checked
                // against the old password never keeps a session past the change.
                if store.get_password_hash(user.id).await? != hash {
                    store.delete_session(user.id, token.session.id).await?;
                    return Err(Error::Unauthenticated("wrong username or password"));
                }
                let mut me = me_view(&user, true);
                me.email_verified = self.email_verified(user.id).await?;
                Ok((me, token))
            }
            _ => Err(Error::Unauthenticated("wrong username or password")),
        }
    }

    /// Issue a new session for a user (also for host-app users that need a token,
    /// e.g. for a WebSocket).
    pub async fn create_session(
        &self,
        user: UserId,
        user_agent: Option<String>,
    ) -> Result<SessionToken> {
        let ttl = chrono::Duration::from_std(self.inner.limits.session_ttl)
            .unwrap_or(chrono::Duration::days(30));
        self.issue_session(user, user_agent, ttl).await
    }

    /// Issue a session that expires `ttl` from now.
    pub(super) async fn issue_session(
        &self,
        user: UserId,
        user_agent: Option<String>,
        ttl: chrono::Duration,
    ) -> Result<SessionToken> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let now = self.now();
        let session = Session {
            id: SessionId::new(),
            user_id: user,
            token_hash: token_hash(&token),
            created_at: now,
            last_used_at: now,
            expires_at: now + ttl,
            user_agent: user_agent.map(|ua| ua.chars().take(256).collect()),
        };
        self.inner.store.create_session(session.clone()).await?;
        self.refuse_suspended_session(&session).await?;
        Ok(SessionToken { token, session })
    }

    /// Resolve a bearer token to its session, renewing it (sliding expiry) at most once
    /// a minute. Expired and unknown tokens are `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<Session> {
        if token.is_empty() || token.len() > 128 {
            return Err(Error::Unauthenticated("invalid token"));
        }
        let store = &self.inner.store;
        // The look-up is by SHA-256 of the token: the database compares hashes, so
        // timing reveals nothing about the secret itself (an attacker controls the
        // token, not its hash). The match is then confirmed in constant time, so that
        // a store whose look-up is looser than byte equality can never let another
        // token in.
        let hash = token_hash(token);
        let Some(mut session) = store.find_session(&hash).await? else {
            return Err(Error::Unauthenticated("invalid token"));
        };
        if !token_matches(&session.token_hash, &hash) {
            return Err(Error::Unauthenticated("invalid token"));
        }
        let now = self.now();
        if session.expires_at <= now {
            return Err(Error::Unauthenticated("session expired"));
        }
        if now - session.last_used_at > chrono::Duration::minutes(1) {
            let ttl = chrono::Duration::from_std(self.inner.limits.session_ttl)
                .unwrap_or(chrono::Duration::days(30));
            session.last_used_at = now;
            // A guest's session is not renewed: it ends with the guest's lifetime.
            if !self.is_guest(session.user_id).await? {
                session.expires_at = now + ttl;
            }
            store
                .touch_session(session.id, now, session.expires_at)
                .await?;
        }
        Ok(session)
    }

    /// End one session (and close its connections).
    pub async fn logout(&self, user: UserId, session: SessionId) -> Result<()> {
        if !self.inner.store.delete_session(user, session).await? {
            return Err(Error::NotFound("session"));
        }
        self.publish(Dispatch::Disconnect {
            user,
            session: Some(session),
            reason: CloseReason::SessionRevoked,
        });
        Ok(())
    }

    /// End every session of the user (and close all their connections).
    pub async fn logout_everywhere(&self, user: UserId) -> Result<u64> {
        let n = self.inner.store.delete_user_sessions(user).await?;
        self.publish(Dispatch::Disconnect {
            user,
            session: None,
            reason: CloseReason::SessionRevoked,
        });
        Ok(n)
    }

    /// The user's sessions, newest first.
    pub async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
        self.inner.store.list_sessions(user).await
    }
}
