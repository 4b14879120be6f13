//! Guests: temporary accounts made with only a display name (`POST /auth/guest`).
//!
//! Off unless [`Limits::guests`](super::Limits::guests) is set. A guest has a generated
//! username (`guest-` and six random characters), no password (so no password login)
//! and one session that ends [`Limits::guest_ttl`](super::Limits::guest_ttl) after the
//! account was made, never renewed. Guests may join public rooms, read, send (also
//! under [`Limits::guest_send_rate`](super::Limits::guest_send_rate)), react, report
//! and leave. They may not create rooms, open or be offered direct rooms, join private
//! rooms (by code or invitation), be invited, hold a role above member, upload files
//! or avatars, or set an email address. Housekeeping deletes them once they are
//! `guest_ttl` old, with the account-deletion rule ([`Chat::delete_account`]).

use rand::Rng as _;

use super::accounts::me_view;
use super::{Chat, validate};
use crate::error::{Conflict, Error, Result};
use crate::ids::{UserId, Username};
use crate::model::{NewUser, User};
use crate::protocol::MeView;

use super::accounts::SessionToken;

/// What [`Chat::create_guest`] answers when guests are off.
pub(crate) const GUESTS_OFF: &str = "guest accounts are turned off on this server";

/// Guests deleted per batch by [`Chat::delete_expired_guests`].
const GUEST_CLEANUP_BATCH: u32 = 100;
/// Batches per call; the rest waits for the next housekeeping run.
const GUEST_CLEANUP_MAX_BATCHES: usize = 10;

/// Characters of generated guest usernames (no look-alikes such as `l`, `1`, `o`, `0`).
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn guest_username() -> String {
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("guest-{tail}")
}

impl Chat {
    /// Make a temporary guest account with `display_name` and log it in (see the
    /// module documentation for what guests may do). `Forbidden` when
    /// [`Limits::guests`](super::Limits::guests) is off. Callers limit how often an
    /// address may call this (the HTTP layer counts it as a registration).
    pub async fn create_guest(
        &self,
        display_name: &str,
        user_agent: Option<String>,
    ) -> Result<(MeView, SessionToken)> {
        let l = &self.inner.limits;
        if !l.guests {
            return Err(Error::Forbidden(GUESTS_OFF));
        }
        let display_name = validate::name("display_name", display_name, l.max_name_chars)?;
        let ttl = chrono::Duration::from_std(l.guest_ttl).unwrap_or(chrono::Duration::days(1));
        for _ in 0..20 {
            let user = User {
                id: UserId::new(),
                username: Username::parse(&guest_username())?,
                email: None,
                display_name: display_name.clone(),
                bio: String::new(),
                avatar_url: None,
                external_id: None,
                created_at: self.now(),
                last_seen_at: None,
                guest: true,
            };
            let user = match self
                .inner
                .store
                .create_user(NewUser {
                    user,
                    password_hash: None,
                })
                .await
            {
                Ok(u) => u,
                Err(Error::Conflict(Conflict::Username)) => continue,
                Err(e) => return Err(e),
            };
            let token = self.issue_session(user.id, user_agent, ttl).await?;
            return Ok((me_view(&user, false), token));
        }
        Err(Error::Conflict(Conflict::Username))
    }

    /// Refuse guests (`Forbidden`): for what only full accounts may do.
    pub(super) async fn refuse_guest(&self, actor: UserId) -> Result<()> {
        if self.user(actor).await?.guest {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
        }
        Ok(())
    }

    /// Whether the user is a guest (false if there is no such user).
    pub(super) async fn is_guest(&self, user: UserId) -> Result<bool> {
        Ok(self
            .inner
            .store
            .get_user(user)
            .await?
            .is_some_and(|u| u.guest))
    }

    /// Delete the guest accounts older than [`Limits::guest_ttl`](super::Limits::guest_ttl)
    /// with the account-deletion rule ([`Chat::delete_account`]), in batches of 100,
    /// at most 10 batches per call (the rest goes in the next run). Returns how many
    /// went. Housekeeping runs it, also when guests are off (so that turning them off
    /// still clears the old ones).
    pub async fn delete_expired_guests(&self) -> Result<u64> {
        let ttl = chrono::Duration::from_std(self.inner.limits.guest_ttl)
            .unwrap_or(chrono::Duration::MAX);
        let Some(before) = self.now().checked_sub_signed(ttl) else {
            return Ok(0);
        };
        let mut total = 0;
        for _ in 0..GUEST_CLEANUP_MAX_BATCHES {
            let ids = self
                .inner
                .store
                .list_expired_guests(before, GUEST_CLEANUP_BATCH)
                .await?;
            for id in &ids {
                // Only guests, whatever a store returned: the rule deletes without a
                // password.
                if !self.is_guest(*id).await? {
                    continue;
                }
                match self.delete_account(*id, None).await {
                    // Gone already (another node's housekeeping).
                    Ok(()) | Err(Error::NotFound(_)) => total += 1,
                    Err(e) => return Err(e),
                }
            }
            if ids.len() < GUEST_CLEANUP_BATCH as usize {
                break;
            }
            tokio::task::yield_now().await;
        }
        Ok(total)
    }
}
