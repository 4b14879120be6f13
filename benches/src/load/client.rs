//! One client of a run: its connection, what it makes of each frame (deliveries,
//! acknowledgements, protocol chatter), and its publishing (open or closed loop).

use std::rc::Rc;
use std::time::Duration;

use super::scenario::{ClientPlan, Target};
use super::shared::{Ctx, Phase};
use super::ws::{self, Incoming, WsClient};

/// The body of message `k` of publisher `j`, sent at `ts` (µs), padded to `size`.
fn body(j: usize, k: u32, ts: u64, size: usize) -> String {
    let mut b = format!("lg|{j}|{k}|{ts}|");
    while b.len() < size {
        b.push('x');
    }
    b
}

/// Parse `J|K|TS|` after the marker.
fn parse_body(rest: &[u8]) -> Option<(usize, u32, u64)> {
    let mut it = rest.splitn(4, |b| *b == b'|');
    let num = |s: &[u8]| -> Option<u64> {
        if s.is_empty() || s.len() > 19 {
            return None;
        }
        s.iter().try_fold(0u64, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
        })
    };
    let j = usize::try_from(num(it.next()?)?).ok()?;
    let k = u32::try_from(num(it.next()?)?).ok()?;
    let ts = num(it.next()?)?;
    Some((j, k, ts))
}

/// What one receiving client knows about one publisher of its room.
#[derive(Debug, Default, Clone)]
pub(super) struct Seen {
    next: u32,
    missing: Vec<u32>,
    pub(super) unique: u32,
}

impl Seen {
    /// True on the first delivery of `k`.
    fn first(&mut self, k: u32) -> bool {
        if k == self.next {
            self.next += 1;
        } else if k > self.next {
            if k - self.next <= 100_000 {
                self.missing.extend(self.next..k);
            }
            self.next = k + 1;
        } else if let Some(i) = self.missing.iter().position(|m| *m == k) {
            self.missing.swap_remove(i);
        } else {
            return false;
        }
        self.unique += 1;
        true
    }
}

/// What a client does after a frame.
enum Action {
    None,
    Send(Vec<u8>),
    Ready,
}

/// One client: its plan and what it received.
pub(super) struct ClientState {
    pub(super) idx: usize,
    pub(super) plan: ClientPlan,
    /// Per publisher of its room (by local index), what it received.
    pub(super) seen: Vec<Seen>,
    pub(super) ready: bool,
}

impl ClientState {
    /// A client that has received nothing yet.
    pub(super) fn new(idx: usize, plan: ClientPlan) -> Self {
        ClientState {
            idx,
            plan,
            seen: Vec::new(),
            ready: false,
        }
    }

    fn on_text(&mut self, ctx: &Ctx, t: &[u8]) -> Action {
        let sh = &ctx.shared;
        if let Some(i) = ctx.marker.find(t) {
            if let Some((j, k, ts)) = parse_body(&t[i + ctx.marker.needle().len()..]) {
                if j % sh.rooms != self.plan.room {
                    sh.misrouted.set(sh.misrouted.get() + 1);
                    return Action::None;
                }
                let local = j / sh.rooms;
                if local >= self.seen.len() {
                    self.seen.resize(local + 1, Seen::default());
                }
                if self.seen[local].first(k) {
                    sh.delivered(j, k, ts);
                } else {
                    sh.dups.set(sh.dups.get() + 1);
                }
            }
            return Action::None;
        }
        match sh.target {
            Target::Chatcore => {
                if t.starts_with(br#"{"type":"sent""#) {
                    self.acked(ctx);
                } else if t.starts_with(br#"{"type":"error""#) {
                    let id = serde_json::from_slice::<serde_json::Value>(t)
                        .ok()
                        .and_then(|v| v["id"].as_u64());
                    self.refused(ctx, id);
                } else if !self.ready && t.starts_with(br#"{"type":"pong""#) {
                    return Action::Ready;
                }
                Action::None
            }
            Target::Broadcast => {
                if !self.ready && memchr::memmem::find(t, br#""type":"welcome""#).is_some() {
                    return Action::Ready;
                }
                Action::None
            }
            Target::Socketio => match t {
                b"2" => Action::Send(b"3".to_vec()),
                [b'0', ..] => Action::Send(b"40".to_vec()),
                [b'4', b'0', ..] => Action::Send(
                    format!(r#"420["join","{}"]"#, ctx.room_ids[self.plan.room]).into_bytes(),
                ),
                [b'4', b'3', b'0', ..] if !self.ready => Action::Ready,
                _ => Action::None,
            },
            Target::ChatcoreSocketio => match t {
                b"2" => Action::Send(b"3".to_vec()),
                // Engine.IO open: connect to the namespace with the session token.
                [b'0', ..] => {
                    let token = &ctx.users[self.idx % ctx.users.len()].token;
                    Action::Send(format!(r#"40{{"token":"{token}"}}"#).into_bytes())
                }
                // Connected: a `ping` command (ack id 0) tells when the socket is live.
                [b'4', b'0', ..] => Action::Send(br#"420["ping"]"#.to_vec()),
                // An ack: `43<id>[{"type":…}]`.
                [b'4', b'3', rest @ ..] => {
                    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    let (id, answer) = rest.split_at(digits);
                    let id = std::str::from_utf8(id)
                        .ok()
                        .and_then(|d| d.parse::<u64>().ok());
                    if answer.starts_with(br#"[{"type":"sent""#) {
                        self.acked(ctx);
                    } else if answer.starts_with(br#"[{"type":"error""#) {
                        self.refused(ctx, id);
                    } else if !self.ready && answer.starts_with(br#"[{"type":"pong""#) {
                        return Action::Ready;
                    }
                    Action::None
                }
                _ => Action::None,
            },
        }
    }

    /// One of this publisher's sends was acknowledged.
    fn acked(&self, ctx: &Ctx) {
        if let Some(j) = self.plan.publisher {
            let p = &ctx.shared.pubs[j];
            p.acked.set(p.acked.get() + 1);
        }
    }

    /// One of this publisher's sends (request id `id`, its counter) was refused.
    fn refused(&self, ctx: &Ctx, id: Option<u64>) {
        let sh = &ctx.shared;
        if let Some(j) = self.plan.publisher {
            let p = &sh.pubs[j];
            p.errors.set(p.errors.get() + 1);
            if sh.closed_loop
                && let Some(k) = id
            {
                let mut ring = p.remaining.borrow_mut();
                let len = ring.len();
                if len > 0 && ring[k as usize % len] > 0 {
                    ring[k as usize % len] = 0;
                    p.done.set(p.done.get() + 1);
                    p.wake.notify_one();
                }
            }
        }
    }

    /// Message `k` of publisher `j`, stamped with `ts` (µs since the run's start).
    fn publish_frame(&self, ctx: &Ctx, j: usize, k: u32, ts: u64) -> Vec<u8> {
        let b = body(j, k, ts, ctx.opts.scenario.payload);
        let room = &ctx.room_ids[self.plan.room];
        match ctx.opts.target {
            Target::Chatcore => format!(
                r#"{{"type":"send","id":{k},"room":"{room}","nonce":"{}-{j}-{k}","body":"{b}"}}"#,
                ctx.run_tag
            ),
            Target::Broadcast => format!(r#"{{"body":"{b}"}}"#),
            Target::Socketio => format!(r#"42["msg",{{"room":"{room}","body":"{b}"}}]"#),
            Target::ChatcoreSocketio => format!(
                r#"42{k}["send",{{"room":"{room}","nonce":"{}-{j}-{k}","body":"{b}"}}]"#,
                ctx.run_tag
            ),
        }
        .into_bytes()
    }
}

async fn open(ctx: &Ctx, st: &ClientState) -> std::io::Result<WsClient> {
    let room = &ctx.room_ids[st.plan.room];
    match ctx.opts.target {
        Target::Chatcore => {
            let user = &ctx.users[st.idx % ctx.users.len()];
            let auth = format!("Bearer {}", user.token);
            let path = format!("{}/ws", ctx.opts.api_path);
            let mut ws = ws::connect(
                ctx.addr_of(st.idx),
                &path,
                &[("Authorization", &auth)],
                8192,
            )
            .await?;
            ws.send_text(br#"{"type":"ping","id":0}"#).await?;
            Ok(ws)
        }
        Target::Broadcast => {
            let path = format!("/ws?room={room}&user=c{}", st.idx);
            ws::connect(ctx.addr_of(st.idx), &path, &[], 8192).await
        }
        Target::Socketio | Target::ChatcoreSocketio => {
            ws::connect(
                ctx.addr_of(st.idx),
                "/socket.io/?EIO=4&transport=websocket",
                &[],
                8192,
            )
            .await
        }
    }
}

/// Run one client until the run stops; returns what it received.
pub(super) async fn client(ctx: Rc<Ctx>, mut st: ClientState) -> ClientState {
    let sh = &ctx.shared;
    let permit = ctx.connect_gate.acquire().await.ok();
    let mut ws = match open(&ctx, &st).await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::warn!(client = st.idx, error = %e, "connect failed");
            sh.disconnect(0);
            // Count it as ready so that the run goes on (its deliveries count as lost).
            sh.ready.set(sh.ready.get() + 1);
            sh.ready_wake.notify_one();
            return st;
        }
    };
    let mut permit = permit;
    let mut phase_rx = ctx.phase.clone();
    let mut phase = *phase_rx.borrow_and_update();
    let mut next_k: u32 = 0;
    let mut next_at: Option<tokio::time::Instant> = None;
    // Open loop: time between two messages of this publisher (set at each stage).
    let mut period = Duration::from_secs(1);
    let closed_loop = sh.closed_loop;
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
    let timer = tokio::time::sleep_until(far);
    tokio::pin!(timer);
    loop {
        let publishing = phase.publishing() && st.plan.publisher.is_some();
        let wake = async {
            match st.plan.publisher {
                Some(j) if publishing && closed_loop => sh.pubs[j].wake.notified().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            r = phase_rx.changed() => {
                if r.is_err() {
                    break;
                }
                phase = *phase_rx.borrow_and_update();
                if phase == Phase::Stop {
                    ws.close().await;
                    break;
                }
                if phase.publishing() && !closed_loop && let Some(j) = st.plan.publisher {
                    // A new stage: a new schedule at the stage's rate.
                    let (p, offset) = ctx.opts.scenario.schedule(sh.rate.get(), j);
                    period = p;
                    let at = tokio::time::Instant::now() + offset;
                    next_at = Some(at);
                    timer.as_mut().reset(at);
                }
            }
            () = &mut timer, if publishing && next_at.is_some() => {
                if let (Some(j), Some(mut at)) = (st.plan.publisher, next_at) {
                    let now = tokio::time::Instant::now();
                    // Open loop: send everything due (catching up after a stall),
                    // each stamped with the time it was due, so that a stall of the
                    // generator or a server that does not keep up shows as latency.
                    while at <= now {
                        let due = at.into_std().saturating_duration_since(sh.t0);
                        let due = u64::try_from(due.as_micros()).unwrap_or(u64::MAX);
                        let f = st.publish_frame(&ctx, j, next_k, due);
                        ws.queue_text(&f);
                        next_k += 1;
                        at += period;
                    }
                    let p = &sh.pubs[j];
                    p.sent.set(next_k);
                    if ws.flush().await.is_err() {
                        sh.disconnect(0);
                        break;
                    }
                    next_at = Some(at);
                    timer.as_mut().reset(at);
                }
            }
            () = wake => {}
            inc = ws.next() => {
                let action = match inc {
                    Ok(Incoming::Text(t)) => {
                        if !st.ready && std::env::var_os("CHATLOAD_DEBUG").is_some() {
                            let mut d = sh.not_ready.borrow_mut();
                            d.push_str(&format!("[{} got {}] ", st.idx, String::from_utf8_lossy(&t[..t.len().min(60)])));
                        }
                        st.on_text(&ctx, t)
                    }
                    Ok(Incoming::Ping(p)) => {
                        if ws.pong(&p).await.is_err() {
                            sh.disconnect(0);
                            break;
                        }
                        Action::None
                    }
                    Ok(Incoming::Binary | Incoming::Pong) => Action::None,
                    Ok(Incoming::Close(code)) => {
                        if phase != Phase::Stop {
                            sh.disconnect(code.unwrap_or(0));
                        }
                        break;
                    }
                    Err(e) => {
                        if phase != Phase::Stop {
                            tracing::debug!(client = st.idx, error = %e, "connection lost");
                            sh.disconnect(0);
                        }
                        break;
                    }
                };
                let mut ready = false;
                let sent = match action {
                    Action::None => Ok(()),
                    Action::Send(f) => ws.send_text(&f).await,
                    Action::Ready => {
                        ready = true;
                        Ok(())
                    }
                };
                if sent.is_err() {
                    sh.disconnect(0);
                    break;
                }
                if ready && !st.ready {
                    st.ready = true;
                    drop(permit.take());
                    sh.ready.set(sh.ready.get() + 1);
                    sh.ready_wake.notify_one();
                }
            }
        }
        // Closed loop: top the window up.
        let publishing = phase.publishing() && st.plan.publisher.is_some();
        if publishing
            && closed_loop
            && let Some(j) = st.plan.publisher
        {
            let p = &sh.pubs[j];
            let mut queued = false;
            while next_k.wrapping_sub(p.done.get()) < u32::try_from(st.plan.window).unwrap_or(1) {
                {
                    let mut ring = p.remaining.borrow_mut();
                    let len = ring.len();
                    let slot = &mut ring[next_k as usize % len];
                    if *slot > 0 {
                        // A message that never completed: give its slot up.
                        p.done.set(p.done.get() + 1);
                    }
                    *slot = p.members;
                }
                let f = st.publish_frame(&ctx, j, next_k, sh.now_us());
                ws.queue_text(&f);
                next_k += 1;
                queued = true;
            }
            if queued {
                p.sent.set(next_k);
                if ws.flush().await.is_err() {
                    sh.disconnect(0);
                    break;
                }
            }
        }
    }
    if !st.ready {
        sh.ready.set(sh.ready.get() + 1);
        sh.ready_wake.notify_one();
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        let b = body(12, 345, 6789, 100);
        assert_eq!(b.len(), 100);
        assert_eq!(parse_body(&b.as_bytes()[3..]), Some((12, 345, 6789)));
    }

    #[test]
    fn seen_counts_gaps_and_duplicates() {
        let mut s = Seen::default();
        assert!(s.first(0));
        assert!(s.first(2));
        assert!(!s.first(0));
        assert!(s.first(1));
        assert!(!s.first(1));
        assert_eq!(s.unique, 3);
        assert!(s.missing.is_empty());
    }
}
