//! Limits of the HTTP layer that the service cannot see: per-client-address rate
//! limits on login and registration, the client address itself (with opt-in trusted
//! proxies) and the maximum number of open WebSockets.
//!
//! The client address comes from axum's [`ConnectInfo`]: serve the router with
//! `into_make_service_with_connect_info::<SocketAddr>()`. Without it, the per-address
//! limits do not apply (the per-account limits of [`chatcore::Limits`] still do).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use chatcore::rate::KeyedLimiter;

use crate::config::ChatConfig;

/// The rate-limit key of an address: IPv4 as is, IPv6 by its /64 prefix (one
/// subscriber usually holds a whole /64, so single addresses are free to rotate).
pub(crate) fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client address of a request: the peer address from [`ConnectInfo`], or, when
/// the peer is one of [`ChatConfig::trusted_proxies`], the rightmost address of
/// `X-Forwarded-For` that is not a trusted proxy itself. `None` when the server was not
/// started with connect info.
pub fn client_ip(
    config: &ChatConfig,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let trusted = |ip: &IpAddr| config.trusted_proxies.contains(ip);
    if !trusted(&peer) {
        return Some(peer);
    }
    // Each proxy appends the address it received from; walk from the right, skipping
    // our own proxies. The first untrusted entry is the client as our proxies saw it.
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else {
            return Some(client);
        };
        for item in value.rsplit(',') {
            match item.trim().parse::<IpAddr>() {
                Ok(ip) if trusted(&ip) => client = ip,
                Ok(ip) => return Some(ip),
                // Garbage: stop at the last address we could trust.
                Err(_) => return Some(client),
            }
        }
    }
    Some(client)
}

/// The rate-limit key of the request's client address (IPv6: its /64), as the
/// service's per-address limits take it ([`chatcore::Chat::login_from`]).
pub(crate) fn client_key(
    config: &ChatConfig,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<IpAddr> {
    client_ip(config, headers, extensions).map(ip_key)
}

/// Per-address limiters and the connection counter, one set per router state.
pub(crate) struct HttpLimits {
    login: KeyedLimiter<IpAddr>,
    register: KeyedLimiter<IpAddr>,
    password: KeyedLimiter<IpAddr>,
    uploads: Arc<tokio::sync::Semaphore>,
    connections: Arc<AtomicUsize>,
    max_connections: usize,
    /// Unauthenticated WebSockets: in all, and per address key.
    pending: Arc<Pending>,
}

/// The unauthenticated WebSockets being opened.
#[derive(Debug, Default)]
struct Pending {
    /// Per address key (`None`: no connect info); the sum is the total.
    by_ip: std::sync::Mutex<std::collections::HashMap<Option<IpAddr>, usize>>,
    total: AtomicUsize,
    max: usize,
    max_per_ip: usize,
}

impl std::fmt::Debug for HttpLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpLimits")
            .field("connections", &self.connections.load(Ordering::Relaxed))
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// Which per-address limit to take from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IpAction {
    Login,
    Register,
    /// A password check outside login (room password, current password).
    Password,
}

impl HttpLimits {
    pub(crate) fn new(config: &ChatConfig) -> Self {
        HttpLimits {
            login: KeyedLimiter::new(config.login_rate_per_ip),
            register: KeyedLimiter::new(config.register_rate_per_ip),
            password: KeyedLimiter::new(config.password_rate_per_ip),
            uploads: Arc::new(tokio::sync::Semaphore::new(
                config
                    .max_concurrent_uploads
                    .min(tokio::sync::Semaphore::MAX_PERMITS),
            )),
            connections: Arc::new(AtomicUsize::new(0)),
            max_connections: config.ws.max_connections,
            pending: Arc::new(Pending {
                max: config.ws.max_unauthenticated,
                max_per_ip: config.ws.max_unauthenticated_per_ip,
                ..Pending::default()
            }),
        }
    }

    /// Take one `action` for the request's client address (no-op when it is unknown).
    pub(crate) fn check_ip(
        &self,
        config: &ChatConfig,
        parts: (&HeaderMap, &Extensions),
        action: IpAction,
    ) -> chatcore::Result<()> {
        let Some(ip) = client_ip(config, parts.0, parts.1) else {
            return Ok(());
        };
        let limiter = match action {
            IpAction::Login => &self.login,
            IpAction::Register => &self.register,
            IpAction::Password => &self.password,
        };
        limiter.check(&ip_key(ip))
    }

    /// Reserve one of the [`crate::WsConfig::max_connections`] WebSocket slots; the slot
    /// is released when the returned guard drops. `None`: the server is full.
    pub(crate) fn connection_slot(&self) -> Option<ConnectionSlot> {
        let max = self.max_connections;
        self.connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(ConnectionSlot(self.connections.clone()))
    }

    /// One of the [`ChatConfig::max_concurrent_uploads`] upload slots, held while the
    /// upload is read and stored. `None`: all are taken.
    pub(crate) fn upload_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.uploads.clone().try_acquire_owned().ok()
    }

    /// Reserve a slot for a WebSocket opened without credentials, from `ip` (an
    /// address key, see [`client_key`]), until it authenticates: counted apart from
    /// the authenticated ones and capped per address. `None`: no slot free.
    pub(crate) fn pending_slot(&self, ip: Option<IpAddr>) -> Option<PendingSlot> {
        let p = &self.pending;
        let mut by_ip = p.by_ip.lock().unwrap_or_else(|e| e.into_inner());
        let n = by_ip.entry(ip).or_insert(0);
        if *n >= p.max_per_ip || p.total.load(Ordering::Acquire) >= p.max {
            if *n == 0 {
                by_ip.remove(&ip);
            }
            return None;
        }
        *n += 1;
        p.total.fetch_add(1, Ordering::AcqRel);
        Some(PendingSlot {
            pending: self.pending.clone(),
            ip,
        })
    }

    /// How long a new unauthenticated WebSocket has to send its `auth` frame:
    /// `base`, or a fifth of it while more than half of the unauthenticated slots
    /// are taken.
    pub(crate) fn auth_window(&self, base: Duration) -> Duration {
        let p = &self.pending;
        if p.total.load(Ordering::Acquire).saturating_mul(2) > p.max {
            base / 5
        } else {
            base
        }
    }

    /// WebSockets open (or being opened) right now.
    pub(crate) fn open_connections(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }
}

/// One unauthenticated WebSocket's slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct PendingSlot {
    pending: Arc<Pending>,
    ip: Option<IpAddr>,
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        let mut by_ip = self.pending.by_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
        self.pending.total.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One of the server-wide [`crate::WsConfig::max_connections`] slots, held for a
/// live connection's life (see [`crate::ChatState::connection_slot`]); dropping it
/// frees the slot.
#[derive(Debug)]
pub struct ConnectionSlot(Arc<AtomicUsize>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ext(peer: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        e
    }

    #[test]
    fn forwarded_for_is_used_only_behind_a_trusted_proxy() {
        let mut config = ChatConfig::default();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4"),
        );
        // Untrusted peer: the header is ignored (anyone can send it).
        assert_eq!(
            client_ip(&config, &h, &ext("9.9.9.9:1000")),
            Some("9.9.9.9".parse().unwrap())
        );
        config.trusted_proxies = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        // Trusted proxy: the rightmost address that is not one of ours.
        assert_eq!(
            client_ip(&config, &h, &ext("10.0.0.1:1000")),
            Some("1.2.3.4".parse().unwrap())
        );
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4, 10.0.0.2"),
        );
        assert_eq!(
            client_ip(&config, &h, &ext("10.0.0.1:1000")),
            Some("1.2.3.4".parse().unwrap())
        );
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("garbage, 10.0.0.2"),
        );
        assert_eq!(
            client_ip(&config, &h, &ext("10.0.0.1:1000")),
            Some("10.0.0.2".parse().unwrap())
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(&config, &HeaderMap::new(), &ext("10.0.0.1:1000")),
            Some("10.0.0.1".parse().unwrap())
        );
        // No connect info: unknown.
        assert_eq!(client_ip(&config, &h, &Extensions::new()), None);
    }

    #[test]
    fn unauthenticated_slots_are_capped_per_address_and_shorten_the_auth_window() {
        let mut config = ChatConfig::default();
        config.ws.max_unauthenticated = 4;
        config.ws.max_unauthenticated_per_ip = 2;
        let limits = HttpLimits::new(&config);
        let a: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let b: Option<IpAddr> = Some("192.0.2.2".parse().unwrap());
        let base = Duration::from_secs(5);
        let a1 = limits.pending_slot(a).unwrap();
        let _a2 = limits.pending_slot(a).unwrap();
        assert!(limits.pending_slot(a).is_none(), "per address");
        assert_eq!(
            limits.auth_window(base),
            base,
            "half taken: no pressure yet"
        );
        let _b1 = limits.pending_slot(b).unwrap();
        assert_eq!(limits.auth_window(base), base / 5, "under pressure");
        let _b2 = limits.pending_slot(b).unwrap();
        let c: Option<IpAddr> = Some("192.0.2.3".parse().unwrap());
        assert!(limits.pending_slot(c).is_none(), "in all");
        drop(a1);
        assert!(limits.pending_slot(a).is_some(), "freed on drop");
        // Authenticated connections do not count against them, nor they against those.
        assert!(limits.connection_slot().is_some());
    }

    #[test]
    fn ipv6_addresses_share_their_64_prefix() {
        let a = ip_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ip_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = ip_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            ip_key("::ffff:1.2.3.4".parse().unwrap()),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn connection_slots_are_bounded_and_released() {
        let mut config = ChatConfig::default();
        config.ws.max_connections = 2;
        let l = HttpLimits::new(&config);
        let a = l.connection_slot().unwrap();
        let _b = l.connection_slot().unwrap();
        assert!(l.connection_slot().is_none());
        drop(a);
        assert_eq!(l.open_connections(), 1);
        assert!(l.connection_slot().is_some());
    }
}
