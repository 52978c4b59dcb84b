//! [`ChatStore`] on PostgreSQL. Each write runs as one SERIALIZABLE transaction (retried whole
//! when it loses a race with another writer, on this replica or another one) and each read on
//! one pooled connection; reads whose statements must agree share one snapshot. The work itself
//! is in `chat/`.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Object, Transaction};
use tokio_postgres::IsolationLevel;

use super::chat::{self, agent, broadcast, client};
use super::{PgStore, messages, sessions, write_tx};
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

/// A read-only transaction on one snapshot, for reads of several statements that must agree
/// (a session and its newest message, a page and its total).
async fn snapshot(c: &mut Object) -> Result<Transaction<'_>> {
    Ok(c.build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

#[async_trait]
impl ChatStore for PgStore {
    async fn start_session(&self, req: StartSession) -> Result<StartOutcome> {
        write_tx!(self, locking, |tx| client::start_session(&tx, &req).await)
    }

    async fn append_user_message(&self, msg: NewUserMessage) -> Result<SendOutcome> {
        write_tx!(self, locking, |tx| client::append_user_message(&tx, &msg)
            .await)
    }

    async fn find_user_message(
        &self,
        owner: SessionOwner,
        session_id: String,
        message_id: String,
    ) -> Result<Option<Message>> {
        let c = self.reader().await?;
        client::find_user_message(&c, &owner, &session_id, &message_id).await
    }

    async fn list_messages(
        &self,
        owner: SessionOwner,
        session_id: String,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Message>, i64)> {
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let page = client::list_messages(&tx, &owner, &session_id, offset, limit).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn messages_after(
        &self,
        session_id: String,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let c = self.reader().await?;
        client::messages_after(&c, &session_id, after.as_deref(), limit).await
    }

    async fn message_position(
        &self,
        session_id: String,
        message_id: String,
    ) -> Result<Option<i64>> {
        let c = self.reader().await?;
        messages::seq_of(&c, &session_id, &message_id).await
    }

    async fn messages_after_seq(
        &self,
        session_id: String,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let c = self.reader().await?;
        messages::after(&c, &session_id, seq, limit).await
    }

    async fn mark_delivered(&self, session_id: String, up_to: i64, at: Timestamp) -> Result<usize> {
        write_tx!(self, |tx| messages::mark_delivered(
            &tx,
            &session_id,
            up_to,
            at
        )
        .await)
    }

    async fn mark_read_by_user(
        &self,
        owner: SessionOwner,
        session_id: String,
        up_to: String,
        at: Timestamp,
    ) -> Result<usize> {
        write_tx!(self, |tx| {
            client::mark_read_by_user(&tx, &owner, &session_id, &up_to, at).await
        })
    }

    async fn last_user_message_up_to(
        &self,
        session_id: String,
        seq: i64,
    ) -> Result<Option<String>> {
        let c = self.reader().await?;
        messages::last_user_message_up_to(&c, &session_id, seq).await
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
        write_tx!(self, |tx| {
            client::end_by_user(
                &tx,
                &owner,
                &session_id,
                reason.as_deref(),
                rating.as_ref(),
                now,
                idle,
            )
            .await
        })
    }

    async fn rate(
        &self,
        owner: SessionOwner,
        session_id: String,
        rating: NewRating,
        now: Timestamp,
        idle: IdleRule,
    ) -> Result<(Rating, Option<SessionState>)> {
        write_tx!(self, |tx| {
            client::rate(&tx, &owner, &session_id, &rating, now, idle).await
        })
    }

    async fn history(
        &self,
        owner: SessionOwner,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PastSession>, i64)> {
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let page = client::history(&tx, &owner, offset, limit).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn session_state(&self, session_id: String) -> Result<Option<SessionState>> {
        // The session's counters and its newest message must come from the same moment.
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let state = chat::load_state(&tx, &session_id).await?;
        tx.commit().await?;
        Ok(state)
    }

    async fn session(&self, session_id: String) -> Result<Option<Session>> {
        let c = self.reader().await?;
        sessions::get(&c, &session_id).await
    }

    async fn queue_wait(&self, created_at: Timestamp) -> Result<(i64, Option<i64>)> {
        let c = self.reader().await?;
        client::queue_wait(&c, created_at).await
    }

    async fn assign(&self, req: AssignRequest) -> Result<Session> {
        write_tx!(self, locking, |tx| agent::assign(&tx, &req).await)
    }

    async fn release(&self, session_id: String, actor: Actor, now: Timestamp) -> Result<Session> {
        write_tx!(self, |tx| agent::release(&tx, &session_id, &actor, now)
            .await)
    }

    async fn transfer(&self, req: TransferRequest) -> Result<Session> {
        write_tx!(self, |tx| agent::transfer(&tx, &req).await)
    }

    async fn end_by_agent(
        &self,
        session_id: String,
        actor_id: String,
        reason: Option<String>,
        now: Timestamp,
        idle: IdleRule,
    ) -> Result<EndOutcome> {
        write_tx!(self, |tx| {
            agent::end_by_agent(&tx, &session_id, &actor_id, reason.as_deref(), now, idle).await
        })
    }

    async fn append_agent_message(&self, msg: NewAgentMessage) -> Result<ReplyOutcome> {
        write_tx!(self, |tx| agent::append_agent_message(&tx, &msg).await)
    }

    async fn broadcast(&self, req: Broadcast) -> Result<BroadcastOutcome> {
        write_tx!(self, |tx| broadcast::broadcast(&tx, &req).await)
    }

    async fn add_note(
        &self,
        session_id: String,
        agent_id: String,
        note_id: String,
        body: String,
        now: Timestamp,
    ) -> Result<Note> {
        write_tx!(self, |tx| {
            agent::add_note(&tx, &session_id, &agent_id, &note_id, &body, now).await
        })
    }

    async fn set_priority(
        &self,
        session_id: String,
        actor_id: String,
        priority: Option<Priority>,
        now: Timestamp,
    ) -> Result<Session> {
        write_tx!(self, |tx| {
            agent::set_priority(&tx, &session_id, &actor_id, priority, now).await
        })
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>> {
        let c = self.reader().await?;
        agent::active_sessions(&c).await
    }

    async fn day_figures(&self, from: Timestamp, to: Timestamp) -> Result<DayFigures> {
        let c = self.reader().await?;
        agent::day_figures(&c, from, to).await
    }

    async fn chat_record(&self, session_id: String) -> Result<Option<ChatRecord>> {
        // The session, its transcript, notes and rating are shown together: one snapshot.
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let record = agent::chat_record(&tx, &session_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn mark_read_by_agent(
        &self,
        session_id: String,
        at: Timestamp,
    ) -> Result<Option<SessionState>> {
        write_tx!(self, |tx| agent::mark_read_by_agent(&tx, &session_id, at)
            .await)
    }

    async fn expire_idle(&self, now: Timestamp, idle: IdleRule) -> Result<Vec<SessionState>> {
        // Found on a reader: the scan of the active sessions stays out of the write
        // transaction, which then touches only the candidates (each conditionally).
        let cutoff = Timestamp(now.0 - idle.timeout_ms);
        let candidates = {
            let c = self.reader().await?;
            sessions::idle_since(&c, cutoff).await?
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        write_tx!(self, |tx| agent::expire_idle(&tx, &candidates, now, idle)
            .await)
    }

    async fn auto_assign(
        &self,
        now: Timestamp,
        excluded: HashMap<String, String>,
        idle: IdleRule,
    ) -> Result<Vec<String>> {
        write_tx!(self, |tx| agent::auto_assign(&tx, now, &excluded, idle)
            .await)
    }

    async fn release_silent(&self, now: Timestamp, after_ms: i64) -> Result<Vec<(String, String)>> {
        write_tx!(self, |tx| agent::release_silent(&tx, now, after_ms).await)
    }
}
