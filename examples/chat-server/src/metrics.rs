//! `--metrics-addr`: chatcore's metrics (see `chatcore::metrics`) in the Prometheus
//! text format at `GET /metrics`, on a listener of its own, so that the public
//! address never shows them.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use crate::Fatal;

/// Latency buckets of the histograms (seconds): 100 µs to 5 s.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Install the Prometheus recorder and serve it on `addr`; the bound address.
pub(crate) async fn serve(addr: SocketAddr) -> Result<SocketAddr, Fatal> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Fatal::new(format!("cannot listen on {addr} for metrics"), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Fatal::new("metrics listener", e))?;
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| Fatal::new("cannot install the metrics recorder", e))?;
    chatcore::metrics::describe();
    // Histograms are drained into their buckets by the upkeep.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    handle.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!(%bound, "metrics: Prometheus at /metrics");
    Ok(bound)
}
