//! Changes the dashboard redraws on. Services publish after their transaction commits; each
//! open dashboard page holds a subscription and refreshes what the event names.

use std::sync::{Arc, OnceLock};

use tokio::sync::{broadcast, mpsc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DashboardEvent {
    /// Something in the live queue changed (new chat, assignment, priority, end, new message).
    QueueChanged,
    /// New messages or read/delivery marks in this session's transcript.
    Transcript(Arc<str>),
    /// The user's typing state in this session changed.
    UserTyping(Arc<str>),
    /// Assignment, priority, notes or status of this session changed.
    SessionDetails(Arc<str>),
    /// An agent came online, went offline, was disabled or had its capacity changed: who can
    /// take a waiting chat may have changed.
    AgentsChanged,
    /// A label was added, renamed, recoloured or deleted: every chat view shows the list (its
    /// chat's labels and the ones it could still get).
    LabelsChanged,
}

impl DashboardEvent {
    pub fn session_id(&self) -> Option<&str> {
        match self {
            DashboardEvent::QueueChanged
            | DashboardEvent::AgentsChanged
            | DashboardEvent::LabelsChanged => None,
            DashboardEvent::Transcript(id)
            | DashboardEvent::UserTyping(id)
            | DashboardEvent::SessionDetails(id) => Some(id),
        }
    }
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<DashboardEvent>,
    /// Where events also go for the other replicas, once a relay is attached.
    relay: Arc<OnceLock<mpsc::UnboundedSender<DashboardEvent>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        // A slow page that falls this far behind gets `Lagged` and simply redraws everything.
        let (tx, _) = broadcast::channel(1024);
        EventBus {
            tx,
            relay: Arc::default(),
        }
    }
}

impl EventBus {
    /// Tells this replica's dashboards, and the other replicas' through the relay.
    pub fn publish(&self, event: DashboardEvent) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(event.clone());
        }
        self.publish_local(event);
    }

    /// Tells this replica's dashboards only: for events another replica relayed here.
    pub fn publish_local(&self, event: DashboardEvent) {
        // No subscriber (no dashboard open) is not an error.
        let _ = self.tx.send(event);
    }

    /// Sends every later event to `relay` as well; the first relay attached stays.
    pub fn relay_to(&self, relay: mpsc::UnboundedSender<DashboardEvent>) {
        let _ = self.relay.set(relay);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DashboardEvent> {
        self.tx.subscribe()
    }
}
