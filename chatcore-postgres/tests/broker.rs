//! The hub conformance suite on PostgreSQL LISTEN/NOTIFY (`CHATCORE_TEST_DATABASE_URL`).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chatcore::Hub;
use chatcore::conformance::hub::Cluster;
use chatcore_postgres::{PgHub, PgHubOptions};

struct PgCluster {
    url: String,
    channel: String,
}

#[async_trait]
impl Cluster for PgCluster {
    async fn node(&self, lease: Duration) -> Arc<dyn Hub> {
        let options = PgHubOptions {
            channel: self.channel.clone(),
            presence_lease: lease,
            ..Default::default()
        };
        match PgHub::connect(&self.url, options).await {
            Ok(hub) => hub,
            Err(e) => panic!("postgres at {}: {e}", self.url),
        }
    }
}

async fn setup() -> Option<Box<dyn Cluster>> {
    let Ok(url) = std::env::var("CHATCORE_TEST_DATABASE_URL") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED postgres broker tests: set CHATCORE_TEST_DATABASE_URL"
        );
        return None;
    };
    Some(Box::new(PgCluster {
        url,
        channel: format!("chatcore_test_{}", uuid::Uuid::new_v4().simple()),
    }))
}

chatcore::hub_conformance_tests!(setup);
