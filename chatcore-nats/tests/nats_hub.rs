//! The hub conformance suite on NATS (`CHATCORE_TEST_NATS_URL`).

chatcore::engine_conformance_tests!("CHATCORE_TEST_NATS_URL", chatcore_nats::NatsEngine);
