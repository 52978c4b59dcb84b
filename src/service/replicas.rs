//! Keeping replicas that share one PostgreSQL database in step. Each replica holds its own
//! hub (long-polls, streams, sockets) and dashboard bus; after a commit, the relay tells the
//! other replicas what changed through the store's change feed: session ids, typing and
//! dashboard events, coalesced into one small notice per batch (whatever queued while the
//! previous notice was being sent). A replica hearing a notice re-reads the sessions it
//! watches from the database, so notices carry no data and a lost one costs at most the
//! next poll; after the feed reconnects it re-reads everything it watches.
//!
//! Per replica, by design: rate-limit windows, login throttles and the held-poll cap count
//! what reaches this replica (docs/scale.md says what that means for limits).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::Services;
use super::live::snapshot_of;
use crate::domain::Timestamp;
use crate::domain::ids::random_token;
use crate::realtime::{DashboardEvent, Typist};
use crate::store::feed::{ChangeFeed, NOTICE_MAX_BYTES, Notice};

/// One change to tell the other replicas about.
#[derive(Clone, Debug)]
enum Change {
    /// A committed change to a session's live state (messages, status, read marks).
    Session(Arc<str>),
    Typing(Arc<str>, Typist, Option<Timestamp>),
    /// The session was erased or deleted.
    Removed(Arc<str>),
}

/// The sending half, kept in [`Services`]; does nothing until [`spawn`] attaches a feed.
#[derive(Default)]
pub struct Relay {
    tx: OnceLock<mpsc::UnboundedSender<Change>>,
    /// Times the feed came back after a loss and this replica re-read what it watches.
    resumed: AtomicU64,
}

impl Relay {
    /// How many times the feed was lost and this replica caught up again.
    pub fn times_resumed(&self) -> u64 {
        self.resumed.load(Ordering::Relaxed)
    }

    pub fn session_changed(&self, session_id: &str) {
        self.send(Change::Session(session_id.into()));
    }

    pub fn typing(&self, session_id: &str, who: Typist, until: Option<Timestamp>) {
        self.send(Change::Typing(session_id.into(), who, until));
    }

    pub fn removed(&self, session_id: &str) {
        self.send(Change::Removed(session_id.into()));
    }

    fn send(&self, change: Change) {
        if let Some(tx) = self.tx.get() {
            let _ = tx.send(change);
        }
    }
}

/// A notice on the wire: short keys keep it well under the feed's size limit.
#[derive(Default, Serialize, Deserialize)]
struct Wire {
    /// The replica that sent it; a replica skips its own.
    r: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    s: Vec<String>,
    /// `(session, "a" | "u", typing until)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    t: Vec<(String, String, Option<i64>)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    x: Vec<String>,
    /// Dashboard events: `(kind, session)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    d: Vec<(String, Option<String>)>,
}

/// Starts relaying when the store has a change feed (PostgreSQL); nothing on SQLite.
pub fn spawn(ctx: Arc<Services>) {
    let Some(feed) = ctx.store.change_feed() else {
        return;
    };
    let replica = random_token(12);
    let (changes_tx, changes) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let _ = ctx.relay.tx.set(changes_tx);
    ctx.bus.relay_to(events_tx);
    let notices = feed.listen();
    tokio::spawn(announce(feed, replica.clone(), changes, events));
    tokio::spawn(apply(ctx, replica, notices));
}

/// Sends batches of changes until the services are gone.
async fn announce(
    feed: Arc<dyn ChangeFeed>,
    replica: String,
    mut changes: mpsc::UnboundedReceiver<Change>,
    mut events: mpsc::UnboundedReceiver<DashboardEvent>,
) {
    loop {
        let mut batch = Batch::default();
        tokio::select! {
            Some(change) = changes.recv() => batch.add_change(change),
            Some(event) = events.recv() => batch.add_event(event),
            else => return,
        }
        while let Ok(change) = changes.try_recv() {
            batch.add_change(change);
        }
        while let Ok(event) = events.try_recv() {
            batch.add_event(event);
        }
        for payload in batch.payloads(&replica) {
            if let Err(e) = feed.announce(&payload).await {
                // The others re-read on their next poll or after their feed reconnects.
                tracing::warn!(error = %e, "cannot tell the other replicas about a change");
            }
        }
    }
}

/// What queued since the last notice, without repeats.
#[derive(Default)]
struct Batch {
    sessions: BTreeSet<Arc<str>>,
    typing: BTreeMap<(Arc<str>, &'static str), Option<i64>>,
    removed: BTreeSet<Arc<str>>,
    events: BTreeSet<(String, Option<String>)>,
}

impl Batch {
    fn add_change(&mut self, change: Change) {
        match change {
            Change::Session(id) => {
                self.sessions.insert(id);
            }
            Change::Typing(id, who, until) => {
                self.typing
                    .insert((id, typist_code(who)), until.map(|t| t.0));
            }
            Change::Removed(id) => {
                self.removed.insert(id);
            }
        }
    }

    fn add_event(&mut self, event: DashboardEvent) {
        self.events.insert(event_code(&event));
    }

    /// The batch as notices, each under the size limit.
    fn payloads(self, replica: &str) -> Vec<String> {
        let fresh = || Wire {
            r: replica.to_string(),
            ..Wire::default()
        };
        let mut done = Vec::new();
        let mut wire = fresh();
        // Ids are short (at most a few hundred bytes), so counting each item's own size keeps
        // a notice under the limit with room for the JSON around it.
        let budget = NOTICE_MAX_BYTES - 200;
        let mut used = 0;
        let mut room = |wire: &mut Wire, size: usize, done: &mut Vec<String>| {
            if used + size > budget {
                done.push(
                    serde_json::to_string(&std::mem::replace(wire, fresh())).unwrap_or_default(),
                );
                used = 0;
            }
            used += size;
        };
        for id in self.sessions {
            room(&mut wire, id.len() + 3, &mut done);
            wire.s.push(id.to_string());
        }
        for ((id, who), until) in self.typing {
            room(&mut wire, id.len() + 30, &mut done);
            wire.t.push((id.to_string(), who.to_string(), until));
        }
        for id in self.removed {
            room(&mut wire, id.len() + 3, &mut done);
            wire.x.push(id.to_string());
        }
        for (kind, id) in self.events {
            room(
                &mut wire,
                kind.len() + id.as_ref().map_or(4, |i| i.len()) + 8,
                &mut done,
            );
            wire.d.push((kind, id));
        }
        done.push(serde_json::to_string(&wire).unwrap_or_default());
        done
    }
}

/// Applies the other replicas' notices to this replica's hub and dashboards.
async fn apply(ctx: Arc<Services>, replica: String, mut notices: mpsc::Receiver<Notice>) {
    while let Some(notice) = notices.recv().await {
        match notice {
            Notice::Payload(payload) => match serde_json::from_str::<Wire>(&payload) {
                Ok(wire) if wire.r != replica => apply_wire(&ctx, wire).await,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "ignoring a notice this replica cannot read"),
            },
            Notice::Resumed => {
                let watched = ctx.hub.known_sessions();
                reload(&ctx, watched.iter().map(|id| &**id)).await;
                for event in [
                    DashboardEvent::QueueChanged,
                    DashboardEvent::AgentsChanged,
                    DashboardEvent::LabelsChanged,
                ] {
                    ctx.bus.publish_local(event);
                }
                ctx.relay.resumed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

async fn apply_wire(ctx: &Services, wire: Wire) {
    // Only sessions somebody watches here are worth a read; the rest load on their next look.
    let watched = wire
        .s
        .iter()
        .map(String::as_str)
        .filter(|id| ctx.hub.get(id).is_some());
    reload(ctx, watched).await;
    for (id, who, until) in wire.t {
        if let Some(who) = typist_from(&who) {
            ctx.hub.set_typing(&id, who, until.map(Timestamp));
        }
    }
    for id in wire.x {
        ctx.hub.end_removed(&id);
    }
    for (kind, id) in wire.d {
        if let Some(event) = event_from(&kind, id) {
            ctx.bus.publish_local(event);
        }
    }
}

/// Reads the committed state of each session and merges it into the hub (which only ever
/// moves forward), waking whoever waits on it.
async fn reload<'a>(ctx: &Services, ids: impl Iterator<Item = &'a str>) {
    let reads = ids.map(|id| async move {
        match ctx.store.session_state(id.to_string()).await {
            Ok(Some(state)) => {
                ctx.hub.publish(snapshot_of(&state));
            }
            Ok(None) => ctx.hub.end_removed(id),
            Err(e) => tracing::warn!(error = %e, session_id = id, "cannot re-read a session another replica changed"),
        }
    });
    futures_util::future::join_all(reads).await;
}

fn typist_code(who: Typist) -> &'static str {
    match who {
        Typist::Agent => "a",
        Typist::User => "u",
    }
}

fn typist_from(code: &str) -> Option<Typist> {
    match code {
        "a" => Some(Typist::Agent),
        "u" => Some(Typist::User),
        _ => None,
    }
}

fn event_code(event: &DashboardEvent) -> (String, Option<String>) {
    let kind = match event {
        DashboardEvent::QueueChanged => "queue",
        DashboardEvent::AgentsChanged => "agents",
        DashboardEvent::LabelsChanged => "labels",
        DashboardEvent::Transcript(_) => "transcript",
        DashboardEvent::UserTyping(_) => "typing",
        DashboardEvent::SessionDetails(_) => "details",
    };
    (kind.to_string(), event.session_id().map(str::to_string))
}

fn event_from(kind: &str, id: Option<String>) -> Option<DashboardEvent> {
    let with_id = |make: fn(Arc<str>) -> DashboardEvent| id.clone().map(|i| make(i.into()));
    match kind {
        "queue" => Some(DashboardEvent::QueueChanged),
        "agents" => Some(DashboardEvent::AgentsChanged),
        "labels" => Some(DashboardEvent::LabelsChanged),
        "transcript" => with_id(DashboardEvent::Transcript),
        "typing" => with_id(DashboardEvent::UserTyping),
        "details" => with_id(DashboardEvent::SessionDetails),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_batch_is_split_into_notices_under_the_limit() {
        let mut batch = Batch::default();
        for i in 0..2_000 {
            batch.add_change(Change::Session(format!("session-{i:05}").into()));
            batch.add_event(DashboardEvent::Transcript(format!("session-{i:05}").into()));
        }
        let payloads = batch.payloads("replica");
        assert!(payloads.len() > 1);
        let mut sessions = 0;
        let mut events = 0;
        for payload in &payloads {
            assert!(payload.len() <= NOTICE_MAX_BYTES, "{} bytes", payload.len());
            let wire: Wire = serde_json::from_str(payload).expect("a notice reads back");
            assert_eq!(wire.r, "replica");
            sessions += wire.s.len();
            events += wire.d.len();
        }
        assert_eq!((sessions, events), (2_000, 2_000));
    }

    #[test]
    fn repeats_in_one_batch_are_sent_once_and_events_read_back() {
        let mut batch = Batch::default();
        for _ in 0..3 {
            batch.add_change(Change::Session("s1".into()));
            batch.add_event(DashboardEvent::QueueChanged);
            batch.add_event(DashboardEvent::UserTyping("s1".into()));
        }
        batch.add_change(Change::Typing(
            "s1".into(),
            Typist::User,
            Some(Timestamp(5)),
        ));
        batch.add_change(Change::Typing("s1".into(), Typist::User, None));
        let payloads = batch.payloads("r");
        assert_eq!(payloads.len(), 1);
        let wire: Wire = serde_json::from_str(&payloads[0]).expect("reads back");
        assert_eq!(wire.s, vec!["s1".to_string()]);
        assert_eq!(wire.t, vec![("s1".to_string(), "u".to_string(), None)]);
        let events: Vec<_> = wire
            .d
            .into_iter()
            .filter_map(|(kind, id)| event_from(&kind, id))
            .collect();
        assert_eq!(
            events,
            vec![
                DashboardEvent::QueueChanged,
                DashboardEvent::UserTyping("s1".into())
            ]
        );
    }
}
