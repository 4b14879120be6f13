//! Serving a router over TCP with the limits a public server needs, which
//! `axum::serve` leaves open: a deadline for each request's headers (which also closes
//! idle connections, between requests or before the first), a deadline for each
//! request as a whole (a body shorter than its `Content-Length` does not hang), a cap
//! on connections per client address, and accept errors (file descriptors exhausted)
//! met by backing off while the open connections are served.
//!
//! HTTP/1.1 only, with upgrades (the WebSocket endpoint). A WebSocket, once upgraded,
//! is out of these deadlines (it has its heartbeat).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::error::{ApiError, codes};

/// The limits of [`serve`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Time a client has to send a request's headers, counted from when the
    /// connection waits for a request: a connection idle this long is closed
    /// (default 10 s).
    pub header_timeout: Duration,
    /// Time a request has from its headers to its response, body included (default
    /// 60 s); then 408 `request_timeout` and the connection closes. Uploads must fit.
    pub request_timeout: Duration,
    /// Open connections per client address (IPv6: per /64; default 256); more are
    /// closed at once.
    pub max_connections_per_ip: usize,
    /// Longest pause after a failed accept (default 1 s); pauses start at 10 ms and
    /// double while accepts keep failing.
    pub max_accept_backoff: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections_per_ip: 256,
            max_accept_backoff: Duration::from_secs(1),
        }
    }
}

/// Connections open per address key.
#[derive(Debug, Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

impl PerIp {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot(self.clone(), ip))
    }
}

/// One connection of an address; dropping it frees the place.
struct IpSlot(Arc<PerIp>, IpAddr);

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut m = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.1) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

/// Serve `app` on `listener` until `shutdown` resolves, then stop accepting, let
/// open requests finish, and return when every connection is closed (bound the wait
/// yourself, as chat-server does with its grace period). Requests carry
/// [`ConnectInfo<SocketAddr>`], as with `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let per_ip = Arc::new(PerIp::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut backoff = Duration::ZERO;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    backoff = Duration::ZERO;
                    a
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of descriptors, most likely: keep serving what is open and
                    // try again later.
                    backoff = (backoff * 2)
                        .max(Duration::from_millis(10))
                        .min(config.max_accept_backoff);
                    tracing::warn!(error = %e, pause_ms = backoff.as_millis(), "accept failed");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
            },
        };
        let Some(slot) = per_ip.take(ip_key(peer.ip()), config.max_connections_per_ip) else {
            tracing::debug!(%peer, "too many connections from this address");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tracing::trace!(%peer, "connection accepted");
        tokio::spawn(connection(
            tcp,
            peer,
            app.clone(),
            config.clone(),
            stop_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a receiver: wait until they are all gone.
    drop(stop_rx);
    stop_tx.closed().await;
}

/// The key of an address for the per-address cap (IPv6: its /64).
fn ip_key(ip: IpAddr) -> IpAddr {
    crate::limits::ip_key(ip)
}

/// Errors of one connection (the peer went away during accept), not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    config: ServeConfig,
    mut stop: watch::Receiver<bool>,
    _slot: IpSlot,
) {
    let request_timeout = config.request_timeout;
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move {
            let call = tower_service::Service::call(&mut app, req.map(axum::body::Body::new));
            let res = match tokio::time::timeout(request_timeout, call).await {
                Ok(Ok(res)) => res,
                Ok(Err(never)) => match never {},
                Err(_) => timed_out(),
            };
            Ok::<Response, Infallible>(res)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopped => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn timed_out() -> Response {
    let mut res = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        codes::REQUEST_TIMEOUT,
        "the request took too long to arrive",
    )
    .into_response();
    res.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res
}
