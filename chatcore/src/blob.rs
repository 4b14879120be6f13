//! Where uploaded files' bytes live: the [`BlobStore`] contract and the in-memory
//! [`MemoryBlobStore`].
//!
//! The metadata of a file (owner, room, content type, size) is in the [`Store`]
//! (`crate::store::FileStore`); only the bytes go to a blob store, under a key the
//! service chooses (`files/{file_id}`). `chatcore-media` implements it over the
//! `object_store` crate (local filesystem, S3-compatible storage).
//!
//! [`Store`]: crate::Store

use std::collections::HashMap;

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::Mutex;

use crate::error::Result;

/// Stores blobs by key. Dyn-compatible: held as `Arc<dyn BlobStore>`.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Store `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &str, bytes: Bytes) -> Result<()>;
    /// The bytes under `key`, or `None` if there are none.
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;
    /// Remove `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Blobs in memory, lost on exit. The service's default, for tests and demos.
#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<HashMap<String, Bytes>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many blobs are stored.
    pub fn len(&self) -> usize {
        self.blobs.lock().len()
    }

    /// Whether no blob is stored.
    pub fn is_empty(&self) -> bool {
        self.blobs.lock().is_empty()
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.blobs.lock().insert(key.to_owned(), bytes);
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.blobs.lock().get(key).cloned())
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.blobs.lock().remove(key);
        Ok(())
    }
}
