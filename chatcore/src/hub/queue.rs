//! The bounded queue of a live connection: [`Connection`] (the transport's end) and
//! [`ConnSender`] (the hub's end).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use super::{CloseReason, ConnId, Frame};
use crate::ids::{SessionId, UserId};

/// A connection's bounded queue, shared by the connection and the hub's senders.
///
/// Built for fan-out: a push takes an uncontended lock, moves the frame in and wakes
/// the connection only when the queue goes from empty to non-empty, so frames that
/// arrive while the transport is busy (or deliberately coalescing) cost no wake-up.
/// The transport takes the whole queue at once by swapping buffers, so a batch costs
/// no copy and, once the two buffers have grown to the usual batch, no allocation.
/// Nothing is allocated until the first frame arrives (an idle connection holds no
/// buffer); [`Connection::release_memory`] gives the buffers back after a burst.
#[derive(Debug)]
struct Queue {
    capacity: usize,
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    frames: VecDeque<Frame>,
    /// Live [`ConnSender`]s; the queue is closed once none is left.
    senders: usize,
    /// The receiver was dropped: pushes fail.
    receiver_gone: bool,
    /// Set only while the receiver waits on an empty queue.
    waker: Option<Waker>,
    /// Why the hub closed the connection.
    close: Option<CloseReason>,
}

impl Queue {
    /// Push without waiting; false when full or when the receiver is gone.
    fn push(&self, frame: Frame) -> bool {
        let waker = {
            let mut st = self.state.lock();
            if st.receiver_gone || st.frames.len() >= self.capacity {
                return false;
            }
            st.frames.push_back(frame);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Take up to `limit` frames into `buf`, or register `cx` and wait.
    /// `Ready(0)` once the queue is empty and every sender is gone.
    fn poll_take(&self, cx: &mut Context<'_>, buf: &mut Vec<Frame>, limit: usize) -> Poll<usize> {
        let mut st = self.state.lock();
        let n = Self::take_locked(&mut st, buf, limit);
        if n > 0 || st.senders == 0 {
            return Poll::Ready(n);
        }
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    fn take_locked(st: &mut QueueState, buf: &mut Vec<Frame>, limit: usize) -> usize {
        let n = st.frames.len().min(limit);
        if n == 0 {
            return 0;
        }
        if buf.is_empty() && n == st.frames.len() {
            // Swap the buffers: the queue's frames become the batch, the caller's empty
            // buffer (with its capacity) becomes the queue's storage. O(1) unless the
            // ring wrapped after single-frame `recv`s.
            let spare = std::mem::take(buf);
            *buf = Vec::from(std::mem::replace(&mut st.frames, VecDeque::from(spare)));
        } else {
            buf.extend(st.frames.drain(..n));
        }
        n
    }
}

/// Future of [`Connection::recv_many`].
struct TakeMany<'a> {
    queue: &'a Queue,
    buf: &'a mut Vec<Frame>,
    limit: usize,
}

impl Future for TakeMany<'_> {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.queue.poll_take(cx, this.buf, this.limit)
    }
}

/// Future of [`Connection::recv`].
struct TakeOne<'a> {
    queue: &'a Queue,
}

impl Future for TakeOne<'_> {
    type Output = Option<Frame>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let mut st = self.queue.state.lock();
        if let Some(f) = st.frames.pop_front() {
            return Poll::Ready(Some(f));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The receiving end of a live connection's queue, handed to the transport.
/// Dropping it does not unregister the connection: call [`Hub::disconnect`](super::Hub::disconnect)
/// (the [`crate::Chat`] connection guard does).
#[derive(Debug)]
pub struct Connection {
    /// Node-local id.
    pub id: ConnId,
    /// The authenticated user.
    pub user: UserId,
    /// The chatcore session that authenticated it (None for host-app users).
    pub session: Option<SessionId>,
    /// Whether this is the user's first live connection (they just came online).
    pub first_for_user: bool,
    queue: Arc<Queue>,
}

impl Connection {
    /// Create a connection and the sender that feeds it (for hub implementations).
    /// The queue holds at most `capacity` frames; it allocates nothing until used.
    pub fn new_pair(
        id: ConnId,
        user: UserId,
        session: Option<SessionId>,
        capacity: usize,
    ) -> (Connection, ConnSender) {
        let queue = Arc::new(Queue {
            capacity: capacity.max(1),
            state: Mutex::new(QueueState {
                senders: 1,
                ..QueueState::default()
            }),
        });
        (
            Connection {
                id,
                user,
                session,
                first_for_user: false,
                queue: queue.clone(),
            },
            ConnSender { queue },
        )
    }

    /// Next frame; `None` once the hub closed the connection (see
    /// [`Connection::close_reason`]).
    pub async fn recv(&mut self) -> Option<Frame> {
        TakeOne { queue: &self.queue }.await
    }

    /// Wait for at least one frame and take up to `limit` queued frames at once, so
    /// that the transport can write them together. Returns 0 once closed.
    ///
    /// Pass an empty `buf` (and reuse it) when you can: the whole queue is then
    /// handed over without copying.
    pub async fn recv_many(&mut self, buf: &mut Vec<Frame>, limit: usize) -> usize {
        TakeMany {
            queue: &self.queue,
            buf,
            limit: limit.max(1),
        }
        .await
    }

    /// Take up to `limit` queued frames without waiting: 0 when none are queued
    /// (also when closed; [`Connection::recv_many`] tells the two apart).
    pub fn try_recv_many(&mut self, buf: &mut Vec<Frame>, limit: usize) -> usize {
        let mut st = self.queue.state.lock();
        Queue::take_locked(&mut st, buf, limit.max(1))
    }

    /// Frames waiting in the queue.
    pub fn queued(&self) -> usize {
        self.queue.state.lock().frames.len()
    }

    /// Give back the queue's buffer if it is empty (after a burst, on an idle
    /// connection). The next frame allocates again.
    pub fn release_memory(&mut self) {
        let mut st = self.queue.state.lock();
        if st.frames.is_empty() {
            st.frames = VecDeque::new();
        }
    }

    /// Why the hub closed this connection, once [`Connection::recv`] returned `None`.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.queue.state.lock().close
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut st = self.queue.state.lock();
        st.receiver_gone = true;
        st.frames = VecDeque::new();
        st.waker = None;
    }
}

/// The hub's end of a connection's queue. Clones share the queue; the connection
/// ends (after its queued frames) once every clone is dropped.
#[derive(Debug)]
pub struct ConnSender {
    queue: Arc<Queue>,
}

impl Clone for ConnSender {
    fn clone(&self) -> Self {
        self.queue.state.lock().senders += 1;
        ConnSender {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for ConnSender {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.queue.state.lock();
            st.senders -= 1;
            if st.senders == 0 {
                st.waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl ConnSender {
    /// Queue a frame without waiting. `false` if the queue is full or closed.
    pub fn try_send(&self, frame: Frame) -> bool {
        self.queue.push(frame)
    }
    /// Record why the connection is being closed (the caller then drops the sender).
    pub fn set_close_reason(&self, reason: CloseReason) {
        let mut st = self.queue.state.lock();
        if st.close.is_none() {
            st.close = Some(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use futures::FutureExt as _;

    fn frame(n: u8) -> Frame {
        Frame {
            json: Bytes::from(vec![n]),
            seq: None,
        }
    }

    #[test]
    fn queue_is_bounded_and_hands_batches_over_in_order() {
        let (mut conn, tx) = Connection::new_pair(1, UserId::new(), None, 3);
        assert!(tx.try_send(frame(1)));
        assert!(tx.try_send(frame(2)));
        assert!(tx.try_send(frame(3)));
        assert!(!tx.try_send(frame(4)), "full");
        let mut buf = Vec::new();
        assert_eq!(conn.recv_many(&mut buf, 2).now_or_never(), Some(2));
        assert_eq!(conn.queued(), 1);
        assert_eq!(conn.recv_many(&mut buf, 64).now_or_never(), Some(1));
        let got: Vec<u8> = buf.iter().map(|f| f.json[0]).collect();
        assert_eq!(got, vec![1, 2, 3]);
        buf.clear();
        // Whole-queue hand-over (the swap path), then a single receive.
        assert!(tx.try_send(frame(5)));
        assert!(tx.try_send(frame(6)));
        assert_eq!(conn.try_recv_many(&mut buf, 64), 2);
        assert_eq!(buf[1].json[0], 6);
        assert!(tx.try_send(frame(7)));
        assert_eq!(
            conn.recv().now_or_never().flatten().map(|f| f.json[0]),
            Some(7)
        );
        assert!(conn.recv().now_or_never().is_none(), "empty: waits");
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_and_sees_the_close() {
        let (mut conn, tx) = Connection::new_pair(1, UserId::new(), None, 8);
        let tx2 = tx.clone();
        let waiter = tokio::spawn(async move {
            let mut buf = Vec::new();
            let n = conn.recv_many(&mut buf, 8).await;
            let closed = conn.recv_many(&mut buf, 8).await;
            (n, closed, conn.close_reason())
        });
        tokio::task::yield_now().await;
        assert!(tx.try_send(frame(1)));
        tx.set_close_reason(CloseReason::SlowConsumer);
        drop(tx);
        tokio::task::yield_now().await;
        drop(tx2);
        let (n, closed, reason) = waiter.await.unwrap_or_default();
        assert_eq!((n, closed, reason), (1, 0, Some(CloseReason::SlowConsumer)));
    }

    #[test]
    fn pushing_to_a_dropped_connection_fails() {
        let (conn, tx) = Connection::new_pair(1, UserId::new(), None, 8);
        drop(conn);
        assert!(!tx.try_send(frame(1)));
    }
}
