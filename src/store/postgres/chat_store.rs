//! The PostgreSQL side of [`crate::store::ChatStore`].

use crate::domain::agent::Agent;
use crate::domain::attachment::AttachmentId;
use crate::domain::label::Label;
use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::persona::Persona;
use crate::domain::rating::Rating;
use crate::domain::session::ActiveSession;
use crate::domain::session::{IdleRule, Session, SessionState};
use crate::domain::{Channel, Priority, SendAs, SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::chats::*;
use crate::store::postgres::PgStore;
use async_trait::async_trait;
use std::collections::HashMap;

#[async_trait]
impl ChatStore for PgStore {
    async fn start_session(&self, _req: StartSession) -> Result<StartOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn append_user_message(&self, _msg: NewUserMessage) -> Result<SendOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn find_user_message(
        &self,
        _owner: SessionOwner,
        _session_id: String,
        _message_id: String,
    ) -> Result<Option<Message>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn list_messages(
        &self,
        _owner: SessionOwner,
        _session_id: String,
        _offset: i64,
        _limit: i64,
    ) -> Result<(Vec<Message>, i64)> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn messages_after(
        &self,
        _session_id: String,
        _after: Option<String>,
        _limit: i64,
    ) -> Result<Vec<Message>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn message_position(
        &self,
        _session_id: String,
        _message_id: String,
    ) -> Result<Option<i64>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn messages_after_seq(
        &self,
        _session_id: String,
        _seq: i64,
        _limit: i64,
    ) -> Result<Vec<Message>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn mark_delivered(
        &self,
        _session_id: String,
        _up_to: i64,
        _at: Timestamp,
    ) -> Result<usize> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn mark_read_by_user(
        &self,
        _owner: SessionOwner,
        _session_id: String,
        _up_to: String,
        _at: Timestamp,
    ) -> Result<usize> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn last_user_message_up_to(
        &self,
        _session_id: String,
        _seq: i64,
    ) -> Result<Option<String>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn end_by_user(
        &self,
        _owner: SessionOwner,
        _session_id: String,
        _reason: Option<String>,
        _rating: Option<NewRating>,
        _now: Timestamp,
        _idle: IdleRule,
    ) -> Result<EndOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn rate(
        &self,
        _owner: SessionOwner,
        _session_id: String,
        _rating: NewRating,
        _now: Timestamp,
        _idle: IdleRule,
    ) -> Result<(Rating, Option<SessionState>)> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn history(
        &self,
        _owner: SessionOwner,
        _offset: i64,
        _limit: i64,
    ) -> Result<(Vec<PastSession>, i64)> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn session_state(&self, _session_id: String) -> Result<Option<SessionState>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn session(&self, _session_id: String) -> Result<Option<Session>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn queue_wait(&self, _created_at: Timestamp) -> Result<(i64, Option<i64>)> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn assign(&self, _req: AssignRequest) -> Result<Session> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn release(
        &self,
        _session_id: String,
        _actor: Actor,
        _now: Timestamp,
    ) -> Result<Session> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn transfer(&self, _req: TransferRequest) -> Result<Session> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn end_by_agent(
        &self,
        _session_id: String,
        _actor_id: String,
        _reason: Option<String>,
        _now: Timestamp,
        _idle: IdleRule,
    ) -> Result<EndOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn append_agent_message(&self, _msg: NewAgentMessage) -> Result<ReplyOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn broadcast(&self, _req: Broadcast) -> Result<BroadcastOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn add_note(
        &self,
        _session_id: String,
        _agent_id: String,
        _note_id: String,
        _body: String,
        _now: Timestamp,
    ) -> Result<Note> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn set_priority(
        &self,
        _session_id: String,
        _actor_id: String,
        _priority: Option<Priority>,
        _now: Timestamp,
    ) -> Result<Session> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn day_figures(&self, _from: Timestamp, _to: Timestamp) -> Result<DayFigures> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn chat_record(&self, _session_id: String) -> Result<Option<ChatRecord>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn mark_read_by_agent(
        &self,
        _session_id: String,
        _at: Timestamp,
    ) -> Result<Option<SessionState>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn expire_idle(&self, _now: Timestamp, _idle: IdleRule) -> Result<Vec<SessionState>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn auto_assign(
        &self,
        _now: Timestamp,
        _excluded: HashMap<String, String>,
        _idle: IdleRule,
    ) -> Result<Vec<String>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn release_silent(
        &self,
        _now: Timestamp,
        _after_ms: i64,
    ) -> Result<Vec<(String, String)>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
