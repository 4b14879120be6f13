//! [`PausingHub`]: a hub that stops chosen calls until the test lets them go, to put
//! a racing operation exactly between two steps of another (test support).
//!
//! ```ignore
//! let hub = PausingHub::new(Arc::new(LocalHub::default()));
//! let chat = Chat::builder(store).hub(hub.clone()).build();
//! let pause = hub.pause(Point::Connect);
//! let connecting = tokio::spawn(async move { chat.connect(user, session).await });
//! pause.reached().await;       // the connection is not registered yet
//! /* log the session out */
//! pause.release();             // now it registers
//! ```

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::{Condvar, Mutex};
use tokio::sync::Notify;

use crate::error::Result;
use crate::hub::{ConnId, Connection, Dispatch, Hub};
use crate::ids::{RoomId, SessionId, UserId};

/// A paused call is let go after this long even without [`Pause::release`], so that a
/// failing test ends instead of hanging.
const SAFETY: Duration = Duration::from_secs(20);

/// Where a [`PausingHub`] stops.
#[derive(Clone, Copy)]
pub enum Point {
    /// [`Hub::connect`], before the inner hub registers the connection (waits
    /// without blocking the thread).
    Connect,
    /// [`Hub::subscribe_connection`], before the inner hub subscribes. The call is
    /// synchronous: the calling thread blocks (use a multi-thread runtime).
    Subscribe,
    /// [`Hub::publish`] of a dispatch matching the predicate, before the inner hub
    /// gets it. Blocks the calling thread like [`Point::Subscribe`].
    Publish(fn(&Dispatch) -> bool),
}

/// One armed stop: the first call that matches waits here until released.
#[derive(Default)]
pub struct Pause {
    reached: Notify,
    released: Mutex<bool>,
    wake_sync: Condvar,
    wake_async: Notify,
}

impl Pause {
    /// Wait until a call has stopped here.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Let the stopped call (or the next one to arrive) go on.
    pub fn release(&self) {
        *self.released.lock() = true;
        self.wake_sync.notify_all();
        self.wake_async.notify_waiters();
    }

    fn hold_sync(&self) {
        self.reached.notify_one();
        let mut released = self.released.lock();
        if !*released {
            let _ = self.wake_sync.wait_for(&mut released, SAFETY);
        }
    }

    async fn hold_async(&self) {
        self.reached.notify_one();
        let _ = tokio::time::timeout(SAFETY, async {
            loop {
                let woken = self.wake_async.notified();
                if *self.released.lock() {
                    return;
                }
                woken.await;
            }
        })
        .await;
    }
}

/// A [`Hub`] over another one that can stop one call at a chosen [`Point`].
pub struct PausingHub {
    inner: Arc<dyn Hub>,
    armed: Mutex<Vec<(Point, Arc<Pause>)>>,
}

impl PausingHub {
    /// Wrap `inner`; nothing is paused until [`PausingHub::pause`].
    pub fn new(inner: Arc<dyn Hub>) -> Arc<Self> {
        Arc::new(PausingHub {
            inner,
            armed: Mutex::new(Vec::new()),
        })
    }

    /// Stop the next call at `point` (once).
    pub fn pause(&self, point: Point) -> Arc<Pause> {
        let pause = Arc::new(Pause::default());
        self.armed.lock().push((point, pause.clone()));
        pause
    }

    /// Take the first armed stop that `matches`.
    fn take(&self, matches: impl Fn(&Point) -> bool) -> Option<Arc<Pause>> {
        let mut armed = self.armed.lock();
        let i = armed.iter().position(|(p, _)| matches(p))?;
        Some(armed.remove(i).1)
    }
}

#[async_trait]
impl Hub for PausingHub {
    fn publish(&self, dispatch: Dispatch) {
        if let Some(p) = self.take(|p| matches!(p, Point::Publish(f) if f(&dispatch))) {
            p.hold_sync();
        }
        self.inner.publish(dispatch);
    }

    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Result<Connection> {
        if let Some(p) = self.take(|p| matches!(p, Point::Connect)) {
            p.hold_async().await;
        }
        self.inner.connect(user, session, rooms).await
    }

    fn subscribe_connection(&self, conn: ConnId, room: RoomId) {
        if let Some(p) = self.take(|p| matches!(p, Point::Subscribe)) {
            p.hold_sync();
        }
        self.inner.subscribe_connection(conn, room);
    }

    async fn disconnect(&self, conn: ConnId) -> Result<bool> {
        self.inner.disconnect(conn).await
    }

    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>> {
        self.inner.online(users).await
    }

    fn access_epoch(&self) -> Option<u64> {
        self.inner.access_epoch()
    }

    async fn access_changed(&self) {
        self.inner.access_changed().await;
    }

    async fn sweep(&self) -> Result<Vec<UserId>> {
        self.inner.sweep().await
    }
}
