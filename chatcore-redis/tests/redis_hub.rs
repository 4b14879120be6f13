//! The hub conformance suite on Redis (`CHATCORE_TEST_REDIS_URL`).

async fn connect(url: String, cluster: String) -> chatcore::Result<chatcore_redis::RedisEngine> {
    chatcore_redis::RedisEngine::connect(&url, &cluster).await
}

chatcore::engine_conformance_tests!("CHATCORE_TEST_REDIS_URL", connect);
