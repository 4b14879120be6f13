//! Account tokens, verification state and file records of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Conflict, Error, Result};
use crate::ids::FileId;
use crate::ids::{MessageId, UserId};
use crate::model::{AccountToken, FileKind, FileRecord, TokenPurpose};
use crate::model::{Timestamp, User};
use crate::store::{AccountStore, FileScope, FileStore};

#[async_trait]
impl AccountStore for MemoryStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let i = self.inner.lock();
        Ok(i.emails.get(email).and_then(|id| i.users.get(id)).cloned())
    }
    async fn email_verified_at(&self, user: UserId) -> Result<Option<Timestamp>> {
        Ok(self.media.lock().verified.get(&user).copied())
    }
    async fn set_email_verified(&self, user: UserId, at: Option<Timestamp>) -> Result<()> {
        if !self.inner.lock().users.contains_key(&user) {
            return Err(Error::NotFound("user"));
        }
        let mut m = self.media.lock();
        match at {
            Some(t) => m.verified.insert(user, t),
            None => m.verified.remove(&user),
        };
        Ok(())
    }
    async fn create_account_token(&self, token: AccountToken) -> Result<()> {
        if !self.inner.lock().users.contains_key(&token.user_id) {
            return Err(Error::NotFound("user"));
        }
        self.media.lock().tokens.insert(token.token_hash, token);
        Ok(())
    }
    async fn take_account_token(
        &self,
        token_hash: &[u8; 32],
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>> {
        let mut m = self.media.lock();
        if m.tokens
            .get(token_hash)
            .is_some_and(|t| t.purpose == purpose)
        {
            return Ok(m.tokens.remove(token_hash));
        }
        Ok(None)
    }
    async fn delete_account_tokens(&self, user: UserId, purpose: TokenPurpose) -> Result<u64> {
        let mut m = self.media.lock();
        let before = m.tokens.len();
        m.tokens
            .retain(|_, t| !(t.user_id == user && t.purpose == purpose));
        Ok((before - m.tokens.len()) as u64)
    }
}

#[async_trait]
impl FileStore for MemoryStore {
    async fn create_file(&self, file: FileRecord) -> Result<()> {
        let mut m = self.media.lock();
        if m.files.contains_key(&file.id) {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        m.files.insert(file.id, file);
        Ok(())
    }
    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>> {
        Ok(self.media.lock().files.get(&id).cloned())
    }
    async fn attach_file(&self, id: FileId, message: MessageId) -> Result<bool> {
        let mut m = self.media.lock();
        match m.files.get_mut(&id) {
            Some(f) if f.deleted_at.is_none() && f.message_id.is_none() => {
                f.message_id = Some(message);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_file(&self, id: FileId, at: Timestamp) -> Result<bool> {
        let mut m = self.media.lock();
        match m.files.get_mut(&id) {
            Some(f) if f.deleted_at.is_none() => {
                f.deleted_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_files(&self, scope: FileScope, at: Timestamp) -> Result<Vec<String>> {
        let mut m = self.media.lock();
        let in_scope = |f: &FileRecord| match scope {
            FileScope::Room(room) => f.room_id == Some(room),
            FileScope::Uploader(user) => {
                f.uploader_id == Some(user) && f.kind != FileKind::RoomAvatar
            }
        };
        Ok(m.files
            .values_mut()
            .filter(|f| f.deleted_at.is_none() && in_scope(f))
            .map(|f| {
                f.deleted_at = Some(at);
                f.blob_key.clone()
            })
            .collect())
    }
}
