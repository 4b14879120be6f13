//! The conformance suite on the in-memory store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

async fn setup() -> Option<Arc<dyn chatcore::Store>> {
    Some(Arc::new(chatcore::MemoryStore::new()))
}

chatcore::conformance_tests!(setup);
