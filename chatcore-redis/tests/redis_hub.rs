//! The hub conformance suite on Redis (`CHATCORE_TEST_REDIS_URL`).

chatcore::engine_conformance_tests!("CHATCORE_TEST_REDIS_URL", chatcore_redis::RedisEngine);
