#![doc = include_str!("../README.md")]

use std::path::Path as FsPath;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chatcore::blob::BlobStore;
use chatcore::{Error, Result};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

#[cfg(feature = "smtp")]
mod smtp;
#[cfg(feature = "smtp")]
pub use smtp::{SmtpConfigError, SmtpMailer};

/// A [`BlobStore`] over any [`ObjectStore`].
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
}

impl ObjectBlobStore {
    /// Wrap an object store.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Files under a local directory (created if missing).
    pub fn local(dir: impl AsRef<FsPath>) -> std::result::Result<Self, object_store::Error> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::new(Arc::new(fs)))
    }

    /// An S3-compatible bucket, configured from the standard `AWS_*` environment
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT` for non-AWS services, `AWS_ALLOW_HTTP`).
    #[cfg(feature = "s3")]
    pub fn s3(bucket: &str) -> std::result::Result<Self, object_store::Error> {
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        Ok(Self::new(Arc::new(s3)))
    }

    fn path(key: &str) -> Result<Path> {
        Path::parse(key).map_err(|e| Error::invalid("blob_key", e.to_string()))
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.store
            .put(&Self::path(key)?, PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
            .map_err(Error::backend)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        match self.store.get(&Self::path(key)?).await {
            Ok(r) => r.bytes().await.map(Some).map_err(Error::backend),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::backend(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::backend(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn local_files_round_trip_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = ObjectBlobStore::local(dir.path().join("files")).unwrap();
        assert_eq!(blobs.get("files/a").await.unwrap(), None);
        blobs
            .put("files/a", Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(
            blobs.get("files/a").await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        assert!(dir.path().join("files/files/a").exists());
        blobs.delete("files/a").await.unwrap();
        blobs.delete("files/a").await.unwrap();
        assert_eq!(blobs.get("files/a").await.unwrap(), None);
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = ObjectBlobStore::local(dir.path()).unwrap();
        assert!(
            blobs
                .put("../escape", Bytes::from_static(b"x"))
                .await
                .is_err()
        );
    }
}
