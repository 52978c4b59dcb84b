//! What admin-API answers look like. Unlike the client API, agents see the real agent behind
//! every reply, delivery and read marks, notes and internal details.

pub mod agent;
pub mod chat;
pub mod content;
pub mod label;
pub mod search;
pub mod session;
pub mod webhook;

pub use agent::{AdminAnswer, AgentAnswer, AgentsAnswer, LoginAnswer, OneAgent};
pub use chat::{AgentSendAnswer, AssignmentAnswer, BroadcastAnswer, PriorityAnswer};
pub use content::{
    AuditAnswer, AuditEntry, CannedAnswer, CannedDeleted, CannedList, OneCanned, OnePersona,
    PersonaAnswer, PersonaDeleted, PersonaList,
};
pub use label::{ChatLabelsAnswer, LabelAnswer, LabelDeleted, LabelList, OneLabel};
pub use search::SearchAnswer;
pub use session::{ActiveSessions, NoteAnswer, QueueEntryAnswer, SessionDetailAnswer};
