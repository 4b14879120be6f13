//! Accounts, credentials and sessions.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Chat, user_view, validate};
use crate::error::{Conflict, Error, Result};
use crate::hub::{CloseReason, Dispatch};
use crate::ids::{SessionId, UserId, Username};
use crate::model::{NewUser, Role, RoomKind, Session, User};
use crate::protocol::{MeView, RemovalReason, ServerEvent};
use crate::store::FileScope;

/// How often an account deletion looks at the user's rooms again when rooms keep
/// being handed to them while it runs (then it gives up with `Conflict`).
const DELETE_ATTEMPTS: u32 = 5;

/// Registration input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Register {
    /// Username: letters, digits, `_`, `-`, `.`, starting with a letter or digit;
    /// unique case-insensitively.
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:username"))]
    pub username: String,
    /// Password.
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:password"))]
    pub password: String,
    /// Optional, unique email address (`""`: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:email"))]
    pub email: Option<String>,
    /// Optional display name (absent or `""`: the username).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:optional-name"))]
    pub display_name: Option<String>,
}

/// A user of a host application, attached without a password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalUser {
    /// Stable, unique id in the host application (e.g. `"myapp:42"`).
    pub external_id: String,
    /// Preferred username; made unique with a numeric suffix if taken.
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// Profile changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileUpdate {
    /// New display name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:name"))]
    pub display_name: Option<String>,
    /// New bio.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:bio"))]
    pub bio: Option<String>,
    /// New avatar URL (`""` clears).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:url"))]
    pub avatar_url: Option<String>,
    /// New email (`""` clears).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:email"))]
    pub email: Option<String>,
}

/// A freshly issued session token. The only time the secret exists outside the client.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionToken {
    /// The secret bearer token (256 random bits, base64url).
    pub token: String,
    /// The session record (holds only the token's hash).
    pub session: Session,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &"<redacted>")
            .field("session", &self.session.id)
            .finish()
    }
}

/// SHA-256 of a token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// At most this many argon2 computations run at once (one per core, at least two):
/// each holds 19 MiB, so a burst of registrations or logins waits in line instead of
/// taking the blocking pool's 512 threads and gigabytes of memory.
static HASHING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        std::sync::Arc::new(tokio::sync::Semaphore::new(n))
    });

async fn hashing_permit() -> Result<tokio::sync::OwnedSemaphorePermit> {
    HASHING
        .clone()
        .acquire_owned()
        .await
        .map_err(Error::backend)
}

/// Hash a password with argon2id (OWASP parameters: 19 MiB, 2 passes), off the
/// async worker threads.
pub(crate) async fn hash_password(password: String) -> Result<String> {
    let permit = hashing_permit().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::backend(std::io::Error::other(e.to_string())))
    })
    .await
    .map_err(Error::backend)?
}

/// Verify a password against an argon2 PHC string, off the async worker threads.
pub(crate) async fn verify_password(password: String, hash: String) -> Result<bool> {
    let permit = hashing_permit().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(Error::backend)
}

/// A precomputed hash verified against when the user does not exist, so that login
/// takes the same time for unknown users (no username enumeration by timing).
pub(super) static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl Chat {
    pub(super) fn check_password_policy(&self, password: &str) -> Result<()> {
        let l = &self.inner.limits;
        if !validate::fits(password, l.password_max_chars) {
            return Err(Error::TooLarge {
                field: "password",
                limit: l.password_max_chars,
            });
        }
        if password.chars().count() < l.password_min_chars {
            return Err(Error::invalid(
                "password",
                format!("must be at least {} characters", l.password_min_chars),
            ));
        }
        validate::password_strength(password, l.password_min_score)?;
        Ok(())
    }

    /// Create a password account and log it in.
    pub async fn register(
        &self,
        input: Register,
        user_agent: Option<String>,
    ) -> Result<(MeView, SessionToken)> {
        let username = Username::parse(&input.username)?;
        self.check_password_policy(&input.password)?;
        let email = validate::email(input.email.as_deref())?;
        let display_name = match input.display_name.as_deref() {
            Some(d) if !d.is_empty() => {
                validate::name("display_name", d, self.inner.limits.max_name_chars)?
            }
            _ => username.as_str().to_owned(),
        };
        let hash = hash_password(input.password).await?;
        let user = User {
            id: UserId::new(),
            username,
            email,
            display_name,
            bio: String::new(),
            avatar_url: None,
            external_id: None,
            created_at: self.now(),
            last_seen_at: None,
            guest: false,
        };
        let user = self
            .inner
            .store
            .create_user(NewUser {
                user,
                password_hash: Some(hash),
            })
            .await?;
        let token = self.create_session(user.id, user_agent).await?;
        self.spawn_verification(&user);
        Ok((me_view(&user, true), token))
    }

    /// Attach (or find) a user of a host application. No password; the host
    /// authenticates them. Returns the chatcore user.
    pub async fn ensure_external_user(&self, ext: ExternalUser) -> Result<User> {
        let external_id = validate::name("external_id", &ext.external_id, 256)?;
        let store = &self.inner.store;
        if let Some(u) = store.find_user_by_external_id(&external_id).await? {
            return Ok(u);
        }
        // Derive a valid username from the preferred one.
        let mut base: String = ext
            .username
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(Username::MAX_LEN - 4)
            .collect();
        while base.starts_with(['_', '-', '.']) {
            base.remove(0);
        }
        if base.len() < Username::MIN_LEN {
            base = format!("user{base}");
        }
        let display_name = match ext.display_name.as_deref() {
            Some(d) if !d.trim().is_empty() => {
                validate::name("display_name", d, self.inner.limits.max_name_chars)?
            }
            _ => base.clone(),
        };
        for attempt in 0..20u32 {
            let candidate = if attempt == 0 {
                base.clone()
            } else {
                format!("{base}{}", rand::random::<u16>() % 10_000)
            };
            let username = Username::parse(&candidate)?;
            let user = User {
                id: UserId::new(),
                username,
                email: None,
                display_name: display_name.clone(),
                bio: String::new(),
                avatar_url: None,
                external_id: Some(external_id.clone()),
                created_at: self.now(),
                last_seen_at: None,
                guest: false,
            };
            match store
                .create_user(NewUser {
                    user,
                    password_hash: None,
                })
                .await
            {
                Ok(u) => return Ok(u),
                Err(Error::Conflict(Conflict::Username)) => continue,
                Err(Error::Conflict(Conflict::ExternalIdentity)) => {
                    // Lost a race with a concurrent attach of the same identity.
                    return store
                        .find_user_by_external_id(&external_id)
                        .await?
                        .ok_or(Error::Conflict(Conflict::Concurrent));
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(Conflict::Username))
    }

    /// The acting user's own account.
    pub async fn me(&self, user: UserId) -> Result<MeView> {
        let u = self.user(user).await?;
        let has_password = self.inner.store.get_password_hash(user).await?.is_some();
        let mut me = me_view(&u, has_password);
        me.email_verified = self.email_verified(user).await?;
        Ok(me)
    }

    /// Another user's public profile.
    pub async fn get_user(&self, id: UserId) -> Result<crate::protocol::UserView> {
        Ok(user_view(&self.user(id).await?))
    }

    /// Look a user up by username (case-insensitive).
    pub async fn find_user(&self, username: &str) -> Result<crate::protocol::UserView> {
        let name = Username::parse(username).map_err(|_| Error::NotFound("user"))?;
        self.inner
            .store
            .find_user_by_username(&name.normalized())
            .await?
            .map(|u| user_view(&u))
            .ok_or(Error::NotFound("user"))
    }

    /// Update one's profile.
    pub async fn update_profile(&self, user: UserId, update: ProfileUpdate) -> Result<MeView> {
        let l = &self.inner.limits;
        let mut u = self.user(user).await?;
        let before = (u.display_name.clone(), u.avatar_url.clone(), u.bio.clone());
        if let Some(d) = update.display_name.as_deref() {
            u.display_name = validate::name("display_name", d, l.max_name_chars)?;
        }
        if let Some(b) = update.bio.as_deref() {
            u.bio = validate::text("bio", b, l.max_bio_chars)?;
        }
        if let Some(a) = update.avatar_url.as_deref() {
            u.avatar_url = validate::url("avatar_url", Some(a), l.max_url_len)?;
        }
        let old_email = u.email.clone();
        if let Some(e) = update.email.as_deref() {
            u.email = validate::email(Some(e))?;
        }
        if u.guest && u.email.is_some() {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
        }
        if u.email != old_email {
            // Each change mails a link and may answer `email_taken`: limited per user
            // (spam relay, address oracle) and, for the mail, per address.
            self.inner.email_change_limiter.check(&user)?;
            if let Some(e) = &u.email {
                self.inner.mail_limiter.check(e)?;
            }
        }
        self.inner.store.update_user(&u).await?;
        if (&u.display_name, &u.avatar_url, &u.bio) != (&before.0, &before.1, &before.2) {
            self.announce_profile(&u).await;
        }
        if u.email != old_email {
            // A new address must be verified anew; links sent to the old one are void.
            let store = &self.inner.store;
            store.set_email_verified(user, None).await?;
            store
                .delete_account_tokens(user, crate::model::TokenPurpose::VerifyEmail)
                .await?;
            self.spawn_verification(&u);
        }
        self.me(user).await
    }

    /// Change one's password; every other session is logged out.
    pub async fn change_password(
        &self,
        user: UserId,
        current_session: Option<SessionId>,
        old: &str,
        new: &str,
    ) -> Result<()> {
        self.check_password_policy(new)?;
        let store = &self.inner.store;
        let Some(hash) = store.get_password_hash(user).await? else {
            return Err(Error::Forbidden("this account has no password"));
        };
        self.inner.password_limiter.check(&user)?;
        if !validate::fits(old, self.inner.limits.password_max_chars)
            || !verify_password(old.to_owned(), hash).await?
        {
            return Err(Error::Unauthenticated("wrong password"));
        }
        let new_hash = hash_password(new.to_owned()).await?;
        store.set_password_hash(user, &new_hash).await?;
        for s in store.list_sessions(user).await? {
            if Some(s.id) != current_session {
                store.delete_session(user, s.id).await?;
                self.publish(Dispatch::Disconnect {
                    user,
                    session: Some(s.id),
                    reason: CloseReason::SessionRevoked,
                });
            }
        }
        Ok(())
    }

    /// Delete an account. Password accounts must confirm with their password.
    ///
    /// The rule: sessions, memberships and invitations go; each room the user owns
    /// is handed to its highest-ranked, longest-standing other member, or deleted if
    /// nobody else is in it; the user's messages are erased (tombstones stay so that
    /// sequence numbers and replies keep their place) and their files deleted, bytes
    /// included (room avatars they set stay with the rooms); bans they issued stay in
    /// force.
    pub async fn delete_account(&self, user: UserId, password: Option<&str>) -> Result<()> {
        let store = &self.inner.store;
        if let Some(hash) = store.get_password_hash(user).await? {
            self.inner.password_limiter.check(&user)?;
            let ok = match password {
                Some(p) if validate::fits(p, self.inner.limits.password_max_chars) => {
                    verify_password(p.to_owned(), hash).await?
                }
                _ => false,
            };
            if !ok {
                return Err(Error::Unauthenticated("wrong password"));
            }
        }
        // Hand on what they own, then delete; the store refuses the deletion if a
        // room was handed to them meanwhile (a transfer racing this), and then the
        // rooms are looked at again.
        let mut attempts = 0;
        let rooms = loop {
            let rooms = store.list_user_rooms(user).await?;
            for (room, membership) in &rooms {
                if membership.role == Role::Owner && room.kind != RoomKind::Direct {
                    match self.hand_on_or_delete(room, user).await {
                        Ok(_) => {}
                        // The heir left, or the room changed hands: look again.
                        Err(Error::NotFound(_) | Error::Conflict(Conflict::Concurrent))
                            if attempts < DELETE_ATTEMPTS => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            if attempts == 0 {
                // Before the account: its deletion clears the files' uploader.
                self.discard_files(FileScope::Uploader(user)).await?;
            }
            match store.delete_user(user, self.now()).await {
                Ok(()) => break rooms,
                Err(Error::Conflict(Conflict::Concurrent)) if attempts < DELETE_ATTEMPTS => {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        };
        for (room, _) in rooms {
            self.publish_room_queued(
                room.id,
                ServerEvent::MemberRemoved {
                    room: room.id,
                    user,
                    reason: RemovalReason::AccountDeleted,
                    by: None,
                },
            )
            .await;
            self.publish(Dispatch::Unsubscribe {
                user,
                room: room.id,
            });
        }
        self.access_changed().await;
        self.publish(Dispatch::Disconnect {
            user,
            session: None,
            reason: CloseReason::AccountDeleted,
        });
        Ok(())
    }
}

pub(crate) fn me_view(u: &User, has_password: bool) -> MeView {
    MeView {
        user: user_view(u),
        email: u.email.clone(),
        has_password,
        email_verified: false,
    }
}

/// Whether two token hashes are equal, compared in constant time.
pub(crate) fn token_matches(stored: &[u8; 32], presented: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(stored.ct_eq(presented))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_are_compared_whole() {
        let a = token_hash("a-token");
        assert!(token_matches(&a, &token_hash("a-token")));
        assert!(!token_matches(&a, &token_hash("a-tokem")));
        let mut b = a;
        b[31] ^= 1;
        assert!(!token_matches(&a, &b));
        b = a;
        b[0] ^= 0x80;
        assert!(!token_matches(&a, &b));
    }
}
