//! The hub: for every session somebody is watching, what a poll needs to answer "nothing new"
//! without touching SQLite: owner, status, latest message, typing, read watermark.
//!
//! The hub only learns committed facts. Services publish a [`SessionSnapshot`] taken inside the
//! committing transaction, or loaded from the database on a miss. Snapshots merge
//! monotonically (a later sequence wins; an end is final; watermarks only rise), so publishes
//! arriving out of order, or a stale load racing a fresh write, can never move the hub
//! backwards. Long-polls and streams wait on a `watch` channel per session.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;

use crate::domain::{Channel, SessionOwner, SessionStatus, Timestamp};

const SHARDS: usize = 32;

type Shard = RwLock<HashMap<Arc<str>, Arc<SessionCell>>>;

/// The committed, durable part of a session's live state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSnapshot {
    pub session_id: Arc<str>,
    pub owner: SessionOwner,
    /// Fixed for a session's life; decides whether it can expire when idle.
    pub channel: Channel,
    pub status: SessionStatus,
    pub end_reason: Option<Arc<str>>,
    /// Position in the session and id of the newest message (any sender); 0 / None when
    /// there is none. Positions of one session only grow, so the larger one is the newer.
    pub last_seq: i64,
    pub last_message_id: Option<Arc<str>>,
    /// Creation or the last user/agent message: what expiry counts from.
    pub last_activity: Timestamp,
    /// The user's messages up to this position have been seen by an agent.
    pub agent_read_seq: i64,
}

/// What long-polls and streams observe: the snapshot plus ephemeral typing state.
#[derive(Clone, Debug)]
pub struct LiveState {
    pub snapshot: SessionSnapshot,
    pub agent_typing_until: Option<Timestamp>,
    pub user_typing_until: Option<Timestamp>,
}

impl LiveState {
    pub fn agent_typing(&self, now: Timestamp) -> bool {
        self.agent_typing_until.is_some_and(|t| t > now)
    }

    pub fn user_typing(&self, now: Timestamp) -> bool {
        self.user_typing_until.is_some_and(|t| t > now)
    }
}

/// One session's cell; subscribers wake on every change.
pub struct SessionCell {
    state: watch::Sender<LiveState>,
    /// When the user last polled or had a stream or held poll open (ms); 0 is never.
    watched_at: AtomicI64,
    /// Streams and held polls open now.
    open_watches: AtomicUsize,
}

impl SessionCell {
    /// The user looked at the session (a poll, or a stream or held poll opening or closing).
    pub fn touch(&self, now: Timestamp) {
        self.watched_at.fetch_max(now.0, Ordering::Relaxed);
    }

    /// Counts a stream or held poll as open until the guard drops.
    pub fn open_watch(self: &Arc<Self>, now: Timestamp) -> WatchGuard {
        self.touch(now);
        self.open_watches.fetch_add(1, Ordering::Relaxed);
        WatchGuard { cell: self.clone() }
    }

    /// Whether the user has a poll or stream open, or had one within `window_ms` of `now`.
    pub fn watched_within(&self, now: Timestamp, window_ms: i64) -> bool {
        self.open_watches.load(Ordering::Relaxed) > 0
            || now.0 - self.watched_at.load(Ordering::Relaxed) <= window_ms
    }
    pub fn state(&self) -> watch::Ref<'_, LiveState> {
        self.state.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<LiveState> {
        self.state.subscribe()
    }

    fn merge(&self, incoming: SessionSnapshot) {
        self.state.send_if_modified(|live| {
            let cur = &mut live.snapshot;
            let mut changed = false;
            if incoming.last_seq > cur.last_seq {
                cur.last_seq = incoming.last_seq;
                cur.last_message_id = incoming.last_message_id;
                changed = true;
            }
            if cur.status.is_active() && !incoming.status.is_active() {
                cur.status = incoming.status;
                cur.end_reason = incoming.end_reason;
                live.agent_typing_until = None;
                live.user_typing_until = None;
                changed = true;
            }
            if incoming.last_activity > cur.last_activity {
                cur.last_activity = incoming.last_activity;
            }
            if incoming.agent_read_seq > cur.agent_read_seq {
                cur.agent_read_seq = incoming.agent_read_seq;
                changed = true;
            }
            changed
        });
    }
}

/// An open stream or held poll; the session counts as watched until it drops.
pub struct WatchGuard {
    cell: Arc<SessionCell>,
}

impl WatchGuard {
    /// Closes the watch at `now` (the drop alone cannot know the time).
    pub fn close(self, now: Timestamp) {
        self.cell.touch(now);
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.cell.open_watches.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Which side is typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typist {
    Agent,
    User,
}

/// What a held slot is for; counted apart for the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldKind {
    /// A long-poll waiting for news.
    Poll,
    /// A client event stream.
    Stream,
    /// A realtime socket: a plain WebSocket of a chat (`GET /chat/{sessionId}`) or a
    /// user's Socket.IO connection.
    Socket,
}

pub struct Hub {
    shards: Box<[Shard]>,
    hasher: RandomState,
    /// Held long-polls and streams per owner (a guest and a user with one id are two owners).
    held: Mutex<HashMap<SessionOwner, usize>>,
    /// All held long-polls, then all open streams, whoever holds them.
    held_polls: AtomicUsize,
    open_streams: AtomicUsize,
    open_sockets: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            held: Mutex::new(HashMap::new()),
            held_polls: AtomicUsize::new(0),
            open_streams: AtomicUsize::new(0),
            open_sockets: AtomicUsize::new(0),
        }
    }
}

impl Hub {
    fn shard(&self, session_id: &str) -> &Shard {
        let index = self.hasher.hash_one(session_id) as usize % SHARDS;
        &self.shards[index]
    }

    /// The cell of a session the hub already knows.
    pub fn get(&self, session_id: &str) -> Option<Arc<SessionCell>> {
        self.shard(session_id)
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(session_id)
            .cloned()
    }

    /// Every session the hub holds a cell for (the ones this replica watches or has just
    /// seen change).
    pub fn known_sessions(&self) -> Vec<Arc<str>> {
        self.shards
            .iter()
            .flat_map(|shard| {
                shard
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Installs or merges a committed snapshot; returns the session's cell.
    pub fn publish(&self, snapshot: SessionSnapshot) -> Arc<SessionCell> {
        if let Some(cell) = self.get(&snapshot.session_id) {
            cell.merge(snapshot);
            return cell;
        }
        let mut shard = self
            .shard(&snapshot.session_id)
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match shard.get(&snapshot.session_id) {
            Some(cell) => {
                let cell = cell.clone();
                drop(shard);
                cell.merge(snapshot);
                cell
            }
            None => {
                let key = snapshot.session_id.clone();
                let (state, _) = watch::channel(LiveState {
                    snapshot,
                    agent_typing_until: None,
                    user_typing_until: None,
                });
                let cell = Arc::new(SessionCell {
                    state,
                    watched_at: AtomicI64::new(0),
                    open_watches: AtomicUsize::new(0),
                });
                shard.insert(key, cell.clone());
                cell
            }
        }
    }

    /// Sets or clears a typing indicator; false when the session is unknown or over.
    pub fn set_typing(&self, session_id: &str, who: Typist, until: Option<Timestamp>) -> bool {
        let Some(cell) = self.get(session_id) else {
            return false;
        };
        let mut accepted = false;
        cell.state.send_if_modified(|live| {
            if !live.snapshot.status.is_active() {
                return false;
            }
            accepted = true;
            let slot = match who {
                Typist::Agent => &mut live.agent_typing_until,
                Typist::User => &mut live.user_typing_until,
            };
            let was_typing = slot.is_some();
            *slot = until;
            // Refreshing an indicator that is already on wakes nobody.
            was_typing != until.is_some()
        });
        accepted
    }

    /// Reserves one held long-poll or stream for `user`, at most `max` at a time.
    pub fn hold(
        self: &Arc<Self>,
        user: &SessionOwner,
        max: usize,
        kind: HoldKind,
    ) -> Option<HoldPermit> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let count = held.entry(user.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        self.total(kind).fetch_add(1, Ordering::Relaxed);
        Some(HoldPermit {
            hub: self.clone(),
            user: user.clone(),
            kind,
        })
    }

    fn total(&self, kind: HoldKind) -> &AtomicUsize {
        match kind {
            HoldKind::Poll => &self.held_polls,
            HoldKind::Stream => &self.open_streams,
            HoldKind::Socket => &self.open_sockets,
        }
    }

    /// Forgets a session that no longer exists (erased or deleted): its watchers, who keep
    /// the cell they hold, wake to an end, and the hub drops it at once, so the next look
    /// finds nothing (404) and a new chat started with the same id gets a cell of its own
    /// (an end is final for a cell).
    pub fn end_removed(&self, session_id: &str) {
        let removed = self
            .shard(session_id)
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(session_id);
        if let Some(cell) = removed {
            cell.state.send_if_modified(|live| {
                live.agent_typing_until = None;
                live.user_typing_until = None;
                if !live.snapshot.status.is_active() {
                    return false;
                }
                live.snapshot.status = SessionStatus::EndedByAdmin;
                live.snapshot.end_reason = Some(Arc::from("deleted"));
                true
            });
        }
    }

    /// Long-polls or streams held open right now, by everyone.
    pub fn held(&self, kind: HoldKind) -> usize {
        self.total(kind).load(Ordering::Relaxed)
    }

    /// Drops cells of sessions that are over (or idle past `idle_before`) and unwatched.
    pub fn evict(&self, idle_before: Timestamp) -> usize {
        let mut evicted = 0;
        for shard in self.shards.iter() {
            let mut map = shard.write().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, cell| {
                let watched = cell.state.receiver_count() > 0 || Arc::strong_count(cell) > 1;
                let live = cell.state.borrow();
                let stale =
                    !live.snapshot.status.is_active() || live.snapshot.last_activity < idle_before;
                let keep = watched || !stale;
                if !keep {
                    evicted += 1;
                }
                keep
            });
        }
        evicted
    }

    /// Number of sessions held in memory.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many long-polls and streams the business user `user` holds open right now (a
    /// condition tests wait on).
    pub fn held_by(&self, user: &str) -> usize {
        self.held_by_owner(&SessionOwner::user(user))
    }

    /// How many long-polls and streams `owner` holds open right now.
    pub fn held_by_owner(&self, owner: &SessionOwner) -> usize {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(owner).copied().unwrap_or(0)
    }
}

/// A held long-poll or stream slot; released on drop.
pub struct HoldPermit {
    hub: Arc<Hub>,
    user: SessionOwner,
    kind: HoldKind,
}

impl Drop for HoldPermit {
    fn drop(&mut self) {
        self.hub.total(self.kind).fetch_sub(1, Ordering::Relaxed);
        let mut held = self.hub.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(seq: i64, status: SessionStatus) -> SessionSnapshot {
        SessionSnapshot {
            session_id: Arc::from("chat_1"),
            owner: SessionOwner::user("u1"),
            channel: Channel::App,
            status,
            end_reason: None,
            last_seq: seq,
            last_message_id: Some(Arc::from(format!("msg_{seq}"))),
            last_activity: Timestamp(seq),
            agent_read_seq: 0,
        }
    }

    #[test]
    fn merges_never_go_backwards() {
        let hub = Hub::default();
        hub.publish(snap(5, SessionStatus::Active));
        hub.publish(snap(3, SessionStatus::Active));
        hub.publish(snap(6, SessionStatus::EndedByAdmin));
        hub.publish(snap(7, SessionStatus::Active));
        let cell = hub.get("chat_1").unwrap();
        let state = cell.state();
        assert_eq!(state.snapshot.last_seq, 7);
        assert_eq!(state.snapshot.last_message_id.as_deref(), Some("msg_7"));
        assert_eq!(state.snapshot.status, SessionStatus::EndedByAdmin);
    }

    #[test]
    fn holds_are_counted_per_user() {
        let hub = Arc::new(Hub::default());
        let user = SessionOwner::user("u1");
        let a = hub.hold(&user, 2, HoldKind::Poll).unwrap();
        let _b = hub.hold(&user, 2, HoldKind::Stream).unwrap();
        assert!(hub.hold(&user, 2, HoldKind::Poll).is_none());
        assert_eq!(hub.held(HoldKind::Poll), 1);
        assert_eq!(hub.held(HoldKind::Stream), 1);
        drop(a);
        assert_eq!(hub.held(HoldKind::Poll), 0);
        assert!(hub.hold(&user, 2, HoldKind::Poll).is_some());
    }

    #[test]
    fn a_guest_with_a_users_id_has_an_allowance_of_its_own() {
        let hub = Arc::new(Hub::default());
        let _held = hub
            .hold(&SessionOwner::user("u1"), 1, HoldKind::Poll)
            .unwrap();
        assert!(
            hub.hold(&SessionOwner::user("u1"), 1, HoldKind::Poll)
                .is_none()
        );
        assert!(
            hub.hold(&SessionOwner::guest("u1"), 1, HoldKind::Poll)
                .is_some()
        );
        assert_eq!(hub.held_by("u1"), 1);
    }

    #[tokio::test]
    async fn subscribers_wake_on_change_and_typing_toggles_only() {
        let hub = Hub::default();
        let cell = hub.publish(snap(1, SessionStatus::Active));
        let mut rx = cell.subscribe();
        rx.borrow_and_update();
        assert!(hub.set_typing("chat_1", Typist::Agent, Some(Timestamp(10))));
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();
        hub.set_typing("chat_1", Typist::Agent, Some(Timestamp(20)));
        assert!(!rx.has_changed().unwrap(), "a refresh is not a change");
    }
}
