//! [`ChatStore`] on SQLite. Each method runs as one job of the group-commit writer (or one read
//! on the reader pool) and keeps its guarantee with conditional statements, not by relying on
//! there being a single writer. The work itself is in `chat/`.

use std::collections::HashMap;

use async_trait::async_trait;

use super::SqliteStore;
use super::chat::{agent, broadcast, client};
use super::{messages, sessions};
use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::rating::Rating;
use crate::domain::session::{IdleRule, Session, SessionState};
use crate::domain::{Priority, SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::ChatStore;
use crate::store::chats::{
    ActiveSession, Actor, AssignRequest, Broadcast, BroadcastOutcome, ChatRecord, DayFigures,
    EndOutcome, NewAgentMessage, NewRating, NewUserMessage, PastSession, ReplyOutcome, SendOutcome,
    StartOutcome, StartSession, TransferRequest,
};

#[async_trait]
impl ChatStore for SqliteStore {
    async fn start_session(&self, req: StartSession) -> Result<StartOutcome> {
        self.write(move |c| client::start_session(c, &req)).await
    }

    async fn append_user_message(&self, msg: NewUserMessage) -> Result<SendOutcome> {
        self.write(move |c| client::append_user_message(c, &msg))
            .await
    }

    async fn find_user_message(
        &self,
        owner: SessionOwner,
        session_id: String,
        message_id: String,
    ) -> Result<Option<Message>> {
        self.read(move |c| client::find_user_message(c, &owner, &session_id, &message_id))
            .await
    }

    async fn list_messages(
        &self,
        owner: SessionOwner,
        session_id: String,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Message>, i64)> {
        self.read(move |c| client::list_messages(c, &owner, &session_id, offset, limit))
            .await
    }

    async fn messages_after(
        &self,
        session_id: String,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        self.read(move |c| client::messages_after(c, &session_id, after.as_deref(), limit))
            .await
    }

    async fn message_position(
        &self,
        session_id: String,
        message_id: String,
    ) -> Result<Option<i64>> {
        self.read(move |c| messages::seq_of(c, &session_id, &message_id))
            .await
    }

    async fn messages_after_seq(
        &self,
        session_id: String,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        self.read(move |c| messages::after(c, &session_id, seq, limit))
            .await
    }

    async fn mark_delivered(&self, session_id: String, up_to: i64, at: Timestamp) -> Result<usize> {
        self.write(move |c| messages::mark_delivered(c, &session_id, up_to, at))
            .await
    }

    async fn mark_read_by_user(
        &self,
        owner: SessionOwner,
        session_id: String,
        up_to: String,
        at: Timestamp,
    ) -> Result<usize> {
        self.write(move |c| client::mark_read_by_user(c, &owner, &session_id, &up_to, at))
            .await
    }

    async fn last_user_message_up_to(
        &self,
        session_id: String,
        seq: i64,
    ) -> Result<Option<String>> {
        self.read(move |c| messages::last_user_message_up_to(c, &session_id, seq))
            .await
    }

    async fn end_by_user(
        &self,
        owner: SessionOwner,
        session_id: String,
        reason: Option<String>,
        rating: Option<NewRating>,
        now: Timestamp,
        idle: IdleRule,
    ) -> Result<EndOutcome> {
        self.write(move |c| {
            client::end_by_user(
                c,
                &owner,
                &session_id,
                reason.as_deref(),
                rating.as_ref(),
                now,
                idle,
            )
        })
        .await
    }

    async fn rate(
        &self,
        owner: SessionOwner,
        session_id: String,
        rating: NewRating,
        now: Timestamp,
        idle: IdleRule,
    ) -> Result<(Rating, Option<SessionState>)> {
        self.write(move |c| client::rate(c, &owner, &session_id, &rating, now, idle))
            .await
    }

    async fn history(
        &self,
        owner: SessionOwner,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PastSession>, i64)> {
        self.read(move |c| client::history(c, &owner, offset, limit))
            .await
    }

    async fn session_state(&self, session_id: String) -> Result<Option<SessionState>> {
        self.read(move |c| super::chat::load_state(c, &session_id))
            .await
    }

    async fn session(&self, session_id: String) -> Result<Option<Session>> {
        self.read(move |c| sessions::get(c, &session_id)).await
    }

    async fn queue_wait(&self, created_at: Timestamp) -> Result<(i64, Option<i64>)> {
        self.read(move |c| client::queue_wait(c, created_at)).await
    }

    async fn assign(&self, req: AssignRequest) -> Result<Session> {
        self.write(move |c| agent::assign(c, &req)).await
    }

    async fn release(&self, session_id: String, actor: Actor, now: Timestamp) -> Result<Session> {
        self.write(move |c| agent::release(c, &session_id, &actor, now))
            .await
    }

    async fn transfer(&self, req: TransferRequest) -> Result<Session> {
        self.write(move |c| agent::transfer(c, &req)).await
    }

    async fn end_by_agent(
        &self,
        session_id: String,
        actor_id: String,
        reason: Option<String>,
        now: Timestamp,
        idle: IdleRule,
    ) -> Result<EndOutcome> {
        self.write(move |c| {
            agent::end_by_agent(c, &session_id, &actor_id, reason.as_deref(), now, idle)
        })
        .await
    }

    async fn append_agent_message(&self, msg: NewAgentMessage) -> Result<ReplyOutcome> {
        self.write(move |c| agent::append_agent_message(c, &msg))
            .await
    }

    async fn broadcast(&self, req: Broadcast) -> Result<BroadcastOutcome> {
        self.write(move |c| broadcast::broadcast(c, &req)).await
    }

    async fn add_note(
        &self,
        session_id: String,
        agent_id: String,
        note_id: String,
        body: String,
        now: Timestamp,
    ) -> Result<Note> {
        self.write(move |c| agent::add_note(c, &session_id, &agent_id, &note_id, &body, now))
            .await
    }

    async fn set_priority(
        &self,
        session_id: String,
        actor_id: String,
        priority: Option<Priority>,
        now: Timestamp,
    ) -> Result<Session> {
        self.write(move |c| agent::set_priority(c, &session_id, &actor_id, priority, now))
            .await
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>> {
        self.read(agent::active_sessions).await
    }

    async fn day_figures(&self, from: Timestamp, to: Timestamp) -> Result<DayFigures> {
        self.read(move |c| agent::day_figures(c, from, to)).await
    }

    async fn chat_record(&self, session_id: String) -> Result<Option<ChatRecord>> {
        self.read(move |c| agent::chat_record(c, &session_id)).await
    }

    async fn mark_read_by_agent(
        &self,
        session_id: String,
        at: Timestamp,
    ) -> Result<Option<SessionState>> {
        self.write(move |c| agent::mark_read_by_agent(c, &session_id, at))
            .await
    }

    async fn expire_idle(&self, now: Timestamp, idle: IdleRule) -> Result<Vec<SessionState>> {
        // Found on a reader: scanning the active sessions must not hold up the writer.
        let cutoff = Timestamp(now.0 - idle.timeout_ms);
        let candidates = self.read(move |c| sessions::idle_since(c, cutoff)).await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        self.write(move |c| agent::expire_idle(c, &candidates, now, idle))
            .await
    }

    async fn auto_assign(
        &self,
        now: Timestamp,
        excluded: HashMap<String, String>,
        idle: IdleRule,
    ) -> Result<Vec<String>> {
        self.write(move |c| agent::auto_assign(c, now, &excluded, idle))
            .await
    }

    async fn release_silent(&self, now: Timestamp, after_ms: i64) -> Result<Vec<(String, String)>> {
        self.write(move |c| agent::release_silent(c, now, after_ms))
            .await
    }
}
