//! The hub conformance suite on Redis (`CHATCORE_TEST_REDIS_URL`).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chatcore::Hub;
use chatcore::conformance::hub::Cluster;
use chatcore_redis::{RedisHub, RedisHubOptions};

struct RedisCluster {
    url: String,
    prefix: String,
}

#[async_trait]
impl Cluster for RedisCluster {
    async fn node(&self, lease: Duration) -> Arc<dyn Hub> {
        let options = RedisHubOptions {
            prefix: self.prefix.clone(),
            presence_lease: lease,
            ..Default::default()
        };
        match RedisHub::connect(&self.url, options).await {
            Ok(hub) => hub,
            Err(e) => panic!("redis at {}: {e}", self.url),
        }
    }
}

async fn setup() -> Option<Box<dyn Cluster>> {
    let Ok(url) = std::env::var("CHATCORE_TEST_REDIS_URL") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED redis broker tests: set CHATCORE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)"
        );
        return None;
    };
    Some(Box::new(RedisCluster {
        url,
        prefix: format!("chatcore-test-{}", uuid::Uuid::new_v4().simple()),
    }))
}

chatcore::hub_conformance_tests!(setup);
