//! The multi-node hub conformance suite: every broker runs the same cases through
//! [`hub_conformance_tests!`](crate::hub_conformance_tests).
//!
//! A case gets a [`Cluster`]: a factory of hubs that form one cluster (nodes). Each node
//! is a `Chat` with its own hub over one shared store, as separate server processes
//! over one database would be.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::conformance::pause::{PausingHub, Point};
use crate::hub::{BrokerHub, BrokerOptions, Engine, Hub};
use crate::protocol::{RemovalReason, ServerEvent};
use crate::store::Store;
use crate::{
    Chat, ChatConnection, CloseReason, Limits, MemoryStore, NewRoom, Register, RoomId, RoomKind,
    SendMessage, UserId,
};

/// Makes nodes of one cluster.
#[async_trait]
pub trait Cluster: Send + Sync {
    /// A new node whose presence leases last `lease`.
    async fn node(&self, lease: Duration) -> Arc<dyn Hub>;
}

/// Emit one `#[tokio::test]` per hub case; `$setup` is an
/// `async fn() -> Option<Box<dyn Cluster>>` (`None` skips with a visible line).
#[macro_export]
macro_rules! hub_conformance_tests {
    ($setup:path) => {
        $crate::__hub_cases!($setup;
            hub_messages_typing_presence_in_order,
            hub_ban_cuts_connections_on_other_nodes,
            hub_dead_node_leaves_no_ghost,
            hub_presence_counts_connections_across_nodes,
            hub_large_events_cross_nodes,
            hub_connect_racing_revocation_does_not_survive,
            hub_connect_racing_kick_gets_no_room_traffic,
            hub_kick_on_one_node_refuses_the_next_send_on_another,
        );
    };
}

/// The hub conformance suite for a [`BrokerHub`] over an [`Engine`]:
/// `engine_conformance_tests!("ENV_VAR", MyEngine)`, where the variable holds the
/// broker's URL. Each case runs in a cluster of its own (a fresh name). Skips with a
/// visible line without the variable.
#[macro_export]
macro_rules! engine_conformance_tests {
    ($var:literal, $engine:ty) => {
        async fn __engine_cluster() -> Option<Box<dyn $crate::conformance::hub::Cluster>> {
            $crate::conformance::hub::engine_cluster::<$engine>($var)
        }
        $crate::hub_conformance_tests!(__engine_cluster);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __hub_cases {
    ($setup:path; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $setup().await {
                    Some(cluster) => $crate::conformance::hub::$case(&*cluster).await,
                    None => {
                        use ::std::io::Write as _;
                        let _ = writeln!(
                            ::std::io::stderr(),
                            "SKIPPED hub conformance case {}: broker not configured",
                            stringify!($case)
                        );
                    }
                }
            }
        )*
    };
}

/// A [`Cluster`] of [`BrokerHub`]s over engines of type `E`.
struct Engines<E> {
    url: String,
    cluster: String,
    engine: std::marker::PhantomData<fn() -> E>,
}

#[async_trait]
impl<E: Engine> Cluster for Engines<E> {
    async fn node(&self, lease: Duration) -> Arc<dyn Hub> {
        let options = BrokerOptions {
            presence_lease: lease,
            ..BrokerOptions::default()
        };
        BrokerHub::<E>::connect_with(&self.url, &self.cluster, options)
            .await
            .expect("the node joins the cluster")
    }
}

/// The cluster of [`engine_conformance_tests!`](crate::engine_conformance_tests): nodes
/// over engines `E` at the URL in the environment variable `var`, in a cluster with a
/// fresh name; `None`, with a `SKIPPED` line, without the variable.
pub fn engine_cluster<E: Engine>(var: &str) -> Option<Box<dyn Cluster>> {
    let Ok(url) = std::env::var(var) else {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIPPED broker conformance: set {var}");
        return None;
    };
    Some(Box::new(Engines::<E> {
        url,
        cluster: format!("chatcore_test_{}", uuid::Uuid::new_v4().simple()),
        engine: std::marker::PhantomData,
    }))
}

struct Nodes<'a> {
    cluster: &'a dyn Cluster,
    store: Arc<dyn Store>,
}

impl Nodes<'_> {
    async fn node(&self, lease: Duration) -> Chat {
        Chat::builder(self.store.clone())
            .limits(Limits::without_rate_limits())
            .hub(self.cluster.node(lease).await)
            .build()
    }
}

fn nodes(cluster: &dyn Cluster) -> Nodes<'_> {
    Nodes {
        cluster,
        store: Arc::new(MemoryStore::new()),
    }
}

const LONG: Duration = Duration::from_secs(30);

async fn register(chat: &Chat, name: &str) -> UserId {
    chat.register(
        Register {
            username: name.into(),
            password: "correct horse battery".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .0
    .user
    .id
}

async fn next_event(conn: &mut ChatConnection) -> ServerEvent {
    let frame = tokio::time::timeout(Duration::from_secs(5), conn.connection().recv())
        .await
        .expect("an event within 5 s")
        .expect("connection open");
    serde_json::from_slice(&frame.json).unwrap()
}

async fn wait_for(conn: &mut ChatConnection, pred: impl Fn(&ServerEvent) -> bool) -> ServerEvent {
    loop {
        let ev = next_event(conn).await;
        if pred(&ev) {
            return ev;
        }
    }
}

async fn none_within(
    conn: &mut ChatConnection,
    wait: Duration,
    pred: impl Fn(&ServerEvent) -> bool,
) {
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, conn.connection().recv()).await {
        let ev: ServerEvent = serde_json::from_slice(&frame.json).unwrap();
        assert!(!pred(&ev), "unexpected {ev:?}");
    }
}

fn text(ev: &ServerEvent) -> Option<&str> {
    match ev {
        ServerEvent::MessageCreated { message } if message.author_id.is_some() => {
            Some(&message.body)
        }
        _ => None,
    }
}

async fn public_room(chat: &Chat, owner: UserId) -> RoomId {
    chat.create_room(owner, NewRoom::new(RoomKind::Public, "across"))
        .await
        .unwrap()
        .id
}

fn say(body: &str) -> SendMessage {
    SendMessage {
        body: body.into(),
        ..Default::default()
    }
}

pub async fn hub_messages_typing_presence_in_order(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let b = n.node(LONG).await;
    let alice = register(&a, "alice").await;
    let bob = register(&a, "bob").await;
    let room = public_room(&a, alice).await;
    b.join_room(bob, room, None).await.unwrap();

    let mut on_a = a.connect(alice, None).await.unwrap();
    let _first_on_b = b.connect(bob, None).await.unwrap();
    wait_for(
        &mut on_a,
        |e| matches!(e, ServerEvent::Presence { user, online: true, .. } if *user == bob),
    )
    .await;
    assert!(
        a.is_online(bob).await.unwrap(),
        "online on B means online for A"
    );

    let mut on_b = b.connect(bob, None).await.unwrap();
    a.typing(alice, room, true).await.unwrap();
    wait_for(
        &mut on_b,
        |e| matches!(e, ServerEvent::Typing { user, typing: true, .. } if *user == alice),
    )
    .await;

    for i in 0..100 {
        a.send_message(alice, room, say(&format!("m{i}")))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 100 {
        if let Some(t) = text(&next_event(&mut on_b).await) {
            got.push(t.to_owned());
        }
    }
    let want: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want, "per-room order holds across nodes");

    let m = b.send_message(bob, room, say("typo")).await.unwrap();
    b.edit_message(bob, m.id, "fixed").await.unwrap();
    wait_for(
        &mut on_a,
        |e| matches!(e, ServerEvent::MessageEdited { message } if message.body == "fixed"),
    )
    .await;
    b.delete_message(bob, m.id).await.unwrap();
    wait_for(
        &mut on_a,
        |e| matches!(e, ServerEvent::MessageDeleted { message_id, .. } if *message_id == m.id),
    )
    .await;
}

pub async fn hub_ban_cuts_connections_on_other_nodes(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let b = n.node(LONG).await;
    let owner = register(&a, "owner").await;
    let bad = register(&a, "bad").await;
    let room = public_room(&a, owner).await;
    b.join_room(bad, room, None).await.unwrap();
    let mut bad_on_b = b.connect(bad, None).await.unwrap();

    a.ban(owner, room, bad, "spam", None).await.unwrap();
    wait_for(&mut bad_on_b, |e| {
        matches!(e, ServerEvent::MemberRemoved { user, reason: RemovalReason::Banned, .. } if *user == bad)
    })
    .await;
    a.send_message(owner, room, say("not for you"))
        .await
        .unwrap();
    none_within(&mut bad_on_b, Duration::from_millis(500), |e| {
        text(e).is_some()
    })
    .await;
    assert!(matches!(
        b.join_room(bad, room, None).await,
        Err(crate::Error::Banned)
    ));

    // Room deletion on A unsubscribes B's connections.
    let other = public_room(&a, owner).await;
    let watcher = register(&a, "watcher").await;
    b.join_room(watcher, other, None).await.unwrap();
    let mut w = b.connect(watcher, None).await.unwrap();
    a.delete_room(owner, other).await.unwrap();
    wait_for(
        &mut w,
        |e| matches!(e, ServerEvent::RoomDeleted { room } if *room == other),
    )
    .await;

    // Logout everywhere on A closes the user's sockets on B.
    let (_, token) = a
        .login("owner", "correct horse battery", None)
        .await
        .unwrap();
    let mut owner_on_b = b.connect(owner, Some(token.session.id)).await.unwrap();
    a.logout_everywhere(owner).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while owner_on_b.connection().recv().await.is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "connection on B closed");
    assert_eq!(
        owner_on_b.connection().close_reason(),
        Some(CloseReason::SessionRevoked)
    );
}

pub async fn hub_dead_node_leaves_no_ghost(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let short = Duration::from_millis(1500);
    let a = n.node(short).await;
    let c = n.node(short).await;
    let alice = register(&a, "alice").await;
    let carol = register(&a, "carol").await;
    let room = public_room(&a, alice).await;
    a.join_room(carol, room, None).await.unwrap();
    let mut watcher = a.connect(alice, None).await.unwrap();
    let conn = c.connect(carol, None).await.unwrap();
    wait_for(
        &mut watcher,
        |e| matches!(e, ServerEvent::Presence { user, online: true, .. } if *user == carol),
    )
    .await;

    // Node C dies: no disconnect, no lease renewal.
    std::mem::forget(conn);
    drop(c);
    assert!(
        a.is_online(carol).await.unwrap(),
        "still leased right after the crash"
    );
    let mut offline = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.housekeeping().await.unwrap();
        if !a.is_online(carol).await.unwrap() {
            offline = true;
            break;
        }
    }
    assert!(offline, "the ghost expired");
    assert!(
        a.is_online(alice).await.unwrap(),
        "live users keep their lease"
    );
    wait_for(
        &mut watcher,
        |e| matches!(e, ServerEvent::Presence { user, online: false, .. } if *user == carol),
    )
    .await;
}

pub async fn hub_presence_counts_connections_across_nodes(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let b = n.node(LONG).await;
    let u = register(&a, "multi").await;
    let c1 = a.connect(u, None).await.unwrap();
    let c2 = b.connect(u, None).await.unwrap();
    assert!(b.is_online(u).await.unwrap());
    c1.close().await;
    assert!(a.is_online(u).await.unwrap(), "online through node B");
    c2.close().await;
    assert!(!a.is_online(u).await.unwrap());
}

pub async fn hub_large_events_cross_nodes(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let b = n.node(LONG).await;
    let alice = register(&a, "alice").await;
    let bob = register(&a, "bob").await;
    let room = public_room(&a, alice).await;
    b.join_room(bob, room, None).await.unwrap();
    let mut on_b = b.connect(bob, None).await.unwrap();
    // 4,000 four-byte characters: a dispatch of about 16 KB, over NOTIFY's 8,000 bytes.
    let big = "😀".repeat(4000);
    for body in ["small before", big.as_str(), "small after"] {
        a.send_message(alice, room, say(body)).await.unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 3 {
        if let Some(t) = text(&next_event(&mut on_b).await) {
            got.push(t.to_owned());
        }
    }
    assert_eq!(
        got,
        ["small before", big.as_str(), "small after"],
        "in order, intact"
    );
}

/// A node whose hub can be paused (see [`crate::conformance::pause`]).
async fn pausing_node(n: &Nodes<'_>) -> (Chat, Arc<PausingHub>) {
    let hub = PausingHub::new(n.cluster.node(LONG).await);
    let chat = Chat::builder(n.store.clone())
        .limits(Limits::without_rate_limits())
        .hub(hub.clone())
        .build();
    (chat, hub)
}

/// A connection on node B that watches for A's dispatches: once it has received one
/// that A published after something else, node B has applied that too.
struct Watcher {
    user: UserId,
    conn: ChatConnection,
}

impl Watcher {
    async fn new(a: &Chat, b: &Chat, name: &str) -> Watcher {
        let user = register(a, name).await;
        let conn = b.connect(user, None).await.unwrap();
        Watcher { user, conn }
    }

    /// Wait until node B has applied everything node A published so far.
    async fn settle(&mut self, a: &Chat) {
        let id = a
            .create_room(self.user, NewRoom::new(RoomKind::Private, "flush"))
            .await
            .unwrap()
            .id;
        wait_for(
            &mut self.conn,
            |e| matches!(e, ServerEvent::RoomCreated { room } if room.id == id),
        )
        .await;
    }
}

/// Connect `user` on node `b` with its hub paused before the registration, run
/// `revoke` on node `a` and wait until `b` has applied its dispatches, then let the
/// registration go on: what `connect` returned.
async fn connect_racing(
    (a, b): (&Chat, &Chat),
    hub: &PausingHub,
    watcher: &mut Watcher,
    user: UserId,
    session: Option<crate::SessionId>,
    revoke: impl std::future::Future<Output = ()>,
) -> Option<ChatConnection> {
    let pause = hub.pause(Point::Connect);
    let connecting = {
        let b = b.clone();
        tokio::spawn(async move { b.connect(user, session).await })
    };
    pause.reached().await;
    revoke.await;
    watcher.settle(a).await;
    pause.release();
    connecting.await.unwrap().ok()
}

/// A connection that registers while its session is revoked on another node (logout,
/// logout everywhere, password change) does not survive: the service registers with
/// the hub first and then re-reads the session.
pub async fn hub_connect_racing_revocation_does_not_survive(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let (b, hub) = pausing_node(&n).await;
    let u = register(&a, "racer").await;
    let mut watcher = Watcher::new(&a, &b, "watcher").await;
    let pw = "correct horse battery";
    for what in ["logout", "logout everywhere", "password change"] {
        let (_, victim) = a.login("racer", pw, None).await.unwrap();
        let (_, kept) = a.login("racer", pw, None).await.unwrap();
        let (a2, s) = (a.clone(), victim.session.id);
        let conn = connect_racing((&a, &b), &hub, &mut watcher, u, Some(s), async move {
            match what {
                "logout" => a2.logout(u, s).await.unwrap(),
                "logout everywhere" => {
                    a2.logout_everywhere(u).await.unwrap();
                }
                _ => a2
                    .change_password(u, Some(kept.session.id), pw, pw)
                    .await
                    .unwrap(),
            }
        })
        .await;
        if let Some(mut conn) = conn {
            let closed = tokio::time::timeout(Duration::from_secs(5), async {
                while conn.connection().recv().await.is_some() {}
            })
            .await;
            assert!(closed.is_ok(), "a connection racing a {what} stays open");
        }
    }
}

/// A connection that registers while its user is kicked or banned on another node
/// gets nothing more from those rooms: the service registers with the hub before it
/// reads the user's rooms, and re-reads them after subscribing.
pub async fn hub_connect_racing_kick_gets_no_room_traffic(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let (b, hub) = pausing_node(&n).await;
    let owner = register(&a, "keeper").await;
    let u = register(&a, "kicked").await;
    let kicked = public_room(&a, owner).await;
    let banned = public_room(&a, owner).await;
    let stays = public_room(&a, owner).await;
    for r in [kicked, banned, stays] {
        a.join_room(u, r, None).await.unwrap();
    }
    let mut watcher = Watcher::new(&a, &b, "watcher").await;
    let a2 = a.clone();
    let mut conn = connect_racing((&a, &b), &hub, &mut watcher, u, None, async move {
        a2.kick(owner, kicked, u).await.unwrap();
        a2.ban(owner, banned, u, "race", None).await.unwrap();
    })
    .await
    .expect("the user still exists");
    for r in [kicked, banned] {
        a.send_message(owner, r, say("not for you")).await.unwrap();
    }
    a.send_message(owner, stays, say("sentinel")).await.unwrap();
    loop {
        let ev = next_event(&mut conn).await;
        match text(&ev) {
            Some("sentinel") => break,
            Some(t) => panic!("received {t:?} from a room the user was removed from"),
            None => {}
        }
    }
}

/// Wait until the node's hub lets the service cache access (a broker hub does once it
/// hears its own heartbeat).
async fn caches_access(chat: &Chat) {
    for _ in 0..200 {
        if chat.hub().access_epoch().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the hub never turned the access cache on");
}

fn refused(result: crate::Result<crate::Message>) -> bool {
    matches!(result, Err(crate::Error::Forbidden(_)))
}

pub async fn hub_kick_on_one_node_refuses_the_next_send_on_another(cluster: &dyn Cluster) {
    let n = nodes(cluster);
    let a = n.node(LONG).await;
    let b = n.node(LONG).await;
    caches_access(&a).await;
    caches_access(&b).await;
    let owner = register(&a, "owner").await;
    let mal = register(&a, "mal").await;
    let room = public_room(&a, owner).await;
    for round in 0..5 {
        b.join_room(mal, room, None).await.unwrap();
        // The first send reads the store and caches; the second is served from it.
        b.send_message(mal, room, say("read")).await.unwrap();
        b.send_message(mal, room, say("cached")).await.unwrap();
        a.kick(owner, room, mal).await.unwrap();
        assert!(
            refused(b.send_message(mal, room, say("kicked")).await),
            "round {round}: B still took a kicked member's message"
        );
    }
    // A join on A is seen by the next send on B, whose "not a member" was cached.
    assert!(refused(b.send_message(mal, room, say("not yet")).await));
    a.join_room(mal, room, None).await.unwrap();
    b.send_message(mal, room, say("joined on A")).await.unwrap();
    a.ban(owner, room, mal, "spam", None).await.unwrap();
    assert!(b.send_message(mal, room, say("banned")).await.is_err());

    // And B does cache: a change behind the service's back goes unseen until a node
    // says so.
    let quiet = register(&a, "quiet").await;
    b.join_room(quiet, room, None).await.unwrap();
    b.send_message(quiet, room, say("read")).await.unwrap();
    assert!(n.store.remove_member(room, quiet).await.unwrap());
    b.send_message(quiet, room, say("from the cache"))
        .await
        .unwrap();
    a.forget_cached_access_everywhere().await;
    assert!(refused(b.send_message(quiet, room, say("forgotten")).await));
}
