//! The hub conformance suite on NATS (`CHATCORE_TEST_NATS_URL`).

async fn connect(url: String, cluster: String) -> chatcore::Result<chatcore_nats::NatsEngine> {
    chatcore_nats::NatsEngine::connect(&url, &cluster).await
}

chatcore::engine_conformance_tests!("CHATCORE_TEST_NATS_URL", connect);
